// SPDX-License-Identifier: GPL-3.0-or-later
#include "psc/study/studyrunner.h"

#include "psc/study/costmodels.h"
#include "psc/study/earlystopping.h"

#include "psc/study/lineage.h"
#include "psc/study/metrics.h"

#include "psc/core/duration.h"
#include "psc/core/error.h"
#include "psc/data/dataset.h"
#include "psc/jobs/jobcontext.h"
#include "psc/plugin/searchstrategy.h"
#include "psc/space/searchspace.h"
#include "psc/study/studystore.h"
#include "psc/study/trialevaluator.h"
#include "psc/study/trialpipeline.h"
#include "psc/train/trainer.h"

#include <QThreadPool>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <deque>
#include <map>
#include <set>
#include <thread>

namespace psc {
namespace {

constexpr const char *kStrategyStateKey = "strategy_state";
constexpr const char *kLastErrorKey = "last_error";
/// Bumped with every strategy state a worker saves, so other workers know theirs is behind (docs/database.md).
constexpr const char *kStrategyRevisionKey = "strategy_revision";
constexpr const char *kWorkerStaleKey = "worker_stale_seconds";

/** A search strategy plugin threw: the run stops, the study records why and stays resumable. */
class StrategyFailure : public RuntimeError
{
public:
    using RuntimeError::RuntimeError;
};
constexpr const char *kElapsedKey = "elapsed_seconds";
constexpr const char *kTrialBudgetKey = "trial_budget";

/** A number stored in study_meta by an earlier run; a damaged value is bad input, named in the user's terms. */
double storedNumber(const StudyStore &store, const char *key, double fallback)
{
    const std::optional<std::string> text = store.meta(key);
    if (!text)
        return fallback;
    char *end = nullptr;
    const double value = std::strtod(text->c_str(), &end);
    if (text->empty() || end != text->c_str() + text->size() || !std::isfinite(value) || value < 0)
        throw InputError(store.path().string() + ": the study file is damaged: study_meta \"" + key +
                         "\" should be a non-negative number, found \"" + text->substr(0, 40) +
                         (text->size() > 40 ? "...\"" : "\""));
    return value;
}

} // namespace

struct StudyRunner::Impl
{
    StudyStore &store;
    const StudySpec &spec;
    const plugin::StrategyFactory &factory;
    Trainer &trainer;
    const Dataset &data;
    QThreadPool *pool;
    Options options;
    std::function<void(const Trial &)> onFinished;

    SearchSpace space;
    std::unique_ptr<plugin::SearchStrategy> strategy;
    std::set<std::string> seenHashes;
    std::deque<Trial> pendingFromStore; ///< trials an interrupted run left behind, trained first
    StudyRunSummary summary;

    /** A decoded candidate whose architecture is being trained right now: it waits to become a cache hit. */
    std::optional<DecodedCandidate> deferred;
    std::string deferredProposal; ///< Trial::proposedBy of `deferred`

    // Worker mode (Options::worker): the strategy as of which saved state, and the finished search trials it was told.
    std::int64_t strategyRevision = -1;
    std::int64_t trialRevision = 0;
    std::map<std::int64_t, Trial> finishedSearch; ///< by number
    std::set<std::int64_t> told;                  ///< ids

    /// The exact pre-training evaluation the strategy's cost oracle answers with (and that refuses a spec naming an
    /// unknown target before anything runs).
    TrialEvaluator evaluator;

    Impl(StudyStore &s, const StudySpec &sp, const plugin::StrategyFactory &f, Trainer &t, const Dataset &d,
         QThreadPool *p, Options o)
        : store(s), spec(sp), factory(f), trainer(t), data(d), pool(p), options(o), space(sp.searchSpace),
          evaluator(sp, o.targets)
    {}

