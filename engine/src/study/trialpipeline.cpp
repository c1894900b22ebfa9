// SPDX-License-Identifier: GPL-3.0-or-later
#include "psc/study/trialpipeline.h"

#include "psc/core/error.h"
#include "psc/data/dataset.h"
#include "psc/jobs/jobcontext.h"
#include "psc/net/networkparser.h"
#include "psc/study/earlystopping.h"
#include "psc/study/studyspec.h"
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

namespace psc {

namespace {

double nowSeconds()
{
    return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

} // namespace

std::uint64_t trialSeed(std::uint64_t studySeed, std::int64_t trialNumber)
{
    return studySeed * 0x9E3779B97F4A7C15ULL + std::uint64_t(trialNumber) + 1;
}

struct TrialPipeline::Impl
{
    StudyStore &store;
    const StudySpec &spec;
    Trainer &trainer;
    const Dataset &data;
    Options options;
    TrialEvaluator evaluator;
    /// The trainings' context: cancelled with the caller's, or alone when the pipeline drains.
    JobContext guard;

    /** A Pending trial and what training it needs, kept from admit()/adopt() until start(). */
    struct Work
    {
        Trial trial; ///< as stored, with the metrics measured before training
        NetworkDescription network;
        TrainingRecipe recipe;
        std::optional<TrainedModel> start;
        std::function<void(double, const std::string &)> progress;
        std::atomic<double> fraction{0.0};
    };
    /** What a training hands back to the owning thread. */
    struct Done
    {
        std::int64_t id = 0;
        std::optional<TrainResult> result;
        double deployedAccuracy = std::nan("");
        WeightValues weightValues;        ///< of the deployed model, for costs that depend on the trained weights
        std::vector<AnalogRecord> analog; ///< analog accuracy per analog target of the spec
        std::string error;
        bool cancelled = false;
    };

    std::map<std::int64_t, std::unique_ptr<Work>> ready;    ///< admitted or adopted, not started
    std::map<std::int64_t, std::unique_ptr<Work>> inFlight; ///< started, not collected (owner thread only)
    mutable std::mutex mutex;
    std::condition_variable wake;
    std::deque<Done> done;  ///< guarded by mutex
    int droppedResults = 0; ///< owner thread only

    Impl(StudyStore &s, const StudySpec &sp, Trainer &t, const Dataset &d, JobContext &ctx, Options o)
        : store(s), spec(sp), trainer(t), data(d), options(o), evaluator(sp, o.targets), guard(&ctx, nullptr)
    {}

    /** Runs on a pool thread (or inline). Touches nothing of the pipeline but `work` and, last, the done queue. */
    void train(Work &work)
    {
        Done d;
        d.id = work.trial.id;
        JobContext child(&guard, [&work](double f, const std::string &text) {
            work.fraction = f;
            if (work.progress)
                work.progress(f, text);
        });
        try {
            const std::uint64_t seed = trialSeed(spec.seed, work.trial.number);
            EpochObserver onEpoch;
            if (EarlyStopper *stopper = options.earlyStopper; stopper && stopper->enabled()) {
                stopper->setCosts(work.trial.id, EarlyStopper::costsOf(spec, work.trial.metrics));
                onEpoch = [stopper, id = work.trial.id](int epoch, double value) {
                    return stopper->report(id, epoch, value);
                };
            }
            d.result = work.start ? trainer.fineTune(*work.start, work.recipe, data, seed, child)
                                  : trainer.train(work.network, work.recipe, data, seed, child, onEpoch);
            if (!d.result->stoppedEarly) {
                child.progress(1.0, "integer inference");
                TrialEvaluator::Deployed deployed = evaluator.deploy(*d.result, data, work.recipe, &child);
                d.deployedAccuracy = deployed.accuracy;
                d.weightValues = std::move(deployed.weightValues);
                d.analog = std::move(deployed.analog);
            }
        } catch (const JobCancelled &) {
            d.cancelled = true;
            d.result.reset();
        } catch (const std::exception &e) {
            d.error = e.what();
            d.result.reset();
        }
        // Notify under the lock: once the owner sees this entry it may destroy the pipeline, so nothing here
        // may touch the pipeline after the lock is released.
        std::lock_guard lock(mutex);
        done.push_back(std::move(d));
        wake.notify_all();
    }

