// SPDX-License-Identifier: GPL-3.0-or-later
#include "psc/jobs/jobmanager.h"

#include <QMetaObject>
#include <QPointer>
#include <QRunnable>
#include <QThread>

#include <chrono>
#include <cstdlib>

namespace psc {

ThreadBudget ThreadBudget::forMachine(int cores)
{
    ThreadBudget b;
    b.cores = cores > 0 ? cores : std::max(1, QThread::idealThreadCount());
    b.heavyThreads = b.cores;
    if (const char *env = std::getenv("PSC_PARALLEL_TRIALS"); env && std::atoi(env) > 0)
        b.heavyThreads = std::min(b.cores, std::atoi(env));
    b.torchThreads = std::max(1, b.cores / b.heavyThreads);
    // Light work is short and mostly waits (I/O, coordination); two threads keep a coordinator from
    // starving a cost-model job.
    b.lightThreads = 2;
    return b;
}

JobManager::JobManager(const ThreadBudget &budget, QObject *parent) : QObject(parent), m_budget(budget)
{
    m_heavy.setMaxThreadCount(budget.heavyThreads);
    m_light.setMaxThreadCount(budget.lightThreads);
    m_heavy.setObjectName(QStringLiteral("psc-heavy"));
    m_light.setObjectName(QStringLiteral("psc-light"));
}

JobManager::~JobManager()
{
    cancelAll();
    m_light.waitForDone();
    m_heavy.waitForDone();
}

JobId JobManager::submit(std::unique_ptr<Job> job, PoolKind kind)
{
    QPointer<JobManager> self(this);
    JobId jobId = 0;
    {
        std::lock_guard lock(m_mutex);
        jobId = m_nextId++;
    }
    // Progress is throttled to ~20 updates per second so a fast loop cannot flood the event queue.
    auto lastEmit = std::make_shared<std::chrono::steady_clock::time_point>();
    auto ctx = std::make_shared<JobContext>([self, lastEmit, jobId](double fraction, const std::string &text) {
        const auto now = std::chrono::steady_clock::now();
        if (fraction < 1.0 && now - *lastEmit < std::chrono::milliseconds(50))
            return;
        *lastEmit = now;
        QMetaObject::invokeMethod(
            self.data(),
            [self, jobId, fraction, t = QString::fromStdString(text)] {
                if (self)
                    Q_EMIT self->jobProgress(jobId, fraction, t);
            },
            Qt::QueuedConnection);
    });
    {
        std::lock_guard lock(m_mutex);
        m_contexts[jobId] = ctx;
    }

    const QString title = job->title();
    std::shared_ptr<Job> shared(std::move(job));
    QRunnable *task = QRunnable::create([self, shared, ctx, jobId, title] {
        if (self)
            QMetaObject::invokeMethod(
                self.data(),
                [self, jobId, title] {
                    if (self)
                        Q_EMIT self->jobStarted(jobId, title);
                },
                Qt::QueuedConnection);
        JobStatus status = JobStatus::Succeeded;
        QString message;
        try {
            ctx->checkpoint();
            shared->run(*ctx);
        } catch (const JobCancelled &) {
            status = JobStatus::Cancelled;
            message = QStringLiteral("cancelled");
        } catch (const std::exception &e) {
            status = JobStatus::Failed;
            message = QString::fromUtf8(e.what());
        }
        if (status == JobStatus::Succeeded && ctx->cancelled())
            status = JobStatus::Cancelled;
        if (self)
            QMetaObject::invokeMethod(
                self.data(),
                [self, jobId, status, message] {
                    if (!self)
                        return;
                    {
                        std::lock_guard lock(self->m_mutex);
                        self->m_contexts.erase(jobId);
                    }
                    Q_EMIT self->jobFinished(jobId, status, message);
                },
                Qt::QueuedConnection);
    });
    pool(kind)->start(task);
    return jobId;
}

std::shared_ptr<JobContext> JobManager::context(JobId id) const
{
    std::lock_guard lock(m_mutex);
    auto it = m_contexts.find(id);
    return it == m_contexts.end() ? nullptr : it->second;
}

void JobManager::cancel(JobId id)
{
    if (auto ctx = context(id))
        ctx->cancel();
}

void JobManager::pause(JobId id)
{
    if (auto ctx = context(id))
        ctx->pause();
}

void JobManager::resume(JobId id)
{
    if (auto ctx = context(id))
        ctx->resume();
}

void JobManager::cancelAll()
{
    std::lock_guard lock(m_mutex);
    for (auto &[id, ctx] : m_contexts)
        ctx->cancel();
}

bool JobManager::waitForDone(int msecs)
{
    const bool light = m_light.waitForDone(msecs);
    return m_heavy.waitForDone(msecs) && light;
}

bool JobManager::isRunning(JobId id) const
{
    return context(id) != nullptr;
}

int JobManager::activeJobs() const
{
    std::lock_guard lock(m_mutex);
    return int(m_contexts.size());
}

} // namespace psc
