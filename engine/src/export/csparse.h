// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "psc/compress/weightencoding.h"
#include "psc/net/network.h"
#include "psc/quant/integerinference.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace psc {

/**
 * A pruned conv2d / depthwise_conv2d / dense layer's weights in the sparse encoding the study charges for it
 * (deployedEncoding(), docs/formats/weight-encodings.md), as the C export stores them (docs/formats/export-c.md,
 * "Pruned layers"): the same bytes as encodedWeightSize() counts.
 *
 * Each output channel's weights are `rows` rows of `rowLength` elements, the reduction groups of the analysis: for a
 * layer whose weight tensor has more than one input channel, one row per kernel position (ky, kx) running along the
 * input channels (conv2d; dense as its inputs x 1 x 1); otherwise one row over the kernel window (depthwise_conv2d,
 * a one-channel conv2d). Rows are stored channel after channel, row after row.
 */
struct CSparseWeights
{
    WeightEncoding encoding = WeightEncoding::Bitmask; ///< Bitmask, Csr, Dbb or NM
    int rowLength = 0, rows = 0;
    bool windowRows = false;               ///< a row's elements are kernel positions (else input channels)
    int group = 0, groupSlots = 0;         ///< DBB: block size and value slots per block; N:M: m and n
    int positionBits = 0;                  ///< N:M: bits of a kept value's position in its group
    int bits = 8;                          ///< of each stored value
    std::vector<std::uint8_t> values;      ///< the stored values, packed at `bits` (padding slots hold 0)
    std::vector<std::uint8_t> index;       ///< presence bits (bitmask, DBB), positions (N:M), column indices (CSR)
    int indexBytes = 0;                    ///< CSR: bytes of one column index (1, 2 or 4), little-endian
    std::vector<std::uint8_t> rowPointers; ///< CSR: out + 1 offsets of rowPointerBytes each, little-endian
    int rowPointerBytes = 0;
    std::int64_t bytes() const { return std::int64_t(values.size() + index.size() + rowPointers.size()); }
};

/**
 * The layer's weights in its deployed sparse encoding; nullopt where the layer deploys dense (not pruned, channel
 * pruning, or the encoding would not be smaller). A DBB or N:M layer whose trained weights break its bound is stored
 * in the smaller of bitmask and CSR instead and `fallback` says why. `values` are the quantised weights in OIHW order
 * ([out, 1, kh, kw] for depthwise, [out, in] for dense), `in` the layer's input shape. Pure.
 */
std::optional<CSparseWeights> encodeSparseWeights(const LayerSpec &layer, const Shape &in,
                                                  const std::vector<std::int8_t> &values, int bits,
                                                  std::string *fallback);

/** Packs two's complement (or, for bits == 1, sign) fields LSB first, as the C kernels read them. */
std::vector<std::uint8_t> packWeightFields(const std::vector<std::int8_t> &values, int bits);

} // namespace psc
