// SPDX-License-Identifier: GPL-3.0-or-later
// The C export: one C99 source and header per model, int8 kernels in plain C that compute exactly what the integer
// reference (psc/quant/integerinference.h, docs/quantization.md) computes. docs/formats/export-c.md describes
// the files.

#include "export/csparse.h"
#include "export/exporters.h"

#include "psc/compress/weightencoding.h"
#include "psc/core/error.h"
#include "psc/net/deployedmemory.h"
#include "psc/net/memoryplanner.h"
#include "psc/net/shapeinference.h"
#include "psc/net/window.h"
#include "psc/quant/integerinference.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <sstream>
#include <stdexcept>

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

/** A C identifier fragment and comment text from a layer name: letters, digits and '_' only. */
std::string cName(const std::string &name)
{
    std::string out;
    for (const char ch : name)
        out += std::isalnum(static_cast<unsigned char>(ch)) ? ch : '_';
    return out.empty() ? std::string("_") : out;
}

/** The bit-width a tensor of weights is stored with: its own, except binary weights with a zero (an all-zero
 *  channel, which binary cannot express) go to 2 bits. */
int storageBits(const std::vector<std::int8_t> &values, int bits)
{
    if (bits == 1 && std::any_of(values.begin(), values.end(), [](std::int8_t v) { return v == 0; }))
        return 2;
    return bits;
}

class Source
{
public:
    std::ostringstream text;
    std::int64_t constantBytes = 0;
    std::int64_t weightBytes = 0;

    template <typename T> std::string array(const std::string &type, const std::string &name, const std::vector<T> &v)
    {
        text << "static const " << type << ' ' << name << '[' << std::max<std::size_t>(v.size(), 1) << "] = {";
        for (std::size_t i = 0; i < v.size(); ++i) {
            if (i % 16 == 0)
                text << "\n   ";
            text << ' ' << std::int64_t(v[i]) << ',';
        }
        if (v.empty())
            text << " 0";
        text << "\n};\n";
        constantBytes += std::int64_t(v.size() * sizeof(T));
        return name;
    }

    /** Packed weights; returns the psc_weights_t initialiser. */
    std::string weights(const std::string &name, const std::vector<std::int8_t> &values, int bits)
    {
        const int stored = storageBits(values, bits);
        const std::vector<std::uint8_t> packed = packWeightFields(values, stored);
        array("uint8_t", name, packed);
        weightBytes += std::int64_t(packed.size());
        return "{" + name + ", " + std::to_string(stored) + "}";
    }

    /** A pruned layer's weight streams and their psc_sparse_t; returns the psc_weights_t initialiser and sets
     *  `descriptor` to the psc_sparse_t's name. */
    std::string sparseWeights(const std::string &name, const CSparseWeights &w, std::string &descriptor)
    {
        array("uint8_t", name, w.values);
        const std::string index = array("uint8_t", name + "_index", w.index);
        const std::string rowPointers =
            w.rowPointers.empty() ? "NULL" : array("uint8_t", name + "_rows", w.rowPointers);
        weightBytes += w.bytes();
        const int encoding = w.encoding == WeightEncoding::Bitmask ? 1
                             : w.encoding == WeightEncoding::Csr   ? 2
                             : w.encoding == WeightEncoding::Dbb   ? 3
                                                                   : 4;
        descriptor = name + "_sparse";
        text << "static const psc_sparse_t " << descriptor << " = {" << encoding << ", " << w.rowLength << ", "
             << w.rows << ", " << (w.windowRows ? 1 : 0) << ", " << w.group << ", " << w.groupSlots << ", "
             << w.positionBits << ", " << w.indexBytes << ", " << w.rowPointerBytes << ", " << index << ", "
             << rowPointers << "}; /* " << toString(w.encoding) << " */\n";
        constantBytes += 9 * 4 + 2 * 4;
        return "{" + name + ", " + std::to_string(w.bits) + "}";
    }
};

std::vector<std::int32_t> multipliersOf(const std::vector<QuantizedMultiplier> &ms)
{
    std::vector<std::int32_t> out;
    for (const QuantizedMultiplier &m : ms)
        out.push_back(m.multiplier);
    return out;
}

