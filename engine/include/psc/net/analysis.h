// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "psc/compress/weightencoding.h"
#include "psc/net/network.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace psc {

/**
 * Static cost figures of one layer. Counts are exact integers; sizes are bytes. The conventions (what
 * counts as a MAC, a parameter or a weight byte) are documented in docs/formats/network.md.
 */
struct LayerAnalysis
{
    int index = 0;
    LayerType type = LayerType::Relu;
    std::string name;
    std::vector<std::string> inputs; ///< resolved input names ("input" is the network input)
    std::vector<Shape> inputShapes;
    Shape outputShape;

    std::int64_t macs = 0;   ///< multiply-accumulates: conv, depthwise conv, dense, low_rank, kronecker only
    std::int64_t ops = 0;    ///< other element-wise arithmetic (bias adds, activations, pooling, add), rough
    std::int64_t params = 0; ///< trainable parameters: weights + biases; batch_norm: 2*C (gamma, beta)
    int weightBits = 0;      ///< bits per weight at deployment, 0 for layers without weights
    /// Deployed constant bytes: the weights in their deployed encoding (packed dense at weightBits, or the
    /// sparse encoding of docs/formats/weight-encodings.md) + 4 per bias (int32, as in TFLite).
    std::int64_t weightBytes = 0;
    /// The same layer dense: ceil(weights * weightBits / 8) + 4 per bias (the size before pruning).
    std::int64_t denseWeightBytes = 0;
    /// Weights without biases: both factors of low_rank / kronecker; 0 for layers without weights and batch_norm.
    std::int64_t weights = 0;
    std::int64_t nonZeroWeights = 0; ///< weights the layer's sparsity keeps (all of them when dense)
    /// conv2d, depthwise_conv2d, dense: the weight tensor as sparsity and encodings see it (weightTensorShape());
    /// empty for every other layer (low_rank and kronecker keep two dense factors).
    std::optional<WeightShape> weightShape;
    WeightEncoding encoding = WeightEncoding::Dense; ///< how the deployed weights are stored
    int activationBits = 8;
    std::int64_t activationBytes = 0; ///< the output tensor: ceil(elements * activationBits / 8)
    bool foldedIntoProducer = false;  ///< batch_norm only: folds into the conv/dense before it when deployed
    /// low_rank / kronecker: the int8 intermediate tensor (V x, or X B^T), live only while the layer runs.
    std::int64_t intermediateBytes = 0;

    int lastUse = 0;              ///< index of the last layer that reads this output (its own index if none)
    std::int64_t arenaOffset = 0; ///< where the greedy planner put the output tensor
};

/** The analysis of a whole network. Value type; produced by analyzeNetwork(). */
struct ModelAnalysis
{
    std::string networkName;
    Shape inputShape;
    int inputBits = 8;
    std::int64_t inputBytes = 0;
    int inputLastUse = 0; ///< index of the last layer that reads the network input
    std::int64_t inputArenaOffset = 0;

    std::vector<LayerAnalysis> layers;

    std::int64_t totalMacs = 0;
    std::int64_t totalOps = 0;
    std::int64_t totalParams = 0;
    std::int64_t totalWeightBytes = 0;
    std::int64_t largestTensorBytes = 0; ///< the biggest single activation tensor (input included)
    /// Peak memory (a): the largest sum of live tensors over the execution steps; a tensor lives from the
    /// layer producing it (step 0 for the input) through its last reader, and every layer writes a new tensor.
    std::int64_t peakLiveBytes = 0;
    int peakLiveLayer = 0; ///< the layer (step) at which peakLiveBytes is first reached
    /// Peak memory (b): the arena of a TFLite-Micro-style greedy planner (MemoryPlanner), >= peakLiveBytes.
    std::int64_t arenaBytes = 0;
    std::int64_t arenaAlignment = 16;
};

/**
 * The weight tensor of a conv2d, depthwise_conv2d or dense layer given its input and output shapes, in the
 * layout of WeightShape: OIHW for conv2d, [units, input elements, 1, 1] for dense, [channels x multiplier, 1,
 * kernelH, kernelW] for depthwise_conv2d. nullopt for every other layer type (low_rank and kronecker have two
 * factors, the rest no weight tensor a sparsity pattern applies to). The one place these shapes are derived;
 * pure, any thread.
 */
std::optional<WeightShape> weightTensorShape(const LayerSpec &layer, const Shape &input, const Shape &output);

/**
 * Validates a description and computes per-layer and total costs. The description may be unresolved
 * (names and inputs are filled in as resolveNetwork() does). Throws NetworkError (an InputError) naming the
 * layer and its JSON pointer for inconsistent graphs and impossible shapes. Pure; callable from any thread.
 */
ModelAnalysis analyzeNetwork(const NetworkDescription &network);

/** An aligned, human-readable per-layer table with totals (sizes in B/KiB/MiB), ending in a newline. */
std::string formatAnalysisTable(const ModelAnalysis &analysis);

/** Machine-readable JSON: per-layer figures and totals as integers, sizes in bytes. */
std::string analysisToJson(const ModelAnalysis &analysis, bool pretty = true);

} // namespace psc
