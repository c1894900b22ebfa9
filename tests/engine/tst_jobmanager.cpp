// SPDX-License-Identifier: GPL-3.0-or-later
#include "psc/jobs/jobmanager.h"

#include <QCoreApplication>
#include <QSignalSpy>
#include <QTest>

#include <atomic>
#include <stdexcept>

using namespace psc;

namespace {

/** What a CountingJob saw of pausing, for tests that must not rely on timing. */
struct PauseWitness
{
    std::atomic<int> enteredPaused{0};  ///< checkpoints entered while the job was paused
    std::atomic<int> returnedPaused{0}; ///< checkpoints that returned while it was still paused (must stay 0)
};

/** Counts in steps, checking for cancellation at each; optionally fails at a given step. */
class CountingJob : public Job
{
public:
    CountingJob(int steps, std::atomic<int> *done, int failAt = -1, PauseWitness *witness = nullptr)
        : m_steps(steps), m_done(done), m_failAt(failAt), m_witness(witness)
    {}
    QString title() const override { return QStringLiteral("counting"); }
    void run(JobContext &ctx) override
    {
        for (int i = 0; i < m_steps; ++i) {
            if (m_witness && ctx.paused())
                ++m_witness->enteredPaused;
            ctx.checkpoint();
            if (m_witness && ctx.paused())
                ++m_witness->returnedPaused;
            if (i == m_failAt)
                throw std::runtime_error("step " + std::to_string(i) + " failed");
            // Real work between checkpoints, ~1 ms.
            volatile double x = 0;
            for (int k = 0; k < 200000; ++k)
                x = x + k * 0.5;
            ++*m_done;
            ctx.progress(double(i + 1) / m_steps, "step " + std::to_string(i + 1));
        }
    }

private:
    int m_steps;
    std::atomic<int> *m_done;
    int m_failAt;
    PauseWitness *m_witness;
};

} // namespace

Q_DECLARE_METATYPE(psc::JobStatus)

