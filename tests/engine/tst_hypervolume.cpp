// SPDX-License-Identifier: GPL-3.0-or-later
// Tests of the exact hypervolume against hand-computed values and three independent brute-force oracles.

#include "psc/pareto/pareto.h"

#include <QTest>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <random>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

using psc::Direction;

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

std::vector<Direction> minimizeAll(std::size_t dims)
{
    return std::vector<Direction>(dims, Direction::Minimize);
}

bool close(double a, double b)
{
    return std::abs(a - b) <= 1e-9 * std::max({1.0, std::abs(a), std::abs(b)});
}

std::string mismatch(double actual, double expected)
{
    char text[128];
    std::snprintf(text, sizeof text, "got %.17g, expected %.17g", actual, expected);
    return text;
}

/** Points and reference turned into minimisation, as the oracles below assume. */
void normalize(std::vector<double> &points, std::vector<double> &reference, const std::vector<Direction> &dirs)
{
    for (std::size_t i = 0; i < points.size(); ++i) {
        if (dirs[i % dirs.size()] == Direction::Maximize)
            points[i] = -points[i];
    }
    for (std::size_t j = 0; j < dirs.size(); ++j) {
        if (dirs[j] == Direction::Maximize)
            reference[j] = -reference[j];
    }
}

// Oracle 1: inclusion-exclusion over all subsets; the intersection of the boxes [p, r] of a subset is the
// box [componentwise max, r], empty if any side is <= 0 (and then so is every superset's, which prunes).
double inclusionExclusion(std::vector<double> points, std::vector<double> reference, const std::vector<Direction> &dirs)
{
    normalize(points, reference, dirs);
    const std::size_t dims = dirs.size();
    const std::size_t n = points.size() / dims;
    double total = 0.0;
    std::vector<std::vector<double>> corner(n + 1, std::vector<double>(dims));
    const auto visit = [&](auto &&self, std::size_t start, std::size_t depth, double sign) -> void {
        for (std::size_t i = start; i < n; ++i) {
            double volume = 1.0;
            for (std::size_t j = 0; j < dims; ++j) {
                const double v = points[i * dims + j];
                corner[depth + 1][j] = depth == 0 ? v : std::max(corner[depth][j], v);
                volume *= std::max(0.0, reference[j] - corner[depth + 1][j]);
            }
            if (volume > 0.0) {
                total += sign * volume;
                self(self, i + 1, depth + 1, -sign);
            }
        }
    };
    visit(visit, 0, 0, 1.0);
    return total;
}

// Oracle 2: with integer coordinates in [0, side] and the reference at `side` in every objective, the
// hypervolume is the number of unit cells [c, c+1) whose lower corner some point weakly dominates.
double cellCount(const std::vector<int> &points, std::size_t dims, int side)
{
    const std::size_t n = points.size() / dims;
    std::vector<int> cell(dims, 0);
    double count = 0;
    while (true) {
        for (std::size_t i = 0; i < n; ++i) {
            bool covers = true;
            for (std::size_t j = 0; j < dims && covers; ++j)
                covers = points[i * dims + j] <= cell[j];
            if (covers) {
                ++count;
                break;
            }
        }
        std::size_t j = 0;
        while (j < dims && ++cell[j] == side)
            cell[j++] = 0;
        if (j == dims)
            return count;
    }
}

// Oracle 3: slicing along the last objective, using a (d-1)-dimensional hypervolume for each slab.
double slicing(const std::vector<double> &points, const std::vector<double> &reference,
               double (*lower)(const std::vector<double> &, const std::vector<double> &))
{
    const std::size_t dims = reference.size();
    const std::size_t n = points.size() / dims;
    std::vector<double> levels;
    for (std::size_t i = 0; i < n; ++i)
        levels.push_back(points[i * dims + dims - 1]);
    std::sort(levels.begin(), levels.end());
    levels.erase(std::unique(levels.begin(), levels.end()), levels.end());
    const std::vector<double> lowerReference(reference.begin(), reference.end() - 1);
    double total = 0.0;
    for (std::size_t l = 0; l < levels.size() && levels[l] < reference.back(); ++l) {
        std::vector<double> slab;
        for (std::size_t i = 0; i < n; ++i) {
            if (points[i * dims + dims - 1] <= levels[l])
                slab.insert(slab.end(), points.begin() + long(i * dims), points.begin() + long(i * dims + dims - 1));
        }
        const double top = l + 1 < levels.size() ? std::min(levels[l + 1], reference.back()) : reference.back();
        total += lower(slab, lowerReference) * (top - levels[l]);
    }
    return total;
}

