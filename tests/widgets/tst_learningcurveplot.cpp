// SPDX-License-Identifier: GPL-3.0-or-later
// LearningCurvePlot: a trial's curve against the study's median per epoch, the reason a pruned trial stopped, and the
// trials that have no curve; the pruned state in the Pareto scatter gets its own kind.
#include "plot/learningcurveplot.h"
#include "plot/paretoscatter.h"

#include "psc/study/studyspec.h"

#include <QTest>
#include <qcustomplot.h>

using namespace psc;

namespace {

Trial withCurve(qint64 id, std::vector<double> curve, TrialState state = TrialState::Complete)
{
    Trial t;
    t.id = id;
    t.number = id - 1;
    t.state = state;
    t.learningCurve = std::move(curve);
    t.metrics = {{"", "accuracy", t.learningCurve.back()}, {"", "weight_bytes", 1000.0 * double(id)}};
    return t;
}

} // namespace

class TestLearningCurvePlot : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void medianPerEpochAndPrunedReason()
    {
        const std::vector<Trial> study{withCurve(1, {0.60, 0.70, 0.80}), withCurve(2, {0.50, 0.60, 0.70}),
                                       withCurve(3, {0.40}, TrialState::Pruned), withCurve(4, {0.70, 0.75, 0.90})};
        Trial pruned = study[2];
        pruned.error = "asha: 40.00 % validation accuracy at epoch 1 is not among the best 1 of 4";
        LearningCurvePlot plot;
        plot.setTrial(pruned, study);
        // Epoch 1: the other trials' {0.60, 0.50, 0.70} -> 0.60; epochs 2 and 3 of trials 1, 2 and 4.
        QCOMPARE(plot.median(), (std::vector<double>{0.60, 0.70, 0.80}));
        QVERIFY2(plot.summary().contains(QStringLiteral("Trial 2: 40.00 % validation accuracy after epoch 1")) &&
                     plot.summary().contains(QStringLiteral("study median there 60.00 %")) &&
                     plot.summary().contains(QStringLiteral("stopped early")) &&
                     plot.summary().contains(QStringLiteral("not among the best 1 of 4")),
                 qPrintable(plot.summary()));
        // Three other curves, the median and the trial itself.
        QCOMPARE(plot.canvas()->graphCount(), 5);

        Trial untrained;
        untrained.id = 9;
        untrained.number = 8;
        plot.setTrial(untrained, study);
        QVERIFY(plot.summary().contains(QStringLiteral("has no learning curve")));
        QCOMPARE(plot.canvas()->graphCount(), 5); // four others and the median
    }

    void prunedTrialsHaveTheirOwnKindInTheScatter()
    {
        StudySpec spec;
        spec.objectives = {{{"accuracy", ""}, Direction::Maximize}, {{"weight_bytes", ""}, Direction::Minimize}};
        const std::vector<Trial> trials{withCurve(1, {0.6, 0.8}), withCurve(2, {0.3}, TrialState::Pruned)};
        const ParetoScatter s =
            computeParetoScatter(spec, trials, MetricRef{"weight_bytes", {}}, MetricRef{"accuracy", {}}, false, false);
        QCOMPARE(s.points.size(), std::size_t(2));
        QVERIFY(s.points[1].kind == ScatterPoint::Kind::Pruned);
        QVERIFY(!s.points[1].onStudyFront);
        QCOMPARE(s.front.size(), qsizetype(1));
        QCOMPARE(s.front.front(), qint64(1));
    }
};

QTEST_MAIN(TestLearningCurvePlot)
#include "tst_learningcurveplot.moc"
