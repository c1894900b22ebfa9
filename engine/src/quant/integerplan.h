// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Private engine header: the compiled form of an IntegerModel. quantize() (integerquantize.cpp) builds it,
// the kernels (integerinference.cpp) run it. Everything a kernel needs is precomputed here.

#include "psc/quant/integerinference.h"

#include <cstddef>
#include <cstdint>
#include <vector>

namespace psc {

/** Dot products run over multiples of this many int16 elements (one AVX2 register). */
inline constexpr std::size_t kDotAlign = 16;
/** Output channels computed together by the dot-product kernels (they share the input loads). */
inline constexpr std::size_t kDotBlock = 4;

enum class IntegerOp
{
    Conv2d,
    DepthwiseConv2d,
    Dense,
    Add,
    MaxPool,
    AvgPool,    ///< average pooling: the output keeps the input's quantisation
    Mean,       ///< global average pooling: the plane's sum requantised to the output's own quantisation
    Clamp,      ///< unfused relu / relu6
    Factorized, ///< low_rank, kronecker: two dot-product stages per pixel with an int8 intermediate
};

/** One kernel invocation. Tensors live in a per-run arena at fixed offsets. */
struct IntegerStep
{
    IntegerOp op = IntegerOp::Clamp;
    std::size_t layer = 0;           ///< index into Plan::layers (weights, scales)
    std::vector<std::size_t> inputs; ///< arena offsets of the input tensors
    std::size_t output = 0;          ///< arena offset of the output tensor
    Shape in;
    Shape out;

    // Windowed ops. Convolutions read a padded copy (filled with the input zero point, i.e. real 0) when
    // padH x padW differs from the input; pools clip their windows instead.
    int kernelH = 1, kernelW = 1, strideH = 1, strideW = 1;
    int padTop = 0, padLeft = 0;
    int paddedH = 0, paddedW = 0;
    bool needsPadding = false;
    int depthMultiplier = 1;

    // Convolutions as tap lists: output channel c sums tapWeight[k] * in[j + tapOffset[k]] over its non-zero
    // weights k in [tapBegin[c], tapBegin[c + 1]), j indexing the (padded) input as rows of rowStride. With
    // stride 1 the accumulators use that row stride too ("wide" planes whose columns past the output width are
    // discarded), so that every tap is one contiguous loop over the whole plane.
    std::vector<std::uint32_t> tapBegin;
    std::vector<std::int32_t> tapOffset;
    std::vector<std::int32_t> tapWeight;
    std::size_t rowStride = 0;
    std::size_t planeStride = 0;

    // Dot-product form (dense, and conv2d with kernelW * inChannels >= 16 and enough non-zero weights): the
    // input becomes int16 q - zp, channels last (real 0, i.e. 0, in the padding), and each output is kernelH
    // dot products of dotLength elements with weights laid out [oc][ky][kx * C + c], zero-padded to dotLength
    // (a multiple of kDotAlign) and to a multiple of kDotBlock output channels. The zero weights past
    // kernelW * C make the reads past a window's row harmless.
    bool dotProduct = false;
    std::size_t dotLength = 0;
    std::size_t columnOffset = 0; ///< conv2d: where the gathered window starts in the int16 workspace
    std::vector<std::int16_t> dotWeights;

    // Weighted ops: acc = bias[c] + sum (q_in - zp) * q_w. The tap form folds -zp * sum q_w into bias.
    std::vector<std::int32_t> bias;
    std::vector<std::int32_t> multiplier; ///< per output channel; add: per input, then the output's
    std::vector<int> shift;
    int inZeroPoint = 0;
    std::vector<std::int32_t> inZeroPoints; ///< add: per input

    int outZeroPoint = 0;
    int clampMin = -128;
    int clampMax = 127;

    // Factorised layers, one pixel at a time. Stage one: each of groups1 segments of segment1 inputs (low_rank:
    // the whole input; kronecker: the i1 rows of X [i1, i2]), as int16 q - zp padded to length1, times the rows1
    // rows of factorDotWeights (V, or B) gives the int8 intermediate (midMultiplier/midShift per row, zero point
    // midZeroPoint). Stage two: each of groups2 segments of the intermediate (low_rank: all r values; kronecker:
    // column q of T [i1, o2]), as int16 q - zp_mid padded to dotLength, times the rows of dotWeights (U, or A)
    // gives output channel row (low_rank) or row * o2 + q (kronecker), with bias, multiplier and shift as above.
    bool kronecker = false;
    std::size_t groups1 = 1, segment1 = 0, length1 = 0, rows1 = 0;
    std::size_t groups2 = 1, rows2 = 0;
    std::vector<std::int16_t> factorDotWeights;
    std::vector<std::int32_t> midMultiplier;
    std::vector<int> midShift;
    int midZeroPoint = 0;
};

struct IntegerModel::Plan
{
    NetworkDescription network;
    QuantParams input;
    QuantParams output;
    std::vector<LayerQuantization> layers;
    std::vector<IntegerStep> steps;
    std::size_t arenaSize = 0; ///< int8 activations, every tensor at its own offset
    std::size_t inputOffset = 0;
    std::size_t outputOffset = 0;
    std::vector<std::size_t> layerOffsets; ///< arena offset of each layer's output (pass-throughs share)
    int outputSize = 0;
    std::size_t scratchSize = 0;     ///< int8: the largest padded convolution input
    std::size_t accumulatorSize = 0; ///< int32: the largest (wide) output plane of the tap form
    std::size_t wideSize = 0;        ///< int16: the largest dot-product input, slack included
};

} // namespace psc
