// SPDX-License-Identifier: GPL-3.0-or-later
// Estimate of Vela 3.10's weight encoder (docs/research/fidelity-references.md 2.10) from a value distribution.
#include "npuweights.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace psc::targets::npu {

namespace {

constexpr int kSubKernel = 8;          // decomposition of kernels larger than 8 x 8
constexpr int kIfmUblockDepth = 8;     // every configuration's IFM micro-block depth
constexpr int kMaxSliceValues = 32767; // SLICELEN is 15 bits
constexpr int kSliceHeaderBits = 23;   // ZDIV 3, SLICELEN 15, WDIV 3, WTRUNC 1, NEWPAL 1
constexpr int kPaletteHeaderBits = 13; // DIROFS 5, PALSIZE 5, PALBITS 3
constexpr int kEndOfStreamBits = 3;
constexpr double kSwitchBits = 40; // search_grc_params: the cost of changing Golomb-Rice parameters

std::int64_t roundUp(std::int64_t a, std::int64_t b)
{
    return (a + b - 1) / b * b;
}

/** Sign-magnitude code of a weight: 2|w| + sign. */
int palValue(int w)
{
    return (std::abs(w) << 1) | (w < 0 ? 1 : 0);
}

int bitsFor(int value) // palette entry width: at least 2 bits (PALBITS is 2..9)
{
    int bits = 2;
    while ((1 << bits) <= value)
        ++bits;
    return bits;
}

} // namespace

double effectiveSparsity(const plugin::LayerDeployment &deployment)
{
    double s = std::clamp(deployment.sparsity, 0.0, 1.0);
    switch (deployment.pattern) {
    case plugin::SparsityPattern::ChannelStructured:
        return 0.0; // already in the network's shapes
    case plugin::SparsityPattern::Dbb:
        if (deployment.blockSize > 0)
            s = std::max(s, 1.0 - double(std::clamp(deployment.maxNonZeros, 0, deployment.blockSize)) /
                                      deployment.blockSize);
        break;
    case plugin::SparsityPattern::NM:
        if (deployment.m > 0)
            s = std::max(s, 1.0 - double(std::clamp(deployment.n, 0, deployment.m)) / deployment.m);
        break;
    case plugin::SparsityPattern::None:
    case plugin::SparsityPattern::Unstructured:
        break;
    }
    return std::min(s, 1.0);
}

ValueDistribution weightDistribution(const plugin::LayerDeployment &deployment, std::int64_t weightsPerChannel)
{
    ValueDistribution p{};
    if (deployment.weightValues) {
        const double total = double(deployment.weightValues->total());
        if (total > 0) {
            for (int v = -128; v <= 127; ++v)
                p[std::size_t(v + 256)] = double(deployment.weightValues->count(v)) / total;
            return p;
        }
    }
    const int bits = std::clamp(deployment.weightBits, 1, 8);
    const int top = bits == 1 ? 1 : (1 << (bits - 1)) - 1;
    const double beta = double(top) / std::log(double(std::max<std::int64_t>(weightsPerChannel, 3)));
    // Each code takes the Laplace mass that rounds to it; the tails beyond the top code are clipped onto it.
    double sum = 0;
    for (int v = -top; v <= top; ++v) {
        const double a = std::abs(v);
        const double mass = v == 0     ? 1 - std::exp(-0.5 / beta)
                            : a == top ? 0.5 * std::exp(-(a - 0.5) / beta)
                                       : 0.5 * (std::exp(-(a - 0.5) / beta) - std::exp(-(a + 0.5) / beta));
        sum += p[std::size_t(v + 256)] = mass;
    }
    const double s = effectiveSparsity(deployment);
    for (double &x : p)
        x *= (1.0 - s) / sum;
    p[256] += s;
    return p;
}

