// SPDX-License-Identifier: GPL-3.0-or-later
#include "npuweights.h"

#include <algorithm>
#include <cmath>

namespace psc::targets::npu {

namespace {

// Vela's weight encoder codes sign-magnitude values in -255..255, so a palette entry takes 9 bits [V]
// (nxp-imx/ethos-u-vela ethosu/mlw_codec/mlw_encode.c, via cost-models.md 2.4).
constexpr double kPaletteEntryBits = 9.0;
// Palette of up to 32 values [V] (same source): only weights of <= 5 bits fit.
constexpr int kMaxPaletteBits = 5;
// Golomb-Rice codes spend at least one unary terminator bit per value on top of the remainder bits; we
// charge exactly one, capped at the 8-bit raw size [R] (our proxy; calibrate against Vela's report).
constexpr double kGrcOverheadBits = 1.0;
constexpr double kRawBits = 8.0;
// Per-stream header and padding of an encoded weight stream [R] (estimate, not read in the source).
constexpr double kStreamHeaderBytes = 16.0;

/** Payload bits of N values at `bits` each, the cheaper of coding zeros as values or as a run-coded mask. */
double payloadBits(double n, double s, double bits, bool &zeroRuns)
{
    const double dense = n * bits;
    // Zero-run coding: only the non-zeros carry a value; the mask costs what its entropy says, which the
    // zero-run + GRC coding approaches (cost-models.md 2.5 proxy [D]).
    const double sparse = n * (1.0 - s) * bits + n * binaryEntropy(s);
    zeroRuns = sparse < dense;
    return std::min(dense, sparse);
}

} // namespace

double binaryEntropy(double s)
{
    if (s <= 0.0 || s >= 1.0)
        return 0.0;
    return -s * std::log2(s) - (1.0 - s) * std::log2(1.0 - s);
}

double effectiveSparsity(const plugin::LayerDeployment &deployment)
{
    double s = std::clamp(deployment.sparsity, 0.0, 1.0);
    switch (deployment.pattern) {
    case plugin::SparsityPattern::ChannelStructured:
        return 0.0;
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

WeightStream compressWeights(std::int64_t weights, const plugin::LayerDeployment &deployment, int streams)
{
    WeightStream out;
    if (weights <= 0)
        return out;
    const double n = double(weights);
    const double s = effectiveSparsity(deployment);
    const int b = std::clamp(deployment.weightBits, 1, 8);
    const double header = std::max(1, streams) * kStreamHeaderBytes * 8.0;

    bool grcZeroRuns = false;
    const double grcBitsPerValue = std::min(double(b) + kGrcOverheadBits, kRawBits);
    const double grc = payloadBits(n, s, grcBitsPerValue, grcZeroRuns) + header;
    double best = grc;
    out.bitsPerValue = grcBitsPerValue;
    out.zeroRuns = grcZeroRuns;
    if (b <= kMaxPaletteBits) {
        // Palette: index width = ceil(log2(2^b levels)) = b bits, plus one palette table per stream.
        bool palZeroRuns = false;
        const double table = std::max(1, streams) * std::ldexp(1.0, b) * kPaletteEntryBits;
        const double pal = payloadBits(n, s, double(b), palZeroRuns) + header + table;
        if (pal < best) {
            best = pal;
            out.palette = true;
            out.bitsPerValue = b;
            out.zeroRuns = palZeroRuns;
        }
    }
    out.bytes = std::int64_t(std::ceil(best / 8.0 - 1e-9));
    return out;
}

} // namespace psc::targets::npu
