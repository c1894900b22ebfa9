// SPDX-License-Identifier: GPL-3.0-or-later
// The engine's metric vocabulary: the one lookup of a metric on a trial and the one registry of metrics.
#include "psc/study/trial.h"
#include "psc/targets/targetmetrics.h"

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

    void modelMetricsComeFromTheRegistry()
    {
        const MetricDescription bytes = describeMetric(MetricRef{"weight_bytes", {}});
        QCOMPARE(bytes.label, std::string("Weight memory"));
        QCOMPARE(bytes.unit, std::string("B"));
        QVERIFY(bytes.better == Direction::Minimize);
        QVERIFY(bytes.known && !bytes.fraction);
        const MetricDescription acc = describeMetric(MetricRef{"deployed_accuracy", {}});
        QVERIFY(acc.better == Direction::Maximize);
        QVERIFY(acc.fraction);
        QCOMPARE(acc.displayUnit(), std::string("%"));
        QCOMPARE(describeMetric(MetricRef{"macs", {}}).unit, std::string("MAC"));
    }

    void targetMetricsNameTheirTarget()
    {
        const MetricDescription lat = describeMetric(MetricRef{"latency_s", "stm32f746zg"});
        QCOMPARE(lat.label, std::string("Latency (stm32f746zg)"));
        QCOMPARE(lat.unit, std::string("s"));
        QVERIFY(lat.better == Direction::Minimize);
        QVERIFY(lat.known);
        QVERIFY(lat.description.ends_with("Estimated by the hardware target stm32f746zg."));
        // Without a target (a plot axis over all targets) the same entry, unlabelled.
        QCOMPARE(describeMetric(MetricRef{"latency_s", {}}).label, std::string("Latency"));
        QCOMPARE(describeMetric(MetricRef{"peak_sram_bytes", "npu"}).unit, std::string("B"));
        QCOMPARE(describeMetric(MetricRef{"energy_j", "npu"}).unit, std::string("J"));
        const MetricDescription util = describeMetric(MetricRef{"utilization", "npu"});
        QVERIFY(util.fraction);
        QVERIFY(util.better == Direction::Maximize);
        QVERIFY(describeMetric(MetricRef{"feasible", "npu"}).better == Direction::Maximize);
        // A model metric's name with a target is not the model metric.
        QVERIFY(!describeMetric(MetricRef{"weight_bytes", "npu"}).known);
    }

    void extrasAreDescribedFromTheirNames()
    {
        const MetricDescription sram = describeMetric(MetricRef{"sram_read_bytes", "sys"});
        QCOMPARE(sram.label, std::string("Sram read (sys)"));
        QCOMPARE(sram.unit, std::string("B"));
        QVERIFY(!sram.known);
        QCOMPARE(describeMetric(MetricRef{"energy_dram_j", "sys"}).unit, std::string("J"));
        // A rate is not a quantity in the unit of its last word.
        const MetricDescription tops = describeMetric(MetricRef{"tops_per_w", "sys"});
        QCOMPARE(tops.unit, std::string());
        QVERIFY(tops.better == Direction::Maximize);
        QCOMPARE(tops.label, std::string("Tops per w (sys)"));
        QVERIFY(describeMetric(MetricRef{"noisy_accuracy", "cim"}).fraction);
        QVERIFY(describeMetric(MetricRef{"fallback_layers", "npu"}).better == Direction::Minimize);
    }

    void everyStandardTargetMetricIsReported()
    {
        // targetMetrics() writes what the registry lists, in its order.
        plugin::CostEstimate e;
        const std::vector<Metric> m = targetMetrics("t", e);
        const auto infos = standardTargetMetrics();
        QVERIFY(m.size() >= infos.size());
        for (std::size_t i = 0; i < infos.size(); ++i)
            QCOMPARE(m[i].name, std::string(infos[i].name));
        QCOMPARE(standardTargetMetricNames().size(), infos.size());
    }

    void formatMetricUsesTheUnit()
    {
        QCOMPARE(formatMetric(MetricRef{"deployed_accuracy", {}}, 0.852), std::string("85.20 %"));
        QCOMPARE(formatMetric(MetricRef{"latency_s", "mcu"}, 45e-6), std::string("45.0 µs"));
        QCOMPARE(formatMetric(MetricRef{"weight_bytes", {}}, 21913.6), std::string("21.4 KiB"));
        QCOMPARE(formatMetric(MetricRef{"macs", {}}, 1234567), std::string("1.23 M"));
        QCOMPARE(formatMetric(MetricRef{"utilization", "npu"}, 0.5), std::string("50.00 %"));
        QCOMPARE(formatMetric(MetricRef{"params", {}}, std::nan("")), std::string("–"));
    }
};

QTEST_MAIN(TestMetrics)
#include "tst_metrics.moc"
