// SPDX-License-Identifier: GPL-3.0-or-later
// How fast the static analysis is: a search evaluates it for every candidate, so it must be negligible next to
// training. Prints analyses per second for a 30-layer MobileNetV1 (parse excluded), and parse + analyse per second.

#include "psc/net/analysis.h"
#include "psc/net/networkparser.h"

#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>

namespace {

using Clock = std::chrono::steady_clock;

/** Runs `work` in growing batches until at least `seconds` have passed; returns calls per second. */
template <typename Work> double rate(double seconds, Work &&work)
{
    long calls = 0;
    long batch = 16;
    const auto start = Clock::now();
    double elapsed = 0.0;
    while (elapsed < seconds) {
        for (long i = 0; i < batch; ++i)
            work();
        calls += batch;
        batch *= 2;
        elapsed = std::chrono::duration<double>(Clock::now() - start).count();
    }
    return double(calls) / elapsed;
}

} // namespace

int main(int argc, char **argv)
{
    const std::string file =
        argc > 1 ? argv[1] : std::string(PSC_SOURCE_DIR) + "/resources/networks/mobilenet-v1-025-96.json";
    std::ifstream in(file);
    std::stringstream buffer;
    buffer << in.rdbuf();
    const std::string text = buffer.str();

    try {
        const psc::NetworkDescription network = psc::parseNetworkJson(text, file);
        const psc::ModelAnalysis reference = psc::analyzeNetwork(network);
        std::printf("network: %s (%zu layers, %lld MACs, arena %lld B)\n", file.c_str(), network.layers.size(),
                    static_cast<long long>(reference.totalMacs), static_cast<long long>(reference.arenaBytes));

        std::int64_t sink = 0; // keeps the optimiser from dropping the work
        const double analyses = rate(1.0, [&] { sink += psc::analyzeNetwork(network).arenaBytes; });
        const double parsed =
            rate(1.0, [&] { sink += psc::analyzeNetwork(psc::parseNetworkJson(text, file)).arenaBytes; });
        const double hashes = rate(1.0, [&] { sink += std::int64_t(psc::architectureHash(network).size()); });

        std::printf("analyze only:        %10.0f /s  (%7.2f us each)\n", analyses, 1e6 / analyses);
        std::printf("parse + analyze:     %10.0f /s  (%7.2f us each)\n", parsed, 1e6 / parsed);
        std::printf("architecture hash:   %10.0f /s  (%7.2f us each)\n", hashes, 1e6 / hashes);
        std::printf("parse share of parse + analyze: %.0f %%\n", 100.0 * (1.0 - parsed / analyses));
        return sink == 42 ? 1 : 0;
    } catch (const std::exception &e) {
        std::fprintf(stderr, "%s\n", e.what());
        return 2;
    }
}