// 2-D area by vertical strips between consecutive x values, each covered down to the lowest y seen so far.
double stripArea(const std::vector<double> &points, const std::vector<double> &reference)
{
    std::vector<std::pair<double, double>> sorted;
    for (std::size_t i = 0; i + 1 < points.size(); i += 2) {
        if (points[i] < reference[0] && points[i + 1] < reference[1])
            sorted.emplace_back(points[i], points[i + 1]);
    }
    std::sort(sorted.begin(), sorted.end());
    double area = 0.0;
    double lowest = reference[1];
    for (std::size_t i = 0; i < sorted.size(); ++i) {
        lowest = std::min(lowest, sorted[i].second);
        const double right = i + 1 < sorted.size() ? sorted[i + 1].first : reference[0];
        area += (right - sorted[i].first) * (reference[1] - lowest);
    }
    return area;
}

double engine3d(const std::vector<double> &points, const std::vector<double> &reference)
{
    return psc::hypervolume(points, reference, minimizeAll(3));
}

std::vector<double> spherePoints(std::mt19937_64 &rng, std::size_t n, std::size_t dims)
{
    // On the positive unit sphere no point dominates another, the hardest case for every algorithm.
    std::normal_distribution<double> normal;
    std::vector<double> points;
    for (std::size_t i = 0; i < n; ++i) {
        std::vector<double> v(dims);
        double norm = 0.0;
        for (double &x : v) {
            x = std::abs(normal(rng));
            norm += x * x;
        }
        for (double x : v)
            points.push_back(x / std::sqrt(norm));
    }
    return points;
}

} // namespace

class TestHypervolume : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void oneDimension();
    void twoDimensionsHandCase();
    void threeDimensionsHandCase();
    void fourAndFiveDimensionsHandCase();
    void pointsNotBeatingReferenceContributeNothing();
    void mixedDirections();
    void duplicatesAndDominatedPointsChangeNothing();
    void infiniteValues();
    void randomMatchesInclusionExclusion_data();
    void randomMatchesInclusionExclusion();
    void integerPointsMatchCellCount_data();
    void integerPointsMatchCellCount();
    void threeDimensionsMatchSlicing();
    void fourDimensionsMatchSlicing();
    void scalingMultipliesVolume();
    void invalidInputThrows();
};

void TestHypervolume::oneDimension()
{
    QCOMPARE(psc::hypervolume(std::vector{3.0, 1.0, 2.0}, std::vector{5.0}, minimizeAll(1)), 4.0);
    const std::vector maximize{Direction::Maximize};
    QCOMPARE(psc::hypervolume(std::vector{3.0, 1.0, 2.0}, std::vector{0.5}, maximize), 2.5);
    QCOMPARE(psc::hypervolume(std::vector{3.0}, std::vector{3.0}, minimizeAll(1)), 0.0);
}

void TestHypervolume::twoDimensionsHandCase()
{
    // Boxes [1,4]x[3,4] (3) and [2,4]x[1,4] (6) overlap in [2,4]x[3,4] (2).
    QCOMPARE(psc::hypervolume(std::vector{1.0, 3.0, 2.0, 1.0}, std::vector{4.0, 4.0}, minimizeAll(2)), 7.0);
    // A staircase of four points, listed out of order.
    const std::vector<double> stairs{3, 1, 0, 3, 2, 2, 1, 2.5};
    // x from 0: heights 1 (y 3..4), 1.5 (y 2.5..4), 2 (2..4) up to x=3, then 3 (1..4) up to 4.
    QCOMPARE(psc::hypervolume(stairs, std::vector{4.0, 4.0}, minimizeAll(2)), 1.0 + 1.5 + 2.0 + 3.0);
}

