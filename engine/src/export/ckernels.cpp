// SPDX-License-Identifier: GPL-3.0-or-later
// The int8 kernels of the C export, as C99 text: the integer reference (docs/quantization.md) in plain C.

#include "export/ckernels.h"

#include <algorithm>
#include <initializer_list>
#include <string_view>

namespace psc {
namespace {

// The kernels a generated file carries: only those its layers use (static functions that are never called would
// be warnings, and flash). Plain C99: no CMSIS-NN (not packaged for Debian); the calls in psc_model_invoke() are
// the seam where optimised kernels would be swapped in.
constexpr std::string_view kKernelIntro = R"c(
/* ---- int8 kernels: the integer reference of Paretoscope (docs/quantization.md), in plain C99 ---------------- */

/* Each kernel stays one function that reads its layer's descriptor from flash, however often it is called (no
   per-call clones), and the per-element helpers are always inlined into it: code size, constants and instruction
   counts then follow from the layers alone, as Paretoscope's MCU estimate counts them. */
#if defined(__GNUC__) && !defined(__clang__)
#define PSC_KERNEL static __attribute__((noipa))
#define PSC_INLINE static inline __attribute__((always_inline))
#elif defined(__GNUC__)
#define PSC_KERNEL static __attribute__((noinline))
#define PSC_INLINE static inline __attribute__((always_inline))
#else
#define PSC_KERNEL static
#define PSC_INLINE static
#endif

)c";
constexpr std::string_view kKernelWeights = R"c(typedef struct {
    const uint8_t *data; /* bits < 8: two's complement fields packed LSB first; bits == 1: bit set = +1, clear = -1 */
    int32_t bits;
} psc_weights_t;

PSC_INLINE int32_t psc_weight(const psc_weights_t *w, uint32_t index)
{
    uint32_t pos, byte, shift, field;
    int32_t bits = w->bits;
    if (bits == 8)
        return (int8_t)w->data[index];
    pos = index * (uint32_t)bits;
    byte = pos >> 3;
    shift = pos & 7u;
    field = (uint32_t)w->data[byte] >> shift;
    if (shift + (uint32_t)bits > 8u)
        field |= (uint32_t)w->data[byte + 1] << (8u - shift);
    field &= (1u << bits) - 1u;
    if (bits == 1)
        return field ? 1 : -1;
    return (field & (1u << (bits - 1))) ? (int32_t)field - (1 << bits) : (int32_t)field;
}

)c";
constexpr std::string_view kKernelScale =
    R"c(/* acc * M for the quantised multiplier M = multiplier * 2^(shift - 31), TFLite's way: RoundingDivideByPOT(
   SaturatingRoundingDoublingHighMul(acc << max(shift, 0), multiplier), max(-shift, 0)), the left shift
   saturating. Needs arithmetic right shifts of negative values (GCC, Clang and Arm's compilers do them). */
PSC_INLINE int32_t psc_scale(int32_t acc, int32_t multiplier, int32_t shift)
{
    int64_t x = acc, high;
    if (shift > 0) {
        x *= (int64_t)1 << shift;
        x = x < INT32_MIN ? INT32_MIN : (x > INT32_MAX ? INT32_MAX : x);
    }
    high = (x * multiplier + ((int64_t)1 << 30)) >> 31;
    if (high > INT32_MAX)
        high = INT32_MAX;
    if (shift < 0)
        high = (high + ((int64_t)1 << (-shift - 1)) - (high < 0 ? 1 : 0)) >> -shift;
    return (int32_t)high;
}

/* An accumulator to the output: saturated to int32, scaled, plus the zero point, clamped to [lo, hi]. */
PSC_INLINE int8_t psc_requantize(int64_t acc, int32_t multiplier, int32_t shift, int32_t zero_point, int32_t lo,
                             int32_t hi)
{
    const int32_t a = (int32_t)(acc < INT32_MIN ? INT32_MIN : (acc > INT32_MAX ? INT32_MAX : acc));
    const int64_t v = (int64_t)zero_point + psc_scale(a, multiplier, shift);
    return (int8_t)(v < lo ? lo : (v > hi ? hi : v));
}

)c";
constexpr std::string_view kKernelConvType =
    R"c(/* conv2d, depthwise_conv2d (depth_multiplier > 0) and dense (a 1x1 conv2d on C x 1 x 1); channels first. */
