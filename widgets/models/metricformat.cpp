// SPDX-License-Identifier: GPL-3.0-or-later
#include "models/metricformat.h"

#include "psc/study/metrics.h"

#include <algorithm>
#include <cmath>

namespace psc {
namespace {

QString fromView(std::string_view text)
{
    return QString::fromUtf8(text.data(), qsizetype(text.size()));
}

bool endsWith(const std::string &text, std::string_view suffix)
{
    return text.size() >= suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

/** Unit suffixes of target metrics ("latency_s@mcu"), longest first. */
struct Suffix
{
    std::string_view suffix;
    const char *unit;
};
constexpr Suffix kSuffixes[] = {{"_bytes", "B"}, {"_macs", "MAC"}, {"_s", "s"}, {"_j", "J"}, {"_w", "W"}};

/** Prefix for a value in an SI unit (s, J, W): the largest of 1, m, µ, n that keeps |value| >= 1. */
AxisScale siScale(double maxAbs, const QString &unit)
{
    if (maxAbs >= 1.0 || maxAbs == 0.0 || !std::isfinite(maxAbs))
        return {1.0, unit};
    if (maxAbs >= 1e-3)
        return {1e3, QStringLiteral("m") + unit};
    if (maxAbs >= 1e-6)
        return {1e6, QStringLiteral("µ") + unit};
    return {1e9, QStringLiteral("n") + unit};
}

QString number(double value, int decimals)
{
    return QString::number(value, 'f', decimals);
}

} // namespace

QString metricUnit(const MetricRef &metric)
{
    if (metric.target.empty()) {
        if (const MetricInfo *info = findModelMetric(metric.name))
            return fromView(info->unit);
    }
    for (const Suffix &s : kSuffixes)
        if (endsWith(metric.name, s.suffix))
            return QString::fromLatin1(s.unit);
    return {};
}

QString metricLabel(const MetricRef &metric)
{
    if (metric.target.empty()) {
        if (const MetricInfo *info = findModelMetric(metric.name))
            return fromView(info->label);
    }
    std::string base = metric.name;
    for (const Suffix &s : kSuffixes)
        if (endsWith(base, s.suffix) && base.size() > s.suffix.size()) {
            base.resize(base.size() - s.suffix.size());
            break;
        }
    QString label = QString::fromStdString(base).replace(QLatin1Char('_'), QLatin1Char(' '));
    if (!label.isEmpty())
        label[0] = label[0].toUpper();
    if (!metric.target.empty())
        label += QStringLiteral(" (%1)").arg(QString::fromStdString(metric.target));
    return label;
}

QString metricDescription(const MetricRef &metric)
{
    if (metric.target.empty()) {
        if (const MetricInfo *info = findModelMetric(metric.name))
            return fromView(info->description);
    }
    if (!metric.target.empty())
        return QStringLiteral("Estimated by the hardware target %1.").arg(QString::fromStdString(metric.target));
    return {};
}

bool isPercentMetric(const MetricRef &metric)
{
    return metric.name.find("accuracy") != std::string::npos;
}

bool isLogScalable(const MetricRef &metric)
{
    if (isPercentMetric(metric))
        return false;
    const QString unit = metricUnit(metric);
    return !unit.isEmpty() || metric.name == "params";
}

QString formatMetricValue(const MetricRef &metric, double value)
{
    if (!std::isfinite(value))
        return QStringLiteral("–");
    if (isPercentMetric(metric))
        return number(value * 100.0, 2) + QStringLiteral(" %");
    const QString unit = metricUnit(metric);
    const double a = std::abs(value);
    if (unit == QLatin1String("B")) {
        if (a >= 1024.0 * 1024.0)
            return number(value / 1024.0 / 1024.0, 2) + QStringLiteral(" MiB");
        if (a >= 1024.0)
            return number(value / 1024.0, 1) + QStringLiteral(" KiB");
        return number(value, 0) + QStringLiteral(" B");
    }
    if (unit == QLatin1String("s") || unit == QLatin1String("J") || unit == QLatin1String("W")) {
        const AxisScale s = siScale(a, unit);
        const double v = value * s.factor;
        return number(v, std::abs(v) >= 100.0 ? 0 : std::abs(v) >= 10.0 ? 1 : 2) + QLatin1Char(' ') + s.unit;
    }
    // Counts (MACs, parameters) get a multiplier only: the column or label names what is counted.
    const QString suffix;
    if (a >= 1e6)
        return number(value / 1e6, 2) + QStringLiteral(" M") + suffix;
    if (a >= 1e4)
        return number(value / 1e3, 1) + QStringLiteral(" k") + suffix;
    if (value == std::round(value))
        return QString::number(qint64(value)) + suffix;
    return QString::number(value, 'g', 6) + suffix;
}

Direction metricDirection(const StudySpec &spec, const MetricRef &metric)
{
    for (const Objective &o : spec.objectives)
        if (o.metric == metric)
            return o.direction;
    if (metric.target.empty()) {
        if (const MetricInfo *info = findModelMetric(metric.name))
            return info->better;
    }
    return isPercentMetric(metric) ? Direction::Maximize : Direction::Minimize;
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
    if (isPercentMetric(metric))
        return {100.0, QStringLiteral("%")};
    const QString unit = metricUnit(metric);
    if (unit == QLatin1String("B")) {
        if (maxAbs >= 1024.0 * 1024.0)
            return {1.0 / 1024.0 / 1024.0, QStringLiteral("MiB")};
        if (maxAbs >= 1024.0)
            return {1.0 / 1024.0, QStringLiteral("KiB")};
        return {1.0, QStringLiteral("B")};
    }
    if (unit == QLatin1String("s") || unit == QLatin1String("J") || unit == QLatin1String("W"))
        return siScale(maxAbs, unit);
    // Counts (MACs, parameters): the label already names the unit, so only the multiplier is shown.
    if (maxAbs >= 1e6)
        return {1e-6, QStringLiteral("millions")};
    if (maxAbs >= 1e4)
        return {1e-3, QStringLiteral("thousands")};
    return {1.0, QString()};
}

} // namespace psc