void TestHypervolume::threeDimensionsHandCase()
{
    QCOMPARE(psc::hypervolume(std::vector{1.0, 1.0, 1.0}, std::vector{2.0, 2.0, 2.0}, minimizeAll(3)), 1.0);
    // [0,2]^2 x [1,2] (4) and [1,2]^2 x [0,2] (2) overlap in [1,2]^3 (1).
    const std::vector<double> two{0, 0, 1, 1, 1, 0};
    QCOMPARE(psc::hypervolume(two, std::vector{2.0, 2.0, 2.0}, minimizeAll(3)), 5.0);
    // Three axis-aligned slabs of a 2-cube: 3 * 4 - 3 * 2 + 1 = 7 (all but the far corner cell).
    const std::vector<double> three{0, 0, 1, 0, 1, 0, 1, 0, 0};
    QCOMPARE(psc::hypervolume(three, std::vector{2.0, 2.0, 2.0}, minimizeAll(3)), 7.0);
}

void TestHypervolume::fourAndFiveDimensionsHandCase()
{
    // 8 + 2 - 1 and 16 + 2 - 1.
    QCOMPARE(psc::hypervolume(std::vector<double>{0, 0, 0, 1, 1, 1, 1, 0}, std::vector(4, 2.0), minimizeAll(4)), 9.0);
    QCOMPARE(psc::hypervolume(std::vector<double>{0, 0, 0, 0, 1, 1, 1, 1, 1, 0}, std::vector(5, 2.0), minimizeAll(5)),
             17.0);
    // Four points in 4-D, one per axis: every unit cell but [0,1]^4 is covered, 2^4 - 1 = 15.
    std::vector<double> slabs(16, 0.0);
    for (std::size_t a = 0; a < 4; ++a)
        slabs[a * 4 + a] = 1.0;
    QCOMPARE(psc::hypervolume(slabs, std::vector(4, 2.0), minimizeAll(4)), 15.0);
}

void TestHypervolume::pointsNotBeatingReferenceContributeNothing()
{
    for (std::size_t dims = 1; dims <= 5; ++dims) {
        const std::vector<double> reference(dims, 1.0);
        std::vector<double> onBoundary(dims, 0.0);
        onBoundary.back() = 1.0; // equal to the reference in one objective: a flat box
        std::vector<double> beyond(dims, 0.0);
        beyond.front() = 2.0;
        QCOMPARE(psc::hypervolume(onBoundary, reference, minimizeAll(dims)), 0.0);
        QCOMPARE(psc::hypervolume(beyond, reference, minimizeAll(dims)), 0.0);
        std::vector<double> mixed = onBoundary;
        mixed.insert(mixed.end(), beyond.begin(), beyond.end());
        mixed.insert(mixed.end(), dims, 0.5);
        QCOMPARE(psc::hypervolume(mixed, reference, minimizeAll(dims)), std::pow(0.5, double(dims)));
    }
    QCOMPARE(psc::hypervolume(std::vector<double>{}, std::vector{1.0, 1.0}, minimizeAll(2)), 0.0);
}

void TestHypervolume::mixedDirections()
{
    // (latency, accuracy) against reference (3 s, 0.5): 2 * 0.4 + 1 * 0.05.
    const std::vector dirs{Direction::Minimize, Direction::Maximize};
    const double volume = psc::hypervolume(std::vector{1.0, 0.9, 2.0, 0.95}, std::vector{3.0, 0.5}, dirs);
    QVERIFY2(close(volume, 0.85), mismatch(volume, 0.85).c_str());
    // Maximising everything mirrors the minimisation case.
    const std::vector<double> points{0, 0, 1, 1, 1, 0};
    std::vector<double> mirrored(points.size());
    std::transform(points.begin(), points.end(), mirrored.begin(), [](double v) { return -v; });
    QCOMPARE(psc::hypervolume(mirrored, std::vector(3, -2.0), std::vector(3, Direction::Maximize)), 5.0);
}

