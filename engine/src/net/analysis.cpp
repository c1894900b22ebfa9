// SPDX-License-Identifier: GPL-3.0-or-later
#include "psc/net/analysis.h"

#include "psc/compress/sparsity.h"
#include "psc/compress/weightencoding.h"

#include "psc/net/memoryplanner.h"
#include "psc/net/shapeinference.h"

#include <algorithm>

namespace psc {

namespace {

/** Products of layer sizes can leave int64 for absurd but parseable sizes; say so instead of wrapping. */
class Counter
{
public:
    Counter(const NetworkDescription &network, std::size_t index) : m_network(network), m_index(index) {}

    std::int64_t product(std::initializer_list<std::int64_t> factors) const
    {
        std::int64_t result = 1;
        for (std::int64_t f : factors) {
            if (__builtin_mul_overflow(result, f, &result))
                tooLarge();
        }
        return result;
    }

    /** Bytes of `count` values at `bits` each, rounded up to whole bytes. */
    std::int64_t bytes(std::int64_t count, int bits) const
    {
        // ceil(count * bits / 8) without forming count * bits, which could overflow first.
        const std::int64_t whole = product({count / 8, bits});
        return whole + (count % 8 * bits + 7) / 8;
    }

private:
    [[noreturn]] void tooLarge() const
    {
        throw NetworkError("/layers/" + std::to_string(m_index),
                           "layer \"" + m_network.layers[m_index].name + "\": its cost does not fit in 64 bits");
    }

