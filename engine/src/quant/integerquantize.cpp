// SPDX-License-Identifier: GPL-3.0-or-later
// IntegerModel::quantize(): turns a TrainedModel into the precomputed integer plan (docs/quantization.md).

#include "quant/integerkernels.h"

#include "psc/net/shapeinference.h"
#include "psc/net/window.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace psc {

namespace {

constexpr int kAddLeftShift = 20;
constexpr std::size_t kArenaAlignment = 64;

[[noreturn]] void failLayer(std::size_t index, const LayerSpec &layer, const std::string &detail)
{
    throw NetworkError("/layers/" + std::to_string(index), "layer \"" + layer.name + "\": " + detail);
}

std::string shapeText(const std::vector<int> &shape)
{
    std::string out;
    for (int d : shape)
        out += (out.empty() ? "" : "x") + std::to_string(d);
    return out.empty() ? "(empty)" : out;
}

std::int32_t saturateInt32(double value)
{
    return std::int32_t(std::clamp(value, double(std::numeric_limits<std::int32_t>::min()),
                                   double(std::numeric_limits<std::int32_t>::max())));
}

/** Output bounds for a tensor with `params` after `activation` (docs/quantization.md, "Requantisation"). */
void applyActivation(LayerQuantization &lq, const QuantParams &params, Activation activation)
{
    lq.clampMin = params.qmin;
    lq.clampMax = params.qmax;
    if (activation == Activation::Relu || activation == Activation::Relu6)
        lq.clampMin = std::max(lq.clampMin, params.zeroPoint);
    if (activation == Activation::Relu6) {
        const double top = double(params.zeroPoint) + std::nearbyint(6.0 / params.scale);
        lq.clampMax = int(std::clamp(top, double(lq.clampMin), double(lq.clampMax)));
    }
}

/** Builds the plan layer by layer; each tensor (network input or layer output) has an arena offset. */
class PlanBuilder
{
public:
    PlanBuilder(const TrainedModel &model, IntegerModel::Plan &plan) : m_model(model), m_plan(plan) {}

    void build()
    {
        NetworkDescription &net = m_plan.network;
        net = m_model.network;
        resolveNetwork(net);
        m_inputs = layerInputIndices(net);
        m_shapes = inferShapes(net, m_inputs);
        if (net.inputBits != 8)
            throw NetworkError("/input/bits",
                               "integer inference reads 8-bit pixels, got input bits " + std::to_string(net.inputBits));
        m_plan.input = inputParams(m_model.inputMean, m_model.inputStd);
        m_plan.inputOffset = allocate(net.input.elements());
        m_offsets.resize(net.layers.size());
        m_params.resize(net.layers.size());
        for (std::size_t i = 0; i < net.layers.size(); ++i)
            buildLayer(i);
        m_plan.layerOffsets = m_offsets;
        m_plan.output = m_params.back();
        m_plan.outputOffset = m_offsets.back();
        m_plan.outputSize = int(m_shapes.back().elements());
    }

private:
    std::size_t allocate(std::int64_t elements)
    {
        const std::size_t offset = (m_plan.arenaSize + kArenaAlignment - 1) / kArenaAlignment * kArenaAlignment;
        m_plan.arenaSize = offset + std::size_t(elements);
        return offset;
    }

    const Shape &inputShape(std::size_t i, std::size_t k = 0) const
    {
        const int j = m_inputs[i][k];
        return j == kNetworkInput ? m_plan.network.input : m_shapes[std::size_t(j)];
    }
    std::size_t inputOffset(std::size_t i, std::size_t k = 0) const
    {
        const int j = m_inputs[i][k];
        return j == kNetworkInput ? m_plan.inputOffset : m_offsets[std::size_t(j)];
    }
    const QuantParams &inputParamsOf(std::size_t i, std::size_t k = 0) const
    {
        const int j = m_inputs[i][k];
        return j == kNetworkInput ? m_plan.input : m_params[std::size_t(j)];
    }

    QuantParams outputParams(std::size_t i) const
    {
        const LayerSpec &l = m_plan.network.layers[i];
        const auto it = m_model.ranges.find(l.name);
        if (it == m_model.ranges.end())
            failLayer(i, l, "no recorded output range (TrainedModel::ranges)");
        try {
            return activationParams(it->second, l.activationBits);
        } catch (const InputError &e) {
            failLayer(i, l, e.what());
        }
    }

