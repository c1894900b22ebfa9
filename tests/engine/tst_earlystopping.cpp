// SPDX-License-Identifier: GPL-3.0-or-later
// EarlyStopper: asha's rungs and promotions, the median rule, history from stored curves, and the spec's checks.
#include "psc/core/error.h"
#include "psc/study/earlystopping.h"
#include "psc/study/studyspec.h"

#include <QTest>

using namespace psc;

namespace {

EarlyStoppingSpec asha(int minEpochs, int eta)
{
    EarlyStoppingSpec s;
    s.type = EarlyStoppingSpec::Type::Asha;
    s.minEpochs = minEpochs;
    s.reductionFactor = eta;
    return s;
}

std::string specError(const std::string &earlyStopping, int epochs = 3)
{
    const std::string text = R"({"name": "s", "search_space": {"name": "x", "input": {"channels": 1, "height": 28,
        "width": 28}, "num_classes": 10, "stem": {"out_channels": [8]}, "blocks": {"count": [1], "out_channels": [8]}}, "objectives": [{"metric": "accuracy",
        "direction": "max"}], "budget": {"trials": 2}, "training": {"epochs": )" +
                             std::to_string(epochs) + R"(}, "early_stopping": )" + earlyStopping + "}";
    try {
        StudySpec::fromJson(text, "spec.json");
    } catch (const InputError &e) {
        return e.what();
    }
    return "";
}

} // namespace

