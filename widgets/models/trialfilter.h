// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "psc/study/studyspec.h"
#include "psc/study/trial.h"

#include <QObject>

#include <vector>

namespace psc {

class Shortlist;
class TrialSet;

/**
 * Which trials the study's views show: a range per metric (a brush on a parallel-coordinates axis) and the
 * conditions of a typed expression, all of which a trial must meet. A trial without a value for a metric that is
 * brushed or compared is filtered out. One filter is shared by the trial table, the Pareto plot and the parallel
 * coordinates, so filtering in one filters all.
 *
 * The expression (docs/gui.md): clauses separated by ";" or "and", each one of
 *  - a constraint on a metric of the study, units as in study specs: `latency_s@stm32f746zg < 20 ms`,
 *    `accuracy >= 90 %`, `weight_bytes <= 16KiB`;
 *  - `state = complete` (or `!=`; pending, running, complete, failed, infeasible, pruned);
 *  - `origin = search` (or `!=`; search, compressed, imported);
 *  - `strategy = mobo` or `strategy = mobo:model` (or `!=`): what proposed the trial (Trial::proposedBy), one of
 *    the values this study's trials record;
 *  - `children of N` (the trials compressed from trial N) or `family of N` (trial N and everything derived from it);
 *  - `starred` or `not starred`: in the shortlist (setShortlist()) or not.
 * GUI thread only.
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
    ~TrialFilter() override;

    /** Keeps only trials with `metric` in [low, high] (the bounds in either order); replaces that metric's range. */
    void setRange(const MetricRef &metric, double low, double high);
    /** Removes `metric`'s range; returns whether it had one. */
    bool clearRange(const MetricRef &metric);
    /** Removes every range and the expression. */
    void clear();
    const std::vector<Range> &ranges() const { return m_ranges; }
    /** `metric`'s range, or nullptr. */
    const Range *range(const MetricRef &metric) const;
    /** The shortlist `starred` reads (not owned; may be null: then nothing is starred). */
    void setShortlist(const Shortlist *shortlist);
    bool isActive() const { return !m_ranges.empty() || !m_conditions.empty(); }

    /**
     * Replaces the expression's conditions by those of `text` ("" removes them); a metric must be one of `metrics`
     * (the study's, as the Pareto plot offers them: ParetoPlotWidget::availableMetrics()). On a mistake nothing
     * changes, false is returned and `error` says where ("column 12: ...") and what was expected, with a
     * did-you-mean for a misspelt metric or state.
     */
    bool setExpression(const QString &text, const std::vector<MetricRef> &metrics, QString *error = nullptr);
    QString expression() const { return m_expression; }
    /** The trials that `children of N` and `family of N` look up parents in (not owned; may be null). */
    void setTrialSet(const TrialSet *trials) { m_trials = trials; }

    /** True if `trial` meets every range and every condition. */
    bool accepts(const Trial &trial) const;
    /** A one-line description: "Accuracy 85.0-92.0 %, Weight memory 4.0-16.0 KiB". */
    QString describe() const;

Q_SIGNALS:
    void changed();

private:
    struct Condition;
    bool meets(const Condition &c, const Trial &trial) const;

    std::vector<Range> m_ranges;
    std::vector<Condition> m_conditions;
    QString m_expression;
    const TrialSet *m_trials = nullptr;
    const Shortlist *m_shortlist = nullptr;
};

} // namespace psc
