// SPDX-License-Identifier: GPL-3.0-or-later
#include "pareto/paretoinput.h"

#include <algorithm>
#include <climits>
#include <cmath>
#include <numeric>
#include <stdexcept>
#include <string>
#include <utility>

namespace psc::paretodetail {

std::size_t checkPoints(std::span<const double> points, std::span<const Direction> directions, const char *function)
{
    const std::string where = std::string("psc::") + function + ": ";
    if (directions.empty())
        throw std::invalid_argument(where + "need at least one objective (directions is empty)");
    const std::size_t dims = directions.size();
    if (points.size() % dims != 0) {
        throw std::invalid_argument(where + std::to_string(points.size()) + " values is not a whole number of " +
                                    std::to_string(dims) + "-objective points");
    }
    const std::size_t count = points.size() / dims;
    // The sorters index points with int to halve the memory traffic of their index arrays.
    if (count > static_cast<std::size_t>(INT_MAX / 2))
        throw std::invalid_argument(where + "too many points (" + std::to_string(count) + ")");
    for (std::size_t i = 0; i < points.size(); ++i) {
        if (std::isnan(points[i])) {
            throw std::invalid_argument(where + "objective " + std::to_string(i % dims) + " of point " +
                                        std::to_string(i / dims) + " is NaN");
        }
    }
    return count;
}

RankedPoints rankPoints(std::span<const double> points, std::span<const Direction> directions)
{
    RankedPoints result;
    const std::size_t dims = directions.size();
    const std::size_t count = points.size() / dims;
    result.dims = static_cast<int>(dims);
    result.distinct.assign(dims, 0);
    std::vector<int> ranks(count * dims);

    // Dense ranks per objective: equal values (including -0.0 and 0.0) get equal ranks.
    std::vector<std::pair<double, int>> column(count);
    for (std::size_t j = 0; j < dims; ++j) {
        const bool negate = directions[j] == Direction::Maximize;
        for (std::size_t i = 0; i < count; ++i) {
            const double v = points[i * dims + j];
            column[i] = {negate ? -v : v, static_cast<int>(i)};
        }
        std::sort(column.begin(), column.end());
        int rank = -1;
        for (std::size_t t = 0; t < count; ++t) {
            if (t == 0 || column[t].first != column[t - 1].first)
                ++rank;
            ranks[static_cast<std::size_t>(column[t].second) * dims + j] = rank;
        }
        result.distinct[j] = rank + 1;
    }

    // Lexicographic order by LSD radix sort: a stable counting sort per objective, last objective first.
    // The keys are dense ranks below `distinct`, so this is O(M (N + distinct)).
    std::vector<int> order(count);
    std::iota(order.begin(), order.end(), 0);
    std::vector<int> scratch(count);
    std::vector<std::size_t> start;
    for (std::size_t j = dims; j-- > 0;) {
        const auto key = [&](int i) { return static_cast<std::size_t>(ranks[static_cast<std::size_t>(i) * dims + j]); };
        start.assign(static_cast<std::size_t>(result.distinct[j]) + 1, 0);
        for (int i : order)
            ++start[key(i) + 1];
        std::partial_sum(start.begin(), start.end(), start.begin());
        for (int i : order)
            scratch[start[key(i)]++] = i;
        order.swap(scratch);
    }

    result.uniqueOf.assign(count, 0);
    result.values.reserve(count * dims);
    const int *previous = nullptr;
    for (int i : order) {
        const int *row = ranks.data() + static_cast<std::size_t>(i) * dims;
        if (previous == nullptr || !std::equal(row, row + dims, previous)) {
            result.values.insert(result.values.end(), row, row + dims);
            ++result.count;
        }
        result.uniqueOf[static_cast<std::size_t>(i)] = result.count - 1;
        previous = row;
    }
    return result;
}

} // namespace psc::paretodetail

namespace psc {

bool dominates(std::span<const double> a, std::span<const double> b, std::span<const Direction> directions)
{
    if (directions.empty())
        throw std::invalid_argument("psc::dominates: need at least one objective (directions is empty)");
    if (a.size() != directions.size() || b.size() != directions.size()) {
        throw std::invalid_argument("psc::dominates: points have " + std::to_string(a.size()) + " and " +
                                    std::to_string(b.size()) + " values, expected " +
                                    std::to_string(directions.size()));
    }
    bool strictlyBetter = false;
    for (std::size_t j = 0; j < directions.size(); ++j) {
        if (std::isnan(a[j]) || std::isnan(b[j]))
            throw std::invalid_argument("psc::dominates: objective " + std::to_string(j) + " is NaN");
        const bool maximize = directions[j] == Direction::Maximize;
        const double x = maximize ? -a[j] : a[j];
        const double y = maximize ? -b[j] : b[j];
        if (x > y)
            return false;
        if (x < y)
            strictlyBetter = true;
    }
    return strictlyBetter;
}

} // namespace psc
