// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "psc/jobs/jobmanager.h"
#include "psc/study/trial.h"

#include <QMainWindow>

#include <vector>

class QAction;
class QDockWidget;
class QLabel;
class QMenu;
class QProgressBar;
class QToolButton;

namespace psc {

class CompressController;
class DriftController;
class ExportController;
class ImportController;
class NewStudyController;
class PresentationController;
class ReportController;
class ShortlistController;
class RecentFiles;
class StudyController;
class StudyView;
class TrialCostView;
class TrialInspector;

/**
 * The main window: menus, tool bar and status bar around a StudyView. It delegates: StudyController
 * opens and runs studies, StudyView shows them, RecentFiles keeps the recent list; the window wires them
 * together, asks for file names and reports errors. Window geometry, tool bar state and the splitter
 * are restored from QSettings.
 */
class MainWindow : public QMainWindow
{
    Q_OBJECT
public:
    explicit MainWindow(QWidget *parent = nullptr);
    ~MainWindow() override;

    /** Opens a study file; on failure shows the engine's message and returns false. */
    bool openStudy(const QString &path);
    /** Creates `studyPath` from the spec file `specPath` and runs it; false (message shown) on bad input. */
    bool newStudy(const QString &specPath, const QString &studyPath);
    /**
     * Selects the open study's trial with this number (`paretoscope STUDY.psc --trial N`). A number the study does
     * not have is said in the status bar with the numbers it does have; returns false then.
     */
    bool selectTrialNumber(qint64 number);
    /**
     * Where *New Study…* proposes to save the study of the spec `specPath`: "<spec name>.psc" in the last directory a
     * study or plot went to, or in the user's documents when that is inside the bundled data or not writable.
     * Throws InputError for a spec that does not read.
     */
    QString suggestedStudyPath(const QString &specPath) const;
    /**
     * What dropping a file on the window does: a study spec (.json) starts *New Study…* with it (the save dialog
     * comes up, window-modal, with the suggested path); any other file is opened as a study. Returns false (message
     * shown) when the file cannot be used.
     */
    bool openDroppedFile(const QString &path);
    /** Writes the plot as PNG, SVG or PDF by extension; false (message shown) on failure. */
    bool savePlot(const QString &path);

    StudyController *controller() const { return m_controller; }
    /** The "Compress Trial…" action and its dialog. */
    CompressController *compressor() const { return m_compress; }
    ExportController *exporter() const { return m_export; }
    DriftController *drift() const { return m_drift; }
    ImportController *importer() const { return m_import; }
    ShortlistController *shortlist() const { return m_shortlist; }
    ReportController *report() const { return m_report; }
    PresentationController *presentation() const { return m_presentation; }
    NewStudyController *newStudyForm() const { return m_newStudy; }
    StudyView *view() const { return m_view; }
    /** The trial inspector (layers and compression; cost per layer and fit on every target), in a dock below. */
    TrialInspector *inspector() const { return m_inspector; }
    TrialCostView *costView() const { return m_costView; }
    QDockWidget *costDock() const { return m_costDock; }
    RecentFiles *recentFiles() const { return m_recent; }
    QProgressBar *progressBar() const { return m_progress; }
    QAction *runAction() const { return m_runAction; }
    QAction *pauseAction() const { return m_pauseAction; }
    QAction *cancelAction() const { return m_cancelAction; }
    QAction *quitAction() const { return m_quitAction; }

protected:
    void closeEvent(QCloseEvent *event) override;
    void dragEnterEvent(QDragEnterEvent *event) override;
    void dropEvent(QDropEvent *event) override;

private:
    void createActions();
    void createMenus();
    void createStatusBar();
    void connectController();
    void restoreSettings();
    void saveSettings() const;

    /** Asks where to save the study of spec `spec` (window-modal, not blocking) and creates it. */
    void askStudyPathAndCreate(const QString &spec);
    void openInteractive();
    void openServerInteractive();
    void savePlotInteractive();
    void about();

    void onStudyOpened();
    /** Keeps the trial filter with the study (study_meta "gui_filter"), or says in the status bar why not. */
    void saveFilter();
    /** Applies the filter kept with the study that was just opened. */
    void restoreFilter();
    void onStudyClosed();
    void onTrialsChanged(const std::vector<Trial> &changed);
    void showTrialCost(qint64 id);
    void onRunStarted(const QString &title);
    void onRunProgress(double fraction, const QString &text);
    void onRunFinished(JobStatus status, const QString &message);
    void runOrResume();
    void togglePause();
    void updateActions();
    void updateCounts();
    void updateTitle();
    void showError(const QString &title, const QString &text);
    QString lastDirectory() const;
    static QString defaultDocumentsDirectory();
    void setLastDirectory(const QString &fileOrDir);

    StudyController *m_controller = nullptr;
    StudyView *m_view = nullptr;
    RecentFiles *m_recent = nullptr;
    CompressController *m_compress = nullptr;
    ExportController *m_export = nullptr;
    DriftController *m_drift = nullptr;
    ImportController *m_import = nullptr;
    ShortlistController *m_shortlist = nullptr;
    ReportController *m_report = nullptr;
    PresentationController *m_presentation = nullptr;
    NewStudyController *m_newStudy = nullptr;
    TrialInspector *m_inspector = nullptr;
    TrialCostView *m_costView = nullptr; ///< m_inspector's
    QDockWidget *m_costDock = nullptr;

    QAction *m_newAction = nullptr;
    QAction *m_openAction = nullptr;
    QAction *m_openServerAction = nullptr;
    QMenu *m_recentMenu = nullptr;
    QAction *m_savePlotAction = nullptr;
    QAction *m_quitAction = nullptr;
    QAction *m_runAction = nullptr;
    QAction *m_pauseAction = nullptr;
    QAction *m_cancelAction = nullptr;

    QLabel *m_statusText = nullptr;
    bool m_closing = false;         ///< a close is waiting for the run to stop
    bool m_restoringFilter = false; ///< applying a kept filter: not saved back
    QLabel *m_countsText = nullptr;
    QProgressBar *m_progress = nullptr;
    QToolButton *m_cancelButton = nullptr;
};

} // namespace psc
