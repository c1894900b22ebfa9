// SPDX-License-Identifier: GPL-3.0-or-later
// Hand-worked cases of the greedy arena planner and the live-sum peak.

#include "psc/net/memoryplanner.h"

#include <QTest>

#include <stdexcept>

using psc::MemoryPlan;
using psc::MemoryPlanner;

class TestMemoryPlanner : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void emptyPlan();
    void disjointLifetimesShareOffsetZero();
    void touchingLifetimesConflict();
    void alignmentRoundsOffsetsUp();
    void largestFirstThenEarliestFirstUse();
    void greedyArenaExceedsLiveSum();
    void fillsGapBelowConflictingTensor();
    void zeroSizedTensorsBlockNothing();
    void rejectsInvalidTensors();
};

void TestMemoryPlanner::emptyPlan()
{
    const MemoryPlanner planner;
    const MemoryPlan plan = planner.plan();
    QVERIFY(plan.offsets.empty());
    QCOMPARE(plan.arenaBytes, 0);
    QCOMPARE(planner.peakLiveBytes(), 0);
    QCOMPARE(planner.peakLiveStep(), 0);
}

void TestMemoryPlanner::disjointLifetimesShareOffsetZero()
{
    MemoryPlanner planner(16);
    planner.addTensor(100, 0, 0);
    planner.addTensor(300, 1, 1);
    planner.addTensor(200, 2, 3);
    const MemoryPlan plan = planner.plan();
    // No two lifetimes intersect, so every tensor sits at 0 and the arena is the largest tensor.
    QCOMPARE(plan.offsets, (std::vector<std::int64_t>{0, 0, 0}));
    QCOMPARE(plan.arenaBytes, 300);
    QCOMPARE(planner.peakLiveBytes(), 300);
    QCOMPARE(planner.peakLiveStep(), 1);
}

void TestMemoryPlanner::touchingLifetimesConflict()
{
    // Lifetimes are inclusive: a tensor last read at step 1 still exists while step 1 writes the next one.
    MemoryPlanner planner(1);
    planner.addTensor(10, 0, 1);
    planner.addTensor(10, 1, 2);
    const MemoryPlan plan = planner.plan();
    QCOMPARE(plan.offsets, (std::vector<std::int64_t>{0, 10}));
    QCOMPARE(plan.arenaBytes, 20);
    QCOMPARE(planner.peakLiveBytes(), 20); // step 1: 10 + 10
}

void TestMemoryPlanner::alignmentRoundsOffsetsUp()
{
    MemoryPlanner planner(16);
    planner.addTensor(10, 0, 1);
    planner.addTensor(10, 1, 2);
    const MemoryPlan plan = planner.plan();
    // The second tensor cannot start at byte 10: the next multiple of 16 is 16, so the arena is 16 + 10.
    QCOMPARE(plan.offsets, (std::vector<std::int64_t>{0, 16}));
    QCOMPARE(plan.arenaBytes, 26);
    QCOMPARE(planner.peakLiveBytes(), 20); // the live sum ignores alignment
}

void TestMemoryPlanner::largestFirstThenEarliestFirstUse()
{
    MemoryPlanner planner(16);
    planner.addTensor(8, 5, 6);  // #0: same size as #1 but used later
    planner.addTensor(8, 0, 5);  // #1: placed first because its first use is earlier
    planner.addTensor(64, 7, 7); // #2: largest, placed before both, alive with neither
    const MemoryPlan plan = planner.plan();
    // Order: #2 -> 0. #1 [0,5] does not meet #2 -> 0. #0 [5,6] meets #1 (0..8) -> 16.
    // Had ties been broken by insertion order, #0 would sit at 0 and #1 at 16 instead.
    QCOMPARE(plan.offsets, (std::vector<std::int64_t>{16, 0, 0}));
    QCOMPARE(plan.arenaBytes, 64);
    QCOMPARE(planner.peakLiveBytes(), 64); // step 7: the 64 B tensor alone
    QCOMPARE(planner.peakLiveStep(), 7);
}

