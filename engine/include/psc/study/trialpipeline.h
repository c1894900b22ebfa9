// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "psc/net/network.h"
#include "psc/quant/trainedmodel.h"
#include "psc/study/trial.h"
#include "psc/train/trainingrecipe.h"

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

class QThreadPool;

namespace psc {

class EarlyStopper;

class JobContext;
class StudyStore;
class Trainer;
class TargetLibrary;
struct Dataset;
struct StudySpec;

/**
 * Something that may become a trial: a search strategy's candidate, a compression variant of a trained model,
 * (next) a noise-aware child or an imported model. The network travels as a value; it is turned into JSON text
 * only once, when the trial is stored.
 */
struct TrialCandidate
{
    NetworkDescription network;
    std::string architectureHash;
    std::string parametersJson; ///< what produced it (search choices, {"compress": ..., "parent": N}, ...)
    std::string proposedBy;     ///< Trial::proposedBy
    TrainingRecipe recipe;
    std::optional<std::int64_t> parentId;
    /// Fine-tune from this trained model (Trainer::fineTune()) instead of training `network` from scratch;
    /// `start->network` is then `network`.
    std::optional<TrainedModel> start;
    /// Search candidates may reuse a Complete trial of the same architecture and recipe; derived ones never do.
    bool useCache = true;
};

/** A trial's seed: the study seed mixed with the trial number (docs/design.md). */
std::uint64_t trialSeed(std::uint64_t studySeed, std::int64_t trialNumber);

/**
 * The one path from a candidate to its stored metrics, shared by the search (StudyRunner), compression
 * (CompressionRunner) and whatever derives trials next:
 *
 *   admit():   analysis and target costs once, constraints known before training, the cache -> the trial is
 *              inserted Infeasible, Failed, Complete (a cache hit) or Pending;
 *   start():   Pending -> Running, train or fine-tune on the heavy pool (or inline without a pool), then the
 *              deployed (integer) accuracy;
 *   collect(): the finished trainings' metrics, constraints after training, weights -> the trial is finished
 *              and committed, and handed back as stored.
 *
 * Every state change is committed before the next step depends on it. The pipeline owns the work in flight and
 * drains it on every exit path: its destructor (and drain()) stops the trainings it started (a cancellation of
 * their own, not the caller's), waits until each has returned and puts the stopped trials back to Pending without
 * counting an interruption. So a caller that leaves by an exception (a database error, say) leaves no training
 * running on the pool and no trial Running in the store.
 *
 * Threads: one owning thread calls every method; trainings run on `heavyPool` and touch neither the store nor the
 * owner's state. The store, spec, trainer, dataset and targets must outlive the pipeline; `ctx` is the run's
 * context (its cancellation and pause reach every training).
 */
class TrialPipeline
{
public:
    struct Options
    {
        /** Hardware targets for "metric@target" objectives and constraints; may be null if none are used. */
        const TargetLibrary *targets = nullptr;
        /** Where trainings run; null runs them inline in start(). */
        QThreadPool *heavyPool = nullptr;
        /**
         * Judges every training after each epoch; a stopped training's trial ends Pruned with its learning curve,
         * its last validation accuracy and the stopper's reason as its error. Null: every training runs to the end.
         */
        EarlyStopper *earlyStopper = nullptr;
    };

    /** Throws InputError if an objective or constraint names a target `options.targets` does not have. */
    TrialPipeline(StudyStore &store, const StudySpec &spec, Trainer &trainer, const Dataset &data, JobContext &ctx,
                  Options options);
    /** Drains: see the class comment. Never throws. */
    ~TrialPipeline();
    TrialPipeline(const TrialPipeline &) = delete;
    TrialPipeline &operator=(const TrialPipeline &) = delete;

    /**
     * Measures `candidate` before training and inserts it as a trial; returns the trial as inserted (Pending if it
     * is to be trained: pass it to start()). `alsoWrite` (if given) runs inside the same transaction as the
     * insert, e.g. to store the strategy state that produced the candidate.
     */
    Trial admit(TrialCandidate candidate, const std::function<void()> &alsoWrite = {});

    /**
     * A Pending trial from the store (left by an interrupted run) with what is needed to train it again; the
     * network is read back from its architecture once. `start` is the model to fine-tune for derived trials.
     */
    void adopt(const Trial &pending, const TrainingRecipe &recipe, std::optional<TrainedModel> start = {});

    /**
     * Starts training the Pending trial `id` (admitted or adopted); commits Running first. `progress` (if given)
     * receives the training's progress on the training's thread (a pool thread, or this one without a pool);
     * inFlightProgress() reports the same fractions to the owning thread.
     */
    void start(std::int64_t id, std::function<void(double fraction, const std::string &text)> progress = {});

    /**
     * Waits up to `timeout` for at least one training to finish, then finishes every trial whose training has
     * returned and commits it. Returns those trials as stored, in the order they finished. A training stopped by
     * a cancellation returns its trial to Pending (committed) and is not in the result; so is one whose trial went to
     * another worker meanwhile (dropped()).
     */
    std::vector<Trial> collect(std::chrono::milliseconds timeout);

    /** Waits for every training and collects it (as collect()). */
    std::vector<Trial> finishAll();

    /**
     * Stops the trainings in flight (they return their trials to Pending) and waits for them. The pipeline is
     * spent afterwards: a training started later stops at once.
     */
    void drain();

    int inFlight() const;
    /** True while trial `id` is being trained here (started, not collected). */
    bool isInFlight(std::int64_t id) const;
    /** Results dropped because another worker took their trial meanwhile (StudyStore::TrialNotHeld). */
    int dropped() const;
    /** Sum over the trainings in flight of their progress fractions. */
    double inFlightProgress() const;
    /** True if a trial with this architecture hash is being trained now. */
    bool isTraining(const std::string &architectureHash) const;

private:
    struct Impl;
    std::unique_ptr<Impl> d;
};

} // namespace psc
