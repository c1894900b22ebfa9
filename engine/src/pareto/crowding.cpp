// SPDX-License-Identifier: GPL-3.0-or-later
//
// Crowding distance as defined for NSGA-II by Deb, Pratap, Agarwal and Meyarivan, "A fast and elitist
// multiobjective genetic algorithm: NSGA-II", IEEE TEC 6(2), 2002, section III-B.

#include "pareto/paretoinput.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <string>

namespace psc {

std::vector<double> crowdingDistance(std::span<const double> points, std::span<const std::size_t> front,
                                     std::span<const Direction> directions)
{
    const std::size_t count = paretodetail::checkPoints(points, directions, "crowdingDistance");
    const std::size_t dims = directions.size();
    for (std::size_t i = 0; i < front.size(); ++i) {
        if (front[i] >= count) {
            throw std::invalid_argument("psc::crowdingDistance: front[" + std::to_string(i) +
                                        "] = " + std::to_string(front[i]) + " is out of range (there are " +
                                        std::to_string(count) + " points)");
        }
        for (std::size_t j = 0; j < dims; ++j) {
            // An infinite value makes max - min infinite and the neighbour differences inf - inf.
            if (!std::isfinite(points[front[i] * dims + j])) {
                throw std::invalid_argument("psc::crowdingDistance: objective " + std::to_string(j) + " of point " +
                                            std::to_string(front[i]) + " is not finite");
            }
        }
    }

    constexpr double infinity = std::numeric_limits<double>::infinity();
    const std::size_t n = front.size();
    if (n <= 2)
        return std::vector<double>(n, infinity);

    std::vector<double> distance(n, 0.0);
    std::vector<std::size_t> order(n);
    for (std::size_t j = 0; j < dims; ++j) {
        const auto objective = [&](std::size_t position) { return points[front[position] * dims + j]; };
        std::iota(order.begin(), order.end(), std::size_t{0});
        // Stable, so that ties keep their order in `front` and the result does not depend on the sort.
        std::stable_sort(order.begin(), order.end(),
                         [&](std::size_t a, std::size_t b) { return objective(a) < objective(b); });
        const double span = objective(order[n - 1]) - objective(order[0]);
        if (!(span > 0.0))
            continue;
        distance[order[0]] = infinity;
        distance[order[n - 1]] = infinity;
        for (std::size_t k = 1; k + 1 < n; ++k)
            distance[order[k]] += (objective(order[k + 1]) - objective(order[k - 1])) / span;
    }
    return distance;
}

} // namespace psc