namespace {

std::vector<std::pair<double, double>> paddingStretches(const WeightLayout &l, int depth)
{
    // Long runs of padding zeros in the reorder's order (mlw_encode.c reorder): part-kernel-first pads each
    // sub-kernel's elements to a multiple of 4, and each padded element is one OFM micro-block x 8 IFM channels of
    // zeros in a row; depth-first pads the last IFM block to 32 channels, and its empty 8-channel micro-blocks come in
    // a row after the real ones, for every kernel element. Depthwise padding comes in short runs and is left out.
    std::vector<std::pair<double, double>> stretches; // (count, length)
    if (l.depthwise)
        return stretches;
    double ofmUblocks = 0;
    const int block = std::max(1, l.ofmBlockDepth);
    for (int z = 0; z < depth; z += block)
        ofmUblocks += double((std::min(block, depth - z) + l.ofmUblockDepth - 1) / l.ofmUblockDepth);
    const double group = double(l.ofmUblockDepth) * kIfmUblockDepth;
    if (l.partKernel) {
        double ifmUblocks = 0;
        for (int z = 0; z < l.ifmDepth; z += 16)
            ifmUblocks += double((std::min(16, l.ifmDepth - z) + kIfmUblockDepth - 1) / kIfmUblockDepth);
        for (int y = 0; y < l.kernelH; y += kSubKernel)
            for (int x = 0; x < l.kernelW; x += kSubKernel) {
                const std::int64_t e =
                    std::int64_t(std::min(kSubKernel, l.kernelH - y)) * std::min(kSubKernel, l.kernelW - x);
                if (const std::int64_t pad = roundUp(e, 4) - e; pad > 0)
                    stretches.emplace_back(ofmUblocks * ifmUblocks, double(pad) * group);
            }
    } else {
        const int last = l.ifmDepth - (l.ifmDepth - 1) / 32 * 32; // channels of the last IFM block
        const int empty = 4 - (last + kIfmUblockDepth - 1) / kIfmUblockDepth;
        if (empty > 0)
            stretches.emplace_back(ofmUblocks * double(l.kernelH) * l.kernelW, double(empty) * group);
    }
    return stretches;
}

} // namespace

std::int64_t paddedStreamValues(const WeightLayout &l, int depth)
{
    // mlw_encode.c reorder: per OFM block, per IFM block, per sub-kernel (at most 8 x 8), the kernel elements
    // (padded to 4 for depthwise and part-kernel-first) times OFM micro-blocks times IFM micro-blocks.
    std::int64_t kernelElements = 0;
    for (int y = 0; y < l.kernelH; y += kSubKernel)
        for (int x = 0; x < l.kernelW; x += kSubKernel) {
            const std::int64_t e =
                std::int64_t(std::min(kSubKernel, l.kernelH - y)) * std::min(kSubKernel, l.kernelW - x);
            kernelElements += l.depthwise || l.partKernel ? roundUp(e, 4) : e;
        }
    std::int64_t ifmValues = 0; // IFM channel slots per kernel element and OFM channel
    if (l.depthwise) {
        ifmValues = 1;
    } else if (l.partKernel) {
        for (int z = 0; z < l.ifmDepth; z += 16)
            ifmValues += roundUp(std::min(16, l.ifmDepth - z), kIfmUblockDepth);
    } else {
        ifmValues = roundUp(l.ifmDepth, 32);
    }
    std::int64_t values = 0;
    const int block = std::max(1, l.ofmBlockDepth);
    for (int z = 0; z < depth; z += block)
        values += roundUp(std::min(block, depth - z), l.ofmUblockDepth) * kernelElements * ifmValues;
    return values;
}

