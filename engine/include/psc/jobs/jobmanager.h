// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "psc/jobs/jobcontext.h"

#include <QObject>
#include <QString>
#include <QThreadPool>

#include <map>
#include <memory>
#include <mutex>

namespace psc {

/** A unit of background work. run() executes on a pool thread and never touches widgets. */
class Job
{
public:
    virtual ~Job() = default;
    virtual QString title() const = 0;
    /** Does the work; calls ctx.checkpoint() regularly. Throws to fail (JobCancelled when cancelled). */
    virtual void run(JobContext &ctx) = 0;
};

enum class PoolKind
{
    Heavy, ///< training: few threads, each using several torch threads
    Light, ///< cost models, Pareto recomputation, I/O, study coordination
};

enum class JobStatus
{
    Succeeded,
    Failed,
    Cancelled,
};

/**
 * How the cores are shared: `heavyThreads` concurrent training tasks, each with `torchThreads` intra-op
 * threads, such that heavyThreads * torchThreads <= cores. Small networks parallelise poorly inside one
 * operator, so several single-threaded trainings beat one multi-threaded one (measured in
 * bench_ml_training); the default therefore runs one training per core.
 */
struct ThreadBudget
{
    int cores = 1;
    int heavyThreads = 1;
    int torchThreads = 1;
    int lightThreads = 2;

    /** The default for `cores` cores (QThread::idealThreadCount() if 0), overridable by $PSC_PARALLEL_TRIALS. */
    static ThreadBudget forMachine(int cores = 0);
};

using JobId = quint64;

/**
 * Runs jobs on two thread pools and reports on the thread the manager lives in (the GUI thread) through
 * queued signals. Owns the pools; destroying the manager cancels every job and waits for them.
 */
class JobManager : public QObject
{
    Q_OBJECT
public:
    explicit JobManager(const ThreadBudget &budget, QObject *parent = nullptr);
    ~JobManager() override;

    JobId submit(std::unique_ptr<Job> job, PoolKind pool);
    void cancel(JobId id);
    void pause(JobId id);
    void resume(JobId id);
    void cancelAll();
    /** Blocks until all jobs have finished or `msecs` elapsed (-1: forever). For shutdown and tests. */
    bool waitForDone(int msecs = -1);
    bool isRunning(JobId id) const;
    int activeJobs() const;

    QThreadPool *pool(PoolKind kind) { return kind == PoolKind::Heavy ? &m_heavy : &m_light; }
    const ThreadBudget &budget() const { return m_budget; }

Q_SIGNALS:
    void jobStarted(psc::JobId id, const QString &title);
    void jobProgress(psc::JobId id, double fraction, const QString &text);
    void jobFinished(psc::JobId id, psc::JobStatus status, const QString &message);

private:
    std::shared_ptr<JobContext> context(JobId id) const;

    ThreadBudget m_budget;
    QThreadPool m_heavy;
    QThreadPool m_light;
    mutable std::mutex m_mutex;
    std::map<JobId, std::shared_ptr<JobContext>> m_contexts;
    JobId m_nextId = 1;
};

} // namespace psc
