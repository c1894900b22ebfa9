// SPDX-License-Identifier: GPL-3.0-or-later
#include "space/networkbuilder.h"

#include <algorithm>
#include <cmath>

namespace psc {

namespace {

/** Appends layers one after another, tracking the running tensor and the current section's numerics. */
class Builder
{
public:
    Builder(NetworkDescription &net, std::map<std::string, double> &sparsity, const ArchitectureChoice &choice)
        : m_net(net), m_sparsity(sparsity), m_pattern(choice.sparsityPattern), m_batchNorm(choice.batchNorm),
          m_activation(choice.activation), m_channels(net.input.channels)
    {}

    void setSection(const SectionCompression &section) { m_section = section; }
    const std::string &last() const { return m_last; }
    int channels() const { return m_channels; }

    /**
     * A convolution followed by batch norm and the activation. Without batch norm the activation is fused
     * into the convolution (as deployment formats do); with it, it must follow the normalisation, so it is
     * a layer of its own, and the convolution drops its bias because batch norm's shift replaces it.
     */
    void convUnit(const std::string &name, LayerType type, int outChannels, int kernel, int stride, bool activate,
                  bool factorizable = false)
    {
        LayerSpec conv;
        conv.type = type;
        conv.name = name;
        if (type == LayerType::Conv2d)
            conv.outChannels = outChannels;
        conv.kernelH = conv.kernelW = kernel;
        conv.strideH = conv.strideW = stride;
        conv.padding = Padding{PaddingMode::Same, 0};
        conv.bias = !m_batchNorm;
        conv.activation = activate && !m_batchNorm ? m_activation : Activation::None;
        if (factorizable)
            factorize(conv, m_channels, m_batchNorm);
        append(std::move(conv));
        if (type == LayerType::Conv2d)
            m_channels = outChannels;
        if (m_batchNorm) {
            LayerSpec bn;
            bn.type = LayerType::BatchNorm;
            bn.name = name + "_bn";
            append(std::move(bn));
            if (activate) {
                LayerSpec act;
                act.type = m_activation == Activation::Relu6 ? LayerType::Relu6 : LayerType::Relu;
                act.name = name + "_act";
                append(std::move(act));
            }
        }
    }

    void dense(const std::string &name, int units, Activation activation, bool factorizable = false)
    {
        LayerSpec layer;
        layer.type = LayerType::Dense;
        layer.name = name;
        layer.outChannels = units;
        layer.activation = activation;
        if (factorizable)
            factorize(layer, m_channels, false);
        append(std::move(layer));
        m_channels = units;
    }

    void plain(const std::string &name, LayerType type, std::vector<std::string> inputs = {})
    {
        LayerSpec layer;
        layer.type = type;
        layer.name = name;
        layer.inputs = std::move(inputs);
        append(std::move(layer));
    }

private:
    /** The divisor of n closest to sqrt(n) (the smaller one on a tie): 1 or n only when n is 1 or prime. */
    static int balancedDivisor(int n)
    {
        int best = 1;
        for (int d = 1; d <= n; ++d) {
            if (n % d == 0 && std::abs(d - std::sqrt(double(n))) < std::abs(best - std::sqrt(double(n))))
                best = d;
        }
        return best;
    }

    /**
     * Applies the section's factorisation to a dense layer or 1x1 convolution with `in` input channels. A
     * low_rank or kronecker layer has no kernel, stride or padding, so it is built afresh.
     */
    void factorize(LayerSpec &layer, int in, bool batchNormFollows) const
    {
        const FactorizationChoice &f = m_section.factorization;
        const int out = layer.outChannels;
        if (f.kind == FactorizationChoice::Kind::None || m_section.weightBits == 1)
            return;
        LayerSpec factored;
        factored.name = layer.name;
        factored.outChannels = out;
        factored.bias = layer.bias;
        factored.activation = layer.activation;
        if (f.kind == FactorizationChoice::Kind::LowRank) {
            factored.type = LayerType::LowRank;
            factored.rank = std::max(1, int(std::lround(f.rankFraction * std::min(in, out))));
        } else {
            const int o1 = balancedDivisor(out), i1 = balancedDivisor(in);
            // A prime dimension would leave a trivial factor; a batch_norm after a kronecker layer cannot fold.
            if (o1 == 1 || o1 == out || i1 == 1 || i1 == in || batchNormFollows)
                return;
            factored.type = LayerType::Kronecker;
            factored.kronA = {o1, i1};
            factored.kronB = {out / o1, in / i1};
        }
        layer = std::move(factored);
    }

