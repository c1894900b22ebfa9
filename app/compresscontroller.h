// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "psc/jobs/jobmanager.h"
#include "psc/study/compressionrunner.h"

#include <QObject>
#include <QPointer>

class QAction;
class QWidget;

namespace psc {

class CompressDialog;
class StudyController;
class StudyView;
class TrialInspector;

/**
 * The GUI's "Compress trial…" action: enabled for a selected complete trial with trained weights while nothing
 * runs on the study; it opens a CompressDialog and hands the accepted config to StudyController::compress(),
 * which runs it like a study run (progress bar, Pause, Cancel; children appear as they are committed). The
 * action is also in the trial table's context menu and on the trial inspector's tab bar. When the run ends it
 * reports variants that failed in a message box (the others are kept). GUI thread only.
 */
class CompressController : public QObject
{
    Q_OBJECT
public:
    /** `window` parents the dialogs; the action is created here and owned by this object. */
    CompressController(StudyController *controller, StudyView *view, TrialInspector *inspector, QWidget *window);
    ~CompressController() override;

    QAction *action() const { return m_action; }
    /** The dialog opened by the action, while it is open (visible); nullptr once accepted or cancelled. */
    CompressDialog *dialog() const;

    /** Opens the dialog for the selected trial (window-modal and asynchronous: no nested event loop). */
    void compressSelected();
    /** The config the dialog starts with: the last one started, else the bundled example. */
    static QString defaultConfigFile();
    /** resources/compress/fashion-mnist-demo.json, installed or in the source tree. */
    static QString bundledExample();

private:
    void updateAction();
    void start(qint64 parentNumber, const QString &studyPath);
    void onCompressionFinished(JobStatus status, const CompressionSummary &summary);
    void warn(const QString &title, const QString &text);

    StudyController *m_controller = nullptr;
    StudyView *m_view = nullptr;
    QWidget *m_window = nullptr;
    QAction *m_action = nullptr;
    QPointer<CompressDialog> m_dialog;
};

} // namespace psc