std::vector<std::int8_t> shiftsOf(const std::vector<QuantizedMultiplier> &ms)
{
    std::vector<std::int8_t> out;
    for (const QuantizedMultiplier &m : ms)
        out.push_back(std::int8_t(m.shift));
    return out;
}

std::string joined(std::initializer_list<std::int64_t> values)
{
    std::string out;
    for (const std::int64_t v : values)
        out += (out.empty() ? "" : ", ") + std::to_string(v);
    return out;
}

std::string upper(std::string text)
{
    for (char &ch : text)
        ch = char(std::toupper(static_cast<unsigned char>(ch)));
    return text;
}

std::string floatLiteral(double v)
{
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%.9g", v);
    std::string s = buffer;
    if (s.find_first_of(".en") == std::string::npos)
        s += ".0";
    return s + "f";
}

constexpr int kExternalInput = DeployedTensors::kCallerInput;

/** The kernels the layers of `net` call, with what they need; `sparse`/`dense`: whether some conv2d, depthwise or
 *  dense layer stores its weights as a bitmask / not. */
std::string kernelsFor(const NetworkDescription &net, bool sparse, bool dense)
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

class CExporter final : public Exporter
{
public:
    ExportFormat format() const override { return ExportFormat::C; }
    std::string extension() const override { return "c"; }

