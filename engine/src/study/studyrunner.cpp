// SPDX-License-Identifier: GPL-3.0-or-later
#include "psc/study/studyrunner.h"

#include "psc/core/error.h"
#include "psc/data/dataset.h"
#include "psc/jobs/jobcontext.h"
#include "psc/net/networkparser.h"
#include "psc/plugin/searchstrategy.h"
#include "psc/space/searchspace.h"
#include "psc/study/studystore.h"
#include "psc/study/trialevaluator.h"
#include "psc/train/trainer.h"

#include <QThreadPool>

#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <set>

namespace psc {
namespace {

double nowSeconds()
{
    return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::optional<double> findMetric(const std::vector<Metric> &metrics, const MetricRef &ref)
{
    for (const Metric &m : metrics)
        if (m.name == ref.name && m.target == ref.target)
            return m.value;
    return std::nullopt;
}

constexpr const char *kStrategyStateKey = "strategy_state";
constexpr const char *kElapsedKey = "elapsed_seconds";

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
    TrialEvaluator evaluator;
    std::unique_ptr<plugin::SearchStrategy> strategy;
    std::string recipeJson;
    std::set<std::string> seenHashes;
    std::deque<Trial> pendingFromStore; ///< trials a killed run left behind, trained first

    struct InFlight
    {
        Trial trial;
        Encoding encoding;
        std::vector<Metric> archMetrics;
        std::atomic<double> fraction{0.0};
    };
    struct Done
    {
        std::int64_t id = 0;
        std::optional<TrainResult> result;
        double deployedAccuracy = std::nan("");
        std::string error;
        bool cancelled = false;
    };
    std::map<std::int64_t, std::unique_ptr<InFlight>> inFlight;
    std::mutex mutex;
    std::condition_variable wake;
    std::deque<Done> done;
    StudyRunSummary summary;

    Impl(StudyStore &s, const StudySpec &sp, const plugin::StrategyFactory &f, Trainer &t, const Dataset &d,
         QThreadPool *p, Options o)
        : store(s), spec(sp), factory(f), trainer(t), data(d), pool(p), options(o), space(sp.searchSpace),
          evaluator(sp, o.targets), recipeJson(sp.training.canonicalJson())
    {}

    std::vector<double> objectiveVector(const std::vector<Metric> &metrics) const
    {
        std::vector<double> v;
        for (const Objective &o : spec.objectives) {
            const double x = findMetric(metrics, o.metric).value_or(std::nan(""));
            v.push_back(o.direction == Direction::Maximize ? -x : x);
        }
        return v;
    }

    Encoding encodingOf(const Trial &t) const
    {
        try {
            return space.encode(t.parametersJson);
        } catch (const InputError &) {
            return {};
        }
    }

    void tell(const Trial &t, const std::vector<Metric> &metrics, bool feasible)
    {
        const Encoding x = encodingOf(t);
        if (!x.empty() || space.dimensions().empty())
            strategy->tell(x, objectiveVector(metrics), feasible);
    }

    void finished(const Trial &committed)
    {
        if (onFinished)
            onFinished(committed);
    }

    /** A decoded candidate not yet in the store. */
    struct Candidate
    {
        Encoding encoding;
        DecodedCandidate decoded;
    };
    /** A candidate whose architecture is being trained right now: it waits to become a cache hit. */
    std::optional<Candidate> deferred;

    bool trainingNow(const std::string &hash) const
    {
        for (const auto &[id, job] : inFlight)
            if (job->trial.architectureHash == hash)
                return true;
        return false;
    }

    /**
     * Inserts the next candidate: Infeasible, a cache hit (Complete), or Pending to be trained (returned).
     * Sets `blocked` if the candidate's architecture is in training; it is kept and retried later.
     */
    std::optional<Trial> nextCandidate(bool &blocked)
    {
        blocked = false;
        if (!pendingFromStore.empty()) {
            Trial t = pendingFromStore.front();
            pendingFromStore.pop_front();
            return t;
        }
        if (!deferred) {
            Candidate next;
            for (int attempt = 0; attempt < 64; ++attempt) {
                next.encoding = strategy->ask();
                next.decoded = space.decode(next.encoding);
                if (!seenHashes.count(next.decoded.architectureHash))
                    break; // a repeat would only be a cache hit; give the budget to something new
            }
            seenHashes.insert(next.decoded.architectureHash);
            deferred = std::move(next);
        }
        if (trainingNow(deferred->decoded.architectureHash)) {
            blocked = true; // never train an architecture twice, even concurrently
            return std::nullopt;
        }
        const DecodedCandidate c = std::move(deferred->decoded);
        deferred.reset();

        Trial t;
        t.architectureJson = networkToJson(c.network, false);
        t.architectureHash = c.architectureHash;
        t.parametersJson = c.parametersJson;
        t.recipeJson = recipeJson;
        t.createdAt = nowSeconds();
        std::string why;
        try {
            t.metrics = evaluator.beforeTraining(c.network, &why);
        } catch (const InputError &e) {
            t.state = TrialState::Failed;
            t.error = std::string("invalid architecture: ") + e.what();
        }
        if (t.state == TrialState::Pending) {
            if (!why.empty()) {
                t.state = TrialState::Infeasible;
                t.error = why;
            } else if (auto hit = store.findCompleted(t.architectureHash, recipeJson)) {
                t.state = TrialState::Complete;
                t.cachedFrom = hit->id;
                t.metrics = hit->metrics;
            }
        }
        if (t.state != TrialState::Pending)
            t.finishedAt = nowSeconds();
        // The new trial and the strategy state that produced it commit together, so a resumed study
        // neither repeats nor skips a candidate.
        const std::string state = strategy->saveState();
        store.writeBatch([&] {
            store.insertTrial(t);
            store.setMeta(kStrategyStateKey, state);
        });
        switch (t.state) {
        case TrialState::Infeasible:
            ++summary.infeasible;
            tell(t, t.metrics, false);
            finished(t);
            return std::nullopt;
        case TrialState::Failed:
            ++summary.failed;
            tell(t, t.metrics, false);
            finished(t);
            return std::nullopt;
        case TrialState::Complete:
            ++summary.cached;
            tell(t, t.metrics, true);
            finished(t);
            return std::nullopt;
        default:
            return t;
        }
    }

    void launch(Trial t, JobContext &ctx)
    {
        auto job = std::make_unique<InFlight>();
        job->trial = t;
        job->encoding = encodingOf(t);
        try {
            job->archMetrics = evaluator.beforeTraining(parseNetworkJson(t.architectureJson, "trial"));
        } catch (const std::exception &) {
            job->archMetrics = t.metrics; // what was stored when the trial was created
        }
        store.markRunning(t.id, nowSeconds());
        InFlight *raw = job.get();
        inFlight[t.id] = std::move(job);
        const std::uint64_t seed = spec.seed * 0x9E3779B97F4A7C15ULL + std::uint64_t(t.number) + 1;
        auto task = [this, raw, seed, &ctx] {
            Done d;
            d.id = raw->trial.id;
            JobContext child(&ctx, [raw](double f, const std::string &) { raw->fraction = f; });
            try {
                const NetworkDescription net = parseNetworkJson(raw->trial.architectureJson, "trial");
                d.result = trainer.train(net, spec.training, data, seed, child);
                d.deployedAccuracy = TrialEvaluator::deployedAccuracy(*d.result, data, spec.training, &child);
            } catch (const JobCancelled &) {
                d.cancelled = true;
            } catch (const std::exception &e) {
                d.error = e.what();
            }
            {
                std::lock_guard lock(mutex);
                done.push_back(std::move(d));
            }
            wake.notify_all();
        };
        if (pool)
            pool->start(task);
        else
            task();
    }

    void complete(Done d)
    {
        auto node = inFlight.extract(d.id);
        InFlight &job = *node.mapped();
        if (d.cancelled)
            return; // stays Running; recoverInterrupted() on the next resume trains it again
        std::vector<Metric> metrics = job.archMetrics;
        TrialState state = TrialState::Complete;
        std::string error = d.error;
        if (d.result) {
            std::string why;
            metrics = evaluator.afterTraining(std::move(metrics), *d.result, d.deployedAccuracy, &why);
            if (!why.empty()) {
                state = TrialState::Infeasible;
                error = why;
            }
        } else {
            state = TrialState::Failed;
        }
        store.writeBatch([&] {
            if (d.result && !d.result->weights.empty())
                store.putArtifact(d.id, "weights", d.result->weightsFormat, d.result->weights);
            store.finishTrial(d.id, state, metrics, error, nowSeconds());
        });
        if (state == TrialState::Complete)
            ++summary.trained;
        else if (state == TrialState::Infeasible)
            ++summary.infeasible;
        else
            ++summary.failed;
        tell(job.trial, metrics, state == TrialState::Complete);
        if (auto committed = store.trial(d.id))
            finished(*committed);
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

StudyRunSummary StudyRunner::run(JobContext &ctx)
{
    const auto start = std::chrono::steady_clock::now();
    d->summary = {};
    d->strategy = d->factory.create();
    d->strategy->initialize(d->space.cardinalities(), d->spec.seed);
    if (auto state = d->store.meta(kStrategyStateKey))
        d->strategy->loadState(*state);

    d->store.recoverInterrupted();
    for (const Trial &t : d->store.trials()) {
        if (t.parentId)
            continue; // derived trials (compression) are the CompressionRunner's; they do not count toward the budget
        d->seenHashes.insert(t.architectureHash);
        if (t.state == TrialState::Pending)
            d->pendingFromStore.push_back(t);
    }
    const double elapsedBefore = std::stod(d->store.meta(kElapsedKey).value_or("0"));
    const std::int64_t trialBudget = d->options.trials ? *d->options.trials : d->spec.budget.trials.value_or(INT32_MAX);
    const double timeBudget = d->spec.budget.wallTimeSeconds.value_or(INFINITY);
    const int parallel = std::max(1, d->pool ? std::min(d->options.parallelTrials, d->pool->maxThreadCount()) : 1);

    auto elapsed = [&] {
        return elapsedBefore + std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    };
    auto finishedCount = [&] { return d->store.trialCounts(StudyStore::TrialKind::Search).finished(); };
    auto reportProgress = [&] {
        double inFlightFraction = 0.0;
        for (auto &[id, job] : d->inFlight)
            inFlightFraction += job->fraction.load();
        const double f = trialBudget < INT32_MAX ? (double(finishedCount()) + inFlightFraction) /
                                                       double(std::max<std::int64_t>(trialBudget, 1))
                                                 : elapsed() / timeBudget;
        ctx.progress(std::min(1.0, f), "trial " + std::to_string(finishedCount()) + "/" +
                                           (trialBudget < INT32_MAX ? std::to_string(trialBudget) : std::string("?")) +
                                           ", " + std::to_string(d->inFlight.size()) + " training");
    };

    bool stopLaunching = false;
    try {
        for (;;) {
            ctx.checkpoint();
            // Launch while there is room and budget left (in-flight trials count against the budget).
            while (!stopLaunching && int(d->inFlight.size()) < parallel) {
                if (finishedCount() + std::int64_t(d->inFlight.size()) >= trialBudget || elapsed() >= timeBudget) {
                    stopLaunching = true;
                    break;
                }
                ctx.checkpoint();
                bool blocked = false;
                if (auto t = d->nextCandidate(blocked))
                    d->launch(*t, ctx);
                reportProgress();
                if (blocked)
                    break;
            }
            if (d->inFlight.empty())
                break;
            std::unique_lock lock(d->mutex);
            d->wake.wait_for(lock, std::chrono::milliseconds(200), [&] { return !d->done.empty(); });
            while (!d->done.empty()) {
                Impl::Done done = std::move(d->done.front());
                d->done.pop_front();
                lock.unlock();
                d->complete(std::move(done));
                lock.lock();
            }
            lock.unlock();
            reportProgress();
        }
    } catch (const JobCancelled &) {
        d->summary.cancelled = true;
    }
    // Let in-flight trainings notice the cancellation and return before the store goes away.
    while (!d->inFlight.empty()) {
        std::unique_lock lock(d->mutex);
        d->wake.wait(lock, [&] { return !d->done.empty(); });
        Impl::Done done = std::move(d->done.front());
        d->done.pop_front();
        lock.unlock();
        d->complete(std::move(done));
    }
    d->store.setMeta(kElapsedKey, std::to_string(elapsed()));
    d->summary.finishedTotal = int(finishedCount());
    d->summary.budgetReached = d->summary.finishedTotal >= trialBudget || elapsed() >= timeBudget;
    d->summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return d->summary;
}

} // namespace psc