    /** Window geometry of conv/pool layers: TF "same" puts the odd padding row/column after. */
    void setWindow(IntegerStep &step, const LayerSpec &l) const
    {
        step.kernelH = l.kernelH;
        step.kernelW = l.kernelW;
        step.strideH = l.strideH;
        step.strideW = l.strideW;
        // The same geometry as shape inference and the trainer (psc/net/window.h).
        const WindowAxis h = windowAxis(step.in.height, l.kernelH, l.strideH, l.padding);
        const WindowAxis w = windowAxis(step.in.width, l.kernelW, l.strideW, l.padding);
        step.paddedH = h.span;
        step.paddedW = w.span;
        step.padTop = h.padBefore;
        step.padLeft = w.padBefore;
        step.needsPadding =
            step.padTop > 0 || step.padLeft > 0 || step.paddedH > step.in.height || step.paddedW > step.in.width;
    }

    void buildLayer(std::size_t i)
    {
        const LayerSpec &l = m_plan.network.layers[i];
        const bool last = i + 1 == m_plan.network.layers.size();
        LayerQuantization lq;
        lq.name = l.name;
        lq.type = l.type;
        lq.outputShape = m_shapes[i];
        for (std::size_t k = 0; k < m_inputs[i].size(); ++k)
            lq.inputs.push_back(inputParamsOf(i, k));
        if (l.activation == Activation::Softmax && !last)
            failLayer(i, l, "a fused softmax is only supported on the last layer");

        IntegerStep step;
        step.layer = i;
        step.in = inputShape(i);
        step.out = m_shapes[i];
        for (std::size_t k = 0; k < m_inputs[i].size(); ++k)
            step.inputs.push_back(inputOffset(i, k));
        bool hasStep = true;
        switch (l.type) {
        case LayerType::Conv2d:
        case LayerType::DepthwiseConv2d:
        case LayerType::Dense:
            buildWeighted(i, lq, step);
            break;
        case LayerType::Add:
            buildAdd(i, lq, step);
            break;
        case LayerType::MaxPool2d:
        case LayerType::AvgPool2d:
            step.op = l.type == LayerType::MaxPool2d ? IntegerOp::MaxPool : IntegerOp::AvgPool;
            setWindow(step, l);
            passThrough(lq, Activation::None);
            break;
        case LayerType::GlobalAvgPool:
            buildMean(i, lq, step);
            break;
        case LayerType::Relu:
        case LayerType::Relu6:
            step.op = IntegerOp::Clamp;
            passThrough(lq, l.type == LayerType::Relu ? Activation::Relu : Activation::Relu6);
            break;
        case LayerType::Flatten:
            passThrough(lq, Activation::None);
            hasStep = false; // channels-first storage already is the flattened order
            break;
        case LayerType::Softmax:
            if (!last)
                failLayer(i, l, "softmax is only supported as the last layer (its input's argmax is the class)");
            passThrough(lq, Activation::None);
            hasStep = false;
            break;
        case LayerType::LowRank:
        case LayerType::Kronecker:
            buildFactorized(i, lq, step);
            break;
        case LayerType::BatchNorm:
            failLayer(i, l,
                      "batch_norm could not be folded into a conv2d, depthwise_conv2d or dense before it; "
                      "integer inference needs the lowered network (lowerForDeployment())");
        }

        m_params[i] = lq.output;
        if (hasStep) {
            step.output = allocate(m_shapes[i].elements());
            step.outZeroPoint = lq.output.zeroPoint;
            step.clampMin = lq.clampMin;
            step.clampMax = lq.clampMax;
            m_offsets[i] = step.output;
            m_plan.steps.push_back(std::move(step));
        } else {
            m_offsets[i] = inputOffset(i);
        }
        m_plan.layers.push_back(std::move(lq));
    }

    /**
     * Global average pooling as TFLite's MEAN: acc = sum (q - zp_in) over the plane, then zp_out + acc * M with M =
     * s_in / (n * s_out), requantised as the weighted layers are. The output has its own quantisation (its recorded
     * range: a mean spans far less than its input); a model trained before such ranges were recorded keeps the
     * input's.
     */
    void buildMean(std::size_t i, LayerQuantization &lq, IntegerStep &step) const
    {
        const LayerSpec &l = m_plan.network.layers[i];
        lq.output = m_model.ranges.count(l.name) ? outputParams(i) : lq.inputs.front();
        applyActivation(lq, lq.output, Activation::None);
        const double elements = double(step.in.height) * double(step.in.width);
        const QuantizedMultiplier m = quantizeMultiplier(lq.inputs.front().scale / (elements * lq.output.scale));
        lq.multipliers = {m};
        step.op = IntegerOp::Mean;
        step.inZeroPoint = lq.inputs.front().zeroPoint;
        step.multiplier = {m.multiplier};
        step.shift = {m.shift};
    }