void TestMemoryPlanner::greedyArenaExceedsLiveSum()
{
    // A chain in the shape of a MobileNet stem (sizes scaled down, alignment 1):
    //   in 3 B [0,0], t0 2 B [0,1], t1 2 B [1,2], t2 4 B [2,3], t3 1 B [3,4]
    MemoryPlanner planner(1);
    planner.addTensor(3, 0, 0);
    planner.addTensor(2, 0, 1);
    planner.addTensor(2, 1, 2);
    planner.addTensor(4, 2, 3);
    planner.addTensor(1, 3, 4);
    const MemoryPlan plan = planner.plan();
    // Largest first: t2 -> 0..4. in (no conflict with t2) -> 0..3. t0 meets in -> 3..5.
    // t1 meets t2 (0..4) and t0 (3..5) -> 5..7. t3 meets t2 (0..4) only -> 4..5.
    QCOMPARE(plan.offsets, (std::vector<std::int64_t>{0, 3, 5, 0, 4}));
    QCOMPARE(plan.arenaBytes, 7);
    // Live sums per step: 0: 3+2=5, 1: 2+2=4, 2: 2+4=6, 3: 4+1=5, 4: 1. Greedy wastes a byte.
    QCOMPARE(planner.peakLiveBytes(), 6);
    QCOMPARE(planner.peakLiveStep(), 2);
    QVERIFY(plan.arenaBytes > planner.peakLiveBytes());
}

void TestMemoryPlanner::fillsGapBelowConflictingTensor()
{
    MemoryPlanner planner(16);
    planner.addTensor(100, 0, 1); // A -> 0..100
    planner.addTensor(90, 2, 3);  // B is not alive with A -> 0..90
    planner.addTensor(80, 1, 2);  // C meets B (0..90, next aligned 96) and A (0..100, next aligned 112) -> 112
    planner.addTensor(16, 3, 3);  // D meets only B -> first aligned offset past 90 is 96
    const MemoryPlan plan = planner.plan();
    QCOMPARE(plan.offsets, (std::vector<std::int64_t>{0, 0, 112, 96}));
    QCOMPARE(plan.arenaBytes, 192);

    // A small tensor alive with two blocks that leave a hole between them goes into the hole.
    MemoryPlanner holes(16);
    holes.addTensor(32, 0, 1); // X -> 0..32
    holes.addTensor(32, 1, 2); // Y meets X -> 32..64
    holes.addTensor(32, 1, 3); // W (tie with Y on size and first use: given order) meets X and Y -> 64..96
    holes.addTensor(32, 3, 4); // V meets only W -> 0..32
    holes.addTensor(16, 3, 3); // S meets W (64..96) and V (0..32), not Y -> the hole 32..48
    const MemoryPlan p2 = holes.plan();
    QCOMPARE(p2.offsets, (std::vector<std::int64_t>{0, 32, 64, 0, 32}));
    QCOMPARE(p2.arenaBytes, 96);
    // Live sums: step 1: X+Y+W = 96; step 3: W+V+S = 80.
    QCOMPARE(holes.peakLiveBytes(), 96);
    QCOMPARE(holes.peakLiveStep(), 1);
}

void TestMemoryPlanner::zeroSizedTensorsBlockNothing()
{
    MemoryPlanner planner(16);
    planner.addTensor(0, 0, 3);
    planner.addTensor(32, 0, 3);
    const MemoryPlan plan = planner.plan();
    QCOMPARE(plan.offsets, (std::vector<std::int64_t>{0, 0}));
    QCOMPARE(plan.arenaBytes, 32);
}

void TestMemoryPlanner::rejectsInvalidTensors()
{
    MemoryPlanner planner;
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, planner.addTensor(-1, 0, 0));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, planner.addTensor(4, 2, 1));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, planner.addTensor(4, -1, 1));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, MemoryPlanner(0));
    QVERIFY(planner.tensors().empty());
}

QTEST_APPLESS_MAIN(TestMemoryPlanner)
#include "tst_memoryplanner.moc"