    /** The strategy's cost oracle: what admission would measure, without admitting. */
    plugin::CandidateCosts candidateCosts(const Encoding &x) const
    {
        plugin::CandidateCosts out;
        try {
            const DecodedCandidate c = space.decode(x);
            std::string why;
            out.objectives = objectiveVector(evaluator.beforeTraining(c.network, &why));
            out.feasible = why.empty();
            out.identity = c.architectureHash;
        } catch (const InputError &) {
            out.objectives.assign(spec.objectives.size(), std::nan(""));
            out.feasible = false;
        }
        return out;
    }

    std::vector<double> objectiveVector(const std::vector<Metric> &metrics) const
    {
        std::vector<double> v;
        for (const Objective &o : spec.objectives) {
            const double x = metricValue(metrics, o.metric).value_or(std::nan(""));
            v.push_back(o.direction == Direction::Maximize ? -x : x);
        }
        return v;
    }

    /** The recipe a search trial trains with: the study's, with the candidate's training choices if it has any. */
    TrainingRecipe recipeOf(const Trial &t) const
    {
        const Encoding x = encodingOf(t);
        if (x.empty() && !space.dimensions().empty())
            return spec.training;
        return space.decode(x).recipe(spec.training);
    }

    Encoding encodingOf(const Trial &t) const
    {
        try {
            return space.encode(t.parametersJson);
        } catch (const InputError &) {
            return {};
        }
    }

    /**
     * Calls the strategy plugin; whatever it throws becomes a StrategyFailure naming the strategy and the call, which
     * run() records as the study's last error.
     */
    template <class F> auto guarded(const char *call, F &&f) -> decltype(f())
    {
        try {
            return f();
        } catch (const JobCancelled &) {
            throw;
        } catch (const std::exception &e) {
            throw StrategyFailure("search strategy \"" + spec.strategy.id + "\" failed in " + call + "(): " + e.what());
        }
    }

    /** Tells the strategy and counts a trial that reached a final state; reports it. */
    void finished(const Trial &t)
    {
        switch (t.state) {
        case TrialState::Complete:
            ++(t.cachedFrom ? summary.cached : summary.trained);
            break;
        case TrialState::Infeasible:
            ++summary.infeasible;
            break;
        case TrialState::Failed:
            ++summary.failed;
            break;
        case TrialState::Pruned:
            ++summary.pruned;
            break;
        default:
            return;
        }
        tellStrategy(t);
        if (options.worker) {
            finishedSearch[t.number] = t;
            told.insert(t.id);
        }
        if (onFinished)
            onFinished(t);
    }

    /**
     * Worker mode, under the study's write lock: brings the strategy up to what the study holds. Finished trials not
     * yet told are told; if another worker asked since this one last did (the stored revision moved), the strategy
     * starts again from the saved state and is told every finished search trial, as a resumed study's.
     */
    void syncStrategy()
    {
        const TrialChanges changes = store.changesSince(trialRevision);
        trialRevision = changes.revision;
        std::vector<Trial> fresh;
        for (const Trial &t : changes.trials) {
            if (t.parentId || isImported(t))
                continue;
            seenHashes.insert(t.architectureHash);
            if (t.state == TrialState::Complete || t.state == TrialState::Infeasible || t.state == TrialState::Failed ||
                t.state == TrialState::Pruned) {
                finishedSearch[t.number] = t;
                fresh.push_back(t);
            }
        }
        const std::int64_t stored = std::int64_t(storedNumber(store, kStrategyRevisionKey, 0.0));
        if (stored != strategyRevision) {
            loadStrategy();
            told.clear();
            for (const auto &[number, t] : finishedSearch) {
                tellStrategy(t);
                told.insert(t.id);
            }
            strategyRevision = stored;
            return;
        }
        for (const Trial &t : fresh)
            if (told.insert(t.id).second)
                tellStrategy(t);
    }

