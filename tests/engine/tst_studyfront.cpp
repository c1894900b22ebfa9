// SPDX-License-Identifier: GPL-3.0-or-later
// The study's front and how it grew: the hypervolume after each trial, by hand.
#include "psc/study/studyfront.h"

#include <QTest>

using namespace psc;

class TestStudyFront : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void hypervolumeCurveByHand()
    {
        // Maximise accuracy, minimise weight_bytes. Trial 1 failed; 0, 2 and 3 are ranked.
        auto trial = [](std::int64_t number, TrialState state, double accuracy, double bytes) {
            Trial t;
            t.number = number;
            t.state = state;
            t.metrics = {{"", "accuracy", accuracy}, {"", "weight_bytes", bytes}};
            return t;
        };
        const std::vector<Trial> trials{trial(0, TrialState::Complete, 0.8, 100), trial(1, TrialState::Failed, 0, 0),
                                        trial(2, TrialState::Complete, 0.9, 300),
                                        trial(3, TrialState::Complete, 0.7, 50)};
        const std::vector<Objective> objectives{{{"accuracy", {}}, Direction::Maximize},
                                                {{"weight_bytes", {}}, Direction::Minimize}};
        const HypervolumeCurve c = hypervolumeCurve(trials, objectives);
        // Reference: accuracy 0.7 - 10 % of 0.2 = 0.68; bytes 300 + 10 % of 250 = 325.
        QCOMPARE(c.reference.size(), std::size_t(2));
        QVERIFY(qFuzzyCompare(c.reference[0], 0.68));
        QVERIFY(qFuzzyCompare(c.reference[1], 325.0));
        QCOMPARE(c.trialNumbers, (std::vector<std::int64_t>{0, 1, 2, 3}));
        // In units: after 0, 0.12 x 225 = 27; after 2, + 0.22 x 25 - 0.12 x 25 = 29.5; after 3, + 0.02 x 275 - 0.02 x
        // 225 = 30.5. Normalised by the box from the best values (0.9, 50) to the reference: 0.22 x 275 = 60.5.
        QCOMPARE(c.best, (std::vector<double>{0.9, 50.0}));
        const std::vector<double> expected{27.0 / 60.5, 27.0 / 60.5, 29.5 / 60.5, 30.5 / 60.5};
        for (std::size_t i = 0; i < expected.size(); ++i)
            QVERIFY2(std::abs(c.values[i] - expected[i]) < 1e-9, qPrintable(QString::number(c.values[i])));
        // Nothing ranked: an empty curve.
        QVERIFY(hypervolumeCurve({trial(0, TrialState::Failed, 0, 0)}, objectives).values.empty());
    }
};

QTEST_APPLESS_MAIN(TestStudyFront)
#include "tst_studyfront.moc"
