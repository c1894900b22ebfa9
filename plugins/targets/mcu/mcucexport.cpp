// SPDX-License-Identifier: GPL-3.0-or-later
#include "mcucexport.h"

#include "mcumodel.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace psc::targets::mcu {

using plugin::FusedActivation;
using plugin::LayerDeployment;
using plugin::LayerInfo;
using plugin::NetworkInfo;
using plugin::OpKind;

namespace {

// Bytes of the export's layer descriptors (const structs in .rodata, 32-bit pointers): psc_conv_t 92,
// psc_factorized_t 88, psc_pool_t 60, psc_mean_t 32, psc_add_t 32 (engine/src/export/cexporter.cpp).
constexpr std::int64_t kConvDescriptor = 92;
constexpr std::int64_t kFactorizedDescriptor = 88;
constexpr std::int64_t kPoolDescriptor = 60;
constexpr std::int64_t kMeanDescriptor = 32;
constexpr std::int64_t kAddDescriptor = 32;

bool weighted(OpKind op)
{
    return op == OpKind::Conv2d || op == OpKind::DepthwiseConv2d || op == OpKind::Dense;
}

bool firstFactorStage(const LayerInfo &l)
{
    const std::string &n = l.name;
    return n.size() > 2 && n[n.size() - 2] == ':' && (n.back() == 'v' || n.back() == 'b');
}

std::int64_t outputs(const LayerInfo &l)
{
    return std::int64_t(l.outC) * l.outH * l.outW;
}

/** Weights as the export packs them: 8 bits as bytes, fewer packed back to back. */
std::int64_t packedBytes(std::int64_t weights, int bits)
{
    return (weights * std::clamp(bits, 1, 8) + 7) / 8;
}

/** Along one axis: kernel positions inside the input summed over the outputs, and those rows' count. The padding
 *  before is half the total, rounded down (TFLite's "same"; explicit symmetric padding gives the same split). */
std::int64_t insideTaps(int in, int out, int kernel, int stride)
{
    const std::int64_t total = std::max<std::int64_t>(0, std::int64_t(out - 1) * stride + kernel - in);
    const std::int64_t before = total / 2;
    std::int64_t taps = 0;
    for (std::int64_t o = 0; o < out; ++o) {
        const std::int64_t first = o * stride - before;
        taps +=
            std::max<std::int64_t>(0, std::min<std::int64_t>(first + kernel, in) - std::max<std::int64_t>(first, 0));
    }
    return taps;
}

} // namespace

CStoredWeights cStoredWeights(const LayerInfo &l, const LayerDeployment &d)
{
    CStoredWeights stored;
    const int bits = std::clamp(d.weightBits, 1, 8);
    std::int64_t zeros = 0;
    if (d.weightValues && d.weightValues->total() == l.weights)
        zeros = d.weightValues->count(0);
    else
        zeros = l.weights - std::int64_t(std::ceil(double(l.weights) * (1.0 - effectiveSparsity(d))));
    stored.bytes = packedBytes(l.weights, bits == 1 && zeros > 0 ? 2 : bits);
    const bool pruned = d.pattern == plugin::SparsityPattern::Unstructured ||
                        d.pattern == plugin::SparsityPattern::Dbb || d.pattern == plugin::SparsityPattern::NM;
    if (!pruned || effectiveSparsity(d) <= 0.0 || l.weights <= 0)
        return stored;
    const std::int64_t bitmaskBytes = (l.weights + 7) / 8 + packedBytes(l.weights - zeros, bits);
    if (bitmaskBytes < stored.bytes) {
        stored.bitmask = true;
        stored.bytes = bitmaskBytes;
        stored.density = double(l.weights - zeros) / double(l.weights);
    }
    return stored;
}

