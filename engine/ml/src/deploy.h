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
 * Builds the deployable network `lowered` (lowerForDeployment() of the trained network, `renamed` its map)
 * from the trained `net`: weights and biases copied, each removed batch norm folded into its producer
 * (W' = W gamma / sigma, b' = (b - mu) gamma / sigma + beta), masks carried over.
 */
GraphNet foldBatchNorms(GraphNet &net, const NetworkDescription &lowered,
                        const std::map<std::string, std::string> &renamed);

/** The trained deployable model: parameters (OIHW / [out, in]) and the ranges the net recorded. */
TrainedModel exportTrainedModel(GraphNet &lowered, const NetworkDescription &network, double inputMean,
                                double inputStd);

// --- Fine-tuning a trained deployable model (Trainer::fineTune) ---

/**
 * A GraphNet of `model.network` (deployable: no batch norms) holding `model`'s parameters, with the recorded range
 * of every boundary tensor `model` has. Throws InputError naming the layer for a batch norm, a weighted layer the
 * net cannot load, or parameters missing or shaped unlike the layer.
 */
GraphNet loadTrainedModel(const TrainedModel &model);

/** The fraction of exact zeros in each sparse layer's weight (not channel-pruned ones, whose zeros are gone). */
std::map<std::string, double> zeroFractions(const TrainedModel &model);

/**
 * updateMasks() for fine-tuning: unstructured sparsity follows the cubic schedule from the layer's `initial`
 * fraction (absent = 0) instead of 0, so weights the start model already pruned stay pruned; DBB and N:M bounds
 * hold from progress 0 on (the start model needs no dense warm-up).
 */
void updateMasksFrom(GraphNet &net, const NetworkDescription &network, double progress,
                     const std::map<std::string, double> &initial);

} // namespace psc::ml
