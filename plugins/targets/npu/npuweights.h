// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "npuperformance.h"

#include <psc/plugin/hardwaretarget.h>

#include <array>
#include <cstdint>
#include <vector>

/**
 * @file
 * How many bytes a layer's weights take after Arm's Vela encoder (3.10, research 2.10): the weights are reordered
 * into the NPU's traversal order with zero padding, split into one stream per OFM depth slice and core, and each
 * stream is coded with an optional palette, optional zero runs and Golomb-Rice codes; 10 bytes of scale and bias
 * per output channel go beside each stream, and every stream is padded to 16 bytes. The estimate works from the
 * distribution of the weight values: the trained weights' histogram when the trial has one, a prior otherwise. Pure
 * functions; callable from any thread.
 */
namespace psc::targets::npu {

/** A distribution of weight values: relative frequencies of -256..255 at index value + 256, summing to 1. */
using ValueDistribution = std::array<double, 512>;

/**
 * The distribution of a layer's deployed weight values: the histogram if the deployment carries one, else the prior:
 * per-channel symmetric quantisation of peaked (Laplace) trained weights, the channel's largest magnitude at the top
 * code 2^(b-1) - 1, which for n weights per channel puts the scale at (2^(b-1) - 1) / ln(n); the deployment's
 * sparsity (or the bound of its DBB or N:M pattern) adds zeros.
 */
ValueDistribution weightDistribution(const plugin::LayerDeployment &deployment, std::int64_t weightsPerChannel);

/** The fraction of zero weights the deployment implies: its sparsity or its DBB / N:M bound, whichever is larger. */
double effectiveSparsity(const plugin::LayerDeployment &deployment);

/** How Vela's reorder lays out a layer's weights (mlw_encode.c reorder). */
struct WeightLayout
{
    int ofmDepth = 1, ifmDepth = 1, kernelH = 1, kernelW = 1;
    bool depthwise = false, partKernel = false;
    int ofmBlockDepth = 8;  ///< the OFM block's depth: the reorder walks the OFM in blocks this deep
    int ofmUblockDepth = 8; ///< 4 on U55-32
    int cores = 1;
    /// Weights of one output channel before the layout's padding (0: kernelH * kernelW * ifmDepth, or the kernel
    /// for depthwise); smaller when Vela's rewrite of a strided first convolution zero-padded the kernel.
    std::int64_t weightsPerChannel = 0;
    double scaleBytesPerChannel = 10; ///< encoded bias, scale and shift per output channel (Vela: 10)
};

/** Values (real and padding) in the stream of `depth` output channels of one core. */
std::int64_t paddedStreamValues(const WeightLayout &layout, int depth);

/** One encoded stream's coding choices and size. */
struct StreamEstimate
{
    std::int64_t bytes = 0; ///< weight stream, 16-byte aligned, plus its scale stream (10 B per channel, aligned)
    bool palette = false, zeroRuns = false;
    double bitsPerWeight = 0; ///< payload bits over real weights
};

/** The encoded size of `depth` output channels' weights for one core, whose real values follow `values`. */
StreamEstimate encodeStream(const WeightLayout &layout, int depth, const ValueDistribution &values);

/**
 * The encoded bytes of a layer's weights per OFM depth slice [0, s1, ..., depth] (each slice one stream per core,
 * with its scales), from the deployment's weight values; remembered per stream, as a search encodes the same layers
 * again and again.
 */
class WeightEncodingCache
{
public:
    std::vector<std::int64_t> sliceBytes(const WeightLayout &layout, const std::vector<int> &slices,
                                         const plugin::LayerDeployment &deployment);

private:
    Memo<16, std::int64_t> m_streams;
};

} // namespace psc::targets::npu
