// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Private engine header: the integer kernels behind IntegerModel::run(). Each runs one IntegerStep on
// tensors in the run's arena; everything data-dependent was precomputed by quantize().

#include "quant/integerplan.h"

#include <cstdint>
#include <vector>

namespace psc {

/** Buffers of one run; sized once and reused for every image of accuracy(). */
struct IntegerWorkspace
{
    explicit IntegerWorkspace(const IntegerModel::Plan &plan)
        : arena(plan.arenaSize), scratch(plan.scratchSize), accumulators(plan.accumulatorSize), wide(plan.wideSize)
    {}
    std::vector<std::int8_t> arena;
    std::vector<std::int8_t> scratch;       ///< tap form: the padded input
    std::vector<std::int32_t> accumulators; ///< tap form: one output plane
    std::vector<std::int16_t> wide;         ///< dot-product form: the int16 channels-last input
};

/**
 * Fills the dot-product form of a dense or conv2d step: dotLength and dotWeights [oc][ky][kx * C + c] in int16,
 * each of the kernelH rows of `segment` weights zero-padded to dotLength, the channels to kDotBlock.
 */
void buildDotWeights(IntegerStep &step, const LayerQuantization &lq, int kernelH, std::size_t segment);
/**
 * Fills the tap form of a convolution step (its window already set): row and plane strides of the input the
 * kernel reads, and each output channel's non-zero weights with their offsets. Returns the accumulators needed.
 */
std::size_t buildTaps(IntegerStep &step, const LayerQuantization &lq);

/** A row-major int8 matrix as int16 rows of `length` (>= cols) elements, rows zero-padded to kDotBlock. */
std::vector<std::int16_t> dotRows(const std::vector<std::int8_t> &matrix, std::size_t rows, std::size_t cols,
                                  std::size_t length);

/** conv2d / depthwise_conv2d in the tap form. */
void convolutionTaps(const IntegerStep &s, const std::int8_t *src, std::int8_t *dst, IntegerWorkspace &ws);
/** conv2d in the dot-product form. */
void convolutionDot(const IntegerStep &s, const std::int8_t *src, std::int8_t *dst, IntegerWorkspace &ws);
/** dense (always the dot-product form). */
void denseDot(const IntegerStep &s, const std::int8_t *src, std::int8_t *dst, IntegerWorkspace &ws);
/** low_rank / kronecker: both stages, pixel by pixel. */
void factorizedDot(const IntegerStep &s, const std::int8_t *src, std::int8_t *dst, IntegerWorkspace &ws);
/** TFLite's add over 2+ inputs read from the arena. */
void addTensors(const IntegerStep &s, const std::int8_t *arena, std::int8_t *dst);
/** max_pool2d, or avg_pool2d / global_avg_pool (windows clipped to the input). */
void pool(const IntegerStep &s, const std::int8_t *src, std::int8_t *dst);
/** Unfused relu / relu6. */
void clampTensor(const IntegerStep &s, const std::int8_t *src, std::int8_t *dst);
/** Runs an add, pool or clamp step on the arena; false (nothing done) for a weighted step. */
bool runUnweightedStep(const IntegerStep &s, std::int8_t *arena);

} // namespace psc