StreamEstimate encodeStream(const WeightLayout &l, int depth, const ValueDistribution &values)
{
    StreamEstimate out;
    if (depth <= 0)
        return out;
    const double real =
        double(depth) * (l.weightsPerChannel > 0 ? double(l.weightsPerChannel)
                                                 : double(l.kernelH) * l.kernelW * (l.depthwise ? 1 : l.ifmDepth));
    const double n = double(std::max<std::int64_t>(paddedStreamValues(l, depth), std::int64_t(real)));
    ValueDistribution freq{}; // expected counts in this stream
    for (std::size_t i = 0; i < freq.size(); ++i)
        freq[i] = values[i] * real;
    freq[256] += n - real; // padding

    // find_palette: zero runs when zero is the most common value and more than 4x as common as the next.
    double first = 0, second = 0;
    int firstValue = 0;
    for (int v = -256; v < 256; ++v) {
        const double f = freq[std::size_t(v + 256)];
        if (f > first) {
            second = first;
            first = f;
            firstValue = v;
        } else if (f > second) {
            second = f;
        }
    }
    const bool zeroRuns = firstValue == 0 && first > 4 * second;
    // create_palette: the (up to) 32 most frequent values, used if they cover more than half of what is coded.
    std::vector<std::pair<double, int>> byFrequency; // (count, palValue)
    double coded = 0;
    int maxPalValue = 0;
    for (int v = -255; v < 256; ++v) {
        const double f = freq[std::size_t(v + 256)];
        if ((v == 0 && zeroRuns) || f <= 0)
            continue;
        byFrequency.emplace_back(f, palValue(v));
        coded += f;
        maxPalValue = std::max(maxPalValue, palValue(v));
    }
    std::sort(byFrequency.begin(), byFrequency.end(), [](const auto &a, const auto &b) {
        return a.first != b.first ? a.first > b.first : a.second > b.second;
    });
    std::vector<bool> used(512, false);
    for (const auto &[f, pv] : byFrequency)
        used[std::size_t(pv)] = true;
    int directOffset = 0;
    while (directOffset < 31 && !used[std::size_t(directOffset)])
        ++directOffset;
    const bool onlyPalette = !byFrequency.empty() && byFrequency.size() <= 32;
    int maxPalette = onlyPalette ? 32 : std::min(32, 511 - maxPalValue);
    if (maxPalette == 1)
        maxPalette = 0;
    int palsize = 0, paletteMax = 0;
    double paletteCount = 0;
    for (; palsize < maxPalette && palsize < int(byFrequency.size()); ++palsize) {
        paletteCount += byFrequency[std::size_t(palsize)].first;
        paletteMax = std::max(paletteMax, byFrequency[std::size_t(palsize)].second);
    }
    if (palsize == 1)
        palsize = 2; // a palette of one entry is not supported
    const bool usePalette = paletteCount > coded / 2;
    if (!usePalette)
        palsize = 0;
    const int palbits = bitsFor(usePalette ? paletteMax : maxPalValue);
    int uncompressedBits = 100;
    if (onlyPalette && usePalette) {
        uncompressedBits = 0;
        while ((1 << uncompressedBits) < palsize)
            ++uncompressedBits;
    } else if (!usePalette) {
        uncompressedBits = palbits;
    }
    // The index each value is coded as: its palette rank, or its sign-magnitude code past the palette.
    std::vector<std::pair<double, int>> indices; // (count, index)
    for (std::size_t r = 0; r < byFrequency.size(); ++r) {
        const auto &[f, pv] = byFrequency[r];
        indices.emplace_back(f, int(r) < palsize ? int(r) : pv + palsize - directOffset);
    }
    // Golomb-Rice: the best single parameter over the stream. Vela's search switches parameters where that saves
    // more than the 40 bits a switch costs: through a long run of padding zeros it codes each zero in the fewest bits
    // any parameter allows, for two switches.
    int zeroIndex = -1; // the index value 0 is coded as, if it is coded at all (not as zero runs)
    for (std::size_t r = 0; r < byFrequency.size(); ++r)
        if (byFrequency[r].second == 0)
            zeroIndex = indices[r].second;
    const std::vector<std::pair<double, double>> stretches =
        zeroRuns || zeroIndex < 0 ? std::vector<std::pair<double, double>>() : paddingStretches(l, depth);
    auto costOf = [&](int trunc, int div, int index) {
        const int q = index >> div;
        if (trunc == 2)
            return double(uncompressedBits);
        if ((trunc == 1 && q > 2) || q > 31)
            return std::numeric_limits<double>::infinity();
        return double(trunc ? std::min(q + 1, 2) + div : q + 1 + div);
    };
    double zeroBest = std::numeric_limits<double>::infinity();
    for (int trunc = 0; trunc <= 2; ++trunc)
        for (int div = 0; div <= (trunc == 2 ? 0 : 5); ++div)
            if (zeroIndex >= 0)
                zeroBest = std::min(zeroBest, costOf(trunc, div, zeroIndex));
    double weightBits = std::numeric_limits<double>::infinity();
    for (int trunc = 0; trunc <= 2; ++trunc)
        for (int div = 0; div <= (trunc == 2 ? 0 : 5); ++div) {
            double bits = 0;
            for (const auto &[f, index] : indices)
                bits += f * costOf(trunc, div, index);
            for (const auto &[count, length] : stretches) {
                const double here = length * costOf(trunc, div, zeroIndex);
                bits -= count * std::max(0.0, here - (2 * kSwitchBits + length * zeroBest));
            }
            weightBits = std::min(weightBits, bits);
        }
    // Zero runs: one run length before every coded value and one at the end; zeros taken as randomly placed,
    // P(run >= m) = p^m, so E[run >> d] = x / (1 - x) with x = p^(2^d); the runs hold no more than the zeros.
    double zeroBits = 0;
    if (zeroRuns) {
        const double runs = coded + 1, zeros = freq[256], p = zeros / (zeros + coded);
        zeroBits = std::numeric_limits<double>::infinity();
        for (int d = 0; d <= 3; ++d) {
            const double x = std::pow(p, double(1 << d));
            const double quotients = std::min(x < 1 ? runs * x / (1 - x) : zeros, zeros / double(1 << d));
            zeroBits = std::min(zeroBits, runs * (1 + d) + quotients);
        }
    }
    const double slices = std::max(1.0, std::ceil(coded / kMaxSliceValues));
    const double bits = weightBits + zeroBits + slices * kSliceHeaderBits + kPaletteHeaderBits +
                        double(palsize) * palbits + kEndOfStreamBits;
    out.bytes = roundUp(std::int64_t(std::ceil(bits / 8)), 16) +
                roundUp(std::int64_t(std::ceil(l.scaleBytesPerChannel * depth)), 16);
    out.palette = usePalette;
    out.zeroRuns = zeroRuns;
    out.bitsPerWeight = real > 0 ? (weightBits + zeroBits) / real : 0;
    return out;
}