    /** Finishes one returned training on the owning thread; the committed trial, or nullopt if it was stopped. */
    std::optional<Trial> finish(Done d)
    {
        auto node = inFlight.extract(d.id);
        Work &work = *node.mapped();
        if (d.cancelled) {
            // A clean stop: the trial is trained again by the next run and no interruption is counted.
            store.returnToPending(d.id);
            return std::nullopt;
        }
        std::vector<Metric> metrics = work.trial.metrics;
        TrialState state = TrialState::Failed;
        std::string error = d.error;
        if (d.result && d.result->stoppedEarly) {
            metrics.push_back({"", "accuracy", d.result->validationAccuracy});
            metrics.push_back({"", "train_seconds", d.result->trainSeconds});
            state = TrialState::Pruned;
            error = options.earlyStopper ? options.earlyStopper->why(d.id) : std::string();
            if (error.empty())
                error = "stopped early after epoch " + std::to_string(d.result->epochs);
        } else if (d.result) {
            // Costs again from the trained weights, on the architecture the candidate was costed as.
            std::string why, limits;
            if (!d.weightValues.empty())
                metrics = evaluator.withTrainedWeights(
                    std::move(metrics),
                    work.trial.architectureJson.empty()
                        ? work.network
                        : parseNetworkJson(work.trial.architectureJson, "trial " + std::to_string(work.trial.number)),
                    d.weightValues, &limits);
            metrics = evaluator.afterTraining(std::move(metrics), *d.result, d.deployedAccuracy, &why, d.analog);
            if (!limits.empty())
                why += (why.empty() ? "" : "; ") + limits;
            state = why.empty() ? TrialState::Complete : TrialState::Infeasible;
            error = why;
        }
        store.writeBatch([&] {
            if (d.result && !d.result->weights.empty())
                store.putArtifact(d.id, "weights", d.result->weightsFormat, d.result->weights);
            store.finishTrial(d.id, state, metrics, error, nowSeconds());
            for (AnalogRecord &a : d.analog)
                a.trialId = d.id;
            if (state != TrialState::Failed && !d.analog.empty())
                store.putAnalogAccuracy(d.analog);
            if (d.result && !d.result->validationCurve.empty())
                store.putLearningCurve(d.id, d.result->validationCurve);
        });
        if (auto committed = store.trial(d.id))
            return committed;
        work.trial.state = state;
        work.trial.metrics = std::move(metrics);
        work.trial.error = std::move(error);
        if (d.result)
            work.trial.learningCurve = d.result->validationCurve;
        return work.trial;
    }

    std::vector<Trial> collect(std::chrono::milliseconds timeout, bool all)
    {
        std::vector<Trial> finished;
        std::unique_lock lock(mutex);
        if (all)
            wake.wait(lock, [&] { return done.size() >= inFlight.size(); });
        else if (!inFlight.empty())
            wake.wait_for(lock, timeout, [&] { return !done.empty(); });
        while (!done.empty()) {
            Done d = std::move(done.front());
            done.pop_front();
            lock.unlock();
            const std::int64_t id = d.id;
            try {
                if (auto t = finish(std::move(d)))
                    finished.push_back(std::move(*t));
            } catch (const TrialNotHeld &) {
                ++droppedResults; // another worker trains it: nothing of ours was committed
            } catch (...) {
                // The result could not be committed (the store failed): the trial is not left Running, so a
                // resume trains it again without counting an interruption. The error goes to the caller.
                try {
                    store.returnToPending(id);
                } catch (const std::exception &) {
                }
                throw;
            }
            lock.lock();
        }
        return finished;
    }