    /**
     * Worker mode: the next trial to train, taken atomically: one nobody holds, else a new candidate admitted under
     * the study's write lock with the strategy state that produced it. nullopt if there is none now (the budget is
     * taken by trials in flight, or the candidate was settled at admission).
     */
    std::optional<std::int64_t> nextWorkerCandidate(TrialPipeline &pipeline, std::int64_t trialBudget)
    {
        if (std::optional<Trial> held = store.claimPending()) {
            if (pipeline.isInFlight(held->id)) {
                // This worker was silent too long (a stall, a reconnect): its trial was given to the others and it
                // has just taken it back while still training it. The training here goes on with the trial Running.
                store.markRunning(held->id, store.serverNow());
                return std::nullopt;
            }
            pipeline.adopt(*held, recipeOf(*held));
            return held->id;
        }
        std::optional<Trial> admitted;
        store.writeBatch([&] {
            if (store.trialCounts(StudyStore::TrialKind::Search).total() >= trialBudget)
                return; // every trial of the budget exists: finished, or in some worker's hands
            syncStrategy();
            std::string proposedBy;
            DecodedCandidate next = askNew(proposedBy);
            const std::string state = strategy->saveState();
            admitted = pipeline.admit(toCandidate(std::move(next), std::move(proposedBy)), [&] {
                store.setMeta(kStrategyStateKey, state);
                store.setMeta(kStrategyRevisionKey, std::to_string(strategyRevision + 1));
            });
        });
        if (!admitted)
            return std::nullopt;
        ++strategyRevision; // committed with the trial
        if (admitted->state == TrialState::Pending)
            return admitted->id;
        finished(*admitted);
        return std::nullopt;
    }

    /** Asks the strategy for an architecture the study does not have yet (up to 64 times); records what proposed it. */
    DecodedCandidate askNew(std::string &proposedBy)
    {
        DecodedCandidate next;
        for (int attempt = 0; attempt < 64; ++attempt) {
            next = space.decode(guarded("ask", [&] { return strategy->ask(); }));
            if (!seenHashes.count(next.architectureHash))
                break; // a repeat would only be a cache hit; give the budget to something new
        }
        seenHashes.insert(next.architectureHash);
        const std::string what = strategy->lastProposal();
        proposedBy = what.empty() ? spec.strategy.id : spec.strategy.id + ":" + what;
        return next;
    }

    TrialCandidate toCandidate(DecodedCandidate &&next, std::string proposedBy) const
    {
        TrialCandidate c;
        c.network = std::move(next.network);
        c.architectureHash = std::move(next.architectureHash);
        c.parametersJson = std::move(next.parametersJson);
        c.proposedBy = std::move(proposedBy);
        c.recipe = next.recipe(spec.training);
        return c;
    }

    /**
     * Admits the next candidate: a trial left Pending by an earlier run, or a new one from the strategy. Returns the
     * id of a Pending trial to start, or nullopt if the candidate was settled at admission (infeasible, failed, a
     * cache hit) or must wait (`blocked`: its architecture is in training; it is kept and retried later).
     */
    std::optional<std::int64_t> nextCandidate(TrialPipeline &pipeline, bool &blocked)
    {
        blocked = false;
        if (!pendingFromStore.empty()) {
            const Trial t = std::move(pendingFromStore.front());
            pendingFromStore.pop_front();
            pipeline.adopt(t, recipeOf(t));
            return t.id;
        }
        if (!deferred)
            deferred = askNew(deferredProposal);
        if (pipeline.isTraining(deferred->architectureHash)) {
            blocked = true; // never train an architecture twice, even concurrently
            return std::nullopt;
        }
        TrialCandidate c = toCandidate(std::move(*deferred), deferredProposal);
        deferred.reset();
        // The new trial and the strategy state that produced it commit together, so a resumed study neither
        // repeats nor skips a candidate.
        const std::string state = strategy->saveState();
        const Trial t = pipeline.admit(std::move(c), [&] { store.setMeta(kStrategyStateKey, state); });
        if (t.state == TrialState::Pending)
            return t.id;
        finished(t);
        return std::nullopt;
    }

