// SPDX-License-Identifier: GPL-3.0-or-later
// The integer kernels of the reference inference: int32 accumulation, then TFLite requantisation.

#include "quant/integerkernels.h"

#include <algorithm>
#include <cstring>
#include <limits>

namespace psc {

namespace {

// The multiply-accumulate loops are most of the work. Debian builds for baseline x86-64 (SSE2), so GCC's
// function multi-versioning adds an AVX2 clone chosen at load time; elsewhere the portable code is all there is.
// Helpers are forced inline so that they are compiled into each clone.
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define PSC_VECTOR_CLONES __attribute__((target_clones("avx2", "default")))
#define PSC_INLINE_INTO_CLONES __attribute__((always_inline)) inline
#else
#define PSC_VECTOR_CLONES
#define PSC_INLINE_INTO_CLONES inline
#endif

inline std::int8_t requantizeTo(std::int64_t acc, std::int32_t multiplier, int shift, int zeroPoint, int lower,
                                int upper)
{
    constexpr std::int64_t lo = std::numeric_limits<std::int32_t>::min();
    constexpr std::int64_t hi = std::numeric_limits<std::int32_t>::max();
    const auto saturated = std::int32_t(std::clamp(acc, lo, hi));
    const std::int64_t v = std::int64_t(zeroPoint) + multiplyByQuantizedMultiplier(saturated, multiplier, shift);
    return std::int8_t(std::clamp<std::int64_t>(v, lower, upper));
}

inline std::int8_t requantize(std::int64_t acc, std::int32_t multiplier, int shift, const IntegerStep &s)
{
    return requantizeTo(acc, multiplier, shift, s.outZeroPoint, s.clampMin, s.clampMax);
}

// ---- Tap form: depthwise convolutions and convolutions over few input channels -------------------------------

/** A convolution's input, possibly padded: element (c, y, x) is at data[c * planeStride + y * rowStride + x]. */
const std::int8_t *paddedInput(const IntegerStep &s, const std::int8_t *src, std::int8_t *scratch)
{
    const Shape &in = s.in;
    if (!s.needsPadding)
        return src;
    std::memset(scratch, s.inZeroPoint, s.planeStride * std::size_t(in.channels)); // the zero point is real 0
    const int rows = std::min(in.height, s.paddedH - s.padTop);
    const int cols = std::min(in.width, s.paddedW - s.padLeft);
    for (int c = 0; c < in.channels; ++c) {
        for (int y = 0; y < rows; ++y) {
            std::memcpy(scratch + std::size_t(c) * s.planeStride + std::size_t(y + s.padTop) * s.rowStride +
                            std::size_t(s.padLeft),
                        src + (std::size_t(c) * std::size_t(in.height) + std::size_t(y)) * std::size_t(in.width),
                        std::size_t(cols));
        }
    }
    return scratch;
}

/**
 * acc[j] += sum_t w[t] * x[j * step + offset[t]] for j < n, over Taps taps at once: the accumulators are read
 * and written once per Taps multiply-adds, and with step 1 the loop vectorises.
 */
template <int Taps, int Step>
PSC_INLINE_INTO_CLONES void accumulateTaps(std::int32_t *acc, const std::int8_t *x, std::size_t n, int step,
                                           const std::int32_t *offset, const std::int32_t *weight)
{
    const std::int8_t *p[Taps];
    std::int16_t w[Taps];
    for (int t = 0; t < Taps; ++t) {
        p[t] = x + offset[t];
        w[t] = std::int16_t(weight[t]);
    }
    const std::size_t stride = Step > 0 ? std::size_t(Step) : std::size_t(step);
    for (std::size_t j = 0; j < n; ++j) {
        std::int32_t sum = 0;
        // |w| <= 127, |x| <= 128: each product fits 16 bits, which lets the compiler use 16-bit multiplies.
        for (int t = 0; t < Taps; ++t)
            sum += std::int16_t(w[t] * std::int16_t(p[t][j * stride]));
        acc[j] += sum;
    }
}

/** All taps of one output channel, eight at a time, then the remainder. */
template <int Step>
PSC_INLINE_INTO_CLONES void accumulateChannel(std::int32_t *acc, const std::int8_t *x, std::size_t n, int step,
                                              const std::int32_t *offset, const std::int32_t *weight, std::size_t taps)
{
    std::size_t t = 0;
    for (; t + 8 <= taps; t += 8)
        accumulateTaps<8, Step>(acc, x, n, step, offset + t, weight + t);
    if (t + 4 <= taps) {
        accumulateTaps<4, Step>(acc, x, n, step, offset + t, weight + t);
        t += 4;
    }
    if (t + 2 <= taps) {
        accumulateTaps<2, Step>(acc, x, n, step, offset + t, weight + t);
        t += 2;
    }
    if (t < taps)
        accumulateTaps<1, Step>(acc, x, n, step, offset + t, weight + t);
}

// ---- Dot-product form: convolutions over many input channels, dense ------------------------------------------

/** acc[b] += dot(w + b * ldw, x) over n int16 elements for kDotBlock rows of weights sharing the input loads. */
PSC_INLINE_INTO_CLONES void dotBlock(const std::int16_t *__restrict x, const std::int16_t *__restrict w,
                                     std::size_t ldw, std::size_t n, std::int32_t *acc)
{
    static_assert(kDotBlock == 4);
    const std::int16_t *w0 = w, *w1 = w + ldw, *w2 = w + 2 * ldw, *w3 = w + 3 * ldw;
    std::int32_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (std::size_t k = 0; k < n; ++k) { // int16 x int16 -> int32 sums: what pmaddwd computes
        const std::int32_t v = x[k];
        s0 += std::int32_t(w0[k]) * v;
        s1 += std::int32_t(w1[k]) * v;
        s2 += std::int32_t(w2[k]) * v;
        s3 += std::int32_t(w3[k]) * v;
    }
    acc[0] += s0;
    acc[1] += s1;
    acc[2] += s2;
    acc[3] += s3;
}

/** The input as int16 q - zp, channels last, inside a zero (real 0) border: [paddedH][paddedW][C] plus slack. */
void wideInput(const IntegerStep &s, const std::int8_t *src, std::int16_t *wide)
{
    const Shape &in = s.in;
    const std::size_t channels = std::size_t(in.channels);
    const std::size_t size = std::size_t(s.paddedH) * std::size_t(s.paddedW) * channels + kDotAlign;
    std::fill(wide, wide + size, std::int16_t(0));
    const int rows = std::min(in.height, s.paddedH - s.padTop);
    const int cols = std::min(in.width, s.paddedW - s.padLeft);
    const auto zp = std::int16_t(s.inZeroPoint);
    for (std::size_t c = 0; c < channels; ++c) {
        for (int y = 0; y < rows; ++y) {
            const std::int8_t *row = src + (c * std::size_t(in.height) + std::size_t(y)) * std::size_t(in.width);
            std::int16_t *out =
                wide + ((std::size_t(y + s.padTop) * std::size_t(s.paddedW) + std::size_t(s.padLeft)) * channels + c);
            for (int x = 0; x < cols; ++x)
                out[std::size_t(x) * channels] = std::int16_t(row[x] - zp);
        }
    }
}

} // namespace

// ---- Layouts, built once by quantize() ------------------------------------------------------------------------

void buildDotWeights(IntegerStep &step, const LayerQuantization &lq, int kernelH, std::size_t segment)
{
    step.dotLength = (segment + kDotAlign - 1) / kDotAlign * kDotAlign;
    const std::size_t channels = std::size_t(step.out.channels);
    const std::size_t padded = (channels + kDotBlock - 1) / kDotBlock * kDotBlock;
    const std::size_t rows = std::size_t(kernelH);
    step.dotWeights.assign(padded * rows * step.dotLength, 0);
    if (step.op == IntegerOp::Dense) {
        for (std::size_t oc = 0; oc < channels; ++oc)
            std::copy_n(lq.weights.begin() + std::ptrdiff_t(oc * segment), segment,
                        step.dotWeights.begin() + std::ptrdiff_t(oc * step.dotLength));
        return;
    }
    // From OIHW to [oc][ky][kx][c].
    const std::size_t inChannels = std::size_t(step.in.channels);
    const std::size_t kw = std::size_t(step.kernelW);
    std::size_t k = 0;
    for (std::size_t oc = 0; oc < channels; ++oc) {
        for (std::size_t c = 0; c < inChannels; ++c) {
            for (std::size_t ky = 0; ky < rows; ++ky) {
                for (std::size_t kx = 0; kx < kw; ++kx)
                    step.dotWeights[(oc * rows + ky) * step.dotLength + kx * inChannels + c] = lq.weights[k++];
            }
        }
    }
}

std::vector<std::int16_t> dotRows(const std::vector<std::int8_t> &matrix, std::size_t rows, std::size_t cols,
                                  std::size_t length)
{
    const std::size_t padded = (rows + kDotBlock - 1) / kDotBlock * kDotBlock;
    std::vector<std::int16_t> out(padded * length, 0);
    for (std::size_t r = 0; r < rows; ++r)
        std::copy_n(matrix.begin() + std::ptrdiff_t(r * cols), cols, out.begin() + std::ptrdiff_t(r * length));
    return out;
}

std::size_t buildTaps(IntegerStep &step, const LayerQuantization &lq)
{
    step.rowStride = std::size_t(step.needsPadding ? step.paddedW : step.in.width);
    step.planeStride = step.rowStride * std::size_t(step.needsPadding ? step.paddedH : step.in.height);
    const bool depthwise = step.op == IntegerOp::DepthwiseConv2d;
    const int inChannels = depthwise ? 1 : step.in.channels;
    const std::int8_t *w = lq.weights.data();
    for (int oc = 0; oc < step.out.channels; ++oc) {
        step.tapBegin.push_back(std::uint32_t(step.tapWeight.size()));
        const int first = depthwise ? oc / step.depthMultiplier : 0;
        for (int ic = 0; ic < inChannels; ++ic) {
            for (int ky = 0; ky < step.kernelH; ++ky) {
                for (int kx = 0; kx < step.kernelW; ++kx) {
                    const std::int32_t weight = *w++;
                    if (weight == 0)
                        continue; // pruned weights cost nothing
                    step.tapWeight.push_back(weight);
                    step.tapOffset.push_back(std::int32_t(std::size_t(first + ic) * step.planeStride +
                                                          std::size_t(ky) * step.rowStride + std::size_t(kx)));
                }
            }
        }
    }
    step.tapBegin.push_back(std::uint32_t(step.tapWeight.size()));
    return step.strideH == 1 && step.strideW == 1
               ? std::size_t(step.out.height - 1) * step.rowStride + std::size_t(step.out.width)
               : std::size_t(step.out.height) * std::size_t(step.out.width);
}

// ---- Kernels ---------------------------------------------------------------------------------------------------

PSC_VECTOR_CLONES void convolutionTaps(const IntegerStep &s, const std::int8_t *src, std::int8_t *dst,
                                       IntegerWorkspace &ws)
{
    const std::int8_t *in = paddedInput(s, src, ws.scratch.data());
    const std::size_t oh = std::size_t(s.out.height);
    const std::size_t ow = std::size_t(s.out.width);
    const bool unitStride = s.strideH == 1 && s.strideW == 1;
    // Stride 1: one "wide" plane with the input's row stride; otherwise one accumulator row per output row.
    const std::size_t accRow = unitStride ? s.rowStride : ow;
    const std::size_t accCount = (oh - 1) * accRow + ow;
    std::int32_t *acc = ws.accumulators.data();
    for (std::size_t oc = 0; oc < std::size_t(s.out.channels); ++oc) {
        std::fill(acc, acc + accCount, s.bias[oc]);
        const std::size_t begin = s.tapBegin[oc];
        const std::size_t taps = s.tapBegin[oc + 1] - begin;
        const std::int32_t *offset = s.tapOffset.data() + begin;
        const std::int32_t *weight = s.tapWeight.data() + begin;
        if (unitStride) {
            accumulateChannel<1>(acc, in, accCount, 1, offset, weight, taps);
        } else {
            for (std::size_t oy = 0; oy < oh; ++oy)
                accumulateChannel<0>(acc + oy * ow, in + oy * std::size_t(s.strideH) * s.rowStride, ow, s.strideW,
                                     offset, weight, taps);
        }
        const std::int32_t m = s.multiplier[oc];
        const int shift = s.shift[oc];
        std::int8_t *out = dst + oc * oh * ow;
        for (std::size_t oy = 0; oy < oh; ++oy) {
            const std::int32_t *row = acc + oy * accRow;
            for (std::size_t ox = 0; ox < ow; ++ox)
                *out++ = requantize(row[ox], m, shift, s);
        }
    }
}

PSC_VECTOR_CLONES void convolutionDot(const IntegerStep &s, const std::int8_t *src, std::int8_t *dst,
                                      IntegerWorkspace &ws)
{
    std::int16_t *wide = ws.wide.data();
    wideInput(s, src, wide);
    const std::size_t channels = std::size_t(s.in.channels);
    const std::size_t rowElements = std::size_t(s.paddedW) * channels;
    const std::size_t rows = std::size_t(s.kernelH);
    const std::size_t length = s.dotLength;
    const std::size_t outChannels = std::size_t(s.out.channels);
    const std::size_t plane = std::size_t(s.out.height) * std::size_t(s.out.width);
    const std::size_t windowLength = rows * length;
    std::int16_t *column = wide + s.columnOffset; // one window, its rows side by side: a single dot product
    std::size_t pixel = 0;
    for (int oy = 0; oy < s.out.height; ++oy) {
        for (int ox = 0; ox < s.out.width; ++ox, ++pixel) {
            const std::int16_t *window =
                wide + (std::size_t(oy * s.strideH) * std::size_t(s.paddedW) + std::size_t(ox * s.strideW)) * channels;
            for (std::size_t ky = 0; ky < rows; ++ky)
                std::copy_n(window + ky * rowElements, length, column + ky * length);
            for (std::size_t block = 0; block < outChannels; block += kDotBlock) {
                std::int32_t acc[kDotBlock] = {};
                dotBlock(column, s.dotWeights.data() + block * windowLength, windowLength, windowLength, acc);
                const std::size_t count = std::min(kDotBlock, outChannels - block);
                for (std::size_t b = 0; b < count; ++b) {
                    const std::size_t oc = block + b;
                    dst[oc * plane + pixel] =
                        requantize(std::int64_t(acc[b]) + s.bias[oc], s.multiplier[oc], s.shift[oc], s);
                }
            }
        }
    }
}

PSC_VECTOR_CLONES void denseDot(const IntegerStep &s, const std::int8_t *src, std::int8_t *dst, IntegerWorkspace &ws)
{
    const std::size_t inputs = std::size_t(s.in.elements());
    std::int16_t *x = ws.wide.data();
    const auto zp = std::int16_t(s.inZeroPoint);
    for (std::size_t i = 0; i < inputs; ++i)
        x[i] = std::int16_t(src[i] - zp);
    std::fill(x + inputs, x + s.dotLength, std::int16_t(0));
    const std::size_t outChannels = std::size_t(s.out.channels);
    for (std::size_t block = 0; block < outChannels; block += kDotBlock) {
        std::int32_t acc[kDotBlock] = {};
        dotBlock(x, s.dotWeights.data() + block * s.dotLength, s.dotLength, s.dotLength, acc);
        const std::size_t count = std::min(kDotBlock, outChannels - block);
        for (std::size_t b = 0; b < count; ++b) {
            const std::size_t o = block + b;
            dst[o] = requantize(std::int64_t(acc[b]) + s.bias[o], s.multiplier[o], s.shift[o], s);
        }
    }
}

PSC_VECTOR_CLONES void factorizedDot(const IntegerStep &s, const std::int8_t *src, std::int8_t *dst,
                                     IntegerWorkspace &ws)
{
    const std::size_t pixels = std::size_t(s.in.height) * std::size_t(s.in.width);
    const std::size_t length2 = s.dotLength;
    std::int16_t *x = ws.wide.data();
    std::int16_t *mid = x + s.groups1 * s.length1;
    // The padding past each segment stays zero; every pixel rewrites the segments themselves.
    std::fill(x, mid + s.groups2 * length2, std::int16_t(0));
    const auto zp = std::int16_t(s.inZeroPoint);
    const auto midZp = std::int16_t(s.midZeroPoint);
    for (std::size_t pixel = 0; pixel < pixels; ++pixel) {
        for (std::size_t g = 0; g < s.groups1; ++g)
            for (std::size_t t = 0; t < s.segment1; ++t)
                x[g * s.length1 + t] = std::int16_t(src[(g * s.segment1 + t) * pixels + pixel] - zp);
        // Stage one: the int8 intermediate, written as the segments stage two reads (kronecker: transposed).
        for (std::size_t g = 0; g < s.groups1; ++g) {
            for (std::size_t block = 0; block < s.rows1; block += kDotBlock) {
                std::int32_t acc[kDotBlock] = {};
                dotBlock(x + g * s.length1, s.factorDotWeights.data() + block * s.length1, s.length1, s.length1, acc);
                const std::size_t count = std::min(kDotBlock, s.rows1 - block);
                for (std::size_t b = 0; b < count; ++b) {
                    const std::size_t j = block + b;
                    const std::int8_t q =
                        requantizeTo(acc[b], s.midMultiplier[j], s.midShift[j], s.midZeroPoint, -128, 127);
                    mid[s.kronecker ? j * length2 + g : j] = std::int16_t(q - midZp);
                }
            }
        }
        // Stage two: bias, requantisation and the fused activation, as for dense.
        for (std::size_t g = 0; g < s.groups2; ++g) {
            for (std::size_t block = 0; block < s.rows2; block += kDotBlock) {
                std::int32_t acc[kDotBlock] = {};
                dotBlock(mid + g * length2, s.dotWeights.data() + block * length2, length2, length2, acc);
                const std::size_t count = std::min(kDotBlock, s.rows2 - block);
                for (std::size_t b = 0; b < count; ++b) {
                    const std::size_t o = s.kronecker ? (block + b) * s.groups2 + g : block + b;
                    dst[o * pixels + pixel] =
                        requantize(std::int64_t(acc[b]) + s.bias[o], s.multiplier[o], s.shift[o], s);
                }
            }
        }
    }
}

void addTensors(const IntegerStep &s, const std::int8_t *arena, std::int8_t *dst)
{
    const std::size_t n = std::size_t(s.out.elements());
    const std::size_t count = s.inputs.size();
    const std::int32_t outMultiplier = s.multiplier[count];
    const int outShift = s.shift[count];
    for (std::size_t e = 0; e < n; ++e) {
        std::int64_t sum = 0;
        for (std::size_t k = 0; k < count; ++k) {
            // |q - zp| <= 255, so the shifted value stays far inside int32.
            const std::int32_t shifted = (std::int32_t(arena[s.inputs[k] + e]) - s.inZeroPoints[k]) * (1 << 20);
            sum += multiplyByQuantizedMultiplier(shifted, s.multiplier[k], s.shift[k]);
        }
        dst[e] = requantize(sum, outMultiplier, outShift, s);
    }
}

void pool(const IntegerStep &s, const std::int8_t *src, std::int8_t *dst)
{
    const Shape &in = s.in;
    const bool max = s.op == IntegerOp::MaxPool;
    for (int c = 0; c < s.out.channels; ++c) {
        const std::int8_t *plane = src + std::size_t(c) * std::size_t(in.height) * std::size_t(in.width);
        for (int oy = 0; oy < s.out.height; ++oy) {
            const int y0 = oy * s.strideH - s.padTop;
            const int yBegin = std::max(y0, 0);
            const int yEnd = std::min(y0 + s.kernelH, in.height);
            for (int ox = 0; ox < s.out.width; ++ox) {
                const int x0 = ox * s.strideW - s.padLeft;
                const int xBegin = std::max(x0, 0);
                const int xEnd = std::min(x0 + s.kernelW, in.width);
                std::int32_t acc = max ? std::numeric_limits<std::int32_t>::min() : 0;
                for (int y = yBegin; y < yEnd; ++y) {
                    const std::int8_t *row = plane + std::size_t(y) * std::size_t(in.width);
                    for (int x = xBegin; x < xEnd; ++x)
                        acc = max ? std::max(acc, std::int32_t(row[x])) : acc + row[x];
                }
                const std::int32_t count = std::max(yEnd - yBegin, 0) * std::max(xEnd - xBegin, 0);
                std::int32_t value = s.outZeroPoint; // a window entirely in the padding sees real 0
                if (count > 0 && max)
                    value = acc;
                else if (count > 0) {
                    // The mean of the real values, rounded half away from zero: relative to the zero point (a pool
                    // keeps its input's), as ArmNN and OpenCV round; TFLite's own kernel rounds the raw mean, which
                    // differs by 1 on ties below the zero point (docs/quantization.md).
                    const std::int32_t real = acc - count * s.outZeroPoint;
                    value = s.outZeroPoint + (real >= 0 ? (real + count / 2) / count : (real - count / 2) / count);
                }
                *dst++ = std::int8_t(std::clamp(value, s.clampMin, s.clampMax));
            }
        }
    }
}

void mean(const IntegerStep &s, const std::int8_t *src, std::int8_t *dst)
{
    // One rounding, half away from zero, of acc * multiplier * 2^(shift - 31) (exact in 64 bits: |acc| < 2^8 n),
    // instead of the weighted layers' two: a mean of many elements lands near a .5 boundary of the narrow output
    // grid often enough that rounding twice would differ from the exact mean in a few % of outputs, which ArmNN,
    // OpenCV and TFLite's single-rounding build do not (docs/quantization.md).
    const std::int64_t elements = std::int64_t(s.in.height) * s.in.width;
    const int total = 31 - s.shift.front();
    const std::int64_t half = std::int64_t(1) << (total - 1);
    for (int c = 0; c < s.out.channels; ++c) {
        std::int64_t acc = 0;
        for (std::int64_t e = 0; e < elements; ++e)
            acc += *src++;
        const std::int64_t x = (acc - elements * s.inZeroPoint) * s.multiplier.front();
        const std::int64_t v = s.outZeroPoint + (x >= 0 ? (x + half) >> total : -((-x + half) >> total));
        dst[c] = std::int8_t(std::clamp<std::int64_t>(v, s.clampMin, s.clampMax));
    }
}

void clampTensor(const IntegerStep &s, const std::int8_t *src, std::int8_t *dst)
{
    const std::size_t n = std::size_t(s.out.elements());
    const auto lo = std::int8_t(s.clampMin);
    const auto hi = std::int8_t(s.clampMax);
    for (std::size_t e = 0; e < n; ++e)
        dst[e] = std::clamp(src[e], lo, hi);
}

bool runUnweightedStep(const IntegerStep &s, std::int8_t *arena)
{
    const std::int8_t *src = arena + s.inputs.front();
    std::int8_t *dst = arena + s.output;
    switch (s.op) {
    case IntegerOp::Add:
        addTensors(s, arena, dst);
        return true;
    case IntegerOp::MaxPool:
    case IntegerOp::AvgPool:
        pool(s, src, dst);
        return true;
    case IntegerOp::Mean:
        mean(s, src, dst);
        return true;
    case IntegerOp::Clamp:
        clampTensor(s, src, dst);
        return true;
    default:
        return false;
    }
}

} // namespace psc
