// SPDX-License-Identifier: GPL-3.0-or-later
#include "psc/net/networkparser.h"

#include "net/networkjson.h"
#include "psc/core/inputfile.h"
#include "psc/net/shapeinference.h"

#include <utility>
#include <vector>

namespace psc {

namespace {

using Json = nlohmann::json;

const std::initializer_list<std::string_view> kTypeNames = {
    "conv2d",  "depthwise_conv2d", "dense", "avg_pool2d", "max_pool2d", "global_avg_pool", "add",
    "flatten", "batch_norm",       "relu",  "relu6",      "softmax",    "low_rank",        "kronecker"};

const std::initializer_list<std::string_view> kActivationNames = {"none", "relu", "relu6", "softmax"};

/** The keys a layer of `type` accepts; anything else is reported, which catches typos like "kernal". */
std::vector<std::string_view> allowedKeys(LayerType type)
{
    std::vector<std::string_view> keys = {"type", "name", "inputs"};
    const auto add = [&keys](std::initializer_list<std::string_view> more) { keys.insert(keys.end(), more); };
    switch (type) {
    case LayerType::Conv2d:
        add({"out_channels", "kernel", "stride", "padding", "bias", "activation", "weight_bits", "sparsity"});
        break;
    case LayerType::DepthwiseConv2d:
        add({"kernel", "stride", "padding", "depth_multiplier", "bias", "activation", "weight_bits", "sparsity"});
        break;
    case LayerType::Dense:
        add({"units", "bias", "activation", "weight_bits", "sparsity"});
        break;
    case LayerType::LowRank:
        add({"out_channels", "rank", "bias", "activation", "weight_bits"});
        break;
    case LayerType::Kronecker:
        add({"out_channels", "factors", "bias", "activation", "weight_bits"});
        break;
    case LayerType::AvgPool2d:
    case LayerType::MaxPool2d:
        add({"kernel", "stride", "padding"});
        break;
    case LayerType::Add:
        add({"activation"});
        break;
    case LayerType::GlobalAvgPool:
    case LayerType::Flatten:
    case LayerType::BatchNorm:
    case LayerType::Relu:
    case LayerType::Relu6:
    case LayerType::Softmax:
        break;
    }
    keys.push_back("activation_bits");
    return keys;
}

std::string joined(std::initializer_list<std::string_view> words)
{
    std::string out;
    for (std::string_view w : words)
        out += (out.empty() ? "" : ", ") + std::string(w);
    return out;
}

/** A kernel or stride: an integer for both axes, or [height, width]. */
std::pair<int, int> readPair(const JsonSource &src, const Json &value, const std::string &pointer)
{
    if (value.is_array()) {
        if (value.size() != 2)
            src.fail(pointer, "expected an integer or [height, width], got an array of " +
                                  std::to_string(value.size()) + " elements");
        return {src.toInt(value[0], JsonSource::child(pointer, 0), 1, kMaxDimension),
                src.toInt(value[1], JsonSource::child(pointer, 1), 1, kMaxDimension)};
    }
    if (!value.is_number_integer())
        src.fail(pointer, "expected an integer or [height, width], got " + JsonSource::describe(value));
    const int both = src.toInt(value, pointer, 1, kMaxDimension);
    return {both, both};
}

Padding readPadding(const JsonSource &src, const Json &value, const std::string &pointer)
{
    if (value.is_string()) {
        if (value == "same")
            return Padding{PaddingMode::Same, 0};
        if (value == "valid")
            return Padding{PaddingMode::Valid, 0};
    } else if (value.is_number_integer()) {
        return Padding{PaddingMode::Explicit, src.toInt(value, pointer, 0, kMaxDimension)};
    }
    src.fail(pointer, "expected \"same\", \"valid\" or a non-negative integer, got " + JsonSource::describe(value));
}

/** Kronecker "factors": [[o1, i1], [o2, i2]], the shapes of A and B. */
std::pair<FactorShape, FactorShape> readFactors(const JsonSource &src, const Json &value, const std::string &pointer)
{
    const auto shape = [&](std::size_t k) {
        const std::string p = JsonSource::child(pointer, k);
        const Json &item = value[k];
        if (!item.is_array() || item.size() != 2)
            src.fail(p, "expected a factor shape [out, in], got " + JsonSource::describe(item));
        return FactorShape{src.toInt(item[0], JsonSource::child(p, 0), 1, kMaxDimension),
                           src.toInt(item[1], JsonSource::child(p, 1), 1, kMaxDimension)};
    };
    if (!value.is_array())
        src.fail(pointer, "expected the two factor shapes [[o1, i1], [o2, i2]], got " + JsonSource::describe(value));
    if (value.size() != 2)
        src.fail(pointer, "expected the two factor shapes [[o1, i1], [o2, i2]], got an array of " +
                              std::to_string(value.size()) + (value.size() == 1 ? " element" : " elements"));
    return {shape(0), shape(1)};
}

const std::initializer_list<std::string_view> kPatternNames = {"none", "unstructured", "channel", "dbb", "n:m"};

/**
 * "sparsity": {"pattern": "unstructured" | "channel", "fraction": f} | {"pattern": "dbb", "block_size": BZ,
 * "max_nonzeros": NNZ} | {"pattern": "n:m", "n": N, "m": M} | {"pattern": "none"}.
 */
SparsitySpec readSparsity(const JsonSource &src, const Json &obj, const std::string &pointer)
{
    src.requireObject(obj, pointer);
    SparsitySpec s;
    s.pattern = SparsityPattern(src.requireChoice(obj, pointer, "pattern", kPatternNames));
    switch (s.pattern) {
    case SparsityPattern::None:
        src.checkKeys(obj, pointer, {"pattern"});
        break;
    case SparsityPattern::Unstructured:
    case SparsityPattern::ChannelStructured:
        src.checkKeys(obj, pointer, {"pattern", "fraction"});
        s.fraction = src.requireDouble(obj, pointer, "fraction", 0.0, 1.0);
        if (s.fraction >= 1.0)
            src.fail(JsonSource::child(pointer, "fraction"), "expected a fraction of zero weights below 1, got 1");
        break;
    case SparsityPattern::Dbb:
        src.checkKeys(obj, pointer, {"pattern", "block_size", "max_nonzeros"});
        s.blockSize = src.requireInt(obj, pointer, "block_size", 2, 256);
        s.maxNonZeros = src.requireInt(obj, pointer, "max_nonzeros", 1, s.blockSize);
        s.fraction = 1.0 - double(s.maxNonZeros) / s.blockSize;
        break;
    case SparsityPattern::NM:
        src.checkKeys(obj, pointer, {"pattern", "n", "m"});
        s.m = src.requireInt(obj, pointer, "m", 2, 256);
        s.n = src.requireInt(obj, pointer, "n", 1, s.m);
        s.fraction = 1.0 - double(s.n) / s.m;
        break;
    }
    return s;
}

LayerSpec readLayer(const JsonSource &src, const Json &obj, const std::string &pointer)
{
    src.requireObject(obj, pointer);
    LayerSpec layer;
    const std::string typePointer = JsonSource::child(pointer, "type");
    const std::string typeName = src.toString(src.require(obj, pointer, "type"), typePointer);
    const auto type = layerTypeFromString(typeName);
    if (!type) {
        src.fail(typePointer, "unknown layer type " + quotedInput(typeName) +
                                  JsonSource::didYouMean(typeName, kTypeNames) +
                                  " (allowed types: " + joined(kTypeNames) + ")");
    }
    layer.type = *type;
    if (isFactorized(layer.type) && obj.contains("sparsity"))
        src.fail(JsonSource::child(pointer, "sparsity"),
                 "a " + typeName +
                     " layer cannot be sparse: its factors are dense (prune a dense or conv2d layer "
                     "instead)");
    src.checkKeys(obj, pointer, allowedKeys(layer.type));

    layer.name = src.getString(obj, pointer, "name", {}, false);
    if (const auto it = obj.find("inputs"); it != obj.end()) {
        const std::string inputsPointer = JsonSource::child(pointer, "inputs");
        src.requireArray(*it, inputsPointer);
        if (it->empty())
            src.fail(inputsPointer, "expected at least one layer name (or leave \"inputs\" out for the previous "
                                    "layer)");
        for (std::size_t k = 0; k < it->size(); ++k)
            layer.inputs.push_back(src.toString((*it)[k], JsonSource::child(inputsPointer, k), false));
    }

    const bool window = hasWindow(layer.type);
    const bool pool = layer.type == LayerType::AvgPool2d || layer.type == LayerType::MaxPool2d;
    if (window) {
        std::tie(layer.kernelH, layer.kernelW) =
            readPair(src, src.require(obj, pointer, "kernel"), JsonSource::child(pointer, "kernel"));
        // Pools default to non-overlapping windows, as in TensorFlow and PyTorch.
        std::tie(layer.strideH, layer.strideW) = pool ? std::pair(layer.kernelH, layer.kernelW) : std::pair(1, 1);
        if (const auto it = obj.find("stride"); it != obj.end())
            std::tie(layer.strideH, layer.strideW) = readPair(src, *it, JsonSource::child(pointer, "stride"));
        if (const auto it = obj.find("padding"); it != obj.end())
            layer.padding = readPadding(src, *it, JsonSource::child(pointer, "padding"));
    }
    if (layer.type == LayerType::Conv2d)
        layer.outChannels = src.requireInt(obj, pointer, "out_channels", 1, kMaxDimension);
    if (layer.type == LayerType::Dense)
        layer.outChannels = src.requireInt(obj, pointer, "units", 1, kMaxDimension);
    if (isFactorized(layer.type))
        layer.outChannels = src.requireInt(obj, pointer, "out_channels", 1, kMaxDimension);
    if (layer.type == LayerType::LowRank)
        layer.rank = src.requireInt(obj, pointer, "rank", 1, kMaxDimension);
    if (layer.type == LayerType::Kronecker)
        std::tie(layer.kronA, layer.kronB) =
            readFactors(src, src.require(obj, pointer, "factors"), JsonSource::child(pointer, "factors"));
    if (layer.type == LayerType::DepthwiseConv2d)
        layer.depthMultiplier = src.getInt(obj, pointer, "depth_multiplier", 1, 1, kMaxDimension);
    if (isLinear(layer.type)) {
        layer.bias = src.getBool(obj, pointer, "bias", true);
        layer.weightBits = src.getInt(obj, pointer, "weight_bits", 8, 1, 32);
        if (const auto it = obj.find("sparsity"); it != obj.end())
            layer.sparsity = readSparsity(src, *it, JsonSource::child(pointer, "sparsity"));
        if (layer.weightBits == 1 && layer.sparsity.isSparse())
            src.fail(JsonSource::child(pointer, "sparsity"),
                     "binary (1-bit) weights cannot be sparse: every weight is +1 or -1 times its channel scale");
        if (layer.weightBits == 1 && isFactorized(layer.type))
            src.fail(JsonSource::child(pointer, "weight_bits"),
                     "a " + typeName + " layer cannot have binary (1-bit) weights; use 2 to 32 bits");
    }
    if (obj.contains("activation"))
        layer.activation = Activation(src.getChoice(obj, pointer, "activation", 0, kActivationNames));
    layer.activationBits = src.getInt(obj, pointer, "activation_bits", 8, 1, 32);
    return layer;
}

} // namespace

NetworkDescription parseNetworkValue(const JsonSource &src, const Json &value, const std::string &pointer)
{
    src.requireObject(value, pointer);
    src.checkKeys(value, pointer, {"name", "input", "layers"});
    NetworkDescription network;
    network.name = src.getString(value, pointer, "name", {});

    const std::string inputPointer = JsonSource::child(pointer, "input");
    const Json &input = src.require(value, pointer, "input");
    src.requireObject(input, inputPointer);
    src.checkKeys(input, inputPointer, {"channels", "height", "width", "bits"});
    network.input.channels = src.requireInt(input, inputPointer, "channels", 1, kMaxDimension);
    network.input.height = src.requireInt(input, inputPointer, "height", 1, kMaxDimension);
    network.input.width = src.requireInt(input, inputPointer, "width", 1, kMaxDimension);
    network.inputBits = src.getInt(input, inputPointer, "bits", 8, 1, 32);

    const std::string layersPointer = JsonSource::child(pointer, "layers");
    const Json &layers = src.require(value, pointer, "layers");
    src.requireArray(layers, layersPointer);
    if (layers.empty())
        src.fail(layersPointer, "expected at least one layer");
    network.layers.reserve(layers.size());
    for (std::size_t i = 0; i < layers.size(); ++i)
        network.layers.push_back(readLayer(src, layers[i], JsonSource::child(layersPointer, i)));

    // Graph and shape errors come back as pointers relative to the network; locate them in the file.
    try {
        resolveNetwork(network);
        inferShapes(network);
    } catch (const NetworkError &e) {
        src.fail(pointer + e.pointer(), e.detail());
    }
    return network;
}

NetworkDescription parseNetwork(const std::filesystem::path &file)
{
    const JsonSource source = JsonSource::fromFile(file);
    return parseNetworkValue(source, source.root(), {});
}

NetworkDescription parseNetworkJson(const std::string &text, const std::string &displayName)
{
    const JsonSource source = JsonSource::fromText(text, displayName);
    return parseNetworkValue(source, source.root(), {});
}

} // namespace psc
