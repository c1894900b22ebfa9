// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "psc/study/metrics.h"

#include <QColor>
#include <QString>

#include <vector>

class QCustomPlot;

namespace psc {

class TrialSet;

/** A trial drawn ringed in its own colour and labelled. */
struct MarkedTrial
{
    qint64 id = -1;
    QColor colour;
    QString label; ///< "#12", "int4"
};

/** How a sketch is drawn: the compare view's defaults, or large and thick for the presentation mode. */
struct FrontSketchStyle
{
    double fontPointSize = 0.0; ///< 0: the plot's own font
    double lineWidth = 1.0;     ///< axes, arrows and rings scale with it
    double pointSize = 6.0;
    bool dark = false;        ///< light text and lines on a dark background
    bool legendMarked = true; ///< the marked trials in the legend too (their labels may be enough)
};

/**
 * Draws every complete trial of `set` on `x` against `y` (SI values in readable units, a log x axis for a positive
 * cost), the trials on the study's front (all objectives) darker, `marked` ringed and labelled, and an arrow for each
 * (from, to) pair of `arrows` (trial ids: a compression path). Replaces what `plot` showed. GUI thread.
 */
void drawFrontSketch(QCustomPlot *plot, const TrialSet &set, const MetricRef &x, const MetricRef &y,
                     const std::vector<MarkedTrial> &marked, const std::vector<std::pair<qint64, qint64>> &arrows = {},
                     const FrontSketchStyle &style = {});

} // namespace psc
