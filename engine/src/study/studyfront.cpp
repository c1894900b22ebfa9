// SPDX-License-Identifier: GPL-3.0-or-later
#include "psc/study/studyfront.h"

#include "psc/pareto/pareto.h"

#include <cmath>

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

} // namespace psc
