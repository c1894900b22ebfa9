// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "plot/paretoscatter.h"
#include "plot/targetgraphs.h"

#include <QStringList>

#include <vector>

class QCPErrorBars;
class QCPLayerable;
class QCPGraph;
class QCPLegend;
class QCustomPlot;

namespace psc {

class RasterScatter;

/**
 * The graphs of the Pareto plot: dominated points, the front of the two axes with its staircase, rings
 * for the study's front, diamonds around imported models, grey crosses for infeasible and failed trials, the
 * selection ring, and with
 * "All targets" one colour per target (TargetGraphs). Over 20,000 dominated points are drawn as one image rather than
 * as QCustomPlot scatters (a layer "raster" below the graphs). Keeps the legend to what is drawn. The graphs
 * belong to the QCustomPlot. GUI thread only.
 */
class ParetoGraphs
{
public:
    explicit ParetoGraphs(QCustomPlot *plot);

    /**
     * Draws `points` (already in display units). With `targets` (all targets shown) the points carry
     * their target in ScatterPoint::series and each target gets its own colour and front; otherwise
     * the study's front is ringed when `rings`. `stepLeft`: the staircase for a minimised x. Points with an x or y
     * error (ScatterPoint::xError, yError) get +-1 standard deviation error bars.
     */
    void set(const std::vector<ScatterPoint> &points, const QStringList &targets, bool stepLeft, bool rings);
    /** Rings every point of trial `id` (-1: none). */
    void setSelection(const std::vector<ScatterPoint> &points, qint64 id);

private:
    QCPGraph *m_dominated = nullptr;
    RasterScatter *m_raster = nullptr; ///< the dominated points instead of m_dominated when there are very many
    QCPGraph *m_pruned = nullptr;
    QCPGraph *m_rejected = nullptr;
    QCPGraph *m_front = nullptr;
    QCPGraph *m_studyFront = nullptr;
    QCPGraph *m_imported = nullptr;
    QCPGraph *m_selection = nullptr;
    /// +-1 standard deviation of metrics with a spread (analog accuracy), on the dominated and front points.
    QCPErrorBars *m_dominatedXErrors = nullptr;
    QCPErrorBars *m_dominatedYErrors = nullptr;
    QCPErrorBars *m_frontXErrors = nullptr;
    QCPErrorBars *m_frontYErrors = nullptr;
    TargetGraphs m_targets;
};

/**
 * Sets the axes' scale types (log or linear) and, with `fitRanges`, their ranges to show every point with a
 * margin (8 % on a linear axis, a factor 1.25 on a log axis); [0, 1] without points.
 */
void fitAxes(QCustomPlot &plot, const std::vector<ScatterPoint> &points, bool logX, bool logY, bool fitRanges);

/**
 * Wraps `legend` (filled columns first) into the fewest rows whose columns fit `width` pixels, so entries are
 * never squeezed into clipped text; one row when everything fits.
 */
void wrapLegend(QCPLegend *legend, int width);

} // namespace psc
