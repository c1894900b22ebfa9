// SPDX-License-Identifier: GPL-3.0-or-later
#include "npumodel.h"

#include "npuweights.h"

#include <algorithm>
#include <cmath>

namespace psc::targets::npu {

using plugin::LayerDeployment;
using plugin::LayerInfo;
using plugin::OpKind;

namespace {

// Vela's largest OFM block (cost-models.md 2.3 item 1) [V].
constexpr int kMaxBlockWidth = 64, kMaxBlockHeight = 32, kMaxBlockDepth = 128;
// Accumulators are 32 bit (40 bit for int16 on some configs; we charge 4 bytes) [V]/[R].
constexpr int kAccumulatorBytes = 4;
// Kernels are split into sub-kernels of at most 8x8 (cost-models.md 2.3 item 1) [V].
constexpr int kSubKernel = 8;
// Pipeline delay per kernel step when a block is a single micro-block in x and y (2.3 item 1) [V].
constexpr double kSingleUblockDelayCycles = 2.0;
/// Vela's MUL rate over its convolution output rate: output table index 3 over index 7, 1.5 on every Ethos-U55/U65
/// configuration (ArchitectureFeatures._generate_output_perf_tables; research 2.4).
constexpr double kMulOverOutputRate = 1.5;

std::int64_t ceilDiv(std::int64_t a, std::int64_t b)
{
    return b > 0 ? (a + b - 1) / b : 0;
}
int roundUp(int a, int b)
{
    return int(ceilDiv(a, b) * b);
}
int elementBytes(const LayerDeployment &d)
{
    return d.activationBits > 8 ? 2 : 1;
}
bool isPool(OpKind op)
{
    return op == OpKind::AvgPool2d || op == OpKind::MaxPool2d || op == OpKind::GlobalAvgPool;
}
bool hasWeights(const LayerInfo &l)
{
    return (l.op == OpKind::Conv2d || l.op == OpKind::DepthwiseConv2d || l.op == OpKind::Dense) && l.weights > 0;
}

struct Kernel
{
    int h = 1, w = 1, sh = 1, sw = 1;
};

Kernel kernelOf(const LayerInfo &l)
{
    if (l.op == OpKind::Dense)
        return {};
    if (l.op == OpKind::GlobalAvgPool)
        return {std::max(1, l.inH), std::max(1, l.inW), 1, 1};
    return {std::max(1, l.kernelH), std::max(1, l.kernelW), std::max(1, l.strideH), std::max(1, l.strideW)};
}

/** IFM depth a conv-like op reduces over: channels for conv, the flattened input for dense. */
std::int64_t reductionDepth(const LayerInfo &l)
{
    if (l.op == OpKind::Dense)
        return l.weights > 0 && l.outC > 0 ? l.weights / l.outC : std::int64_t(l.inC) * l.inH * l.inW;
    return l.inC;
}

} // namespace

const char *opName(OpKind op)
{
    switch (op) {
    case OpKind::Conv2d:
        return "conv2d";
    case OpKind::DepthwiseConv2d:
        return "depthwise_conv2d";
    case OpKind::Dense:
        return "dense";
    case OpKind::AvgPool2d:
        return "avg_pool2d";
    case OpKind::MaxPool2d:
        return "max_pool2d";
    case OpKind::GlobalAvgPool:
        return "global_avg_pool";
    case OpKind::Add:
        return "add";
    case OpKind::Flatten:
        return "flatten";
    case OpKind::BatchNorm:
        return "batch_norm";
    case OpKind::Relu:
        return "relu";
    case OpKind::Relu6:
        return "relu6";
    case OpKind::Softmax:
        return "softmax";
    }
    return "unknown";
}

NpuTarget::NpuTarget(std::string targetId, NpuConfig config)
    : m_targetId(std::move(targetId)), m_config(std::move(config))
{}

ComputeEstimate NpuTarget::compute(const LayerInfo &layer, const LayerDeployment &deployment) const
{
    const NpuConfig &c = m_config;
    ComputeEstimate e;
    const Kernel k = kernelOf(layer);
    const bool convLike = layer.op == OpKind::Conv2d || layer.op == OpKind::Dense;
    const int eb = elementBytes(deployment);
    const std::int64_t depth = reductionDepth(layer);
    // Vela 3.10's kernel traversal for convolutions (npu_performance._choose_kernel_method; docs/research/
    // fidelity-references.md 2.3): part-kernel-first, 4 kernel elements per step on 8 input channels at a time and
    // an IFM block 16 deep, when C_in <= 8 or when it fills the MAC array better than depth-first's K steps on 32
    // channels: C_in*K / (roundup(C_in, 8)*roundup(K, 4)) > C_in / roundup(C_in, 32). int8 only; fully connected
    // layers are always depth-first (a vector product).
    const std::int64_t kernelArea = std::int64_t(k.h) * k.w;
    const bool partKernelFirst =
        layer.op == OpKind::Conv2d && eb == 1 &&
        (depth <= 8 || double(depth * kernelArea) / double(roundUp(int(depth), 8) * roundUp(int(kernelArea), 4)) >
                           double(depth) / double(roundUp(int(depth), 32)));
    const int ifmBlockDepth = partKernelFirst ? 16 : (eb == 2 ? 16 : 32); // cost-models.md 2.3 item 1 [V]
    const int outW = std::max(1, layer.outW), outH = std::max(1, layer.outH), outC = std::max(1, layer.outC);

    // Fixed block rule instead of Vela's search: start from the whole OFM (capped at 64x32x128) and halve
    // the largest dimension (depth first on ties, keeping spatial blocks large so weights are re-read less)
    // until the IFM buffer and the accumulators fit the SHRAM.
    OfmBlock b{std::min(roundUp(outW, c.ublockWidth), kMaxBlockWidth),
               std::min(roundUp(outH, c.ublockHeight), kMaxBlockHeight),
               std::min(roundUp(outC, c.ublockDepth), kMaxBlockDepth)};
    auto fits = [&](const OfmBlock &blk) {
        const std::int64_t ifmDepth =
            convLike ? std::min<std::int64_t>(ifmBlockDepth, roundUp(int(depth), 8)) : blk.depth;
        const std::int64_t ifmBytes =
            std::int64_t((blk.width - 1) * k.sw + k.w) * ((blk.height - 1) * k.sh + k.h) * ifmDepth * eb;
        const std::int64_t accBytes = std::int64_t(blk.width) * blk.height * blk.depth * kAccumulatorBytes;
        return ifmBytes + accBytes <= c.shramBytes;
    };
    auto halve = [](int v, int ub) { return std::max(ub, roundUp(int(ceilDiv(v, 2)), ub)); };
    while (!fits(b)) {
        const bool canD = b.depth > c.ublockDepth, canH = b.height > c.ublockHeight, canW = b.width > c.ublockWidth;
        if (canD && (!canH || b.depth >= b.height) && (!canW || b.depth >= b.width))
            b.depth = halve(b.depth, c.ublockDepth);
        else if (canH && (!canW || b.height >= b.width))
            b.height = halve(b.height, c.ublockHeight);
        else if (canW)
            b.width = halve(b.width, c.ublockWidth);
        else
            break; // a single micro-block: accept it, the hardware streams the kernel
    }
    e.block = b;
    e.partKernelFirst = partKernelFirst;

    const double nXY = double(ceilDiv(b.width, c.ublockWidth) * ceilDiv(b.height, c.ublockHeight));
    const double nZ = double(ceilDiv(b.depth, c.ublockDepth));
    const double cyclesWb = 32.0 * c.ublockDepth / 8.0;
    const double kernelElems = double(k.h) * k.w;
    double dpu = 0;
    if (convLike && partKernelFirst) {
        // ceil(K/4) steps per 8 channels of the 16-deep IFM block, for each IFM block (research 2.3).
        const double delay = nXY == 1 ? kSingleUblockDelayCycles : 0.0;
        const double eighths = double(ceilDiv(std::min<std::int64_t>(depth, ifmBlockDepth), 8));
        dpu = (std::max(cyclesWb, 4 * nXY) + delay) * std::ceil(kernelElems / 4) * eighths * nZ *
              double(ceilDiv(depth, ifmBlockDepth));
    } else if (convLike) {
        const double delay = nXY == 1 ? kSingleUblockDelayCycles : 0.0;
        dpu = (std::max(cyclesWb, 4 * nXY) + delay) * kernelElems * nZ * double(ceilDiv(depth, ifmBlockDepth));
    } else if (layer.op == OpKind::DepthwiseConv2d) {
        dpu = std::max(cyclesWb, 4 * nXY * (eb == 2 ? 2 : 1)) * std::ceil(kernelElems / 4) * nZ;
    } else if (layer.op == OpKind::GlobalAvgPool) {
        // Vela lowers MEAN to a depthwise convolution with an all-ones H x W kernel and a MUL by 1/(H*W)
        // (tflite_graph_optimiser.convert_mean_to_depthwise_conv; research 2.7): 4 kernel elements per step on each
        // sub-kernel of at most 8 x 8, every step at least cycles_wb on the single OFM micro-block.
        double steps = 0;
        for (int y = 0; y < k.h; y += kSubKernel)
            for (int x = 0; x < k.w; x += kSubKernel)
                steps += std::ceil(double(std::min(kSubKernel, k.h - y) * std::min(kSubKernel, k.w - x)) / 4);
        dpu = std::max(cyclesWb, 4 * nXY * (eb == 2 ? 2 : 1)) * steps * nZ;
        e.loweredWeightBytes = std::int64_t(k.h) * k.w * layer.inC; // the ones, one byte each
        e.mulCycles = double(layer.inC) * c.outputCyclesPerElement * kMulOverOutputRate;
    } else if (isPool(layer.op)) {
        const bool u55x32 = c.macsPerCycle / std::max(1, c.cores) == 32;
        dpu = std::max(4.0, kernelElems) * nXY * nZ * (eb == 2 && !u55x32 ? 2 : 1);
    }
    e.dpuCyclesPerBlock = dpu / std::max(1, c.cores);
    e.outputCyclesPerBlock = double(b.width) * b.height * b.depth * c.outputCyclesPerElement;

    const std::int64_t spatialBlocks = ceilDiv(outW, b.width) * ceilDiv(outH, b.height);
    const std::int64_t depthBlocks = ceilDiv(outC, b.depth);
    e.blocks = spatialBlocks * depthBlocks;
    // Pipelining: the MAC array and the output stage overlap across blocks (2.3 item 3).
    e.cycles = std::max(e.dpuCyclesPerBlock, e.outputCyclesPerBlock) * double(e.blocks) +
               std::min(e.dpuCyclesPerBlock, e.outputCyclesPerBlock) + e.mulCycles;
    e.ifmRereads = convLike ? ceilDiv(k.h, kSubKernel) * ceilDiv(k.w, kSubKernel) * depthBlocks : 1;
    e.weightRereads = spatialBlocks;
    e.weightStreams = int(depthBlocks) * std::max(1, c.cores);
    return e;
}

std::string NpuTarget::unsupportedReason(const LayerInfo &l, const LayerDeployment &d) const
{
    // Constraints from Vela's supported-operator report (nxp-imx/ethos-u-vela SUPPORTED_OPS.md, Vela 3.6.1).
    const std::string_view op = opName(l.op);
    if (m_config.fallbackOps.count(op))
        return std::string(op) + " is listed in fallback_ops";
    if (d.activationBits > 16)
        return "activations wider than 16 bits (the NPU takes int8/int16)";
    if (hasWeights(l) && d.weightBits > 8)
        return "weights wider than 8 bits (weight tensors must be 8-bit)";
    for (int dim : {l.inC, l.inH, l.inW, l.outC, l.outH, l.outW})
        if (dim > 65535)
            return "tensor dimension above 65535";
    const Kernel k = kernelOf(l);
    const std::int64_t kernelElems = std::int64_t(k.h) * k.w;
    switch (l.op) {
    case OpKind::Conv2d:
        if (k.sh > 4 || k.sw > 4)
            return "conv2d stride above 4";
        if (k.h > 64 || kernelElems > 4096)
            return "conv2d kernel height above 64 or area above 4096";
        break;
    case OpKind::DepthwiseConv2d:
        if (k.sh > 3 || k.sw > 3)
            return "depthwise_conv2d stride above 3";
        if (k.h > 64 || kernelElems > 4096)
            return "depthwise_conv2d kernel height above 64 or area above 4096";
        if (l.outC != l.inC && l.inC != 1)
            return "depthwise_conv2d depth multiplier > 1 needs 1 input channel";
        break;
    case OpKind::AvgPool2d:
    case OpKind::MaxPool2d:
        if (k.sh > 3 || k.sw > 3)
            return std::string(op) + " stride above 3";
        if (k.h > 256 || kernelElems > 65536)
            return std::string(op) + " kernel height above 256 or area above 65536";
        break;
    case OpKind::GlobalAvgPool: // lowered to MEAN
        if (d.activationBits > 8)
            return "global_avg_pool (MEAN) needs int8 input";
        if (kernelElems > 65536)
            return "global_avg_pool (MEAN) over more than 65536 elements";
        break;
    default:
        break;
    }
    return {};
}

} // namespace psc::targets::npu
