// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <psc/plugin/hardwaretarget.h>

#include <cstdint>

/**
 * @file
 * The weight-compression proxy of the Ethos-U model: how many bytes a layer's weights occupy after the
 * Vela encoder (palette, zero-run and Golomb-Rice coding, docs/targets/npu.md section "Weights"). Pure
 * functions of their arguments; callable from any thread.
 */
namespace psc::targets::npu {

/** How a layer's weight stream was coded by the proxy. */
struct WeightStream
{
    std::int64_t bytes = 0;  ///< payload + stream headers + palette tables, rounded up to whole bytes
    double bitsPerValue = 0; ///< bits spent on each coded (non-zero, if zero-runs are used) weight
    bool palette = false;    ///< palette mode (<= 5-bit weights, at most 32 distinct values)
    bool zeroRuns = false;   ///< the zero mask is run-length coded instead of coding each zero
};

/** Binary entropy H2(s) in bits; 0 at s = 0 and s = 1. */
double binaryEntropy(double s);

/**
 * The fraction of zero weights the encoder can exploit for a deployment: `sparsity`, or the bound implied
 * by a DBB (1 - NNZ/BZ) or N:M (1 - N/M) pattern if larger. Channel-structured pruning is already in the
 * network's shapes and contributes nothing here.
 */
double effectiveSparsity(const plugin::LayerDeployment &deployment);

/**
 * Compressed size of `weights` weights deployed as `deployment`, coded as `streams` independent streams
 * (one per OFM depth block and core, each with its own header and palette). `weights` <= 0 gives 0.
 * Monotone by construction: never larger for higher sparsity, never smaller for more bits.
 */
WeightStream compressWeights(std::int64_t weights, const plugin::LayerDeployment &deployment, int streams);

} // namespace psc::targets::npu
