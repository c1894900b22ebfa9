// SPDX-License-Identifier: GPL-3.0-or-later
// Pruning masks, sparsity checks and the gradual pruning schedule (psc/compress/sparsity.h).
#include <psc/compress/sparsity.h>
#include <psc/core/error.h>

#include "testmodels.h"

#include <QTest>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

namespace psc {
// Found by QCOMPARE through argument-dependent lookup.
char *toString(const ReductionGroups &g)
{
    return QTest::toString(QString("{full %1, partial %2 of %3}").arg(g.full).arg(g.partial).arg(g.partialLength));
}
} // namespace psc

using psc::SparsityPattern;
using psc::SparsitySpec;
using psc::WeightShape;

namespace {

using psc::testing::dbb;
using psc::testing::nm;
using psc::testing::unstructured;

SparsitySpec channels(double fraction = 0.0)
{
    SparsitySpec s;
    s.pattern = SparsityPattern::ChannelStructured;
    s.fraction = fraction;
    return s;
}

// The reduction groups written out independently of the engine: index lists in OIHW order.
std::vector<std::vector<std::int64_t>> groupsOf(const WeightShape &s, int size)
{
    std::vector<std::vector<std::int64_t>> groups;
    auto index = [&](int o, int i, int y, int x) {
        return ((std::int64_t(o) * s.in + i) * s.kernelH + y) * s.kernelW + x;
    };
    if (s.in == 1) {
        const int window = s.kernelH * s.kernelW;
        for (int o = 0; o < s.out; ++o) {
            for (int e = 0; e < window; ++e) {
                if (e % size == 0)
                    groups.emplace_back();
                groups.back().push_back(index(o, 0, e / s.kernelW, e % s.kernelW));
            }
        }
        return groups;
    }
    for (int o = 0; o < s.out; ++o)
        for (int y = 0; y < s.kernelH; ++y)
            for (int x = 0; x < s.kernelW; ++x)
                for (int i = 0; i < s.in; ++i) {
                    if (i % size == 0)
                        groups.emplace_back();
                    groups.back().push_back(index(o, i, y, x));
                }
    return groups;
}

// Pruning order: |w| ascending, then index ascending.
bool prunedBefore(const std::vector<float> &w, std::int64_t a, std::int64_t b)
{
    const float ma = std::fabs(w[std::size_t(a)]), mb = std::fabs(w[std::size_t(b)]);
    return ma != mb ? ma < mb : a < b;
}

// True if every pruned index among `indices` comes before every kept one in pruning order.
bool prunedAreSmallest(const std::vector<float> &w, const std::vector<std::uint8_t> &mask,
                       const std::vector<std::int64_t> &indices)
{
    std::int64_t lastPruned = -1, firstKept = -1;
    for (std::int64_t i : indices) {
        if (!mask[std::size_t(i)] && (lastPruned < 0 || prunedBefore(w, lastPruned, i)))
            lastPruned = i;
        if (mask[std::size_t(i)] && (firstKept < 0 || prunedBefore(w, i, firstKept)))
            firstKept = i;
    }
    return lastPruned < 0 || firstKept < 0 || prunedBefore(w, lastPruned, firstKept);
}

WeightShape randomShape(std::mt19937 &rng, bool depthwise)
{
    std::uniform_int_distribution<int> out(1, 9), in(2, 13), kernel(1, 3);
    const int k = 2 * kernel(rng) - 1; // 1, 3 or 5
    return {out(rng), depthwise ? 1 : in(rng), k, std::uniform_int_distribution<int>(0, 1)(rng) ? k : 1};
}

// Continuous weights, or coarse ones full of ties and zeros.
std::vector<float> randomWeights(std::mt19937 &rng, std::int64_t count, bool coarse)
{
    std::normal_distribution<float> normal(0.0f, 1.0f);
    std::vector<float> w(static_cast<std::size_t>(count));
    for (float &v : w)
        v = coarse ? std::round(normal(rng) * 2.0f) / 2.0f : normal(rng);
    return w;
}

std::vector<float> applied(std::vector<float> w, const std::vector<std::uint8_t> &mask)
{
    for (std::size_t i = 0; i < w.size(); ++i)
        w[i] = mask[i] ? w[i] : 0.0f;
    return w;
}

std::int64_t zerosIn(const std::vector<std::uint8_t> &mask)
{
    return std::count(mask.begin(), mask.end(), std::uint8_t(0));
}

} // namespace

