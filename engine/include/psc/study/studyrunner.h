// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "psc/study/studyspec.h"
#include "psc/study/trial.h"
#include "psc/study/trialevaluator.h" // architectureMetrics(), kept available to includers of this header

#include <functional>
#include <memory>
#include <optional>
#include <string>

class QThreadPool;

namespace psc {

class JobContext;
class StudyStore;
class Trainer;
class TargetLibrary;
struct Dataset;
namespace plugin {
class StrategyFactory;
}

/** What one call of StudyRunner::run() did. */
struct StudyRunSummary
{
    int trained = 0;       ///< trials trained in this run
    int cached = 0;        ///< trials whose results were reused (same architecture and recipe)
    int infeasible = 0;    ///< rejected by a constraint before training
    int failed = 0;        ///< training threw or diverged
    int pruned = 0;        ///< stopped early by the study's early-stopping rule
    int dropped = 0;       ///< a worker's results dropped: their trials went to other workers meanwhile
    int reconnects = 0;    ///< a worker's restarts after its server connection was lost inside a transaction
    int finishedTotal = 0; ///< finished trials in the study after the run
    bool budgetReached = false;
    bool cancelled = false;
    double seconds = 0.0;
};

/**
 * Drives a study to its budget: asks the strategy for candidates, decodes and analyses them, rejects
 * those that break a constraint known before training, reuses cached results, trains the rest on the
 * heavy pool (several at once if the pool has several threads) and commits every state change before
 * the next step depends on it. Every candidate goes through one TrialPipeline (admit, train, measure, commit),
 * the path compression takes too. Resuming is the same call on a reopened store: trials left Running by a
 * killed process are trained again, the strategy continues from its saved state. A clean stop (ctx cancelled)
 * returns the trials in flight to Pending without counting an interruption.
 *
 * Trials derived from others (`parentId` set, e.g. by CompressionRunner) are not the search's: they neither
 * count toward the trial budget nor serve as cache hits, and the runner never trains them.
 *
 * run() blocks its calling thread (a light-pool job or the CLI's main thread) until the budget is
 * reached or ctx is cancelled; it does not need an event loop. The store, trainer, dataset and factory
 * must outlive the call.
 */
class StudyRunner
{
public:
    struct Options
    {
        /**
         * Overrides the spec's trial budget (total finished trials, not additional ones). It is stored in the study
         * (study_meta "trial_budget"), so a later run without it, e.g. `resume`, goes on to the same budget.
         */
        std::optional<int> trials;
        /**
         * Concurrent trainings; at most the heavy pool's thread count. Without a heavy pool, trainings run inline and
         * this many are asked before any is told (a synchronous batch).
         */
        int parallelTrials = 1;
        /** Hardware targets for "metric@target" objectives and constraints; may be null if none are used. */
        const TargetLibrary *targets = nullptr;
        /**
         * Run as one of several workers sharing the study (the store opened StudyStore::Mode::Shared): take Pending
         * trials nobody holds, else ask the strategy for a new candidate under the study's write lock (the strategy's
         * saved state and every finished trial are read back first, so workers continue one search), keep this
         * worker's trials alive with heartbeats and return those of dead workers to the others. No
         * recoverInterrupted(), no wall-time accounting; `trials` is ignored (the study's budget holds).
         */
        struct Worker
        {
            std::string id; ///< "host:pid:tag", unique among the study's workers
            /**
             * A trial whose holder has been silent this long is given to the others. Given: stored with the study
             * (study_meta worker_stale_seconds) for every worker; not given: the study's, else 60 s. Workers beat
             * every twelfth of it and read the study's value again each time.
             */
            std::optional<double> staleSeconds = 60.0;
            std::optional<int> maxTrials;   ///< this worker stops after starting this many
            std::optional<double> idleExit; ///< and when it has had nothing to do for this long (seconds)
        };
        std::optional<Worker> worker;
    };

    StudyRunner(StudyStore &store, const StudySpec &spec, const plugin::StrategyFactory &strategy, Trainer &trainer,
                const Dataset &data, QThreadPool *heavyPool, Options options);
    ~StudyRunner();

    /**
     * Why a run of the study would train nothing more: "the trial budget of 24 is reached" or "the wall-time budget
     * of 540 s is used up", counted as run() counts (search trials only, a budget set with Options::trials, the run
     * time of earlier runs); "" if a run would go on. Throws InputError for a damaged study. Any thread.
     */
    static std::string budgetSpent(const StudyStore &store, const StudySpec &spec);

    /** Called on run()'s thread after each trial is committed. */
    void setTrialFinishedCallback(std::function<void(const Trial &)> callback);

    /**
     * Runs to the budget. Throws InputError for a spec the engine cannot run (e.g. a metric a target does not
     * report) or a damaged study (its stored strategy state or run time do not read back). Whatever it throws,
     * every training it started has stopped and returned before it does.
     */
    StudyRunSummary run(JobContext &ctx);

private:
    StudyRunSummary runWorker(JobContext &ctx);
    struct Impl;
    std::unique_ptr<Impl> d;
};

} // namespace psc