typedef struct {
    int32_t in_c, in_h, in_w, out_c, out_h, out_w;
    int32_t kernel_h, kernel_w, stride_h, stride_w, pad_top, pad_left, depth_multiplier;
    int32_t in_zero_point, out_zero_point, lo, hi;
    psc_weights_t weights; /* OIHW, depthwise [C * multiplier, 1, kh, kw]; pruned layers: the stored values */
    const int32_t *bias, *multiplier;
    const int8_t *shift;
    const struct psc_sparse *sparse; /* NULL: dense weights (psc_conv); else how they are stored (psc_conv_sparse) */
} psc_conv_t;

)c";
constexpr std::string_view kKernelConv =
    R"c(PSC_KERNEL void psc_conv(const psc_conv_t *p, const int8_t *in, int8_t *out)
{
    int32_t oc, oy, ox, ic, ky, kx;
    const int32_t depthwise = p->depth_multiplier > 0;
    const int32_t filter_c = depthwise ? 1 : p->in_c;
    for (oc = 0; oc < p->out_c; ++oc) {
        const uint32_t filter = (uint32_t)oc * (uint32_t)(filter_c * p->kernel_h * p->kernel_w);
        for (oy = 0; oy < p->out_h; ++oy) {
            for (ox = 0; ox < p->out_w; ++ox) {
                int32_t acc = p->bias[oc];
                for (ic = 0; ic < filter_c; ++ic) {
                    const int32_t c = depthwise ? oc / p->depth_multiplier : ic;
                    const int8_t *plane = in + (uint32_t)c * (uint32_t)(p->in_h * p->in_w);
                    for (ky = 0; ky < p->kernel_h; ++ky) {
                        const int32_t y = oy * p->stride_h - p->pad_top + ky;
                        if (y < 0 || y >= p->in_h)
                            continue; /* padding is real 0: it adds nothing */
                        for (kx = 0; kx < p->kernel_w; ++kx) {
                            const int32_t x = ox * p->stride_w - p->pad_left + kx;
                            uint32_t k;
                            if (x < 0 || x >= p->in_w)
                                continue;
                            k = filter + (uint32_t)((ic * p->kernel_h + ky) * p->kernel_w + kx);
                            acc += ((int32_t)plane[y * p->in_w + x] - p->in_zero_point) * psc_weight(&p->weights, k);
                        }
                    }
                }
                out[((uint32_t)oc * (uint32_t)p->out_h + (uint32_t)oy) * (uint32_t)p->out_w + (uint32_t)ox] =
                    psc_requantize(acc, p->multiplier[oc], p->shift[oc], p->out_zero_point, p->lo, p->hi);
            }
        }
    }
}

)c";
constexpr std::string_view kKernelSparseConv =
    R"c(/* psc_conv for pruned layers (docs/formats/export-c.md, "Pruned layers"). A channel's weights are `rows` rows of
   `row_length` elements (window_rows: the kernel positions; else the input channels at one kernel position), stored
   channel after channel, row after row, in the encoding the study charges: 1 presence bits, 2 CSR (column indices
   into the channel's rows, row pointers per channel), 3 DBB (per block of `group`, its presence bits and `slots`
   value slots), 4 N:M (per group of `group`, `slots` values with a position each). Only non-zeros are multiplied. */
typedef struct psc_sparse {
    int32_t encoding, row_length, rows, window_rows, group, slots, position_bits, index_bytes, row_pointer_bytes;
    const uint8_t *index, *row_pointers;
} psc_sparse_t;

PSC_INLINE uint32_t psc_field(const uint8_t *data, uint32_t index, int32_t bits)
{
    uint32_t pos, field;
    if (bits == 0)
        return 0;
    pos = index * (uint32_t)bits;
    field = (uint32_t)data[pos >> 3] >> (pos & 7u);
    if ((pos & 7u) + (uint32_t)bits > 8u)
        field |= (uint32_t)data[(pos >> 3) + 1] << (8u - (pos & 7u));
    return field & ((1u << bits) - 1u);
}

PSC_INLINE uint32_t psc_little_endian(const uint8_t *data, uint32_t index, int32_t bytes)
{
    const uint8_t *p = data + index * (uint32_t)bytes;
    uint32_t v = 0;
    int32_t b;
    for (b = bytes - 1; b >= 0; --b)
        v = (v << 8) | p[b];
    return v;
}

