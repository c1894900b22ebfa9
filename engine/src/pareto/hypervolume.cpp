// SPDX-License-Identifier: GPL-3.0-or-later
//
// Exact hypervolume. All kernels below work on minimised points that each strictly beat the reference in
// every coordinate (hypervolume() filters and negates first), stored row-major with `stride` values per point.

#include "pareto/paretoinput.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>
#include <stdexcept>
#include <string>

namespace psc::paretodetail {
namespace {

double boxVolume(const double *point, std::size_t dims, const double *reference)
{
    double volume = 1.0;
    for (std::size_t j = 0; j < dims; ++j)
        volume *= reference[j] - point[j];
    return volume;
}

std::vector<std::size_t> identity(std::size_t n)
{
    std::vector<std::size_t> order(n);
    std::iota(order.begin(), order.end(), std::size_t{0});
    return order;
}

// Sweep along x: a point adds area only where its y beats the lowest y seen so far. Dominated points and
// duplicates fail the test and add nothing.
double area2d(const double *points, std::size_t n, std::size_t stride, const double *reference)
{
    auto order = identity(n);
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
        const double *p = points + a * stride;
        const double *q = points + b * stride;
        return p[0] < q[0] || (p[0] == q[0] && p[1] < q[1]);
    });
    double area = 0.0;
    double lowestY = reference[1];
    for (std::size_t i : order) {
        const double *p = points + i * stride;
        if (p[1] < lowestY) {
            area += (reference[0] - p[0]) * (lowestY - p[1]);
            lowestY = p[1];
        }
    }
    return area;
}

// Beume, Fonseca, Lopez-Ibanez, Paquete and Vahrenhold, "On the complexity of computing the hypervolume
// indicator", IEEE TEC 13(5), 2009: sweep along z keeping the 2-D non-dominated staircase of the points seen
// so far in a balanced tree, and its area incrementally; each slab between consecutive z values adds area *
// thickness. Every point is inserted and erased at most once, so the sweep is O(n log n).
double volume3d(const double *points, std::size_t n, std::size_t stride, const double *reference)
{
    auto order = identity(n);
    std::sort(order.begin(), order.end(),
              [&](std::size_t a, std::size_t b) { return points[a * stride + 2] < points[b * stride + 2]; });

    std::map<double, double> staircase; // x -> y; x ascending, y strictly descending
    double area = 0.0;
    double volume = 0.0;
    double lastZ = n > 0 ? points[order[0] * stride + 2] : 0.0;
    for (std::size_t i : order) {
        const double *p = points + i * stride;
        volume += area * (p[2] - lastZ);
        lastZ = p[2];

        auto it = staircase.lower_bound(p[0]); // first step with x >= p.x
        const double leftY = it == staircase.begin() ? reference[1] : std::prev(it)->second;
        if (leftY <= p[1] || (it != staircase.end() && it->first == p[0] && it->second <= p[1]))
            continue; // weakly dominated in x-y by a point with smaller or equal z: adds nothing from here on
        // Walk right over the steps p covers, adding the strip between p.y and the old staircase.
        double x = p[0];
        double height = leftY;
        double gained = 0.0;
        while (it != staircase.end() && it->second >= p[1]) {
            gained += (it->first - x) * (height - p[1]);
            x = it->first;
            height = it->second;
            it = staircase.erase(it);
        }
        const double rightX = it == staircase.end() ? reference[0] : it->first;
        gained += (rightX - x) * (height - p[1]);
        staircase.emplace_hint(it, p[0], p[1]);
        area += gained;
    }
    return volume + area * (reference[2] - lastZ);
}

// Keeps the points that no other point weakly dominates (and one of each group of duplicates), in
// lexicographic order. O(n log n + n * kept * dims); the limit sets WFG feeds it are small after filtering.
std::size_t keepNondominated(std::vector<double> &points, std::size_t n, std::size_t dims)
{
    auto order = identity(n);
    const auto row = [&](std::size_t i) { return points.data() + i * dims; };
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
        return std::lexicographical_compare(row(a), row(a) + dims, row(b), row(b) + dims);
    });
    // Lexicographic order puts every weak dominator before the points it dominates.
    std::vector<std::size_t> kept;
    for (std::size_t i : order) {
        const bool dominated = std::any_of(kept.begin(), kept.end(), [&](std::size_t k) {
            for (std::size_t j = 0; j < dims; ++j) {
                if (row(k)[j] > row(i)[j])
                    return false;
            }
            return true;
        });
        if (!dominated)
            kept.push_back(i);
    }
    std::vector<double> result;
    result.reserve(kept.size() * dims);
    for (std::size_t i : kept)
        result.insert(result.end(), row(i), row(i) + dims);
    points.swap(result);
    return kept.size();
}

