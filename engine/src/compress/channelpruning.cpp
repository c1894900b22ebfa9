// SPDX-License-Identifier: GPL-3.0-or-later
#include "psc/compress/channelpruning.h"

#include "psc/core/error.h"
#include "psc/net/shapeinference.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <set>

namespace psc {

namespace {

// Every tensor's channels (or, after flatten, its features) belong to one "channel space": the output
// channels of the conv2d/dense that created them. Element i of a tensor maps to channel i / block of its
// space; block grows through depthwise multipliers (m outputs per channel) and flatten (H*W features per
// channel). An add unites the spaces of its operands, so a residual group is pruned as one.
struct Layout
{
    int space = -1;
    std::int64_t block = 1;
};

struct Space
{
    int parent = -1;              ///< union-find
    int producer = kNetworkInput; ///< the conv2d/dense layer (or the network input) that created it
    int channels = 0;
};

int findRoot(std::vector<Space> &spaces, int s)
{
    while (spaces[std::size_t(s)].parent != s)
        s = spaces[std::size_t(s)].parent = spaces[std::size_t(spaces[std::size_t(s)].parent)].parent;
    return s;
}

/** How errors name a layer: callers (e.g. a compression config) prefix their own JSON pointer. */
std::string layerText(const std::string &name)
{
    return "channel pruning: layer \"" + name + "\": ";
}

/** Keeps rows `keep(i)` of dimension 0 of a row-major tensor. */
template <typename Keep> void keepRows(FloatTensor &t, Keep keep)
{
    if (t.shape.empty())
        return;
    const std::int64_t rows = t.shape[0];
    const std::int64_t rowSize = rows ? t.elements() / rows : 0;
    std::vector<float> out;
    int kept = 0;
    for (std::int64_t r = 0; r < rows; ++r) {
        if (!keep(r))
            continue;
        out.insert(out.end(), t.values.begin() + r * rowSize, t.values.begin() + (r + 1) * rowSize);
        ++kept;
    }
    t.values = std::move(out);
    t.shape[0] = kept;
}

/** Keeps indices `keep(i)` of dimension 1 of a row-major tensor (the input channels of OIHW or [out, in]). */
template <typename Keep> void keepColumns(FloatTensor &t, Keep keep)
{
    const std::int64_t rows = t.shape[0];
    const std::int64_t cols = t.shape[1];
    const std::int64_t inner = cols ? t.elements() / (rows * cols) : 0;
    std::vector<float> out;
    int kept = 0;
    for (std::int64_t c = 0; c < cols; ++c)
        kept += keep(c) ? 1 : 0;
    out.reserve(std::size_t(rows * kept * inner));
    for (std::int64_t r = 0; r < rows; ++r)
        for (std::int64_t c = 0; c < cols; ++c)
            if (keep(c))
                out.insert(out.end(), t.values.begin() + (r * cols + c) * inner,
                           t.values.begin() + (r * cols + c + 1) * inner);
    t.values = std::move(out);
    t.shape[1] = kept;
}

struct Analysis
{
    NetworkDescription network;
    std::vector<std::vector<int>> inputs;
    std::vector<Shape> shapes;
    std::vector<Space> spaces;
    std::vector<Layout> layouts; ///< per layer output
    Layout inputLayout;
    std::string problem; ///< why a space cannot be pruned, by space root (filled lazily below)
};

/** Layers whose outputs are new channels (not a rearrangement of their input's). */
bool createsSpace(LayerType t)
{
    return t == LayerType::Conv2d || t == LayerType::Dense || isFactorized(t);
}

/** Producers whose output channels pruneChannels() can remove. */
bool prunable(LayerType t)
{
    return t == LayerType::Conv2d || t == LayerType::Dense;
}

Analysis analyse(const NetworkDescription &network)
{
    Analysis a;
    a.network = network;
    resolveNetwork(a.network);
    a.inputs = layerInputIndices(a.network);
    a.shapes = inferShapes(a.network, a.inputs);
    a.spaces.push_back({0, kNetworkInput, a.network.input.channels});
    a.inputLayout = {0, 1};
    a.layouts.resize(a.network.layers.size());
    auto layoutOf = [&a](int index) { return index == kNetworkInput ? a.inputLayout : a.layouts[std::size_t(index)]; };
    auto shapeOf = [&a](int index) { return index == kNetworkInput ? a.network.input : a.shapes[std::size_t(index)]; };
    for (std::size_t i = 0; i < a.network.layers.size(); ++i) {
        const LayerSpec &l = a.network.layers[i];
        const auto &in = a.inputs[i];
        if (createsSpace(l.type)) {
            const int id = int(a.spaces.size());
            a.spaces.push_back({id, int(i), a.shapes[i].channels});
            a.layouts[i] = {id, 1};
            continue;
        }
        Layout from = layoutOf(in.front());
        switch (l.type) {
        case LayerType::DepthwiseConv2d:
            from.block *= l.depthMultiplier;
            break;
        case LayerType::Flatten: {
            const Shape s = shapeOf(in.front());
            from.block *= std::int64_t(s.height) * s.width;
            break;
        }
        case LayerType::Add:
            for (std::size_t k = 1; k < in.size(); ++k) {
                const int x = findRoot(a.spaces, from.space);
                const int y = findRoot(a.spaces, layoutOf(in[k]).space);
                if (x != y)
                    a.spaces[std::size_t(y)].parent = x;
            }
            break;
        default:
            break;
        }
        a.layouts[i] = from;
    }
    return a;
}

} // namespace

TrainedModel pruneChannels(const TrainedModel &model, const std::map<std::string, double> &fractions)
{
    Analysis a = analyse(model.network);
    const auto &layers = a.network.layers;
    auto indexOf = [&layers](const std::string &name) {
        for (std::size_t i = 0; i < layers.size(); ++i)
            if (layers[i].name == name)
                return int(i);
        return -1;
    };

    // 1. The requested fraction of every group (a union of spaces), the largest one named for any member.
    const int outputRoot = findRoot(a.spaces, a.layouts.back().space);
    std::map<int, double> groupFraction;
    for (const auto &[name, fraction] : fractions) {
        const int i = indexOf(name);
        if (i < 0)
            throw InputError("channel pruning: network \"" + a.network.name + "\" has no layer \"" + name + "\"");
        const LayerSpec &l = layers[std::size_t(i)];
        const std::string where = layerText(name);
        if (!prunable(l.type))
            throw InputError(where + "applies to conv2d and dense layers, not " + std::string(toString(l.type)));
        if (!(fraction >= 0.0 && fraction < 1.0))
            throw InputError(where + "fraction must be in [0, 1), got " + std::to_string(fraction));
        const int root = findRoot(a.spaces, a.layouts[std::size_t(i)].space);
        if (root == outputRoot)
            throw InputError(where + "its output channels are the network's outputs and cannot be pruned");
        double &f = groupFraction[root];
        f = std::max(f, fraction);
    }

    // 2. Members of each group: its producers must all be prunable (conv2d/dense with parameters).
    std::map<int, std::vector<int>> producers;
    for (std::size_t s = 0; s < a.spaces.size(); ++s)
        producers[findRoot(a.spaces, int(s))].push_back(a.spaces[s].producer);
    TrainedModel out = model;
    out.network = a.network;
    std::map<int, std::vector<char>> keep; // by group root: per space channel
    for (const auto &[root, fraction] : groupFraction) {
        const auto &members = producers[root];
        const int channels = a.spaces[std::size_t(root)].channels;
        std::vector<double> l1(std::size_t(channels), 0.0);
        for (int p : members) {
            if (p == kNetworkInput)
                throw InputError("channel pruning: the channels of layer \"" +
                                 layers[std::size_t(members.back())].name +
                                 "\" are added to the network input (a residual connection) and cannot be pruned");
            const LayerSpec &l = layers[std::size_t(p)];
            if (!prunable(l.type))
                throw InputError("channel pruning: the channels of layer \"" +
                                 layers[std::size_t(members.back())].name + "\" are added to those of " +
                                 std::string(toString(l.type)) + " layer \"" + l.name + "\", which cannot be pruned");
            const auto param = model.parameters.find(l.name);
            if (param == model.parameters.end() || param->second.weight.shape.empty())
                throw InputError("channel pruning: layer \"" + l.name + "\" has no trained weights");
            const FloatTensor &w = param->second.weight;
            if (w.shape[0] != channels)
                throw InputError("channel pruning: layer \"" + l.name + "\" has " + std::to_string(w.shape[0]) +
                                 " output channels in its weights, " + std::to_string(channels) + " in the network");
            const std::int64_t row = w.elements() / channels;
            for (int c = 0; c < channels; ++c)
                for (std::int64_t k = 0; k < row; ++k) {
                    const float v = w.values[std::size_t(c * row + k)];
                    if (std::isnan(v))
                        throw InputError("channel pruning: layer \"" + l.name + "\" has a NaN weight");
                    l1[std::size_t(c)] += std::fabs(double(v));
                }
        }
        std::vector<int> order(static_cast<std::size_t>(channels));
        std::iota(order.begin(), order.end(), 0);
        std::stable_sort(order.begin(), order.end(),
                         [&l1](int x, int y) { return l1[std::size_t(x)] < l1[std::size_t(y)]; });
        const int remove = std::min(channels - 1, int(std::llround(fraction * channels)));
        std::vector<char> k(std::size_t(channels), 1);
        for (int r = 0; r < remove; ++r)
            k[std::size_t(order[std::size_t(r)])] = 0;
        keep[root] = std::move(k);
    }

    // 3. Rewrite: producers lose output rows, readers lose the matching inputs.
    auto kept = [&](Layout layout) -> const std::vector<char> * {
        const auto it = keep.find(findRoot(a.spaces, layout.space));
        return it == keep.end() ? nullptr : &it->second;
    };
    for (std::size_t i = 0; i < layers.size(); ++i) {
        LayerSpec &l = out.network.layers[i];
        const auto found = out.parameters.find(l.name);
        auto params = [&]() -> LayerParameters & {
            if (found == out.parameters.end())
                throw InputError("channel pruning: layer \"" + l.name + "\" has no trained weights");
            return found->second;
        };
        // Inputs first (uses the reader's weights as they are), then its own output channels.
        const int src = a.inputs[i].front();
        const Layout inLayout = src == kNetworkInput ? a.inputLayout : a.layouts[std::size_t(src)];
        if (const auto *mask = kept(inLayout); mask && (l.type == LayerType::Conv2d || l.type == LayerType::Dense)) {
            const auto block = inLayout.block;
            keepColumns(params().weight, [&](std::int64_t c) { return (*mask)[std::size_t(c / block)] != 0; });
        }
        if (l.type == LayerType::BatchNorm && kept(a.layouts[i]))
            throw InputError(layerText(l.name) + "needs the deployable form (batch norms folded)");
        if (hasWeights(l.type) && l.type != LayerType::Conv2d && l.type != LayerType::Dense &&
            l.type != LayerType::DepthwiseConv2d && l.type != LayerType::BatchNorm && kept(inLayout))
            throw InputError(layerText(l.name) + "cannot shrink the input of a " + std::string(toString(l.type)) +
                             " layer");
        const Layout own = a.layouts[i];
        const auto *mask = kept(own);
        if (!mask || !(prunable(l.type) || l.type == LayerType::DepthwiseConv2d))
            continue;
        auto keepRow = [&](std::int64_t r) { return (*mask)[std::size_t(r / own.block)] != 0; };
        keepRows(params().weight, keepRow);
        keepRows(params().bias, keepRow);
        if (prunable(l.type)) {
            const int before = l.outChannels;
            l.outChannels = params().weight.shape[0];
            // A layer that is already sparse keeps its pattern (one per layer) for the weights that remain; its
            // smaller shape shows the removed channels.
            const bool otherPattern =
                l.sparsity.pattern != SparsityPattern::None && l.sparsity.pattern != SparsityPattern::ChannelStructured;
            if (l.outChannels < before && !otherPattern)
                l.sparsity = SparsitySpec{SparsityPattern::ChannelStructured, double(before - l.outChannels) / before};
        }
    }
    inferShapes(out.network); // the rewritten network must be consistent
    return out;
}

std::vector<std::string> channelPrunableLayers(const NetworkDescription &network)
{
    Analysis a = analyse(network);
    const int outputRoot = findRoot(a.spaces, a.layouts.back().space);
    std::set<int> blocked{outputRoot, findRoot(a.spaces, 0)};
    // A group read by a layer whose input cannot shrink is blocked as a whole.
    for (std::size_t i = 0; i < a.network.layers.size(); ++i) {
        const LayerSpec &l = a.network.layers[i];
        const int src = a.inputs[i].front();
        const Layout in = src == kNetworkInput ? a.inputLayout : a.layouts[std::size_t(src)];
        if (l.type == LayerType::BatchNorm || isFactorized(l.type))
            blocked.insert(findRoot(a.spaces, in.space));
        if (createsSpace(l.type) && !prunable(l.type))
            blocked.insert(findRoot(a.spaces, a.layouts[i].space));
    }
    std::vector<std::string> names;
    for (std::size_t i = 0; i < a.network.layers.size(); ++i)
        if (prunable(a.network.layers[i].type) && !blocked.count(findRoot(a.spaces, a.layouts[i].space)))
            names.push_back(a.network.layers[i].name);
    return names;
}

} // namespace psc
