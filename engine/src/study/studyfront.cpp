// SPDX-License-Identifier: GPL-3.0-or-later
#include "psc/study/studyfront.h"

#include "psc/pareto/pareto.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace psc {

ObjectivePoints objectivePoints(const std::vector<Trial> &trials, const std::vector<Objective> &objectives)
{
    ObjectivePoints p;
    p.trials = trials.size();
    for (const Objective &o : objectives)
        p.directions.push_back(o.direction);
    if (objectives.empty())
        return p;
    std::vector<double> row;
    for (std::size_t i = 0; i < trials.size(); ++i) {
        if (trials[i].state != TrialState::Complete)
            continue;
        row.clear();
        for (const Objective &o : objectives) {
            const auto v = metricValue(trials[i], o.metric);
            if (!v || std::isnan(*v))
                break;
            row.push_back(*v);
        }
        if (row.size() != objectives.size())
            continue;
        p.values.insert(p.values.end(), row.begin(), row.end());
        p.members.push_back(i);
    }
    return p;
}

std::vector<int> rankObjectivePoints(const ObjectivePoints &points)
{
    std::vector<int> ranks(points.trials, -1);
    if (points.members.empty() || points.directions.empty())
        return ranks;
    const auto r = nondominatedRanks(points.values, points.directions);
    for (std::size_t k = 0; k < points.members.size(); ++k)
        ranks[points.members[k]] = int(r[k]);
    return ranks;
}

std::vector<int> paretoRanks(const std::vector<Trial> &trials, const std::vector<Objective> &objectives)
{
    return rankObjectivePoints(objectivePoints(trials, objectives));
}

HypervolumeCurve hypervolumeCurve(const std::vector<Trial> &trials, const std::vector<Objective> &objectives,
                                  std::size_t maxPoints)
{
    HypervolumeCurve curve;
    const ObjectivePoints points = objectivePoints(trials, objectives);
    const std::size_t m = points.directions.size();
    if (points.members.empty() || m == 0)
        return curve;
    // Reference: the worst value per objective, 10 % of the range beyond it.
    curve.reference.resize(m);
    curve.best.resize(m);
    for (std::size_t k = 0; k < m; ++k) {
        double lo = INFINITY, hi = -INFINITY;
        for (std::size_t r = 0; r < points.members.size(); ++r) {
            lo = std::min(lo, points.values[r * m + k]);
            hi = std::max(hi, points.values[r * m + k]);
        }
        const double margin = hi > lo ? 0.1 * (hi - lo) : 1.0;
        const bool minimise = points.directions[k] == Direction::Minimize;
        curve.reference[k] = minimise ? hi + margin : lo - margin;
        curve.best[k] = minimise ? lo : hi;
    }
    // Scaled: 0 at the best value, 1 at the reference, every objective minimised.
    auto scaled = [&](std::size_t row) {
        std::vector<double> v(m);
        for (std::size_t k = 0; k < m; ++k)
            v[k] = (points.values[row * m + k] - curve.best[k]) / (curve.reference[k] - curve.best[k]);
        return v;
    };
    const std::vector<double> unit(m, 1.0);
    const std::vector<Direction> minimise(m, Direction::Minimize);
    // Members in trial-number order; the curve steps at every trial.
    std::vector<std::size_t> order(points.members.size());
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
        return trials[points.members[a]].number < trials[points.members[b]].number;
    });
    std::vector<double> sofar;
    std::vector<std::int64_t> numbers;
    for (const Trial &t : trials)
        numbers.push_back(t.number);
    std::sort(numbers.begin(), numbers.end());
    std::size_t next = 0;
    double value = 0;
    const std::size_t stride =
        maxPoints > 0 && numbers.size() > maxPoints ? (numbers.size() + maxPoints - 1) / maxPoints : 1;
    for (std::size_t at = 0; at < numbers.size(); ++at) {
        const std::int64_t n = numbers[at];
        if (stride > 1 && at % stride != stride - 1 && at + 1 != numbers.size())
            continue; // sampled: only every stride-th trial, and the last
        bool grew = false;
        while (next < order.size() && trials[points.members[order[next]]].number <= n) {
            const std::vector<double> v = scaled(order[next++]);
            sofar.insert(sofar.end(), v.begin(), v.end());
            grew = true;
        }
        if (grew)
            value = hypervolume(sofar, unit, minimise);
        curve.trialNumbers.push_back(n);
        curve.values.push_back(value);
    }
    return curve;
}

} // namespace psc
