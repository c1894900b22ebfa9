// SPDX-License-Identifier: GPL-3.0-or-later
// The trial filter: brushed ranges and typed expressions (metric constraints with units, state, origin, lineage).
#include "models/shortlist.h"
#include "models/trialfilter.h"
#include "models/trialset.h"
#include "plot/paretoplotwidget.h"

#include "psc/study/studyspec.h"

#include "sampletrials.h"

#include <QSignalSpy>
#include <QTest>

using namespace psc;

namespace {

/** The demo study: objectives deployed_accuracy, weight_bytes, latency_s@stm32f746zg, energy_j@ethos-u55-128. */
StudySpec demoSpec()
{
    return StudySpec::fromFile(PSC_SOURCE_DIR "/resources/studies/fashion-mnist-demo.json");
}

/**
 * By hand: trial numbers 0-4 (ids 1-5).
 *   0: complete, 91 %, 12 KiB, 15 ms on the F746
 *   1: complete, 88 %, 30 KiB, 25 ms
 *   2: complete, 90 %,  6 KiB, 12 ms, compressed from 0
 *   3: failed
 *   4: complete, 89 %,  5 KiB,  9 ms, compressed from 2 (a grandchild of 0)
 */
std::vector<Trial> trials()
{
    auto make = [](qint64 id, double acc, double kib, double ms) {
        return test::sampleTrial(id, TrialState::Complete,
                                 {{"", "deployed_accuracy", acc},
                                  {"", "weight_bytes", kib * 1024},
                                  {"stm32f746zg", "latency_s", ms * 1e-3}});
    };
    std::vector<Trial> out{make(1, 0.91, 12, 15), make(2, 0.88, 30, 25), make(3, 0.90, 6, 12),
                           test::sampleTrial(4, TrialState::Failed), make(5, 0.89, 5, 9)};
    out[2].parentId = 1;
    out[4].parentId = 3;
    return out;
}

/** The metrics the demo study's Pareto plot offers (and so the filter takes). */
std::vector<MetricRef> demoMetrics()
{
    ParetoPlotWidget plot;
    plot.setStudy(demoSpec(), {});
    return plot.availableMetrics();
}

QList<qint64> accepted(const TrialFilter &filter, const std::vector<Trial> &trials)
{
    QList<qint64> ids;
    for (const Trial &t : trials)
        if (filter.accepts(t))
            ids << t.number;
    return ids;
}

} // namespace

