// SPDX-License-Identifier: GPL-3.0-or-later
// Tests of domination, non-dominated sorting, the Pareto front and the crowding distance.

#include "psc/pareto/pareto.h"
// Internal header, reached by path: lets one test shrink the sorter's pairwise leaves to exercise its recursion.
#include "../../engine/src/pareto/paretoinput.h"

#include <QTest>

#include <algorithm>
#include <cmath>
#include <cstdint>
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

/** Names the first point whose rank differs and how many differ, instead of dumping thousands of ranks. */
std::string rankMismatch(const std::vector<std::size_t> &ranks, const std::vector<std::size_t> &expected)
{
    if (ranks.size() != expected.size())
        return std::to_string(ranks.size()) + " ranks, expected " + std::to_string(expected.size());
    std::size_t differing = 0;
    std::string first;
    for (std::size_t i = 0; i < ranks.size(); ++i) {
        if (ranks[i] != expected[i] && differing++ == 0) {
            first = "point " + std::to_string(i) + " has rank " + std::to_string(ranks[i]) + ", expected " +
                    std::to_string(expected[i]);
        }
    }
    return first + " (" + std::to_string(differing) + " of " + std::to_string(ranks.size()) + " differ)";
}

// An oracle written independently of the engine: Deb's O(M N^2) "fast non-dominated sort" (NSGA-II paper,
// section III-A), peeling fronts with domination counts.
std::vector<std::size_t> naiveRanks(const std::vector<double> &points, const std::vector<Direction> &directions)
{
    const std::size_t dims = directions.size();
    const std::size_t n = points.size() / dims;
    const auto better = [&](std::size_t a, std::size_t b) { // a dominates b
        bool strict = false;
        for (std::size_t j = 0; j < dims; ++j) {
            double x = points[a * dims + j];
            double y = points[b * dims + j];
            if (directions[j] == Direction::Maximize)
                std::swap(x, y);
            if (x > y)
                return false;
            strict = strict || x < y;
        }
        return strict;
    };
    std::vector<std::vector<std::size_t>> dominated(n);
    std::vector<std::size_t> count(n, 0);
    for (std::size_t a = 0; a < n; ++a) {
        for (std::size_t b = a + 1; b < n; ++b) {
            if (better(a, b)) {
                dominated[a].push_back(b);
                ++count[b];
            } else if (better(b, a)) {
                dominated[b].push_back(a);
                ++count[a];
            }
        }
    }
    std::vector<std::size_t> rank(n, 0);
    std::vector<std::size_t> current;
    for (std::size_t i = 0; i < n; ++i) {
        if (count[i] == 0)
            current.push_back(i);
    }
    for (std::size_t level = 0; !current.empty(); ++level) {
        std::vector<std::size_t> next;
        for (std::size_t a : current) {
            rank[a] = level;
            for (std::size_t b : dominated[a]) {
                if (--count[b] == 0)
                    next.push_back(b);
            }
        }
        current.swap(next);
    }
    return rank;
}

enum class Shape
{
    Uniform,        // continuous, few fronts of moderate size
    SmallIntegers,  // values 0..3: many ties and duplicates
    MediumIntegers, // values 0..19: ties in every objective but enough distinct points to reach the sweeps
    AntiCorrelated, // near the simplex sum = 1: huge first fronts
};

std::vector<double> randomPoints(std::mt19937_64 &rng, std::size_t n, std::size_t dims, Shape shape)
{
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    std::uniform_int_distribution<int> small(0, 3);
    std::uniform_int_distribution<int> medium(0, 19);
    std::vector<double> points(n * dims);
    for (std::size_t i = 0; i < n; ++i) {
        double sum = 0.0;
        for (std::size_t j = 0; j < dims; ++j) {
            double v = shape == Shape::SmallIntegers    ? small(rng)
                       : shape == Shape::MediumIntegers ? medium(rng)
                                                        : unit(rng);
            if (shape == Shape::AntiCorrelated && j + 1 == dims)
                v = 1.0 - sum + 0.01 * v; // mostly mutually non-dominated, with some noise to create a few fronts
            sum += v;
            points[i * dims + j] = v;
        }
    }
    return points;
}

} // namespace

class TestPareto : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void dominatesFollowsWeakParetoDomination();
    void fronts2dHandCase();
    void fronts3dHandCase();
    void equalInOneObjectiveStillDominates();
    void duplicatesShareFront();
    void mixedDirections();
    void oneObjective();
    void emptyInput();
    void ranksAgreeWithFronts();
    void randomSetsMatchNaiveSort_data();
    void randomSetsMatchNaiveSort();
    void recursionBranchesMatchNaiveSort();
    void largeFrontUsesFullSort();
    void crowdingHandCase();
    void crowdingSmallFrontsAreBoundary();
    void crowdingSkipsConstantObjective();
    void crowdingTiesAreDeterministic();
    void invalidInputThrows();
};