    void passThrough(LayerQuantization &lq, Activation activation) const
    {
        lq.output = lq.inputs.front();
        applyActivation(lq, lq.output, activation);
    }

    void buildWeighted(std::size_t i, LayerQuantization &lq, IntegerStep &step)
    {
        const LayerSpec &l = m_plan.network.layers[i];
        const Shape &in = step.in;
        const Shape &out = step.out;
        std::vector<int> expected;
        switch (l.type) {
        case LayerType::Conv2d:
            step.op = IntegerOp::Conv2d;
            expected = {out.channels, in.channels, l.kernelH, l.kernelW};
            break;
        case LayerType::DepthwiseConv2d:
            step.op = IntegerOp::DepthwiseConv2d;
            step.depthMultiplier = l.depthMultiplier;
            expected = {out.channels, 1, l.kernelH, l.kernelW};
            break;
        default:
            step.op = IntegerOp::Dense;
            expected = {out.channels, int(in.elements())};
            break;
        }
        if (l.weightBits < 1 || l.weightBits > kMaxIntegerBits)
            failLayer(i, l, "weight_bits " + std::to_string(l.weightBits) + ": integer inference supports 1 to 8 bits");
        const auto found = m_model.parameters.find(l.name);
        if (found == m_model.parameters.end())
            failLayer(i, l, "no trained parameters");
        const LayerParameters &p = found->second;
        if (p.weight.shape != expected)
            failLayer(i, l,
                      "weight shape " + shapeText(p.weight.shape) + " does not match the layer, expected " +
                          shapeText(expected));
        const bool hasBias = !p.bias.shape.empty() || !p.bias.values.empty();
        if (hasBias &&
            (p.bias.shape != std::vector<int>{out.channels} || p.bias.values.size() != std::size_t(out.channels)))
            failLayer(i, l,
                      "bias shape " + shapeText(p.bias.shape) + " does not match the layer, expected " +
                          std::to_string(out.channels));
        if (!hasBias && l.bias)
            failLayer(i, l, "no trained bias, although the layer has one");

        QuantizedWeights qw;
        try {
            qw = quantizeWeights(p.weight, l.weightBits);
        } catch (const InputError &e) {
            failLayer(i, l, e.what());
        }
        lq.output = outputParams(i);
        applyActivation(lq, lq.output, l.activation);
        lq.weightBits = l.weightBits;
        lq.weightShape = p.weight.shape;
        lq.weights = std::move(qw.values);
        lq.weightScales = std::move(qw.scales);

        const QuantParams &pin = lq.inputs.front();
        step.inZeroPoint = pin.zeroPoint;
        const std::size_t channels = std::size_t(out.channels);
        const std::size_t perChannel = lq.weights.size() / channels;
        const auto nonZero =
            std::size_t(std::count_if(lq.weights.begin(), lq.weights.end(), [](std::int8_t w) { return w != 0; }));
        // The dot-product form is about four times faster per weight than the tap form, which skips zero weights
        // and handles a small kernelW * inChannels (e.g. a first layer on one channel) without padding waste.
        step.dotProduct =
            step.op == IntegerOp::Dense || (step.op == IntegerOp::Conv2d && l.kernelW * in.channels >= int(kDotAlign) &&
                                            nonZero * 4 > lq.weights.size());
        for (std::size_t c = 0; c < channels; ++c) {
            const double product = pin.scale * lq.weightScales[c];
            const double b = hasBias ? double(p.bias.values[c]) : 0.0;
            if (!std::isfinite(b))
                failLayer(i, l, "non-finite bias in output channel " + std::to_string(c));
            const std::int32_t qb = saturateInt32(std::nearbyint(b / product));
            std::int64_t sum = 0;
            for (std::size_t k = 0; k < perChannel; ++k)
                sum += lq.weights[c * perChannel + k];
            lq.bias.push_back(qb);
            // The tap form reads q_in with the zero point in the padding, so sum_k (q_in - zp) w_k =
            // sum_k q_in w_k - zp sum_k w_k everywhere; the dot-product form subtracts zp from its input.
            step.bias.push_back(step.dotProduct ? qb : saturateInt32(double(qb) - double(pin.zeroPoint) * double(sum)));
            const QuantizedMultiplier m = quantizeMultiplier(product / lq.output.scale);
            lq.multipliers.push_back(m);
            step.multiplier.push_back(m.multiplier);
            step.shift.push_back(m.shift);
        }
        if (step.op == IntegerOp::Dense) {
            buildDotWeights(step, lq, 1, std::size_t(in.elements()));
            m_plan.wideSize = std::max(m_plan.wideSize, step.dotLength);
            return;
        }
        setWindow(step, l);
        if (step.dotProduct) {
            buildDotWeights(step, lq, l.kernelH, std::size_t(l.kernelW) * std::size_t(in.channels));
            // The whole padded input, channels last, plus slack for the last window's reads past its row; then
            // one gathered window.
            const std::size_t wide = std::size_t(step.paddedH) * std::size_t(step.paddedW) * std::size_t(in.channels);
            step.columnOffset = (wide + 2 * kDotAlign - 1) / kDotAlign * kDotAlign;
            m_plan.wideSize = std::max(m_plan.wideSize, step.columnOffset + std::size_t(l.kernelH) * step.dotLength);
            return;
        }
        const std::int64_t planes = std::int64_t(in.channels) * (step.needsPadding ? step.paddedH : in.height) *
                                    (step.needsPadding ? step.paddedW : in.width);
        if (planes > std::numeric_limits<std::int32_t>::max())
            failLayer(i, l, "input of " + std::to_string(planes) + " elements is too large for integer inference");
        m_plan.accumulatorSize = std::max(m_plan.accumulatorSize, buildTaps(step, lq));
        if (step.needsPadding)
            m_plan.scratchSize = std::max(m_plan.scratchSize, std::size_t(in.channels) * step.planeStride);
    }

