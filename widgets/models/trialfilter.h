// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "psc/study/studyspec.h"
#include "psc/study/trial.h"

#include <QObject>

#include <vector>

namespace psc {

/**
 * Which trials the study's views show: a range per metric (a brush on a parallel-coordinates axis), all of which a
 * trial must meet. A trial without a value for a brushed metric is filtered out. One filter is shared by the trial
 * table, the Pareto plot and the parallel coordinates, so filtering in one filters all. GUI thread only.
 */
class TrialFilter : public QObject
{
    Q_OBJECT
public:
    struct Range
    {
        MetricRef metric;
        double low = 0.0; ///< SI, inclusive
        double high = 0.0;
        bool operator==(const Range &) const = default;
    };

    explicit TrialFilter(QObject *parent = nullptr);

    /** Keeps only trials with `metric` in [low, high] (the bounds in either order); replaces that metric's range. */
    void setRange(const MetricRef &metric, double low, double high);
    /** Removes `metric`'s range; returns whether it had one. */
    bool clearRange(const MetricRef &metric);
    /** Removes every range. */
    void clear();
    const std::vector<Range> &ranges() const { return m_ranges; }
    /** `metric`'s range, or nullptr. */
    const Range *range(const MetricRef &metric) const;
    bool isActive() const { return !m_ranges.empty(); }

    /** True if `trial` meets every range. */
    bool accepts(const Trial &trial) const;
    /** A one-line description: "Accuracy 85.0-92.0 %, Weight memory 4.0-16.0 KiB". */
    QString describe() const;

Q_SIGNALS:
    void changed();

private:
    std::vector<Range> m_ranges;
};

} // namespace psc
