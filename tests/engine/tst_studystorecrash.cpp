// SPDX-License-Identifier: GPL-3.0-or-later
// Kills a real writer process with SIGKILL at random moments and checks what survives in the study file.
//
// The child is this executable run as `tst_studystorecrash --crash-child FILE`: it writes trials as fast as
// it can and prints "C <id>" (one write(2) per line) after each finishTrial() has returned, i.e. committed.
#include "psc/core/error.h"
#include "psc/study/studystore.h"

#include <QCoreApplication>
#include <QProcess>
#include <QRandomGenerator>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <set>
#include <string>
#include <tuple>

#include <unistd.h>

using namespace psc;
namespace fs = std::filesystem;

namespace {

constexpr int kMetricsPerTrial = 10;
constexpr int kKills = 8;

std::vector<Metric> expectedMetrics(std::int64_t id)
{
    std::vector<Metric> metrics;
    for (int k = 0; k < kMetricsPerTrial; ++k)
        metrics.push_back(
            {k < 5 ? "" : "mcu", std::string("m").append(std::to_string(k)), double(id) * 100 + k + 0.25});
    return metrics;
}

std::vector<std::uint8_t> expectedWeights(std::int64_t id)
{
    std::vector<std::uint8_t> bytes(1024 + std::size_t(id * 37 % 4096));
    for (std::size_t i = 0; i < bytes.size(); ++i)
        bytes[i] = static_cast<std::uint8_t>(id + std::int64_t(i));
    return bytes;
}

void say(const std::string &line)
{
    const std::string text = line + "\n";
    // One write(2) per line: a kill can cut the output only between lines, never inside one.
    [[maybe_unused]] const auto written = ::write(STDOUT_FILENO, text.data(), text.size());
}

/** What a study runner does, without training: resume leftovers first, then new trials, forever. */
int runChild(const char *file)
{
    try {
        auto store = StudyStore::open(file, StudyStore::Mode::ReadWrite);
        say("R");
        const auto run = [&store](std::int64_t id) {
            store->markRunning(id, 1.0);
            store->putArtifact(id, "weights", "test-bytes", expectedWeights(id));
            std::vector<Metric> metrics = expectedMetrics(id);
            std::sort(metrics.begin(), metrics.end(),
                      [](const Metric &a, const Metric &b) { return a.name > b.name; }); // any order is stored
            store->finishTrial(id, TrialState::Complete, metrics, "", 2.0);
            say("C " + std::to_string(id));
        };
        for (const Trial &pending : store->trials(TrialState::Pending))
            run(pending.id);
        for (int i = 0;; ++i) {
            Trial trial;
            trial.architectureJson = R"({"i": )" + std::to_string(i) + "}";
            trial.architectureHash = std::string("h").append(std::to_string(i % 50));
            trial.parametersJson = "{}";
            trial.recipeJson = "{}";
            run(store->insertTrial(trial));
        }
    } catch (const std::exception &error) {
        std::fprintf(stderr, "crash child: %s\n", error.what());
        return 3;
    }
}

} // namespace

class TestStudyStoreCrash : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void killedWriterLosesNothingCommitted()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const fs::path path = fs::path(dir.path().toStdString()) / "crash.psc";
        StudyStore::create(path, R"({"name": "crash"})").reset();

        std::set<std::int64_t> committed;
        for (int round = 0; round < kKills; ++round) {
            QProcess child;
            child.start(QCoreApplication::applicationFilePath(),
                        {QStringLiteral("--crash-child"), QString::fromStdString(path.string())});
            QVERIFY(child.waitForStarted());
            // Start the clock once the child has opened the study, so each kill lands among its writes.
            while (!child.canReadLine()) {
                QVERIFY2(child.waitForReadyRead(30000), qPrintable(child.readAllStandardError()));
            }
            QCOMPARE(child.readLine(), QByteArray("R\n"));
            const int delayMs = QRandomGenerator::global()->bounded(20, 201);
            // Waits the delay while draining the pipe; finishing early means the child failed.
            QVERIFY2(!child.waitForFinished(delayMs), qPrintable(child.readAllStandardError()));
            child.kill(); // SIGKILL
            QVERIFY(child.waitForFinished());
            QCOMPARE(child.exitStatus(), QProcess::CrashExit);

            int reported = 0;
            for (const QByteArray &line : child.readAllStandardOutput().split('\n')) {
                if (line.startsWith("C ")) {
                    committed.insert(line.mid(2).toLongLong());
                    ++reported;
                }
            }
            qInfo("round %d: killed after %d ms, %d trials reported committed", round, delayMs, reported);
            verify(path, committed);
            if (QTest::currentTestFailed())
                return;
        }
        QVERIFY2(committed.size() >= std::size_t(kKills), "the child committed (almost) nothing before the kills");
    }

private:
    /** What a resuming runner finds after the kill; leaves the study ready for the next child. */
    static void verify(const fs::path &path, const std::set<std::int64_t> &committed)
    {
        auto store = StudyStore::open(path, StudyStore::Mode::ReadWrite);
        QCOMPARE(QString::fromStdString(store->integrityCheck()), QStringLiteral("ok"));
        const std::vector<Trial> trials = store->trials();
        std::set<std::int64_t> complete;
        int running = 0;
        for (std::size_t i = 0; i < trials.size(); ++i) {
            const Trial &trial = trials[i];
            QCOMPARE(trial.number, std::int64_t(i)); // numbers stay dense: a lost insert took no number
            if (trial.state == TrialState::Complete) {
                // Never half-written: a Complete trial has every metric with the right values, and its weights.
                complete.insert(trial.id);
                std::vector<Metric> expected = expectedMetrics(trial.id);
                std::sort(expected.begin(), expected.end(), [](const Metric &a, const Metric &b) {
                    return std::tie(a.target, a.name) < std::tie(b.target, b.name);
                });
                QVERIFY2(trial.metrics == expected, qPrintable(QStringLiteral("trial id %1").arg(trial.id)));
                QVERIFY(store->artifact(trial.id, "weights") == std::optional(expectedWeights(trial.id)));
            } else {
                // Failed only if one trial was the one in flight at kMaxInterruptions kills (very unlikely).
                QVERIFY(trial.state == TrialState::Pending || trial.state == TrialState::Running ||
                        (trial.state == TrialState::Failed && trial.error.find("interrupted") == 0));
                QVERIFY(trial.metrics.empty());
                running += trial.state == TrialState::Running;
            }
        }
        QVERIFY2(running <= 1, "only the trial in flight can be left running");
        for (const std::int64_t id : committed)
            QVERIFY2(complete.count(id), qPrintable(QStringLiteral("committed trial id %1 was lost").arg(id)));
        QCOMPARE(store->recoverInterrupted(), running);
        QCOMPARE(store->trialCounts().running, std::int64_t(0));
    }
};

int main(int argc, char **argv)
{
    if (argc == 3 && std::strcmp(argv[1], "--crash-child") == 0)
        return runChild(argv[2]);
    QCoreApplication app(argc, argv);
    TestStudyStoreCrash test;
    return QTest::qExec(&test, argc, argv);
}

#include "tst_studystorecrash.moc"