    /** The trained tensor `t` of layer i, checked against its expected shape. */
    void checkShape(std::size_t i, const char *what, const FloatTensor &t, const std::vector<int> &expected) const
    {
        if (t.shape != expected)
            failLayer(i, m_plan.network.layers[i],
                      std::string(what) + " shape " + shapeText(t.shape) + " does not match the layer, expected " +
                          shapeText(expected));
    }

    /**
     * low_rank (weight U [out, r], factor V [r, in]) and kronecker (weight A [o1, i1], factor B [o2, i2]): two
     * dot-product stages per pixel, each factor quantised per row, the intermediate to int8 with its own range.
     */
    void buildFactorized(std::size_t i, LayerQuantization &lq, IntegerStep &step)
    {
        const LayerSpec &l = m_plan.network.layers[i];
        const bool kron = l.type == LayerType::Kronecker;
        const int in = step.in.channels, out = step.out.channels;
        const std::vector<int> second =
            kron ? std::vector<int>{l.kronA.out, l.kronA.in} : std::vector<int>{out, l.rank};
        const std::vector<int> first = kron ? std::vector<int>{l.kronB.out, l.kronB.in} : std::vector<int>{l.rank, in};
        if (l.weightBits < 2 || l.weightBits > kMaxIntegerBits)
            failLayer(i, l, "weight_bits " + std::to_string(l.weightBits) + ": integer inference supports 2 to 8 bits");
        const auto found = m_model.parameters.find(l.name);
        if (found == m_model.parameters.end())
            failLayer(i, l, "no trained parameters");
        const LayerParameters &p = found->second;
        if (p.factor.shape.empty())
            failLayer(i, l,
                      "no trained factor (LayerParameters::factor), which a " + std::string(toString(l.type)) +
                          " layer needs");
        checkShape(i, "weight", p.weight, second);
        checkShape(i, "factor", p.factor, first);
        const bool hasBias = !p.bias.shape.empty() || !p.bias.values.empty();
        if (hasBias && (p.bias.shape != std::vector<int>{out} || p.bias.values.size() != std::size_t(out)))
            failLayer(i, l,
                      "bias shape " + shapeText(p.bias.shape) + " does not match the layer, expected " +
                          std::to_string(out));
        if (!hasBias && l.bias)
            failLayer(i, l, "no trained bias, although the layer has one");
        const auto range = m_model.ranges.find(l.name + ":mid");
        if (range == m_model.ranges.end())
            failLayer(i, l,
                      "no recorded range of its intermediate tensor (TrainedModel::ranges \"" + l.name + ":mid\")");

        QuantizedWeights qw, qf;
        try {
            qw = quantizeWeights(p.weight, l.weightBits);
            qf = quantizeWeights(p.factor, l.weightBits);
            lq.intermediate = activationParams(range->second, kIntermediateBits);
        } catch (const InputError &e) {
            failLayer(i, l, e.what());
        }
        lq.output = outputParams(i);
        applyActivation(lq, lq.output, l.activation);
        lq.weightBits = l.weightBits;
        lq.weightShape = p.weight.shape;
        lq.weights = std::move(qw.values);
        lq.weightScales = std::move(qw.scales);
        lq.factorShape = p.factor.shape;
        lq.factorWeights = std::move(qf.values);
        lq.factorScales = std::move(qf.scales);

        const QuantParams &pin = lq.inputs.front();
        const QuantParams &mid = lq.intermediate;
        step.op = IntegerOp::Factorized;
        step.kronecker = kron;
        step.inZeroPoint = pin.zeroPoint;
        step.midZeroPoint = mid.zeroPoint;
        step.groups1 = kron ? std::size_t(l.kronA.in) : 1;
        step.segment1 = std::size_t(first[1]);
        step.length1 = (step.segment1 + kDotAlign - 1) / kDotAlign * kDotAlign;
        step.rows1 = std::size_t(first[0]);
        step.groups2 = kron ? std::size_t(l.kronB.out) : 1;
        step.rows2 = std::size_t(second[0]);
        step.dotLength = (std::size_t(second[1]) + kDotAlign - 1) / kDotAlign * kDotAlign;
        for (std::size_t j = 0; j < step.rows1; ++j) {
            const QuantizedMultiplier m = quantizeMultiplier(pin.scale * lq.factorScales[j] / mid.scale);
            lq.factorMultipliers.push_back(m);
            step.midMultiplier.push_back(m.multiplier);
            step.midShift.push_back(m.shift);
        }
        for (int c = 0; c < out; ++c) {
            const std::size_t row = kron ? std::size_t(c / l.kronB.out) : std::size_t(c);
            const double product = mid.scale * lq.weightScales[row];
            const double b = hasBias ? double(p.bias.values[std::size_t(c)]) : 0.0;
            if (!std::isfinite(b))
                failLayer(i, l, "non-finite bias in output channel " + std::to_string(c));
            const std::int32_t qb = saturateInt32(std::nearbyint(b / product));
            lq.bias.push_back(qb);
            step.bias.push_back(qb); // the kernel subtracts the zero points from its inputs
            const QuantizedMultiplier m = quantizeMultiplier(product / lq.output.scale);
            lq.multipliers.push_back(m);
            step.multiplier.push_back(m.multiplier);
            step.shift.push_back(m.shift);
        }
        step.factorDotWeights = dotRows(lq.factorWeights, step.rows1, step.segment1, step.length1);
        step.dotWeights = dotRows(lq.weights, step.rows2, std::size_t(second[1]), step.dotLength);
        m_plan.wideSize = std::max(m_plan.wideSize, step.groups1 * step.length1 + step.groups2 * step.dotLength);
    }

