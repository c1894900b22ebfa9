// SPDX-License-Identifier: GPL-3.0-or-later
// The engine's metric vocabulary: the one lookup of a metric on a trial.
#include "psc/study/trial.h"

#include <QTest>

using namespace psc;

class TestMetrics : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void metricValueMatchesNameAndTarget()
    {
        Trial t;
        t.metrics = {
            {"", "accuracy", 0.9}, {"mcu", "latency_s", 0.002}, {"npu", "latency_s", 0.0005}, {"", "latency_s", 7.0}};
        QCOMPARE(metricValue(t, MetricRef{"accuracy", {}}), std::optional<double>(0.9));
        // A model metric and target metrics of the same name are told apart by the target.
        QCOMPARE(metricValue(t, MetricRef{"latency_s", "mcu"}), std::optional<double>(0.002));
        QCOMPARE(metricValue(t, MetricRef{"latency_s", "npu"}), std::optional<double>(0.0005));
        QCOMPARE(metricValue(t, MetricRef{"latency_s", {}}), std::optional<double>(7.0));
        QVERIFY(!metricValue(t, MetricRef{"accuracy", "mcu"}));
        QVERIFY(!metricValue(t, MetricRef{"latency_s", "other"}));
        QVERIFY(!metricValue(t, MetricRef{"params", {}}));
        QVERIFY(!metricValue(Trial{}, MetricRef{"accuracy", {}}));
        // The vector overload is the same lookup (the evaluator has metrics before it has a trial).
        QCOMPARE(metricValue(t.metrics, MetricRef{"latency_s", "npu"}), std::optional<double>(0.0005));
    }
};

QTEST_MAIN(TestMetrics)
#include "tst_metrics.moc"