CExportCounters cExportCounters(const NetworkInfo &network, const std::vector<LayerDeployment> &deployment)
{
    if (deployment.size() != network.layers.size())
        throw std::invalid_argument("cExportCounters: one deployment per layer expected");
    CExportCounters c;
    auto add = [&c](CWork w, double amount) { c.work[int(w)] += amount; };
    bool conv = false, factorized = false;
    const LayerInfo *previous = nullptr; // the last layer that runs, for ReLU fusion
    for (std::size_t i = 0; i < network.layers.size(); ++i) {
        const LayerInfo &l = network.layers[i];
        const LayerDeployment &d = deployment[i];
        if (l.foldedIntoProducer)
            continue;
        const bool first = firstFactorStage(l);
        const bool second = i > 0 && firstFactorStage(network.layers[i - 1]);
        if (weighted(l.op)) {
            const bool packed = d.weightBits < 8;
            const CStoredWeights stored = first || second
                                              ? CStoredWeights{false, packedBytes(l.weights, d.weightBits), 1.0}
                                              : cStoredWeights(l, d);
            if (first || second) {
                add(CWork::FactorMacs, double(l.macs));
            } else if (stored.bitmask) {
                // psc_conv_sparse walks every filter position's presence bit per output, and every non-zero's
                // column; taps inside the input are counted as the dense kernel would, thinned by the density.
                const bool dense = l.op == OpKind::Dense;
                const double filterChannels = dense ? double(std::int64_t(l.inC) * l.inH * l.inW)
                                                    : (l.op == OpKind::DepthwiseConv2d ? 1.0 : double(l.inC));
                const int kh = dense ? 1 : l.kernelH, kw = dense ? 1 : l.kernelW;
                const double rows = dense ? 1.0 : double(insideTaps(l.inH, l.outH, kh, l.strideH));
                const double columns = dense ? 1.0 : double(insideTaps(l.inW, l.outW, kw, l.strideW));
                const double pixels = dense ? 1.0 : double(l.outH) * l.outW;
                const double positions = double(l.outC) * pixels * filterChannels * kh * kw;
                add(CWork::MaskTests, positions);
                add(CWork::SparseTaps, positions * stored.density);
                add(CWork::SparseMacs, double(l.outC) * filterChannels * rows * columns * stored.density);
                add(CWork::RowChecks, double(l.outC) * filterChannels * pixels * kh);
                c.kernels[int(CKernel::SparseConv)] = true;
            } else {
                // Dense runs as a 1x1 conv over C x 1 x 1: every input element is a filter channel.
                const bool dense = l.op == OpKind::Dense;
                const double filterChannels = dense ? double(std::int64_t(l.inC) * l.inH * l.inW)
                                                    : (l.op == OpKind::DepthwiseConv2d ? 1.0 : double(l.inC));
                const int kh = dense ? 1 : l.kernelH, kw = dense ? 1 : l.kernelW;
                const double rows = dense ? 1.0 : double(insideTaps(l.inH, l.outH, kh, l.strideH));
                const double columns = dense ? 1.0 : double(insideTaps(l.inW, l.outW, kw, l.strideW));
                const double outW = dense ? 1.0 : double(l.outW), outH = dense ? 1.0 : double(l.outH);
                add(CWork::ConvTaps, double(l.outC) * filterChannels * rows * columns);
                add(CWork::RowChecks, double(l.outC) * filterChannels * outH * outW * kh);
            }
            if (packed)
                add(CWork::PackedMacs, double(l.macs) * stored.density);
            add(CWork::Requantized, double(outputs(l)));
            c.constantBytes += stored.bytes;
            if (first) {
                // The first factor's requantisation constants (int32 multiplier, int8 shift per row); the call
                // and the descriptor belong to the second stage.
                c.constantBytes += 5 * std::int64_t(l.outC);
                factorized = true;
            } else {
                // int32 bias (folded batch norms give every layer one), int32 multiplier and int8 shift per channel.
                c.constantBytes += 9 * std::int64_t(l.outC) + (second ? kFactorizedDescriptor : kConvDescriptor);
                add(CWork::Calls, 1);
                conv = conv || (!second && !stored.bitmask);
            }
        } else {
            switch (l.op) {
            case OpKind::AvgPool2d:
            case OpKind::MaxPool2d:
                add(CWork::PoolWindow, double(l.outC) * double(insideTaps(l.inH, l.outH, l.kernelH, l.strideH)) *
                                           double(insideTaps(l.inW, l.outW, l.kernelW, l.strideW)));
                add(CWork::PoolOutputs, double(outputs(l)));
                add(CWork::Calls, 1);
                c.constantBytes += kPoolDescriptor;
                c.kernels[int(CKernel::Pool)] = true;
                break;
            case OpKind::GlobalAvgPool:
                add(CWork::MeanElements, double(std::int64_t(l.inC) * l.inH * l.inW));
                add(CWork::Calls, 1);
                c.constantBytes += kMeanDescriptor;
                c.kernels[int(CKernel::Mean)] = true;
                break;
            case OpKind::Add: {
                const int n = std::max(l.inputs, 2);
                add(CWork::AddElements, double(outputs(l)) * n);
                add(CWork::Calls, 1);
                // int32 zero point per input; int32 multiplier and int8 shift per input and for the output; the
                // call's table of input pointers (initialised from .rodata).
                c.constantBytes += 4 * n + 5 * (n + 1) + kAddDescriptor + 4 * n;
                c.kernels[int(CKernel::Add)] = true;
                break;
            }
            case OpKind::Relu:
            case OpKind::Relu6: {
                // Deployment fuses a ReLU into the conv/dense just before it when that has no activation of its own.
                const bool fused = previous && (weighted(previous->op) && !firstFactorStage(*previous)) &&
                                   previous->activation == FusedActivation::None;
                if (!fused) {
                    add(CWork::ClampElements, double(outputs(l)));
                    add(CWork::Calls, 1);
                    c.kernels[int(CKernel::Clamp)] = true;
                }
                break;
            }
            case OpKind::BatchNorm: // unfolded: the export refuses it; nothing to count
            case OpKind::Flatten:
            case OpKind::Softmax:
            default:
                break;
            }
        }
        if (l.op != OpKind::Flatten)
            previous = &l;
    }
    c.kernels[int(CKernel::Conv)] = conv;
    c.kernels[int(CKernel::Factorized)] = factorized;
    return c;
}

