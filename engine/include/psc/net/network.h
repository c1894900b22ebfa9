// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
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

/** Tensor shape without the batch dimension, channels first. A flat vector is {n, 1, 1}. */
struct Shape
{
    int channels = 0;
    int height = 0;
    int width = 0;
    std::int64_t elements() const { return std::int64_t(channels) * height * width; }
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

    int outChannels = 0;     ///< conv2d out_channels, dense units
    int kernelH = 1;         ///< conv / pool kernel
    int kernelW = 1;
    int strideH = 1;
    int strideW = 1;
    int depthMultiplier = 1; ///< depthwise_conv2d
    Padding padding;
    bool bias = true;
    Activation activation = Activation::None;

    int weightBits = 8;
    int activationBits = 8;

    bool operator==(const LayerSpec &) const = default;
};

/** A whole network: the input shape and the ordered layers. The last layer's output is the network's. */
struct NetworkDescription
{
    std::string name;
    Shape input;
    std::vector<LayerSpec> layers;

    bool operator==(const NetworkDescription &) const = default;
};

std::string_view toString(LayerType type);
std::string_view toString(Activation activation);
/** True for layers that carry weights (conv2d, depthwise_conv2d, dense, batch_norm). */
bool hasWeights(LayerType type);

} // namespace psc
