// SPDX-License-Identifier: GPL-3.0-or-later
#include "psc/net/deployedmemory.h"

#include "psc/net/shapeinference.h"

#include <algorithm>

namespace psc {

DeployedTensors deployedTensors(const NetworkDescription &net)
{
    const std::vector<std::vector<int>> inputs = layerInputIndices(net);
    const std::vector<Shape> shapes = inferShapes(net, inputs);
    const std::size_t n = net.layers.size();
    DeployedTensors d;
    d.tensorOf.assign(n, DeployedTensors::kCallerInput);
    d.scratchOf.assign(n, -1);
    d.stepOf.assign(n, -1);
    auto tensorOfInput = [&](std::size_t i, std::size_t k) {
        const int j = inputs[i][k];
        return j == kNetworkInput ? DeployedTensors::kCallerInput : d.tensorOf[std::size_t(j)];
    };
    for (std::size_t i = 0; i < n; ++i) {
        const LayerSpec &l = net.layers[i];
        if (l.type == LayerType::Flatten || l.type == LayerType::Softmax) {
            d.tensorOf[i] = tensorOfInput(i, 0);
            continue;
        }
        const int step = ++d.steps;
        d.stepOf[i] = step;
        for (std::size_t k = 0; k < inputs[i].size(); ++k)
            if (const int t = tensorOfInput(i, k); t != DeployedTensors::kCallerInput)
                d.tensors[std::size_t(t)].lastUse = std::max(d.tensors[std::size_t(t)].lastUse, step);
        d.tensorOf[i] = int(d.tensors.size());
        d.tensors.push_back({shapes[i].elements(), step, step});
        if (l.type == LayerType::LowRank || l.type == LayerType::Kronecker) {
            // One output pixel at a time: low_rank keeps its rank values, kronecker T = X B^T ([i1, o2]).
            const std::int64_t mid =
                l.type == LayerType::LowRank ? std::int64_t(l.rank) : std::int64_t(l.kronA.in) * l.kronB.out;
            d.scratchOf[i] = int(d.tensors.size());
            d.tensors.push_back({mid, step, step});
        }
    }
    if (n > 0)
        if (const int output = d.tensorOf.back(); output != DeployedTensors::kCallerInput)
            d.tensors[std::size_t(output)].lastUse = d.steps + 1;
    return d;
}

std::int64_t deployedArenaBytes(const NetworkDescription &lowered)
{
    MemoryPlanner planner;
    for (const TensorLifetime &t : deployedTensors(lowered).tensors)
        planner.addTensor(t);
    return planner.plan().arenaBytes;
}

} // namespace psc
