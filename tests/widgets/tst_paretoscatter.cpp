// SPDX-License-Identifier: GPL-3.0-or-later
// computeParetoScatter(), the pure part of the Pareto plot, on hand-made trials whose fronts are worked out by hand.
#include "models/trialset.h"
#include "plot/paretoscatter.h"

#include "psc/pareto/pareto.h"
#include "psc/study/metrics.h"

#include <QTest>

#include <algorithm>
#include <random>

using namespace psc;

namespace {

/** Objectives: max accuracy, min weight_bytes, min macs (the third decides the study's front beyond the axes). */
StudySpec spec()
{
    StudySpec s;
    s.objectives = {{{"accuracy", ""}, Direction::Maximize},
                    {{"weight_bytes", ""}, Direction::Minimize},
                    {{"macs", ""}, Direction::Minimize}};
    return s;
}

Trial trial(qint64 id, TrialState state, double accuracy, double bytes, double macs)
{
    Trial t;
    t.id = id;
    t.state = state;
    t.metrics = {{"", "accuracy", accuracy}, {"", "weight_bytes", bytes}, {"", "macs", macs}};
    return t;
}

const ScatterPoint *point(const ParetoScatter &s, qint64 id)
{
    for (const ScatterPoint &p : s.points)
        if (p.id == id)
            return &p;
    return nullptr;
}

} // namespace

