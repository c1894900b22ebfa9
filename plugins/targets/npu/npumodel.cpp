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

std::int64_t ceilDiv(std::int64_t a, std::int64_t b)
{
    return b > 0 ? (a + b - 1) / b : 0;
}
int elementBytes(const LayerDeployment &d)
{
    return d.activationBits > 8 ? 2 : 1;
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

std::vector<OpEstimate> NpuTarget::lower(const LayerInfo &layer, const LayerDeployment &deployment,
                                         const LayerContext &context) const
{
    const NpuConfig &c = m_config;
    std::vector<OpEstimate> ops;
    if (layer.op == OpKind::Flatten || layer.foldedIntoProducer)
        return ops;
    const int bits = elementBytes(deployment) * 8;
    const Kernel k = kernelOf(layer);
    const MemoryArea sram = sramArea(), offchip = offchipArea();
    // Feature maps live in the SRAM arena, except with Dedicated_Sram, where the arena is in DRAM and the SRAM a
    // cache: the network's input and output stay in DRAM (Vela keeps the NPU subgraph's inputs and outputs there).
    const bool dedicated = c.memoryMode == MemoryMode::DedicatedSram;
    const MemoryArea ifmArea = dedicated && context.networkInput ? offchip : sram;
    const MemoryArea ofmArea = dedicated && context.networkOutput ? offchip : sram;

    auto base = [&](BlockType type) {
        NpuOp op;
        op.type = type;
        op.ifm = {std::max(1, layer.inH), std::max(1, layer.inW), std::max(1, layer.inC)};
        op.ofm = {std::max(1, layer.outH), std::max(1, layer.outW), std::max(1, layer.outC)};
        op.ifmBits = op.ofmBits = bits;
        op.kernelH = k.h;
        op.kernelW = k.w;
        op.strideH = k.sh;
        op.strideW = k.sw;
        op.ifmLinear = context.networkInput;
        op.ofmLinear = context.networkOutput;
        op.ifmArea = ifmArea;
        op.ofmArea = ofmArea;
        if (layer.activation == plugin::FusedActivation::Relu || layer.activation == plugin::FusedActivation::Relu6)
            op.activation = ActivationRate::Relu;
        return op;
    };
    double slack = context.previousSlack;
    // Encoded from the trained weights' histogram if the trial has one, else from the prior (npuweights.h).
    const std::int64_t perChannel = layer.weights > 0 ? layer.weights / std::max(1, layer.outC) : 0;
    auto add = [&](const char *what, const NpuOp &op, bool hasWeights = false, bool buffer = false) {
        ops.push_back(costOp(what, op, hasWeights ? &deployment : nullptr, perChannel, buffer, slack));
        slack = ops.back().slack;
    };

    switch (layer.op) {
    case OpKind::Conv2d: {
        NpuOp op = base(BlockType::ConvolutionMxN);
        op.hasBias = true;
        if (context.networkInput)
            foldStrideIntoDepth(layer, op);
        add("conv", op, true, true);
        break;
    }
    case OpKind::DepthwiseConv2d: {
        NpuOp op = base(BlockType::ConvolutionDepthWise);
        op.hasBias = true;
        add("depthwise", op, true, true);
        break;
    }
    case OpKind::Dense: {
        // A vector product over the flattened input; its weights are read straight from their home memory.
        NpuOp op = base(BlockType::VectorProduct);
        op.ifm = {1, 1, int(std::max<std::int64_t>(1, reductionDepth(layer)))};
        op.ofm = {1, 1, std::max(1, layer.outC)};
        op.kernelH = op.kernelW = op.strideH = op.strideW = 1;
        op.hasBias = true;
        add("fully connected", op, true, false);
        break;
    }
    case OpKind::AvgPool2d:
    case OpKind::MaxPool2d: {
        NpuOp op = base(BlockType::Pooling);
        if (layer.op == OpKind::MaxPool2d)
            op.outputRate = OutputRate::MaxPool;
        add(layer.op == OpKind::MaxPool2d ? "max pool" : "average pool", op);
        break;
    }
    case OpKind::GlobalAvgPool: {
        // Charged as an AVERAGE_POOL_2D over the whole map (VALID), which Vela runs on the pooling datapath in
        // sub-kernels of 8 x 8: how Paretoscope's TFLite export wrote global pools until 2026-12. It now writes MEAN
        // (the pool has its own output quantisation), which Vela turns into all-ones depthwise convolutions and a
        // MUL (tflite_graph_optimiser.convert_mean_to_depthwise_conv): the same elements on another datapath, not
        // modelled yet (docs/targets/npu.md).
        NpuOp op = base(BlockType::Pooling);
        op.ofm = {1, 1, std::max(1, layer.outC)};
        op.activation = ActivationRate::None;
        add("average pool (global)", op);
        break;
    }
    case OpKind::Add: {
        NpuOp op = base(BlockType::ElementWise);
        op.ifm = op.ofm;
        op.ifm2 = op.ofm;
        op.outputRate = OutputRate::AddSub;
        add("add", op);
        break;
    }
    case OpKind::Relu:
    case OpKind::Relu6: {
        // A standalone activation runs as a 1x1 average-pool with the activation attached
        // (pass_packing.create_primary_op, research 2.6).
        NpuOp op = base(BlockType::Pooling);
        op.kernelH = op.kernelW = op.strideH = op.strideW = 1;
        op.activation = ActivationRate::Relu;
        add("activation as a 1x1 pool", op);
        break;
    }
    case OpKind::BatchNorm: {
        // Not folded: a MUL and an ADD with per-channel constants.
        NpuOp op = base(BlockType::ElementWise);
        op.ifm = op.ofm;
        op.ifm2 = Shape3{1, 1, op.ofm.d};
        op.outputRate = OutputRate::MulOr40BitAccumulator;
        add("batch norm: mul", op);
        op.outputRate = OutputRate::AddSub;
        add("batch norm: add", op);
        break;
    }
    case OpKind::Softmax:
    case OpKind::Flatten:
        break;
    }
    if (layer.op == OpKind::Softmax ||
        (layer.activation == plugin::FusedActivation::Softmax && !c.fallbackOps.count("softmax")))
        for (const NpuOp &op : softmaxOps(base(BlockType::ElementWise)))
            add("softmax pass", op);
    return ops;
}

void NpuTarget::foldStrideIntoDepth(const LayerInfo &layer, NpuOp &op)
{
    // Vela's rewrite of the network's first convolution when it is strided along x and has few input channels
    // (tflite_graph_optimiser.fixup_strided_conv, utils.calc_resize_factor): the IFM is reshaped from W x C to
    // W/s x C*s and the kernel, padded with zeros to a multiple of s, to ceil(k_w/s) x C*s at stride 1 along x. It
    // runs part-kernel-first on the deeper IFM.
    const int s = op.strideW, kw = op.kernelW, w = op.ifm.w;
    if (s < 2 || s > 3 || w % s != 0 || op.ifm.d * s > 8)
        return;
    const bool same = layer.outW == int(ceilDiv(w, s)) && layer.outW != (w - kw) / s + 1;
    auto neededPadding = [](int width, int stride, int kernel) {
        return std::max(int((ceilDiv(width, stride) - 1) * stride) + kernel - width, 0);
    };
    int padding = 0;
    const int currentPadding = same ? neededPadding(w, s, kw) : 0;
    if (same)
        padding = (currentPadding + 1) * s - kw; // the filter size that keeps the hardware padding
    if (kw % s != 0 && (padding == 0 || currentPadding == 0))
        padding = s - kw % s;
    if (same && neededPadding(w / s, 1, (kw + 1 + padding) / s) != currentPadding)
        return; // the padding would change: Vela leaves the convolution alone
    op.ifm = {op.ifm.h, w / s, op.ifm.d * s};
    op.kernelW = (kw + padding) / s;
    op.strideW = 1;
}

std::vector<NpuOp> NpuTarget::softmaxOps(const NpuOp &tensor) const
{
    // Vela's int8 softmax (softmax.SoftMax.get_graph_8bit, research 2.6): 31 operations. Six touch the whole
    // tensor: a max over the channels, SUB + exp LUT into int32, a shift, the sum over the channels, the MUL by the
    // reciprocal and the final shift to int8. The other 25 compute the reciprocal on the per-pixel [H, W, 1] sums,
    // in NHWC. Fifteen passes read an int32 constant from the weights' memory; Vela rounds it to a 16-deep brick in
    // three of them (passes 2, 5 and 6, as its per-operation report shows).
    std::vector<NpuOp> ops;
    const Shape3 full = tensor.ofm, perPixel{full.h, full.w, 1};
    NpuOp maxOp = tensor;
    maxOp.type = BlockType::Pooling;
    maxOp.outputRate = OutputRate::MaxPool;
    maxOp.activation = ActivationRate::None;
    maxOp.ifm = {full.h * full.w, full.d, 1};
    maxOp.ofm = {full.h * full.w, 1, 1};
    maxOp.kernelH = 1;
    maxOp.kernelW = full.d;
    maxOp.strideH = maxOp.strideW = 1;
    ops.push_back(maxOp);
    auto elementwise = [&](Shape3 ifm, std::optional<Shape3> ifm2, bool scalar, int ifmBits, int ofmBits,
                           OutputRate rate, ActivationRate activation, int constants) {
        NpuOp op = tensor;
        op.type = BlockType::ElementWise;
        op.ifm = ifm;
        op.ofm = ifm;
        op.ifm2 = ifm2;
        op.ifm2Scalar = scalar;
        op.ifmBits = ifmBits;
        op.ofmBits = ofmBits;
        op.outputRate = rate;
        op.activation = activation;
        op.kernelH = op.kernelW = op.strideH = op.strideW = 1;
        op.ifmLinear = op.ofmLinear = ifm == perPixel;
        op.constantElements = constants;
        ops.push_back(op);
    };
    elementwise(full, perPixel, false, 8, 32, OutputRate::AddSub, ActivationRate::Lut, 0);    // 1: SUB + exp LUT
    elementwise(full, Shape3{}, true, 32, 32, OutputRate::Default, ActivationRate::None, 16); // 2: SHR
    NpuOp sum = tensor;                                                                       // 3: sum of exp
    sum.type = BlockType::ReduceSum;
    sum.ifm = full;
    sum.ofm = perPixel;
    sum.ifmBits = sum.ofmBits = 32;
    sum.kernelH = sum.kernelW = sum.strideH = sum.strideW = 1;
    sum.activation = ActivationRate::None;
    sum.ifmLinear = false;
    sum.ofmLinear = true;
    ops.push_back(sum);
    // 4-28: CLZ, SUB, SUB, SHL, SUB, SHL, ADD, MUL, ADD, three Newton-Raphson steps of MUL, SUB, MUL, MUL, ADD, MUL.
    const int constants[25] = {0, 16, 16, 0, 1, 1, 1, 1, 1, 0, 1, 0, 1, 0, 0, 1, 0, 1, 0, 0, 1, 0, 1, 0, 1};
    for (int c : constants)
        elementwise(perPixel, c ? Shape3{} : perPixel, c > 0, 32, 32, OutputRate::Default, ActivationRate::None, c);
    elementwise(full, perPixel, false, 32, 32, OutputRate::MulOr40BitAccumulator, ActivationRate::None, 0); // 29
    elementwise(full, Shape3{}, true, 32, 8, OutputRate::Default, ActivationRate::None, 0);                 // 30
    ops.back().ofmLinear = tensor.ofmLinear;
    return ops;
}

MemoryArea NpuTarget::sramArea() const
{
    const NpuConfig &c = m_config;
    return {c.sramBandwidth / c.clockHz, c.sramLatencyCycles, c.sramLatencyCycles, c.sramBurstBytes};
}

MemoryArea NpuTarget::offchipArea() const
{
    const NpuConfig &c = m_config;
    return {c.offchipBandwidth / c.clockHz, c.offchipLatencyCycles, c.offchipWriteLatencyCycles, c.offchipBurstBytes,
            true};
}

std::string NpuTarget::unsupportedReason(const LayerInfo &l, const LayerDeployment &d) const
{
    // Constraints from Vela 3.10's supported-operator report (SUPPORTED_OPS.md, tflite_supported_operators; research
    // 2.11).
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
    case OpKind::Conv2d: {
        // Stride height 1-3 unless the output is one row; stride width 1-3, or a multiple of 2 or 3 whose quotient
        // divides the IFM width (Vela then folds the stride into the depth).
        if (k.sh > 3 && l.outH > 1)
            return "conv2d stride height above 3";
        const bool widthOk =
            k.sw <= 3 || (k.sw % 2 == 0 && l.inW % (k.sw / 2) == 0) || (k.sw % 3 == 0 && l.inW % (k.sw / 3) == 0);
        if (!widthOk)
            return "conv2d stride width above 3 that Vela cannot reduce";
        if (k.h > 64 || kernelElems > 4096)
            return "conv2d kernel height above 64 or area above 4096";
        break;
    }
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
    case OpKind::GlobalAvgPool: // charged as AVERAGE_POOL_2D over the whole map, VALID padding (see above)
        if (k.h > 256 || kernelElems > 65536)
            return "global_avg_pool (AVERAGE_POOL_2D) with a map taller than 256 or larger than 65536";
        break;
    default:
        break;
    }
    return {};
}

} // namespace psc::targets::npu
