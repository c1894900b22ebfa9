// SPDX-License-Identifier: GPL-3.0-or-later
#include "psc/targets/costinput.h"

#include "core/jsonsource.h"
#include "psc/core/error.h"
#include "psc/net/deployedmemory.h"
#include "psc/quant/integerinference.h"
#include "psc/quant/trainedmodel.h"

#include <map>

namespace psc {
namespace {

plugin::OpKind opKind(LayerType t)
{
    switch (t) {
    case LayerType::Conv2d:
        return plugin::OpKind::Conv2d;
    case LayerType::DepthwiseConv2d:
        return plugin::OpKind::DepthwiseConv2d;
    case LayerType::Dense:
        return plugin::OpKind::Dense;
    case LayerType::AvgPool2d:
        return plugin::OpKind::AvgPool2d;
    case LayerType::MaxPool2d:
        return plugin::OpKind::MaxPool2d;
    case LayerType::GlobalAvgPool:
        return plugin::OpKind::GlobalAvgPool;
    case LayerType::Add:
        return plugin::OpKind::Add;
    case LayerType::Flatten:
        return plugin::OpKind::Flatten;
    case LayerType::BatchNorm:
        return plugin::OpKind::BatchNorm;
    case LayerType::Relu:
        return plugin::OpKind::Relu;
    case LayerType::Relu6:
        return plugin::OpKind::Relu6;
    case LayerType::Softmax:
        return plugin::OpKind::Softmax;
    case LayerType::LowRank:
        return plugin::OpKind::Dense; // split into two matmuls by appendFactorized()
    case LayerType::Kronecker:
        return plugin::OpKind::Conv2d;
    }
    return plugin::OpKind::Relu;
}

plugin::FusedActivation fused(Activation a)
{
    switch (a) {
    case Activation::None:
        return plugin::FusedActivation::None;
    case Activation::Relu:
        return plugin::FusedActivation::Relu;
    case Activation::Relu6:
        return plugin::FusedActivation::Relu6;
    case Activation::Softmax:
        return plugin::FusedActivation::Softmax;
    }
    return plugin::FusedActivation::None;
}

/**
 * A low_rank or kronecker layer as the two matrix products it runs, which every cost model can price: a 1x1
 * conv2d (dense on a flat input) per stage. The first stage is "<name>:v" (V x) or "<name>:b" (X B^T) and writes
 * the int8 intermediate; the second keeps the layer's name, bias and activation. `l` is the layer as one
 * LayerInfo (shapes, bytes, live bytes of its step); `freed` are the bytes of inputs last read at this step,
 * no longer live in the second stage.
 */
void appendFactorized(plugin::NetworkInfo &info, const plugin::LayerInfo &l, const LayerSpec &spec,
                      const LayerAnalysis &la, std::int64_t freed)
{
    const std::int64_t pixels = std::int64_t(l.inH) * l.inW;
    const std::int64_t mid = la.intermediateBytes;
    plugin::LayerInfo first = l, second = l;
    first.activation = plugin::FusedActivation::None;
    first.biases = 0;
    first.outputBytes = mid;
    first.liveBytes = l.liveBytes - l.outputBytes + mid;
    second.inputBytes = mid;
    second.liveBytes = l.liveBytes - freed + mid;
    second.inputs = 1;
    if (spec.type == LayerType::LowRank) {
        const bool flat = l.inH == 1 && l.inW == 1;
        first.name = la.name + ":v";
        first.op = second.op = flat ? plugin::OpKind::Dense : plugin::OpKind::Conv2d;
        first.outC = spec.rank;
        first.weights = std::int64_t(spec.rank) * l.inC;
        second.inC = spec.rank;
        second.weights = std::int64_t(l.outC) * spec.rank;
    } else {
        // X is [i1, i2] per pixel: stage one is a 1x1 conv (i2 -> o2) over i1 rows, stage two one (i1 -> o1)
        // over o2 rows of the transposed intermediate.
        const FactorShape &a = spec.kronA, &b = spec.kronB;
        first.name = la.name + ":b";
        first.op = second.op = plugin::OpKind::Conv2d;
        first.inC = b.in;
        first.inH = first.outH = a.in * l.inH;
        first.outC = b.out;
        first.weights = std::int64_t(b.out) * b.in;
        second.inC = a.in;
        second.inH = second.outH = b.out * l.inH;
        second.outC = a.out;
        second.weights = std::int64_t(a.out) * a.in;
    }
    first.kernelH = first.kernelW = first.strideH = first.strideW = 1;
    second.kernelH = second.kernelW = second.strideH = second.strideW = 1;
    first.macs = pixels * (spec.type == LayerType::LowRank ? first.weights : first.weights * spec.kronA.in);
    second.macs = la.macs - first.macs;
    info.layers.push_back(std::move(first));
    info.layers.push_back(std::move(second));
}

/** One deployment per network layer, before a factorised layer is split in two. */
std::vector<plugin::LayerDeployment> layerDeployments(const NetworkDescription &network)
{
    std::vector<plugin::LayerDeployment> d;
    for (const LayerSpec &l : network.layers) {
        plugin::LayerDeployment ld;
        ld.weightBits = l.weightBits;
        ld.activationBits = l.activationBits;
        const SparsitySpec &sp = l.sparsity;
        if (sp.isSparse()) {
            ld.sparsity = sp.fraction;
            ld.blockSize = sp.blockSize > 0 ? sp.blockSize : ld.blockSize;
            ld.maxNonZeros = sp.maxNonZeros > 0 ? sp.maxNonZeros : ld.maxNonZeros;
            ld.n = sp.n;
            ld.m = sp.m;
            switch (sp.pattern) {
            case SparsityPattern::None:
                break;
            case SparsityPattern::Unstructured:
                ld.pattern = plugin::SparsityPattern::Unstructured;
                break;
            case SparsityPattern::ChannelStructured:
                // The removed channels are already gone from the layer's shape: it deploys dense.
                ld.pattern = plugin::SparsityPattern::None;
                ld.sparsity = 0.0;
                break;
            case SparsityPattern::Dbb:
                ld.pattern = plugin::SparsityPattern::Dbb;
                break;
            case SparsityPattern::NM:
                ld.pattern = plugin::SparsityPattern::NM;
                break;
            }
        }
        d.push_back(ld);
    }
    return d;
}

/** Aligns per-layer deployments with toNetworkInfo(): a factorised layer's first stage writes the int8 intermediate. */
std::vector<plugin::LayerDeployment> pluginDeployments(const NetworkDescription &network,
                                                       const std::vector<plugin::LayerDeployment> &perLayer)
{
    std::vector<plugin::LayerDeployment> d;
    d.reserve(perLayer.size());
    for (std::size_t i = 0; i < perLayer.size(); ++i) {
        plugin::LayerDeployment ld = perLayer[i];
        if (isFactorized(network.layers[i].type)) {
            ld.sparsity = 0.0; // the factors are dense
            ld.pattern = plugin::SparsityPattern::None;
            plugin::LayerDeployment first = ld;
            first.activationBits = kIntermediateBits;
            d.push_back(first);
        }
        d.push_back(ld);
    }
    return d;
}

} // namespace

plugin::NetworkInfo toNetworkInfo(const NetworkDescription &network, const ModelAnalysis &a)
{
    plugin::NetworkInfo info;
    info.name = a.networkName;
    info.inC = a.inputShape.channels;
    info.inH = a.inputShape.height;
    info.inW = a.inputShape.width;
    info.inputBytes = a.inputBytes;
    info.arenaBytes = a.arenaBytes;
    info.peakLiveBytes = a.peakLiveBytes;
    // What deployment removes costs nothing: folded batch norms (the analysis marks them) and ReLUs fused into
    // their producer, which takes them as its activation (as the exporters and Vela do).
    std::map<std::string, std::string> fusedInto;
    info.deployedArenaBytes = deployedArenaBytes(lowerForDeployment(network, &fusedInto));
    for (std::size_t i = 0; i < a.layers.size(); ++i) {
        const LayerAnalysis &la = a.layers[i];
        const LayerSpec &spec = network.layers[i];
        plugin::LayerInfo l;
        l.name = la.name;
        l.op = opKind(la.type);
        l.activation = fused(spec.activation);
        const Shape in = la.inputShapes.empty() ? a.inputShape : la.inputShapes.front();
        l.inC = in.channels;
        l.inH = in.height;
        l.inW = in.width;
        l.outC = la.outputShape.channels;
        l.outH = la.outputShape.height;
        l.outW = la.outputShape.width;
        l.kernelH = spec.kernelH;
        l.kernelW = spec.kernelW;
        l.strideH = spec.strideH;
        l.strideW = spec.strideW;
        l.inputs = int(std::max<std::size_t>(1, la.inputShapes.size()));
        l.macs = la.macs;
        switch (la.type) {
        case LayerType::Conv2d:
        case LayerType::DepthwiseConv2d:
        case LayerType::Dense:
        case LayerType::LowRank:
        case LayerType::Kronecker:
            l.biases = spec.bias ? la.outputShape.channels : 0;
            l.weights = la.params - l.biases;
            break;
        case LayerType::BatchNorm:
            l.weights = la.foldedIntoProducer ? 0 : la.params; // scale and shift per channel
            break;
        default:
            break;
        }
        l.foldedIntoProducer = la.foldedIntoProducer;
        if ((la.type == LayerType::Relu || la.type == LayerType::Relu6) && !fusedInto.empty()) {
            if (const auto it = fusedInto.find(la.name); it != fusedInto.end()) {
                for (auto p = info.layers.rbegin(); p != info.layers.rend(); ++p)
                    if (p->name == it->second) {
                        p->activation =
                            la.type == LayerType::Relu ? plugin::FusedActivation::Relu : plugin::FusedActivation::Relu6;
                        l.foldedIntoProducer = true;
                        break;
                    }
            }
        }
        for (const Shape &s : la.inputShapes)
            l.inputBytes += (s.elements() * la.activationBits + 7) / 8;
        l.outputBytes = la.activationBytes;
        // Live while layer i runs: the network input if still needed, and every output produced at or
        // before i that is read at or after i.
        if (a.inputLastUse >= int(i))
            l.liveBytes += a.inputBytes;
        for (std::size_t j = 0; j <= i; ++j)
            if (a.layers[j].lastUse >= int(i))
                l.liveBytes += a.layers[j].activationBytes;
        if (isFactorized(la.type)) {
            std::int64_t freed = 0; // inputs read for the last time by the first stage
            for (std::size_t k = 0; k < la.inputs.size(); ++k) {
                if (la.inputs[k] == kNetworkInputName) {
                    freed += a.inputLastUse == int(i) ? a.inputBytes : 0;
                    continue;
                }
                for (std::size_t j = 0; j < i; ++j)
                    if (a.layers[j].name == la.inputs[k] && a.layers[j].lastUse == int(i))
                        freed += a.layers[j].activationBytes;
            }
            appendFactorized(info, l, spec, la, freed);
            continue;
        }
        info.layers.push_back(std::move(l));
    }
    return info;
}

WeightValues weightValues(const IntegerModel &model)
{
    WeightValues values;
    auto histogram = [](const std::vector<std::int8_t> &weights) {
        auto h = std::make_shared<plugin::WeightHistogram>();
        for (const std::int8_t w : weights)
            ++h->counts[std::size_t(int(w) + 128)];
        return h;
    };
    for (const LayerQuantization &q : model.layers()) {
        if (q.weights.empty())
            continue;
        values[q.name] = histogram(q.weights);
        if (!q.factorWeights.empty())
            values[q.name + (q.type == LayerType::Kronecker ? ":b" : ":v")] = histogram(q.factorWeights);
    }
    return values;
}

void attachWeightValues(std::vector<plugin::LayerDeployment> &deployment, const plugin::NetworkInfo &info,
                        const WeightValues &values)
{
    for (std::size_t i = 0; i < info.layers.size() && i < deployment.size(); ++i)
        if (const auto it = values.find(info.layers[i].name); it != values.end() && info.layers[i].weights > 0)
            deployment[i].weightValues = it->second;
}

std::vector<plugin::LayerDeployment> defaultDeployment(const NetworkDescription &network)
{
    return pluginDeployments(network, layerDeployments(network));
}

namespace {

void applySettings(const JsonSource &src, const nlohmann::json &obj, const std::string &pointer,
                   plugin::LayerDeployment &d)
{
    src.requireObject(obj, pointer);
    src.checkKeys(obj, pointer,
                  {"weight_bits", "activation_bits", "sparsity", "pattern", "block_size", "max_nonzeros", "n", "m"});
    d.weightBits = src.getInt(obj, pointer, "weight_bits", d.weightBits, 1, 32);
    d.activationBits = src.getInt(obj, pointer, "activation_bits", d.activationBits, 1, 32);
    d.sparsity = src.getDouble(obj, pointer, "sparsity", d.sparsity, 0.0, 0.999999);
    const int pattern = src.getChoice(obj, pointer, "pattern", int(d.pattern),
                                      {"none", "unstructured", "channel_structured", "dbb", "nm"});
    d.pattern = plugin::SparsityPattern(pattern);
    d.blockSize = src.getInt(obj, pointer, "block_size", d.blockSize, 1, 1024);
    d.maxNonZeros = src.getInt(obj, pointer, "max_nonzeros", d.maxNonZeros, 1, 1024);
    d.n = src.getInt(obj, pointer, "n", d.n, 0, 1024);
    d.m = src.getInt(obj, pointer, "m", d.m, 0, 1024);
    if (d.pattern == plugin::SparsityPattern::Dbb && d.maxNonZeros > d.blockSize)
        src.fail(pointer, "max_nonzeros " + std::to_string(d.maxNonZeros) + " exceeds block_size " +
                              std::to_string(d.blockSize));
    if (d.pattern == plugin::SparsityPattern::NM && (d.n < 1 || d.m < 1 || d.n > d.m))
        src.fail(pointer,
                 "pattern \"nm\" needs 1 <= n <= m, got n = " + std::to_string(d.n) + ", m = " + std::to_string(d.m));
    if (d.pattern == plugin::SparsityPattern::None && d.sparsity > 0)
        src.fail(pointer, "sparsity " + std::to_string(d.sparsity) +
                              " needs a pattern (unstructured, "
                              "channel_structured, dbb or nm)");
}

} // namespace

std::vector<plugin::LayerDeployment> readDeployment(const std::filesystem::path &file,
                                                    const NetworkDescription &network)
{
    const JsonSource src = JsonSource::fromFile(file);
    const nlohmann::json &root = src.root();
    src.requireObject(root, "");
    src.checkKeys(root, "", {"default", "layers"});
    std::vector<plugin::LayerDeployment> d = layerDeployments(network);
    if (root.contains("default"))
        for (auto &ld : d)
            applySettings(src, root["default"], "/default", ld);
    if (root.contains("layers")) {
        const nlohmann::json &layers = root["layers"];
        src.requireObject(layers, "/layers");
        for (auto it = layers.begin(); it != layers.end(); ++it) {
            const std::string pointer = JsonSource::child("/layers", it.key());
            std::size_t index = network.layers.size();
            for (std::size_t i = 0; i < network.layers.size(); ++i)
                if (network.layers[i].name == it.key())
                    index = i;
            if (index == network.layers.size())
                src.fail(pointer, "no layer named \"" + it.key() + "\" in network \"" + network.name + "\"");
            applySettings(src, it.value(), pointer, d[index]);
        }
    }
    return pluginDeployments(network, d);
}

std::string_view toString(plugin::Bound bound)
{
    switch (bound) {
    case plugin::Bound::Compute:
        return "compute";
    case plugin::Bound::Sram:
        return "sram";
    case plugin::Bound::Flash:
        return "flash";
    case plugin::Bound::Dram:
        return "dram";
    case plugin::Bound::Host:
        return "host";
    case plugin::Bound::None:
        return "-";
    }
    return "-";
}

std::string_view toString(plugin::SparsityPattern pattern)
{
    switch (pattern) {
    case plugin::SparsityPattern::None:
        return "none";
    case plugin::SparsityPattern::Unstructured:
        return "unstructured";
    case plugin::SparsityPattern::ChannelStructured:
        return "channel_structured";
    case plugin::SparsityPattern::Dbb:
        return "dbb";
    case plugin::SparsityPattern::NM:
        return "nm";
    }
    return "none";
}

} // namespace psc
