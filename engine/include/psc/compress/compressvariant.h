// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "psc/compress/compressionconfig.h"
#include "psc/quant/trainedmodel.h"

#include <string>
#include <vector>

namespace psc {

/**
 * The layers `variant` changes in `network`: its `layers` if given, else every weighted layer, except that
 * channel pruning takes channelPrunableLayers() and factorisation the dense and 1x1 conv2d layers but the output
 * layer (the last weighted one, whose outputs are the classes).
 * Throws InputError prefixed with the variant's origin ("c.json:7:19: /variants/2/layers/0: ...") for a name
 * that is not in the network (with the closest weighted layer name, if any, and the list of them), a layer
 * without weights, or one the variant cannot change (channel pruning: conv2d and dense only, never the output
 * layer; factorisation: not the output layer). Pure; any thread.
 */
std::vector<std::string> variantLayers(const NetworkDescription &network, const CompressionVariant &variant);

/**
 * The starting point of a compressed child: the parent's trained deployable model with the variant applied.
 * Bit-widths and unstructured / DBB / N:M sparsity are set on the layers (fine-tuning imposes the sparsity);
 * channel pruning removes channels physically (pruneChannels(), the layers then carry ChannelStructured with
 * the fraction removed); factorisation replaces layers by their factors. The network is renamed
 * "<parent name>-<variant name>". Throws InputError as variantLayers(), or naming the variant's origin for
 * anything else the parent's network does not allow. Pure; any thread.
 */
TrainedModel applyCompressionVariant(const TrainedModel &parent, const CompressionVariant &variant);

} // namespace psc
