// SPDX-License-Identifier: GPL-3.0-or-later
// How long the GUI thread is busy at once while a large study refreshes (issue: the GUI thread never waits).
//
// Builds a study of N stored trials (default 10,000) with the metrics of the bundled demo, opens it in the real
// main window (offscreen), then plays a running study: a writer on another thread commits a few new and finished
// trials per round, the way a run does, and the controller re-reads them. A 0 ms timer on the GUI thread stamps
// every turn of the event loop; the longest gap between two stamps is the longest time the GUI thread was busy at
// once. Prints it for opening the study and for the refreshes. Goal: under 50 ms while refreshing.
//
// Usage: bench_gui_refresh [trials=10000] [rounds=20]
#include "mainwindow.h"
#include "studycontroller.h"

#include "benchstudy.h"

#include "psc/study/studyspec.h"
#include "psc/study/studystore.h"

#include <QApplication>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QTemporaryDir>
#include <QTimer>

#include <algorithm>
#include <cstdio>
#include <random>
#include <thread>

using namespace psc;
using namespace psc::bench;

int main(int argc, char *argv[])
{
    QTemporaryDir config;
    prepareGuiBench(config);
    QApplication app(argc, argv);
    const int n = argc > 1 ? std::max(10, std::atoi(argv[1])) : 10000;
    const int rounds = argc > 2 ? std::max(1, std::atoi(argv[2])) : 20;

    QTemporaryDir dir;
    const std::string file = dir.filePath(QStringLiteral("large.psc")).toStdString();
    const StudySpec spec = StudySpec::fromFile(PSC_SOURCE_DIR "/resources/studies/fashion-mnist-demo.json");
    std::mt19937 rng(1);
    auto writer = writeSyntheticStudy(file, n, rng);

    MainWindow window;
    window.resize(1400, 900);
    window.show();
    BusyMeter meter;
    QElapsedTimer wall;

    // Everything the GUI does runs from the event loop, between two of the meter's stamps.
    meter.start();
    wall.start();
    QTimer::singleShot(20, &window, [&] { window.openStudy(QString::fromStdString(file)); });
    // Let whatever opening started (on the GUI thread or off it) finish and be shown.
    QEventLoop settle;
    QTimer::singleShot(1500, &settle, &QEventLoop::quit);
    settle.exec();
    const double openBusy = meter.stop();
    const double openWall = double(wall.elapsed());

    // A running study: each round, another thread commits 4 trials started and 4 finished; the controller is
    // told, as a running job tells it, and re-reads the changes.
    std::vector<std::int64_t> running;
    meter.start();
    for (int round = 0; round < rounds; ++round) {
        std::thread commit([&] {
            writer->writeBatch([&] {
                for (std::int64_t id : running)
                    writer->finishTrial(id, TrialState::Complete, syntheticMetrics(rng), "", 1.0);
                running.clear();
                for (int k = 0; k < 4; ++k) {
                    Trial t = syntheticTrial(n + round * 4 + k, TrialState::Pending, rng);
                    running.push_back(writer->insertTrial(t));
                }
            });
        });
        commit.join();
        QTimer::singleShot(0, &window, [&] { window.controller()->refresh(); });
        QEventLoop loop;
        QTimer::singleShot(400, &loop, &QEventLoop::quit); // the controller's refresh interval during a run
        loop.exec();
    }
    const double refreshBusy = meter.stop();

    std::printf("GUI thread, study of %d trials (%d objectives), window %dx%d offscreen\n", n,
                int(spec.objectives.size()), window.width(), window.height());
    std::printf("  opening: longest busy stretch %.1f ms (%.0f ms until settled)\n", openBusy, openWall);
    std::printf("  %d refreshes with 8 changed trials each: longest busy stretch %.1f ms\n", rounds, refreshBusy);
    std::printf("goal: under 50 ms while refreshing: %s\n", refreshBusy < 50.0 ? "met" : "missed");
    return 0;
}