    /** Stops and waits for every training; never throws (it runs on the way out of an exception). */
    void drain() noexcept
    {
        if (inFlight.empty())
            return;
        guard.cancel();
        std::unique_lock lock(mutex);
        wake.wait(lock, [&] { return done.size() >= inFlight.size(); });
        // Every training has returned; from here on nothing runs on the pool on our behalf. Commit what can be.
        std::deque<Done> returned = std::move(done);
        done.clear();
        lock.unlock();
        for (Done &d : returned) {
            try {
                finish(std::move(d));
            } catch (const std::exception &) {
                // The store failed: the trial stays Running and the next resume trains it again.
            }
        }
        inFlight.clear();
    }
};

TrialPipeline::TrialPipeline(StudyStore &store, const StudySpec &spec, Trainer &trainer, const Dataset &data,
                             JobContext &ctx, Options options)
    : d(std::make_unique<Impl>(store, spec, trainer, data, ctx, options))
{}

TrialPipeline::~TrialPipeline()
{
    d->drain();
}

Trial TrialPipeline::admit(TrialCandidate c, const std::function<void()> &alsoWrite)
{
    auto work = std::make_unique<Impl::Work>();
    Trial &t = work->trial;
    t.architectureJson = networkToJson(c.network, false);
    t.architectureHash = std::move(c.architectureHash);
    t.parametersJson = std::move(c.parametersJson);
    t.proposedBy = std::move(c.proposedBy);
    t.recipeJson = c.recipe.canonicalJson();
    t.parentId = c.parentId;
    t.createdAt = nowSeconds();
    std::string why;
    try {
        t.metrics = d->evaluator.beforeTraining(c.network, &why);
    } catch (const InputError &e) {
        t.state = TrialState::Failed;
        t.error = std::string("invalid architecture: ") + e.what();
    }
    if (t.state == TrialState::Pending) {
        if (!why.empty()) {
            t.state = TrialState::Infeasible; // not worth training
            t.error = why;
        } else if (c.useCache && !c.parentId) {
            if (auto hit = d->store.findCompleted(t.architectureHash, t.recipeJson)) {
                t.state = TrialState::Complete;
                t.cachedFrom = hit->id;
                t.metrics = hit->metrics;
            }
        }
    }
    if (t.state != TrialState::Pending)
        t.finishedAt = nowSeconds();
    d->store.writeBatch([&] {
        d->store.insertTrial(t);
        if (alsoWrite)
            alsoWrite();
    });
    if (t.state == TrialState::Pending) {
        work->network = std::move(c.network);
        work->recipe = std::move(c.recipe);
        work->start = std::move(c.start);
        const Trial inserted = t;
        d->ready[inserted.id] = std::move(work);
        return inserted;
    }
    return t;
}

void TrialPipeline::adopt(const Trial &pending, const TrainingRecipe &recipe, std::optional<TrainedModel> start)
{
    auto work = std::make_unique<Impl::Work>();
    work->trial = pending;
    work->recipe = recipe;
    if (start) {
        work->network = start->network;
        work->start = std::move(start);
    } else {
        work->network = parseNetworkJson(pending.architectureJson, "trial " + std::to_string(pending.number));
    }
    d->ready[pending.id] = std::move(work);
}

void TrialPipeline::start(std::int64_t id, std::function<void(double, const std::string &)> progress)
{
    if (d->inFlight.count(id))
        throw std::logic_error("TrialPipeline::start: trial id " + std::to_string(id) + " is already training");
    auto node = d->ready.extract(id);
    if (node.empty())
        throw std::logic_error("TrialPipeline::start: trial id " + std::to_string(id) + " was not admitted");
    Impl::Work *work = node.mapped().get();
    work->progress = std::move(progress);
    work->trial.startedAt = nowSeconds();
    d->store.markRunning(id, work->trial.startedAt);
    work->trial.state = TrialState::Running;
    d->inFlight.insert(std::move(node));
    if (d->options.heavyPool)
        d->options.heavyPool->start([impl = d.get(), work] { impl->train(*work); });
    else
        d->train(*work);
}

std::vector<Trial> TrialPipeline::collect(std::chrono::milliseconds timeout)
{
    return d->collect(timeout, false);
}

std::vector<Trial> TrialPipeline::finishAll()
{
    return d->collect(std::chrono::milliseconds(0), true);
}

void TrialPipeline::drain()
{
    d->drain();
}

int TrialPipeline::inFlight() const
{
    return int(d->inFlight.size());
}

bool TrialPipeline::isInFlight(std::int64_t id) const
{
    return d->inFlight.count(id) > 0;
}

int TrialPipeline::dropped() const
{
    return d->droppedResults;
}

double TrialPipeline::inFlightProgress() const
{
    double sum = 0.0;
    for (const auto &[id, work] : d->inFlight)
        sum += work->fraction.load();
    return sum;
}

bool TrialPipeline::isTraining(const std::string &architectureHash) const
{
    for (const auto &[id, work] : d->inFlight)
        if (work->trial.architectureHash == architectureHash)
            return true;
    return false;
}

} // namespace psc
