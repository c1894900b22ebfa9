// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "plot/paretoscatter.h"

#include <QColor>
#include <QStringList>

#include <vector>

class QCPGraph;
class QCustomPlot;

namespace psc {

/**
 * The "all targets" layer of the Pareto plot: per target, its complete trials as discs in the target's
 * colour and the front of the two axes (for that target's estimates) joined by its staircase, with one
 * legend entry per target. Owns nothing: the graphs belong to the QCustomPlot. GUI thread only.
 */
class TargetGraphs
{
public:
    explicit TargetGraphs(QCustomPlot *plot);

    /**
     * Replaces the graphs: `points` carry the index into `targets` in ScatterPoint::series; rejected points
     * are left to the caller. Targets without points get no graph and no legend entry. `stepLeft` is the
     * staircase direction (x minimised).
     */
    void set(const QStringList &targets, const std::vector<ScatterPoint> &points, bool stepLeft);
    void clear();
    /** The targets drawn, in legend order. */
    QStringList drawnTargets() const { return m_drawn; }

    /** A distinct colour for the `index`-th target (cycles after ten). */
    static QColor colour(int index);

private:
    QCustomPlot *m_plot = nullptr;
    std::vector<QCPGraph *> m_graphs;
    QStringList m_drawn;
};

} // namespace psc
