// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "psc/net/network.h"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace psc {

/** A float tensor, row-major. Conv filters are OIHW (depthwise: C*multiplier x 1 x kh x kw), dense [out, in]. */
struct FloatTensor
{
    std::vector<int> shape;
    std::vector<float> values;
    std::int64_t elements() const
    {
        std::int64_t n = 1;
        for (int d : shape)
            n *= d;
        return shape.empty() ? 0 : n;
    }
    bool operator==(const FloatTensor &) const = default;
};

/** The float domain range a quantised tensor covers (docs/quantization.md). */
struct TensorRange
{
    float min = 0.0f;
    float max = 0.0f;
    bool operator==(const TensorRange &) const = default;
};

/**
 * Trained parameters of one weighted layer of a deployable network. A factorised layer has two weight
 * tensors: low_rank weight = U [out, r] and factor = V [r, in]; kronecker weight = A [o1, i1] and factor =
 * B [o2, i2].
 */
struct LayerParameters
{
    FloatTensor weight;
    FloatTensor bias;   ///< empty if the layer has none
    FloatTensor factor; ///< low_rank V, kronecker B; empty for every other layer
    bool operator==(const LayerParameters &) const = default;
};

/**
 * What training hands to deployment: a network in deployable form (lowerForDeployment(): no batch_norm,
 * activations fused into their producers) with its folded float parameters (pruned weights are exact
 * zeros) and the float range of every tensor that carries its own quantisation parameters: "input" and
 * the output of every conv2d, depthwise_conv2d, dense, low_rank, kronecker and add layer (the others share their
 * input's), and the intermediate tensor of a low_rank or kronecker layer as "<layer>:mid".
 * Produced by psc_ml, consumed by the integer reference inference and the exporters. Value type.
 */
struct TrainedModel
{
    NetworkDescription network;
    /** Input normalisation of the task: x = (pixel / 255 - inputMean) / inputStd. */
    double inputMean = 0.0;
    double inputStd = 1.0;
    std::map<std::string, LayerParameters> parameters; ///< by layer name
    std::map<std::string, TensorRange> ranges;         ///< by tensor name ("input", a layer name, "<layer>:mid")
    bool operator==(const TrainedModel &) const = default;
};

/** The trial-weights format name stored with TrainResult::weightsFormat. */
inline constexpr const char *kTrainedModelFormat = "psc-trained-model-v1";

/**
 * Binary encoding (docs/formats/trained-model.md): magic "PSCTM\\x01", a JSON header (network, normalisation,
 * ranges, tensor shapes and offsets), then the float32 little-endian tensor data.
 */
std::vector<std::uint8_t> serializeTrainedModel(const TrainedModel &model);
/** Inverse of serializeTrainedModel(). Throws InputError naming `what` (e.g. "trial 12 weights") if malformed. */
TrainedModel deserializeTrainedModel(const std::vector<std::uint8_t> &bytes, const std::string &what);

/**
 * The deployable form of a network: every batch_norm directly after a conv2d, depthwise_conv2d, dense or
 * low_rank layer that is its only reader is removed (its parameters fold into the producer), and a relu/relu6 that is
 * the only reader of such a producer with no fused activation of its own becomes the producer's fused activation.
 * Layers that read a removed layer read its producer instead, which keeps its own name. `renamed` (if given) maps each
 * removed layer name to the layer that now produces its value. Pure.
 */
NetworkDescription lowerForDeployment(const NetworkDescription &network,
                                      std::map<std::string, std::string> *renamed = nullptr);

} // namespace psc
