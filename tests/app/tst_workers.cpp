// SPDX-License-Identifier: GPL-3.0-or-later
// Eight `paretoscope worker` processes on one server study, with a trainer of fixed duration (the tabular task's
// simulated_seconds): exactly the budget of trials, none twice, none lost; the same while workers are killed with
// SIGKILL (their trials come back after --stale-after and are trained by the others, interrupted once), and while the
// PostgreSQL server restarts (the workers reconnect and go on).
#include "psc/study/studystore.h"

#include "postgrestest.h"
#include "processresult.h"
#include "timedtabularspec.h"

#include <QDeadlineTimer>
#include <QDir>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <memory>
#include <set>

using namespace psc;
using psc::test::runApp;

namespace {

constexpr int kWorkers = 8;

/** Creates the study on the server from the spec, as a user would: run --storage URL --create-only. */
QString createStudy(const QTemporaryDir &dir, const char *stem, int budget, double seconds)
{
    const QString url = QString::fromStdString(psc::test::newServerStudy(stem));
    const auto r =
        runApp({QStringLiteral("run"),
                psc::test::writeTimedTabularSpec(dir.filePath(QStringLiteral("workers.json")), budget, seconds),
                QStringLiteral("--storage"), url, QStringLiteral("--create-only")});
    if (r.exitCode != 0)
        qWarning("%s", qPrintable(r.err));
    return r.exitCode == 0 ? url : QString();
}

struct Workers
{
    std::vector<std::unique_ptr<QProcess>> processes;

    Workers(const QString &url, const QStringList &extra)
    {
        for (int i = 0; i < kWorkers; ++i) {
            auto p = std::make_unique<QProcess>();
            p->start(QStringLiteral(PSC_APP_EXECUTABLE),
                     QStringList{QStringLiteral("worker"), url, QStringLiteral("--parallel"), QStringLiteral("1")} +
                         extra);
            processes.push_back(std::move(p));
        }
    }
    ~Workers()
    {
        for (auto &p : processes) {
            p->kill();
            p->waitForFinished();
        }
    }
    bool waitAll(int ms)
    {
        QDeadlineTimer deadline(ms);
        for (auto &p : processes)
            if (p->state() != QProcess::NotRunning &&
                !p->waitForFinished(int(std::max<qint64>(1, deadline.remainingTime()))))
                return false;
        return true;
    }
    QString errors(std::size_t i) { return seen[i] += QString::fromUtf8(processes[i]->readAllStandardError()); }
    /** Waits until every worker has opened the study (it says "joined"). */
    bool allJoined(int ms)
    {
        QDeadlineTimer deadline(ms);
        for (std::size_t i = 0; i < processes.size(); ++i)
            while (!errors(i).contains(QStringLiteral(" joined "))) {
                if (deadline.hasExpired() || processes[i]->state() == QProcess::NotRunning)
                    return false;
                processes[i]->waitForReadyRead(100);
            }
        return true;
    }
    std::vector<QString> seen = std::vector<QString>(kWorkers); ///< standard error read so far
    QString output(std::size_t i) const { return QString::fromUtf8(processes[i]->readAllStandardOutput()); }
};

struct Outcome
{
    int complete = 0;
    int other = 0;
    int interruptions = 0;
    std::set<std::int64_t> numbers;
    std::set<std::string> candidates; ///< architecture hash and parameters: what the strategy proposed
};

Outcome readStudy(const QString &url)
{
    Outcome o;
    const auto store = StudyStore::open(url.toStdString(), StudyStore::Mode::ReadOnly);
    for (const Trial &t : store->trials()) {
        (t.state == TrialState::Complete ? o.complete : o.other)++;
        o.interruptions += t.interruptions;
        o.numbers.insert(t.number);
        o.candidates.insert(t.architectureHash + " " + t.parametersJson);
    }
    return o;
}

} // namespace

class TestWorkers : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;

    /** Exactly the budget, each candidate once, numbered 0..budget-1 without gaps. */
    static void checkExact(const Outcome &o, int budget)
    {
        QCOMPARE(o.complete, budget);
        QCOMPARE(o.other, 0);
        QCOMPARE(int(o.numbers.size()), budget);
        QCOMPARE(*o.numbers.begin(), std::int64_t(0));
        QCOMPARE(*o.numbers.rbegin(), std::int64_t(budget - 1));
        QCOMPARE(int(o.candidates.size()), budget);
    }