    void buildAdd(std::size_t i, LayerQuantization &lq, IntegerStep &step)
    {
        const LayerSpec &l = m_plan.network.layers[i];
        step.op = IntegerOp::Add;
        lq.output = outputParams(i);
        applyActivation(lq, lq.output, l.activation);
        lq.addLeftShift = kAddLeftShift;
        double maxScale = 0.0;
        for (const QuantParams &p : lq.inputs)
            maxScale = std::max(maxScale, p.scale);
        const double twiceMax = 2.0 * maxScale;
        std::vector<QuantizedMultiplier> ms;
        for (const QuantParams &p : lq.inputs) {
            ms.push_back(quantizeMultiplier(p.scale / twiceMax));
            step.inZeroPoints.push_back(p.zeroPoint);
        }
        ms.push_back(quantizeMultiplier(twiceMax / (double(1 << kAddLeftShift) * lq.output.scale)));
        for (const QuantizedMultiplier &m : ms) {
            step.multiplier.push_back(m.multiplier);
            step.shift.push_back(m.shift);
        }
        lq.multipliers = std::move(ms);
    }

    const TrainedModel &m_model;
    IntegerModel::Plan &m_plan;
    std::vector<std::vector<int>> m_inputs;
    std::vector<Shape> m_shapes;
    std::vector<std::size_t> m_offsets; ///< arena offset of each layer's output
    std::vector<QuantParams> m_params;  ///< quantisation of each layer's output
};

} // namespace

IntegerModel IntegerModel::quantize(const TrainedModel &model)
{
    auto plan = std::make_shared<Plan>();
    PlanBuilder(model, *plan).build();
    IntegerModel result;
    result.m_plan = std::move(plan);
    return result;
}

} // namespace psc
