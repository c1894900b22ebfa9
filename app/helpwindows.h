// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QDialog>

class QTextBrowser;

namespace psc {

/**
 * The documentation viewer of Help ▸ Documentation (F1): docs/gui.md rendered from Markdown, with the links between
 * the documentation files followed inside it. The files are the installed ones (share/doc/paretoscope) or the source
 * tree's docs/ (documentationFile()). GUI thread only.
 */
class DocumentationWindow : public QDialog
{
    Q_OBJECT
public:
    explicit DocumentationWindow(QWidget *parent = nullptr);
    QTextBrowser *browser() const { return m_browser; }

    /** The documentation's entry page (gui.md), or "" if neither the installed nor the source copy exists. */
    static QString documentationFile();

private:
    QTextBrowser *m_browser = nullptr;
};

/** Help ▸ Keyboard Shortcuts: every action of `window` that has a shortcut, with the shortcut, in a table. */
class ShortcutsDialog : public QDialog
{
    Q_OBJECT
public:
    explicit ShortcutsDialog(QWidget *window, QWidget *parent = nullptr);
    /** The rows shown: "Run\tF5", ... (for tests). */
    QStringList rows() const { return m_rows; }

private:
    QStringList m_rows;
};

} // namespace psc