class TestEarlyStopping : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void ashaRungsAreMinEpochsTimesPowersOfTheFactorBelowTheEpochs()
    {
        QCOMPARE(EarlyStopper(asha(1, 3), 27).rungs(), (std::vector<int>{1, 3, 9}));
        QCOMPARE(EarlyStopper(asha(1, 3), 28).rungs(), (std::vector<int>{1, 3, 9, 27}));
        QCOMPARE(EarlyStopper(asha(2, 2), 9).rungs(), (std::vector<int>{2, 4, 8}));
        QCOMPARE(EarlyStopper(asha(1, 3), 3).rungs(), (std::vector<int>{1}));
        QVERIFY(EarlyStopper(EarlyStoppingSpec{}, 3).rungs().empty());
    }

    void ashaKeepsTheBestThirdOfEachRung()
    {
        EarlyStopper s(asha(1, 3), 4); // rungs 1 and 3
        // Rung 1, in report order: n = 1, 2 keep max(1, n/3) = 1: the first goes on, the second only if best.
        QVERIFY(s.report(1, 1, 0.70));
        QVERIFY(!s.report(2, 1, 0.60));
        QVERIFY(s.report(3, 1, 0.80));  // n = 3, keep 1: 0.80 is the best
        QVERIFY(!s.report(4, 1, 0.75)); // n = 4, keep 1: best is 0.80
        QVERIFY(!s.report(5, 1, 0.79)); // n = 5, keep 1
        QVERIFY(s.report(6, 1, 0.79));  // n = 6, keep 2: {0.80, 0.79, 0.79} -> the 2nd best is 0.79
        QCOMPARE(QString::fromStdString(s.why(4)),
                 QStringLiteral("asha: 75.00 % validation accuracy at epoch 1 is not among the best 1 of 4 at that "
                                "rung (cut-off 80.00 %)"));
        QVERIFY(s.why(3).empty());
        QVERIFY(s.report(1, 2, 0.50)); // epoch 2 is no rung: always on
        QVERIFY(s.report(1, 3, 0.85)); // first at rung 3
        QVERIFY(s.report(3, 4, 0.90)); // the last epoch is never judged
    }

    void historyCountsAtEveryEpochAStoredCurveReached()
    {
        EarlyStopper s(asha(1, 2), 4); // rungs 1, 2
        s.addHistory({0.80, 0.85, 0.88, 0.90});
        s.addHistory({0.70});
        // Rung 1 holds {0.80, 0.70}; with 0.75: n = 3, keep 1 -> the best is 0.80.
        QVERIFY(!s.report(7, 1, 0.75));
        // Rung 2 holds {0.85}; with 0.86: n = 2, keep 1 -> 0.86 is the best.
        QVERIFY(s.report(8, 2, 0.86));
    }

    void ashaWithCostsKeepsTheRungsParetoBest()
    {
        EarlyStopper s(asha(1, 3), 4);
        s.addHistory({0.50}, {1});
        s.addHistory({0.60}, {2});
        s.addHistory({0.70}, {3});
        s.addHistory({0.65}, {4}); // dominated by the 3-cost trial
        s.addHistory({0.55}, {5});
        // The cheapest trial so far with the worst accuracy: on the rung's front, at its boundary (infinite crowding),
        // so among the best 2 of 6; by accuracy alone it would stop.
        s.setCosts(7, {0.5});
        QVERIFY(s.report(7, 1, 0.40));
        // Dominated by the 4-cost trial, itself dominated by the 3-cost one: front 3, not among the best 2 of 7.
        s.setCosts(8, {4.5});
        QVERIFY(!s.report(8, 1, 0.52));
        QCOMPARE(QString::fromStdString(s.why(8)),
                 QStringLiteral("asha: at epoch 1, 52.00 % validation accuracy with its costs is on Pareto front 3 of "
                                "the 7 trials at that rung, not among the best 2"));
        // Costs come from the objectives known before training, minimised.
        StudySpec spec;
        spec.objectives = {{{"deployed_accuracy", ""}, Direction::Maximize},
                           {{"weight_bytes", ""}, Direction::Minimize},
                           {{"latency_s", "mcu"}, Direction::Minimize}};
        const std::vector<Metric> metrics{{"", "weight_bytes", 100}, {"mcu", "latency_s", 0.5}};
        QCOMPARE(EarlyStopper::costsOf(spec, metrics), (std::vector<double>{100, 0.5}));
        QVERIFY(EarlyStopper::costsOf(spec, {{"", "weight_bytes", 100}}).empty()); // a cost missing: none
    }

    void medianStopsBelowTheOthersMedianAfterStartupTrials()
    {
        EarlyStoppingSpec m;
        m.type = EarlyStoppingSpec::Type::Median;
        m.minEpochs = 2;
        m.startupTrials = 3;
        EarlyStopper s(m, 5);
        QVERIFY(s.report(1, 1, 0.10)); // before min_epochs: recorded, never judged
        QVERIFY(s.report(1, 2, 0.60));
        QVERIFY(s.report(2, 2, 0.70));
        QVERIFY(s.report(3, 2, 0.80));  // 2 others < 3 startup trials
        QVERIFY(!s.report(4, 2, 0.65)); // others {0.60, 0.70, 0.80}: median 0.70
        QCOMPARE(QString::fromStdString(s.why(4)),
                 QStringLiteral("median: 65.00 % validation accuracy at epoch 2 is below the median 70.00 % of 3 "
                                "other trials at that epoch"));
        QVERIFY(s.report(5, 2, 0.675)); // others {0.60, 0.65, 0.70, 0.80}: median (0.65 + 0.70) / 2 = 0.675
        QVERIFY(!s.report(6, 2, 0.67));
    }

    void withoutARuleEveryTrainingGoesOn()
    {
        EarlyStopper s(EarlyStoppingSpec{}, 3);
        QVERIFY(!s.enabled());
        for (int t = 0; t < 10; ++t)
            QVERIFY(s.report(t, 1, 0.1 * t));
    }

    void specChecksNameThePointerAndWhatWasExpected()
    {
        QVERIFY(specError(R"({"type": "asha", "min_epochs": 1, "reduction_factor": 3})").empty());
        QVERIFY(specError(R"({"type": "median"})").empty());
        const std::string factor = specError(R"({"type": "asha", "reduction_factor": 1})");
        QVERIFY2(factor.find("/early_stopping/reduction_factor") != std::string::npos && factor.find("spec.json:") == 0,
                 factor.c_str());
        const std::string noEpochs = specError(R"({"type": "asha", "min_epochs": 1})", 1);
        QVERIFY2(noEpochs.find("/early_stopping/min_epochs: early stopping needs epochs to stop") != std::string::npos,
                 noEpochs.c_str());
        const std::string type = specError(R"({"type": "hyperband"})");
        QVERIFY2(type.find("/early_stopping/type") != std::string::npos && type.find("asha") != std::string::npos,
                 type.c_str());
        const std::string misplaced = specError(R"({"type": "median", "reduction_factor": 3})");
        QVERIFY2(misplaced.find("only the \"asha\" rule has a reduction factor") != std::string::npos,
                 misplaced.c_str());
        // toJson() writes the rule and fromJson() reads it back.
        const std::string text = R"({"name": "s", "search_space": {"name": "x", "input": {"channels": 1,
            "height": 28, "width": 28}, "num_classes": 10, "stem": {"out_channels": [8]}, "blocks": {"count": [1], "out_channels": [8]}}, "objectives":
            [{"metric": "accuracy", "direction": "max"}], "budget": {"trials": 2}, "training": {"epochs": 9},
            "early_stopping": {"type": "asha", "min_epochs": 2, "reduction_factor": 2}})";
        const StudySpec spec = StudySpec::fromJson(text, "spec.json");
        QVERIFY(spec.earlyStopping == asha(2, 2));
        QVERIFY(StudySpec::fromJson(spec.toJson()) == spec);
    }
};

QTEST_GUILESS_MAIN(TestEarlyStopping)
#include "tst_earlystopping.moc"
