// SPDX-License-Identifier: GPL-3.0-or-later
// Cost-model throughput: one evaluation = a 30-layer network estimated on one MCU, one NPU, one systolic
// array and one analog-CiM target (the four classes), on one core. Goal: at least 100,000 per second.

#include "psc/net/analysis.h"
#include "psc/net/networkparser.h"
#include "psc/plugins/pluginregistry.h"
#include "psc/targets/costinput.h"
#include "psc/targets/targetlibrary.h"

#include <chrono>
#include <cstdio>

int main()
{
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

    double sink = 0.0;
    for (const char *id : ids) {
        const auto target = library.target(id);
        const auto start = std::chrono::steady_clock::now();
        int n = 0;
        for (; n < 20000; ++n)
            sink += target->estimate(info, deployment).latencyS;
        const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        std::printf("  %-14s %9.0f estimates/s (%.2f us each)\n", id, n / s, s / n * 1e6);
    }

    const auto start = std::chrono::steady_clock::now();
    int evaluations = 0;
    for (; evaluations < 20000; ++evaluations)
        for (const char *id : ids)
            sink += library.target(id)->estimate(info, deployment).energyJ;
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("four-target evaluation of a %zu-layer network: %.0f evaluations/s on one core (goal 100000: %s)\n",
                net.layers.size(), evaluations / s, evaluations / s >= 100000 ? "met" : "NOT met");

    // Including the engine's analysis and conversion, as a study does per candidate.
    const auto start2 = std::chrono::steady_clock::now();
    int full = 0;
    for (; full < 5000; ++full) {
        const auto a = psc::analyzeNetwork(net);
        const auto i = psc::toNetworkInfo(net, a);
        for (const char *id : ids)
            sink += library.target(id)->estimate(i, deployment).cycles;
    }
    const double s2 = std::chrono::duration<double>(std::chrono::steady_clock::now() - start2).count();
    std::printf("analysis + conversion + four targets: %.0f candidates/s\n", full / s2);
    return sink == 42.0 ? 1 : 0;
}
