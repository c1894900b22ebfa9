// SPDX-License-Identifier: GPL-3.0-or-later
// The widgets' metric texts are the engine's (describeMetric(), formatQuantity()) wrapped in QString.
#include "models/metricformat.h"

#include "psc/core/siformat.h"
#include "psc/study/metrics.h"

#include <QTest>

using namespace psc;

class TestMetricFormat : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void valuesAreTheEnginesText()
    {
        QCOMPARE(formatMetricValue(MetricRef{"deployed_accuracy", {}}, 0.852), QStringLiteral("85.20 %"));
        QCOMPARE(formatMetricValue(MetricRef{"latency_s", "mcu"}, 45e-6), QStringLiteral("45.0 µs"));
        QCOMPARE(formatMetricValue(MetricRef{"weight_bytes", {}}, 6208), QStringLiteral("6.1 KiB"));
        QCOMPARE(formatMetricValue(MetricRef{"macs", {}}, 1234567), QStringLiteral("1.23 M"));
        for (const MetricRef &m : {MetricRef{"energy_j", "npu"}, MetricRef{"params", {}}, MetricRef{"tops_per_w", "s"}})
            for (double v : {0.0, 3.5e-7, 0.042, 12345.0})
                QCOMPARE(formatMetricValue(m, v), QString::fromStdString(formatMetric(m, v)));
    }

    void labelsUnitsAndDirections()
    {
        QCOMPARE(metricLabel(MetricRef{"peak_sram_bytes", "stm32"}), QStringLiteral("Peak SRAM (stm32)"));
        QCOMPARE(metricUnit(MetricRef{"energy_j", "npu"}), QStringLiteral("J"));
        QVERIFY(isPercentMetric(MetricRef{"utilization", "npu"}));
        QVERIFY(!isLogScalable(MetricRef{"accuracy", {}}));
        QVERIFY(isLogScalable(MetricRef{"params", {}}));
        QVERIFY(metricDirection(StudySpec{}, MetricRef{"utilization", "npu"}) == Direction::Maximize);
    }

    void axisScalesFollowTheEngine()
    {
        const AxisScale us = axisScale(MetricRef{"latency_s", "mcu"}, 4e-5);
        QCOMPARE(us.unit, QStringLiteral("µs"));
        QCOMPARE(us.factor, 1e6);
        QCOMPARE(axisScale(MetricRef{"macs", {}}, 3e6).unit, QStringLiteral("millions"));
        QCOMPARE(axisScale(MetricRef{"params", {}}, 3e4).unit, QStringLiteral("thousands"));
        QCOMPARE(axisScale(MetricRef{"accuracy", {}}, 0.9).unit, QStringLiteral("%"));
        QCOMPARE(axisScale(MetricRef{"weight_bytes", {}}, 3e6).unit, QStringLiteral("MiB"));
    }
};

QTEST_MAIN(TestMetricFormat)
#include "tst_metricformat.moc"