class TestTrialFilter : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void expressions_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QList<qint64>>("numbers");
        QTest::newRow("time unit") << "latency_s@stm32f746zg < 20 ms" << QList<qint64>{0, 2, 4};
        QTest::newRow("percent and bytes")
            << "deployed_accuracy >= 89 %; weight_bytes <= 12KiB" << QList<qint64>{0, 2, 4};
        QTest::newRow("and") << "deployed_accuracy > 0.895 and weight_bytes < 10KiB" << QList<qint64>{2};
        QTest::newRow("state") << "state = failed" << QList<qint64>{3};
        QTest::newRow("not state") << "state != complete" << QList<qint64>{3};
        QTest::newRow("origin") << "origin = compressed" << QList<qint64>{2, 4};
        QTest::newRow("search") << "origin = search; state = complete" << QList<qint64>{0, 1};
        QTest::newRow("children") << "children of 0" << QList<qint64>{2};
        QTest::newRow("family") << "family of #0" << QList<qint64>{0, 2, 4};
        QTest::newRow("family of a child") << "family of 2" << QList<qint64>{2, 4};
        QTest::newRow("empty") << "  " << QList<qint64>{0, 1, 2, 3, 4};
    }

    void expressions()
    {
        QFETCH(QString, text);
        QFETCH(QList<qint64>, numbers);
        TrialSet set;
        set.reset(demoSpec(), trials());
        TrialFilter filter;
        filter.setTrialSet(&set);
        QString error;
        QVERIFY2(filter.setExpression(text, demoMetrics(), &error), qPrintable(error));
        QCOMPARE(accepted(filter, set.trials()), numbers);
        QCOMPARE(filter.isActive(), !text.trimmed().isEmpty());
    }

    // "starred" keeps the shortlist and follows it as it changes; "not starred" the rest.
    void starredFollowsTheShortlist()
    {
        TrialSet set;
        set.reset(demoSpec(), trials());
        Shortlist shortlist;
        shortlist.setStarred(2, true);
        TrialFilter filter;
        filter.setTrialSet(&set);
        filter.setShortlist(&shortlist);
        QVERIFY(filter.setExpression(QStringLiteral("starred"), demoMetrics()));
        QCOMPARE(accepted(filter, set.trials()), QList<qint64>{2});
        QSignalSpy changed(&filter, &TrialFilter::changed);
        shortlist.setStarred(0, true);
        QCOMPARE(changed.count(), 1);
        QCOMPARE(accepted(filter, set.trials()), (QList<qint64>{0, 2}));
        QVERIFY(filter.setExpression(QStringLiteral("not starred; state = complete"), demoMetrics()));
        QCOMPARE(accepted(filter, set.trials()), (QList<qint64>{1, 4}));
        // Without a shortlist nothing is starred.
        filter.setShortlist(nullptr);
        QVERIFY(filter.setExpression(QStringLiteral("starred"), demoMetrics()));
        QVERIFY(accepted(filter, set.trials()).isEmpty());
    }

    // "strategy = ..." keeps the trials a strategy (or one of its phases) proposed; a value the study's trials do not
    // record is refused with the values they do.
    void byStrategy()
    {
        std::vector<Trial> all = trials();
        const char *by[] = {"mobo:initial", "mobo:initial", "mobo:model", "mobo:model", ""};
        for (std::size_t i = 0; i < all.size(); ++i)
            all[i].proposedBy = by[i];
        TrialSet set;
        set.reset(demoSpec(), all);
        TrialFilter filter;
        filter.setTrialSet(&set);
        QVERIFY(filter.setExpression(QStringLiteral("strategy = mobo:model"), demoMetrics()));
        QCOMPARE(accepted(filter, set.trials()), (QList<qint64>{2, 3}));
        QVERIFY(filter.setExpression(QStringLiteral("strategy = mobo"), demoMetrics()));
        QCOMPARE(accepted(filter, set.trials()), (QList<qint64>{0, 1, 2, 3}));
        QVERIFY(filter.setExpression(QStringLiteral("strategy != mobo:initial"), demoMetrics()));
        QCOMPARE(accepted(filter, set.trials()), (QList<qint64>{2, 3, 4}));
        QString why;
        QVERIFY(!filter.setExpression(QStringLiteral("strategy = mobo:modle"), demoMetrics(), &why));
        QVERIFY2(why.contains(QStringLiteral("did you mean \"mobo:model\"")) &&
                     why.contains(QStringLiteral("this study has: mobo:initial, mobo, mobo:model")),
                 qPrintable(why));
        // A study whose trials record nothing says so.
        set.reset(demoSpec(), trials());
        QVERIFY(!filter.setExpression(QStringLiteral("strategy = mobo"), demoMetrics(), &why));
        QVERIFY2(why.contains(QStringLiteral("records the strategy")), qPrintable(why));
    }

    void mistakesSayWhereAndChangeNothing_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("error");
        QTest::newRow("metric typo") << "latncy_s@stm32f746zg < 20ms"
                                     << "column 1: this study has no metric \"latncy_s@stm32f746zg\"; did you mean "
                                        "\"latency_s@stm32f746zg\"?";
        QTest::newRow("state typo") << "deployed_accuracy >= 0.5; state = complet"
                                    << "column 27: unknown state \"complet\"; expected one of pending, running, "
                                       "complete, failed, infeasible, pruned; did you mean \"complete\"?";
        QTest::newRow("unit") << "weight_bytes <= 5ms"
                              << "column 1: ms is in seconds, but \"weight_bytes\" is measured in bytes (in "
                                 "\"weight_bytes <= 5ms\")";
        QTest::newRow("origin") << "origin = pruned"
                                << "column 1: unknown origin \"pruned\"; expected search, "
                                   "compressed or imported";
        QTest::newRow("syntax") << "state = complete and weight_bytes"
                                << "column 22: expected \"METRIC OP NUMBER\"";
    }

    void mistakesSayWhereAndChangeNothing()
    {
        QFETCH(QString, text);
        QFETCH(QString, error);
        TrialFilter filter;
        QVERIFY(filter.setExpression(QStringLiteral("state = complete"), demoMetrics()));
        QSignalSpy changed(&filter, &TrialFilter::changed);
        QString why;
        QVERIFY(!filter.setExpression(text, demoMetrics(), &why));
        QVERIFY2(why.startsWith(error), qPrintable(why));
        QCOMPARE(changed.size(), 0);
        QCOMPARE(filter.expression(), QStringLiteral("state = complete"));
    }

    void rangesAndExpressionTogether()
    {
        TrialSet set;
        set.reset(demoSpec(), trials());
        TrialFilter filter;
        filter.setTrialSet(&set);
        QSignalSpy changed(&filter, &TrialFilter::changed);
        filter.setRange(MetricRef{"weight_bytes", {}}, 13 * 1024.0, 4 * 1024.0); // bounds in either order
        QCOMPARE(accepted(filter, set.trials()), (QList<qint64>{0, 2, 4}));
        QVERIFY(filter.setExpression(QStringLiteral("latency_s@stm32f746zg <= 12 ms"), demoMetrics()));
        QCOMPARE(accepted(filter, set.trials()), (QList<qint64>{2, 4}));
        QVERIFY2(filter.describe().startsWith(QStringLiteral("latency_s@stm32f746zg <= 12 ms, Weight memory")),
                 qPrintable(filter.describe()));
        filter.setRange(MetricRef{"weight_bytes", {}}, 4 * 1024.0, 13 * 1024.0); // the same range: no change
        QCOMPARE(changed.size(), 2);
        QVERIFY(filter.clearRange(MetricRef{"weight_bytes", {}}));
        QVERIFY(!filter.clearRange(MetricRef{"weight_bytes", {}}));
        filter.clear();
        QVERIFY(!filter.isActive());
        QVERIFY(filter.expression().isEmpty());
        QCOMPARE(accepted(filter, set.trials()).size(), 5);
    }
};

QTEST_MAIN(TestTrialFilter)
#include "tst_trialfilter.moc"
