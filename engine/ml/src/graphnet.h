// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Internal to psc_ml: a torch module executing a NetworkDescription as a graph of layers.

#include "psc/net/network.h"

#include <torch/nn/module.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>

#include <array>
#include <cstdint>
#include <vector>

namespace psc::ml {

struct GraphNode
{
    LayerType type = LayerType::Relu;
    Activation activation = Activation::None;
    std::vector<int> inputs;      ///< indices of producing nodes; -1 is the network input
    int lastUse = 0;              ///< index of the last node reading this node's output
    std::array<int64_t, 4> pad{}; ///< explicit (left, right, top, bottom) padding when not symmetric
    bool explicitPad = false;
    int64_t kernelH = 1, kernelW = 1, strideH = 1, strideW = 1, padH = 0, padW = 0;
    torch::nn::Conv2d conv{nullptr};
    torch::nn::Linear linear{nullptr};
    torch::nn::BatchNorm2d bn2d{nullptr};
    torch::nn::BatchNorm1d bn1d{nullptr};
};

class GraphNetImpl : public torch::nn::Module
{
public:
    /** Builds the modules; parameters are initialised from `seed` (He-uniform weights, zero biases). */
    GraphNetImpl(const NetworkDescription &network, std::uint64_t seed);

    /** Runs the graph. With `logits`, a trailing softmax (layer or fused) is skipped for the loss. */
    torch::Tensor forward(const torch::Tensor &input, bool logits = true);

private:
    std::vector<GraphNode> m_nodes;
    int m_trailingSoftmax = -1; ///< index of a final softmax layer, -1 if none
};
TORCH_MODULE(GraphNet);

} // namespace psc::ml
