// SPDX-License-Identifier: GPL-3.0-or-later
// Cost-model throughput: one evaluation = a 30-layer network estimated on one MCU, one NPU, one systolic
// array and one analog-CiM target (the four classes), on one core. Goal: at least 100,000 per second.

#include "psc/net/analysis.h"
#include "psc/net/networkparser.h"
#include "psc/plugins/pluginregistry.h"
#include "psc/targets/costinput.h"
#include "psc/targets/targetlibrary.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

int main(int argc, char **argv)
{
    // `--totals` runs only the totals rounds (for profiling the search path with perf).
    const bool totalsOnly = argc > 1 && std::string(argv[1]) == "--totals";
    psc::PluginRegistry registry;
    registry.load();
    psc::TargetLibrary library(registry);
    library.loadDirectory(psc::TargetLibrary::defaultDirectory());

    const auto net = psc::parseNetwork(PSC_SOURCE_DIR "/resources/networks/ds-cnn.json");
    const auto analysis = psc::analyzeNetwork(net);
    const auto info = psc::toNetworkInfo(net, analysis);
    const auto deployment = psc::defaultDeployment(net);
    const char *ids[] = {"stm32f746zg", "ethos-u55-128", "sa-16x16-os", "aon-cim"};
    std::printf("network %s: %zu layers, %lld MACs\n", net.name.c_str(), net.layers.size(),
                static_cast<long long>(analysis.totalMacs));

    // Totals (what a search evaluates per candidate) and full detail (per-layer entries with notes, for the
    // inspector and `paretoscope cost`).
    double sink = 0.0;
    std::shared_ptr<const psc::plugin::HardwareTarget> targets[4];
    for (int k = 0; k < 4; ++k)
        targets[k] = library.target(ids[k]);
    if (!totalsOnly)
        std::printf("  %-14s %14s %14s\n", "target", "totals/s", "full detail/s");
    for (int k = 0; k < 4 && !totalsOnly; ++k) {
        double rate[2];
        for (int full = 0; full < 2; ++full) {
            const auto start = std::chrono::steady_clock::now();
            int n = 0;
            for (; n < 20000; ++n)
                sink += (full ? targets[k]->estimate(info, deployment) : targets[k]->estimateTotals(info, deployment))
                            .latencyS;
            rate[full] = n / std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        }
        std::printf("  %-14s %14.0f %14.0f\n", ids[k], rate[0], rate[1]);
    }

    // Five rounds each; the best and the median round are reported (this machine is a shared VM whose speed
    // varies between seconds by tens of percent).
    for (int full = 0; full < (totalsOnly ? 1 : 2); ++full) {
        std::vector<double> rates;
        for (int round = 0; round < 5; ++round) {
            const auto start = std::chrono::steady_clock::now();
            int evaluations = 0;
            for (; evaluations < 20000; ++evaluations)
                for (const auto &t : targets)
                    sink += (full ? t->estimate(info, deployment) : t->estimateTotals(info, deployment)).energyJ;
            rates.push_back(evaluations /
                            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
        }
        std::sort(rates.begin(), rates.end());
        std::printf("four-target evaluation of a %zu-layer network (%s): best %.0f, median %.0f evaluations/s on one "
                    "core%s\n",
                    net.layers.size(), full ? "full detail" : "totals", rates.back(), rates[2],
                    full ? "" : (rates[2] >= 100000 ? " (goal 100000: met)" : " (goal 100000: NOT met by the median)"));
    }

    // Including the engine's analysis and conversion, as a study does per candidate.
    const auto start2 = std::chrono::steady_clock::now();
    int full = 0;
    for (; full < 5000; ++full) {
        const auto a = psc::analyzeNetwork(net);
        const auto i = psc::toNetworkInfo(net, a);
        for (const auto &t : targets)
            sink += t->estimateTotals(i, deployment).cycles;
    }
    const double s2 = std::chrono::duration<double>(std::chrono::steady_clock::now() - start2).count();
    std::printf("analysis + conversion + four targets: %.0f candidates/s\n", full / s2);
    return sink == 42.0 ? 1 : 0;
}
