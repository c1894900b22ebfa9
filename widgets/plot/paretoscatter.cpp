// SPDX-License-Identifier: GPL-3.0-or-later
#include "plot/paretoscatter.h"

#include "psc/study/metrics.h"

#include "psc/study/lineage.h"

#include "models/metricformat.h"
#include "models/trialset.h"

#include "psc/pareto/pareto.h"
#include "psc/study/studyfront.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace psc {

namespace {

/** The values of x, y and their spreads in trial `t`, in one pass over its metrics (NaN where absent). */
struct AxisValues
{
    double x = NAN, y = NAN, xError = NAN, yError = NAN;
};

AxisValues axisValues(const Trial &t, const MetricRef &x, const MetricRef &y, const MetricRef &spreadX,
                      const MetricRef &spreadY)
{
    // metricValue() takes the first entry of a name and target; so does this, for all of them at once, and stops as
    // soon as each has been found.
    AxisValues v;
    std::pair<const MetricRef *, double *> wanted[4];
    int n = 0;
    for (const auto &[ref, out] :
         {std::pair{&x, &v.x}, std::pair{&y, &v.y}, std::pair{&spreadX, &v.xError}, std::pair{&spreadY, &v.yError}})
        if (!ref->name.empty())
            wanted[n++] = {ref, out};
    int found = 0;
    for (const Metric &m : t.metrics) {
        for (int k = 0; k < n; ++k) {
            const auto &[ref, out] = wanted[k];
            if (std::isnan(*out) && m.name == ref->name && m.target == ref->target) {
                *out = m.value;
                ++found;
            }
        }
        if (found == n)
            break;
    }
    return v;
}

/**
 * paretoFront() of two objectives, for the plot's replot at 100,000 points: both minimised after a sign change, rows
 * bucketed by x; a row whose y is no better than the best y of an earlier bucket (strictly smaller x) is dominated and
 * dropped in one pass, and only the rest are sorted by x, then y, and swept: a row is on the front if its y beats
 * every earlier row's, or if it equals the last front row (identical points do not dominate each other).
 */
std::vector<std::size_t> front2d(const std::vector<double> &values, const std::vector<Direction> &directions)
{
    struct Row
    {
        double x, y;
        std::size_t index;
    };
    const double sx = directions[0] == Direction::Maximize ? -1.0 : 1.0;
    const double sy = directions[1] == Direction::Maximize ? -1.0 : 1.0;
    std::vector<Row> rows(values.size() / 2);
    double lo = std::numeric_limits<double>::infinity(), hi = -lo;
    for (std::size_t k = 0; k < rows.size(); ++k) {
        rows[k] = {sx * values[2 * k], sy * values[2 * k + 1], k};
        lo = std::min(lo, rows[k].x);
        hi = std::max(hi, rows[k].x);
    }
    if (std::isfinite(hi - lo) && hi > lo && rows.size() > 64) {
        constexpr int kBuckets = 1024;
        const double scale = (kBuckets - 1) / (hi - lo);
        auto bucket = [&](double x) { return std::clamp(int((x - lo) * scale), 0, kBuckets - 1); };
        std::vector<double> best(kBuckets, std::numeric_limits<double>::infinity());
        for (const Row &r : rows)
            best[std::size_t(bucket(r.x))] = std::min(best[std::size_t(bucket(r.x))], r.y);
        // before[b]: the best y of buckets before b, whose rows all have a smaller x than any row of b.
        std::vector<double> before(kBuckets, std::numeric_limits<double>::infinity());
        for (int b = 1; b < kBuckets; ++b)
            before[std::size_t(b)] = std::min(before[std::size_t(b - 1)], best[std::size_t(b - 1)]);
        rows.erase(std::remove_if(rows.begin(), rows.end(),
                                  [&](const Row &r) { return !(r.y < before[std::size_t(bucket(r.x))]); }),
                   rows.end());
    }
    std::sort(rows.begin(), rows.end(),
              [](const Row &a, const Row &b) { return a.x < b.x || (a.x == b.x && a.y < b.y); });
    std::vector<std::size_t> front;
    double bestY = std::numeric_limits<double>::infinity();
    const Row *last = nullptr;
    for (const Row &r : rows)
        if (r.y < bestY || (last && r.x == last->x && r.y == last->y)) {
            bestY = std::min(bestY, r.y);
            front.push_back(r.index);
            last = &r;
        }
    std::sort(front.begin(), front.end());
    return front;
}

} // namespace

