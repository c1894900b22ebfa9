// SPDX-License-Identifier: GPL-3.0-or-later
#include "psc/net/shapeinference.h"

#include "psc/core/inputfile.h"
#include "psc/net/window.h"

#include <algorithm>
#include <climits>
#include <unordered_map>
#include <unordered_set>

namespace psc {

namespace {

std::string layerPointer(std::size_t index, std::string_view field = {})
{
    std::string pointer = "/layers/" + std::to_string(index);
    if (!field.empty()) {
        pointer += '/';
        pointer += field;
    }
    return pointer;
}

/** How messages name a layer: `layer "conv3"`, or `layer #3` before names are generated. */
std::string layerLabel(const LayerSpec &layer, std::size_t index)
{
    return layer.name.empty() ? "layer #" + std::to_string(index) : "layer " + quotedInput(layer.name);
}

[[noreturn]] void failLayer(const NetworkDescription &network, std::size_t index, std::string_view field,
                            const std::string &detail)
{
    throw NetworkError(layerPointer(index, field), layerLabel(network.layers[index], index) + ": " + detail);
}

bool validName(const std::string &name)
{
    // Names end up in tables, exported C identifiers and file names; whitespace there is always a mistake.
    for (unsigned char c : name) {
        if (c <= 0x20 || c == 0x7F)
            return false;
    }
    return true;
}

/** Output size along one axis, or -1 if the kernel does not fit into the (padded) input. */
int windowOutput(int input, int kernel, int stride, const Padding &padding)
{
    return windowAxis(input, kernel, stride, padding).out;
}

void checkRange(const NetworkDescription &network, std::size_t index, std::string_view field, int value, int min,
                int max)
{
    if (value < min || value > max)
        failLayer(network, index, field,
                  std::string(field) + " must be between " + std::to_string(min) + " and " + std::to_string(max) +
                      ", got " + std::to_string(value));
}

Shape windowShape(const NetworkDescription &network, std::size_t index, const Shape &in, int channels)
{
    const LayerSpec &l = network.layers[index];
    checkRange(network, index, "kernel", l.kernelH, 1, kMaxDimension);
    checkRange(network, index, "kernel", l.kernelW, 1, kMaxDimension);
    checkRange(network, index, "stride", l.strideH, 1, kMaxDimension);
    checkRange(network, index, "stride", l.strideW, 1, kMaxDimension);
    if (l.padding.mode == PaddingMode::Explicit)
        checkRange(network, index, "padding", l.padding.amount, 0, kMaxDimension);
    const int height = windowOutput(in.height, l.kernelH, l.strideH, l.padding);
    const int width = windowOutput(in.width, l.kernelW, l.strideW, l.padding);
    if (height < 1 || width < 1) {
        const int pad = l.padding.mode == PaddingMode::Explicit ? 2 * l.padding.amount : 0;
        failLayer(network, index, {},
                  "kernel " + std::to_string(l.kernelH) + "x" + std::to_string(l.kernelW) +
                      " larger than its padded input " + std::to_string(in.height + pad) + "x" +
                      std::to_string(in.width + pad));
    }
    return Shape{channels, height, width};
}

/**
 * low_rank and kronecker act on the channels of each pixel (a flat input is one pixel), like a 1x1 conv2d.
 * Their factors must fit the channels: 1 <= rank <= min(in, out); o1 * o2 = out, i1 * i2 = in.
 */
Shape factorizedShape(const NetworkDescription &network, std::size_t i, const Shape &in)
{
    const LayerSpec &l = network.layers[i];
    const std::string type(toString(l.type));
    checkRange(network, i, "out_channels", l.outChannels, 1, kMaxDimension);
    if (l.weightBits == 1)
        failLayer(network, i, "weight_bits",
                  "a " + type + " layer cannot have binary (1-bit) weights; use 2 to 32 bits");
    if (l.sparsity.isSparse())
        failLayer(network, i, "sparsity", "a " + type + " layer cannot be sparse: its factors are dense");
    if (l.type == LayerType::LowRank) {
        const int maxRank = std::min(in.channels, l.outChannels);
        if (l.rank < 1 || l.rank > maxRank)
            failLayer(network, i, "rank",
                      "rank must be between 1 and min(input channels, out_channels) = min(" +
                          std::to_string(in.channels) + ", " + std::to_string(l.outChannels) +
                          ") = " + std::to_string(maxRank) + ", got " + std::to_string(l.rank));
    } else {
        const FactorShape &a = l.kronA, &b = l.kronB;
        for (int d : {a.out, a.in, b.out, b.in}) {
            if (d < 1 || d > kMaxDimension)
                failLayer(network, i, "factors",
                          "every factor dimension must be between 1 and " + std::to_string(kMaxDimension) + ", got " +
                              std::to_string(d));
        }
        const auto shapeText = [](const FactorShape &f) {
            return "[" + std::to_string(f.out) + ", " + std::to_string(f.in) + "]";
        };
        const std::string factors = "factors " + shapeText(a) + " and " + shapeText(b);
        if (std::int64_t(a.out) * b.out != l.outChannels)
            failLayer(network, i, "factors",
                      factors + " give " + std::to_string(std::int64_t(a.out) * b.out) +
                          " outputs (o1 * o2), but out_channels is " + std::to_string(l.outChannels));
        if (std::int64_t(a.in) * b.in != in.channels)
            failLayer(network, i, "factors",
                      factors + " take " + std::to_string(std::int64_t(a.in) * b.in) +
                          " inputs (i1 * i2), but the input has " + std::to_string(in.channels) + " channels (" +
                          toString(in) + ")");
    }
    return Shape{l.outChannels, in.height, in.width};
}

} // namespace

std::vector<std::vector<int>> layerInputIndices(const NetworkDescription &network)
{
    const std::size_t count = network.layers.size();
    if (count == 0)
        throw NetworkError("/layers", "a network needs at least one layer");

    std::unordered_map<std::string_view, int> byName;
    for (std::size_t i = 0; i < count; ++i) {
        const std::string &name = network.layers[i].name;
        if (name.empty())
            continue; // only resolveNetwork() output is guaranteed to be named; unnamed layers are just unreachable
        if (name == kNetworkInputName)
            failLayer(network, i, "name", "the name \"input\" is reserved for the network input");
        if (!validName(name))
            failLayer(network, i, "name", "a layer name may not contain spaces or control characters");
        const auto [it, inserted] = byName.emplace(name, int(i));
        if (!inserted)
            failLayer(network, i, "name",
                      "duplicate layer name, also used by " + layerPointer(std::size_t(it->second)));
    }

    std::vector<std::vector<int>> result(count);
    std::vector<bool> consumed(count, false);
    for (std::size_t i = 0; i < count; ++i) {
        const LayerSpec &layer = network.layers[i];
        if (layer.inputs.empty())
            result[i].push_back(int(i) - 1); // the previous layer; -1 == kNetworkInput for the first
        for (std::size_t k = 0; k < layer.inputs.size(); ++k) {
            const std::string &name = layer.inputs[k];
            const std::string field = "inputs/" + std::to_string(k);
            if (name == kNetworkInputName) {
                result[i].push_back(kNetworkInput);
                continue;
            }
            const auto it = byName.find(name);
            if (it == byName.end())
                failLayer(network, i, field, "input " + quotedInput(name) + " names no layer (dangling input)");
            if (std::size_t(it->second) == i)
                failLayer(network, i, field, "a layer cannot read its own output");
            if (std::size_t(it->second) > i)
                failLayer(network, i, field,
                          "input " + quotedInput(name) + " is a later layer (" + layerPointer(std::size_t(it->second)) +
                              "); a layer can only read earlier layers");
            result[i].push_back(it->second);
        }
        const std::string_view inputsField = layer.inputs.empty() ? std::string_view() : "inputs";
        if (layer.type == LayerType::Add && result[i].size() < 2)
            failLayer(network, i, inputsField,
                      "add needs at least two inputs, got " + std::to_string(result[i].size()));
        if (layer.type != LayerType::Add && result[i].size() != 1)
            failLayer(network, i, inputsField,
                      std::string(toString(layer.type)) + " takes exactly one input, got " +
                          std::to_string(result[i].size()));
        for (int j : result[i]) {
            if (j >= 0)
                consumed[std::size_t(j)] = true;
        }
    }
    for (std::size_t i = 0; i + 1 < count; ++i) {
        if (!consumed[i])
            failLayer(network, i, {}, "its output is never used; only the last layer's output may be left unread");
    }
    return result;
}

void resolveNetwork(NetworkDescription &network)
{
    // Explicit names are reserved first so that a generated name never steals one used further down.
    std::unordered_set<std::string> taken;
    for (const LayerSpec &layer : network.layers) {
        if (!layer.name.empty())
            taken.insert(layer.name);
    }
    for (std::size_t i = 0; i < network.layers.size(); ++i) {
        LayerSpec &layer = network.layers[i];
        if (!layer.name.empty())
            continue;
        const std::string base = std::string(toString(layer.type)) + "_" + std::to_string(i);
        std::string name = base;
        for (int suffix = 2; taken.count(name) != 0; ++suffix)
            name = base + "_" + std::to_string(suffix);
        taken.insert(name);
        layer.name = std::move(name);
    }
    const auto indices = layerInputIndices(network);
    for (std::size_t i = 0; i < network.layers.size(); ++i) {
        LayerSpec &layer = network.layers[i];
        if (!layer.inputs.empty())
            continue;
        const int j = indices[i].front();
        layer.inputs.push_back(j == kNetworkInput ? std::string(kNetworkInputName)
                                                  : network.layers[std::size_t(j)].name);
    }
}

std::vector<Shape> inferShapes(const NetworkDescription &network)
{
    return inferShapes(network, layerInputIndices(network));
}

std::vector<Shape> inferShapes(const NetworkDescription &network, const std::vector<std::vector<int>> &inputs)
{
    const Shape &in0 = network.input;
    for (int dimension : {in0.channels, in0.height, in0.width}) {
        if (dimension < 1 || dimension > kMaxDimension)
            throw NetworkError("/input", "every input dimension must be between 1 and " +
                                             std::to_string(kMaxDimension) + ", got " + toString(in0));
    }
    if (network.inputBits < 1 || network.inputBits > 32)
        throw NetworkError("/input/bits", "bits must be between 1 and 32, got " + std::to_string(network.inputBits));

    std::vector<Shape> shapes(network.layers.size());
    for (std::size_t i = 0; i < network.layers.size(); ++i) {
        const LayerSpec &l = network.layers[i];
        const auto inputShape = [&](std::size_t k) -> const Shape & {
            const int j = inputs[i][k];
            return j == kNetworkInput ? network.input : shapes[std::size_t(j)];
        };
        const Shape &in = inputShape(0);
        checkRange(network, i, "activation_bits", l.activationBits, 1, 32);
        if (isLinear(l.type))
            checkRange(network, i, "weight_bits", l.weightBits, 1, 32);

        Shape out = in;
        switch (l.type) {
        case LayerType::Conv2d:
            checkRange(network, i, "out_channels", l.outChannels, 1, kMaxDimension);
            out = windowShape(network, i, in, l.outChannels);
            break;
        case LayerType::DepthwiseConv2d: {
            checkRange(network, i, "depth_multiplier", l.depthMultiplier, 1, kMaxDimension);
            const std::int64_t channels = std::int64_t(in.channels) * l.depthMultiplier;
            if (channels > kMaxDimension)
                failLayer(network, i, "depth_multiplier",
                          "output channels " + std::to_string(channels) + " exceed " + std::to_string(kMaxDimension));
            out = windowShape(network, i, in, int(channels));
            break;
        }
        case LayerType::AvgPool2d:
        case LayerType::MaxPool2d:
            out = windowShape(network, i, in, in.channels);
            break;
        case LayerType::Dense:
            checkRange(network, i, "units", l.outChannels, 1, kMaxDimension);
            if (!in.isFlat())
                failLayer(network, i, {},
                          "dense needs a flat input (Nx1x1), got " + toString(in) +
                              "; add a \"flatten\" or \"global_avg_pool\" layer before it");
            out = Shape{l.outChannels, 1, 1};
            break;
        case LayerType::LowRank:
        case LayerType::Kronecker:
            out = factorizedShape(network, i, in);
            break;
        case LayerType::GlobalAvgPool:
            out = Shape{in.channels, 1, 1};
            break;
        case LayerType::Flatten:
            if (in.elements() > INT_MAX)
                failLayer(network, i, {}, "flattened size " + std::to_string(in.elements()) + " is too large");
            out = Shape{int(in.elements()), 1, 1};
            break;
        case LayerType::Add:
            for (std::size_t k = 1; k < inputs[i].size(); ++k) {
                if (!(inputShape(k) == in))
                    failLayer(network, i, {},
                              "add needs inputs of identical shape, got " + toString(in) + " (" +
                                  quotedInput(l.inputs.at(0)) + ") and " + toString(inputShape(k)) + " (" +
                                  quotedInput(l.inputs.at(k)) + ")");
            }
            break;
        case LayerType::BatchNorm:
            if (inputs[i][0] != kNetworkInput && network.layers[std::size_t(inputs[i][0])].type == LayerType::Kronecker)
                failLayer(network, i, {},
                          "batch_norm cannot follow a kronecker layer: its scale does not factor; fuse it away or "
                          "use low_rank");
            break;
        case LayerType::Relu:
        case LayerType::Relu6:
        case LayerType::Softmax:
            break;
        }
        shapes[i] = out;
    }
    return shapes;
}

} // namespace psc
