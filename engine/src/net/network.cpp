// SPDX-License-Identifier: GPL-3.0-or-later
#include "psc/net/network.h"

#include <array>
#include <utility>

namespace psc {

namespace {

// One table per enum keeps the names of the JSON format in a single place.
constexpr std::array<std::pair<LayerType, std::string_view>, 14> kLayerTypeNames{{
    {LayerType::Conv2d, "conv2d"},
    {LayerType::DepthwiseConv2d, "depthwise_conv2d"},
    {LayerType::Dense, "dense"},
    {LayerType::AvgPool2d, "avg_pool2d"},
    {LayerType::MaxPool2d, "max_pool2d"},
    {LayerType::GlobalAvgPool, "global_avg_pool"},
    {LayerType::Add, "add"},
    {LayerType::Flatten, "flatten"},
    {LayerType::BatchNorm, "batch_norm"},
    {LayerType::Relu, "relu"},
    {LayerType::Relu6, "relu6"},
    {LayerType::Softmax, "softmax"},
    {LayerType::LowRank, "low_rank"},
    {LayerType::Kronecker, "kronecker"},
}};

constexpr std::array<std::pair<Activation, std::string_view>, 4> kActivationNames{{
    {Activation::None, "none"},
    {Activation::Relu, "relu"},
    {Activation::Relu6, "relu6"},
    {Activation::Softmax, "softmax"},
}};

} // namespace

std::string_view toString(LayerType type)
{
    for (const auto &[value, name] : kLayerTypeNames) {
        if (value == type)
            return name;
    }
    return "unknown";
}

std::string_view toString(Activation activation)
{
    for (const auto &[value, name] : kActivationNames) {
        if (value == activation)
            return name;
    }
    return "unknown";
}

std::string_view toString(PaddingMode mode)
{
    switch (mode) {
    case PaddingMode::Same:
        return "same";
    case PaddingMode::Valid:
        return "valid";
    case PaddingMode::Explicit:
        return "explicit";
    }
    return "unknown";
}

std::string_view toString(SparsityPattern pattern)
{
    switch (pattern) {
    case SparsityPattern::None:
        return "none";
    case SparsityPattern::Unstructured:
        return "unstructured";
    case SparsityPattern::ChannelStructured:
        return "channel";
    case SparsityPattern::Dbb:
        return "dbb";
    case SparsityPattern::NM:
        return "n:m";
    }
    return "unknown";
}

std::string toString(const Shape &shape)
{
    return std::to_string(shape.channels) + "x" + std::to_string(shape.height) + "x" + std::to_string(shape.width);
}

std::optional<LayerType> layerTypeFromString(std::string_view text)
{
    for (const auto &[value, name] : kLayerTypeNames) {
        if (name == text)
            return value;
    }
    return std::nullopt;
}

std::optional<Activation> activationFromString(std::string_view text)
{
    for (const auto &[value, name] : kActivationNames) {
        if (name == text)
            return value;
    }
    return std::nullopt;
}

bool hasWeights(LayerType type)
{
    return isLinear(type) || type == LayerType::BatchNorm;
}

bool isLinear(LayerType type)
{
    return type == LayerType::Conv2d || type == LayerType::DepthwiseConv2d || type == LayerType::Dense ||
           isFactorized(type);
}

bool isFactorized(LayerType type)
{
    return type == LayerType::LowRank || type == LayerType::Kronecker;
}

bool hasWindow(LayerType type)
{
    return type == LayerType::Conv2d || type == LayerType::DepthwiseConv2d || type == LayerType::AvgPool2d ||
           type == LayerType::MaxPool2d;
}

} // namespace psc