class TestSparsity : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void unstructuredPrunesExactlyTheSmallest()
    {
        std::mt19937 rng(1234);
        std::uniform_real_distribution<double> fraction(0.0, 1.0);
        for (int trial = 0; trial < 300; ++trial) {
            const WeightShape shape = randomShape(rng, trial % 5 == 0);
            const std::vector<float> w = randomWeights(rng, shape.count(), trial % 2 == 0);
            const double f = trial == 0 ? 0.0 : trial == 1 ? 1.0 : fraction(rng);
            const auto mask = psc::pruneMask(w.data(), shape, unstructured(), f);
            QCOMPARE(std::int64_t(mask.size()), shape.count());
            QCOMPARE(zerosIn(mask), std::llround(f * double(shape.count())));
            std::vector<std::int64_t> all(static_cast<std::size_t>(shape.count()));
            for (std::size_t i = 0; i < all.size(); ++i)
                all[i] = std::int64_t(i);
            QVERIFY2(prunedAreSmallest(w, mask, all), qPrintable(QString("trial %1").arg(trial)));
            SparsitySpec spec = unstructured(f);
            QVERIFY(psc::satisfiesSparsity(applied(w, mask).data(), shape, spec));
        }
    }

    void unstructuredTiesPruneLowerIndexFirst()
    {
        const std::vector<float> equal(10, 1.0f);
        const auto mask = psc::pruneMask(equal.data(), {1, 10, 1, 1}, unstructured(), 0.3);
        QCOMPARE(mask, (std::vector<std::uint8_t>{0, 0, 0, 1, 1, 1, 1, 1, 1, 1}));

        const std::vector<float> w{-1.0f, 1.0f, 0.5f, -0.5f};
        QCOMPARE(psc::pruneMask(w.data(), {1, 4, 1, 1}, unstructured(), 0.5), (std::vector<std::uint8_t>{1, 1, 0, 0}));
        QCOMPARE(psc::pruneMask(w.data(), {1, 4, 1, 1}, unstructured(), 0.75), (std::vector<std::uint8_t>{0, 1, 0, 0}));
    }

    void blockPatternsKeepTheLargestPerGroup()
    {
        std::mt19937 rng(99);
        for (int trial = 0; trial < 300; ++trial) {
            const bool isDbb = trial % 2 == 0;
            const int size = std::uniform_int_distribution<int>(1, 9)(rng);
            const int bound = std::uniform_int_distribution<int>(1, size)(rng);
            const SparsitySpec spec = isDbb ? dbb(bound, size) : nm(bound, size);
            const WeightShape shape = randomShape(rng, trial % 3 == 0);
            const std::vector<float> w = randomWeights(rng, shape.count(), trial % 4 < 2);
            const auto mask = psc::pruneMask(w.data(), shape, spec, spec.fraction);
            const auto groups = groupsOf(shape, size);
            std::int64_t kept = 0;
            for (const auto &g : groups) {
                const auto inGroup = std::count_if(g.begin(), g.end(), [&](auto i) { return mask[std::size_t(i)]; });
                QCOMPARE(inGroup, std::ptrdiff_t(std::min<std::size_t>(std::size_t(bound), g.size())));
                QVERIFY(prunedAreSmallest(w, mask, g));
                kept += inGroup;
            }
            QCOMPARE(kept, psc::expectedNonZeros(shape, spec));
            QCOMPARE(zerosIn(mask), shape.count() - kept);
            QVERIFY(psc::satisfiesSparsity(applied(w, mask).data(), shape, spec));
        }
    }

    void blockGroupingRunsAlongTheReduction()
    {
        // dense 1x10, blocks of 4 with 1 non-zero: {0-3}, {4-7} and the partial {8, 9}, which also keeps 1.
        std::vector<float> ramp(10);
        for (std::size_t i = 0; i < ramp.size(); ++i)
            ramp[i] = float(i + 1);
        QCOMPARE(psc::pruneMask(ramp.data(), {1, 10, 1, 1}, dbb(1, 4), 0.75),
                 (std::vector<std::uint8_t>{0, 0, 0, 1, 0, 0, 0, 1, 0, 1}));
        // A partial block shorter than the bound keeps everything: 3/4 over 6 inputs keeps 3 + 2.
        QCOMPARE(psc::pruneMask(ramp.data(), {1, 6, 1, 1}, dbb(3, 4), 0.25),
                 (std::vector<std::uint8_t>{0, 1, 1, 1, 1, 1}));

        // conv OIHW 1x4x1x2: the input channels of one kernel column are 2 apart, so blocks of 2 channels
        // are {0, 2}, {4, 6} (column 0) and {1, 3}, {5, 7} (column 1).
        const std::vector<float> conv{3, 8, 1, 6, 7, 2, 5, 4};
        QCOMPARE(psc::pruneMask(conv.data(), {1, 4, 1, 2}, dbb(1, 2), 0.5),
                 (std::vector<std::uint8_t>{1, 1, 0, 0, 1, 0, 0, 1}));

        // depthwise 2x1x3x3: blocks of 4 over each channel's window: {0-3}, {4-7}, {8}.
        std::vector<float> dw(18);
        for (std::size_t i = 0; i < dw.size(); ++i)
            dw[i] = float(i % 9 + 1);
        const std::vector<std::uint8_t> expected{0, 0, 1, 1, 0, 0, 1, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 1};
        QCOMPARE(psc::pruneMask(dw.data(), {2, 1, 3, 3}, nm(2, 4), 0.5), expected);

        // fraction 0 is the dense warm-up of a schedule.
        QCOMPARE(psc::pruneMask(conv.data(), {1, 4, 1, 2}, dbb(1, 2), 0.0), std::vector<std::uint8_t>(8, 1));
        QCOMPARE(psc::pruneMask(dw.data(), {2, 1, 3, 3}, nm(1, 4), 0.0), std::vector<std::uint8_t>(18, 1));
    }

    void nmTwoFourKeepsTwoOfEveryFour()
    {
        std::mt19937 rng(7);
        const WeightShape shape{3, 8, 1, 1};
        const std::vector<float> w = randomWeights(rng, shape.count(), false);
        const auto mask = psc::pruneMask(w.data(), shape, nm(2, 4), 0.5);
        for (std::size_t g = 0; g < mask.size(); g += 4)
            QCOMPARE(mask[g] + mask[g + 1] + mask[g + 2] + mask[g + 3], 2);
        QCOMPARE(psc::expectedNonZeros(shape, nm(2, 4)), std::int64_t(12));
    }

    void channelPruningRemovesTheLowestL1()
    {
        // Uniform magnitudes per channel with random signs: L1 = 4 * 3 * scale.
        const WeightShape shape{6, 3, 2, 2};
        const std::vector<float> scale{5, 1, 4, 1, 3, 2};
        std::mt19937 rng(5);
        std::vector<float> w(static_cast<std::size_t>(shape.count()));
        for (std::size_t i = 0; i < w.size(); ++i)
            w[i] = scale[i / 12] * (rng() % 2 ? 1.0f : -1.0f);
        const auto mask = psc::pruneMask(w.data(), shape, channels(), 0.5);
        for (std::size_t i = 0; i < mask.size(); ++i) {
            const std::size_t c = i / 12;
            QCOMPARE(mask[i], std::uint8_t(c == 1 || c == 3 || c == 5 ? 0 : 1));
        }
        QCOMPARE(psc::keptChannels(w.data(), shape, 0.5), (std::vector<int>{0, 2, 4}));
        // Equal norms: the lower index goes first.
        QCOMPARE(psc::keptChannels(w.data(), shape, 1.0 / 6.0), (std::vector<int>{0, 2, 3, 4, 5}));

        // L1, not the largest weight: {4, 0, 0, 0} (L1 4) goes before {1.5, 1.5, 1.5, 1.5} (L1 6).
        const std::vector<float> peaked{4, 0, 0, 0, 1.5f, 1.5f, 1.5f, 1.5f};
        QCOMPARE(psc::keptChannels(peaked.data(), {2, 4, 1, 1}, 0.5), (std::vector<int>{1}));

        std::uniform_real_distribution<double> fraction(0.0, 1.0);
        for (int trial = 0; trial < 100; ++trial) {
            const WeightShape s = randomShape(rng, trial % 4 == 0);
            const std::vector<float> v = randomWeights(rng, s.count(), trial % 2 == 0);
            const double f = fraction(rng);
            const auto m = psc::pruneMask(v.data(), s, channels(), f);
            const auto kept = psc::keptChannels(v.data(), s, f);
            const std::int64_t per = s.count() / s.out;
            QCOMPARE(std::int64_t(kept.size()), s.out - std::llround(f * s.out));
            QVERIFY(std::is_sorted(kept.begin(), kept.end()));
            double maxRemoved = -1.0, minKept = std::numeric_limits<double>::infinity();
            for (int o = 0; o < s.out; ++o) {
                const bool isKept = std::find(kept.begin(), kept.end(), o) != kept.end();
                double l1 = 0.0;
                for (std::int64_t k = 0; k < per; ++k) {
                    QCOMPARE(m[std::size_t(o * per + k)], std::uint8_t(isKept ? 1 : 0));
                    l1 += std::fabs(double(v[std::size_t(o * per + k)]));
                }
                if (isKept)
                    minKept = std::min(minKept, l1);
                else
                    maxRemoved = std::max(maxRemoved, l1);
            }
            QVERIFY(maxRemoved <= minKept);
            QCOMPARE(psc::expectedNonZeros(s, channels(f)), std::int64_t(kept.size()) * per);
            QVERIFY(psc::satisfiesSparsity(applied(v, m).data(), s, channels(f)));
        }
    }

    void satisfiesSparsityFindsTheFirstViolation()
    {
        const WeightShape shape{2, 8, 1, 1};
        std::vector<float> w(16);
        for (std::size_t i = 0; i < w.size(); ++i)
            w[i] = float(i + 1);
        std::string why;
        QVERIFY(!psc::satisfiesSparsity(w.data(), shape, dbb(2, 4), &why));
        QVERIFY2(why.find("DBB 2/4: block 0 (output channel 0") != std::string::npos, why.c_str());

        std::vector<float> pruned = applied(w, psc::pruneMask(w.data(), shape, dbb(2, 4), 0.5));
        QVERIFY(psc::satisfiesSparsity(pruned.data(), shape, dbb(2, 4), &why));
        QVERIFY(why.empty());
        pruned[12] = 0.25f; // block 3 = output channel 1, inputs 4-7 now has 3 non-zeros
        QVERIFY(!psc::satisfiesSparsity(pruned.data(), shape, dbb(2, 4), &why));
        QVERIFY2(why.find("block 3 (output channel 1, kernel position (0, 0), input channels 4-7) has 3 non-zeros, "
                          "at most 2 allowed") != std::string::npos,
                 why.c_str());
        QVERIFY(!psc::satisfiesSparsity(pruned.data(), shape, nm(2, 4), &why));
        QVERIFY2(why.find("N:M 2:4: group 3") != std::string::npos, why.c_str());
        QVERIFY(psc::satisfiesSparsity(pruned.data(), shape, nm(3, 4)));

        // depthwise messages name the window elements.
        std::vector<float> dw(9, 1.0f);
        QVERIFY(!psc::satisfiesSparsity(dw.data(), {1, 1, 3, 3}, dbb(2, 4), &why));
        QVERIFY2(why.find("kernel window elements 0-3") != std::string::npos, why.c_str());

        std::vector<float> u{0, 0, 0, 0, 1, 1, 1, 1, 1, 1};
        QVERIFY(!psc::satisfiesSparsity(u.data(), {1, 10, 1, 1}, unstructured(0.5), &why));
        QVERIFY2(why.find("4 of 10 weights are zero, at least 5 required") != std::string::npos, why.c_str());
        u[4] = 0.0f;
        QVERIFY(psc::satisfiesSparsity(u.data(), {1, 10, 1, 1}, unstructured(0.5)));

        std::vector<float> c{0, 0, 1, 1, 2, 2, 3, 3}; // 4 channels of 2, one all zero
        QVERIFY(!psc::satisfiesSparsity(c.data(), {4, 2, 1, 1}, channels(0.5), &why));
        QVERIFY2(why.find("1 of 4 output channels are all zero, at least 2 required") != std::string::npos,
                 why.c_str());
        c[3] = c[2] = 0.0f;
        QVERIFY(psc::satisfiesSparsity(c.data(), {4, 2, 1, 1}, channels(0.5)));
        QVERIFY(psc::satisfiesSparsity(w.data(), shape, SparsitySpec{}));
    }

    void scheduleFollowsTheCubic()
    {
        QCOMPARE(psc::gradualSparsity(0.8, -5, 0, 1000), 0.0);
        QCOMPARE(psc::gradualSparsity(0.8, 0, 0, 1000), 0.0);
        QCOMPARE(psc::gradualSparsity(0.8, 1000, 0, 1000), 0.8);
        QCOMPARE(psc::gradualSparsity(0.8, 5000, 0, 1000), 0.8);
        QVERIFY(std::fabs(psc::gradualSparsity(0.8, 500, 0, 1000) - 0.7) < 1e-12); // 0.8 - 0.8 / 8
        QVERIFY(std::fabs(psc::gradualSparsity(0.8, 600, 100, 1100, 0.2) - 0.725) < 1e-12);
        QCOMPARE(psc::gradualSparsity(0.8, 99, 100, 1100, 0.2), 0.2);
        double previous = 0.0;
        for (std::int64_t step = 0; step <= 1200; ++step) {
            const double s = psc::gradualSparsity(0.9, step, 100, 1100);
            QVERIFY(s >= previous);
            QVERIFY(s >= 0.0 && s <= 0.9);
            previous = s;
        }
        // Steps earlier in the ramp prune faster than later ones (the cubic front-loads pruning).
        QVERIFY(psc::gradualSparsity(0.9, 200, 100, 1100) - psc::gradualSparsity(0.9, 100, 100, 1100) >
                psc::gradualSparsity(0.9, 1100, 100, 1100) - psc::gradualSparsity(0.9, 1000, 100, 1100));
        // No ramp: a step from s_i to s_f at beginStep.
        QCOMPARE(psc::gradualSparsity(0.5, 9, 10, 10), 0.0);
        QCOMPARE(psc::gradualSparsity(0.5, 10, 10, 10), 0.5);
    }

    void expectedNonZerosCountsPartialGroups()
    {
        // conv 2x10x3x3, DBB 4/8: per kernel position 4 + min(4, 2).
        QCOMPARE(psc::expectedNonZeros({2, 10, 3, 3}, dbb(4, 8)), std::int64_t(6 * 18));
        // depthwise 4x1x3x3, 2:4: per channel 2 + 2 + 1.
        QCOMPARE(psc::expectedNonZeros({4, 1, 3, 3}, nm(2, 4)), std::int64_t(20));
        QCOMPARE(psc::expectedNonZeros({1, 10, 1, 1}, unstructured(0.3)), std::int64_t(7));
        QCOMPARE(psc::expectedNonZeros({4, 2, 3, 3}, channels(0.5)), std::int64_t(36));
        QCOMPARE(psc::expectedNonZeros({4, 2, 3, 3}, SparsitySpec{}), std::int64_t(72));
        QCOMPARE(psc::reductionGroups({2, 10, 3, 3}, 8), (psc::ReductionGroups{18, 18, 2}));
        QCOMPARE(psc::reductionGroups({4, 1, 3, 3}, 3), (psc::ReductionGroups{12, 0, 0}));
    }

    void badInputIsRejected()
    {
        const std::vector<float> w(8, 1.0f);
        QVERIFY_THROWS_EXCEPTION(psc::InputError, psc::pruneMask(w.data(), {1, 8, 1, 1}, dbb(5, 4), 0.5));
        QVERIFY_THROWS_EXCEPTION(psc::InputError, psc::pruneMask(w.data(), {1, 8, 1, 1}, nm(0, 4), 0.5));
        QVERIFY_THROWS_EXCEPTION(psc::InputError, psc::pruneMask(w.data(), {1, 8, 1, 1}, unstructured(), 1.5));
        QVERIFY_THROWS_EXCEPTION(psc::InputError, psc::pruneMask(w.data(), {0, 8, 1, 1}, unstructured(), 0.5));
        QVERIFY_THROWS_EXCEPTION(psc::InputError, psc::satisfiesSparsity(w.data(), {1, 8, 1, 1}, nm(3, 2)));
        std::vector<float> nan = w;
        nan[3] = std::numeric_limits<float>::quiet_NaN();
        QVERIFY_THROWS_EXCEPTION(psc::InputError, psc::pruneMask(nan.data(), {1, 8, 1, 1}, unstructured(), 0.5));
        QVERIFY_THROWS_EXCEPTION(psc::InputError, psc::reductionGroups({1, 8, 1, 1}, 0));
    }
};

QTEST_GUILESS_MAIN(TestSparsity)
#include "tst_sparsity.moc"
