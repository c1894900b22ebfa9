// SPDX-License-Identifier: GPL-3.0-or-later
// How fast the study store writes and reads trials: N trials with 10 metrics each, committed one transaction per
// call as a study runner does (insert, mark running, finish: three commits per trial, each synced to the WAL),
// then N more as one batch, then all 2N read back. Run a Release build on an idle machine; the file lives in
// $TMPDIR (on tmpfs the per-call figure shows no disk sync).
//
// Usage: bench_studystore [trials=10000]

#include "psc/study/studystore.h"

#include <QTemporaryDir>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

using namespace psc;

namespace {

Trial sampleTrial(int i)
{
    Trial trial;
    trial.architectureJson = R"({"layers": [)" + std::to_string(i) + "]}";
    trial.architectureHash = "hash" + std::to_string(i);
    trial.parametersJson = R"({"width": )" + std::to_string(i) + "}";
    trial.recipeJson = R"({"epochs": 3})";
    return trial;
}

std::vector<Metric> sampleMetrics(double base)
{
    std::vector<Metric> metrics;
    for (int k = 0; k < 10; ++k)
        metrics.push_back({k % 2 ? "mcu" : "", "m" + std::to_string(k), base + k});
    return metrics;
}

double secondsSince(std::chrono::steady_clock::time_point start)
{
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

} // namespace

int main(int argc, char *argv[])
{
    const int n = argc > 1 ? std::max(10, std::atoi(argv[1])) : 10000;
    QTemporaryDir dir;
    auto store = StudyStore::create(dir.filePath(QStringLiteral("bench.psc")).toStdString(), R"({"name": "bench"})");

    auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < n; ++i) {
        Trial trial = sampleTrial(i % 500);
        const auto id = store->insertTrial(trial);
        store->markRunning(id, 1.0);
        store->finishTrial(id, TrialState::Complete, sampleMetrics(i), "", 2.0);
    }
    const double single = secondsSince(start);

    start = std::chrono::steady_clock::now();
    store->writeBatch([&] {
        for (int i = 0; i < n; ++i) {
            Trial trial = sampleTrial(i % 500);
            trial.state = TrialState::Complete;
            trial.metrics = sampleMetrics(i);
            store->insertTrial(trial);
        }
    });
    const double batch = secondsSince(start);

    start = std::chrono::steady_clock::now();
    const std::vector<Trial> all = store->trials();
    const double read = secondsSince(start);

    std::printf("study store, %d trials x 10 metrics:\n", n);
    std::printf("  one transaction per call (3 per trial): %.2f s, %.0f us per trial\n", single, 1e6 * single / n);
    std::printf("  one batch:                              %.3f s, %.1f us per trial (%.0fx faster)\n", batch,
                1e6 * batch / n, single / batch);
    std::printf("  reading all %zu trials:                 %.3f s, %.1f us per trial\n", all.size(), read,
                1e6 * read / double(all.size()));
    return all.size() == std::size_t(2 * n) ? 0 : 1;
}
