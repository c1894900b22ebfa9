// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "plot/paretoscatter.h"

#include "psc/study/trial.h"

#include <QPointF>

#include <vector>

class QCustomPlot;

namespace psc {

class CompressionArrowLayer;

/** A compression path in the Pareto plot: an arrow from a parent trial's point to its child's. */
struct CompressionArrow
{
    qint64 parentId = 0;
    qint64 childId = 0;
    QPointF from;    ///< the parent's point, in the plot's coordinates (the axes' display units)
    QPointF to;      ///< the child's point
    int series = -1; ///< with all targets shown: the target both points belong to
};

/**
 * The arrows for `points` (one per plotted point whose trial has a parent plotted in the same series). A
 * parent that is not plotted (pending, filtered out, no value on an axis) gives no arrow, even if a
 * grandparent is. Arrows come in point order. O(trials + points); pure; any thread.
 */
std::vector<CompressionArrow> computeCompressionArrows(const std::vector<Trial> &trials,
                                                       const std::vector<ScatterPoint> &points);

/**
 * Draws compression arrows on a QCustomPlot: all of them in one layerable on a layer of their own below
 * the points (a QCPItemLine per arrow would cost an object, two positions and a draw call each, and
 * studies have thousands of trials), plus a legend entry while any are shown. Drawn with the plot, so
 * exports include them; arrows never take mouse events, so points stay clickable. The layerable belongs
 * to the plot. GUI thread only.
 */
class CompressionPaths
{
public:
    explicit CompressionPaths(QCustomPlot *plot);

    /** Replaces the arrows (coordinates in the plot's units); an empty list hides the legend entry. */
    void set(std::vector<CompressionArrow> arrows);
    const std::vector<CompressionArrow> &arrows() const;
    /** Puts the legend entry (if any arrows are drawn) last in the legend again after graphs were re-added. */
    void updateLegend();

private:
    QCustomPlot *m_plot = nullptr;
    CompressionArrowLayer *m_layer = nullptr;
};

} // namespace psc