ParetoScatter computeParetoScatter(const StudySpec &spec, const std::vector<Trial> &trials, const MetricRef &x,
                                   const MetricRef &y, bool logX, bool logY, const std::vector<int> *studyRanks,
                                   const std::vector<char> *include, const TrialSet *columns)
{
    ParetoScatter out;
    if (x.name.empty() || y.name.empty())
        return out;
    const bool masked = include && include->size() == trials.size();
    const MetricRef spreadX = spreadMetric(x), spreadY = spreadMetric(y);
    // Every value once (at 100,000 trials the metric lookups dominated the replot).
    std::vector<AxisValues> values(trials.size());
    // A trial's id, state and whether it was imported: from the set's facts when given (no trial is read then).
    std::vector<TrialSet::Facts> ownFacts;
    const bool cached = columns && &columns->trials() == &trials;
    if (!cached)
        for (const Trial &t : trials)
            ownFacts.push_back({t.id, t.state, isImported(t)});
    const std::vector<TrialSet::Facts> &facts = cached ? columns->facts() : ownFacts;
    if (cached) {
        const std::vector<double> &cx = columns->column(x);
        const std::vector<double> &cy = columns->column(y);
        const std::vector<double> *ex = spreadX.name.empty() ? nullptr : &columns->column(spreadX);
        const std::vector<double> *ey = spreadY.name.empty() ? nullptr : &columns->column(spreadY);
        for (std::size_t i = 0; i < trials.size(); ++i)
            values[i] = {cx[i], cy[i], ex ? (*ex)[i] : NAN, ey ? (*ey)[i] : NAN};
    } else {
        for (std::size_t i = 0; i < trials.size(); ++i)
            if (!masked || (*include)[i])
                values[i] = axisValues(trials[i], x, y, spreadX, spreadY);
    }
    // The front of the axes is that of the points shown: complete trials with both values, values a log axis cannot
    // show taking no part.
    ObjectivePoints shown;
    shown.trials = trials.size();
    shown.directions = {metricDirection(spec, x), metricDirection(spec, y)};
    shown.values.reserve(2 * trials.size());
    shown.members.reserve(trials.size());
    for (std::size_t i = 0; i < trials.size(); ++i) {
        const AxisValues &v = values[i];
        if (facts[i].state != TrialState::Complete || std::isnan(v.x) || std::isnan(v.y) || (logX && v.x <= 0) ||
            (logY && v.y <= 0) || (masked && !(*include)[i]))
            continue;
        shown.values.insert(shown.values.end(), {v.x, v.y});
        shown.members.push_back(i);
    }
    // Only the front of the two axes is drawn as such: one front, not a full ranking (a hundred fronts at 100,000
    // trials).
    std::vector<char> onAxesFront(trials.size(), 0);
    for (std::size_t k : front2d(shown.values, shown.directions))
        onAxesFront[shown.members[k]] = 1;
    const bool given = studyRanks && studyRanks->size() == trials.size();
    const std::vector<int> computedRanks = given                     ? std::vector<int>()
                                           : spec.objectives.empty() ? std::vector<int>(trials.size(), -1)
                                                                     : paretoRanks(trials, spec.objectives);
    const std::vector<int> &ranksStudy = given ? *studyRanks : computedRanks;

    std::vector<const ScatterPoint *> front;
    out.points.reserve(trials.size());
    for (std::size_t i = 0; i < trials.size(); ++i) {
        if (masked && !(*include)[i])
            continue;
        const TrialSet::Facts &t = facts[i];
        const bool complete = t.state == TrialState::Complete;
        if (!complete && t.state != TrialState::Infeasible && t.state != TrialState::Failed &&
            t.state != TrialState::Pruned)
            continue;
        const AxisValues &v = values[i];
        if (!std::isfinite(v.x) || !std::isfinite(v.y) || (logX && v.x <= 0) || (logY && v.y <= 0))
            continue;
        ScatterPoint p;
        p.id = t.id;
        p.x = v.x;
        p.y = v.y;
        p.xError = std::isnan(v.xError) ? 0.0 : v.xError;
        p.yError = std::isnan(v.yError) ? 0.0 : v.yError;
        p.kind = t.state == TrialState::Pruned ? ScatterPoint::Kind::Pruned
                 : !complete                   ? ScatterPoint::Kind::Rejected
                 : onAxesFront[i]              ? ScatterPoint::Kind::Front
                                               : ScatterPoint::Kind::Dominated;
        p.onStudyFront = complete && ranksStudy[i] == 0;
        p.imported = t.imported;
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
                                    const std::vector<int> *studyRanks, const std::vector<char> *shown,
                                    const TrialSet *columns)
{
    ParetoScatter out;
    for (std::size_t i = 0; i < targets.size(); ++i) {
        const MetricRef tx{x.name, x.target.empty() ? std::string() : targets[i]};
        const MetricRef ty{y.name, y.target.empty() ? std::string() : targets[i]};
        ParetoScatter one = computeParetoScatter(spec, trials, tx, ty, logX, logY, studyRanks, shown, columns);
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
