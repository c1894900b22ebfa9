// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QObject>
#include <QStringList>

class QMenu;

namespace psc {

/**
 * The "Open Recent" list, kept in QSettings (newest first, at most maxFiles(), no duplicates). Files that
 * no longer exist are dropped whenever the list is read. Fills a menu whose entries emit fileChosen().
 */
class RecentFiles : public QObject
{
    Q_OBJECT
public:
    explicit RecentFiles(QMenu *menu, QObject *parent = nullptr);

    static constexpr int maxFiles() { return 8; }
    /** The existing recent files, newest first. */
    QStringList files() const;
    /** Moves (or adds) `path` to the top. */
    void add(const QString &path);
    void remove(const QString &path);
    void clear();

Q_SIGNALS:
    void fileChosen(const QString &path);

private:
    void store(const QStringList &files);
    void rebuildMenu();

    QMenu *m_menu;
};

} // namespace psc
