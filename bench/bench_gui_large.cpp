// SPDX-License-Identifier: GPL-3.0-or-later
// A study of 100,000 trials in the real main window (offscreen): how long it takes to open, to redraw the Pareto
// plot after an axis change, to answer a hover, to filter, to draw the parallel coordinates and to step a replay,
// and the longest time the GUI thread is busy at once while opening.
//
// The study is synthetic (benchstudy.h: random but plausible metrics of the demo study, written through the store).
// Goals (issue: large studies stay interactive): open under 2 s, replot under 30 ms, hover under 5 ms.
//
// Usage: bench_gui_large [trials=100000]
#include "mainwindow.h"

#include "models/trialfilter.h"
#include "models/trialset.h"
#include "models/trialsortproxymodel.h"
#include "models/trialtablemodel.h"
#include "plot/parallelcoordinates.h"
#include "plot/paretoplotwidget.h"
#include "views/replaycontrol.h"
#include "views/studyview.h"

#include "benchstudy.h"

#include <QApplication>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QTimer>

#include <algorithm>
#include <cstdio>
#include <random>
#include <vector>

using namespace psc;
using namespace psc::bench;

namespace {

double ms(const QElapsedTimer &t)
{
    return double(t.nsecsElapsed()) * 1e-6;
}

void settle(int msecs)
{
    QEventLoop loop;
    QTimer::singleShot(msecs, &loop, &QEventLoop::quit);
    loop.exec();
}

struct Stats
{
    double median = 0.0;
    double max = 0.0;
};

Stats stats(std::vector<double> v)
{
    std::sort(v.begin(), v.end());
    return {v[v.size() / 2], v.back()};
}

} // namespace

int main(int argc, char *argv[])
{
    QTemporaryDir config;
    prepareGuiBench(config);
    QApplication app(argc, argv);
    const int n = argc > 1 ? std::max(100, std::atoi(argv[1])) : 100000;

    QTemporaryDir dir;
    const std::string file = dir.filePath(QStringLiteral("large.psc")).toStdString();
    std::mt19937 rng(1);
    QElapsedTimer t;
    t.start();
    writeSyntheticStudy(file, n, rng).reset();
    const double writeMs = ms(t);

    MainWindow window;
    window.resize(1400, 900);
    window.show();
    settle(200);
    StudyView *view = window.view();
    ParetoPlotWidget *plot = view->plot();

    // Open: until the table holds every trial, the plot draws them and the background ranking has delivered.
    BusyMeter meter;
    meter.start();
    t.restart();
    window.openStudy(QString::fromStdString(file));
    while (view->model()->rowCount() < n || view->trialSet()->isRanking() || plot->plottedTrialIds().size() < n)
        QCoreApplication::processEvents(QEventLoop::AllEvents, 5);
    const double openMs = ms(t);
    settle(300);
    const double openBusy = meter.stop();

    // Axis changes: each redraws at once (computing the points, both fronts and the drawing).
    const std::vector<std::pair<MetricRef, MetricRef>> axes{
        {{"macs", {}}, {"accuracy", {}}},
        {{"weight_bytes", {}}, {"deployed_accuracy", {}}},
        {{"latency_s", "stm32f746zg"}, {"deployed_accuracy", {}}},
        {{"energy_j", "ethos-u55-128"}, {"weight_bytes", {}}},
        {{"weight_bytes", {}}, {"latency_s", "stm32f746zg"}},
    };
    std::vector<double> replots;
    for (int round = 0; round < 3; ++round)
        for (const auto &[x, y] : axes) {
            t.restart();
            if (!plot->setAxes(x, y))
                std::fprintf(stderr, "axes %s / %s not offered\n", x.toString().c_str(), y.toString().c_str());
            replots.push_back(ms(t));
        }
    const Stats replot = stats(replots);

    // Hover: the trial under the cursor at random places of the canvas.
    std::uniform_real_distribution<double> ux(0.0, plot->canvas()->width()), uy(0.0, plot->canvas()->height());
    std::vector<double> hovers;
    int hits = 0;
    for (int i = 0; i < 2000; ++i) {
        const QPointF pos(ux(rng), uy(rng));
        t.restart();
        hits += plot->trialAt(pos) >= 0;
        hovers.push_back(ms(t));
    }
    const Stats hover = stats(hovers);

    // A filter typed above the table: the table, the plot and the parallel coordinates follow.
    t.restart();
    view->filter()->setExpression(QStringLiteral("deployed_accuracy >= 80 %; latency_s@stm32f746zg < 5 ms"),
                                  plot->availableMetrics());
    const double filterMs = ms(t);
    const int kept = view->proxy()->rowCount();
    view->filter()->clear();

    // The parallel coordinates drawn once, the timeline moved to the middle of the study.
    t.restart();
    view->plotTabs()->setCurrentWidget(view->parallelCoordinates());
    view->parallelCoordinates()->repaint(); // the first paint draws every line
    const double parallelMs = ms(t);
    t.restart();
    view->parallelCoordinates()->repaint(); // later ones (a brush dragged, the selection) reuse them
    const double parallelAgainMs = ms(t);
    view->plotTabs()->setCurrentIndex(0);
    settle(100);
    t.restart();
    view->replay()->setPosition(n / 2);
    const double replayMs = ms(t);

    std::printf("study of %d synthetic trials (demo metrics), window %dx%d offscreen\n", n, window.width(),
                window.height());
    std::printf("  writing the study through the store: %.0f ms\n", writeMs);
    std::printf("  open until table, plot and ranking are complete: %.0f ms (goal < 2000: %s); longest GUI-thread "
                "stretch %.1f ms\n",
                openMs, openMs < 2000 ? "met" : "missed", openBusy);
    std::printf("  replot after an axis change: median %.1f ms, max %.1f ms over %zu changes (goal < 30: %s)\n",
                replot.median, replot.max, replots.size(), replot.max < 30 ? "met" : "missed");
    std::printf("  hover (trial under the cursor): median %.3f ms, max %.3f ms over %zu places, %d hits (goal < 5: "
                "%s)\n",
                hover.median, hover.max, hovers.size(), hits, hover.max < 5 ? "met" : "missed");
    std::printf("  filter expression applied to table, plot and parallel coordinates: %.1f ms (%d trials kept)\n",
                filterMs, kept);
    std::printf("  parallel coordinates: first drawn in %.1f ms, redrawn in %.1f ms; replay to the middle: %.1f ms\n",
                parallelMs, parallelAgainMs, replayMs);
    return 0;
}