void TestHypervolume::duplicatesAndDominatedPointsChangeNothing()
{
    std::mt19937_64 rng(5);
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    for (std::size_t dims = 2; dims <= 5; ++dims) {
        const auto front = spherePoints(rng, 30, dims);
        const std::vector<double> reference(dims, 1.5);
        const double expected = psc::hypervolume(front, reference, minimizeAll(dims));
        std::vector<double> noisy = front;
        noisy.insert(noisy.end(), front.begin(), front.end()); // every point twice
        for (std::size_t i = 0; i < 30; ++i) {
            for (std::size_t j = 0; j < dims; ++j)
                noisy.push_back(front[i * dims + j] + 0.2 * unit(rng)); // dominated copies
        }
        const double actual = psc::hypervolume(noisy, reference, minimizeAll(dims));
        QVERIFY2(close(actual, expected), mismatch(actual, expected).c_str());
    }
}

void TestHypervolume::infiniteValues()
{
    // A failed trial with infinite cost never beats the reference; an infinitely good point is unbounded.
    QCOMPARE(psc::hypervolume(std::vector{1.0, 1.0, kInf, 0.0}, std::vector{2.0, 2.0}, minimizeAll(2)), 1.0);
    QCOMPARE(psc::hypervolume(std::vector{1.0, -kInf, 1.0}, std::vector{2.0, 2.0, 2.0}, minimizeAll(3)), kInf);
    const std::vector dirs{Direction::Minimize, Direction::Maximize};
    QCOMPARE(psc::hypervolume(std::vector{1.0, -kInf}, std::vector{2.0, 0.0}, dirs), 0.0);
}

void TestHypervolume::randomMatchesInclusionExclusion_data()
{
    QTest::addColumn<int>("dims");
    QTest::addColumn<bool>("mixed");
    for (int dims = 2; dims <= 6; ++dims) {
        QTest::newRow(("M" + std::to_string(dims)).c_str()) << dims << false;
        QTest::newRow(("M" + std::to_string(dims) + "_mixed").c_str()) << dims << true;
    }
}

void TestHypervolume::randomMatchesInclusionExclusion()
{
    QFETCH(int, dims);
    QFETCH(bool, mixed);
    std::mt19937_64 rng(std::uint64_t(dims) * 97u + (mixed ? 1u : 0u));
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    auto dirs = minimizeAll(std::size_t(dims));
    if (mixed) {
        for (std::size_t j = 1; j < dirs.size(); j += 2)
            dirs[j] = Direction::Maximize;
    }
    for (int trial = 0; trial < 60; ++trial) {
        const std::size_t n = 1 + std::size_t(trial % 12);
        std::vector<double> points(n * std::size_t(dims));
        for (double &v : points)
            v = unit(rng);
        std::vector<double> reference(static_cast<std::size_t>(dims));
        for (std::size_t j = 0; j < reference.size(); ++j) {
            // Some points fall beyond the reference, so the filter is exercised too.
            reference[j] = dirs[j] == Direction::Maximize ? 0.1 : 0.9;
        }
        const double expected = inclusionExclusion(points, reference, dirs);
        const double actual = psc::hypervolume(points, reference, dirs);
        QVERIFY2(close(actual, expected),
                 ("trial " + std::to_string(trial) + ": " + mismatch(actual, expected)).c_str());
    }
}

void TestHypervolume::integerPointsMatchCellCount_data()
{
    QTest::addColumn<int>("dims");
    QTest::addColumn<int>("side");
    QTest::newRow("M2") << 2 << 40;
    QTest::newRow("M3") << 3 << 14;
    QTest::newRow("M4") << 4 << 8;
    QTest::newRow("M5") << 5 << 5;
}

