// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// The quantisation rules of docs/quantization.md as plain functions, shared by the integer reference
// inference, its tests and the exporters. All functions are pure and thread-safe.

#include "psc/quant/trainedmodel.h"

#include <cstdint>
#include <limits>
#include <vector>

namespace psc {

/** Largest bit-width the integer inference stores (int8 weights and activations). */
inline constexpr int kMaxIntegerBits = 8;

/** Affine quantisation of one tensor: real = scale * (q - zeroPoint), q in [qmin, qmax]. */
struct QuantParams
{
    double scale = 1.0;
    int zeroPoint = 0;
    int qmin = -128;
    int qmax = 127;
    bool operator==(const QuantParams &) const = default;
};

/**
 * Per-tensor asymmetric parameters for a recorded float range and a bit-width in 1..8: the range is widened
 * to contain 0, scale = (max - min) / (qmax - qmin) (1 if that is 0), zeroPoint = clamp(qmin - round(min /
 * scale)). Throws InputError for bits outside 1..8 or a non-finite range.
 */
QuantParams activationParams(TensorRange range, int bits);

/**
 * Parameters of the network input, fixed by the normalisation x = (pixel / 255 - mean) / std: the integer
 * input is pixel - 128, scale = 1 / (255 std), zeroPoint = round(255 mean) - 128. Throws InputError unless
 * std > 0 and both are finite.
 */
QuantParams inputParams(double mean, double std);

/** q = clamp(round(x / scale) + zeroPoint, qmin, qmax), rounding half to even. */
int quantizeValue(double x, const QuantParams &params);

/** Per-output-channel symmetric weights: values in the layout of the float tensor, one scale per channel. */
struct QuantizedWeights
{
    std::vector<std::int8_t> values;
    std::vector<double> scales; ///< index = output channel (the tensor's first dimension)
};

/**
 * Quantises a weight tensor per output channel (its first dimension) with `bits` in 1..8. For bits >= 2:
 * scale = max|w| / (2^(bits-1) - 1) (1 for an all-zero channel), q = clamp(round(w / scale)); exact zeros stay
 * zero. For bits = 1 (binary): q = +1 if w >= 0 else -1, scale = mean|w| of the channel; an all-zero binary
 * channel (which cannot be expressed as +-scale) becomes q = 0 with scale 1, so that it stays exactly zero.
 * Throws InputError for bits outside 1..8, an empty tensor, a shape that does not match the values, or a
 * non-finite weight.
 */
QuantizedWeights quantizeWeights(const FloatTensor &weight, int bits);

/** A real multiplier M = multiplier * 2^(shift - 31), multiplier a Q31 value in [2^30, 2^31) (or 0 for M = 0). */
struct QuantizedMultiplier
{
    std::int32_t multiplier = 0;
    int shift = 0;
    bool operator==(const QuantizedMultiplier &) const = default;
};

/**
 * TFLite's QuantizeMultiplier: M = q * 2^shift with q in [0.5, 1), multiplier = round(q * 2^31) (half away
 * from zero). Multipliers below 2^-31 become 0; a non-finite or negative M throws InputError. Shifts above 30
 * are saturated (multiplier 2^31 - 1, shift 30): no requantisation in a sane network comes close.
 */
QuantizedMultiplier quantizeMultiplier(double realMultiplier);

/** TFLite's SaturatingRoundingDoublingHighMul: round(a * b / 2^31), saturating the single overflow case. */
inline std::int32_t saturatingRoundingDoublingHighMul(std::int32_t a, std::int32_t b)
{
    if (a == b && a == std::numeric_limits<std::int32_t>::min())
        return std::numeric_limits<std::int32_t>::max();
    const std::int64_t ab = std::int64_t(a) * std::int64_t(b);
    const std::int64_t nudge = ab >= 0 ? (std::int64_t(1) << 30) : (1 - (std::int64_t(1) << 30));
    return std::int32_t((ab + nudge) / (std::int64_t(1) << 31)); // division truncates toward zero
}

/** TFLite's RoundingDivideByPOT: x / 2^exponent rounded half away from zero, exponent in 0..31. */
inline std::int32_t roundingDivideByPOT(std::int32_t x, int exponent)
{
    const std::int32_t mask = std::int32_t((std::int64_t(1) << exponent) - 1);
    const std::int32_t remainder = x & mask;
    const std::int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
    return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

/**
 * acc * M for M = quantizeMultiplier(): exactly RoundingDivideByPOT(SaturatingRoundingDoublingHighMul(acc <<
 * max(shift, 0), multiplier), max(-shift, 0)), with the left shift saturating to the int32 range (TFLite leaves
 * that overflow undefined). Computed branch-light in 64 bits, since it runs once per output element: the high
 * multiply's sign-dependent nudge amounts to adding 2^30 before an arithmetic shift by 31, and the divide by
 * 2^e rounding half away from zero to adding 2^(e-1) - (x < 0) before shifting by e. Requires shift >= -31.
 */
inline std::int32_t multiplyByQuantizedMultiplier(std::int32_t acc, std::int32_t multiplier, int shift)
{
    constexpr std::int64_t lo = std::numeric_limits<std::int32_t>::min();
    constexpr std::int64_t hi = std::numeric_limits<std::int32_t>::max();
    std::int64_t x = acc;
    if (shift > 0) {
        x *= std::int64_t(1) << shift;
        x = x < lo ? lo : (x > hi ? hi : x);
    }
    std::int64_t high = (x * multiplier + (std::int64_t(1) << 30)) >> 31;
    high = high > hi ? hi : high; // only INT32_MIN * INT32_MIN gets here; TFLite saturates it
    if (shift >= 0)
        return std::int32_t(high);
    const int e = -shift;
    return std::int32_t((high + (std::int64_t(1) << (e - 1)) - (high < 0 ? 1 : 0)) >> e);
}

} // namespace psc