class TestJobManager : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { qRegisterMetaType<psc::JobStatus>(); }

    void budgetNeverOversubscribes()
    {
        for (int cores : {1, 2, 3, 8, 16}) {
            const ThreadBudget b = ThreadBudget::forMachine(cores);
            QVERIFY(b.heavyThreads >= 1 && b.torchThreads >= 1);
            QVERIFY(b.heavyThreads * b.torchThreads <= cores);
        }
        qputenv("PSC_PARALLEL_TRIALS", "2");
        const ThreadBudget b = ThreadBudget::forMachine(8);
        qunsetenv("PSC_PARALLEL_TRIALS");
        QCOMPARE(b.heavyThreads, 2);
        QCOMPARE(b.torchThreads, 4);
    }

    void runsToCompletionWithProgress()
    {
        JobManager jobs(ThreadBudget::forMachine(2));
        QSignalSpy started(&jobs, &JobManager::jobStarted);
        QSignalSpy progress(&jobs, &JobManager::jobProgress);
        QSignalSpy finished(&jobs, &JobManager::jobFinished);
        std::atomic<int> done{0};
        const JobId id = jobs.submit(std::make_unique<CountingJob>(50, &done), PoolKind::Light);
        QVERIFY(finished.wait(10000));
        QCOMPARE(done.load(), 50);
        QCOMPARE(started.count(), 1);
        QCOMPARE(finished.at(0).at(0).value<JobId>(), id);
        QCOMPARE(finished.at(0).at(1).value<JobStatus>(), JobStatus::Succeeded);
        QVERIFY(progress.count() >= 1);
        // The last report is the final one (never throttled away) and progress only grows.
        QCOMPARE(progress.last().at(1).toDouble(), 1.0);
        for (int i = 1; i < progress.count(); ++i)
            QVERIFY(progress.at(i).at(1).toDouble() >= progress.at(i - 1).at(1).toDouble());
        QVERIFY(!jobs.isRunning(id));
    }

    void failureIsReportedWithReason()
    {
        JobManager jobs(ThreadBudget::forMachine(2));
        QSignalSpy finished(&jobs, &JobManager::jobFinished);
        std::atomic<int> done{0};
        jobs.submit(std::make_unique<CountingJob>(50, &done, 7), PoolKind::Heavy);
        QVERIFY(finished.wait(10000));
        QCOMPARE(finished.at(0).at(1).value<JobStatus>(), JobStatus::Failed);
        QCOMPARE(finished.at(0).at(2).toString(), QStringLiteral("step 7 failed"));
        QCOMPARE(done.load(), 7);
    }

    // A cancelled job stops at its next checkpoint: at most the step in progress completes after cancel().
    void cancellationStopsAtTheNextCheckpoint()
    {
        JobManager jobs(ThreadBudget::forMachine(2));
        QSignalSpy progress(&jobs, &JobManager::jobProgress);
        QSignalSpy finished(&jobs, &JobManager::jobFinished);
        std::atomic<int> done{0};
        const JobId id = jobs.submit(std::make_unique<CountingJob>(1000000, &done), PoolKind::Heavy);
        QVERIFY(progress.wait(10000));
        jobs.cancel(id);
        const int atCancel = done.load(); // read after the flag is set: later steps must not start
        QVERIFY(finished.wait(10000));
        QCOMPARE(finished.at(0).at(1).value<JobStatus>(), JobStatus::Cancelled);
        QVERIFY2(done.load() <= atCancel + 1, qPrintable(QStringLiteral("%1 -> %2").arg(atCancel).arg(done.load())));
    }

    // A paused job waits inside its next checkpoint and goes on from there when resumed.
    void pauseStopsProgressAndResumeContinues()
    {
        JobManager jobs(ThreadBudget::forMachine(2));
        QSignalSpy progress(&jobs, &JobManager::jobProgress);
        QSignalSpy finished(&jobs, &JobManager::jobFinished);
        std::atomic<int> done{0};
        PauseWitness witness;
        const JobId id = jobs.submit(std::make_unique<CountingJob>(3000, &done, -1, &witness), PoolKind::Heavy);
        QVERIFY(progress.wait(10000));
        jobs.pause(id);
        QTRY_VERIFY_WITH_TIMEOUT(witness.enteredPaused.load() > 0, 10000); // it reached a checkpoint paused
        const int atPause = done.load();
        QVERIFY(jobs.isRunning(id));
        QCOMPARE(done.load(), atPause);
        jobs.resume(id);
        QVERIFY(finished.wait(20000));
        QCOMPARE(done.load(), 3000);
        QCOMPARE(witness.returnedPaused.load(), 0);
        QCOMPARE(finished.at(0).at(1).value<JobStatus>(), JobStatus::Succeeded);
    }

    void cancelWhilePausedEndsTheJob()
    {
        JobManager jobs(ThreadBudget::forMachine(2));
        QSignalSpy progress(&jobs, &JobManager::jobProgress);
        QSignalSpy finished(&jobs, &JobManager::jobFinished);
        std::atomic<int> done{0};
        const JobId id = jobs.submit(std::make_unique<CountingJob>(1000000, &done), PoolKind::Light);
        QVERIFY(progress.wait(10000));
        jobs.pause(id);
        jobs.cancel(id);
        QVERIFY(finished.wait(5000));
        QCOMPARE(finished.at(0).at(1).value<JobStatus>(), JobStatus::Cancelled);
    }

    // Destroying the manager cancels its jobs and waits for them: once it is gone no step runs any more.
    void destructorCancelsRunningJobs()
    {
        std::atomic<int> done{0};
        int atDestruction = 0;
        {
            JobManager jobs(ThreadBudget::forMachine(2));
            QSignalSpy progress(&jobs, &JobManager::jobProgress);
            jobs.submit(std::make_unique<CountingJob>(1000000, &done), PoolKind::Heavy);
            QVERIFY(progress.wait(10000));
            atDestruction = done.load();
        }
        const int afterDestruction = done.load();
        QVERIFY(afterDestruction < 1000000);
        QVERIFY(afterDestruction >= atDestruction);
        // The job has returned: the counter no longer moves, however long we look.
        for (int i = 0; i < 1000; ++i)
            QCOMPARE(done.load(), afterDestruction);
    }
};

QTEST_MAIN(TestJobManager)
#include "tst_jobmanager.moc"
