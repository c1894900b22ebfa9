// SPDX-License-Identifier: GPL-3.0-or-later
// Fits the MCU cost model's estimate of Paretoscope's C export (plugins/targets/mcu/mcucexport.h) to measurements:
// random networks of every layer kind the export writes (random weights, calibrated), exported to C, compiled with
// arm-none-eabi-gcc for each core and run once on QEMU with the instruction-counting plugin. Least squares gives
// the code bytes per kernel and per call and the instructions per unit of work; the constants' bytes and the arena
// are counted exactly and only checked. Prints the fit (R^2, max relative error) and the coefficient table that
// mcucexport.cpp holds. These networks are not the ones bench_cexport checks the estimate on.
//
// Usage: bench_cexport_calibrate [networks=40] [seed=7]   (PSC_DEBUG=1 prints networks whose constants differ)

#include "../tests/engine/quantizedmodels.h"
#include "mcucexport.h"
#include "psc/export/cortexm.h"
#include "psc/export/exporter.h"
#include "psc/net/analysis.h"
#include "psc/net/deployedmemory.h"
#include "psc/quant/integerinference.h"
#include "psc/targets/costinput.h"

#include <QCoreApplication>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <random>
#include <string>
#include <vector>

using namespace psc;
using namespace psc::targets::mcu;

