// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QObject>
#include <QString>

class QAction;
class QWidget;

namespace psc {

class StudyController;
class StudyView;

/**
 * *File ▸ Export Report…*: writes the open study as a self-contained HTML or PDF report (ReportDocument, the same as
 * `paretoscope report`) with the Pareto plot's current axes and the shortlist kept in the study. A file that cannot
 * be written (an unwritable folder, a missing one) is said in a message box naming it; nothing else changes on
 * disk. GUI thread only.
 */
class ReportController : public QObject
{
    Q_OBJECT
public:
    ReportController(StudyController *controller, StudyView *view, QWidget *window);

    QAction *action() const { return m_action; }
    /** Writes the report to `path` (.html or .pdf, replacing it); returns "" or why it could not. */
    QString exportTo(const QString &path);

Q_SIGNALS:
    void statusMessage(const QString &text);

private:
    void exportInteractive();

    StudyController *m_controller = nullptr;
    StudyView *m_view = nullptr;
    QWidget *m_window = nullptr;
    QAction *m_action = nullptr;
};

} // namespace psc
