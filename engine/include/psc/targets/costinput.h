// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "psc/net/analysis.h"
#include "psc/net/network.h"

#include <psc/plugin/hardwaretarget.h>

#include <filesystem>
#include <string>
#include <vector>

namespace psc {

/**
 * The network as cost-model plugins see it, built from the engine's analysis (shapes, MACs, weights,
 * biases, folded batch norms, live bytes per step, greedy arena). `network` must be the description the
 * analysis was made from. Pure; any thread.
 */
plugin::NetworkInfo toNetworkInfo(const NetworkDescription &network, const ModelAnalysis &analysis);

/**
 * One LayerDeployment per layer with the layer's own weight and activation bits and sparsity (a
 * channel-structured layer deploys dense: its removed channels are no longer in its shape).
 */
std::vector<plugin::LayerDeployment> defaultDeployment(const NetworkDescription &network);

/**
 * Reads a deployment file (docs/formats/deployment.md): "default" settings for every layer and "layers"
 * overriding them by layer name. Unknown layer names, bits outside 1..32, sparsity outside [0, 1) and
 * inconsistent DBB/N:M settings are InputError with file, line:column and pointer.
 */
std::vector<plugin::LayerDeployment> readDeployment(const std::filesystem::path &file, const NetworkDescription &network);

/** Human-readable names for the plugin enums. */
std::string_view toString(plugin::Bound bound);
std::string_view toString(plugin::SparsityPattern pattern);

} // namespace psc