/* Element e of row r of output channel oc times weight w, at output (oy, ox); padding is real 0: it adds nothing. */
PSC_INLINE int32_t psc_tap(const psc_conv_t *p, const int8_t *in, int32_t oc, int32_t oy, int32_t ox, int32_t r,
                           int32_t e, int32_t w)
{
    const int32_t window = p->sparse->window_rows;
    const int32_t c = window ? (p->depth_multiplier > 0 ? oc / p->depth_multiplier : 0) : e;
    const int32_t position = window ? e : r;
    const int32_t y = oy * p->stride_h - p->pad_top + position / p->kernel_w;
    const int32_t x = ox * p->stride_w - p->pad_left + position % p->kernel_w;
    if (y < 0 || y >= p->in_h || x < 0 || x >= p->in_w)
        return 0;
    return ((int32_t)in[((uint32_t)c * (uint32_t)p->in_h + (uint32_t)y) * (uint32_t)p->in_w + (uint32_t)x] -
            p->in_zero_point) * w;
}

PSC_KERNEL void psc_conv_sparse(const psc_conv_t *p, const int8_t *in, int8_t *out)
{
    const psc_sparse_t *s = p->sparse;
    const int32_t length = s->row_length;
    int32_t oc, oy, ox, r, g, t;
    uint32_t row_slots = 0, first = 0, next = 0;
    for (g = 0; s->encoding >= 3 && g < length; g += s->group) {
        const int32_t group = length - g < s->group ? length - g : s->group;
        row_slots += (uint32_t)(s->slots < group ? s->slots : group);
    }
    for (oc = 0; oc < p->out_c; ++oc) {
        for (oy = 0; oy < p->out_h; ++oy) {
            for (ox = 0; ox < p->out_w; ++ox) {
                int32_t acc = p->bias[oc];
                uint32_t v = 0, end = 0;
                next = first;
                if (s->encoding == 2) {
                    v = psc_little_endian(s->row_pointers, (uint32_t)oc, s->row_pointer_bytes);
                    end = psc_little_endian(s->row_pointers, (uint32_t)oc + 1u, s->row_pointer_bytes);
                }
                for (r = 0; r < s->rows; ++r) {
                    const uint32_t row = (uint32_t)oc * (uint32_t)s->rows + (uint32_t)r;
                    switch (s->encoding) {
                    case 1: /* presence bits: the next stored value for each set bit */
                        for (t = 0; t < length; ++t)
                            if (psc_field(s->index, row * (uint32_t)length + (uint32_t)t, 1))
                                acc += psc_tap(p, in, oc, oy, ox, r, t, psc_weight(&p->weights, next++));
                        break;
                    case 2: /* CSR: the channel's entries whose column falls in this row */
                        for (; v < end; ++v) {
                            const uint32_t column = psc_little_endian(s->index, v, s->index_bytes);
                            if (column >= (uint32_t)(r + 1) * (uint32_t)length)
                                break;
                            acc += psc_tap(p, in, oc, oy, ox, r, (int32_t)(column - (uint32_t)r * (uint32_t)length),
                                           psc_weight(&p->weights, v));
                        }
                        break;
                    case 3: /* DBB: each block's presence bits, then its value slots */
                        v = row * row_slots;
                        for (g = 0; g < length; g += s->group) {
                            const int32_t group = length - g < s->group ? length - g : s->group;
                            uint32_t used = 0;
                            for (t = 0; t < group; ++t)
                                if (psc_field(s->index, row * (uint32_t)length + (uint32_t)(g + t), 1))
                                    acc += psc_tap(p, in, oc, oy, ox, r, g + t, psc_weight(&p->weights, v + used++));
                            v += (uint32_t)(s->slots < group ? s->slots : group);
                        }
                        break;
                    default: /* N:M: each group's slots, a value and its position (padding slots hold 0) */
                        v = row * row_slots;
                        for (g = 0; g < length; g += s->group) {
                            const int32_t group = length - g < s->group ? length - g : s->group;
                            const int32_t slots = s->slots < group ? s->slots : group;
                            for (t = 0; t < slots; ++t, ++v) {
                                const int32_t w = psc_weight(&p->weights, v);
                                if (w)
                                    acc += psc_tap(p, in, oc, oy, ox, r,
                                                   g + (int32_t)psc_field(s->index, v, s->position_bits), w);
                            }
                        }
                    }
                }
                out[((uint32_t)oc * (uint32_t)p->out_h + (uint32_t)oy) * (uint32_t)p->out_w + (uint32_t)ox] =
                    psc_requantize(acc, p->multiplier[oc], p->shift[oc], p->out_zero_point, p->lo, p->hi);
            }
        }
        first = next;
    }
}

)c";
constexpr std::string_view kKernelFactorized =
    R"c(/* low_rank (groups1 = groups2 = 1) and kronecker: per pixel, stage one (V, or B on each row of X [i1, i2]) to the
   int8 intermediate, stage two (U, or A on each column of T [i1, o2]) with bias, requantisation and activation. */
