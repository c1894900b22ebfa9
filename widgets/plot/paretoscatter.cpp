// SPDX-License-Identifier: GPL-3.0-or-later
#include "plot/paretoscatter.h"

#include "psc/study/metrics.h"

#include "psc/study/lineage.h"

#include "models/metricformat.h"

#include "psc/pareto/pareto.h"
#include "psc/study/studyfront.h"

#include <algorithm>
#include <cmath>

namespace psc {

ParetoScatter computeParetoScatter(const StudySpec &spec, const std::vector<Trial> &trials, const MetricRef &x,
                                   const MetricRef &y, bool logX, bool logY, const std::vector<int> *studyRanks,
                                   const std::vector<char> *include)
{
    ParetoScatter out;
    if (x.name.empty() || y.name.empty())
        return out;
    const bool masked = include && include->size() == trials.size();
    // The front of the axes is that of the points shown: values a log axis cannot show take no part.
    ObjectivePoints shown =
        objectivePoints(trials, {Objective{x, metricDirection(spec, x)}, Objective{y, metricDirection(spec, y)}});
    if (logX || logY || masked) {
        ObjectivePoints kept;
        kept.directions = shown.directions;
        kept.trials = shown.trials;
        for (std::size_t k = 0; k < shown.members.size(); ++k) {
            const double vx = shown.values[2 * k], vy = shown.values[2 * k + 1];
            if ((logX && vx <= 0) || (logY && vy <= 0) || (masked && !(*include)[shown.members[k]]))
                continue;
            kept.values.insert(kept.values.end(), {vx, vy});
            kept.members.push_back(shown.members[k]);
        }
        shown = std::move(kept);
    }
    // Only the front of the two axes is drawn as such: one front, not a full ranking (a hundred fronts at 100,000
    // trials).
    std::vector<char> onAxesFront(trials.size(), 0);
    if (!shown.members.empty())
        for (std::size_t k : paretoFront(shown.values, shown.directions))
            onAxesFront[shown.members[k]] = 1;
    const bool given = studyRanks && studyRanks->size() == trials.size();
    const std::vector<int> computedRanks = given                     ? std::vector<int>()
                                           : spec.objectives.empty() ? std::vector<int>(trials.size(), -1)
                                                                     : paretoRanks(trials, spec.objectives);
    const std::vector<int> &ranksStudy = given ? *studyRanks : computedRanks;
    const MetricRef spreadX = spreadMetric(x), spreadY = spreadMetric(y);

    std::vector<const ScatterPoint *> front;
    out.points.reserve(trials.size());
    for (std::size_t i = 0; i < trials.size(); ++i) {
        if (masked && !(*include)[i])
            continue;
        const Trial &t = trials[i];
        const bool complete = t.state == TrialState::Complete;
        if (!complete && t.state != TrialState::Infeasible && t.state != TrialState::Failed &&
            t.state != TrialState::Pruned)
            continue;
        const auto vx = metricValue(t, x);
        const auto vy = metricValue(t, y);
        if (!vx || !vy || !std::isfinite(*vx) || !std::isfinite(*vy) || (logX && *vx <= 0) || (logY && *vy <= 0))
            continue;
        ScatterPoint p;
        p.id = t.id;
        p.x = *vx;
        p.y = *vy;
        if (!spreadX.name.empty())
            p.xError = metricValue(t, spreadX).value_or(0.0);
        if (!spreadY.name.empty())
            p.yError = metricValue(t, spreadY).value_or(0.0);
        p.kind = t.state == TrialState::Pruned ? ScatterPoint::Kind::Pruned
                 : !complete                   ? ScatterPoint::Kind::Rejected
                 : onAxesFront[i]              ? ScatterPoint::Kind::Front
                                               : ScatterPoint::Kind::Dominated;
        p.onStudyFront = complete && ranksStudy[i] == 0;
        p.imported = isImported(t);
        out.points.push_back(p);
        out.maxAbsX = std::max(out.maxAbsX, std::abs(p.x));
        out.maxAbsY = std::max(out.maxAbsY, std::abs(p.y));
    }
    for (const ScatterPoint &p : out.points)
        if (p.kind == ScatterPoint::Kind::Front)
            front.push_back(&p);
    std::stable_sort(front.begin(), front.end(),
                     [](const ScatterPoint *a, const ScatterPoint *b) { return a->x < b->x; });
    for (const ScatterPoint *p : front)
        out.front.push_back(p->id);
    return out;
}

ParetoScatter computeTargetScatters(const StudySpec &spec, const std::vector<Trial> &trials, const MetricRef &x,
                                    const MetricRef &y, const std::vector<std::string> &targets, bool logX, bool logY,
                                    const std::vector<int> *studyRanks, const std::vector<char> *shown)
{
    ParetoScatter out;
    for (std::size_t i = 0; i < targets.size(); ++i) {
        const MetricRef tx{x.name, x.target.empty() ? std::string() : targets[i]};
        const MetricRef ty{y.name, y.target.empty() ? std::string() : targets[i]};
        ParetoScatter one = computeParetoScatter(spec, trials, tx, ty, logX, logY, studyRanks, shown);
        for (ScatterPoint &p : one.points) {
            p.series = int(i);
            out.points.push_back(p);
        }
        out.front.append(one.front);
        out.maxAbsX = std::max(out.maxAbsX, one.maxAbsX);
        out.maxAbsY = std::max(out.maxAbsY, one.maxAbsY);
    }
    return out;
}

} // namespace psc