void TestPareto::dominatesFollowsWeakParetoDomination()
{
    const auto dirs = minimizeAll(2);
    QVERIFY(psc::dominates(std::vector{1.0, 1.0}, std::vector{2.0, 2.0}, dirs));
    QVERIFY(psc::dominates(std::vector{1.0, 2.0}, std::vector{1.0, 3.0}, dirs));  // equal in one, better in other
    QVERIFY(!psc::dominates(std::vector{1.0, 2.0}, std::vector{1.0, 2.0}, dirs)); // identical: neither
    QVERIFY(!psc::dominates(std::vector{1.0, 3.0}, std::vector{2.0, 2.0}, dirs)); // incomparable
    QVERIFY(!psc::dominates(std::vector{2.0, 2.0}, std::vector{1.0, 1.0}, dirs));
    QVERIFY(psc::dominates(std::vector{-0.0, 1.0}, std::vector{0.0, 2.0}, dirs)); // -0 == 0
    const std::vector mixed{Direction::Minimize, Direction::Maximize};
    QVERIFY(psc::dominates(std::vector{1.0, 0.9}, std::vector{2.0, 0.8}, mixed));
    QVERIFY(!psc::dominates(std::vector{1.0, 0.8}, std::vector{2.0, 0.9}, mixed));
    QVERIFY(psc::dominates(std::vector{-kInf, 0.0}, std::vector{0.0, 0.0}, dirs));
}

void TestPareto::fronts2dHandCase()
{
    // (1,5) (2,3) (4,1) and the duplicate of (2,3) are the front; (3,4) and (4,2) come next; (5,5) last.
    const std::vector<double> points{1, 5, 2, 3, 4, 1, 3, 4, 5, 5, 2, 3, 4, 2};
    const auto fronts = psc::nondominatedSort(points, minimizeAll(2));
    QCOMPARE(fronts.size(), std::size_t{3});
    QCOMPARE(fronts[0], (psc::Front{0, 1, 2, 5}));
    QCOMPARE(fronts[1], (psc::Front{3, 6}));
    QCOMPARE(fronts[2], (psc::Front{4}));
    QCOMPARE(psc::paretoFront(points, minimizeAll(2)), (psc::Front{0, 1, 2, 5}));
}

void TestPareto::fronts3dHandCase()
{
    const std::vector<double> points{
        1, 1, 1, // 0: dominated only by 5 (equal in two objectives): rank 1
        2, 2, 2, // 1: dominated by 0 and 5: rank 2
        0, 3, 3, // 2: incomparable with 0, 1 and 5: rank 0
        3, 3, 3, // 3: dominated by 1, 2 and 4: rank 4
        2, 2, 3, // 4: dominated by 1 (equal in two objectives): rank 3
        1, 1, 0, // 5: rank 0
    };
    const auto ranks = psc::nondominatedRanks(points, minimizeAll(3));
    QCOMPARE(ranks, (std::vector<std::size_t>{1, 2, 0, 4, 3, 0}));
    QCOMPARE(psc::paretoFront(points, minimizeAll(3)), (psc::Front{2, 5}));
}

void TestPareto::equalInOneObjectiveStillDominates()
{
    // A chain where each point ties the previous one in all but one objective.
    const std::vector<double> points{1, 1, 1, 1, 1, 1, 1, 2, 1, 1, 2, 2, 1, 2, 2, 2};
    const auto fronts = psc::nondominatedSort(points, minimizeAll(4));
    QCOMPARE(fronts.size(), std::size_t{4});
    for (std::size_t k = 0; k < 4; ++k)
        QCOMPARE(fronts[k], (psc::Front{k}));
}

void TestPareto::duplicatesShareFront()
{
    const std::vector<double> points{3, 3, 3, 1, 2, 3, 3, 3, 3, 1, 2, 3, 0, 5, 9};
    const auto fronts = psc::nondominatedSort(points, minimizeAll(3));
    QCOMPARE(fronts.size(), std::size_t{2});
    QCOMPARE(fronts[0], (psc::Front{1, 3, 4}));
    QCOMPARE(fronts[1], (psc::Front{0, 2}));
    QCOMPARE(psc::paretoFront(points, minimizeAll(3)), (psc::Front{1, 3, 4}));
}

