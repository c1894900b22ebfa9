// SPDX-License-Identifier: GPL-3.0-or-later
#include "net/networkjson.h"
#include "psc/net/networkparser.h"
#include "psc/net/shapeinference.h"

#include <QCryptographicHash>

namespace psc {

namespace {

using Ordered = nlohmann::ordered_json;

/** Bumped whenever the canonical form changes; it is part of the hashed text, so old hashes stop matching. */
constexpr const char *kArchitectureFormat = "psc-architecture/1";

Ordered pairValue(int h, int w)
{
    return h == w ? Ordered(h) : Ordered::array({h, w});
}

Ordered paddingValue(const Padding &padding)
{
    switch (padding.mode) {
    case PaddingMode::Same:
        return "same";
    case PaddingMode::Valid:
        return "valid";
    case PaddingMode::Explicit:
        return padding.amount;
    }
    return "valid";
}

Ordered sparsityValue(const SparsitySpec &s)
{
    Ordered out = Ordered::object();
    out["pattern"] = std::string(toString(s.pattern));
    switch (s.pattern) {
    case SparsityPattern::None:
        break;
    case SparsityPattern::Unstructured:
    case SparsityPattern::ChannelStructured:
        out["fraction"] = s.fraction;
        break;
    case SparsityPattern::Dbb:
        out["block_size"] = s.blockSize;
        out["max_nonzeros"] = s.maxNonZeros;
        break;
    case SparsityPattern::NM:
        out["n"] = s.n;
        out["m"] = s.m;
        break;
    }
    return out;
}

/** The fields of one layer in canonical order; `inputs` is written by the caller (names or indices). */
void writeLayerFields(Ordered &out, const LayerSpec &layer)
{
    const bool weighted = isLinear(layer.type);
    if (layer.type == LayerType::Conv2d || isFactorized(layer.type))
        out["out_channels"] = layer.outChannels;
    if (layer.type == LayerType::LowRank)
        out["rank"] = layer.rank;
    if (layer.type == LayerType::Kronecker)
        out["factors"] = Ordered::array(
            {Ordered::array({layer.kronA.out, layer.kronA.in}), Ordered::array({layer.kronB.out, layer.kronB.in})});
    if (layer.type == LayerType::Dense)
        out["units"] = layer.outChannels;
    if (hasWindow(layer.type)) {
        out["kernel"] = pairValue(layer.kernelH, layer.kernelW);
        out["stride"] = pairValue(layer.strideH, layer.strideW);
        out["padding"] = paddingValue(layer.padding);
    }
    if (layer.type == LayerType::DepthwiseConv2d)
        out["depth_multiplier"] = layer.depthMultiplier;
    if (weighted)
        out["bias"] = layer.bias;
    if (weighted || layer.type == LayerType::Add)
        out["activation"] = std::string(toString(layer.activation));
    if (weighted)
        out["weight_bits"] = layer.weightBits;
    out["activation_bits"] = layer.activationBits;
    if (weighted && layer.sparsity.pattern != SparsityPattern::None)
        out["sparsity"] = sparsityValue(layer.sparsity);
}

Ordered inputValue(const NetworkDescription &network)
{
    Ordered input = Ordered::object();
    input["channels"] = network.input.channels;
    input["height"] = network.input.height;
    input["width"] = network.input.width;
    input["bits"] = network.inputBits;
    return input;
}

NetworkDescription resolved(const NetworkDescription &network)
{
    NetworkDescription copy = network;
    resolveNetwork(copy);
    return copy;
}

/** Like dump() but with ", " and ": " separators, for the one-line layers of the pretty form. */
std::string inlineDump(const Ordered &value)
{
    constexpr auto replace = Ordered::error_handler_t::replace;
    std::string out;
    if (value.is_object()) {
        for (const auto &[key, item] : value.items())
            out += (out.empty() ? "{" : ", ") + Ordered(key).dump(-1, ' ', false, replace) + ": " + inlineDump(item);
        return out.empty() ? "{}" : out + "}";
    }
    if (value.is_array()) {
        for (const auto &item : value)
            out += (out.empty() ? "[" : ", ") + inlineDump(item);
        return out.empty() ? "[]" : out + "]";
    }
    return value.dump(-1, ' ', false, replace);
}

} // namespace

nlohmann::ordered_json networkToValue(const NetworkDescription &network)
{
    Ordered root = Ordered::object();
    root["name"] = network.name;
    root["input"] = inputValue(network);
    Ordered layers = Ordered::array();
    for (const LayerSpec &layer : network.layers) {
        Ordered out = Ordered::object();
        out["type"] = std::string(toString(layer.type));
        out["name"] = layer.name;
        out["inputs"] = layer.inputs;
        writeLayerFields(out, layer);
        layers.push_back(std::move(out));
    }
    root["layers"] = std::move(layers);
    return root;
}

std::string networkToJson(const NetworkDescription &network, bool pretty)
{
    const Ordered root = networkToValue(resolved(network));
    constexpr auto replace = Ordered::error_handler_t::replace;
    if (!pretty)
        return root.dump(-1, ' ', false, replace);
    // One layer per line reads and diffs far better than nlohmann's one-value-per-line indentation.
    std::string out = "{\n";
    out += "  \"name\": " + inlineDump(root["name"]) + ",\n";
    out += "  \"input\": " + inlineDump(root["input"]) + ",\n";
    out += "  \"layers\": [\n";
    const Ordered &layers = root["layers"];
    for (std::size_t i = 0; i < layers.size(); ++i)
        out += "    " + inlineDump(layers[i]) + (i + 1 < layers.size() ? ",\n" : "\n");
    out += "  ]\n}\n";
    return out;
}

std::string canonicalArchitectureJson(const NetworkDescription &network)
{
    const NetworkDescription net = resolved(network);
    const auto indices = layerInputIndices(net);
    Ordered root = Ordered::object();
    root["format"] = kArchitectureFormat;
    root["input"] = inputValue(net);
    Ordered layers = Ordered::array();
    for (std::size_t i = 0; i < net.layers.size(); ++i) {
        Ordered out = Ordered::object();
        out["type"] = std::string(toString(net.layers[i].type));
        out["inputs"] = indices[i];
        writeLayerFields(out, net.layers[i]);
        layers.push_back(std::move(out));
    }
    root["layers"] = std::move(layers);
    return root.dump();
}

std::string architectureHash(const NetworkDescription &network)
{
    const std::string canonical = canonicalArchitectureJson(network);
    return QCryptographicHash::hash(QByteArrayView(canonical.data(), qsizetype(canonical.size())),
                                    QCryptographicHash::Sha256)
        .toHex()
        .toStdString();
}

} // namespace psc