void TestHypervolume::integerPointsMatchCellCount()
{
    QFETCH(int, dims);
    QFETCH(int, side);
    std::mt19937_64 rng(std::uint64_t(dims) * 13u + 3u);
    for (int trial = 0; trial < 12; ++trial) {
        const std::size_t n = std::size_t(1 + trial * 6);
        // Values up to `side` inclusive: many ties, duplicates and points on the reference boundary.
        std::uniform_int_distribution<int> coordinate(trial % 2 ? side / 2 - 1 : 0, side);
        std::vector<int> points(n * std::size_t(dims));
        for (int &v : points)
            v = coordinate(rng);
        const std::vector<double> asDouble(points.begin(), points.end());
        const double expected = cellCount(points, std::size_t(dims), side);
        const double actual =
            psc::hypervolume(asDouble, std::vector(std::size_t(dims), double(side)), minimizeAll(std::size_t(dims)));
        QVERIFY2(actual == expected, ("trial " + std::to_string(trial) + ": " + mismatch(actual, expected)).c_str());
    }
}

void TestHypervolume::threeDimensionsMatchSlicing()
{
    std::mt19937_64 rng(17);
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    std::vector<double> uniform(3 * 800);
    for (double &v : uniform)
        v = unit(rng);
    const std::vector<double> reference{1.0, 1.0, 1.0};
    for (const auto &points : {uniform, spherePoints(rng, 800, 3)}) {
        const double expected = slicing(points, reference, stripArea);
        const double actual = psc::hypervolume(points, reference, minimizeAll(3));
        QVERIFY2(close(actual, expected), mismatch(actual, expected).c_str());
    }
}

void TestHypervolume::fourDimensionsMatchSlicing()
{
    std::mt19937_64 rng(23);
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    std::vector<double> uniform(4 * 300);
    for (double &v : uniform)
        v = unit(rng);
    const std::vector<double> reference{1.0, 1.0, 1.0, 1.0};
    // The 3-D kernel is checked above; slicing it along the fourth objective checks WFG's recursion.
    for (const auto &points : {uniform, spherePoints(rng, 150, 4)}) {
        const double expected = slicing(points, reference, engine3d);
        const double actual = psc::hypervolume(points, reference, minimizeAll(4));
        QVERIFY2(close(actual, expected), mismatch(actual, expected).c_str());
    }
}

void TestHypervolume::scalingMultipliesVolume()
{
    // Power-of-two scales and shifts keep every operation exact enough to compare tightly.
    std::mt19937_64 rng(29);
    const std::size_t dims = 5;
    const auto points = spherePoints(rng, 40, dims);
    const std::vector<double> reference(dims, 1.25);
    const double base = psc::hypervolume(points, reference, minimizeAll(dims));
    QVERIFY(base > 0.0);
    const std::vector<double> scale{2.0, 0.5, 4.0, 1.0, 8.0};
    std::vector<double> scaled = points;
    std::vector<double> scaledReference = reference;
    for (std::size_t i = 0; i < scaled.size(); ++i)
        scaled[i] = scaled[i] * scale[i % dims] + 3.0;
    for (std::size_t j = 0; j < dims; ++j)
        scaledReference[j] = scaledReference[j] * scale[j] + 3.0;
    const double actual = psc::hypervolume(scaled, scaledReference, minimizeAll(dims));
    QVERIFY2(close(actual, base * 32.0), mismatch(actual, base * 32.0).c_str());
}

void TestHypervolume::invalidInputThrows()
{
    const std::vector<double> points{0.0, 0.0, 0.5, 0.5};
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, psc::hypervolume(points, std::vector{1.0}, minimizeAll(2)));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument,
                             psc::hypervolume(points, std::vector{1.0, 1.0, 1.0}, minimizeAll(3)));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument,
                             psc::hypervolume(points, std::vector{1.0, std::nan("")}, minimizeAll(2)));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, psc::hypervolume(points, std::vector{1.0, kInf}, minimizeAll(2)));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument,
                             psc::hypervolume(std::vector{0.0, std::nan("")}, std::vector{1.0, 1.0}, minimizeAll(2)));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument,
                             psc::hypervolume(points, std::vector<double>{}, std::vector<Direction>{}));
    try {
        psc::hypervolume(points, std::vector{1.0}, minimizeAll(2));
        QFAIL("no exception");
    } catch (const std::invalid_argument &e) {
        QVERIFY2(QString::fromUtf8(e.what()).contains("reference"), e.what());
    }
}

QTEST_APPLESS_MAIN(TestHypervolume)
#include "tst_hypervolume.moc"
