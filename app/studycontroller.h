// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "compressionjob.h"
#include "studyjob.h"

#include "psc/export/trialexport.h"
#include "psc/jobs/jobmanager.h"
#include "psc/study/studyspec.h"
#include "psc/study/studystore.h"
#include "psc/study/trial.h"
#include "psc/targets/costinput.h"

#include <QObject>
#include <QString>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <vector>

class QTimer;

namespace psc {

class PluginRegistry;
class TargetLibrary;

/**
 * The study the main window shows, and the run of it.
 *
 * Reading: the controller keeps its own ReadOnly StudyStore on the GUI thread and reads only what changed
 * (StudyStore::changesSince()) when the running job says a trial finished, and a few times a second while
 * trials are in flight, so reads stay small however long the study gets. While it runs nothing itself it
 * looks every few seconds, so a study run from the command line updates live too.
 *
 * Running: owns a JobManager; a StudyJob coordinates the study on the light pool while trainings run on
 * the heavy pool, or a CompressionJob derives compressed trials on the heavy pool. One run at a time: the
 * run's job holds the study's only writing StudyStore. Progress, pause and cancel go through the job's
 * context. Destroying the controller cancels the run and waits for it. GUI thread only.
 */
class StudyController : public QObject
{
    Q_OBJECT
public:
    explicit StudyController(QObject *parent = nullptr);
    /** With an explicit thread budget (tests use a small one). */
    explicit StudyController(const ThreadBudget &budget, QObject *parent = nullptr);
    ~StudyController() override;

    /**
     * Shows the study in `path` (read-only; safe while another process runs it). Throws InputError for a
     * file that is not a study, and refuses while a run is in progress (RuntimeError).
     */
    void openStudy(const QString &path);
    void closeStudy();
    bool hasStudy() const { return m_reader != nullptr; }
    /** True if the open study is on storage this user cannot write (it is shown, but cannot be run or extended). */
    bool isReadOnlyStorage() const { return m_reader && m_reader->readOnlyStorage(); }
    QString studyPath() const { return m_path; }
    /**
     * Keeps `value` with the open study under study_meta `key` (the GUI's own keys, "gui_filter"): written at once
     * when no run of this window holds the study's writer, else when the run ends. Returns "" or why it could not be
     * written (another process is writing the study, read-only storage).
     */
    QString setStudyMeta(const QString &key, const QString &value);
    /** A study_meta value of the open study, or nullopt (no study, key unset). */
    std::optional<QString> studyMeta(const QString &key) const;
    /** The open study's spec; valid while hasStudy(). */
    const StudySpec &spec() const { return m_spec; }
    TrialCounts counts() const;
    /** Why Run would train nothing more (StudyRunner::budgetSpent(): "the trial budget of 24 is reached"); "" if it
     *  would, or without a study. */
    QString budgetSpent() const;

