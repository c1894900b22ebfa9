// SPDX-License-Identifier: GPL-3.0-or-later
#include "psc/study/studyfront.h"

#include "psc/pareto/pareto.h"

#include <cmath>

namespace psc {

std::vector<int> paretoRanks(const std::vector<Trial> &trials, const std::vector<Objective> &objectives)
{
    std::vector<int> ranks(trials.size(), -1);
    if (objectives.empty())
        return ranks;
    std::vector<Direction> directions;
    for (const Objective &o : objectives)
        directions.push_back(o.direction);
    std::vector<double> points;
    std::vector<std::size_t> members;
    for (std::size_t i = 0; i < trials.size(); ++i) {
        if (trials[i].state != TrialState::Complete)
            continue;
        std::vector<double> row;
        for (const Objective &o : objectives) {
            const auto v = metricValue(trials[i], o.metric);
            if (!v || std::isnan(*v))
                break;
            row.push_back(*v);
        }
        if (row.size() != objectives.size())
            continue;
        points.insert(points.end(), row.begin(), row.end());
        members.push_back(i);
    }
    if (members.empty())
        return ranks;
    const auto r = nondominatedRanks(points, directions);
    for (std::size_t k = 0; k < members.size(); ++k)
        ranks[members[k]] = int(r[k]);
    return ranks;
}

} // namespace psc
