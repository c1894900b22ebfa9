// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "psc/net/network.h"

#include <cstdint>
#include <string>
#include <vector>

namespace psc {

/**
 * The layout of one weight tensor, row-major: conv2d filters OIHW [out, in, kernelH, kernelW], dense
 * [out, in] (kernel 1x1), depthwise_conv2d C*multiplier x 1 x kernelH x kernelW (in == 1).
 *
 * Reduction groups (the blocks DBB and N:M count in, docs/formats/weight-encodings.md): when in > 1, for
 * every (output channel, kernel row, kernel column) the input channels in consecutive blocks of the group
 * size; when in == 1 (depthwise, and a conv2d or dense with a single input) the kernel window of each output
 * channel, flattened row-major, in consecutive blocks. A last block shorter than the group size is a block of
 * its own length L whose bound is min(bound, L): it can always keep all of its weights when L <= bound.
 */
struct WeightShape
{
    int out = 0;
    int in = 0;
    int kernelH = 1;
    int kernelW = 1;
    std::int64_t count() const { return std::int64_t(out) * in * kernelH * kernelW; }
    bool operator==(const WeightShape &) const = default;
};

/** Throws InputError unless every dimension of `shape` is at least 1. */
void validateWeightShape(const WeightShape &shape);

/** How a tensor splits into reduction groups of a given size: full groups plus equal-length partial ones. */
struct ReductionGroups
{
    std::int64_t full = 0;    ///< groups of exactly the group size
    std::int64_t partial = 0; ///< groups of partialLength (< group size) weights; 0 if the size divides evenly
    int partialLength = 0;
    bool operator==(const ReductionGroups &) const = default;
};

/** The reduction groups of `shape` for `groupSize` (>= 1). Throws InputError for a bad shape or size. */
ReductionGroups reductionGroups(const WeightShape &shape, int groupSize);

/**
 * Throws InputError unless `spec` is usable: fraction in [0, 1]; DBB with 1 <= maxNonZeros <= blockSize;
 * N:M with 1 <= n <= m. The other fields of a pattern are not looked at.
 */
void validateSparsitySpec(const SparsitySpec &spec);

/**
 * The keep-mask (1 = kept, 0 = pruned) that imposes `spec.pattern` on `weights` (shape.count() floats).
 * Pruning order is always ascending |w|, equal magnitudes by ascending index (the lower index goes first),
 * so the result is deterministic.
 * - None: everything kept.
 * - Unstructured: exactly round(fraction * count) weights pruned, the smallest first.
 * - Dbb / NM: every reduction group (size blockSize / m) keeps its min(bound, length) largest weights, bound
 *   maxNonZeros / n. `fraction` only switches: 0 keeps everything (the dense warm-up of a schedule), any
 *   other value imposes the full bound.
 * - ChannelStructured: exactly round(fraction * out) whole output channels pruned, the smallest L1 norm first;
 *   with a fraction near 1 that can be every channel, so callers that shrink networks must cap it.
 * Pure; any thread. Throws InputError for a bad shape, spec or fraction outside [0, 1], or a NaN weight.
 */
std::vector<std::uint8_t> pruneMask(const float *weights, const WeightShape &shape, const SparsitySpec &spec,
                                    double fraction);

/**
 * The output channels that survive channel pruning by `fraction` (the ones pruneMask() keeps for
 * ChannelStructured), ascending. Used to shrink a network physically. Pure; any thread.
 */
std::vector<int> keptChannels(const float *weights, const WeightShape &shape, double fraction);

/**
 * True if `weights` meet `spec`: None always; Unstructured at least round(spec.fraction * count) exact zeros;
 * Dbb / NM at most min(bound, length) non-zeros in every reduction group; ChannelStructured at least
 * round(spec.fraction * out) all-zero output channels. Otherwise `why` (if given) names the pattern and the
 * first violation, e.g. the block with its output channel, kernel position and input-channel range.
 * Throws InputError for a bad shape or spec. Pure; any thread.
 */
bool satisfiesSparsity(const float *weights, const WeightShape &shape, const SparsitySpec &spec,
                       std::string *why = nullptr);

/**
 * The non-zero weights a tensor of `shape` has at most under `spec` (exactly, for what pruneMask() produces
 * from weights without zeros): count for None; count - round(fraction * count) for Unstructured;
 * (out - round(fraction * out)) * in * kernelH * kernelW for ChannelStructured (the tensor with its zeroed
 * channels still in place: a network description whose channels were removed physically has
 * ChannelStructured layers of shape.count() non-zeros); for Dbb / NM the bound summed over all reduction
 * groups, partial groups at min(bound, length). Throws InputError for a bad shape or spec.
 */
std::int64_t expectedNonZeros(const WeightShape &shape, const SparsitySpec &spec);

/**
 * Gradual pruning schedule of M. Zhu, S. Gupta, "To prune, or not to prune: exploring the efficacy of pruning
 * for model compression", arXiv:1710.01878:
 * s_t = s_f + (s_i - s_f) * (1 - (t - t0) / (t_end - t0))^3 for t0 <= t <= t_end, s_i before t0 and s_f from
 * t_end on (with endStep <= beginStep the schedule jumps from s_i to s_f at beginStep). Pure.
 */
double gradualSparsity(double finalFraction, std::int64_t step, std::int64_t beginStep, std::int64_t endStep,
                       double initial = 0.0);

} // namespace psc
