// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "psc/export/trialexport.h"

#include <QObject>
#include <QPointer>

#include <string>
#include <vector>

class QAction;
class QProgressDialog;
class QWidget;

namespace psc {

class ExportDialog;
class StudyController;
class StudyView;
class TrialInspector;

/**
 * The GUI's "Export Trial…" action (File menu, the trial table's context menu, the trial inspector's tab bar):
 * enabled for a selected complete trial with a trained model while nothing runs on the study. It opens an
 * ExportDialog that previews the files, figures and warnings, and on Export writes them and records the export in
 * the study, as `paretoscope export` does: a C export is first built for the study's Cortex-M targets and run on
 * QEMU on a pool thread (a busy indicator meanwhile), so the record holds the measurement beside the estimates.
 * Reports the outcome through statusMessage() and exported(). GUI thread only.
 */
class ExportController : public QObject
{
    Q_OBJECT
public:
    ExportController(StudyController *controller, StudyView *view, TrialInspector *inspector, QWidget *window);
    ~ExportController() override;

    QAction *action() const { return m_action; }
    /** The dialog opened by the action, while it is open (visible). */
    ExportDialog *dialog() const;
    /** Opens the dialog for the selected trial (window-modal and asynchronous). */
    void exportSelected();

Q_SIGNALS:
    /** One line for the status bar, e.g. "Exported trial 4 to /home/me/best.c (127.1 KiB, 6 warnings)". */
    void statusMessage(const QString &text);
    /** An export of trial id `trialId` was written and recorded. */
    void exported(qint64 trialId);

public:
    /** True while a C export is being measured, before it is written. */
    bool isMeasuring() const { return m_measuring; }

private:
    void updateAction();
    void write(const QString &studyPath);
    void finish(const QString &studyPath, const TrialExport &prepared, bool overwrite,
                const std::vector<CortexMCheck> &checks, const std::vector<std::string> &notes);
    void showError(const QString &text);

    StudyController *m_controller = nullptr;
    StudyView *m_view = nullptr;
    QWidget *m_window = nullptr;
    QAction *m_action = nullptr;
    QPointer<ExportDialog> m_dialog;
    QPointer<QProgressDialog> m_busy;
    bool m_measuring = false;
};

} // namespace psc