void TestPareto::mixedDirections()
{
    // (latency, accuracy): latency minimised, accuracy maximised.
    const std::vector<double> points{1, 0.5, 2, 0.9, 3, 0.8, 1, 0.4};
    const std::vector dirs{Direction::Minimize, Direction::Maximize};
    const auto fronts = psc::nondominatedSort(points, dirs);
    QCOMPARE(fronts.size(), std::size_t{2});
    QCOMPARE(fronts[0], (psc::Front{0, 1}));
    QCOMPARE(fronts[1], (psc::Front{2, 3}));
    QCOMPARE(psc::paretoFront(points, dirs), (psc::Front{0, 1}));
    // Minimising both instead gives a different answer, so the direction is really used.
    QCOMPARE(psc::paretoFront(points, minimizeAll(2)), (psc::Front{3}));
    const std::vector maxBoth{Direction::Maximize, Direction::Maximize};
    QCOMPARE(psc::paretoFront(points, maxBoth), (psc::Front{1, 2}));
}

void TestPareto::oneObjective()
{
    const std::vector<double> values{3, 1, 2, 1, 3};
    QCOMPARE(psc::nondominatedRanks(values, minimizeAll(1)), (std::vector<std::size_t>{2, 0, 1, 0, 2}));
    QCOMPARE(psc::paretoFront(values, minimizeAll(1)), (psc::Front{1, 3}));
    const std::vector maximize{Direction::Maximize};
    QCOMPARE(psc::nondominatedRanks(values, maximize), (std::vector<std::size_t>{0, 2, 1, 2, 0}));
    QCOMPARE(psc::paretoFront(values, maximize), (psc::Front{0, 4}));
}

void TestPareto::emptyInput()
{
    const std::vector<double> none;
    QVERIFY(psc::nondominatedSort(none, minimizeAll(3)).empty());
    QVERIFY(psc::nondominatedRanks(none, minimizeAll(3)).empty());
    QVERIFY(psc::paretoFront(none, minimizeAll(3)).empty());
    QVERIFY(psc::crowdingDistance(none, {}, minimizeAll(3)).empty());
    const std::vector<double> single{4, 2};
    QCOMPARE(psc::nondominatedSort(single, minimizeAll(2)), (std::vector<psc::Front>{{0}}));
}

void TestPareto::ranksAgreeWithFronts()
{
    std::mt19937_64 rng(7);
    const auto points = randomPoints(rng, 500, 3, Shape::SmallIntegers);
    const auto ranks = psc::nondominatedRanks(points, minimizeAll(3));
    const auto fronts = psc::nondominatedSort(points, minimizeAll(3));
    std::size_t total = 0;
    for (std::size_t k = 0; k < fronts.size(); ++k) {
        QVERIFY(!fronts[k].empty());
        QVERIFY(std::is_sorted(fronts[k].begin(), fronts[k].end()));
        for (std::size_t i : fronts[k])
            QCOMPARE(ranks[i], k);
        total += fronts[k].size();
    }
    QCOMPARE(total, points.size() / 3);
}

void TestPareto::randomSetsMatchNaiveSort_data()
{
    QTest::addColumn<int>("dims");
    QTest::addColumn<int>("count");
    QTest::addColumn<int>("shape");
    QTest::addColumn<bool>("mixed");
    // Sizes cross the pairwise/recursive thresholds of the sorter; small integers give heavy ties.
    for (int dims = 2; dims <= 6; ++dims) {
        for (int count : {1, 2, 3, 17, 60, 300, 2000}) {
            for (int shape = 0; shape < 4; ++shape) {
                if (count == 2000 && dims > 4 && shape != int(Shape::MediumIntegers))
                    continue; // keeps the suite fast; the 2000-point ties case still covers 5 and 6 objectives
                const auto name =
                    "M" + std::to_string(dims) + "_N" + std::to_string(count) + "_shape" + std::to_string(shape);
                QTest::newRow(name.c_str()) << dims << count << shape << (count % 2 == 1);
            }
        }
    }
}

void TestPareto::randomSetsMatchNaiveSort()
{
    QFETCH(int, dims);
    QFETCH(int, count);
    QFETCH(int, shape);
    QFETCH(bool, mixed);
    std::mt19937_64 rng(std::uint64_t(dims) * 1000003u + std::uint64_t(count) * 31u + std::uint64_t(shape));
    for (int repeat = 0; repeat < (count < 100 ? 20 : 2); ++repeat) {
        const auto points = randomPoints(rng, std::size_t(count), std::size_t(dims), Shape(shape));
        auto dirs = minimizeAll(std::size_t(dims));
        if (mixed) {
            for (std::size_t j = 0; j < dirs.size(); j += 2)
                dirs[j] = Direction::Maximize;
        }
        const auto expected = naiveRanks(points, dirs);
        const auto ranks = psc::nondominatedRanks(points, dirs);
        QVERIFY2(ranks == expected, rankMismatch(ranks, expected).c_str());

        psc::Front expectedFront;
        for (std::size_t i = 0; i < expected.size(); ++i) {
            if (expected[i] == 0)
                expectedFront.push_back(i);
        }
        QCOMPARE(psc::paretoFront(points, dirs), expectedFront);
        const auto fronts = psc::nondominatedSort(points, dirs);
        QCOMPARE(fronts.empty() ? psc::Front{} : fronts[0], expectedFront);
    }
}

