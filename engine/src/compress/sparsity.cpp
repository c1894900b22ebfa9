// SPDX-License-Identifier: GPL-3.0-or-later
#include "psc/compress/sparsity.h"

#include "psc/core/error.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace psc {

namespace {

void validateFraction(double fraction)
{
    if (!(fraction >= 0.0 && fraction <= 1.0)) // also rejects NaN
        throw InputError("pruning fraction " + std::to_string(fraction) + " is outside [0, 1]");
}

/** round(fraction * n), halves away from zero: the one rounding rule of every "exactly" in the header. */
std::int64_t roundedCount(double fraction, std::int64_t n)
{
    return std::llround(fraction * double(n));
}

/** One reduction group: `length` weights at start, start + stride, ... Position fields name it in messages. */
struct Group
{
    std::int64_t start = 0;
    std::int64_t stride = 1;
    int length = 0;
    int channel = 0;
    int kernelY = 0; ///< in > 1 only
    int kernelX = 0;
    int first = 0; ///< first input channel (in > 1) or first window element (in == 1)
};

/** Calls fn(index, group) for every reduction group in a fixed order until fn returns false. */
template <class Fn> void forEachGroup(const WeightShape &s, int groupSize, Fn &&fn)
{
    const std::int64_t window = std::int64_t(s.kernelH) * s.kernelW;
    std::int64_t index = 0;
    Group g;
    if (s.in == 1) { // the reduction is the kernel window, contiguous per channel
        for (int o = 0; o < s.out; ++o) {
            for (std::int64_t e = 0; e < window; e += groupSize) {
                g.start = o * window + e;
                g.stride = 1;
                g.length = int(std::min<std::int64_t>(groupSize, window - e));
                g.channel = o;
                g.first = int(e);
                if (!fn(index++, g))
                    return;
            }
        }
        return;
    }
    // OIHW: the input channels of one (o, y, x) are window apart.
    for (int o = 0; o < s.out; ++o) {
        for (int y = 0; y < s.kernelH; ++y) {
            for (int x = 0; x < s.kernelW; ++x) {
                for (int i = 0; i < s.in; i += groupSize) {
                    g.start = (std::int64_t(o) * s.in + i) * window + std::int64_t(y) * s.kernelW + x;
                    g.stride = window;
                    g.length = std::min(groupSize, s.in - i);
                    g.channel = o;
                    g.kernelY = y;
                    g.kernelX = x;
                    g.first = i;
                    if (!fn(index++, g))
                        return;
                }
            }
        }
    }
}

std::string describeGroup(const WeightShape &s, const Group &g)
{
    const std::string range = std::to_string(g.first) + "-" + std::to_string(g.first + g.length - 1);
    if (s.in == 1)
        return "output channel " + std::to_string(g.channel) + ", kernel window elements " + range;
    return "output channel " + std::to_string(g.channel) + ", kernel position (" + std::to_string(g.kernelY) + ", " +
           std::to_string(g.kernelX) + "), input channels " + range;
}

/** Strict total order of pruning: smaller magnitude first, equal magnitudes lower index first. */
struct PruneOrder
{
    const float *w;
    bool operator()(std::int64_t a, std::int64_t b) const
    {
        const float ma = std::fabs(w[a]);
        const float mb = std::fabs(w[b]);
        return ma != mb ? ma < mb : a < b;
    }
};

void rejectNaN(const float *weights, std::int64_t count)
{
    for (std::int64_t i = 0; i < count; ++i) {
        if (std::isnan(weights[i]))
            throw InputError("weight " + std::to_string(i) + " is NaN: cannot rank weights for pruning");
    }
}

/** Group size and bound of a block pattern (DBB or N:M). */
std::pair<int, int> blockBound(const SparsitySpec &spec)
{
    return spec.pattern == SparsityPattern::Dbb ? std::pair{spec.blockSize, spec.maxNonZeros}
                                                : std::pair{spec.m, spec.n};
}

/** L1 norm of each output channel. */
std::vector<double> channelNorms(const float *weights, const WeightShape &s)
{
    const std::int64_t perChannel = s.count() / s.out;
    std::vector<double> norms(std::size_t(s.out), 0.0);
    for (int o = 0; o < s.out; ++o) {
        double sum = 0.0;
        for (std::int64_t k = 0; k < perChannel; ++k)
            sum += std::fabs(double(weights[o * perChannel + k]));
        norms[std::size_t(o)] = sum;
    }
    return norms;
}

/** Output channels ordered for removal: smallest L1 first, equal norms lower index first. */
std::vector<int> channelRemovalOrder(const float *weights, const WeightShape &s)
{
    const std::vector<double> norms = channelNorms(weights, s);
    std::vector<int> order(static_cast<std::size_t>(s.out));
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](int a, int b) {
        return norms[std::size_t(a)] != norms[std::size_t(b)] ? norms[std::size_t(a)] < norms[std::size_t(b)] : a < b;
    });
    return order;
}