std::vector<std::int64_t> WeightEncodingCache::sliceBytes(const WeightLayout &layout, const std::vector<int> &slices,
                                                          const plugin::LayerDeployment &deployment)
{
    // What the value distribution depends on: the histogram's contents, or the prior's inputs.
    std::int64_t distribution = 0;
    if (deployment.weightValues) {
        std::uint64_t h = 14695981039346656037ull;
        for (std::int64_t count : deployment.weightValues->counts) {
            h ^= std::uint64_t(count);
            h *= 1099511628211ull;
        }
        distribution = std::int64_t(h >> 1);
    } else {
        const double s = effectiveSparsity(deployment);
        distribution = -1 - (std::int64_t(deployment.weightBits) << 32) - std::int64_t(std::llround(s * 1e9));
    }
    std::optional<ValueDistribution> values;
    std::vector<std::int64_t> bytes;
    for (std::size_t i = 1; i < slices.size(); ++i) {
        const int depth = slices[i] - slices[i - 1];
        std::int64_t sum = 0;
        for (int core = 0; core < layout.cores; ++core) {
            // Core k takes OFM channels k, k + n, ... (weight_compressor.core_deinterleave) and walks them in blocks
            // of its share of the block depth.
            const int share = depth / layout.cores + (core < depth % layout.cores ? 1 : 0);
            WeightLayout mine = layout;
            mine.ofmBlockDepth = (layout.ofmBlockDepth + layout.cores - 1 - core) / layout.cores;
            const Memo<16, std::int64_t>::Key key{distribution,
                                                  layout.ofmDepth,
                                                  layout.ifmDepth,
                                                  layout.kernelH,
                                                  layout.kernelW,
                                                  layout.depthwise,
                                                  layout.partKernel,
                                                  mine.ofmBlockDepth,
                                                  layout.ofmUblockDepth,
                                                  layout.cores,
                                                  layout.weightsPerChannel,
                                                  share,
                                                  std::llround(layout.scaleBytesPerChannel * 1000),
                                                  0,
                                                  0,
                                                  0};
            sum += m_streams.get(key, [&] {
                if (!values)
                    values = weightDistribution(deployment, layout.weightsPerChannel > 0
                                                                ? layout.weightsPerChannel
                                                                : std::int64_t(layout.kernelH) * layout.kernelW *
                                                                      (layout.depthwise ? 1 : layout.ifmDepth));
                return encodeStream(mine, share, *values).bytes;
            });
        }
        bytes.push_back(sum);
    }
    return bytes;
}

} // namespace psc::targets::npu