    const NetworkDescription &m_network;
    std::size_t m_index;
};

bool isResolved(const NetworkDescription &network)
{
    return std::all_of(network.layers.begin(), network.layers.end(),
                       [](const LayerSpec &l) { return !l.name.empty() && !l.inputs.empty(); });
}

/**
 * A batch_norm folds into the layer before it (as TFLite's converter does) when that layer is a conv or
 * dense without a fused activation and nothing else reads its output; otherwise it stays a separate
 * per-channel multiply-add.
 */
bool foldsIntoProducer(const NetworkDescription &network, const std::vector<std::vector<int>> &inputs,
                       const std::vector<int> &readers, std::size_t index)
{
    const int producer = inputs[index].front();
    if (producer == kNetworkInput)
        return false;
    const LayerSpec &p = network.layers[std::size_t(producer)];
    // A kronecker layer never gets here: validation refuses a batch_norm after it (its scale does not factor).
    return isLinear(p.type) && p.activation == Activation::None && readers[std::size_t(producer)] == 1;
}

void countLayer(const NetworkDescription &network, const std::vector<std::vector<int>> &inputs,
                const std::vector<int> &readers, std::size_t index, LayerAnalysis &out)
{
    const LayerSpec &l = network.layers[index];
    const Counter c(network, index);
    const Shape &in = out.inputShapes.front();
    const Shape &o = out.outputShape;
    const std::int64_t outElements = o.elements();
    const std::int64_t bias = l.bias ? 1 : 0;
    const std::int64_t activationOps = l.activation == Activation::None ? 0 : outElements;

    std::int64_t weights = 0, biases = 0;
    std::int64_t factorWeightBytes = 0; // low_rank / kronecker: each factor packed on its own
    switch (l.type) {
    case LayerType::Conv2d:
        out.macs = c.product({o.height, o.width, o.channels, in.channels, l.kernelH, l.kernelW});
        weights = c.product({o.channels, in.channels, l.kernelH, l.kernelW});
        biases = bias * o.channels;
        out.ops = bias * outElements + activationOps;
        break;
    case LayerType::DepthwiseConv2d:
        out.macs = c.product({o.height, o.width, in.channels, l.depthMultiplier, l.kernelH, l.kernelW});
        weights = c.product({in.channels, l.depthMultiplier, l.kernelH, l.kernelW});
        biases = bias * o.channels;
        out.ops = bias * outElements + activationOps;
        break;
    case LayerType::Dense:
        out.macs = c.product({in.elements(), o.channels});
        weights = out.macs;
        biases = bias * o.channels;
        out.ops = bias * outElements + activationOps;
        break;
    case LayerType::LowRank:
    case LayerType::Kronecker: {
        // Per pixel: low_rank V [r, in] then U [out, r]; kronecker T = X B^T ([i1, i2] x [i2, o2]) then A T.
        const std::int64_t pixels = c.product({o.height, o.width});
        const bool lowRank = l.type == LayerType::LowRank;
        const std::int64_t first = lowRank ? c.product({l.rank, in.channels}) : c.product({l.kronB.out, l.kronB.in});
        const std::int64_t second = lowRank ? c.product({o.channels, l.rank}) : c.product({l.kronA.out, l.kronA.in});
        const std::int64_t perPixel = lowRank ? first + second
                                              : c.product({l.kronA.in, l.kronB.in, l.kronB.out}) +
                                                    c.product({l.kronA.out, l.kronA.in, l.kronB.out});
        out.macs = c.product({pixels, perPixel});
        weights = first + second;
        factorWeightBytes = c.bytes(first, l.weightBits) + c.bytes(second, l.weightBits);
        biases = bias * o.channels;
        out.ops = bias * outElements + activationOps;
        out.intermediateBytes = c.product({pixels, lowRank ? l.rank : c.product({l.kronA.in, l.kronB.out})});
        break;
    }
    case LayerType::AvgPool2d:
    case LayerType::MaxPool2d:
        out.ops = c.product({outElements, l.kernelH, l.kernelW});
        break;
    case LayerType::GlobalAvgPool:
        out.ops = in.elements();
        break;
    case LayerType::Add:
        out.ops = c.product({std::int64_t(inputs[index].size()) - 1, outElements}) + activationOps;
        break;
    case LayerType::BatchNorm:
        out.params = 2 * std::int64_t(o.channels);
        out.weightBits = 32;
        out.foldedIntoProducer = foldsIntoProducer(network, inputs, readers, index);
        if (out.foldedIntoProducer) {
            // Folding rescales the producer's weights in place; only a missing bias has to be created.
            const LayerSpec &producer = network.layers[std::size_t(inputs[index].front())];
            out.weightBytes = producer.bias ? 0 : 4 * std::int64_t(o.channels);
        } else {
            out.weightBytes = 2 * 4 * std::int64_t(o.channels); // int32 multiplier and offset per channel
            out.ops = 2 * outElements;
        }
        break;
    case LayerType::Relu:
    case LayerType::Relu6:
    case LayerType::Softmax:
        out.ops = outElements;
        break;
    case LayerType::Flatten:
        break;
    }
    if (isLinear(l.type)) {
        out.params = weights + biases;
        out.weightBits = l.weightBits;
        out.denseWeightBytes = (isFactorized(l.type) ? factorWeightBytes : c.bytes(weights, l.weightBits)) + 4 * biases;
        out.weightBytes = out.denseWeightBytes;
        out.nonZeroWeights = weights;
        out.weights = weights;
        out.weightShape = weightTensorShape(l, in, o);
        // A sparse layer is stored in its deployed encoding (docs/formats/weight-encodings.md). Channel
        // pruning already shrank the shape, so such a layer deploys dense.
        if (out.weightShape && l.sparsity.isSparse() && l.sparsity.pattern != SparsityPattern::ChannelStructured) {
            const WeightShape &shape = *out.weightShape;
            out.nonZeroWeights = expectedNonZeros(shape, l.sparsity);
            out.encoding = deployedEncoding(shape, l.weightBits, l.sparsity, out.nonZeroWeights);
            out.weightBytes =
                encodedWeightSize(out.encoding, shape, l.weightBits, out.nonZeroWeights, l.sparsity).totalBytes +
                4 * biases;
        }
    }
    out.activationBytes = c.bytes(outElements, l.activationBits);
}

} // namespace

std::optional<WeightShape> weightTensorShape(const LayerSpec &layer, const Shape &input, const Shape &output)
{
    switch (layer.type) {
    case LayerType::Dense:
        return WeightShape{output.channels, int(input.elements()), 1, 1};
    case LayerType::Conv2d:
        return WeightShape{output.channels, input.channels, layer.kernelH, layer.kernelW};
    case LayerType::DepthwiseConv2d:
        return WeightShape{output.channels, 1, layer.kernelH, layer.kernelW};
    default:
        return std::nullopt;
    }
}

ModelAnalysis analyzeNetwork(const NetworkDescription &description)
{
    // Copy only when names or inputs must be filled in; parsed descriptions are already resolved.
    NetworkDescription resolvedCopy;
    const NetworkDescription *network = &description;
    if (!isResolved(description)) {
        resolvedCopy = description;
        resolveNetwork(resolvedCopy);
        network = &resolvedCopy;
    }
    const auto inputs = layerInputIndices(*network);
    const auto shapes = inferShapes(*network, inputs);
    const std::size_t count = network->layers.size();

    // Readers per tensor, and the last step each tensor is needed; -1 is the network input.
    std::vector<int> readers(count, 0), lastUse(count);
    int inputLastUse = 0;
    for (std::size_t i = 0; i < count; ++i) {
        lastUse[i] = int(i);
        for (int j : inputs[i]) {
            if (j == kNetworkInput) {
                inputLastUse = std::max(inputLastUse, int(i));
            } else {
                ++readers[std::size_t(j)];
                lastUse[std::size_t(j)] = std::max(lastUse[std::size_t(j)], int(i));
            }
        }
    }

    ModelAnalysis result;
    result.networkName = network->name;
    result.inputShape = network->input;
    result.inputBits = network->inputBits;
    result.inputBytes = Counter(*network, 0).bytes(network->input.elements(), network->inputBits);
    result.inputLastUse = inputLastUse;
    result.layers.resize(count);

    MemoryPlanner planner(result.arenaAlignment);
    const int inputTensor = planner.addTensor(result.inputBytes, 0, inputLastUse);
    std::vector<int> tensorOf(count); // planner index of each layer's output
    result.largestTensorBytes = result.inputBytes;
    for (std::size_t i = 0; i < count; ++i) {
        const LayerSpec &l = network->layers[i];
        LayerAnalysis &out = result.layers[i];
        out.index = int(i);
        out.type = l.type;
        out.name = l.name;
        out.inputs = l.inputs;
        for (int j : inputs[i])
            out.inputShapes.push_back(j == kNetworkInput ? network->input : shapes[std::size_t(j)]);
        out.outputShape = shapes[i];
        out.activationBits = l.activationBits;
        out.lastUse = lastUse[i];
        countLayer(*network, inputs, readers, i, out);

        result.totalMacs += out.macs;
        result.totalOps += out.ops;
        result.totalParams += out.params;
        result.totalWeightBytes += out.weightBytes;
        result.largestTensorBytes = std::max(result.largestTensorBytes, out.activationBytes);
        tensorOf[i] = planner.addTensor(out.activationBytes, int(i), lastUse[i]);
        // The intermediate of a factorised layer lives only during its own step, next to its input and output.
        if (out.intermediateBytes > 0)
            planner.addTensor(out.intermediateBytes, int(i), int(i));
    }

    result.peakLiveBytes = planner.peakLiveBytes();
    result.peakLiveLayer = planner.peakLiveStep();
    const MemoryPlan plan = planner.plan();
    result.arenaBytes = plan.arenaBytes;
    result.inputArenaOffset = plan.offsets[std::size_t(inputTensor)];
    for (std::size_t i = 0; i < count; ++i)
        result.layers[i].arenaOffset = plan.offsets[std::size_t(tensorOf[i])];
    return result;
}

} // namespace psc
