// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "psc/study/studyspec.h"

#include <QString>
#include <QStringList>

#include <vector>

namespace psc {

/**
 * How metric values are shown in tables, axes and tooltips: QString wrappers of the engine's vocabulary
 * (describeMetric() in psc/study/metrics.h, formatQuantity() in psc/core/siformat.h), which the CLI shares.
 * All functions are pure and may be called from any thread.
 */

/** The SI unit the metric is stored in: describeMetric(metric).unit. */
QString metricUnit(const MetricRef &metric);
/** Short human label, "Weight memory"; a target metric gets its target appended, "Latency (stm32)". */
QString metricLabel(const MetricRef &metric);
/** One sentence for tooltips; empty if unknown. */
QString metricDescription(const MetricRef &metric);
/** True for fractions shown as percentages (accuracies, utilisation). */
bool isPercentMetric(const MetricRef &metric);
/** True if the metric is a positive cost (bytes, MACs, counts, time, energy) so a log axis makes sense. */
bool isLogScalable(const MetricRef &metric);

/** The value with its unit: "85.20 %", "21.4 KiB", "1.23 M" (MACs), "12.3 ms". NaN gives "–". */
QString formatMetricValue(const MetricRef &metric, double value);

/** Whether smaller or larger is better: the study's objective direction, else the metric's natural one. */
Direction metricDirection(const StudySpec &spec, const MetricRef &metric);
/** True if `metric` is one of the study's objectives. */
bool isObjective(const StudySpec &spec, const MetricRef &metric);

/**
 * The metrics a study's views offer, in display order: its objectives, then the other model metrics,
 * then the metrics its constraints name that are not listed yet.
 */
std::vector<MetricRef> studyMetrics(const StudySpec &spec);
/** The hardware targets the study's metrics name (studyMetrics()), in that order: the study's own targets. */
QStringList studyTargets(const StudySpec &spec);

/** A display unit for a plot axis: plotted value = SI value * factor, labelled with `unit`. */
struct AxisScale
{
    double factor = 1.0;
    QString unit; ///< "KiB", "%", "ms", "millions"; empty for plain numbers
};

/** The display unit that keeps the tick labels of values up to `maxAbs` short. */
AxisScale axisScale(const MetricRef &metric, double maxAbs);

} // namespace psc
