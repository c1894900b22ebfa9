// SPDX-License-Identifier: GPL-3.0-or-later
#include "psc/quant/trainedmodel.h"

#include "psc/net/shapeinference.h"

#include <map>
#include <set>

namespace psc {

NetworkDescription lowerForDeployment(const NetworkDescription &network, std::map<std::string, std::string> *renamed)
{
    NetworkDescription in = network;
    resolveNetwork(in);

    // Readers of each layer's output.
    std::map<std::string, int> readers;
    for (const LayerSpec &l : in.layers)
        for (const std::string &src : l.inputs)
            ++readers[src];

    std::map<std::string, std::string> replacement; // removed layer -> the layer now producing its value
    std::map<std::string, std::size_t> kept;        // kept layer name -> index in `out.layers`
    NetworkDescription out;
    out.name = in.name;
    out.input = in.input;
    out.inputBits = in.inputBits;
    auto resolve = [&replacement](std::string name) {
        for (auto it = replacement.find(name); it != replacement.end(); it = replacement.find(name))
            name = it->second;
        return name;
    };

    for (std::size_t i = 0; i < in.layers.size(); ++i) {
        LayerSpec l = in.layers[i];
        for (std::string &src : l.inputs)
            src = resolve(src);
        const bool last = i + 1 == in.layers.size();
        if (l.inputs.size() == 1 && l.inputs.front() != kNetworkInputName) {
            const std::string &producerName = l.inputs.front();
            const auto at = kept.find(producerName);
            LayerSpec *producer = at == kept.end() ? nullptr : &out.layers[at->second];
            // The producer's value must have no other reader, and it must not be the network output.
            const std::string original = in.layers[i].inputs.front();
            const bool onlyReader = readers[original] == 1 && (original == producerName || readers[producerName] == 1);
            if (producer && onlyReader && isLinear(producer->type)) {
                // A batch_norm after a kronecker layer is refused by validation: a per-channel scale does not factor.
                const bool foldable = l.type == LayerType::BatchNorm && producer->activation == Activation::None &&
                                      producer->type != LayerType::Kronecker;
                const bool fusable = (l.type == LayerType::Relu || l.type == LayerType::Relu6) &&
                                     producer->activation == Activation::None;
                if (foldable || fusable) {
                    if (foldable)
                        producer->bias = true; // the folded shift beta - mean * gamma / sigma
                    if (fusable)
                        producer->activation = l.type == LayerType::Relu ? Activation::Relu : Activation::Relu6;
                    // The producer's output tensor now holds this layer's value at this layer's precision.
                    producer->activationBits = l.activationBits;
                    replacement[l.name] = producerName;
                    if (last) {
                        // Keep the producer last: it now computes the network output.
                        LayerSpec moved = *producer;
                        out.layers.erase(out.layers.begin() + std::ptrdiff_t(at->second));
                        kept.erase(at);
                        for (auto &[name, index] : kept)
                            if (index > at->second)
                                --index;
                        kept[producerName] = out.layers.size();
                        out.layers.push_back(std::move(moved));
                    }
                    continue;
                }
            }
        }
        kept[l.name] = out.layers.size();
        out.layers.push_back(std::move(l));
    }
    if (renamed)
        for (const auto &[name, target] : replacement)
            (*renamed)[name] = resolve(target);
    inferShapes(out); // validates the result: lowering must never produce an inconsistent graph
    return out;
}

} // namespace psc