    ExportOutput write(const IntegerModel &model, const ExportOptions &options) const override
    {
        const NetworkDescription &net = model.network();
        const std::vector<std::vector<int>> inputs = layerInputIndices(net);
        const std::vector<Shape> shapes = inferShapes(net, inputs);
        const std::vector<LayerQuantization> &lqs = model.layers();
        const std::size_t n = net.layers.size();
        ExportOutput out;

        // Tensors: every layer with a kernel writes one; flatten and softmax pass their input on (shared with the MCU
        // cost model's "paretoscope-c" runtime, so the arena it charges is this one).
        const DeployedTensors layout = deployedTensors(net);
        const std::vector<TensorLifetime> &tensors = layout.tensors;
        const std::vector<int> &tensorOf = layout.tensorOf;
        const std::vector<int> &stepOf = layout.stepOf;
        const std::vector<int> &scratchOf = layout.scratchOf;
        auto tensorOfInput = [&](std::size_t i, std::size_t k) {
            const int j = inputs[i][k];
            return j == kNetworkInput ? kExternalInput : tensorOf[std::size_t(j)];
        };
        for (std::size_t i = 0; i < n; ++i)
            if (scratchOf[i] >= 0 && tensors[std::size_t(scratchOf[i])].bytes != midElements(net.layers[i], lqs[i]))
                throw std::logic_error("C export: the intermediate of layer " + net.layers[i].name +
                                       " does not match its factor shape");
        const int outputTensor = tensorOf.back();
        MemoryPlanner planner;
        for (const TensorLifetime &t : tensors)
            planner.addTensor(t);
        const MemoryPlan plan = planner.plan();

        // Pruned layers in the sparse encoding the study charges for them (csparse.h); the others dense.
        std::vector<std::optional<CSparseWeights>> sparse(n);
        std::vector<std::string> fallbacks(n);
        bool anySparse = false, anyDense = false;
        for (std::size_t i = 0; i < n; ++i) {
            const LayerSpec &l = net.layers[i];
            if (l.type != LayerType::Conv2d && l.type != LayerType::DepthwiseConv2d && l.type != LayerType::Dense)
                continue;
            const Shape &in = inputs[i][0] == kNetworkInput ? net.input : shapes[std::size_t(inputs[i][0])];
            sparse[i] = encodeSparseWeights(l, in, lqs[i].weights, lqs[i].weightBits, &fallbacks[i]);
            (sparse[i] ? anySparse : anyDense) = true;
        }

        const std::string base = cName(options.baseName);
        const std::string macro = "PSC_MODEL_";
        const Shape &input = net.input;
        const int outputSize = model.outputSize();

        std::ostringstream header;
        header << "/* " << options.baseName << ".h: the network \"" << cName(net.name)
               << "\" as int8 C99, written by Paretoscope";
        if (!options.source.empty())
            header << " from " << options.source;
        header << ".\n   docs/formats/export-c.md describes these files. */\n"
               << "#ifndef PSC_MODEL_" << upper(base) << "_H\n#define PSC_MODEL_" << upper(base) << "_H\n\n"
               << "#include <stdint.h>\n\n"
               << "/* Input: int8, channels first (C x H x W); from 8-bit pixels q = pixel - 128. */\n"
               << "#define " << macro << "INPUT_CHANNELS " << input.channels << "\n"
               << "#define " << macro << "INPUT_HEIGHT " << input.height << "\n"
               << "#define " << macro << "INPUT_WIDTH " << input.width << "\n"
               << "#define " << macro << "INPUT_SIZE " << input.elements() << "\n"
               << "#define " << macro << "INPUT_SCALE " << floatLiteral(model.inputParams().scale) << "\n"
               << "#define " << macro << "INPUT_ZERO_POINT " << model.inputParams().zeroPoint << "\n"
               << "/* Output: the int8 logits (the input of a final softmax); real = scale * (q - zero_point). */\n"
               << "#define " << macro << "OUTPUT_SIZE " << outputSize << "\n"
               << "#define " << macro << "OUTPUT_SCALE " << floatLiteral(model.outputParams().scale) << "\n"
               << "#define " << macro << "OUTPUT_ZERO_POINT " << model.outputParams().zeroPoint << "\n"
               << "/* Bytes of the static activation arena (RAM), placed by Paretoscope's memory planner. */\n"
               << "#define " << macro << "ARENA_SIZE " << plan.arenaBytes << "\n\n"
               << "#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n"
               << "/* Runs one inference; returns 0. Not reentrant: the arena is static. */\n"
               << "int psc_model_invoke(const int8_t *input, int8_t *output);\n\n"
               << "#ifdef __cplusplus\n}\n#endif\n\n#endif\n";

        Source src;
        src.text << "/* " << options.baseName << ".c: the network \"" << cName(net.name)
                 << "\" as int8 C99, written by Paretoscope";
        if (!options.source.empty())
            src.text << " from " << options.source;
        src.text << ".\n   Bit-exact with Paretoscope's integer reference inference (docs/quantization.md). */\n"
                 << "#include \"" << options.baseName << ".h\"\n\n#include <stdint.h>\n#include <string.h>\n"
                 << kernelsFor(net, anySparse, anyDense) << "\n/* ---- the model ---- */\n\n"
                 << "static int8_t psc_arena[" << std::max<std::int64_t>(plan.arenaBytes, 1)
                 << "] __attribute__((aligned(16)));\n\n";

        std::ostringstream calls;
        auto pointer = [&](int tensor) {
            return tensor == kExternalInput ? std::string("input")
                                            : "(psc_arena + " + std::to_string(plan.offsets[std::size_t(tensor)]) + ")";
        };
        for (std::size_t i = 0; i < n; ++i) {
            if (stepOf[i] < 0)
                continue;
            const LayerSpec &l = net.layers[i];
            const LayerQuantization &q = lqs[i];
            const std::string id = "l" + std::to_string(i) + "_" + cName(l.name);
            const Shape &in = inputs[i][0] == kNetworkInput ? net.input : shapes[std::size_t(inputs[i][0])];
            const Shape &o = shapes[i];
            const std::string dst = pointer(tensorOf[i]);
            const std::string srcPtr = pointer(tensorOfInput(i, 0));
            src.text << "/* layer " << i << ": " << cName(l.name) << " (" << toString(l.type) << "), " << toString(in)
                     << " -> " << toString(o) << " */\n";
            const int lo = q.clampMin, hi = q.clampMax;
            switch (l.type) {
            case LayerType::Conv2d:
            case LayerType::DepthwiseConv2d:
            case LayerType::Dense: {
                const bool dense = l.type == LayerType::Dense;
                const bool depthwise = l.type == LayerType::DepthwiseConv2d;
                const WindowAxis h =
                    dense ? WindowAxis{1, 0, 0, 1} : windowAxis(in.height, l.kernelH, l.strideH, l.padding);
                const WindowAxis w =
                    dense ? WindowAxis{1, 0, 0, 1} : windowAxis(in.width, l.kernelW, l.strideW, l.padding);
                std::string descriptor = "NULL";
                const std::string weights = sparse[i] ? src.sparseWeights(id + "_w", *sparse[i], descriptor)
                                                      : src.weights(id + "_w", q.weights, q.weightBits);
                if (sparse[i])
                    descriptor = "&" + descriptor;
                src.array("int32_t", id + "_b", q.bias);
                src.array("int32_t", id + "_m", multipliersOf(q.multipliers));
                src.array("int8_t", id + "_s", shiftsOf(q.multipliers));
                const std::int64_t inC = dense ? in.elements() : in.channels;
                src.text << "static const psc_conv_t " << id << " = {"
                         << joined({inC, dense ? 1 : in.height, dense ? 1 : in.width, o.channels, o.height, o.width,
                                    dense ? 1 : l.kernelH, dense ? 1 : l.kernelW, dense ? 1 : l.strideH,
                                    dense ? 1 : l.strideW, h.padBefore, w.padBefore, depthwise ? l.depthMultiplier : 0,
                                    q.inputs[0].zeroPoint, q.output.zeroPoint, lo, hi})
                         << ", " << weights << ", " << id << "_b, " << id << "_m, " << id << "_s, " << descriptor
                         << "};\n\n";
                src.constantBytes += 17 * 4 + 28;
                calls << (sparse[i] ? "    psc_conv_sparse(&" : "    psc_conv(&") << id << ", " << srcPtr << ", " << dst
                      << ");\n";
                break;
            }
            case LayerType::LowRank:
            case LayerType::Kronecker: {
                const bool kron = l.type == LayerType::Kronecker;
                const std::int64_t groups1 = kron ? l.kronA.in : 1, segment1 = q.factorShape.at(1),
                                   rows1 = q.factorShape.at(0), groups2 = kron ? l.kronB.out : 1,
                                   rows2 = q.weightShape.at(0), length2 = q.weightShape.at(1);
                const std::string factor = src.weights(id + "_f", q.factorWeights, q.weightBits);
                src.array("int32_t", id + "_fm", multipliersOf(q.factorMultipliers));
                src.array("int8_t", id + "_fs", shiftsOf(q.factorMultipliers));
                const std::string weights = src.weights(id + "_w", q.weights, q.weightBits);
                src.array("int32_t", id + "_b", q.bias);
                src.array("int32_t", id + "_m", multipliersOf(q.multipliers));
                src.array("int8_t", id + "_s", shiftsOf(q.multipliers));
                src.text << "static const psc_factorized_t " << id << " = {"
                         << joined({std::int64_t(in.height) * in.width, kron ? 1 : 0, groups1, segment1, rows1, groups2,
                                    rows2, length2, q.inputs[0].zeroPoint, q.intermediate.zeroPoint, q.output.zeroPoint,
                                    lo, hi})
                         << ", " << factor << ", " << weights << ", " << id << "_fm, " << id << "_b, " << id << "_m, "
                         << id << "_fs, " << id << "_s};\n\n";
                src.constantBytes += 13 * 4 + 2 * 8 + 5 * 4;
                calls << "    psc_factorized(&" << id << ", " << srcPtr << ", " << pointer(scratchOf[i]) << ", " << dst
                      << ");\n";
                break;
            }
            case LayerType::GlobalAvgPool: {
                const QuantizedMultiplier &m = q.multipliers.at(0);
                src.text << "static const psc_mean_t " << id << " = {"
                         << joined({in.channels, std::int64_t(in.height) * in.width, q.inputs[0].zeroPoint,
                                    q.output.zeroPoint, m.multiplier, m.shift, lo, hi})
                         << "};\n\n";
                src.constantBytes += 8 * 4;
                calls << "    psc_mean(&" << id << ", " << srcPtr << ", " << dst << ");\n";
                break;
            }
            case LayerType::MaxPool2d:
            case LayerType::AvgPool2d: {
                const WindowAxis h = windowAxis(in.height, l.kernelH, l.strideH, l.padding);
                const WindowAxis w = windowAxis(in.width, l.kernelW, l.strideW, l.padding);
                src.text << "static const psc_pool_t " << id << " = {"
                         << joined({in.channels, in.height, in.width, o.height, o.width, l.kernelH, l.kernelW,
                                    l.strideH, l.strideW, h.padBefore, w.padBefore,
                                    l.type == LayerType::MaxPool2d ? 1 : 0, q.output.zeroPoint, lo, hi})
                         << "};\n\n";
                src.constantBytes += 15 * 4;
                calls << "    psc_pool(&" << id << ", " << srcPtr << ", " << dst << ");\n";
                break;
            }
            case LayerType::Add: {
                std::vector<std::int32_t> zps;
                for (const QuantParams &p : q.inputs)
                    zps.push_back(p.zeroPoint);
                src.array("int32_t", id + "_z", zps);
                src.array("int32_t", id + "_m", multipliersOf(q.multipliers));
                src.array("int8_t", id + "_s", shiftsOf(q.multipliers));
                src.text << "static const psc_add_t " << id << " = {"
                         << joined({o.elements(), std::int64_t(zps.size())}) << ", " << id << "_z, " << id << "_m, "
                         << id << "_s, " << joined({q.output.zeroPoint, lo, hi}) << "};\n\n";
                src.constantBytes += 5 * 4 + 3 * 8;
                calls << "    {\n        const int8_t *const in[" << zps.size() << "] = {";
                for (std::size_t k = 0; k < zps.size(); ++k)
                    calls << (k ? ", " : "") << pointer(tensorOfInput(i, k));
                calls << "};\n        psc_add(&" << id << ", in, " << dst << ");\n    }\n";
                break;
            }
            case LayerType::Relu:
            case LayerType::Relu6:
                calls << "    psc_clamp(" << o.elements() << ", " << lo << ", " << hi << ", " << srcPtr << ", " << dst
                      << ");\n";
                break;
            case LayerType::Flatten:
            case LayerType::Softmax:
                break;
            case LayerType::BatchNorm:
                throw InputError("layer \"" + l.name + "\": an unfolded batch_norm cannot be exported");
            }
            if (!fallbacks[i].empty()) // the weights break their DBB / N:M bound: the study charges less
                out.warnings.push_back("layer " + l.name + ": " + std::string(toString(l.sparsity.pattern)) +
                                       " sparsity stored as " +
                                       (sparse[i] ? std::string(toString(sparse[i]->encoding)) + " (" +
                                                        std::to_string(sparse[i]->bytes()) + " B of weights)"
                                                  : std::string("dense")) +
                                       ", since the trained weights break the bound: " + fallbacks[i]);
            if (q.weightBits == 1 && !sparse[i] &&
                (storageBits(q.weights, 1) != 1 || storageBits(q.factorWeights, 1) != 1))
                out.warnings.push_back("layer " + l.name +
                                       ": binary weights with an all-zero channel are stored at 2 bits");
        }
        src.text << "int psc_model_invoke(const int8_t *input, int8_t *output)\n{\n"
                 << calls.str() << "    memcpy(output, " << pointer(outputTensor) << ", " << outputSize
                 << ");\n    return 0;\n}\n";

        out.files.push_back({options.baseName + ".c", src.text.str()});
        std::string headerText = header.str();
        if (!out.warnings.empty()) {
            // After the opening comment: what this file does not realise of the gains the study shows.
            std::string block = "\n/* " + std::string(kWarningsMetadataName) + ":\n";
            for (std::string line : out.warnings) {
                for (std::size_t at; (at = line.find("*/")) != std::string::npos;)
                    line.replace(at, 2, "* /");
                block += "   - " + line + "\n";
            }
            headerText.insert(headerText.find("*/\n") + 3, block + "*/\n");
        }
        out.files.push_back({options.baseName + ".h", std::move(headerText)});
        out.figures = {{"arena_bytes", double(plan.arenaBytes)},
                       {"weight_bytes", double(src.weightBytes)},
                       {"constant_bytes", double(src.constantBytes)}};
        return out;
    }

private:
    static std::int64_t midElements(const LayerSpec &l, const LayerQuantization &q)
    {
        return l.type == LayerType::Kronecker ? std::int64_t(q.factorShape.at(0)) * l.kronA.in
                                              : std::int64_t(q.factorShape.at(0));
    }
};

} // namespace

std::unique_ptr<Exporter> makeCExporter()
{
    return std::make_unique<CExporter>();
}

} // namespace psc
