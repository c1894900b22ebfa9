// SPDX-License-Identifier: GPL-3.0-or-later
#include "psc/study/trial.h"

namespace psc {

std::optional<double> metricValue(const std::vector<Metric> &metrics, const MetricRef &metric)
{
    for (const Metric &m : metrics)
        if (m.name == metric.name && m.target == metric.target)
            return m.value;
    return std::nullopt;
}

std::optional<double> metricValue(const Trial &trial, const MetricRef &metric)
{
    return metricValue(trial.metrics, metric);
}

} // namespace psc
