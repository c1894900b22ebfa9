// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "psc/study/studyspec.h"
#include "psc/study/trial.h"

#include <QList>

#include <cmath>

#include <vector>

namespace psc {

class TrialSet;

/** One trial as a point of the Pareto scatter. */
struct ScatterPoint
{
    enum class Kind
    {
        Dominated, ///< complete, not on the front of the two axes
        Front,     ///< complete and on the front of the two axes
        Rejected,  ///< infeasible or failed, but with both values (costs known before training)
        Pruned,    ///< stopped early: its last validation accuracy, not a final one; never on a front
    };
    qint64 id = 0;
    double x = 0.0; ///< SI values
    double y = 0.0;
    double xError = 0.0; ///< +-1 standard deviation where the metric has a spread (analog accuracy over draws), else 0
    double yError = 0.0;
    Kind kind = Kind::Dominated;
    bool onStudyFront = false; ///< on the front of the study's objectives (all of them)
    bool imported = false;     ///< a model made elsewhere, added to compare (isImported())
    int series = -1;           ///< with all targets shown: the index of the point's target
};

/** A point drawn with its own colour and size (the Pareto plot's third and fourth metric, EncodedPoints). */
struct EncodedPoint
{
    qint64 id = 0; ///< the trial
    double x = 0.0;
    double y = 0.0;
    double colour = NAN;   ///< place on the colour scale in [0, 1], or NaN: no value
    double diameter = 8.0; ///< pixels
    bool front = false;    ///< on the front of the two axes: a darker, thicker outline
};

/** What the Pareto plot draws for one choice of axes. */
struct ParetoScatter
{
    std::vector<ScatterPoint> points; ///< in trial order
    QList<qint64> front;              ///< ids of the Front points, ordered by x
    double maxAbsX = 0.0;
    double maxAbsY = 0.0;
};

/**
 * The points of a Pareto scatter of `trials` over metrics `x` and `y`. The front is the two axes' own,
 * each metric in the study's direction for it (metricDirection()). Pending and running trials are left
 * out, and so are values a log axis cannot show (<= 0). `studyRanks` (aligned with `trials`), if given, are the
 * study's ranks (paretoRanks() of its objectives, the expensive part) computed elsewhere; else they are computed
 * here. `shown` (aligned with `trials`, if given) leaves out the trials it marks 0, as if they were not there: the
 * front of the axes is that of the others (a replay's trials so far, a filter's), without copying trials. Pure
 * function; any thread.
 */
// `columns` (optional): the TrialSet that holds `trials`, whose cached metric columns (TrialSet::column()) are read
// instead of every trial's metric list; at 100,000 trials that is most of the work after an axis change.
ParetoScatter computeParetoScatter(const StudySpec &spec, const std::vector<Trial> &trials, const MetricRef &x,
                                   const MetricRef &y, bool logX = false, bool logY = false,
                                   const std::vector<int> *studyRanks = nullptr,
                                   const std::vector<char> *shown = nullptr, const TrialSet *columns = nullptr);

/**
 * The scatter of every target at once: for each of `targets`, computeParetoScatter() with the target
 * metrics among `x` and `y` moved to that target, its points tagged with the target's index in
 * ScatterPoint::series. A trial without a target's metrics is left out for that target only. `front` is
 * every target's front, target by target. Pure function; any thread.
 */
ParetoScatter computeTargetScatters(const StudySpec &spec, const std::vector<Trial> &trials, const MetricRef &x,
                                    const MetricRef &y, const std::vector<std::string> &targets, bool logX = false,
                                    bool logY = false, const std::vector<int> *studyRanks = nullptr,
                                    const std::vector<char> *shown = nullptr, const TrialSet *columns = nullptr);

} // namespace psc