    void append(LayerSpec layer)
    {
        if (layer.inputs.empty())
            layer.inputs = {m_last};
        // Batch norm folds into the convolution before it when deployed, so it has no bit-width or sparsity of
        // its own (the network format does not even write one for it).
        const bool weighted = hasWeights(layer.type) && layer.type != LayerType::BatchNorm;
        if (weighted)
            layer.weightBits = m_section.weightBits;
        layer.activationBits = m_section.activationBits;
        // Binary weights are +-alpha: they cannot be sparse, so a binary layer stays dense.
        if (weighted && m_section.sparsity > 0.0 && layer.weightBits > 1 && !isFactorized(layer.type)) {
            layer.sparsity = sparsityFor(m_section.sparsity);
            if (layer.sparsity.isSparse())
                m_sparsity[layer.name] = layer.sparsity.fraction;
        }
        m_last = layer.name;
        m_net.layers.push_back(std::move(layer));
    }

    /** The layer sparsity for a chosen fraction under the space's pattern. */
    SparsitySpec sparsityFor(double fraction) const
    {
        SparsitySpec s = m_pattern;
        switch (s.pattern) {
        case SparsityPattern::Dbb:
            s.maxNonZeros = std::clamp(int(std::lround((1.0 - fraction) * s.blockSize)), 1, s.blockSize);
            s.fraction = 1.0 - double(s.maxNonZeros) / s.blockSize;
            break;
        case SparsityPattern::NM:
            s.n = std::clamp(int(std::lround((1.0 - fraction) * s.m)), 1, s.m);
            s.fraction = 1.0 - double(s.n) / s.m;
            break;
        default:
            s.pattern = SparsityPattern::Unstructured;
            s.fraction = fraction;
            break;
        }
        if (s.fraction <= 0.0)
            s = SparsitySpec{};
        return s;
    }

    NetworkDescription &m_net;
    std::map<std::string, double> &m_sparsity;
    SparsitySpec m_pattern;
    bool m_batchNorm;
    Activation m_activation;
    SectionCompression m_section;
    std::string m_last = "input";
    int m_channels;
};

} // namespace

NetworkDescription buildNetwork(const std::string &name, const Shape &input, int numClasses,
                                const ArchitectureChoice &choice, std::map<std::string, double> &sparsity)
{
    NetworkDescription net;
    net.name = name;
    net.input = input;
    Builder b(net, sparsity, choice);

    b.setSection(choice.stemCompression);
    b.convUnit("stem", LayerType::Conv2d, choice.stemOutChannels, choice.stemKernel, choice.stemStride, true);

    for (int i = 0; i < choice.blockCount; ++i) {
        const BlockChoice &block = choice.blocks.at(std::size_t(i));
        const std::string prefix = "block" + std::to_string(i + 1);
        const std::string blockInput = b.last();
        const int inChannels = b.channels();
        b.setSection(block.compression);
        if (block.type == BlockType::Separable) {
            if (block.expansion > 1)
                b.convUnit(prefix + "_expand", LayerType::Conv2d, inChannels * block.expansion, 1, 1, true, true);
            b.convUnit(prefix + "_dw", LayerType::DepthwiseConv2d, 0, block.kernel, block.stride, true);
            // MobileNetV2's linear bottleneck: an activation after the projection of an expanded block
            // destroys information in the narrow tensor; without expansion this is a DS-CNN block, which
            // keeps it.
            b.convUnit(prefix + "_project", LayerType::Conv2d, block.outChannels, 1, 1, block.expansion == 1, true);
        } else {
            b.convUnit(prefix + "_conv", LayerType::Conv2d, block.outChannels, block.kernel, block.stride, true);
        }
        // A shortcut needs equal shapes; where the choice cannot apply it is ignored rather than rejected,
        // so every encoding stays valid.
        if (block.residual && block.stride == 1 && inChannels == block.outChannels)
            b.plain(prefix + "_add", LayerType::Add, {blockInput, b.last()});
    }

    b.setSection(choice.headCompression);
    b.plain("pool", LayerType::GlobalAvgPool);
    b.plain("flatten", LayerType::Flatten);
    if (choice.denseUnits > 0)
        b.dense("dense", choice.denseUnits, choice.activation, true);
    b.dense("logits", numClasses, Activation::None);
    return net;
}

} // namespace psc