    /**
     * Reads the spec in `specPath` (throws InputError with file:line:col for a bad spec) and starts a job
     * that creates `studyPath` and runs it; the study opens (studyOpened()) once the file exists.
     * Throws InputError if `studyPath` exists.
     */
    void newStudy(const QString &specPath, const QString &studyPath);
    /** Runs or resumes the open study to its budget. */
    void run();
    void pause();
    void resume();
    void cancel();
    /**
     * Derives compressed trials from trial number `parentNumber` of the open study (CompressionJob on the heavy
     * pool). It is a run like a study's: runStarted(), runProgress(), pause, cancel, runFinished(), and every
     * child arrives in trialsChanged() as it is committed. Throws RuntimeError while a run is in progress or no
     * study is open; bad input (the parent, a variant) fails the job with the engine's message.
     */
    void compress(qint64 parentNumber, const CompressionConfig &config);
    /**
     * Why `trial` of the open study has no trained model to `verb` ("compress", "export"): not complete, no
     * trained-model weights; empty if it has one. Reads only the trial's artifact list.
     */
    QString whyNoTrainedModel(const Trial &trial, const QString &verb) const;
    /**
     * Prepares an export of trial number `number` (psc/export/trialexport.h) through a read-only connection of its
     * own, so it may run on any thread. Throws RuntimeError if no study is open.
     */
    std::function<TrialExport(ExportFormat, const std::filesystem::path &)> exportPreparer(qint64 number) const;
    /**
     * Writes a prepared export and records it in the study (opened read-write for the moment) with `checks` (from
     * measureExport()). Throws the engine's InputError/RuntimeError; RuntimeError while a run is in progress (the run
     * holds the study's writer lock).
     */
    ExportRecord writeExport(const TrialExport &prepared, bool overwrite, const std::vector<CortexMCheck> &checks = {});
    /**
     * Measures a prepared C export on the cores of the trial's MCU targets beside their estimates (checkOnCortexM(),
     * with a target library of its own). A second or two: run it on a pool thread. What could not be measured, and
     * a tool that failed, go to `notes`; never throws for those.
     */
    static std::vector<CortexMCheck> measureExport(const TrialExport &prepared, std::vector<std::string> *notes);
    /** The exports recorded for trial id `trialId`, oldest first (one small query on the reader; GUI thread). */
    std::vector<ExportRecord> exports(qint64 trialId) const;
    /** Every analog accuracy recorded in the study (table analog_accuracy; one query on the reader). */
    std::vector<AnalogRecord> analogAccuracy() const;
    /**
     * A check of a config against trial number `parentNumber` of the open study, as the job will check it, without
     * writing or loading the dataset: it throws InputError naming the trial, or the config file and line:column of a
     * variant that does not fit (an unknown layer). The check reads the study through a read-only connection of its
     * own, so it may run on any thread (CompressDialog runs it on a pool thread) and after the study is closed.
     */
    std::function<void(const CompressionConfig &)> compressionCheck(qint64 parentNumber) const;
    bool isRunning() const { return m_job != 0; }
    bool isCompressing() const { return m_job != 0 && m_compressOutcome != nullptr; }
    /** The title of the current or last run ("Study x.psc", "Compression of trial 5"). */
    QString runTitle() const { return m_runTitle; }
    bool isPaused() const { return m_paused; }
    /** Cancels a run and waits up to `msecs` (-1: forever) for it to stop; true if nothing is running. */
    bool shutdown(int msecs = -1);
    /** Re-reads changes now (normally driven by the job). */
    void refresh();
    /**
     * The bundled hardware targets (TargetLibrary::defaultDirectory()), loaded on first use for the trial
     * inspector; nullptr if they cannot be loaded (targetsError() says why).
     */
    const TargetLibrary *targets();
    QString targetsError() const { return m_targetsError; }
    /** The search strategies the loaded plugins offer (loads them with targets() if needed). */
    QStringList strategyIds();
    /**
     * The engine's verdict on study spec text, as `paretoscope run` checks a spec before it creates anything: "" if
     * a study can be made of it, else the problem ("<new study>:7:5: /objectives/1/metric: unknown metric ...").
     */
    QString checkSpec(const QString &json);
    /**
     * For each target the study's spec names whose stored costs came from another model version than this build's:
     * which version made them (docs/database.md, cost_models). Empty when every stored cost is this build's.
     */
    QStringList costModelNotes();
    /**
     * The trained weight values of a complete trial (its integer model's histograms, costinput.h), for costs that
     * depend on them; empty for trials without trained weights. Remembered for the last few trials asked.
     */
    WeightValues weightValues(const Trial &trial);

Q_SIGNALS:
    /** A study was opened (or created): spec() describes it; its trials follow in trialsChanged(). */
    void studyOpened();
    void studyClosed();
    /** Trials inserted or changed since the last signal (all of them right after studyOpened()), by number. */
    void trialsChanged(const std::vector<psc::Trial> &changed);
    void runStarted(const QString &title);
    void runProgress(double fraction, const QString &text);
    void pausedChanged(bool paused);
    /** The run ended; `message` summarises it or says why it failed. */
    void runFinished(psc::JobStatus status, const QString &message);
    /** A compression ended (just before its runFinished()); `summary` lists the children derived. */
    void compressionFinished(psc::JobStatus status, const psc::CompressionSummary &summary);

private:
    void startStudyJob(std::unique_ptr<StudyJob> job);
    void startJob(std::unique_ptr<Job> job, PoolKind pool);
    /** Re-reads changes on the GUI thread; callable from a job's thread. */
    std::function<void()> queuedRefresh();
    void openReader(const QString &path);
    void onJobProgress(JobId id, double fraction, const QString &text);
    void onJobFinished(JobId id, JobStatus status, const QString &message);

    JobManager *m_jobs = nullptr;
    QTimer *m_refreshTimer = nullptr;
    QTimer *m_pollTimer = nullptr; ///< while idle: picks up runs by other processes (`paretoscope resume`)
    std::unique_ptr<StudyStore> m_reader;
    StudySpec m_spec;
    QString m_path;
    std::int64_t m_revision = 0;
    JobId m_job = 0;
    bool m_paused = false;
    QString m_runTitle;
    std::shared_ptr<StudyJob::Outcome> m_outcome;               ///< the running study job's
    std::shared_ptr<CompressionJob::Outcome> m_compressOutcome; ///< the running compression job's
    std::unique_ptr<PluginRegistry> m_registry;                 ///< for m_targets
    std::unique_ptr<TargetLibrary> m_targets;
    std::map<qint64, WeightValues> m_weightValues; ///< by trial id, a few at most
    QString m_targetsError;
    bool m_targetsLoaded = false;
    std::map<QString, QString> m_pendingMeta; ///< setStudyMeta() values waiting for the run to end
};

} // namespace psc
