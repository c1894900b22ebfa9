// SPDX-License-Identifier: GPL-3.0-or-later
#include "psc/compress/compressvariant.h"

#include "psc/compress/channelpruning.h"
#include "psc/compress/sparsity.h"
#include "psc/core/suggestion.h"

#include <algorithm>
#include <cmath>
#include <map>

#if __has_include("psc/compress/factorization.h")
#include "psc/compress/factorization.h"
#define PSC_HAVE_FACTORIZATION 1
#else
#define PSC_HAVE_FACTORIZATION 0
#endif

namespace psc {

namespace {

bool weighted(const LayerSpec &l)
{
    return hasWeights(l.type) && l.type != LayerType::BatchNorm;
}

const LayerSpec *outputLayer(const NetworkDescription &network)
{
    for (auto it = network.layers.rbegin(); it != network.layers.rend(); ++it)
        if (weighted(*it))
            return &*it;
    return nullptr;
}

/** Layers factorisation applies to by default: dense and 1x1 conv2d (a matrix per pixel). */
bool factorisable(const LayerSpec &l)
{
    return l.type == LayerType::Dense || (l.type == LayerType::Conv2d && l.kernelH == 1 && l.kernelW == 1);
}

bool prunesChannels(const CompressionVariant &v)
{
    return v.sparsity && v.sparsity->pattern == SparsityPattern::ChannelStructured;
}

bool factorises(const CompressionVariant &v)
{
    return v.factorization.kind != FactorizationSpec::Kind::None;
}

std::string joined(const std::vector<std::string> &names)
{
    std::string out;
    for (const std::string &n : names)
        out += (out.empty() ? "" : ", ") + n;
    return out;
}

std::string prefixed(const std::string &origin, const std::string &what)
{
    return origin.empty() ? what : origin + ": " + what;
}

/** The divisor of n closest to sqrt(n), the smaller one on a tie. */
[[maybe_unused]] int balancedDivisor(int n)
{
    int best = 1;
    for (int d = 1; d <= n; ++d)
        if (n % d == 0 && std::abs(d - std::sqrt(double(n))) < std::abs(best - std::sqrt(double(n))))
            best = d;
    return best;
}

// ---- Factorisation -------------------------------------------------------------------------------------------
// The only code that depends on factorizeLayer() (psc/compress/factorization.h, written on branch wip-factor).
// Until that header is in the tree, a variant with "factorization" parses and is checked against the network but
// applying it fails with a clear message.
TrainedModel factorizeLayers(TrainedModel model, const std::vector<std::string> &layers, const FactorizationSpec &spec,
                             const std::string &origin)
{
#if PSC_HAVE_FACTORIZATION
    for (const std::string &name : layers) {
        const auto params = model.parameters.find(name);
        if (params == model.parameters.end())
            throw InputError(prefixed(origin, "layer \"" + name + "\" has no trained parameters"));
        const FloatTensor &w = params->second.weight;
        const int out = w.shape.empty() ? 1 : std::max(w.shape[0], 1);
        const int in = int(w.elements() / out);
        Factorization f{};
        if (spec.kind == FactorizationSpec::Kind::LowRank) {
            f.kind = Factorization::Kind::LowRank;
            f.rank = spec.rank;
            if (f.rank == 0) // a fraction of the full rank of the weight as a matrix [out, in * kh * kw]
                f.rank = std::max(1, int(std::llround(spec.rankFraction * double(std::min(out, in)))));
        } else {
            f.kind = Factorization::Kind::Kronecker;
            f.aOut = spec.aOut;
            f.aIn = spec.aIn;
            if (f.aOut == 0) { // "kronecker" alone: A [divisor of out, divisor of in], each closest to the root
                f.aOut = balancedDivisor(out);
                f.aIn = balancedDivisor(in);
            }
        }
        try {
            model = factorizeLayer(model, name, f);
        } catch (const InputError &e) {
            throw InputError(prefixed(origin, e.what()));
        }
    }
    return model;
#else
    (void)model;
    (void)layers;
    (void)spec;
    throw InputError(prefixed(origin, "factorization is not available in this build of Paretoscope yet"));
#endif
}
// ---- end of factorisation --------------------------------------------------------------------------------------

} // namespace

std::vector<std::string> variantLayers(const NetworkDescription &network, const CompressionVariant &variant)
{
    const LayerSpec *output = outputLayer(network);
    const bool structural = prunesChannels(variant) || factorises(variant);
    std::vector<std::string> names;
    const std::vector<std::string> prunable =
        prunesChannels(variant) ? channelPrunableLayers(network) : std::vector<std::string>{};
    if (variant.layers.empty()) {
        if (prunesChannels(variant))
            names = prunable;
        else
            for (const LayerSpec &l : network.layers)
                if (weighted(l) && !(structural && &l == output) && (!factorises(variant) || factorisable(l)) &&
                    !(variant.sparsity && isFactorized(l.type)))
                    names.push_back(l.name);
        if (names.empty())
            throw InputError(prefixed(variant.origin, "variant \"" + variant.name + "\": network \"" + network.name +
                                                          "\" has no layer it can change"));
        return names;
    }
    std::string weightedNames;
    for (const LayerSpec &l : network.layers)
        if (weighted(l))
            weightedNames += (weightedNames.empty() ? "" : ", ") + l.name;
    for (std::size_t i = 0; i < variant.layers.size(); ++i) {
        const std::string &name = variant.layers[i];
        const std::string origin = i < variant.layerOrigins.size() ? variant.layerOrigins[i] : variant.origin;
        const auto it = std::find_if(network.layers.begin(), network.layers.end(),
                                     [&](const LayerSpec &l) { return l.name == name; });
        if (it == network.layers.end()) {
            std::string hint;
            std::size_t best = 3; // suggest only names within two edits
            for (const LayerSpec &l : network.layers)
                if (weighted(l) && editDistance(name, l.name) < best) {
                    best = editDistance(name, l.name);
                    hint = "; did you mean \"" + l.name + "\"?";
                }
            throw InputError(prefixed(origin, "unknown layer \"" + name + "\" in network \"" + network.name + "\"" +
                                                  hint + " (weighted layers: " + weightedNames + ")"));
        }
        if (!weighted(*it))
            throw InputError(prefixed(origin, "layer \"" + name + "\" is a " + std::string(toString(it->type)) +
                                                  " and has no weights to compress (weighted layers: " + weightedNames +
                                                  ")"));
        if (structural && &*it == output)
            throw InputError(prefixed(origin, "layer \"" + name + "\" is the output layer: its outputs are the " +
                                                  "classes, so it cannot be " +
                                                  (factorises(variant) ? "factorised" : "channel-pruned")));
        if (variant.sparsity && !prunesChannels(variant) && isFactorized(it->type))
            throw InputError(prefixed(origin, "layer \"" + name + "\" is a " + std::string(toString(it->type)) +
                                                  " layer, whose factors stay dense: sparsity applies to conv2d, "
                                                  "depthwise_conv2d and dense layers"));
        if (prunesChannels(variant) && it->type != LayerType::Conv2d && it->type != LayerType::Dense)
            throw InputError(prefixed(origin, "layer \"" + name + "\" is a " + std::string(toString(it->type)) +
                                                  ": channel pruning applies to conv2d and dense layers (a "
                                                  "depthwise layer follows the channels of its input)"));
        if (prunesChannels(variant) && std::find(prunable.begin(), prunable.end(), name) == prunable.end())
            throw InputError(prefixed(origin, "layer \"" + name +
                                                  "\" cannot be channel-pruned: its output feeds "
                                                  "the network output, is added to the network input, or is read by "
                                                  "a layer whose input cannot shrink (prunable layers: " +
                                                  (prunable.empty() ? std::string("none") : joined(prunable)) + ")"));
        names.push_back(name);
    }
    return names;
}

TrainedModel applyCompressionVariant(const TrainedModel &parent, const CompressionVariant &variant)
{
    const std::vector<std::string> names = variantLayers(parent.network, variant);
    TrainedModel child = parent;
    if (factorises(variant))
        child = factorizeLayers(std::move(child), names, variant.factorization, variant.origin);
    if (prunesChannels(variant)) {
        std::map<std::string, double> fractions;
        for (const std::string &n : names)
            fractions[n] = variant.sparsity->fraction;
        try {
            child = pruneChannels(child, fractions);
        } catch (const InputError &e) {
            throw InputError(prefixed(variant.origin, e.what()));
        }
    }
    for (LayerSpec &l : child.network.layers) {
        if (std::find(names.begin(), names.end(), l.name) == names.end())
            continue;
        if (variant.weightBits)
            l.weightBits = *variant.weightBits;
        if (variant.activationBits)
            l.activationBits = *variant.activationBits;
        if (variant.sparsity && !prunesChannels(variant)) {
            try {
                validateSparsitySpec(*variant.sparsity);
            } catch (const InputError &e) {
                throw InputError(prefixed(variant.origin, e.what()));
            }
            l.sparsity = *variant.sparsity;
        }
    }
    child.network.name = parent.network.name + "-" + variant.name;
    return child;
}

} // namespace psc
