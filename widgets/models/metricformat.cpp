// SPDX-License-Identifier: GPL-3.0-or-later
#include "models/metricformat.h"

#include "psc/core/siformat.h"
#include "psc/study/metrics.h"

#include <algorithm>
#include <cmath>

namespace psc {
namespace {

QString fromUtf8(const std::string &text)
{
    return QString::fromUtf8(text.data(), qsizetype(text.size()));
}

} // namespace

// Everything here wraps the engine's vocabulary (describeMetric(), formatQuantity()): the widgets present, the
// engine decides names, units and number formats.

QString metricUnit(const MetricRef &metric)
{
    return fromUtf8(describeMetric(metric).unit);
}

QString metricLabel(const MetricRef &metric)
{
    return fromUtf8(describeMetric(metric).label);
}

QString metricDescription(const MetricRef &metric)
{
    return fromUtf8(describeMetric(metric).description);
}

bool isPercentMetric(const MetricRef &metric)
{
    return describeMetric(metric).fraction;
}

bool isLogScalable(const MetricRef &metric)
{
    const MetricDescription d = describeMetric(metric);
    return !d.fraction && (!d.unit.empty() || metric.name == "params");
}

QString formatMetricValue(const MetricRef &metric, double value)
{
    return fromUtf8(formatMetric(metric, value));
}

Direction metricDirection(const StudySpec &spec, const MetricRef &metric)
{
    for (const Objective &o : spec.objectives)
        if (o.metric == metric)
            return o.direction;
    return describeMetric(metric).better;
}

bool isObjective(const StudySpec &spec, const MetricRef &metric)
{
    return std::any_of(spec.objectives.begin(), spec.objectives.end(),
                       [&](const Objective &o) { return o.metric == metric; });
}

std::vector<MetricRef> studyMetrics(const StudySpec &spec)
{
    std::vector<MetricRef> out;
    auto add = [&out](const MetricRef &ref) {
        if (std::find(out.begin(), out.end(), ref) == out.end())
            out.push_back(ref);
    };
    for (const Objective &o : spec.objectives)
        add(o.metric);
    for (const MetricInfo &m : modelMetrics())
        add(MetricRef{std::string(m.name), {}});
    for (const Constraint &c : spec.constraints)
        add(c.metric);
    return out;
}

AxisScale axisScale(const MetricRef &metric, double maxAbs)
{
    const DisplayScale s = displayScale(describeMetric(metric).displayUnit(), maxAbs);
    // On an axis the multiplier of a count reads better spelled out: the label already names what is counted.
    if (s.unit == "M")
        return {s.factor, QStringLiteral("millions")};
    if (s.unit == "k")
        return {s.factor, QStringLiteral("thousands")};
    return {s.factor, fromUtf8(s.unit)};
}

QStringList studyTargets(const StudySpec &spec)
{
    QStringList ids;
    for (const MetricRef &m : studyMetrics(spec))
        if (!m.target.empty() && !ids.contains(QString::fromStdString(m.target)))
            ids << QString::fromStdString(m.target);
    return ids;
}

} // namespace psc