const CExportCoefficients &cExportCoefficients(std::string_view core)
{
    // Fitted by bench_cexport_calibrate (100 random networks, seed 7; arm-none-eabi-gcc 12.2 -O2, QEMU 7.2) on
    // 2026-12-07, after pruned layers began to be stored as presence bitmasks (psc_conv_sparse) and global pools
    // became a requantising mean (psc_mean); its output is in
    // docs/targets/mcu.md, "Paretoscope's C export". Refit when the kernels change.
    static const CExportCoefficients m4 = {
        1211.6,
        {16.804, 13.424, 14.934, 64.530, 117.955, 0.000, 0.000, 103.420, 16.970, 0.000, 0.000, 28.281, 0.000, 0.000},
        24.8,
        {870.1, 1366.3, 369.6, 817.2, 66.0, 930.5, 291.2},
        16.47};
    static const CExportCoefficients m7 = {
        799.9,
        {16.870, 13.894, 14.004, 63.108, 114.592, 0.000, 0.000, 90.523, 23.430, 0.000, 0.000, 29.323, 0.000, 0.000},
        24.2,
        {906.0, 1398.5, 361.6, 823.4, 65.5, 910.2, 283.2},
        16.65};
    static const CExportCoefficients m55 = {
        1105.7,
        {17.465, 16.494, 15.008, 64.805, 108.548, 0.000, 0.000, 85.872, 34.883, 0.000, 0.000, 27.710, 0.000, 0.000},
        27.3,
        {847.8, 1295.2, 365.4, 724.7, 63.6, 877.7, 239.2},
        16.54};
    if (core == "cortex-m55" || core == "cortex-m85")
        return m55;
    if (core == "cortex-m7")
        return m7;
    return m4; // cortex-m4, cortex-m4f, cortex-m33: Armv7E-M / Armv8-M mainline DSP code
}

CExportEstimate estimateCExport(const CExportCounters &counters, const CExportCoefficients &k, std::int64_t arenaBytes)
{
    CExportEstimate e;
    double code = k.codeBytesFixed + k.codeBytesPerCall * counters.work[int(CWork::Calls)];
    for (int i = 0; i < kCKernels; ++i)
        if (counters.kernels[std::size_t(i)])
            code += k.codeBytesPerKernel[std::size_t(i)];
    e.flashBytes = counters.constantBytes + std::int64_t(std::llround(code));
    e.sramBytes = std::max<std::int64_t>(arenaBytes, 1); // the export declares at least one byte
    e.instructions = k.instructionsFixed;
    for (int i = 0; i < kCWorkCounters; ++i)
        e.instructions += k.instructionsPer[std::size_t(i)] * counters.work[std::size_t(i)];
    return e;
}

} // namespace psc::targets::mcu
