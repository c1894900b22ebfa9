// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "psc/net/analysis.h"
#include "psc/net/network.h"

#include <psc/plugin/hardwaretarget.h>

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace psc {

class IntegerModel;

/**
 * The network as cost-model plugins see it, built from the engine's analysis (shapes, MACs, weights,
 * biases, folded batch norms, live bytes per step, greedy arena). `network` must be the description the
 * analysis was made from. A low_rank or kronecker layer becomes two plugin layers, the two matrix products
 * it runs (docs/formats/network.md, "Cost models"): "<name>:v" / "<name>:b", then "<name>". Pure; any thread.
 */
plugin::NetworkInfo toNetworkInfo(const NetworkDescription &network, const ModelAnalysis &analysis);

/**
 * One LayerDeployment per layer of toNetworkInfo() with the layer's own weight and activation bits and
 * sparsity (a channel-structured layer deploys dense: its removed channels are no longer in its shape). The
 * first stage of a factorised layer has the intermediate's 8 activation bits.
 */
std::vector<plugin::LayerDeployment> defaultDeployment(const NetworkDescription &network);

/**
 * Reads a deployment file (docs/formats/deployment.md): "default" settings for every layer and "layers"
 * overriding them by layer name (a factorised layer's settings apply to both its stages, its activation bits
 * to the second only); the result is aligned with toNetworkInfo() like defaultDeployment(). Unknown layer names, bits
 * outside 1..32, sparsity outside [0, 1) and inconsistent DBB/N:M settings are InputError with file, line:column and
 * pointer.
 */
std::vector<plugin::LayerDeployment> readDeployment(const std::filesystem::path &file,
                                                    const NetworkDescription &network);

/** Trained weight values by plugin layer name (toNetworkInfo()'s names), shared and immutable. */
using WeightValues = std::map<std::string, std::shared_ptr<const plugin::WeightHistogram>>;

/**
 * The histogram of every weighted layer's quantised weights in `model` (the integer reference, as the exporters write
 * it), named as toNetworkInfo() names the layers: a factorised layer's first stage ("<name>:v" / "<name>:b") gets its
 * factor's values. Pure; any thread.
 */
WeightValues weightValues(const IntegerModel &model);

/** Attaches `values` to the deployments of the layers of `info` they name (LayerDeployment::weightValues). */
void attachWeightValues(std::vector<plugin::LayerDeployment> &deployment, const plugin::NetworkInfo &info,
                        const WeightValues &values);

/** Human-readable names for the plugin enums. */
std::string_view toString(plugin::Bound bound);
std::string_view toString(plugin::SparsityPattern pattern);

} // namespace psc
