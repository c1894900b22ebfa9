// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "psc/quant/trainedmodel.h"

#include <map>
#include <string>
#include <vector>

namespace psc {

/**
 * Channel-structured pruning of a trained deployable model, done physically: for every named conv2d or
 * dense layer, round(fraction * out_channels) output channels with the smallest L1 norm (keptChannels())
 * are removed from the layer's weights and bias, and the network is rewritten downstream so that every
 * reader of the pruned tensor shrinks with it: the matching input channels of conv2d and dense readers
 * (through flatten, pooling and activations), whole channels of depthwise_conv2d readers (which then prune
 * their own outputs, and so on), and all operands of an `add` together (a residual group is pruned as one:
 * the channel ranking sums the L1 norms of every producer in the group). The output layer (the network's
 * last weighted layer producing the classes) can not be pruned. At least one channel always survives.
 *
 * The result's pruned layers carry `sparsity = {ChannelStructured, fraction}` with the fraction actually
 * removed, so the inspector and the study can show it (a layer that already had unstructured, DBB or N:M
 * sparsity keeps that pattern for its remaining weights); their shape is already the smaller one, and
 * analyzeNetwork() of the result counts the smaller MACs and parameters. Activation ranges are kept.
 *
 * Throws InputError naming the layer for a name that is not in the network, a layer that is not conv2d or
 * dense, the output layer, or a fraction outside [0, 1). Pure; any thread.
 */
TrainedModel pruneChannels(const TrainedModel &model, const std::map<std::string, double> &fractions);

/**
 * The conv2d and dense layers of a deployable network that pruneChannels() accepts, in network order: not
 * those producing the network's output, not those added to the network input, not those read by a layer
 * whose input cannot shrink (batch_norm, factorised layers). Throws NetworkError for an invalid network.
 */
std::vector<std::string> channelPrunableLayers(const NetworkDescription &network);

} // namespace psc
