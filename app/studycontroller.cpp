// SPDX-License-Identifier: GPL-3.0-or-later
#include "studycontroller.h"

#include "trainingthreads.h"

#include "psc/core/error.h"
#include "psc/plugins/pluginregistry.h"
#include "psc/quant/integerinference.h"
#include "psc/study/compressionrunner.h"
#include "psc/study/costmodels.h"
#include "psc/study/studylocation.h"
#include "psc/study/studyrunner.h"
#include "psc/study/studysession.h"
#include "psc/study/studystore.h"
#include "psc/targets/targetlibrary.h"

#include <QFileInfo>
#include <QPointer>
#include <QTimer>

#include <cmath>
#include <filesystem>

namespace psc {
namespace {

/** While trials are in flight, re-read at most this often (trial completions re-read at once). */
constexpr int kRefreshIntervalMs = 400;
/** While idle, look for changes made by other processes this often. */
constexpr int kPollIntervalMs = 2000;

QString summaryText(const StudyRunSummary &s)
{
    return QString::fromStdString(StudySession::describe(s));
}

} // namespace

StudyController::StudyController(QObject *parent) : StudyController(studyThreadBudget(), parent) {}

StudyController::StudyController(const ThreadBudget &budget, QObject *parent)
    : QObject(parent), m_jobs(new JobManager(budget, this)), m_refreshTimer(new QTimer(this)),
      m_pollTimer(new QTimer(this))
{
    m_pollTimer->setInterval(kPollIntervalMs);
    connect(m_pollTimer, &QTimer::timeout, this, &StudyController::refresh);
    configureTrainingThreads(budget.torchThreads);
    m_refreshTimer->setSingleShot(true);
    m_refreshTimer->setInterval(kRefreshIntervalMs);
    connect(m_refreshTimer, &QTimer::timeout, this, &StudyController::refresh);
    connect(m_jobs, &JobManager::jobProgress, this, &StudyController::onJobProgress);
    connect(m_jobs, &JobManager::jobFinished, this, &StudyController::onJobFinished);
}

StudyController::~StudyController()
{
    // The job calls back into this object (through queued calls guarded by QPointer); stop it first.
    shutdown();
}

WeightValues StudyController::weightValues(const Trial &trial)
{
    if (!m_reader || trial.state != TrialState::Complete)
        return {};
    if (const auto it = m_weightValues.find(trial.id); it != m_weightValues.end())
        return it->second;
    WeightValues values;
    try {
        // A few milliseconds for a tiny network: read, decode, quantise as the exporters do.
        values = psc::weightValues(IntegerModel::quantize(CompressionRunner::loadParent(*m_reader, trial.number)));
    } catch (const std::exception &) {
        values.clear(); // no trained weights (cache hit of a failed parent, another format): the priors apply
    }
    if (m_weightValues.size() >= 16)
        m_weightValues.clear();
    m_weightValues.emplace(trial.id, values);
    return values;
}

QStringList StudyController::costModelNotes()
{
    QStringList notes;
    if (!m_reader)
        return notes;
    const std::vector<std::string> ids = specTargets(m_spec);
    const TargetLibrary *library = targets();
    const std::vector<std::string> lines = describeCostModels(readCostModels(*m_reader), ids, library);
    for (const std::string &line : lines)
        if (line.find("this build has") != std::string::npos)
            notes << QString::fromStdString(line);
    return notes;
}

const TargetLibrary *StudyController::targets()
{
    if (!m_targetsLoaded) {
        m_targetsLoaded = true;
        try {
            auto registry = std::make_unique<PluginRegistry>();
            registry->load(PluginRegistry::defaultDirectories());
            auto library = std::make_unique<TargetLibrary>(*registry);
            library->loadDefaults();
            m_registry = std::move(registry);
            m_targets = std::move(library);
        } catch (const std::exception &e) {
            m_targetsError = QString::fromUtf8(e.what());
        }
    }
    return m_targets.get();
}

QStringList StudyController::strategyIds()
{
    QStringList ids;
    if (targets() && m_registry)
        for (const std::string &id : m_registry->strategyIds())
            ids << QString::fromStdString(id);
    return ids;
}

QString StudyController::checkSpec(const QString &json)
{
    StudySpecNames names;
    names.targets = targets();
    if (m_registry) {
        names.strategyIds = m_registry->strategyIds();
        names.strategyOptionsProblem = [this](const std::string &id, const std::string &options) {
            return m_registry->strategyOptionsProblem(id, options);
        };
    }
    try {
        StudySpec::fromJson(json.toStdString(), "<new study>", {}, names);
    } catch (const std::exception &e) {
        return QString::fromUtf8(e.what());
    }
    return {};
}

QString StudyController::setStudyMeta(const QString &key, const QString &value)
{
    if (!m_reader)
        return tr("no study is open");
    if (isRunning()) {
        m_pendingMeta[key] = value; // the run's job holds the study's one writer
        return {};
    }
    try {
        auto writer = StudyStore::open(m_path.toStdString(), StudyStore::Mode::ReadWrite);
        writer->setMeta(key.toStdString(), value.toStdString());
    } catch (const std::exception &e) {
        return QString::fromUtf8(e.what());
    }
    return {};
}

std::optional<QString> StudyController::studyMeta(const QString &key) const
{
    if (!m_reader)
        return std::nullopt;
    if (const auto it = m_pendingMeta.find(key); it != m_pendingMeta.end())
        return it->second;
    const auto value = m_reader->meta(key.toStdString());
    return value ? std::optional<QString>(QString::fromStdString(*value)) : std::nullopt;
}

void StudyController::openStudy(const QString &path)
{
    if (isRunning())
        throw RuntimeError("a study is running; cancel it before opening another one");
    openReader(path);
}

void StudyController::openReader(const QString &path)
{
    // Read the new study whole before the current one is closed: a file that is not a study (or a damaged one)
    // throws here and leaves the study on screen as it was.
    const std::string file = path.toStdString();
    auto reader = StudyStore::open(file, StudyStore::Mode::ReadOnly);
    StudySpec spec = StudySpec::fromJson(reader->specJson(), file + " (stored spec)");
    closeStudy();
    m_spec = std::move(spec);
    m_reader = std::move(reader);
    m_path = StudyLocation::isUrl(file) ? path : QFileInfo(path).absoluteFilePath();
    // The trials so far arrive as the first trialsChanged(): one path for opening and for live updates.
    TrialChanges all = m_reader->changesSince(0);
    m_revision = all.revision;
    if (!isRunning())
        m_pollTimer->start();
    Q_EMIT studyOpened();
    if (!all.trials.empty())
        Q_EMIT trialsChanged(all.trials);
}

void StudyController::closeStudy()
{
    if (!m_reader)
        return;
    m_refreshTimer->stop();
    m_pollTimer->stop();
    m_reader.reset();
    m_spec = {};
    m_path.clear();
    m_revision = 0;
    m_pendingMeta.clear();
    Q_EMIT studyClosed();
}

TrialCounts StudyController::counts() const
{
    return m_reader ? m_reader->trialCounts() : TrialCounts{};
}

QString StudyController::budgetSpent() const
{
    if (!m_reader)
        return {};
    try {
        return QString::fromStdString(StudyRunner::budgetSpent(*m_reader, m_spec));
    } catch (const std::exception &) {
        return {}; // a damaged run time: Run says why when it is chosen
    }
}

void StudyController::refresh()
{
    if (!m_reader)
        return;
    TrialChanges changes = m_reader->changesSince(m_revision);
    m_revision = changes.revision;
    if (!changes.trials.empty())
        Q_EMIT trialsChanged(changes.trials);
}

void StudyController::newStudy(const QString &specPath, const QString &studyPath)
{
    if (isRunning())
        throw RuntimeError("a study is already running");
    const StudySpec spec = StudySession::readSpec(specPath.toStdString()); // names checked with line:column
    if (std::filesystem::exists(studyPath.toStdString()))
        throw InputError(studyPath.toStdString() + ": already exists; open it and choose Run to continue it, or "
                                                   "choose another file name");
    closeStudy();
    const ThreadBudget &budget = m_jobs->budget();
    startStudyJob(StudyJob::createStudy(spec, QFileInfo(studyPath).absoluteFilePath(), m_jobs->pool(PoolKind::Heavy),
                                        budget.heavyThreads));
}

void StudyController::run()
{
    if (isRunning())
        return;
    if (!m_reader)
        throw RuntimeError("no study is open");
    startStudyJob(StudyJob::resumeStudy(m_path, m_jobs->pool(PoolKind::Heavy), m_jobs->budget().heavyThreads));
}

std::function<void()> StudyController::queuedRefresh()
{
    QPointer<StudyController> self(this);
    return [self] {
        QMetaObject::invokeMethod(
            self.data(),
            [self] {
                if (self)
                    self->refresh();
            },
            Qt::QueuedConnection);
    };
}

void StudyController::startStudyJob(std::unique_ptr<StudyJob> job)
{
    QPointer<StudyController> self(this);
    StudyJob::Hooks hooks;
    // Called on the job's thread: hop to the GUI thread. Posted events keep their order, so the study is
    // open before its first trial is announced.
    hooks.storeCreated = [self](const QString &path) {
        QMetaObject::invokeMethod(
            self.data(),
            [self, path] {
                if (!self)
                    return;
                try {
                    self->openReader(path);
                } catch (const std::exception &e) {
                    qWarning("cannot read the new study %s: %s", qPrintable(path), e.what());
                }
            },
            Qt::QueuedConnection);
    };
    hooks.trialFinished = queuedRefresh();
    job->setHooks(std::move(hooks));
    m_outcome = job->outcome();
    startJob(std::move(job), PoolKind::Light);
}

void StudyController::compress(qint64 parentNumber, const CompressionConfig &config)
{
    if (isRunning())
        throw RuntimeError("a run is in progress on this study; wait for it or cancel it before compressing");
    if (!m_reader)
        throw RuntimeError("no study is open");
    auto job = std::make_unique<CompressionJob>(m_path, parentNumber, config);
    job->setChildFinishedHook([refresh = queuedRefresh()](const CompressedChild &) { refresh(); });
    m_compressOutcome = job->outcome();
    // Fine-tuning is training: the heavy pool, one job, never alongside a study run (isRunning() above).
    startJob(std::move(job), PoolKind::Heavy);
}

QString StudyController::whyNoTrainedModel(const Trial &trial, const QString &verb) const
{
    if (trial.state != TrialState::Complete)
        return tr("Trial %1 is %2: only complete (trained) trials can be %3ed")
            .arg(trial.number)
            .arg(QString::fromStdString(std::string(toString(trial.state))))
            .arg(verb);
    if (!m_reader)
        return tr("No study is open");
    // A cache hit has no weights of its own: they are its original's.
    for (const ArtifactInfo &a : m_reader->artifacts(trial.cachedFrom.value_or(trial.id)))
        if (a.kind == "weights")
            return a.format == kTrainedModelFormat
                       ? QString()
                       : tr("Trial %1 has weights in an older format; train it again to %2 it")
                             .arg(trial.number)
                             .arg(verb);
    return tr("Trial %1 has no trained weights stored").arg(trial.number);
}

std::function<TrialExport(ExportFormat, const std::filesystem::path &)>
StudyController::exportPreparer(qint64 number) const
{
    if (!m_reader)
        throw RuntimeError("no study is open");
    return [file = m_reader->path(), number](ExportFormat format, const std::filesystem::path &out) {
        // Not m_reader: SQLite connections are not shared between threads, and the GUI thread keeps polling.
        const std::unique_ptr<StudyStore> store = StudyStore::open(file, StudyStore::Mode::ReadOnly);
        return prepareTrialExport(*store, file.string(), number, format, out);
    };
}

ExportRecord StudyController::writeExport(const TrialExport &prepared, bool overwrite,
                                          const std::vector<CortexMCheck> &checks)
{
    if (!m_reader)
        throw RuntimeError("no study is open");
    if (isRunning())
        throw RuntimeError("a run is in progress on this study; export when it has finished");
    const std::unique_ptr<StudyStore> writer = StudyStore::open(m_reader->path(), StudyStore::Mode::ReadWrite);
    return writeTrialExport(*writer, prepared, overwrite, checks);
}

std::vector<CortexMCheck> StudyController::measureExport(const TrialExport &prepared, std::vector<std::string> *notes)
{
    try {
        // A library of its own: the controller's is for the GUI thread.
        const BundledTargets targets;
        return checkOnCortexM(prepared, targets.library, CortexMTools::locate(), notes);
    } catch (const std::exception &e) {
        if (notes)
            notes->push_back(std::string("not measured on Cortex-M: ") + e.what());
        return {};
    }
}

std::vector<ExportRecord> StudyController::exports(qint64 trialId) const
{
    return m_reader ? m_reader->exports(trialId) : std::vector<ExportRecord>{};
}

std::vector<AnalogRecord> StudyController::analogAccuracy() const
{
    return m_reader ? m_reader->analogAccuracy() : std::vector<AnalogRecord>{};
}

std::function<void(const CompressionConfig &)> StudyController::compressionCheck(qint64 parentNumber) const
{
    if (!m_reader)
        throw RuntimeError("no study is open");
    return [file = m_reader->path(), parentNumber](const CompressionConfig &config) {
        // Not m_reader: SQLite connections are not shared between threads, and the GUI thread keeps polling.
        const std::unique_ptr<StudyStore> store = StudyStore::open(file, StudyStore::Mode::ReadOnly);
        CompressionRunner::check(*store, parentNumber, config);
    };
}

void StudyController::startJob(std::unique_ptr<Job> job, PoolKind pool)
{
    m_runTitle = job->title();
    m_paused = false;
    m_pollTimer->stop();
    m_job = m_jobs->submit(std::move(job), pool);
    Q_EMIT runStarted(m_runTitle);
}

void StudyController::pause()
{
    if (!isRunning() || m_paused)
        return;
    m_jobs->pause(m_job);
    m_paused = true;
    Q_EMIT pausedChanged(true);
}

void StudyController::resume()
{
    if (!isRunning() || !m_paused)
        return;
    m_jobs->resume(m_job);
    m_paused = false;
    Q_EMIT pausedChanged(false);
}

void StudyController::cancel()
{
    if (isRunning())
        m_jobs->cancel(m_job);
}

bool StudyController::shutdown(int msecs)
{
    m_jobs->cancelAll();
    return m_jobs->waitForDone(msecs);
}

void StudyController::onJobProgress(JobId id, double fraction, const QString &text)
{
    if (id != m_job)
        return;
    Q_EMIT runProgress(fraction, text);
    // Trials change state between completions too (pending -> running): look now and then.
    if (!m_refreshTimer->isActive())
        m_refreshTimer->start();
}

void StudyController::onJobFinished(JobId id, JobStatus status, const QString &message)
{
    if (id != m_job)
        return;
    m_job = 0;
    m_refreshTimer->stop();
    if (m_reader)
        m_pollTimer->start();
    const bool wasPaused = m_paused;
    m_paused = false;
    refresh();
    QString text = message;
    if (m_compressOutcome) {
        if (m_compressOutcome->summary)
            text = compressionSummaryText(*m_compressOutcome->summary, m_compressOutcome->variants);
        else if (status == JobStatus::Cancelled)
            text = tr("%1 cancelled before its first variant").arg(m_runTitle);
    } else if (status == JobStatus::Succeeded && m_outcome && m_outcome->summary) {
        text = summaryText(*m_outcome->summary);
    } else if (status == JobStatus::Cancelled)
        text = tr("Cancelled; trials in flight will be trained again when the study is resumed.");
    const std::shared_ptr<CompressionJob::Outcome> compressed = std::move(m_compressOutcome);
    m_outcome.reset();
    m_compressOutcome.reset();
    if (wasPaused)
        Q_EMIT pausedChanged(false);
    if (compressed)
        Q_EMIT compressionFinished(status, compressed->summary.value_or(CompressionSummary{}));
    // What the window asked to keep with the study while the run held its writer.
    std::map<QString, QString> pending;
    pending.swap(m_pendingMeta);
    for (const auto &[key, value] : pending)
        if (const QString error = setStudyMeta(key, value); !error.isEmpty())
            text += tr(" (not saved with the study: %1)").arg(error);
    Q_EMIT runFinished(status, text);
}

} // namespace psc