namespace {

/** A random network of the kinds the export writes: strided stems, depthwise-separable and residual blocks, pools,
 *  factorised layers, unfused ReLUs, a global-average-pool or flatten head; weights 8, 4 or 2 bits. */
std::string randomNetwork(std::mt19937 &rng, int index)
{
    auto pick = [&rng](std::initializer_list<int> values) {
        std::vector<int> v(values);
        return v[std::uniform_int_distribution<std::size_t>(0, v.size() - 1)(rng)];
    };
    auto chance = [&rng](double p) { return std::uniform_real_distribution<double>(0, 1)(rng) < p; };
    auto bits = [&] { return std::string(R"(, "weight_bits": )") + std::to_string(pick({8, 8, 4, 2})); };
    // Conv2d, depthwise and dense: a third pruned, unstructured (stored as presence bits, or CSR when very sparse),
    // N:M or DBB, each stored in the encoding the study charges.
    auto sparse = [&] {
        if (!chance(0.35))
            return std::string();
        switch (pick({0, 1, 2, 3, 4, 5, 6})) {
        case 0:
        case 1:
        case 2:
        case 3:
            return std::string(R"(, "sparsity": {"pattern": "unstructured", "fraction": )") +
                   std::to_string(pick({50, 70, 90, 97}) / 100.0) + "}";
        case 4:
            return std::string(R"(, "sparsity": {"pattern": "n:m", "n": 1, "m": 4})");
        case 5:
            return std::string(R"(, "sparsity": {"pattern": "n:m", "n": 2, "m": 4})");
        default:
            return std::string(R"(, "sparsity": {"pattern": "dbb", "block_size": 8, "max_nonzeros": 2})");
        }
    };
    const int inC = pick({1, 1, 3}), size = pick({12, 16, 20, 28});
    if (index % 8 == 7) { // no convolution at all: factorised layers on the flattened input
        return R"({"name": "mlp)" + std::to_string(index) + R"(", "input": {"channels": 1, "height": )" +
               std::to_string(size) + R"(, "width": )" + std::to_string(size) + R"(}, "layers": [
    {"type": "flatten"},
    {"type": "low_rank", "out_channels": )" +
               std::to_string(pick({32, 64})) + R"(, "rank": )" + std::to_string(pick({4, 8, 16})) +
               R"(, "activation": "relu")" + bits() + R"(},
    {"type": "low_rank", "out_channels": 10, "rank": 4)" +
               bits() + R"(}]})";
    }
    int h = size, c = 0, n = 0;
    std::string layers;
    auto layer = [&](const std::string &body) {
        layers +=
            std::string(layers.empty() ? "" : ",\n") + "    {" + body + R"(, "name": "l)" + std::to_string(n++) + "\"}";
        return "l" + std::to_string(n - 1);
    };
    c = pick({4, 8, 12, 16});
    const int stemStride = h > 16 ? 2 : pick({1, 2});
    layer(R"("type": "conv2d", "out_channels": )" + std::to_string(c) + R"(, "kernel": )" +
          std::to_string(pick({3, 5})) + R"(, "stride": )" + std::to_string(stemStride) +
          R"(, "padding": "same", "activation": "relu")" + bits() + sparse());
    h = (h + stemStride - 1) / stemStride;
    const int blocks = pick({1, 2, 3});
    for (int b = 0; b < blocks && h >= 4; ++b) {
        switch (pick({0, 1, 2, 3, 4})) {
        case 0: { // depthwise-separable, maybe strided
            const int s = pick({1, 2});
            layer(R"("type": "depthwise_conv2d", "kernel": 3, "stride": )" + std::to_string(s) +
                  R"(, "padding": "same", "activation": "relu")" + bits() + sparse());
            h = (h + s - 1) / s;
            c = pick({8, 16, 24, 32});
            layer(R"("type": "conv2d", "out_channels": )" + std::to_string(c) +
                  R"(, "kernel": 1, "activation": "relu")" + bits() + sparse());
            break;
        }
        case 1: { // residual: dw + pw back to c channels, add, unfused relu
            const std::string from = "l" + std::to_string(n - 1);
            layer(R"("type": "depthwise_conv2d", "kernel": 3, "padding": "same", "activation": "relu")" + bits() +
                  sparse());
            const std::string pw = layer(R"("type": "conv2d", "out_channels": )" + std::to_string(c) +
                                         R"(, "kernel": 1)" + bits() + sparse());
            layer(R"("type": "add", "inputs": [")" + from + R"(", ")" + pw + R"("])");
            if (chance(0.6))
                layer(R"("type": "relu")");
            break;
        }
        case 2: { // pool, sometimes with a ReLU that cannot be fused
            const int k = pick({2, 2, 3});
            layer(std::string(R"("type": ")") + (chance(0.5) ? "max_pool2d" : "avg_pool2d") + R"(", "kernel": )" +
                  std::to_string(k) + R"(, "stride": 2, "padding": "same")");
            h = (h + 1) / 2;
            if (chance(0.3))
                layer(R"("type": "relu6")");
            break;
        }
        case 3: { // plain 3x3 conv
            c = pick({8, 16, 24});
            layer(R"("type": "conv2d", "out_channels": )" + std::to_string(c) +
                  R"(, "kernel": 3, "padding": "same", "activation": "relu")" + bits() + sparse());
            break;
        }
        case 4: { // per-pixel low-rank
            const int out = pick({8, 16, 24});
            layer(R"("type": "low_rank", "out_channels": )" + std::to_string(out) + R"(, "rank": )" +
                  std::to_string(std::max(1, std::min(c, out) / 2)) + R"(, "activation": "relu")" + bits());
            c = out;
            break;
        }
        }
    }
    if (chance(0.5)) {
        layer(R"("type": "global_avg_pool")");
        if (chance(0.3))
            layer(R"("type": "low_rank", "out_channels": 10, "rank": )" + std::to_string(std::max(1, c / 4)) + bits());
        else
            layer(R"("type": "dense", "units": 10)" + bits() + sparse());
    } else {
        layer(R"("type": "flatten")");
        layer(R"("type": "dense", "units": 10)" + bits() + sparse());
    }
    layer(R"("type": "softmax")");
    return R"({"name": "calibration)" + std::to_string(index) + R"(", "input": {"channels": )" + std::to_string(inC) +
           R"(, "height": )" + std::to_string(size) + R"(, "width": )" + std::to_string(size) + "}, \"layers\": [\n" +
           layers + "]}";
}

/** Solves the normal equations a b = r for the columns in `support` (the others 0); false if singular. */
bool solveOn(const std::vector<std::vector<double>> &ata, const std::vector<double> &atb, unsigned support,
             std::vector<double> &b)
{
    std::vector<std::size_t> cols;
    for (std::size_t i = 0; i < atb.size(); ++i)
        if (support & (1u << i))
            cols.push_back(i);
    const std::size_t k = cols.size();
    std::vector<std::vector<double>> a(k, std::vector<double>(k + 1));
    for (std::size_t i = 0; i < k; ++i) {
        for (std::size_t j = 0; j < k; ++j)
            a[i][j] = ata[cols[i]][cols[j]];
        a[i][k] = atb[cols[i]];
    }
    for (std::size_t col = 0; col < k; ++col) {
        std::size_t pivot = col;
        for (std::size_t r = col + 1; r < k; ++r)
            if (std::abs(a[r][col]) > std::abs(a[pivot][col]))
                pivot = r;
        std::swap(a[col], a[pivot]);
        const double p = a[col][col];
        if (std::abs(p) < 1e-12 * (1.0 + std::abs(ata[cols[col]][cols[col]])))
            return false;
        for (double &v : a[col])
            v /= p;
        for (std::size_t r = 0; r < k; ++r)
            if (r != col && a[r][col] != 0.0) {
                const double f = a[r][col];
                for (std::size_t j = 0; j <= k; ++j)
                    a[r][j] -= f * a[col][j];
            }
    }
    b.assign(atb.size(), 0.0);
    for (std::size_t i = 0; i < k; ++i)
        b[cols[i]] = a[i][k];
    return true;
}

/**
 * Non-negative least squares on relative errors (measurements span orders of magnitude, and small networks must fit
 * too): every support set is tried and the best one with no negative coefficient wins, which is exact and cheap for
 * a dozen unknowns. A negative slope would make some network cost less than nothing.
 */
std::vector<double> leastSquares(const std::vector<std::vector<double>> &x, const std::vector<double> &y)
{
    const std::size_t k = x.front().size();
    std::vector<std::vector<double>> ata(k, std::vector<double>(k, 0.0));
    std::vector<double> atb(k, 0.0);
    for (std::size_t s = 0; s < x.size(); ++s)
        for (std::size_t i = 0; i < k; ++i) {
            for (std::size_t j = 0; j < k; ++j)
                ata[i][j] += x[s][i] * x[s][j] / (y[s] * y[s]);
            atb[i] += x[s][i] / y[s];
        }
    std::vector<double> best(k, 0.0), b;
    double bestResidual = std::numeric_limits<double>::infinity();
    for (unsigned support = 1; support < (1u << k); ++support) {
        if (!solveOn(ata, atb, support, b) || std::any_of(b.begin(), b.end(), [](double v) { return v < 0.0; }))
            continue;
        double residual = 0.0;
        for (std::size_t s = 0; s < x.size(); ++s) {
            double p = 0.0;
            for (std::size_t i = 0; i < k; ++i)
                p += b[i] * x[s][i];
            residual += (p / y[s] - 1.0) * (p / y[s] - 1.0);
        }
        if (residual < bestResidual) {
            bestResidual = residual;
            best = b;
        }
    }
    return best;
}

struct Fit
{
    double rSquared = 0, maxRelative = 0;
};

Fit quality(const std::vector<std::vector<double>> &x, const std::vector<double> &y, const std::vector<double> &b)
{
    double mean = 0;
    for (double v : y)
        mean += v / double(y.size());
    double ssRes = 0, ssTot = 0, maxRel = 0;
    for (std::size_t s = 0; s < x.size(); ++s) {
        double p = 0;
        for (std::size_t i = 0; i < b.size(); ++i)
            p += b[i] * x[s][i];
        ssRes += (y[s] - p) * (y[s] - p);
        ssTot += (y[s] - mean) * (y[s] - mean);
        maxRel = std::max(maxRel, std::abs(p - y[s]) / y[s]);
    }
    return {ssTot > 0 ? 1 - ssRes / ssTot : 0, maxRel};
}

std::string list(const std::vector<double> &v, std::size_t from, std::size_t count, int decimals)
{
    std::string out;
    for (std::size_t i = from; i < from + count; ++i) {
        char buffer[64];
        std::snprintf(buffer, sizeof buffer, "%s%.*f", i > from ? ", " : "", decimals, v[i]);
        out += buffer;
    }
    return out;
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const int networks = argc > 1 ? std::atoi(argv[1]) : 40;
    const auto seed = std::uint32_t(argc > 2 ? std::atoi(argv[2]) : 7);
    const CortexMTools tools = CortexMTools::locate();
    if (!tools.usable()) {
        std::fprintf(stderr, "cannot measure: missing %s\n", tools.missing.c_str());
        return 1;
    }
    std::mt19937 rng(seed);
    struct Sample
    {
        CExportCounters counters;
        std::int64_t arena = 0;
        std::vector<FileToWrite> files;
        std::string json;
    };
    std::vector<Sample> samples;
    for (int i = 0; i < networks; ++i) {
        const std::string json = randomNetwork(rng, i);
        const TrainedModel trained = testing::calibratedRandomModel(json, rng);
        const NetworkDescription &net = trained.network;
        const IntegerModel model = IntegerModel::quantize(trained);
        const ExportOutput out = makeExporter(ExportFormat::C)->write(model, {"model", ""});
        Sample s;
        // With the weights' values, as a trained trial's estimate has them: exact zeros for the bitmasks.
        const plugin::NetworkInfo info = toNetworkInfo(net, analyzeNetwork(net));
        std::vector<plugin::LayerDeployment> deployment = defaultDeployment(net);
        attachWeightValues(deployment, info, weightValues(model));
        s.counters = cExportCounters(info, deployment);
        s.arena = deployedArenaBytes(net);
        s.json = json;
        for (const ExportedFile &f : out.files)
            s.files.push_back({f.name, f.bytes});
        samples.push_back(std::move(s));
    }
    std::printf("%d random networks (seed %u)\n", networks, unsigned(seed));
    for (const char *core : {"cortex-m4", "cortex-m7", "cortex-m55"}) {
        std::vector<std::vector<double>> xi, xc;
        std::vector<double> yi, yc;
        std::int64_t rodataOff = 0, arenaOff = 0;
        for (const Sample &s : samples) {
            const CBuildMeasurement m = measureCExport(tools, s.files, core);
            rodataOff = std::max(rodataOff, std::abs(m.rodataBytes + m.dataBytes - s.counters.constantBytes));
            if (std::getenv("PSC_DEBUG") && m.rodataBytes + m.dataBytes != s.counters.constantBytes)
                std::printf("rodata %lld counted %lld\n%s\n", static_cast<long long>(m.rodataBytes + m.dataBytes),
                            static_cast<long long>(s.counters.constantBytes), s.json.c_str());
            arenaOff = std::max(arenaOff, std::abs(m.bssBytes - s.arena));
            std::vector<double> fi = {1.0};
            fi.insert(fi.end(), s.counters.work.begin(), s.counters.work.end());
            xi.push_back(fi);
            yi.push_back(double(m.instructions));
            std::vector<double> fc = {1.0};
            for (bool k : s.counters.kernels)
                fc.push_back(k ? 1.0 : 0.0);
            fc.push_back(s.counters.work[int(CWork::Calls)]);
            xc.push_back(fc);
            yc.push_back(double(m.textBytes));
        }
        const std::vector<double> bi = leastSquares(xi, yi), bc = leastSquares(xc, yc);
        const Fit fi = quality(xi, yi, bi), fc = quality(xc, yc, bc);
        std::printf("\n%s (QEMU %s)\n", core, qemuMachineForCore(core)->c_str());
        std::printf("  constants: largest |rodata + data - counted| %lld B; arena: largest |bss - planned| %lld B\n",
                    static_cast<long long>(rodataOff), static_cast<long long>(arenaOff));
        std::printf("  instructions: R^2 %.5f, max relative error %.2f %%\n", fi.rSquared, 100 * fi.maxRelative);
        std::printf("  code (.text): R^2 %.5f, max relative error %.2f %%\n", fc.rSquared, 100 * fc.maxRelative);
        std::printf("  table: {%s, {%s}, %s, {%s}, %s}\n", list(bi, 0, 1, 1).c_str(),
                    list(bi, 1, std::size_t(kCWorkCounters), 3).c_str(), list(bc, 0, 1, 1).c_str(),
                    list(bc, 1, std::size_t(kCKernels), 1).c_str(), list(bc, 1 + std::size_t(kCKernels), 1, 2).c_str());
    }
    return 0;
}