    /**
     * Tells the strategy every search trial that finished before this run, in trial order: a strategy that learns
     * from results (nsga2) rebuilds what it knew, as its saved state holds only what it asked.
     */
    void retellFinished(const std::vector<Trial> &trials)
    {
        for (const Trial &t : trials) {
            if (t.parentId || isImported(t))
                continue;
            if (t.state != TrialState::Complete && t.state != TrialState::Infeasible && t.state != TrialState::Failed &&
                t.state != TrialState::Pruned)
                continue;
            tellStrategy(t);
        }
    }

    /** Tells the strategy a finished search trial: pruned ones as such, the others with their feasibility. */
    void tellStrategy(const Trial &t)
    {
        const Encoding x = encodingOf(t);
        if (x.empty() && !space.dimensions().empty())
            return;
        if (t.state == TrialState::Pruned) {
            // The accuracies it never reached stand at its last validation accuracy: a pessimistic observation.
            std::vector<double> f = objectiveVector(t.metrics);
            for (std::size_t j = 0; j < f.size() && !t.learningCurve.empty(); ++j) {
                const Objective &o = spec.objectives[j];
                const MetricInfo *info = o.metric.target.empty() ? findModelMetric(o.metric.name) : nullptr;
                if (!std::isfinite(f[j]) && info && !info->beforeTraining && info->fraction)
                    f[j] = o.direction == Direction::Maximize ? -t.learningCurve.back() : t.learningCurve.back();
            }
            guarded("tellPruned", [&] { strategy->tellPruned(x, f); });
        } else
            guarded("tell", [&] { strategy->tell(x, objectiveVector(t.metrics), t.state == TrialState::Complete); });
    }