std::string fractionText(double f)
{
    std::string text = std::to_string(f);
    while (text.size() > 1 && text.back() == '0' && text[text.size() - 2] != '.')
        text.pop_back();
    return text;
}

} // namespace

void validateWeightShape(const WeightShape &s)
{
    if (s.out < 1 || s.in < 1 || s.kernelH < 1 || s.kernelW < 1)
        throw InputError("weight shape " + std::to_string(s.out) + "x" + std::to_string(s.in) + "x" +
                         std::to_string(s.kernelH) + "x" + std::to_string(s.kernelW) +
                         ": every dimension must be at least 1");
}

ReductionGroups reductionGroups(const WeightShape &shape, int groupSize)
{
    validateWeightShape(shape);
    if (groupSize < 1)
        throw InputError("reduction group size " + std::to_string(groupSize) + " must be at least 1");
    const std::int64_t length = shape.in == 1 ? std::int64_t(shape.kernelH) * shape.kernelW : shape.in;
    const std::int64_t rows = shape.in == 1 ? shape.out : std::int64_t(shape.out) * shape.kernelH * shape.kernelW;
    ReductionGroups g;
    g.full = rows * (length / groupSize);
    g.partialLength = int(length % groupSize);
    g.partial = g.partialLength > 0 ? rows : 0;
    return g;
}

void validateSparsitySpec(const SparsitySpec &spec)
{
    validateFraction(spec.fraction);
    if (spec.pattern == SparsityPattern::Dbb &&
        (spec.blockSize < 1 || spec.maxNonZeros < 1 || spec.maxNonZeros > spec.blockSize))
        throw InputError("DBB sparsity needs 1 <= max non-zeros <= block size, got " +
                         std::to_string(spec.maxNonZeros) + " non-zeros in blocks of " +
                         std::to_string(spec.blockSize));
    if (spec.pattern == SparsityPattern::NM && (spec.n < 1 || spec.m < 1 || spec.n > spec.m))
        throw InputError("N:M sparsity needs 1 <= n <= m, got n = " + std::to_string(spec.n) +
                         ", m = " + std::to_string(spec.m));
}

std::vector<std::uint8_t> pruneMask(const float *weights, const WeightShape &shape, const SparsitySpec &spec,
                                    double fraction)
{
    validateWeightShape(shape);
    validateSparsitySpec(spec);
    validateFraction(fraction);
    const std::int64_t count = shape.count();
    std::vector<std::uint8_t> mask(std::size_t(count), 1);
    if (spec.pattern == SparsityPattern::None || fraction == 0.0)
        return mask;
    rejectNaN(weights, count);

    switch (spec.pattern) {
    case SparsityPattern::None:
        break;
    case SparsityPattern::Unstructured: {
        const std::int64_t pruned = roundedCount(fraction, count);
        std::vector<std::int64_t> order(static_cast<std::size_t>(count));
        std::iota(order.begin(), order.end(), std::int64_t(0));
        if (pruned < count)
            std::nth_element(order.begin(), order.begin() + pruned, order.end(), PruneOrder{weights});
        for (std::int64_t k = 0; k < pruned; ++k)
            mask[std::size_t(order[std::size_t(k)])] = 0;
        break;
    }
    case SparsityPattern::Dbb:
    case SparsityPattern::NM: {
        const auto [groupSize, bound] = blockBound(spec);
        std::vector<std::int64_t> members;
        forEachGroup(shape, groupSize, [&](std::int64_t, const Group &g) {
            const int pruned = g.length - std::min(bound, g.length);
            if (pruned == 0)
                return true;
            members.resize(std::size_t(g.length));
            for (int k = 0; k < g.length; ++k)
                members[std::size_t(k)] = g.start + k * g.stride;
            std::nth_element(members.begin(), members.begin() + pruned, members.end(), PruneOrder{weights});
            for (int k = 0; k < pruned; ++k)
                mask[std::size_t(members[std::size_t(k)])] = 0;
            return true;
        });
        break;
    }
    case SparsityPattern::ChannelStructured: {
        const std::vector<int> order = channelRemovalOrder(weights, shape);
        const std::int64_t removed = roundedCount(fraction, shape.out);
        const std::int64_t perChannel = count / shape.out;
        for (std::int64_t k = 0; k < removed; ++k) {
            const std::int64_t o = order[std::size_t(k)];
            std::fill_n(mask.begin() + o * perChannel, perChannel, std::uint8_t(0));
        }
        break;
    }
    }
    return mask;
}

