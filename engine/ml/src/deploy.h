// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Internal to psc_ml: pruning masks, batch-norm folding and export of a trained GraphNet to the engine's
// TrainedModel (docs/quantization.md).

#include "graphnet.h"

#include "psc/quant/trainedmodel.h"

#include <map>
#include <string>

namespace psc::ml {

/**
 * Sets the keep-mask of every sparse layer of `network` for the given fraction of its target sparsity
 * schedule (`progress` of the pruning phase in [0, 1]; 1 = final) and zeroes the pruned weights.
 */
void updateMasks(GraphNet &net, const NetworkDescription &network, double progress);

/**
 * Builds the deployable network `lowered` (lowerForDeployment(network), `renamed` its map) from a trained
 * `net` of `network`: weights and biases copied, each removed batch norm folded into its producer
 * (W' = W gamma / sigma, b' = (b - mu) gamma / sigma + beta), masks carried over.
 */
GraphNet foldBatchNorms(GraphNet &net, const NetworkDescription &network, const NetworkDescription &lowered,
                        const std::map<std::string, std::string> &renamed);

/** The trained deployable model: parameters (OIHW / [out, in]) and the ranges the net recorded. */
TrainedModel exportTrainedModel(GraphNet &lowered, const NetworkDescription &network, double inputMean,
                                double inputStd);

} // namespace psc::ml