void TestPareto::recursionBranchesMatchNaiveSort()
{
    // The public entry points only recurse on sets larger than the pairwise leaves, so rare tie patterns at
    // the recursion's split boundaries would need huge random sets to show up. Without leaves (0) or with tiny
    // ones, every branch runs on small sets, which the naive sort checks cheaply.
    std::mt19937_64 rng(3);
    const std::vector<psc::paretodetail::SortTuning> tunings{{0, 0}, {1, 1}, {3, 6}};
    for (std::size_t dims = 2; dims <= 6; ++dims) {
        const auto dirs = minimizeAll(dims);
        for (int range : {2, 3, 5, 10, 1000}) {
            std::uniform_int_distribution<int> value(0, range - 1);
            for (std::size_t n : {5, 20, 80, 300}) {
                for (int repeat = 0; repeat < 4; ++repeat) {
                    std::vector<double> points(n * dims);
                    for (double &v : points)
                        v = value(rng);
                    const auto expected = naiveRanks(points, dirs);
                    const auto ranked = psc::paretodetail::rankPoints(points, dirs);
                    for (const auto &tuning : tunings) {
                        const auto unique = psc::paretodetail::divideAndConquerRanks(ranked, tuning);
                        std::vector<std::size_t> ranks(n);
                        for (std::size_t i = 0; i < n; ++i)
                            ranks[i] = std::size_t(unique[std::size_t(ranked.uniqueOf[i])]);
                        const auto where = "M=" + std::to_string(dims) + " range=" + std::to_string(range) +
                                           " N=" + std::to_string(n) + " leaves=" + std::to_string(tuning.pairwiseA);
                        QVERIFY2(ranks == expected, (where + ": " + rankMismatch(ranks, expected)).c_str());
                    }
                }
            }
        }
    }
}

void TestPareto::largeFrontUsesFullSort()
{
    // 3000 points on a plane in 4-D are all mutually non-dominated: the scan of paretoFront() exceeds its
    // budget and must hand over to the full sort without losing points.
    std::mt19937_64 rng(11);
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    const std::size_t n = 3000;
    std::vector<double> points;
    for (std::size_t i = 0; i < n; ++i) {
        const double a = unit(rng), b = unit(rng), c = unit(rng);
        points.insert(points.end(), {a, b, c, 3.0 - a - b - c});
    }
    // Plus one point dominating a single plane point, and one dominated by everything.
    points.insert(points.end(), {points[0] - 1e-3, points[1], points[2], points[3]});
    points.insert(points.end(), {9.0, 9.0, 9.0, 9.0});
    const auto front = psc::paretoFront(points, minimizeAll(4));
    QCOMPARE(front.size(), n);
    QCOMPARE(front.front(), std::size_t{1});
    QCOMPARE(front.back(), n);
    const auto fronts = psc::nondominatedSort(points, minimizeAll(4));
    QCOMPARE(fronts.size(), std::size_t{3});
    QCOMPARE(fronts[1], (psc::Front{0}));
    QCOMPARE(fronts[2], (psc::Front{n + 1}));
}

void TestPareto::crowdingHandCase()
{
    // Objective 1 spans twice the range of objective 0; normalisation makes that irrelevant.
    const std::vector<double> points{99, 99, 0, 20, 2, 10, 3, 6, 6, 2, 10, 0};
    const auto dirs = minimizeAll(2);
    // obj 0 neighbours: (3-0)/10, (6-2)/10, (10-3)/10; obj 1: (20-6)/20, (10-2)/20, (6-0)/20.
    const std::vector<std::size_t> front{1, 2, 3, 4, 5};
    const auto distance = psc::crowdingDistance(points, front, dirs);
    const std::vector<double> expected{kInf, 0.3 + 0.7, 0.4 + 0.4, 0.7 + 0.3, kInf};
    QCOMPARE(distance.size(), expected.size());
    for (std::size_t i = 0; i < expected.size(); ++i)
        QCOMPARE(distance[i], expected[i]);
    // The result follows the order of `front`, and maximising changes nothing.
    const std::vector<std::size_t> shuffled{3, 5, 1, 4, 2};
    const std::vector mixed{Direction::Maximize, Direction::Minimize};
    const auto reordered = psc::crowdingDistance(points, shuffled, mixed);
    QCOMPARE(reordered, (std::vector<double>{expected[2], expected[4], expected[0], expected[3], expected[1]}));
}