typedef struct {
    int32_t pixels, kronecker;
    int32_t groups1, segment1, rows1; /* stage one: groups1 segments of segment1 inputs, rows1 factor rows */
    int32_t groups2, rows2, length2;  /* stage two: groups2 segments of length2 intermediates, rows2 rows */
    int32_t in_zero_point, mid_zero_point, out_zero_point, lo, hi;
    psc_weights_t factor, weights;
    const int32_t *factor_multiplier, *bias, *multiplier;
    const int8_t *factor_shift, *shift;
} psc_factorized_t;

PSC_KERNEL void psc_factorized(const psc_factorized_t *p, const int8_t *in, int8_t *mid, int8_t *out)
{
    int32_t pixel, g, j, t;
    const uint32_t pixels = (uint32_t)p->pixels;
    for (pixel = 0; pixel < p->pixels; ++pixel) {
        for (g = 0; g < p->groups1; ++g) {
            for (j = 0; j < p->rows1; ++j) {
                int32_t acc = 0;
                for (t = 0; t < p->segment1; ++t)
                    acc += ((int32_t)in[(uint32_t)(g * p->segment1 + t) * pixels + (uint32_t)pixel] - p->in_zero_point) *
                           psc_weight(&p->factor, (uint32_t)(j * p->segment1 + t));
                mid[p->kronecker ? j * p->groups1 + g : j] =
                    psc_requantize(acc, p->factor_multiplier[j], p->factor_shift[j], p->mid_zero_point, -128, 127);
            }
        }
        for (g = 0; g < p->groups2; ++g) {
            for (j = 0; j < p->rows2; ++j) {
                const int32_t o = p->kronecker ? j * p->groups2 + g : j;
                int32_t acc = 0;
                for (t = 0; t < p->length2; ++t)
                    acc += ((int32_t)mid[g * p->length2 + t] - p->mid_zero_point) *
                           psc_weight(&p->weights, (uint32_t)(j * p->length2 + t));
                out[(uint32_t)o * pixels + (uint32_t)pixel] = psc_requantize(
                    (int64_t)acc + p->bias[o], p->multiplier[o], p->shift[o], p->out_zero_point, p->lo, p->hi);
            }
        }
    }
}

)c";
constexpr std::string_view kKernelPool =
    R"c(/* max and average pooling over the real (unpadded) elements; the mean of the real values (relative to the
   zero point) rounds half away from zero. */
typedef struct {
    int32_t channels, in_h, in_w, out_h, out_w, kernel_h, kernel_w, stride_h, stride_w, pad_top, pad_left;
    int32_t is_max, out_zero_point, lo, hi;
} psc_pool_t;

PSC_KERNEL void psc_pool(const psc_pool_t *p, const int8_t *in, int8_t *out)
{
    int32_t c, oy, ox, y, x;
    for (c = 0; c < p->channels; ++c) {
        const int8_t *plane = in + (uint32_t)c * (uint32_t)(p->in_h * p->in_w);
        for (oy = 0; oy < p->out_h; ++oy) {
            const int32_t y0 = oy * p->stride_h - p->pad_top;
            const int32_t y_begin = y0 > 0 ? y0 : 0;
            const int32_t y_end = y0 + p->kernel_h < p->in_h ? y0 + p->kernel_h : p->in_h;
            for (ox = 0; ox < p->out_w; ++ox) {
                const int32_t x0 = ox * p->stride_w - p->pad_left;
                const int32_t x_begin = x0 > 0 ? x0 : 0;
                const int32_t x_end = x0 + p->kernel_w < p->in_w ? x0 + p->kernel_w : p->in_w;
                int32_t acc = p->is_max ? INT32_MIN : 0, count, value = p->out_zero_point;
                for (y = y_begin; y < y_end; ++y)
                    for (x = x_begin; x < x_end; ++x) {
                        const int32_t v = plane[y * p->in_w + x];
                        acc = p->is_max ? (v > acc ? v : acc) : acc + v;
                    }
                count = (y_end > y_begin ? y_end - y_begin : 0) * (x_end > x_begin ? x_end - x_begin : 0);
                if (count > 0 && p->is_max)
                    value = acc;
                else if (count > 0) {
                    const int32_t real = acc - count * p->out_zero_point;
                    value = p->out_zero_point + (real >= 0 ? (real + count / 2) / count : (real - count / 2) / count);
                }
                *out++ = (int8_t)(value < p->lo ? p->lo : (value > p->hi ? p->hi : value));
            }
        }
    }
}

)c";
constexpr std::string_view kKernelMean =
    R"c(/* global average pooling, TFLite's MEAN: the plane's sum of q - zp_in times multiplier * 2^(shift - 31), rounded
   once, half away from zero, to the output's own scale. */
