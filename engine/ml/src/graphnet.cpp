// SPDX-License-Identifier: GPL-3.0-or-later
#include "graphnet.h"

#include "psc/plugin/analognoise.h"

#include "psc/core/error.h"
#include "psc/net/window.h"
#include "psc/quant/integerinference.h"

#include <torch/nn/functional/activation.h>
#include <torch/nn/functional/conv.h>
#include <torch/nn/functional/linear.h>
#include <torch/nn/functional/padding.h>
#include <torch/nn/functional/pooling.h>

#include <ATen/CPUGeneratorImpl.h>

#include <cmath>
#include <map>

namespace psc::ml {
namespace F = torch::nn::functional;

namespace {

struct Dim
{
    int64_t out = 0;
    int64_t padBefore = 0;
    int64_t padAfter = 0;
};

/** Output size and padding along one axis: the engine's windowAxis(), which integer inference also uses. */
Dim spatial(int64_t in, int64_t kernel, int64_t stride, const Padding &padding)
{
    const WindowAxis a = windowAxis(int(in), int(kernel), int(stride), padding);
    return {a.out, a.padBefore, a.padAfter};
}

torch::Tensor activate(torch::Tensor x, Activation a)
{
    switch (a) {
    case Activation::None:
        return x;
    case Activation::Relu:
        return torch::relu(x);
    case Activation::Relu6:
        return torch::clamp(x, 0.0, 6.0);
    case Activation::Softmax:
        return torch::softmax(x, 1);
    }
    return x;
}

} // namespace

GraphNetImpl::GraphNetImpl(const NetworkDescription &network, std::uint64_t seed)
{
    // Initialisation writes into leaf parameters in place, which autograd allows only without grad mode.
    torch::NoGradGuard noGrad;
    auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
    // LibTorch's own default for Conv2d and Linear (reset_parameters(): kaiming_uniform_ with a = sqrt(5), i.e.
    // U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for the weight and the bias), drawn from the trial's generator so that a
    // seed gives the same network on every thread. Measured against He-uniform (bound sqrt(6 / fan_in), 2.45x wider)
    // ahead of batch norm and under Adam, it trains faster in the first epochs (bench_ml_training; docs/training.md).
    auto torchDefault = [&gen](torch::Tensor &w, int64_t fanIn) {
        const double bound = 1.0 / std::sqrt(double(std::max<int64_t>(fanIn, 1)));
        w.uniform_(-bound, bound, gen);
    };

    std::map<std::string, int> index{{"input", -1}};
    std::vector<Shape> shapes;
    auto shapeOf = [&](int i) { return i < 0 ? network.input : shapes[std::size_t(i)]; };

    for (std::size_t li = 0; li < network.layers.size(); ++li) {
        const LayerSpec &l = network.layers[li];
        GraphNode node;
        node.name = l.name;
        node.type = l.type;
        node.weightBits = l.weightBits;
        node.activationBits = l.activationBits;
        // Layers whose int8 output has its own quantisation (a global average pool too: TFLite's MEAN).
        node.boundary = l.type == LayerType::Conv2d || l.type == LayerType::DepthwiseConv2d ||
                        l.type == LayerType::Dense || isFactorized(l.type) || l.type == LayerType::Add ||
                        l.type == LayerType::GlobalAvgPool;
        node.activation = l.activation;
        node.kernelH = l.kernelH;
        node.kernelW = l.kernelW;
        node.strideH = l.strideH;
        node.strideW = l.strideW;
        for (const std::string &in : l.inputs) {
            auto it = index.find(in);
            if (it == index.end())
                throw InputError("layer \"" + l.name + "\": unknown input \"" + in + "\"");
            node.inputs.push_back(it->second);
        }
        if (node.inputs.empty())
            node.inputs.push_back(int(li) - 1);
        const Shape in = shapeOf(node.inputs.front());
        Shape out = in;
        const std::string name = "l" + std::to_string(li);

        auto setupWindow = [&] {
            const Dim h = spatial(in.height, l.kernelH, l.strideH, l.padding);
            const Dim w = spatial(in.width, l.kernelW, l.strideW, l.padding);
            if (h.out < 1 || w.out < 1)
                throw InputError("layer \"" + l.name + "\": window larger than its input");
            out.height = int(h.out);
            out.width = int(w.out);
            if (h.padBefore == h.padAfter && w.padBefore == w.padAfter) {
                node.padH = h.padBefore;
                node.padW = w.padBefore;
            } else {
                node.explicitPad = true;
                node.pad = {w.padBefore, w.padAfter, h.padBefore, h.padAfter};
            }
        };

        switch (l.type) {
        case LayerType::Conv2d:
        case LayerType::DepthwiseConv2d: {
            setupWindow();
            const bool dw = l.type == LayerType::DepthwiseConv2d;
            const int64_t outC = dw ? int64_t(in.channels) * l.depthMultiplier : l.outChannels;
            auto opts = torch::nn::Conv2dOptions(in.channels, outC, {l.kernelH, l.kernelW})
                            .stride({l.strideH, l.strideW})
                            .padding({node.padH, node.padW})
                            .groups(dw ? in.channels : 1)
                            .bias(l.bias);
            node.groups = dw ? in.channels : 1;
            node.conv = register_module(name, torch::nn::Conv2d(opts));
            const int64_t fanIn = (dw ? 1 : in.channels) * l.kernelH * l.kernelW;
            torchDefault(node.conv->weight, fanIn);
            if (l.bias)
                torchDefault(node.conv->bias, fanIn);
            out.channels = int(outC);
            break;
        }
        case LayerType::Dense: {
            const int64_t inFeatures = in.elements();
            node.linear = register_module(
                name, torch::nn::Linear(torch::nn::LinearOptions(inFeatures, l.outChannels).bias(l.bias)));
            torchDefault(node.linear->weight, inFeatures);
            if (l.bias)
                torchDefault(node.linear->bias, inFeatures);
            out = Shape{l.outChannels, 1, 1};
            break;
        }
        case LayerType::LowRank:
        case LayerType::Kronecker: {
            // Per pixel on the channels (a flat input is one pixel), like a 1x1 conv2d.
            const int64_t inC = in.channels, outC = l.outChannels;
            const bool kron = l.type == LayerType::Kronecker;
            auto fail = [&](const std::string &detail) {
                throw InputError("layer \"" + l.name + "\" (" + std::string(toString(l.type)) + "): " + detail);
            };
            if (outC < 1)
                fail("out_channels must be at least 1");
            if (l.weightBits == 1)
                fail("binary (1-bit) weights cannot be factorised");
            std::vector<int64_t> second, first; // U [out, r], V [r, in]; A [o1, i1], B [o2, i2]
            if (kron) {
                const FactorShape a = l.kronA, b = l.kronB;
                if (a.out < 1 || a.in < 1 || b.out < 1 || b.in < 1 || int64_t(a.out) * b.out != outC ||
                    int64_t(a.in) * b.in != inC)
                    fail("factors [[" + std::to_string(a.out) + ", " + std::to_string(a.in) + "], [" +
                         std::to_string(b.out) + ", " + std::to_string(b.in) + "]] do not multiply to " +
                         std::to_string(outC) + " outputs and " + std::to_string(inC) + " input channels");
                second = {a.out, a.in};
                first = {b.out, b.in};
                node.kronA = a;
                node.kronB = b;
            } else {
                if (l.rank < 1 || l.rank > std::min(inC, outC))
                    fail("rank " + std::to_string(l.rank) + " outside 1.." + std::to_string(std::min(inC, outC)));
                second = {outC, l.rank};
                first = {l.rank, inC};
            }
            // The two factors multiply to the layer's matrix with no activation in between: the first gets the
            // default's variance 1 / (3 fan_in), the second the variance-preserving 1 / fan_in, so that each entry of
            // the product U V (or A kron B) has the variance 1 / (3 in) of a default-initialised dense layer.
            node.factor = register_parameter(name + "_factor", torch::empty(first));
            node.weight = register_parameter(name + "_weight", torch::empty(second));
            torchDefault(node.factor, first[1]);
            const double bound = std::sqrt(3.0 / double(second[1]));
            node.weight.uniform_(-bound, bound, gen);
            if (l.bias) {
                node.bias = register_parameter(name + "_bias", torch::empty({outC}));
                torchDefault(node.bias, inC);
            }
            out.channels = int(outC);
            break;
        }
        case LayerType::BatchNorm:
            if (in.height == 1 && in.width == 1 && li > 0 && network.layers[li - 1].type != LayerType::Conv2d &&
                network.layers[li - 1].type != LayerType::DepthwiseConv2d)
                node.bn1d = register_module(name, torch::nn::BatchNorm1d(in.channels));
            else
                node.bn2d = register_module(name, torch::nn::BatchNorm2d(in.channels));
            break;
        case LayerType::AvgPool2d:
        case LayerType::MaxPool2d:
            setupWindow();
            break;
        case LayerType::GlobalAvgPool:
            out = Shape{in.channels, 1, 1};
            break;
        case LayerType::Flatten:
            out = Shape{int(in.elements()), 1, 1};
            break;
        case LayerType::Add:
        case LayerType::Relu:
        case LayerType::Relu6:
        case LayerType::Softmax:
            break;
        }
        for (int src : node.inputs)
            if (src >= 0)
                m_nodes[std::size_t(src)].lastUse = int(li);
        node.lastUse = int(li);
        index[l.name] = int(li);
        shapes.push_back(out);
        m_nodes.push_back(std::move(node));
    }
    // Channels-last activations and weights take oneDNN's fast paths for depthwise and 1x1 convolutions
    // (about 7x and 2x faster than NCHW for the small tensors of tiny networks, measured on LibTorch 1.13).
    for (GraphNode &n : m_nodes)
        if (n.conv)
            n.conv->weight.set_data(n.conv->weight.contiguous(at::MemoryFormat::ChannelsLast));
    if (!m_nodes.empty() && m_nodes.back().type == LayerType::Softmax)
        m_trailingSoftmax = int(m_nodes.size()) - 1;
    m_nodes.back().lastUse = int(m_nodes.size());
}

torch::Tensor GraphNetImpl::forward(const torch::Tensor &input, bool logits)
{
    std::vector<torch::Tensor> values(m_nodes.size());
    torch::Tensor in = input.dim() == 4 ? input.contiguous(at::MemoryFormat::ChannelsLast) : input;
    if (m_quantMode != QuantMode::Off)
        in = at::fake_quantize_per_tensor_affine(in, m_inputScale, m_inputZeroPoint, -128, 127);
    // The output of a boundary layer: activation, then fake quantisation (before a softmax, whose input the
    // integer network delivers as its logits).
    auto finish = [this](const torch::Tensor &pre, GraphNode &n, Activation act) {
        if (act == Activation::Softmax)
            return activate(quantizeActivation(pre, n), act);
        return quantizeActivation(activate(pre, act), n);
    };
    auto valueOf = [&](int i) -> const torch::Tensor & { return i < 0 ? in : values[std::size_t(i)]; };

    for (std::size_t i = 0; i < m_nodes.size(); ++i) {
        GraphNode &n = m_nodes[i];
        const torch::Tensor &x = valueOf(n.inputs.front());
        torch::Tensor y;
        const bool last = i + 1 == m_nodes.size();
        Activation act = n.activation;
        if (logits && last && act == Activation::Softmax)
            act = Activation::None;
        switch (n.type) {
        case LayerType::Conv2d:
        case LayerType::DepthwiseConv2d: {
            const torch::Tensor src =
                n.explicitPad ? F::pad(x, F::PadFuncOptions({n.pad[0], n.pad[1], n.pad[2], n.pad[3]})) : x;
            const torch::Tensor w = perturbed(m_quantMode == QuantMode::Off ? n.conv->weight : quantizedWeight(n));
            y = F::conv2d(src, w,
                          F::Conv2dFuncOptions()
                              .bias(n.conv->bias)
                              .stride({n.strideH, n.strideW})
                              .padding({n.padH, n.padW})
                              .groups(n.groups));
            y = finish(analogOutput(y, w, src), n, act);
            break;
        }
        case LayerType::Dense: {
            const torch::Tensor src = x.dim() > 2 ? x.flatten(1) : x;
            const torch::Tensor w = perturbed(m_quantMode == QuantMode::Off ? n.linear->weight : quantizedWeight(n));
            y = finish(analogOutput(F::linear(src, w, n.linear->bias), w, src), n, act);
            break;
        }
        case LayerType::LowRank:
        case LayerType::Kronecker:
            y = finish(factorizedForward(x, n), n, act);
            break;
        case LayerType::BatchNorm:
            y = n.bn2d ? n.bn2d->forward(x.dim() == 2 ? x.view({x.size(0), x.size(1), 1, 1}) : x)
                       : n.bn1d->forward(x.dim() > 2 ? x.flatten(1) : x);
            break;
        case LayerType::MaxPool2d: {
            // Padding for max pooling must never win the max: pad with -inf.
            const torch::Tensor src = n.explicitPad
                                          ? F::pad(x, F::PadFuncOptions({n.pad[0], n.pad[1], n.pad[2], n.pad[3]})
                                                          .value(-std::numeric_limits<double>::infinity()))
                                          : x;
            y = F::max_pool2d(src, F::MaxPool2dFuncOptions({n.kernelH, n.kernelW})
                                       .stride({n.strideH, n.strideW})
                                       .padding({n.padH, n.padW}));
            break;
        }
        case LayerType::AvgPool2d: {
            // TensorFlow averages over the unpadded elements only. With asymmetric padding the sum over
            // each window is divided by the number of real elements it covers.
            const auto opts = F::AvgPool2dFuncOptions({n.kernelH, n.kernelW})
                                  .stride({n.strideH, n.strideW})
                                  .padding({n.padH, n.padW})
                                  .count_include_pad(false);
            if (!n.explicitPad) {
                y = F::avg_pool2d(x, opts);
            } else {
                const auto pad = F::PadFuncOptions({n.pad[0], n.pad[1], n.pad[2], n.pad[3]});
                const auto mask = F::pad(torch::ones({1, 1, x.size(2), x.size(3)}, x.options()), pad);
                const auto sumOpts = F::AvgPool2dFuncOptions({n.kernelH, n.kernelW}).stride({n.strideH, n.strideW});
                y = F::avg_pool2d(F::pad(x, pad), sumOpts) / F::avg_pool2d(mask, sumOpts);
            }
            break;
        }
        case LayerType::GlobalAvgPool:
            y = quantizeActivation(x.dim() == 4 ? x.mean({2, 3}, true) : x, n);
            break;
        case LayerType::Flatten:
            y = x.flatten(1);
            break;
        case LayerType::Add:
            y = x;
            for (std::size_t k = 1; k < n.inputs.size(); ++k)
                y = y + valueOf(n.inputs[k]);
            y = finish(y, n, act);
            break;
        case LayerType::Relu:
            y = torch::relu(x);
            break;
        case LayerType::Relu6:
            y = torch::clamp(x, 0.0, 6.0);
            break;
        case LayerType::Softmax:
            y = (logits && int(i) == m_trailingSoftmax) ? x : torch::softmax(x.dim() > 2 ? x.flatten(1) : x, 1);
            break;
        }
        values[i] = std::move(y);
        // Release inputs whose last reader was this node, keeping peak memory close to the analysis.
        for (int src : n.inputs)
            if (src >= 0 && m_nodes[std::size_t(src)].lastUse == int(i))
                values[std::size_t(src)] = torch::Tensor();
    }
    torch::Tensor out = values.back();
    return out.dim() > 2 ? out.flatten(1) : out;
}

GraphNode *GraphNetImpl::node(const std::string &name)
{
    for (GraphNode &n : m_nodes)
        if (n.name == name)
            return &n;
    return nullptr;
}

torch::Tensor GraphNetImpl::weightOf(GraphNode &n)
{
    return n.conv ? n.conv->weight : n.linear ? n.linear->weight : n.weight;
}

torch::Tensor GraphNetImpl::biasOf(GraphNode &n)
{
    return n.conv ? n.conv->bias : n.linear ? n.linear->bias : n.bias;
}

void GraphNetImpl::resetRanges()
{
    for (GraphNode &n : m_nodes)
        n.range = n.midRange = RangeObserver{};
}

torch::Tensor GraphNetImpl::factorizedForward(const torch::Tensor &x, GraphNode &n)
{
    // One row per pixel: [N, in] as is, [N, C, H, W] as [N*H*W, C] (a view when x is channels-last).
    const bool spatial = x.dim() == 4;
    const torch::Tensor rows = spatial ? x.permute({0, 2, 3, 1}).reshape({-1, x.size(1)}) : x.flatten(1);
    const bool fake = m_quantMode != QuantMode::Off;
    const torch::Tensor w = perturbed(fake ? quantizedRows(n.weight, n.weightBits) : n.weight);
    const torch::Tensor f = perturbed(fake ? quantizedRows(n.factor, n.weightBits) : n.factor);
    // The intermediate is fake-quantised to int8 with its own range and no activation, as the integer stage one
    // requantises it (docs/quantization.md, "low_rank / kronecker").
    auto mid = [&](const torch::Tensor &t) { return fake ? observeAndQuantize(t, n.midRange, kIntermediateBits) : t; };
    torch::Tensor y;
    if (n.type == LayerType::LowRank) {
        y = F::linear(mid(F::linear(rows, f)), w, n.bias);
    } else {
        // X [i1, i2] per pixel, T = X B^T [i1, o2], Y = A T [o1, o2], read row-major as the output channels.
        const int64_t m = rows.size(0);
        const torch::Tensor t = mid(torch::matmul(rows.reshape({m, n.kronA.in, n.kronB.in}), f.t()));
        y = torch::matmul(w, t).reshape({m, int64_t(n.kronA.out) * n.kronB.out});
        if (n.bias.defined())
            y = y + n.bias;
    }
    if (!spatial)
        return y;
    return y.view({x.size(0), x.size(2), x.size(3), y.size(1)}).permute({0, 3, 1, 2});
}

void GraphNetImpl::setWeightNoise(const WeightNoise &noise, std::uint64_t seed)
{
    m_noise = noise;
    m_noiseGen = at::make_generator<at::CPUGeneratorImpl>(seed);
}

torch::Tensor GraphNetImpl::perturbed(const torch::Tensor &w)
{
    if (m_noise.eta <= 0.0 || !noiseActive())
        return w;
    const torch::Tensor clean = w.detach();
    torch::Tensor sigma;
    if (m_noise.model == WeightNoiseModel::Additive) {
        // Noisy Machines (Zhou et al. 2020): sigma = eta * (W_max - W_min) of the layer.
        const auto [lo, hi] = torch::aminmax(clean);
        sigma = (hi - lo) * m_noise.eta;
    } else {
        // The PCM programming-noise polynomial of aihwkit's PCMLikeNoiseModel (cost-models.md 4.2) on the normalised
        // conductance g = |w| / max|w|, scaled so that eta is the relative noise at full scale.
        const plugin::AnalogNoiseParameters pcm;
        const auto &c = pcm.progCoefficients;
        const torch::Tensor wMax = clean.abs().amax().clamp_min(1e-12);
        const torch::Tensor g = clean.abs() / wMax;
        const double atFullScale = c[0] + c[1] + c[2];
        sigma = (c[0] + c[1] * g + c[2] * g * g).clamp_min(0.0) * (wMax * (m_noise.eta / atFullScale));
    }
    return w + torch::randn(clean.sizes(), m_noiseGen, clean.options()) * sigma;
}

torch::Tensor GraphNetImpl::analogOutput(const torch::Tensor &y, const torch::Tensor &w, const torch::Tensor &x)
{
    if ((m_noise.adcClip <= 0.0 && m_noise.outputNoise <= 0.0) || !noiseActive())
        return y;
    // The crossbar's normalised units: inputs scaled by max|x| (DAC noise management abs_max), each column's weights
    // by its max|w| (per-column mapping). The output noise is drawn in those units, then the ADC clips the result at
    // +-adcClip; neither takes part in the gradient (the noise is detached, the bound too).
    std::vector<int64_t> dims;
    for (int64_t d = 1; d < w.dim(); ++d)
        dims.push_back(d);
    const torch::Tensor columnMax = dims.empty() ? w.detach().abs() : w.detach().abs().amax(dims);
    std::vector<int64_t> shape(std::size_t(y.dim()), 1);
    shape[1] = y.size(1);
    const torch::Tensor unit = (columnMax * x.detach().abs().amax()).view(shape);
    torch::Tensor out = y;
    if (m_noise.outputNoise > 0.0)
        out = out + torch::randn(y.sizes(), m_noiseGen, y.options()) * (unit * m_noise.outputNoise);
    if (m_noise.adcClip > 0.0) {
        const torch::Tensor bound = unit * m_noise.adcClip;
        out = torch::max(torch::min(out, bound), -bound);
    }
    return out;
}

void GraphNetImpl::applyMasks()
{
    torch::NoGradGuard noGrad;
    for (GraphNode &n : m_nodes)
        if (n.mask.defined())
            weightOf(n).mul_(n.mask);
}

torch::Tensor GraphNetImpl::quantizeActivation(const torch::Tensor &x, GraphNode &n)
{
    if (m_quantMode == QuantMode::Off || !n.boundary)
        return x;
    return observeAndQuantize(x, n.range, n.activationBits);
}

torch::Tensor GraphNetImpl::observeAndQuantize(const torch::Tensor &x, RangeObserver &r, int bits)
{
    if (m_quantMode == QuantMode::Calibrate || (m_quantMode == QuantMode::Train && is_training())) {
        const auto [lo, hi] = torch::aminmax(x.detach());
        const double batchMin = lo.item<double>(), batchMax = hi.item<double>();
        if (!r.seen) {
            r = {true, batchMin, batchMax};
        } else if (m_quantMode == QuantMode::Calibrate) {
            r.min = std::min(r.min, batchMin);
            r.max = std::max(r.max, batchMax);
        } else {
            // Moving average of the batch ranges, as in Jacob et al. 2018 (CVPR), section 3.
            constexpr double kDecay = 0.99;
            r.min = kDecay * r.min + (1.0 - kDecay) * batchMin;
            r.max = kDecay * r.max + (1.0 - kDecay) * batchMax;
        }
    }
    if (!r.seen)
        return x;
    const QuantParams q = activationParams(TensorRange{float(r.min), float(r.max)}, bits);
    return at::fake_quantize_per_tensor_affine(x, q.scale, q.zeroPoint, q.qmin, q.qmax);
}

torch::Tensor GraphNetImpl::quantizedRows(const torch::Tensor &w, int bits)
{
    if (bits > 8)
        return w;
    std::vector<int64_t> dims;
    for (int64_t d = 1; d < w.dim(); ++d)
        dims.push_back(d);
    const torch::Tensor detached = w.detach();
    if (bits == 1) {
        // Binary weights (Rastegari et al. 2016, XNOR-Net): alpha * sign(w) per output channel, alpha = mean |w|;
        // the straight-through estimator passes the gradient to the float weight unchanged.
        const auto alpha = detached.abs().mean(dims, true);
        const auto binary = torch::where(detached >= 0, alpha, -alpha);
        return w + (binary - w).detach();
    }
    const int64_t qmax = (int64_t(1) << (bits - 1)) - 1;
    auto scale = detached.abs().amax(dims) / double(qmax);
    scale = torch::where(scale > 0, scale, torch::ones_like(scale)).to(torch::kFloat);
    const auto zeroPoint = torch::zeros({w.size(0)}, torch::TensorOptions().dtype(torch::kInt));
    return at::fake_quantize_per_channel_affine(w, scale, zeroPoint, 0, -qmax, qmax);
}

} // namespace psc::ml