// While, Bradstreet and Barone, "A fast way of calculating exact hypervolumes", IEEE TEC 16(1), 2012 (WFG):
// HV(S) is the sum over p_k of the volume p_k dominates exclusively of p_{k+1..n}, and that exclusive volume is
// p_k's box minus the hypervolume of the "limit set" (each later point clipped to be no better than p_k),
// which is mostly dominated and shrinks fast. With the points sorted worst first in the last objective, the
// clipped points all sit in p_k's slab of that objective, so the recursion drops one dimension per level
// (the slicing WFG also uses); the 3-D sweep ends it.
double wfg(std::vector<double> &points, std::size_t n, std::size_t dims, const double *reference)
{
    if (n == 0)
        return 0.0;
    if (dims == 2)
        return area2d(points.data(), n, 2, reference);
    if (dims == 3)
        return volume3d(points.data(), n, 3, reference);
    if (n == 1)
        return boxVolume(points.data(), dims, reference);

    const std::size_t last = dims - 1;
    auto order = identity(n);
    std::sort(order.begin(), order.end(),
              [&](std::size_t a, std::size_t b) { return points[a * dims + last] > points[b * dims + last]; });
    std::vector<double> sorted;
    sorted.reserve(n * dims);
    for (std::size_t i : order)
        sorted.insert(sorted.end(), points.begin() + static_cast<std::ptrdiff_t>(i * dims),
                      points.begin() + static_cast<std::ptrdiff_t>((i + 1) * dims));

    double total = 0.0;
    std::vector<double> limit;
    for (std::size_t k = 0; k < n; ++k) {
        const double *p = sorted.data() + k * dims;
        limit.clear();
        for (std::size_t i = k + 1; i < n; ++i) {
            const double *q = sorted.data() + i * dims;
            for (std::size_t j = 0; j < last; ++j)
                limit.push_back(std::max(p[j], q[j]));
        }
        std::size_t m = n - k - 1;
        if (last >= 4) // the 2-D and 3-D kernels skip dominated points themselves
            m = keepNondominated(limit, m, last);
        const double exclusive = boxVolume(p, last, reference) - wfg(limit, m, last, reference);
        total += exclusive * (reference[last] - p[last]);
    }
    return total;
}

} // namespace
} // namespace psc::paretodetail

namespace psc {

double hypervolume(std::span<const double> points, std::span<const double> reference,
                   std::span<const Direction> directions)
{
    const std::size_t count = paretodetail::checkPoints(points, directions, "hypervolume");
    const std::size_t dims = directions.size();
    if (reference.size() != dims) {
        throw std::invalid_argument("psc::hypervolume: the reference has " + std::to_string(reference.size()) +
                                    " values, expected one per objective (" + std::to_string(dims) + ")");
    }
    std::vector<double> ref(dims);
    for (std::size_t j = 0; j < dims; ++j) {
        if (!std::isfinite(reference[j])) {
            throw std::invalid_argument("psc::hypervolume: objective " + std::to_string(j) +
                                        " of the reference is not finite");
        }
        ref[j] = directions[j] == Direction::Maximize ? -reference[j] : reference[j];
    }

    std::vector<double> kept;
    kept.reserve(points.size());
    bool unbounded = false;
    for (std::size_t i = 0; i < count; ++i) {
        const std::size_t start = kept.size();
        bool beatsReference = true;
        for (std::size_t j = 0; j < dims && beatsReference; ++j) {
            const double v = points[i * dims + j];
            kept.push_back(directions[j] == Direction::Maximize ? -v : v);
            beatsReference = kept.back() < ref[j];
        }
        if (!beatsReference) {
            kept.resize(start);
            continue;
        }
        unbounded = unbounded || std::any_of(kept.begin() + static_cast<std::ptrdiff_t>(start), kept.end(),
                                             [](double v) { return std::isinf(v); });
    }
    const std::size_t n = kept.size() / dims;
    if (n == 0)
        return 0.0;
    if (unbounded)
        return std::numeric_limits<double>::infinity();

    switch (dims) {
    case 1:
        return ref[0] - *std::min_element(kept.begin(), kept.end());
    case 2:
        return paretodetail::area2d(kept.data(), n, 2, ref.data());
    case 3:
        return paretodetail::volume3d(kept.data(), n, 3, ref.data());
    default: {
        const std::size_t m = paretodetail::keepNondominated(kept, n, dims);
        return paretodetail::wfg(kept, m, dims, ref.data());
    }
    }
}

} // namespace psc