typedef struct {
    int32_t channels, elements, in_zero_point, out_zero_point, multiplier, shift, lo, hi;
} psc_mean_t;

PSC_KERNEL void psc_mean(const psc_mean_t *p, const int8_t *in, int8_t *out)
{
    int32_t c, e;
    const int32_t total = 31 - p->shift;
    const int64_t half = (int64_t)1 << (total - 1);
    for (c = 0; c < p->channels; ++c) {
        int64_t acc = 0, x, v;
        for (e = 0; e < p->elements; ++e)
            acc += *in++;
        x = (acc - (int64_t)p->elements * p->in_zero_point) * p->multiplier;
        v = p->out_zero_point + (x >= 0 ? (x + half) >> total : -((-x + half) >> total));
        out[c] = (int8_t)(v < p->lo ? p->lo : (v > p->hi ? p->hi : v));
    }
}

)c";
constexpr std::string_view kKernelAdd =
    R"c(/* add, TFLite's way: each input (q - zp) << 20 scaled by s_i / (2 max s), the sum by (2 max s) / (2^20 s_out). */
typedef struct {
    int32_t elements, count;
    const int32_t *zero_points, *multiplier; /* multiplier/shift: one per input, then the output's */
    const int8_t *shift;
    int32_t out_zero_point, lo, hi;
} psc_add_t;

PSC_KERNEL void psc_add(const psc_add_t *p, const int8_t *const *in, int8_t *out)
{
    int32_t e, k;
    for (e = 0; e < p->elements; ++e) {
        int64_t sum = 0;
        for (k = 0; k < p->count; ++k)
            sum += psc_scale(((int32_t)in[k][e] - p->zero_points[k]) * (1 << 20), p->multiplier[k], p->shift[k]);
        out[e] = psc_requantize(sum, p->multiplier[p->count], p->shift[p->count], p->out_zero_point, p->lo, p->hi);
    }
}

)c";
constexpr std::string_view kKernelClamp = R"c(/* relu / relu6 that could not be fused: a clamp. */
PSC_KERNEL void psc_clamp(int32_t elements, int32_t lo, int32_t hi, const int8_t *in, int8_t *out)
{
    int32_t e;
    for (e = 0; e < elements; ++e)
        out[e] = (int8_t)(in[e] < lo ? lo : (in[e] > hi ? hi : in[e]));
}
)c";

} // namespace

std::string cKernelsFor(const NetworkDescription &net, bool sparse, bool dense)
{
    auto any = [&](std::initializer_list<LayerType> types) {
        return std::any_of(net.layers.begin(), net.layers.end(), [&](const LayerSpec &l) {
            return std::find(types.begin(), types.end(), l.type) != types.end();
        });
    };
    const bool conv = any({LayerType::Conv2d, LayerType::DepthwiseConv2d, LayerType::Dense});
    const bool factorized = any({LayerType::LowRank, LayerType::Kronecker});
    const bool add = any({LayerType::Add});
    const bool mean = any({LayerType::GlobalAvgPool});
    std::string out(kKernelIntro);
    if (conv || factorized)
        out += kKernelWeights;
    if (conv || factorized || add)
        out += kKernelScale;
    if (conv)
        out += kKernelConvType;
    if (conv && dense)
        out += kKernelConv;
    if (conv && sparse)
        out += kKernelSparseConv;
    if (factorized)
        out += kKernelFactorized;
    if (any({LayerType::MaxPool2d, LayerType::AvgPool2d}))
        out += kKernelPool;
    if (mean)
        out += kKernelMean;
    if (add)
        out += kKernelAdd;
    if (any({LayerType::Relu, LayerType::Relu6}))
        out += kKernelClamp;
    return out;
}

} // namespace psc