std::vector<int> keptChannels(const float *weights, const WeightShape &shape, double fraction)
{
    validateWeightShape(shape);
    validateFraction(fraction);
    rejectNaN(weights, shape.count());
    std::vector<int> order = channelRemovalOrder(weights, shape);
    order.erase(order.begin(), order.begin() + roundedCount(fraction, shape.out));
    std::sort(order.begin(), order.end());
    return order;
}

bool satisfiesSparsity(const float *weights, const WeightShape &shape, const SparsitySpec &spec, std::string *why)
{
    validateWeightShape(shape);
    validateSparsitySpec(spec);
    const std::int64_t count = shape.count();
    std::string reason;

    switch (spec.pattern) {
    case SparsityPattern::None:
        break;
    case SparsityPattern::Unstructured: {
        const std::int64_t zeros = std::count(weights, weights + count, 0.0f);
        const std::int64_t required = roundedCount(spec.fraction, count);
        if (zeros < required)
            reason = "unstructured sparsity " + fractionText(spec.fraction) + ": " + std::to_string(zeros) + " of " +
                     std::to_string(count) + " weights are zero, at least " + std::to_string(required) + " required";
        break;
    }
    case SparsityPattern::Dbb:
    case SparsityPattern::NM: {
        const auto [groupSize, bound] = blockBound(spec);
        const bool dbb = spec.pattern == SparsityPattern::Dbb;
        forEachGroup(shape, groupSize, [&](std::int64_t index, const Group &g) {
            int nonZeros = 0;
            for (int k = 0; k < g.length; ++k)
                nonZeros += weights[g.start + k * g.stride] != 0.0f ? 1 : 0;
            if (nonZeros <= bound)
                return true;
            reason = (dbb ? "DBB " + std::to_string(bound) + "/" + std::to_string(groupSize) + ": block "
                          : "N:M " + std::to_string(bound) + ":" + std::to_string(groupSize) + ": group ") +
                     std::to_string(index) + " (" + describeGroup(shape, g) + ") has " + std::to_string(nonZeros) +
                     " non-zeros, at most " + std::to_string(bound) + " allowed";
            return false;
        });
        break;
    }
    case SparsityPattern::ChannelStructured: {
        const std::int64_t perChannel = count / shape.out;
        std::int64_t zeroChannels = 0;
        for (int o = 0; o < shape.out; ++o) {
            const float *begin = weights + o * perChannel;
            zeroChannels += std::all_of(begin, begin + perChannel, [](float w) { return w == 0.0f; }) ? 1 : 0;
        }
        const std::int64_t required = roundedCount(spec.fraction, shape.out);
        if (zeroChannels < required)
            reason = "channel-structured sparsity " + fractionText(spec.fraction) + ": " +
                     std::to_string(zeroChannels) + " of " + std::to_string(shape.out) +
                     " output channels are all zero, at least " + std::to_string(required) + " required";
        break;
    }
    }
    if (why)
        *why = reason;
    return reason.empty();
}

std::int64_t expectedNonZeros(const WeightShape &shape, const SparsitySpec &spec)
{
    validateWeightShape(shape);
    validateSparsitySpec(spec);
    const std::int64_t count = shape.count();
    switch (spec.pattern) {
    case SparsityPattern::None:
        return count;
    case SparsityPattern::Unstructured:
        return count - roundedCount(spec.fraction, count);
    case SparsityPattern::ChannelStructured:
        return (shape.out - roundedCount(spec.fraction, shape.out)) * (count / shape.out);
    case SparsityPattern::Dbb:
    case SparsityPattern::NM: {
        const auto [groupSize, bound] = blockBound(spec);
        const ReductionGroups g = reductionGroups(shape, groupSize);
        return g.full * bound + g.partial * std::min(bound, g.partialLength);
    }
    }
    return count;
}

double gradualSparsity(double finalFraction, std::int64_t step, std::int64_t beginStep, std::int64_t endStep,
                       double initial)
{
    if (step < beginStep)
        return initial;
    if (step >= endStep)
        return finalFraction;
    const double progress = double(step - beginStep) / double(endStep - beginStep);
    const double remaining = 1.0 - progress;
    return finalFraction + (initial - finalFraction) * remaining * remaining * remaining;
}

} // namespace psc