void TestPareto::crowdingSmallFrontsAreBoundary()
{
    const std::vector<double> points{1, 2, 3, 4};
    QCOMPARE(psc::crowdingDistance(points, std::vector<std::size_t>{1}, minimizeAll(2)), (std::vector<double>{kInf}));
    QCOMPARE(psc::crowdingDistance(points, std::vector<std::size_t>{0, 1}, minimizeAll(2)),
             (std::vector<double>{kInf, kInf}));
}

void TestPareto::crowdingSkipsConstantObjective()
{
    const std::vector<double> points{1, 5, 2, 5, 3, 5, 7, 5};
    const auto distance = psc::crowdingDistance(points, std::vector<std::size_t>{0, 1, 2, 3}, minimizeAll(2));
    QCOMPARE(distance, (std::vector<double>{kInf, (3.0 - 1.0) / 6.0, (7.0 - 2.0) / 6.0, kInf}));
    // All points identical: no objective has a range, so no boundaries and no distance.
    const std::vector<double> same{4, 4, 4, 4, 4, 4};
    QCOMPARE(psc::crowdingDistance(same, std::vector<std::size_t>{0, 1, 2}, minimizeAll(2)),
             (std::vector<double>{0, 0, 0}));
}

void TestPareto::crowdingTiesAreDeterministic()
{
    // Two identical interior points: ties keep their order in `front`, so each sees the other as a
    // neighbour once per objective.
    const std::vector<double> points{0, 2, 1, 1, 1, 1, 2, 0};
    const auto distance = psc::crowdingDistance(points, std::vector<std::size_t>{0, 1, 2, 3}, minimizeAll(2));
    QCOMPARE(distance, (std::vector<double>{kInf, 1.0, 1.0, kInf}));
    // With three identical points in the middle the outer ones of the tie get more than the inner one.
    const std::vector<double> three{0, 4, 2, 2, 2, 2, 2, 2, 4, 0};
    const auto d3 = psc::crowdingDistance(three, std::vector<std::size_t>{0, 1, 2, 3, 4}, minimizeAll(2));
    QCOMPARE(d3, (std::vector<double>{kInf, 0.5 + 0.5, 0.0 + 0.0, 0.5 + 0.5, kInf}));
}

void TestPareto::invalidInputThrows()
{
    const std::vector<double> points{1, 2, 3, 4};
    const std::vector<Direction> none;
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, psc::nondominatedSort(points, none));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, psc::nondominatedSort(points, minimizeAll(3)));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, psc::nondominatedRanks(points, minimizeAll(3)));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, psc::paretoFront(points, minimizeAll(3)));
    const std::vector<double> withNan{1, 2, std::nan(""), 4};
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, psc::nondominatedSort(withNan, minimizeAll(2)));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, psc::paretoFront(withNan, minimizeAll(2)));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, psc::dominates(points, points, minimizeAll(2)));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument,
                             psc::dominates(std::vector{1.0, std::nan("")}, std::vector{1.0, 2.0}, minimizeAll(2)));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument,
                             psc::crowdingDistance(points, std::vector<std::size_t>{0, 2}, minimizeAll(2)));
    const std::vector<double> withInf{1, 2, kInf, 4, 0, 9};
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument,
                             psc::crowdingDistance(withInf, std::vector<std::size_t>{0, 1, 2}, minimizeAll(2)));
    // The message names the function and the culprit.
    try {
        psc::nondominatedSort(withNan, minimizeAll(2));
        QFAIL("no exception");
    } catch (const std::invalid_argument &e) {
        const QString message = QString::fromUtf8(e.what());
        QVERIFY2(message.contains("nondominatedSort") && message.contains("point 1") && message.contains("NaN"),
                 e.what());
    }
    // Infinities are legal values for sorting: (-inf, inf) dominates (0, inf).
    const std::vector<double> infinite{kInf, 0, 0, kInf, -kInf, kInf};
    QCOMPARE(psc::paretoFront(infinite, minimizeAll(2)), (psc::Front{0, 2}));
    QCOMPARE(psc::nondominatedRanks(infinite, minimizeAll(2)), (std::vector<std::size_t>{0, 1, 0}));
}

QTEST_APPLESS_MAIN(TestPareto)
#include "tst_pareto.moc"