private Q_SLOTS:
    void initTestCase() { QVERIFY2(!psc::test::postgresBaseUrl().empty(), "no test server: run through ctest"); }

    void badInputIsNamed()
    {
        const QString base = QString::fromStdString(psc::test::postgresBaseUrl());
        // A study file has one writer: exit 2, and what to do instead.
        const QString file = m_dir.filePath(QStringLiteral("one.psc"));
        auto r = runApp({QStringLiteral("worker"), file});
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains(QStringLiteral("a study file has one writer")), qPrintable(r.err));
        // No such study on the server: exit 2, nothing created.
        const QString missing = base + QStringLiteral("?study=no-such-study-here");
        r = runApp({QStringLiteral("worker"), missing});
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains(QStringLiteral("no study named \"no-such-study-here\"")), qPrintable(r.err));
        QCOMPARE(runApp({QStringLiteral("show"), missing}).exitCode, 2);
        // A typo in a parameter, a password in the URL: exit 2, the password never repeated.
        r = runApp({QStringLiteral("worker"), base + QStringLiteral("?study=x&sslmod=disable")});
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains(QStringLiteral("did you mean \"sslmode\"")), qPrintable(r.err));
        r = runApp({QStringLiteral("worker"), QStringLiteral("postgresql://psc:hunter2@127.0.0.1:1/db?study=x")});
        QCOMPARE(r.exitCode, 2);
        QVERIFY(!r.err.contains(QStringLiteral("hunter2")));
        // Nobody listening: a runtime failure, exit 1.
        r = runApp({QStringLiteral("worker"), QStringLiteral("postgresql://psc@127.0.0.1:1/psc_test?study=x")});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains(QStringLiteral("cannot connect to the PostgreSQL server")), qPrintable(r.err));
        // Options.
        r = runApp({QStringLiteral("worker"), missing, QStringLiteral("--stale-after"), QStringLiteral("0")});
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains(QStringLiteral("--stale-after expects a number >= 1")), qPrintable(r.err));
    }

    void eightWorkersShareOneStudy()
    {
        const int budget = 32;
        const QString url = createStudy(m_dir, "eight", budget, 0.5);
        QVERIFY(!url.isEmpty());
        Workers workers(url, {});
        QVERIFY(workers.waitAll(120000));
        int trained = 0, busy = 0;
        for (std::size_t i = 0; i < workers.processes.size(); ++i) {
            const QString err = workers.errors(i);
            QVERIFY2(workers.processes[i]->exitStatus() == QProcess::NormalExit &&
                         workers.processes[i]->exitCode() == 0,
                     qPrintable(err));
            const QString out = workers.output(i);
            QVERIFY2(out.contains(QStringLiteral("budget reached")), qPrintable(out));
            // "5 trained, 0 cached, ...": what this worker trained itself.
            const auto match = QRegularExpression(QStringLiteral("\\n(\\d+) trained, ")).match(out);
            QVERIFY2(match.hasMatch(), qPrintable(out));
            trained += match.captured(1).toInt();
            busy += match.captured(1).toInt() > 0;
        }
        QCOMPARE(trained, budget);                              // each trial trained by exactly one worker
        QVERIFY2(busy >= 2, qPrintable(QString::number(busy))); // and the work was shared
        const Outcome o = readStudy(url);
        checkExact(o, budget);
        QCOMPARE(o.interruptions, 0);
        // A worker started after the budget is reached has nothing to do and says so.
        const auto late = runApp({QStringLiteral("worker"), url});
        QCOMPARE(late.exitCode, 0);
        QVERIFY2(late.out.contains(QStringLiteral("0 trained")), qPrintable(late.out));
        checkExact(readStudy(url), budget);
    }

    void killedWorkersLoseNothing()
    {
        const int budget = 40;
        const QString url = createStudy(m_dir, "killed", budget, 1.0);
        QVERIFY(!url.isEmpty());
        Workers workers(url, {QStringLiteral("--stale-after"), QStringLiteral("2")});
        // One worker killed with SIGKILL every 1.5 s, three in all: each dies in the middle of a training.
        std::vector<std::size_t> killed;
        for (std::size_t victim : {1u, 4u, 6u}) {
            QTest::qWait(1500);
            QCOMPARE(workers.processes[victim]->state(), QProcess::Running);
            workers.processes[victim]->kill(); // SIGKILL: no clean-up, no goodbye to the server
            workers.processes[victim]->waitForFinished();
            killed.push_back(victim);
        }
        QVERIFY(workers.waitAll(120000));
        for (std::size_t i = 0; i < workers.processes.size(); ++i) {
            const bool wasKilled = std::find(killed.begin(), killed.end(), i) != killed.end();
            if (wasKilled)
                QCOMPARE(workers.processes[i]->exitStatus(), QProcess::CrashExit);
            else
                QVERIFY2(workers.processes[i]->exitCode() == 0, qPrintable(workers.errors(i)));
        }
        const Outcome o = readStudy(url);
        checkExact(o, budget);
        // The trials the killed workers held came back, interrupted once, and were trained by the living.
        QVERIFY2(o.interruptions >= 1 && o.interruptions <= 3, qPrintable(QString::number(o.interruptions)));
    }

    void serverRestartIsSurvived()
    {
        const int budget = 32;
        const QString url = createStudy(m_dir, "restart", budget, 1.0);
        QVERIFY(!url.isEmpty());
        Workers workers(url, {});
        QVERIFY(workers.allJoined(60000));
        QTest::qWait(1000); // every worker training
        const auto restart = psc::test::runProcess(
            QStringLiteral("bash"), {qEnvironmentVariable("PSC_TEST_POSTGRES_SCRIPT"), QStringLiteral("restart"),
                                     qEnvironmentVariable("PSC_TEST_POSTGRES_STATE")});
        QVERIFY2(restart.exitCode == 0, qPrintable(restart.err));
        QVERIFY(workers.waitAll(120000));
        int reconnected = 0;
        for (std::size_t i = 0; i < workers.processes.size(); ++i) {
            const QString err = workers.errors(i);
            QVERIFY2(workers.processes[i]->exitCode() == 0, qPrintable(err));
            reconnected += err.contains(QStringLiteral("reconnected to the server"));
        }
        QCOMPARE(reconnected, kWorkers); // every worker lost its session and made a new one
        const Outcome o = readStudy(url);
        checkExact(o, budget);
    }

    // The Slurm job-array script, as each array task runs it: the command line it makes, then real workers.
    void slurmScriptStartsWorkers()
    {
        const QString script = QStringLiteral(PSC_SOURCE_DIR "/packaging/slurm/paretoscope-workers.sbatch");
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("SLURM_ARRAY_JOB_ID"), QStringLiteral("77"));
        env.insert(QStringLiteral("SLURM_CPUS_PER_TASK"), QStringLiteral("4"));
        env.insert(QStringLiteral("SLURM_ARRAY_TASK_ID"), QStringLiteral("2"));
        env.insert(QStringLiteral("PARETOSCOPE"), QStringLiteral("echo"));
        const QString url = QStringLiteral("postgresql://me@db.lab:5432/studies?study=kws");
        auto r = psc::test::runProcess(QStringLiteral("bash"),
                                       {script, url, QStringLiteral("--stale-after"), QStringLiteral("120")}, env);
        QCOMPARE(r.exitCode, 0);
        QVERIFY2(r.out.contains(QStringLiteral("array task 2 of job 77")), qPrintable(r.out));
        QVERIFY2(r.out.endsWith(QStringLiteral("\nworker %1 --parallel 4 --stale-after 120\n").arg(url)),
                 qPrintable(r.out));
        r = psc::test::runProcess(QStringLiteral("bash"), {script}, env); // no URL: usage, no worker
        QVERIFY(r.exitCode != 0);
        QVERIFY2(r.err.contains(QStringLiteral("usage: sbatch --array=1-N")), qPrintable(r.err));
        // What sbatch reads: the #SBATCH lines ask for an array, cores per worker, memory, a time limit and SIGTERM
        // before it (a worker stopped by SIGTERM returns its trials).
        QFile file(script);
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QString text = QString::fromUtf8(file.readAll());
        for (const char *line : {"#SBATCH --array=", "#SBATCH --cpus-per-task=", "#SBATCH --mem-per-cpu=",
                                 "#SBATCH --time=", "#SBATCH --signal=B:TERM@"})
            QVERIFY2(text.contains(QLatin1String(line)), line);

        // Two array tasks of the real program share a study to its budget.
        const QString study = createStudy(m_dir, "slurm", 6, 0.3);
        QVERIFY(!study.isEmpty());
        env.insert(QStringLiteral("PARETOSCOPE"), QStringLiteral(PSC_APP_EXECUTABLE));
        env.insert(QStringLiteral("SLURM_CPUS_PER_TASK"), QStringLiteral("1"));
        QProcess tasks[2];
        for (int i = 0; i < 2; ++i) {
            env.insert(QStringLiteral("SLURM_ARRAY_TASK_ID"), QString::number(i + 1));
            tasks[i].setProcessEnvironment(env);
            tasks[i].start(QStringLiteral("bash"), {script, study});
        }
        for (QProcess &task : tasks) {
            QVERIFY(task.waitForFinished(120000));
            QVERIFY2(task.exitCode() == 0, task.readAllStandardError().constData());
        }
        checkExact(readStudy(study), 6);
    }

    // The script as sbatch runs it, on the single-node cluster of scripts/test-slurm.sh: a job array of 2 tasks,
    // resources overridden on the command line (this node has fewer cores than the script asks for).
    void slurmJobArrayTrainsTheStudy()
    {
        const QString cluster = qEnvironmentVariable("PSC_TEST_SLURM_DIR");
        QVERIFY2(!cluster.isEmpty(), "no test cluster: run through ctest (fixture slurm)");
        const QString study = createStudy(m_dir, "sbatch", 6, 0.3);
        QVERIFY(!study.isEmpty());
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("SLURM_CONF"), cluster + QStringLiteral("/slurm.conf"));
        env.insert(QStringLiteral("PARETOSCOPE"), QStringLiteral(PSC_APP_EXECUTABLE));
        const QString logs = m_dir.filePath(QStringLiteral("slurm-logs"));
        QVERIFY(QDir().mkpath(logs));
        const auto submitted = psc::test::runProcess(
            QStringLiteral("sbatch"),
            {QStringLiteral("--parsable"), QStringLiteral("--array=1-2"), QStringLiteral("--cpus-per-task=1"),
             QStringLiteral("--mem-per-cpu=200M"), QStringLiteral("--time=10"),
             QStringLiteral("--output=") + logs + QStringLiteral("/worker-%A_%a.log"),
             QStringLiteral(PSC_SOURCE_DIR "/packaging/slurm/paretoscope-workers.sbatch"), study},
            env);
        QVERIFY2(submitted.exitCode == 0, qPrintable(submitted.err));
        const QString job = submitted.out.trimmed();
        QDeadlineTimer deadline(120000);
        for (;;) {
            const auto queued =
                psc::test::runProcess(QStringLiteral("squeue"), {QStringLiteral("-h"), QStringLiteral("-j"), job}, env);
            if (queued.out.trimmed().isEmpty())
                break;
            QVERIFY2(!deadline.hasExpired(), qPrintable(queued.out));
            QTest::qWait(300);
        }
        const auto shown = psc::test::runProcess(QStringLiteral("scontrol"),
                                                 {QStringLiteral("show"), QStringLiteral("job"), job}, env);
        QCOMPARE(shown.out.count(QStringLiteral("JobState=COMPLETED")), 2);
        for (int task = 1; task <= 2; ++task) {
            QFile log(logs + QStringLiteral("/worker-%1_%2.log").arg(job).arg(task));
            QVERIFY2(log.open(QIODevice::ReadOnly), qPrintable(log.fileName()));
            const QString text = QString::fromUtf8(log.readAll());
            QVERIFY2(text.contains(QStringLiteral("array task %1 of job %2").arg(task).arg(job)), qPrintable(text));
            QVERIFY2(text.contains(QStringLiteral("budget reached")), qPrintable(text));
        }
        checkExact(readStudy(study), 6);
    }
};

QTEST_GUILESS_MAIN(TestWorkers)
#include "tst_workers.moc"
