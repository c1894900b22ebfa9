// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "psc/core/error.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace psc {

/** Layer operators of the network description format (docs/formats/network.md). */
enum class LayerType
{
    Conv2d,
    DepthwiseConv2d,
    Dense,
    AvgPool2d,
    MaxPool2d,
    GlobalAvgPool,
    Add,
    Flatten,
    BatchNorm,
    Relu,
    Relu6,
    Softmax,
    LowRank,   ///< y = U (V x) + b per pixel: a factorised dense / 1x1 conv2d (docs/formats/network.md)
    Kronecker, ///< y = (A kron B) x + b per pixel: a Kronecker-factorised dense / 1x1 conv2d
};

/** Fused activation of a conv/dense layer. */
enum class Activation
{
    None,
    Relu,
    Relu6,
    Softmax,
};

enum class PaddingMode
{
    Same,     ///< TensorFlow "same": output = ceil(input / stride)
    Valid,    ///< no padding: output = floor((input - kernel) / stride) + 1
    Explicit, ///< `amount` zeros on every side
};

struct Padding
{
    PaddingMode mode = PaddingMode::Valid;
    int amount = 0; ///< used only for PaddingMode::Explicit
    bool operator==(const Padding &) const = default;
};

/** How a layer's zero weights are arranged (docs/formats/network.md, "sparsity"). */
enum class SparsityPattern
{
    None,
    Unstructured,      ///< any weight may be zero; exactly round(fraction * weights) are
    ChannelStructured, ///< whole output channels removed: already reflected in the layer's shape
    Dbb,               ///< density-bound blocks: at most maxNonZeros in every blockSize weights along the input
    NM,                ///< N:M: at most n non-zeros in every m consecutive weights along the input
};

/**
 * The sparsity of a weighted layer. For DBB and N:M the bound defines the fraction (1 - NNZ/BZ, 1 - N/M);
 * `fraction` then records it. Weights are grouped along the reduction dimension: input channels for conv2d
 * (per kernel position), the inputs of dense, the kernel window of depthwise_conv2d.
 */
struct SparsitySpec
{
    SparsityPattern pattern = SparsityPattern::None;
    double fraction = 0.0; ///< target fraction of zero weights in [0, 1)
    int blockSize = 0;     ///< DBB block size BZ
    int maxNonZeros = 0;   ///< DBB bound NNZ
    int n = 0;             ///< N:M
    int m = 0;
    bool isSparse() const { return pattern != SparsityPattern::None && fraction > 0.0; }
    bool operator==(const SparsitySpec &) const = default;
};

/** The shape [out, in] of one Kronecker factor. */
struct FactorShape
{
    int out = 0;
    int in = 0;
    bool operator==(const FactorShape &) const = default;
};

/** Tensor shape without the batch dimension, channels first. A flat vector is {n, 1, 1}. */
struct Shape
{
    int channels = 0;
    int height = 0;
    int width = 0;
    std::int64_t elements() const { return std::int64_t(channels) * height * width; }
    /** True for {n, 1, 1}: the only shape dense accepts. */
    bool isFlat() const { return height == 1 && width == 1; }
    bool operator==(const Shape &) const = default;
};

/**
 * One layer of a network description. Fields that do not apply to a layer's type keep their defaults.
 * `inputs` names the producing layers; empty means "the previous layer" (or the network input for the
 * first layer). After parsing, `name` is always set (generated as "<type>_<index>" if absent) and
 * `inputs` is always resolved to explicit names, "input" denoting the network input.
 */
struct LayerSpec
{
    LayerType type = LayerType::Relu;
    std::string name;
    std::vector<std::string> inputs;

    int outChannels = 0; ///< conv2d, low_rank and kronecker out_channels, dense units
    int kernelH = 1;     ///< conv / pool kernel
    int kernelW = 1;
    int strideH = 1;
    int strideW = 1;
    int depthMultiplier = 1; ///< depthwise_conv2d
    Padding padding;
    bool bias = true;
    Activation activation = Activation::None;

    int weightBits = 8;
    int activationBits = 8;
    SparsitySpec sparsity; ///< conv2d, depthwise_conv2d, dense

    int rank = 0;      ///< low_rank: r, V is [r, in] and U [out_channels, r]
    FactorShape kronA; ///< kronecker: A [o1, i1]; W = A kron B, o1 * o2 = out_channels, i1 * i2 = input channels
    FactorShape kronB; ///< kronecker: B [o2, i2]

    bool operator==(const LayerSpec &) const = default;
};

/** A whole network: the input shape and the ordered layers. The last layer's output is the network's. */
struct NetworkDescription
{
    std::string name;
    Shape input;
    int inputBits = 8; ///< bits per element of the input tensor (sizes the input in memory planning)
    std::vector<LayerSpec> layers;

    bool operator==(const NetworkDescription &) const = default;
};

/** The name used in the JSON format, e.g. "depthwise_conv2d". */
std::string_view toString(LayerType type);
/** The name used in the JSON format: "none", "relu", "relu6", "softmax". */
std::string_view toString(Activation activation);
/** "same", "valid" or "explicit". */
std::string_view toString(PaddingMode mode);
/** "none", "unstructured", "channel", "dbb" or "n:m" (the network format's names). */
std::string_view toString(SparsityPattern pattern);
/** "CxHxW", e.g. "16x28x28". */
std::string toString(const Shape &shape);
std::optional<LayerType> layerTypeFromString(std::string_view text);
std::optional<Activation> activationFromString(std::string_view text);
/** True for layers that carry weights (conv2d, depthwise_conv2d, dense, low_rank, kronecker, batch_norm). */
bool hasWeights(LayerType type);
/**
 * True for the linear layers with weights, a bias, a fused activation and `weight_bits`: conv2d,
 * depthwise_conv2d, dense, low_rank and kronecker (every weighted layer but batch_norm).
 */
bool isLinear(LayerType type);
/** True for low_rank and kronecker: two weight factors and an int8 intermediate tensor per pixel. */
bool isFactorized(LayerType type);
/** Bits per element of the intermediate tensor of a low_rank or kronecker layer (V x, or X B^T): always int8. */
inline constexpr int kIntermediateBits = 8;
/** True for conv2d, depthwise_conv2d, avg_pool2d and max_pool2d: the layers with a kernel, stride and padding. */
bool hasWindow(LayerType type);

/** The reserved name by which `LayerSpec::inputs` refers to the network input. */
inline constexpr std::string_view kNetworkInputName = "input";

/**
 * An InputError about one part of a network description. pointer() is the JSON pointer of the offending
 * value in the network format ("/layers/3", "/layers/3/inputs/1"), so that a parser can prefix the file's
 * line:column; what() is "pointer: detail" for descriptions that did not come from a file.
 */
class NetworkError : public InputError
{
public:
    NetworkError(std::string pointer, std::string detail)
        : InputError(pointer + ": " + detail), m_pointer(std::move(pointer)), m_detail(std::move(detail))
    {}
    const std::string &pointer() const { return m_pointer; }
    const std::string &detail() const { return m_detail; }

private:
    std::string m_pointer;
    std::string m_detail;
};

} // namespace psc
