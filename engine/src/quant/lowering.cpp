// SPDX-License-Identifier: GPL-3.0-or-later
#include "psc/quant/trainedmodel.h"

#include "psc/net/shapeinference.h"

#include <algorithm>
#include <map>

namespace psc {

NetworkDescription lowerForDeployment(const NetworkDescription &network, std::map<std::string, std::string> *renamed)
{
    // Copy only when names or inputs must be filled in (parsed and lowered descriptions are already resolved): this
    // runs for every candidate a search costs.
    NetworkDescription resolvedCopy;
    const bool resolved = std::all_of(network.layers.begin(), network.layers.end(),
                                      [](const LayerSpec &l) { return !l.name.empty() && !l.inputs.empty(); });
    if (!resolved) {
        resolvedCopy = network;
        resolveNetwork(resolvedCopy);
    }
    const NetworkDescription &in = resolved ? network : resolvedCopy;

    // Layers by index (this runs for every candidate a search costs: no string-keyed maps).
    const std::vector<std::vector<int>> inputs = layerInputIndices(in);
    const std::size_t n = in.layers.size();
    std::vector<int> readers(n, 0); // readers of each layer's output
    for (const std::vector<int> &sources : inputs)
        for (const int j : sources)
            if (j != kNetworkInput)
                ++readers[std::size_t(j)];
    std::vector<int> replacedBy(n, -1); // a removed layer -> the layer whose output now holds its value
    std::vector<int> outIndex(n, -1);   // a kept layer -> its index in `out.layers`
    auto resolve = [&replacedBy](int j) {
        while (j != kNetworkInput && replacedBy[std::size_t(j)] >= 0)
            j = replacedBy[std::size_t(j)];
        return j;
    };

    NetworkDescription out;
    out.name = in.name;
    out.input = in.input;
    out.inputBits = in.inputBits;
    out.layers.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
        const LayerSpec &original = in.layers[i];
        const bool last = i + 1 == n;
        if (inputs[i].size() == 1 && inputs[i].front() != kNetworkInput) {
            const int source = inputs[i].front();
            const int producerIndex = resolve(source);
            const int at = outIndex[std::size_t(producerIndex)];
            LayerSpec *producer = at < 0 ? nullptr : &out.layers[std::size_t(at)];
            // The producer's value must have no other reader, and it must not be the network output.
            const bool onlyReader = readers[std::size_t(source)] == 1 &&
                                    (source == producerIndex || readers[std::size_t(producerIndex)] == 1);
            if (producer && onlyReader && isLinear(producer->type)) {
                // A batch_norm after a kronecker layer is refused by validation: a per-channel scale does not factor.
                const bool foldable = original.type == LayerType::BatchNorm &&
                                      producer->activation == Activation::None &&
                                      producer->type != LayerType::Kronecker;
                const bool fusable = (original.type == LayerType::Relu || original.type == LayerType::Relu6) &&
                                     producer->activation == Activation::None;
                if (foldable || fusable) {
                    if (foldable)
                        producer->bias = true; // the folded shift beta - mean * gamma / sigma
                    if (fusable)
                        producer->activation = original.type == LayerType::Relu ? Activation::Relu : Activation::Relu6;
                    // The producer's output tensor now holds this layer's value at this layer's precision.
                    producer->activationBits = original.activationBits;
                    replacedBy[i] = producerIndex;
                    if (last) {
                        // Keep the producer last: it now computes the network output.
                        LayerSpec moved = std::move(*producer);
                        out.layers.erase(out.layers.begin() + at);
                        for (int &index : outIndex)
                            if (index > at)
                                --index;
                        outIndex[std::size_t(producerIndex)] = int(out.layers.size());
                        out.layers.push_back(std::move(moved));
                    }
                    continue;
                }
            }
        }
        LayerSpec l = original;
        for (std::size_t k = 0; k < l.inputs.size(); ++k) {
            const int j = resolve(inputs[i][k]);
            l.inputs[k] = j == kNetworkInput ? std::string(kNetworkInputName) : in.layers[std::size_t(j)].name;
        }
        outIndex[i] = int(out.layers.size());
        out.layers.push_back(std::move(l));
    }
    if (renamed)
        for (std::size_t i = 0; i < n; ++i)
            if (replacedBy[i] >= 0)
                (*renamed)[in.layers[i].name] = in.layers[std::size_t(resolve(int(i)))].name;
    inferShapes(out); // validates the result: lowering must never produce an inconsistent graph
    return out;
}

} // namespace psc