    void loadStrategy()
    {
        strategy = factory.create();
        try {
            strategy->configure(spec.strategy.optionsJson.empty() ? "{}" : spec.strategy.optionsJson);
        } catch (const std::invalid_argument &e) {
            throw InputError("study spec: /strategy/options: " + std::string(e.what()));
        }
        strategy->initialize(space.cardinalities(), spec.seed);
        strategy->setCostOracle([this](const Encoding &x) { return candidateCosts(x); });
        if (auto state = store.meta(kStrategyStateKey)) {
            try {
                strategy->loadState(*state);
            } catch (const std::exception &e) {
                throw InputError(store.path().string() + ": the study file is damaged: the saved state of strategy \"" +
                                 spec.strategy.id + "\" does not read back (" + e.what() + ")");
            }
        }
    }
};

StudyRunner::StudyRunner(StudyStore &store, const StudySpec &spec, const plugin::StrategyFactory &strategy,
                         Trainer &trainer, const Dataset &data, QThreadPool *heavyPool, Options options)
    : d(std::make_unique<Impl>(store, spec, strategy, trainer, data, heavyPool, options))
{}

StudyRunner::~StudyRunner() = default;

void StudyRunner::setTrialFinishedCallback(std::function<void(const Trial &)> callback)
{
    d->onFinished = std::move(callback);
}

std::string StudyRunner::budgetSpent(const StudyStore &store, const StudySpec &spec)
{
    const double storedBudget = storedNumber(store, kTrialBudgetKey, -1.0);
    std::optional<std::int64_t> trials;
    if (storedBudget >= 0)
        trials = std::int64_t(storedBudget);
    else if (spec.budget.trials)
        trials = *spec.budget.trials;
    if (trials && store.trialCounts(StudyStore::TrialKind::Search).finished() >= *trials)
        return "the trial budget of " + std::to_string(*trials) + " is reached";
    if (spec.budget.wallTimeSeconds && storedNumber(store, kElapsedKey, 0.0) >= *spec.budget.wallTimeSeconds)
        return "the wall-time budget of " + formatDuration(*spec.budget.wallTimeSeconds) + " is used up";
    return {};
}

StudyRunSummary StudyRunner::run(JobContext &ctx)
{
    if (d->options.worker)
        return runWorker(ctx);
    const auto start = std::chrono::steady_clock::now();
    d->summary = {};
    d->deferred.reset();
    d->pendingFromStore.clear();
    const double elapsedBefore = storedNumber(d->store, kElapsedKey, 0.0);
    d->loadStrategy(); // a damaged study is refused before anything is written
    // A budget given on the command line is the study's from then on, so a resume continues the run the user
    // started rather than going on to the spec's budget.
    if (d->options.trials)
        d->store.setMeta(kTrialBudgetKey, std::to_string(*d->options.trials));
    const double storedBudget = storedNumber(d->store, kTrialBudgetKey, -1.0);
    const std::int64_t trialBudget =
        storedBudget >= 0 ? std::int64_t(storedBudget) : d->spec.budget.trials.value_or(INT32_MAX);
    const double timeBudget = d->spec.budget.wallTimeSeconds.value_or(INFINITY);

    d->store.recoverInterrupted();
    const std::vector<Trial> existing = d->store.trials();
    try {
        d->retellFinished(existing);
    } catch (const StrategyFailure &e) {
        d->store.setMeta(kLastErrorKey, e.what());
        throw RuntimeError(std::string(e.what()) + "; the study file is consistent: 'paretoscope resume' continues it");
    }
    if (d->options.targets) // the models that cost this run's trials, so that stored costs keep their label
        recordCostModels(d->store, specTargets(d->spec), *d->options.targets, std::int64_t(existing.size()));
    for (const Trial &t : existing) {
        if (t.parentId || isImported(t))
            continue; // derived (compression) and imported trials are not the search's; the budget does not count them
        d->seenHashes.insert(t.architectureHash);
        if (t.state == TrialState::Pending)
            d->pendingFromStore.push_back(t);
    }
    // Without a pool the trainings run inline in start(); `parallelTrials` of them are then asked before any is told,
    // as a batch (the tabular benchmark simulates parallel workers this way, deterministically).
    const int parallel = std::max(1, d->pool ? std::min(d->options.parallelTrials, d->pool->maxThreadCount())
                                             : d->options.parallelTrials);

    auto elapsed = [&] {
        return elapsedBefore + std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    };
    auto finishedCount = [&] { return d->store.trialCounts(StudyStore::TrialKind::Search).finished(); };

    std::string failure; // a strategy plugin that threw
    {
        // Declared inside this scope so that it drains (stops and waits for its trainings) on every way out,
        // exceptions included, before the elapsed time is stored.
        // Early stopping judges each training against every search trial's stored curve and those reported live.
        EarlyStopper stopper(d->spec.earlyStopping, d->spec.training.epochs);
        for (const Trial &t : existing)
            if (!t.parentId && !isImported(t) && (t.state == TrialState::Complete || t.state == TrialState::Pruned))
                stopper.addHistory(t.learningCurve, EarlyStopper::costsOf(d->spec, t.metrics));
        TrialPipeline pipeline(d->store, d->spec, d->trainer, d->data, ctx, {d->options.targets, d->pool, &stopper});
        auto reportProgress = [&](std::int64_t finishedNow) {
            const double f = trialBudget < INT32_MAX ? (double(finishedNow) + pipeline.inFlightProgress()) /
                                                           double(std::max<std::int64_t>(trialBudget, 1))
                                                     : elapsed() / timeBudget;
            ctx.progress(std::min(1.0, f), "trial " + std::to_string(finishedNow) + "/" +
                                               (trialBudget < INT32_MAX ? std::to_string(trialBudget) : "?") + ", " +
                                               std::to_string(pipeline.inFlight()) + " training");
        };
        bool stopLaunching = false;
        try {
            for (;;) {
                ctx.checkpoint();
                // Launch while there is room and budget left (in-flight trials count against the budget).
                while (!stopLaunching && pipeline.inFlight() < parallel) {
                    const std::int64_t finishedNow = finishedCount();
                    if (finishedNow + pipeline.inFlight() >= trialBudget || elapsed() >= timeBudget) {
                        stopLaunching = true;
                        break;
                    }
                    ctx.checkpoint();
                    bool blocked = false;
                    if (auto id = d->nextCandidate(pipeline, blocked))
                        pipeline.start(*id);
                    reportProgress(finishedNow);
                    if (blocked)
                        break;
                }
                if (pipeline.inFlight() == 0)
                    break;
                for (const Trial &t : pipeline.collect(std::chrono::milliseconds(200)))
                    d->finished(t);
                reportProgress(finishedCount());
            }
        } catch (const JobCancelled &) {
            d->summary.cancelled = true;
        } catch (const StrategyFailure &e) {
            failure = e.what();
        }
        // Cancelled: the trainings stop at their next checkpoint and return their trials to Pending.
        pipeline.drain();
    }
    d->store.setMeta(kElapsedKey, std::to_string(elapsed()));
    // The study says why its last run stopped, until a run ends without a failure.
    if (!failure.empty()) {
        d->store.setMeta(kLastErrorKey, failure);
        throw RuntimeError(failure + "; the study file is consistent: 'paretoscope resume' continues it");
    }
    if (d->store.meta(kLastErrorKey))
        d->store.setMeta(kLastErrorKey, "");
    d->summary.finishedTotal = int(finishedCount());
    d->summary.budgetReached = d->summary.finishedTotal >= trialBudget || elapsed() >= timeBudget;
    d->summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return d->summary;
}

StudyRunSummary StudyRunner::runWorker(JobContext &ctx)
{
    const Options::Worker &w = *d->options.worker;
    const auto start = std::chrono::steady_clock::now();
    auto seconds = [](auto since) {
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
    };
    d->summary = {};
    d->store.setWorker(w.id);
    d->strategyRevision = -1; // loaded on the first ask
    d->trialRevision = 0;
    d->finishedSearch.clear();
    d->told.clear();
    const double storedBudget = storedNumber(d->store, kTrialBudgetKey, -1.0);
    const std::int64_t trialBudget =
        storedBudget >= 0 ? std::int64_t(storedBudget) : d->spec.budget.trials.value_or(INT32_MAX);
    // Writes outside the loop below go through this: a server restart while a worker starts (or gives back what it
    // held) costs a retry, not the worker (each retry's first statement reconnects, with backoff).
    auto retried = [](auto &&write) {
        for (int attempt = 1;; ++attempt) {
            try {
                return write();
            } catch (const StoreConnectionLost &) {
                if (attempt >= 3)
                    throw;
            }
        }
    };
    // One stale timeout for the whole study (a worker with a longer one would otherwise have its live trials taken
    // by one with a shorter one): the last worker given one stores it; the others read it at every heartbeat.
    if (w.staleSeconds)
        retried([&] { d->store.setMeta(kWorkerStaleKey, std::to_string(*w.staleSeconds)); });
    double staleSeconds = 60.0;
    auto readStale = [&] {
        const double stored = storedNumber(d->store, kWorkerStaleKey, 60.0);
        staleSeconds = stored >= 1.0 && std::isfinite(stored) ? stored : 60.0;
    };
    readStale();
    retried([&] { return d->store.reapStale(staleSeconds); });
    const std::vector<Trial> existing = d->store.trials();
    if (d->options.targets)
        retried([&] {
            recordCostModels(d->store, specTargets(d->spec), *d->options.targets, std::int64_t(existing.size()));
        });
    const int parallel = std::max(1, d->pool ? std::min(d->options.parallelTrials, d->pool->maxThreadCount())
                                             : d->options.parallelTrials);
    auto finishedCount = [&] { return d->store.trialCounts(StudyStore::TrialKind::Search).finished(); };
    std::string failure;
    int started = 0;
    int restartsWithoutProgress = 0, finishedAtRestart = -1;
    constexpr int kMaxRestartsWithoutProgress = 5;
    for (bool reconnected = true; reconnected;) {
        reconnected = false;
        EarlyStopper stopper(d->spec.earlyStopping, d->spec.training.epochs);
        for (const Trial &t : existing)
            if (!t.parentId && !isImported(t) && (t.state == TrialState::Complete || t.state == TrialState::Pruned))
                stopper.addHistory(t.learningCurve, EarlyStopper::costsOf(d->spec, t.metrics));
        TrialPipeline pipeline(d->store, d->spec, d->trainer, d->data, ctx, {d->options.targets, d->pool, &stopper});
        auto lastBeat = std::chrono::steady_clock::now();
        auto idleSince = std::chrono::steady_clock::now();
        try {
            for (;;) {
                ctx.checkpoint();
                if (seconds(lastBeat) >= staleSeconds / 12.0) {
                    d->store.heartbeat();
                    readStale();
                    d->store.reapStale(staleSeconds); // a dead worker's trials go back to the living
                    lastBeat = std::chrono::steady_clock::now();
                }
                while (pipeline.inFlight() < parallel && (!w.maxTrials || started < *w.maxTrials)) {
                    ctx.checkpoint();
                    const auto id = d->nextWorkerCandidate(pipeline, trialBudget);
                    if (!id)
                        break;
                    pipeline.start(*id);
                    ++started;
                    idleSince = std::chrono::steady_clock::now();
                }
                const std::int64_t finishedNow = finishedCount();
                ctx.progress(std::min(1.0, double(finishedNow) / double(std::max<std::int64_t>(trialBudget, 1))),
                             "trial " + std::to_string(finishedNow) + "/" + std::to_string(trialBudget) + ", " +
                                 std::to_string(pipeline.inFlight()) + " training here");
                if (pipeline.inFlight() == 0) {
                    // Nothing here: done when the study is, or when told to stop; else wait for work (a trial a
                    // dead worker held comes back after the study's stale timeout).
                    if (finishedNow >= trialBudget || (w.maxTrials && started >= *w.maxTrials) ||
                        (w.idleExit && seconds(idleSince) >= *w.idleExit))
                        break;
                    std::this_thread::sleep_for(std::chrono::milliseconds(250));
                    continue;
                }
                for (const Trial &t : pipeline.collect(std::chrono::milliseconds(200)))
                    d->finished(t);
                idleSince = std::chrono::steady_clock::now();
            }
        } catch (const JobCancelled &) {
            d->summary.cancelled = true;
        } catch (const StrategyFailure &e) {
            failure = e.what();
        } catch (const StoreConnectionLost &e) {
            // The server went away inside a transaction (the others reconnect by themselves): nothing of that
            // transaction is stored. Stop what trains here, give back what this worker holds, read the strategy
            // back from the study, and go on; the next call reconnects or throws once the server stays away.
            ctx.progress(0.0, std::string(e.what()) + "; reconnecting");
            reconnected = true;
        }
        pipeline.drain(); // stopped trials go back to Pending, held by nobody
        d->summary.dropped += pipeline.dropped();
        if (reconnected) {
            // Lost inside a transaction again and again with nothing finished in between (a server that ends every
            // session, a statement timeout): give up rather than throw every training away for ever.
            const int finishedNow = int(finishedCount());
            restartsWithoutProgress = finishedNow > finishedAtRestart ? 1 : restartsWithoutProgress + 1;
            finishedAtRestart = finishedNow;
            if (restartsWithoutProgress > kMaxRestartsWithoutProgress)
                throw RuntimeError(d->store.path().string() + ": the connection to the server was lost " +
                                   std::to_string(restartsWithoutProgress) +
                                   " times in a row without a trial finishing; this worker stops (its trials go back "
                                   "to the others)");
            retried([&] { return d->store.releaseHeld(); });
            d->strategyRevision = -1;
            ++d->summary.reconnects;
        }
    }
    if (!failure.empty()) {
        d->store.setMeta(kLastErrorKey, failure);
        throw RuntimeError(failure + "; the study is consistent: workers and 'paretoscope resume' continue it");
    }
    d->summary.finishedTotal = int(finishedCount());
    d->summary.budgetReached = d->summary.finishedTotal >= trialBudget;
    d->summary.seconds = seconds(start);
    return d->summary;
}

} // namespace psc
