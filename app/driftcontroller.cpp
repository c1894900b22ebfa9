// SPDX-License-Identifier: GPL-3.0-or-later
#include "driftcontroller.h"

#include "studycontroller.h"

#include "models/trialset.h"
#include "plot/analogdriftplot.h"
#include "psc/core/duration.h"
#include "psc/data/dataset.h"
#include "psc/jobs/jobcontext.h"
#include "psc/quant/integerinference.h"
#include "psc/study/analogdrift.h"
#include "psc/study/compressionrunner.h"
#include "psc/study/metrics.h"
#include "psc/targets/targetlibrary.h"
#include "views/drifttimecontrol.h"
#include "views/studyview.h"

#include <QFutureWatcher>
#include <QThread>
#include <QTimer>
#include <QtConcurrent>

#include <algorithm>
#include <map>

namespace psc {

/** What a background computation hands back to the GUI thread. */
struct DriftController::Outcome
{
    std::vector<AnalogRecord> records;
    std::vector<qint64> attempted;
    int computed = 0;
    bool stored = false;
    bool cancelled = false;
    std::string error;
};

namespace {

constexpr int kMaxImages = 1000; // per draw: the grid is 8 times x draws x images inferences per trial and target

/** Records with the same trial, target, compensation and time as one in `fresh` give way to it. */
void merge(std::vector<AnalogRecord> &records, const std::vector<AnalogRecord> &fresh)
{
    for (const AnalogRecord &f : fresh) {
        std::erase_if(records, [&f](const AnalogRecord &r) {
            return r.trialId == f.trialId && r.target == f.target && r.compensation == f.compensation &&
                   r.seconds == f.seconds;
        });
        records.push_back(f);
    }
}

/** Sets metric `name`@`target` of `trial` to `value`, or removes it (nullopt). */
void setMetric(Trial &trial, const std::string &target, const std::string &name, std::optional<double> value)
{
    const auto it = std::find_if(trial.metrics.begin(), trial.metrics.end(),
                                 [&](const Metric &m) { return m.name == name && m.target == target; });
    if (!value) {
        if (it != trial.metrics.end())
            trial.metrics.erase(it);
    } else if (it != trial.metrics.end()) {
        it->value = *value;
    } else {
        trial.metrics.push_back({target, name, *value});
    }
}

} // namespace

DriftController::DriftController(StudyController *controller, StudyView *view, QObject *parent)
    : QObject(parent), m_controller(controller), m_view(view), m_debounce(new QTimer(this))
{
    // A slider drag fires many times a second; the table and plot follow at most every 40 ms.
    m_debounce->setSingleShot(true);
    m_debounce->setInterval(40);
    connect(m_debounce, &QTimer::timeout, this, [this] {
        rescoreView();
        computeMissing();
    });
    connect(m_controller, &StudyController::studyOpened, this, &DriftController::onStudyOpened);
    connect(m_controller, &StudyController::studyClosed, this, &DriftController::onStudyClosed);
    DriftTimeControl *control = m_view->driftControl();
    connect(control, &DriftTimeControl::secondsChanged, this, &DriftController::onSecondsChanged);
    connect(control, &DriftTimeControl::cancelRequested, this, [this] {
        if (m_job)
            m_job->cancel();
    });
}

DriftController::~DriftController()
{
    cancel();
}

void DriftController::cancel()
{
    if (!m_job)
        return;
    m_job->cancel();
    const auto watchers = findChildren<QFutureWatcher<Outcome> *>();
    for (auto *w : watchers)
        w->waitForFinished();
    QCoreApplication::sendPostedEvents(this); // deliver finished() so that m_job is cleared
}

void DriftController::onStudyOpened()
{
    cancel();
    m_targets.clear();
    m_records.clear();
    m_attempted.clear();
    m_curvesAttempted.clear();
    m_curveTrial = -1;
    if (m_curvePlot)
        m_curvePlot->clear();
    const StudySpec &spec = m_controller->spec();
    const TargetLibrary *library = m_controller->targets();
    QStringList ids;
    auto consider = [&](const MetricRef &m) {
        if (m.target.empty() || !library)
            return;
        const TargetDefinition *def = library->find(m.target);
        if (!def || def->model != "analog-cim" || ids.contains(QString::fromStdString(m.target)))
            return;
        try {
            Target t;
            t.analog = analogTarget(*def);
            t.compensation = std::string(toString(t.analog.noise.compensation));
            m_targets.push_back(std::move(t));
            ids << QString::fromStdString(m.target);
        } catch (const std::exception &) {
            // A target file the simulator cannot read: its accuracy stays as stored.
        }
    };
    for (const Objective &o : spec.objectives)
        consider(o.metric);
    for (const Constraint &c : spec.constraints)
        consider(c.metric);
    DriftTimeControl *control = m_view->driftControl();
    control->setVisible(!m_targets.empty());
    if (m_targets.empty())
        return;
    m_records = m_controller->analogAccuracy();
    control->setTargets(ids);
    const QSignalBlocker block(control);
    control->setSeconds(spec.analog.seconds);
}

void DriftController::onStudyClosed()
{
    cancel();
    m_curveTrial = -1;
    m_curvesAttempted.clear();
    if (m_curvePlot)
        m_curvePlot->clear();
    m_targets.clear();
    m_records.clear();
    m_attempted.clear();
    m_view->driftControl()->hide();
}

void DriftController::onSecondsChanged(double)
{
    if (!m_targets.empty())
        m_debounce->start();
}

std::vector<Trial> DriftController::rescored(std::vector<Trial> trials)
{
    if (m_targets.empty())
        return trials;
    const double seconds = m_view->driftControl()->seconds();
    const double studyTime = m_controller->spec().analog.seconds;
    const std::string name(kAnalogAccuracyMetric);
    const std::string spread(kAnalogAccuracyStdMetric);
    bool reloaded = false;
    bool needsComputing = false;
    for (Trial &t : trials) {
        if (t.state != TrialState::Complete)
            continue;
        for (const Target &target : m_targets) {
            const std::string &id = target.analog.id;
            auto estimate = interpolateAnalog(m_records, t.id, id, target.compensation, seconds);
            if (!estimate && !reloaded) {
                // A trial the study has finished since the records were read: its records are new.
                m_records = m_controller->analogAccuracy();
                reloaded = true;
                estimate = interpolateAnalog(m_records, t.id, id, target.compensation, seconds);
            }
            if (!estimate && !m_attempted.count(t.id))
                needsComputing = true;
            // Measured at the study's time only: unknown at another one until computed.
            if (estimate || seconds != studyTime) {
                setMetric(t, id, name, estimate ? std::optional<double>(estimate->mean) : std::nullopt);
                setMetric(t, id, spread, estimate ? std::optional<double>(estimate->std) : std::nullopt);
            }
        }
    }
    // A trial that finished while the slider is away from the study's time is computed like the others (once).
    if (needsComputing && seconds != studyTime)
        QTimer::singleShot(0, this, &DriftController::computeMissing);
    return trials;
}

void DriftController::rescoreView()
{
    m_view->upsertTrials(rescored(m_view->trialSet()->trials()));
}

void DriftController::computeMissing()
{
    if (m_job || m_targets.empty())
        return;
    const double seconds = m_view->driftControl()->seconds();
    std::vector<std::int64_t> numbers;
    std::vector<qint64> ids;
    for (const Trial &t : m_view->trialSet()->trials()) {
        if (t.state != TrialState::Complete || m_attempted.count(t.id))
            continue;
        for (const Target &target : m_targets)
            if (!interpolateAnalog(m_records, t.id, target.analog.id, target.compensation, seconds)) {
                numbers.push_back(t.number);
                ids.push_back(t.id);
                break;
            }
    }
    if (numbers.empty())
        return;
    m_attempted.insert(ids.begin(), ids.end());
    startJob(numbers, ids, false);
}

bool DriftController::hasCurve(qint64 id, const std::string &compensation) const
{
    if (m_targets.empty())
        return false;
    const std::vector<double> &grid = driftTimeGrid();
    return std::all_of(grid.begin(), grid.end(), [&](double t) {
        return std::any_of(m_records.begin(), m_records.end(), [&](const AnalogRecord &r) {
            return r.trialId == id && r.target == m_targets.front().analog.id && r.compensation == compensation &&
                   r.seconds == t;
        });
    });
}

void DriftController::setCurvePlot(AnalogDriftPlot *plot)
{
    m_curvePlot = plot;
}

void DriftController::showCurves(const Trial *trial)
{
    m_curveTrial = trial ? trial->id : -1;
    m_curveNumber = trial ? int(trial->number) : 0;
    if (!m_curvePlot)
        return;
    if (!trial || m_targets.empty()) {
        m_curvePlot->clear();
        return;
    }
    const std::string &target = m_targets.front().analog.id;
    m_curvePlot->setTrial(trial->id, m_curveNumber, target, m_records);
    const bool missing = !hasCurve(trial->id, m_targets.front().compensation) || !hasCurve(trial->id, "none");
    if (!missing || trial->state != TrialState::Complete || m_curvesAttempted.count(trial->id))
        return;
    if (m_job) {
        m_curvePlot->setComputing(tr("Trial %1: waiting for the analog accuracies being computed…").arg(m_curveNumber));
        return; // onComputed() comes back here
    }
    m_curvesAttempted.insert(trial->id);
    m_curvePlot->setComputing(
        tr("Trial %1: computing its accuracy on %2 from 1 s to 10 years, with and without drift compensation…")
            .arg(m_curveNumber)
            .arg(QString::fromStdString(target)));
    startJob({trial->number}, {trial->id}, true);
}

void DriftController::startJob(const std::vector<std::int64_t> &numbers, const std::vector<qint64> &ids,
                               bool uncompensated)
{
    const StudySpec spec = m_controller->spec();
    const std::string path = m_controller->studyPath().toStdString();
    std::vector<Target> targets = m_targets;
    AnalogOptions options;
    options.repeats = spec.analog.repeats;
    options.seed = spec.analog.seed;
    options.images = std::min(spec.analog.images > 0 ? spec.analog.images : kMaxImages, kMaxImages);
    if (spec.training.testSubset > 0)
        options.images = std::min(options.images, spec.training.testSubset);
    options.threads = std::max(1, QThread::idealThreadCount());

    QPointer<DriftTimeControl> control = m_view->driftControl();
    const int total = int(numbers.size());
    m_job = std::make_shared<JobContext>([control](double f, const std::string &text) {
        QMetaObject::invokeMethod(
            control,
            [control, f, text] {
                if (control)
                    control->setProgress(f, QString::fromStdString(text));
            },
            Qt::QueuedConnection);
    });
    control->setProgress(0.0, tr("analog accuracy of %n trial(s)", nullptr, total));
    Q_EMIT statusMessage(
        tr("Computing the analog accuracy of %n trial(s) from 1 s to 10 years in the background…", nullptr, total));

    auto *watcher = new QFutureWatcher<Outcome>(this);
    connect(watcher, &QFutureWatcher<Outcome>::finished, this, [this, watcher] {
        const Outcome outcome = watcher->result();
        watcher->deleteLater();
        onComputed(outcome);
    });
    std::shared_ptr<JobContext> ctx = m_job;
    watcher->setFuture(QtConcurrent::run([path, spec, numbers, ids, targets, options, ctx, total, uncompensated]() {
        Outcome o;
        try {
            const auto store = StudyStore::open(path, StudyStore::Mode::ReadOnly);
            const Dataset data = loadFashionMnist(spec.task.dataDirectory());
            const std::vector<double> &grid = driftTimeGrid();
            for (std::size_t i = 0; i < numbers.size(); ++i) {
                ctx->checkpoint();
                o.attempted.push_back(ids[i]);
                TrainedModel model;
                try {
                    model = CompressionRunner::loadParent(*store, numbers[i]);
                } catch (const InputError &) {
                    continue; // no trained model (e.g. imported costs only): nothing to simulate
                }
                const IntegerModel integer = IntegerModel::quantize(model);
                for (std::size_t k = 0; k < targets.size(); ++k) {
                    const Target &target = targets[k];
                    std::vector<plugin::AnalogDriftCompensation> compensations{target.analog.noise.compensation};
                    if (uncompensated && target.analog.noise.compensation != plugin::AnalogDriftCompensation::None)
                        compensations.push_back(plugin::AnalogDriftCompensation::None);
                    const double done = (double(i) + double(k) / double(targets.size())) / double(total);
                    JobContext step(ctx.get(), [&](double f, const std::string &) {
                        ctx->progress(done + f / double(total * int(targets.size())),
                                      "trial " + std::to_string(numbers[i]) + " on " + target.analog.id);
                    });
                    const AnalogSimulator simulator(integer, target.analog);
                    for (const plugin::AnalogDriftCompensation c : compensations) {
                        AnalogOptions opts = options;
                        opts.compensation = c;
                        for (const AnalogAccuracy &a : simulator.evaluate(data.test, grid, opts, &step))
                            o.records.push_back(analogRecord(ids[i], target.analog.id, a, opts,
                                                             std::min(opts.images, data.test.count)));
                    }
                }
                ++o.computed;
            }
        } catch (const JobCancelled &) {
            o.cancelled = true;
        } catch (const std::exception &e) {
            o.error = e.what();
        }
        if (!o.records.empty()) {
            // Kept in the study for the next session, unless a run holds its writer now.
            try {
                StudyStore::open(path, StudyStore::Mode::ReadWrite)->putAnalogAccuracy(o.records);
                o.stored = true;
            } catch (const std::exception &) {
                o.stored = false;
            }
        }
        return o;
    }));
}

void DriftController::onComputed(const Outcome &outcome)
{
    m_job.reset();
    m_view->driftControl()->finishProgress();
    // Trials a cancelled run did not reach may be tried again.
    std::set<qint64> reached(outcome.attempted.begin(), outcome.attempted.end());
    if (outcome.cancelled)
        for (auto it = m_attempted.begin(); it != m_attempted.end();)
            it = reached.count(*it) ? std::next(it) : m_attempted.erase(it);
    merge(m_records, outcome.records);
    rescoreView();
    QString text;
    if (!outcome.error.empty())
        text = tr("Analog accuracy could not be computed: %1").arg(QString::fromStdString(outcome.error));
    else
        text = tr("Computed the analog accuracy of %n trial(s) from 1 s to 10 years", nullptr, outcome.computed) +
               (outcome.cancelled ? tr(" before being stopped") : QString()) +
               (outcome.records.empty() ? QString()
                : outcome.stored        ? tr("; stored in the study")
                                        : tr("; kept for this session (a run holds the study)"));
    Q_EMIT statusMessage(text);
    Q_EMIT computationFinished();
    if (!outcome.cancelled)
        computeMissing(); // the slider may have moved on while this ran
    if (m_curvePlot && m_curveTrial >= 0 && !m_targets.empty()) {
        const std::vector<Trial> &trials = m_view->trialSet()->trials();
        const auto it =
            std::find_if(trials.begin(), trials.end(), [this](const Trial &t) { return t.id == m_curveTrial; });
        if (!m_job)
            showCurves(it != trials.end() ? &*it : nullptr);
        else if (it != trials.end())
            m_curvePlot->setTrial(it->id, int(it->number), m_targets.front().analog.id, m_records);
    }
}

} // namespace psc