class TestParetoScatter : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    // The front of the two axes (a sort and a sweep) is the engine's paretoFront() on random studies with ties and
    // duplicates, in every direction, whether the values come from the trials or from a TrialSet's cached columns.
    void axesFrontMatchesTheEngine()
    {
        std::mt19937 rng(7);
        std::uniform_int_distribution<int> coarse(0, 30); // few distinct values: many ties and duplicates
        for (int round = 0; round < 40; ++round) {
            std::vector<Trial> trials;
            for (int i = 1; i <= 300; ++i)
                trials.push_back(trial(i, i % 17 == 0 ? TrialState::Failed : TrialState::Complete, coarse(rng) / 30.0,
                                       1000.0 * coarse(rng), 1e5));
            StudySpec study = spec();
            const Direction dx = round % 2 ? Direction::Minimize : Direction::Maximize;
            const Direction dy = round % 4 < 2 ? Direction::Maximize : Direction::Minimize;
            study.objectives = {{{"weight_bytes", ""}, dx}, {{"accuracy", ""}, dy}};
            std::vector<double> values;
            std::vector<qint64> ids;
            for (const Trial &t : trials)
                if (t.state == TrialState::Complete) {
                    values.insert(values.end(), {t.metrics[1].value, t.metrics[0].value});
                    ids.push_back(t.id);
                }
            const std::vector<Direction> directions{dx, dy};
            std::vector<qint64> expected;
            for (std::size_t k : paretoFront(values, directions))
                expected.push_back(ids[k]);
            std::sort(expected.begin(), expected.end());
            TrialSet set;
            set.reset(study, trials);
            for (const TrialSet *columns :
                 {static_cast<const TrialSet *>(nullptr), static_cast<const TrialSet *>(&set)}) {
                const ParetoScatter s = computeParetoScatter(study, set.trials(), {"weight_bytes", ""},
                                                             {"accuracy", ""}, false, false, nullptr, nullptr, columns);
                std::vector<qint64> front(s.front.begin(), s.front.end());
                std::sort(front.begin(), front.end());
                QCOMPARE(front, expected);
            }
        }
    }

    // Analog accuracy carries its spread over device draws: the point gets it as its error on that axis only, and a
    // trial without a spread gets none.
    void analogAccuracyHasErrorBars()
    {
        Trial a = trial(1, TrialState::Complete, 0.8, 1000, 500);
        a.metrics.push_back({"aon-cim", "analog_accuracy", 0.75});
        a.metrics.push_back({"aon-cim", "analog_accuracy_std", 0.02});
        Trial b = trial(2, TrialState::Complete, 0.7, 500, 500);
        b.metrics.push_back({"aon-cim", "analog_accuracy", 0.72});
        const ParetoScatter s =
            computeParetoScatter(spec(), {a, b}, {"weight_bytes", ""}, {"analog_accuracy", "aon-cim"});
        QCOMPARE(point(s, 1)->y, 0.75);
        QCOMPARE(point(s, 1)->yError, 0.02);
        QCOMPARE(point(s, 1)->xError, 0.0);
        QCOMPARE(point(s, 2)->yError, 0.0);
        const ParetoScatter swapped =
            computeParetoScatter(spec(), {a, b}, {"analog_accuracy", "aon-cim"}, {"accuracy", ""});
        QCOMPARE(point(swapped, 1)->xError, 0.02);
        QCOMPARE(point(swapped, 1)->yError, 0.0);
        // Only analog accuracy has a spread.
        QVERIFY(spreadMetric({"accuracy", ""}).name.empty());
        QVERIFY(spreadMetric({"analog_accuracy", ""}).name.empty());
    }

    // On (weight_bytes, accuracy): 1 (1000 B, 0.80) and 3 (3000 B, 0.90) are the front; 2 (2000 B, 0.70) is
    // dominated by 1. On all three objectives 2 is still dominated by 1 (more MACs too), but 4 (4000 B, 0.60, 10 MACs)
    // is on the study's front for its MACs alone. 5 is infeasible but has both values: drawn as rejected. 6 is
    // pending (left out) and 7 misses a metric (left out).
    void frontsByHand()
    {
        std::vector<Trial> trials{
            trial(1, TrialState::Complete, 0.80, 1000, 500), trial(2, TrialState::Complete, 0.70, 2000, 600),
            trial(3, TrialState::Complete, 0.90, 3000, 900), trial(4, TrialState::Complete, 0.60, 4000, 10),
            trial(5, TrialState::Infeasible, 0.95, 500, 10), trial(6, TrialState::Pending, 0.99, 100, 1)};
        Trial missing = trial(7, TrialState::Complete, 0.5, 0, 0);
        missing.metrics = {{"", "accuracy", 0.5}};
        trials.push_back(missing);

        const ParetoScatter s = computeParetoScatter(spec(), trials, {"weight_bytes", ""}, {"accuracy", ""});
        QCOMPARE(int(s.points.size()), 5);
        QCOMPARE(s.front, (QList<qint64>{1, 3})); // ordered by x
        QVERIFY(point(s, 2)->kind == ScatterPoint::Kind::Dominated);
        QVERIFY(point(s, 4)->kind == ScatterPoint::Kind::Dominated);
        QVERIFY(point(s, 5)->kind == ScatterPoint::Kind::Rejected);
        QVERIFY(!point(s, 6) && !point(s, 7));
        QVERIFY(point(s, 1)->onStudyFront && point(s, 3)->onStudyFront && point(s, 4)->onStudyFront);
        QVERIFY(!point(s, 2)->onStudyFront && !point(s, 5)->onStudyFront);
        QCOMPARE(s.maxAbsX, 4000.0);
        QCOMPARE(s.maxAbsY, 0.95);

        // Study ranks computed elsewhere are used as given (here: only trial 2 "on the front").
        const std::vector<int> given{1, 0, 1, 1, -1, -1, -1};
        const ParetoScatter t =
            computeParetoScatter(spec(), trials, {"weight_bytes", ""}, {"accuracy", ""}, false, false, &given);
        QVERIFY(point(t, 2)->onStudyFront && !point(t, 1)->onStudyFront);
        QCOMPARE(t.front, s.front); // the axes' own front does not come from them
    }

    // A log axis cannot show values <= 0: those points are left out.
    void logAxisLeavesOutNonPositiveValues()
    {
        const std::vector<Trial> trials{trial(1, TrialState::Complete, 0.8, 0, 5),
                                        trial(2, TrialState::Complete, 0.7, 100, 5)};
        const ParetoScatter s = computeParetoScatter(spec(), trials, {"weight_bytes", ""}, {"accuracy", ""}, true);
        QCOMPARE(int(s.points.size()), 1);
        QCOMPARE(s.points.front().id, qint64(2));
        QCOMPARE(s.front, (QList<qint64>{2}));
    }
};

QTEST_GUILESS_MAIN(TestParetoScatter)
#include "tst_paretoscatter.moc"
