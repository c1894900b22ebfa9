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
// psc_factorized_t 88, psc_pool_t 60, psc_mean_t 32, psc_add_t 32, psc_sparse_t 44 (engine/src/export/cexporter.cpp).
constexpr std::int64_t kConvDescriptor = 92;
constexpr std::int64_t kFactorizedDescriptor = 88;
constexpr std::int64_t kPoolDescriptor = 60;
constexpr std::int64_t kMeanDescriptor = 32;
constexpr std::int64_t kSparseDescriptor = 44; // psc_sparse_t: nine int32 and two pointers

/** ceil(log2 n): the bits that address n positions (0 for one). */
int addressBits(std::int64_t n)
{
    int bits = 0;
    while ((std::int64_t(1) << bits) < n)
        ++bits;
    return bits;
}
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
    const std::int64_t nonZeros = l.weights - zeros;
    // The choice compares with dense at the layer's bits (the analysis' rule); a dense binary layer holding a zero
    // is then stored at 2 bits.
    const std::int64_t dense = packedBytes(l.weights, bits);
    stored.bytes = packedBytes(l.weights, bits == 1 && zeros > 0 ? 2 : bits);
    const bool dbb = d.pattern == plugin::SparsityPattern::Dbb, nm = d.pattern == plugin::SparsityPattern::NM;
    if ((d.pattern != plugin::SparsityPattern::Unstructured && !dbb && !nm) || effectiveSparsity(d) <= 0.0 ||
        l.weights <= 0 || l.outC <= 0)
        return stored;

    // The weight tensor's rows as the analysis groups them: along the input channels at each kernel position, or
    // over the kernel window where there is one input channel.
    const bool denseOp = l.op == OpKind::Dense;
    const std::int64_t in = denseOp ? std::int64_t(l.inC) * l.inH * l.inW : l.op == OpKind::Conv2d ? l.inC : 1;
    const std::int64_t window = denseOp ? 1 : std::int64_t(l.kernelH) * l.kernelW;
    const std::int64_t length = in == 1 ? window : in, rows = std::int64_t(l.outC) * (in == 1 ? 1 : window);

    const std::int64_t columns = l.weights / l.outC;
    const int columnBits = addressBits(columns);
    const std::int64_t bitmask = (l.weights + 7) / 8 + packedBytes(nonZeros, bits);
    const std::int64_t csr = packedBytes(nonZeros, bits) +
                             nonZeros * (columnBits <= 8    ? 1
                                         : columnBits <= 16 ? 2
                                                            : 4) +
                             (std::int64_t(l.outC) + 1) * (nonZeros <= 65535 ? 2 : 4);
    CEncoding encoding = csr < bitmask ? CEncoding::Csr : CEncoding::Bitmask;
    std::int64_t bytes = std::min(csr, bitmask);
    if (dbb || nm) {
        const int group = dbb ? d.blockSize : d.m, bound = dbb ? d.maxNonZeros : d.n;
        if (group >= 1 && bound >= 1 && bound <= group) {
            const std::int64_t full = length / group, partial = length % group;
            stored.groups = rows * (full + (partial > 0 ? 1 : 0));
            const std::int64_t slots = rows * (full * bound + std::min<std::int64_t>(bound, partial));
            // Else the weights break the bound, or binary N:M slots cannot hold padding zeros: unstructured.
            if (nonZeros <= slots && !(nm && bits == 1)) {
                encoding = dbb ? CEncoding::Dbb : CEncoding::NM;
                bytes = packedBytes(slots, bits) + (dbb ? (l.weights + 7) / 8 : (slots * addressBits(group) + 7) / 8);
                stored.valueSlots = slots;
            }
        }
    }
    if (bytes > dense) // a deployment keeps the dense layout when the sparse one would be larger
        return stored;
    stored.encoding = encoding;
    stored.bytes = bytes;
    stored.density = double(nonZeros) / double(l.weights);
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
            CStoredWeights stored;
            stored.bytes = packedBytes(l.weights, d.weightBits);
            if (!first && !second)
                stored = cStoredWeights(l, d);
            if (first || second) {
                add(CWork::FactorMacs, double(l.macs));
            } else if (stored.encoding != CEncoding::Dense) {
                // psc_conv_sparse decodes each output's filter row by row: presence bits (bitmask, DBB), entries
                // (CSR) or slots (N:M), then checks each non-zero's position; taps inside the input are counted as
                // the dense kernel would, thinned by the density.
                const bool dense = l.op == OpKind::Dense;
                const double filterChannels = dense ? double(std::int64_t(l.inC) * l.inH * l.inW)
                                                    : (l.op == OpKind::DepthwiseConv2d ? 1.0 : double(l.inC));
                const int kh = dense ? 1 : l.kernelH, kw = dense ? 1 : l.kernelW;
                const double rows = dense ? 1.0 : double(insideTaps(l.inH, l.outH, kh, l.strideH));
                const double columns = dense ? 1.0 : double(insideTaps(l.inW, l.outW, kw, l.strideW));
                const double pixels = dense ? 1.0 : double(l.outH) * l.outW;
                const bool windowRows = filterChannels == 1.0; // one input channel: a row is the window
                const double filterRows = windowRows ? 1.0 : double(kh) * kw;
                if (stored.encoding == CEncoding::Bitmask || stored.encoding == CEncoding::Dbb)
                    add(CWork::MaskTests, pixels * double(l.weights));
                if (stored.encoding == CEncoding::Dbb || stored.encoding == CEncoding::NM)
                    add(CWork::SparseGroups, pixels * double(stored.groups));
                add(CWork::SparseTaps,
                    pixels * (stored.encoding == CEncoding::NM ? double(stored.valueSlots)
                                                               : double(l.weights) * stored.density));
                add(CWork::SparseMacs, double(l.outC) * filterChannels * rows * columns * stored.density);
                add(CWork::RowChecks, double(l.outC) * pixels * filterRows);
                c.constantBytes += kSparseDescriptor;
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
                conv = conv || (!second && stored.encoding == CEncoding::Dense);
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
    // 2026-12-07, after pruned layers began to be stored in the encodings the study charges (psc_conv_sparse:
    // bitmask, CSR, DBB, N:M) and global pools became a requantising mean (psc_mean); its output is in
    // docs/targets/mcu.md, "Paretoscope's C export". Refit when the kernels change.
    static const CExportCoefficients m4 = {0.0,
                                           {15.224, 13.536, 14.209, 67.761, 120.636, 18.779, 0.000, 91.013, 0.000,
                                            0.000, 9.194, 2.250, 43.324, 0.000, 50.952},
                                           27.9,
                                           {869.3, 1364.2, 367.7, 814.4, 68.0, 2275.5, 293.9},
                                           15.98};
    static const CExportCoefficients m7 = {0.0,
                                           {15.439, 13.859, 13.723, 65.680, 118.109, 17.432, 0.000, 90.080, 0.000,
                                            0.000, 9.468, 4.592, 39.547, 0.000, 49.829},
                                           27.7,
                                           {905.2, 1396.4, 359.9, 820.4, 68.9, 2319.5, 286.2},
                                           15.99};
    static const CExportCoefficients m55 = {0.0,
                                            {15.216, 16.342, 14.442, 69.310, 113.869, 22.694, 0.000, 84.742, 0.000,
                                             0.000, 8.772, 0.619, 43.187, 0.000, 50.424},
                                            31.3,
                                            {845.1, 1292.3, 363.8, 721.7, 64.6, 2291.7, 242.2},
                                            16.18};
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
