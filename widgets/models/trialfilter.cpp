// SPDX-License-Identifier: GPL-3.0-or-later
#include "models/trialfilter.h"

#include "models/metricformat.h"

#include <QStringList>

#include <algorithm>
#include <utility>

namespace psc {

TrialFilter::TrialFilter(QObject *parent) : QObject(parent) {}

void TrialFilter::setRange(const MetricRef &metric, double low, double high)
{
    if (low > high)
        std::swap(low, high);
    const Range r{metric, low, high};
    for (Range &existing : m_ranges)
        if (existing.metric == metric) {
            if (existing == r)
                return;
            existing = r;
            emit changed();
            return;
        }
    m_ranges.push_back(r);
    emit changed();
}

bool TrialFilter::clearRange(const MetricRef &metric)
{
    const auto it = std::find_if(m_ranges.begin(), m_ranges.end(), [&](const Range &r) { return r.metric == metric; });
    if (it == m_ranges.end())
        return false;
    m_ranges.erase(it);
    emit changed();
    return true;
}

void TrialFilter::clear()
{
    if (m_ranges.empty())
        return;
    m_ranges.clear();
    emit changed();
}

const TrialFilter::Range *TrialFilter::range(const MetricRef &metric) const
{
    for (const Range &r : m_ranges)
        if (r.metric == metric)
            return &r;
    return nullptr;
}

bool TrialFilter::accepts(const Trial &trial) const
{
    for (const Range &r : m_ranges) {
        const auto v = metricValue(trial, r.metric);
        if (!v || *v < r.low || *v > r.high)
            return false;
    }
    return true;
}

QString TrialFilter::describe() const
{
    QStringList parts;
    for (const Range &r : m_ranges)
        parts << QStringLiteral("%1 %2 to %3")
                     .arg(metricLabel(r.metric), formatMetricValue(r.metric, r.low),
                          formatMetricValue(r.metric, r.high));
    return parts.join(QStringLiteral(", "));
}

} // namespace psc
