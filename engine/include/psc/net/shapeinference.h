// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "psc/net/network.h"

#include <vector>

namespace psc {

/** Index used by layerInputIndices() for the network input. */
inline constexpr int kNetworkInput = -1;

/** Largest channel count, unit count, spatial size, kernel, stride or padding a description may use. */
inline constexpr int kMaxDimension = 1 << 20;

/**
 * Puts a description into the form the parser returns: every unnamed layer gets "<type>_<index>" (with a
 * "_2", "_3"... suffix if a layer elsewhere already uses that name) and every empty `inputs` becomes the
 * previous layer's name ("input" for the first layer). Checks everything layerInputIndices() checks.
 * Idempotent. Throws NetworkError.
 */
void resolveNetwork(NetworkDescription &network);

/**
 * For each layer, the indices of the layers it reads (kNetworkInput for the network input); an empty
 * `inputs` means the previous layer. Throws NetworkError for: no layers; duplicate, empty or reserved
 * ("input") names; inputs naming no earlier layer (unknown names and forward references); add with fewer
 * than two inputs or another type with more than one; an output that no later layer reads (only the last
 * layer's output may be unread).
 */
std::vector<std::vector<int>> layerInputIndices(const NetworkDescription &network);

/**
 * The output shape of every layer, index-aligned with `network.layers`. Validates field ranges and shapes
 * and throws NetworkError naming the layer, e.g. `/layers/3: layer "conv3": kernel 5x5 larger than its
 * padded input 3x3`. `inputs` must come from layerInputIndices(network).
 */
std::vector<Shape> inferShapes(const NetworkDescription &network, const std::vector<std::vector<int>> &inputs);
/** Convenience overload that computes the input indices first. */
std::vector<Shape> inferShapes(const NetworkDescription &network);

} // namespace psc
