// SPDX-License-Identifier: GPL-3.0-or-later
// Scale-out on one machine: N `paretoscope worker` processes (N = 1, 2, 4, 8; --parallel 1 each) share one study on
// a PostgreSQL server, with a trainer of fixed duration (the tabular task's simulated_seconds), each worker doing
// TRIALS trials on average. Prints trials per second (in the steady state, from the study's finish times: all but N
// trials between the mean of the N first finishes and the mean of the N last; and overall, from the processes' start
// to their exit) and the ratio to N x one worker's rate; the goal is >= 0.9 x N up to N = 8. Then the store's
// own cost per trial on PostgreSQL and on SQLite side by side: the writes of one trial's life (insert Pending, mark
// Running, heartbeat, weights, learning curve, finish with metrics), each its own transaction as a worker commits them.
//
// The server is a throw-away one (scripts/test-postgres.sh, loopback, fsync off as in the tests) unless --url names
// one. The worker processes run the build tree's paretoscope.
//
// Usage: bench_workers [--seconds S=2] [--trials T=8] [--strategy mobo|random] [--store-trials N=300] [--url URL]
#include "../tests/timedtabularspec.h"
#include "psc/study/studystore.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QThread>
#include <QUuid>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

using namespace psc;

namespace {

const QString kScript = QStringLiteral(PSC_SOURCE_DIR "/scripts/test-postgres.sh");
const QString kApp = QStringLiteral(PSC_BINARY_DIR "/app/paretoscope");

bool runQuiet(const QString &program, const QStringList &args, QString *out = nullptr)
{
    QProcess p;
    p.start(program, args);
    p.waitForFinished(120000);
    if (out)
        *out = QString::fromUtf8(p.readAllStandardOutput());
    if (p.exitStatus() != QProcess::NormalExit || p.exitCode() != 0) {
        std::fprintf(stderr, "%s %s failed:\n%s\n", qPrintable(program), qPrintable(args.join(' ')),
                     p.readAllStandardError().constData());
        return false;
    }
    return true;
}

struct Rate
{
    double studyRate = 0.0;   ///< trials per second in the steady state, from the study's finish times
    double processRate = 0.0; ///< trials / (all workers exited - first started)
    int complete = 0;
};

Rate runWorkers(const QString &base, const QTemporaryDir &dir, int workers, int perWorker, double seconds,
                const QString &strategy)
{
    const int budget = workers * perWorker;
    const QString url =
        base +
        QStringLiteral("?study=bench-%1-%2").arg(workers).arg(QUuid::createUuid().toString(QUuid::Id128).left(8));
    if (!runQuiet(kApp, {QStringLiteral("run"),
                         psc::test::writeTimedTabularSpec(dir.filePath(QStringLiteral("bench-%1.json").arg(budget)),
                                                          budget, seconds, strategy),
                         QStringLiteral("--storage"), url, QStringLiteral("--create-only")}))
        return {};
    QElapsedTimer clock;
    clock.start();
    std::vector<std::unique_ptr<QProcess>> processes;
    for (int i = 0; i < workers; ++i) {
        processes.push_back(std::make_unique<QProcess>());
        processes.back()->start(kApp,
                                {QStringLiteral("worker"), url, QStringLiteral("--parallel"), QStringLiteral("1")});
    }
    for (auto &p : processes)
        p->waitForFinished(600000);
    const double wall = double(clock.nsecsElapsed()) * 1e-9;
    Rate rate;
    std::vector<double> finishes;
    for (const Trial &t : StudyStore::open(url.toStdString(), StudyStore::Mode::ReadOnly)->trials())
        if (t.state == TrialState::Complete)
            finishes.push_back(t.finishedAt);
    std::sort(finishes.begin(), finishes.end());
    rate.complete = int(finishes.size());
    // Steady state: the N first finishes are (about) each worker's first trial and the N last its last one, so
    // between their means the workers finished all but N trials, whenever each process happened to start (they start
    // one after another on a small machine).
    const std::size_t n = std::size_t(workers);
    if (finishes.size() > n) {
        double first = 0.0, last = 0.0;
        for (std::size_t i = 0; i < n; ++i) {
            first += finishes[i] / double(n);
            last += finishes[finishes.size() - 1 - i] / double(n);
        }
        rate.studyRate = double(finishes.size() - n) / std::max(1e-9, last - first);
    }
    rate.processRate = rate.complete / wall;
    return rate;
}

double median(std::vector<double> v)
{
    std::sort(v.begin(), v.end());
    return v.empty() ? 0.0 : v[v.size() / 2];
}

/** Milliseconds per trial of the store calls a worker makes for one trial (median over `trials`). */
double storeCostMs(const std::string &location, bool worker, int trials)
{
    auto created = StudyStore::create(location, R"({"name": "bench", "budget": 1000000})");
    created.reset();
    auto store = StudyStore::open(location, worker ? StudyStore::Mode::Shared : StudyStore::Mode::ReadWrite);
    if (worker)
        store->setWorker("bench:1");
    const std::vector<std::uint8_t> weights(20000, 7); // a tabular-sized int8 model
    std::vector<Metric> metrics;
    for (int k = 0; k < 10; ++k)
        metrics.push_back({k % 2 ? "stm32f746zg" : "", "m" + std::to_string(k), 1.0 + k});
    std::vector<double> ms;
    for (int i = 0; i < trials; ++i) {
        const auto start = std::chrono::steady_clock::now();
        Trial t;
        t.architectureJson = R"({"layers": [)" + std::to_string(i) + "]}";
        t.architectureHash = "hash" + std::to_string(i);
        t.parametersJson = R"({"width": )" + std::to_string(i) + "}";
        t.recipeJson = R"({"epochs": 3})";
        t.metrics = metrics;
        store->insertTrial(t);
        store->markRunning(t.id, 1.0);
        store->heartbeat();
        store->writeBatch([&] {
            store->putArtifact(t.id, "weights", "psc-weights-v1", weights);
            store->finishTrial(t.id, TrialState::Complete, metrics, "", 2.0);
            store->putLearningCurve(t.id, {0.5, 0.6, 0.7, 0.8});
        });
        ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
    }
    return median(ms);
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    double seconds = 2.0;
    int perWorker = 8;
    int storeTrials = 300;
    QString strategy = QStringLiteral("mobo");
    QString base;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!std::strcmp(argv[i], "--seconds"))
            seconds = std::atof(argv[i + 1]);
        else if (!std::strcmp(argv[i], "--trials"))
            perWorker = std::atoi(argv[i + 1]);
        else if (!std::strcmp(argv[i], "--strategy"))
            strategy = QString::fromLocal8Bit(argv[i + 1]);
        else if (!std::strcmp(argv[i], "--store-trials"))
            storeTrials = std::atoi(argv[i + 1]);
        else if (!std::strcmp(argv[i], "--url"))
            base = QString::fromLocal8Bit(argv[i + 1]);
    }
    QTemporaryDir dir;
    const QString state = dir.filePath(QStringLiteral("server.state"));
    const bool ownServer = base.isEmpty();
    if (ownServer) {
        if (!runQuiet(QStringLiteral("bash"), {kScript, QStringLiteral("start"), state}))
            return 1;
        QFile f(state);
        f.open(QIODevice::ReadOnly);
        for (const QByteArray &line : f.readAll().split('\n'))
            if (line.startsWith("url="))
                base = QString::fromUtf8(line.mid(4));
    }

    std::printf("workers on one PostgreSQL study: %s strategy, trainer of %.2f s, %d trials per worker, "
                "--parallel 1, %d cores\n",
                qPrintable(strategy), seconds, perWorker, QThread::idealThreadCount());
    std::printf("%8s %8s %14s %10s %16s\n", "workers", "trials", "steady trials/s", "x one", "start to exit");
    double one = 0.0;
    for (int n : {1, 2, 4, 8}) {
        const Rate r = runWorkers(base, dir, n, perWorker, seconds, strategy);
        if (n == 1)
            one = r.studyRate;
        std::printf("%8d %8d %14.3f %9.2fx %14.3f/s   (goal >= %.1fx)\n", n, r.complete, r.studyRate,
                    one > 0 ? r.studyRate / one : 0.0, r.processRate, 0.9 * n);
        std::fflush(stdout);
    }

    std::printf("\nstore cost of one trial's writes (median of %d; insert, running, heartbeat, weights + finish + "
                "curve):\n",
                storeTrials);
    const double onServer = storeCostMs(
        (base + QStringLiteral("?study=store-") + QUuid::createUuid().toString(QUuid::Id128).left(8)).toStdString(),
        true, storeTrials);
    const double onFile = storeCostMs(dir.filePath(QStringLiteral("store.psc")).toStdString(), false, storeTrials);
    std::printf("  PostgreSQL (loopback, fsync off): %.2f ms\n  SQLite (%s):        %.2f ms\n  ratio: %.2f\n", onServer,
                qPrintable(dir.path()), onFile, onServer / std::max(1e-9, onFile));

    if (ownServer)
        runQuiet(QStringLiteral("bash"), {kScript, QStringLiteral("stop"), state});
    return 0;
}
