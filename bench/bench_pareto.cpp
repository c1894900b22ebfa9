// SPDX-License-Identifier: GPL-3.0-or-later
// Timings of the Pareto maths (non-dominated sort, Pareto front, hypervolume) on fixed-seed random sets,
// with the naive O(M N^2) sort as a yardstick. Single-threaded; run a Release build on an idle machine.

#include "psc/pareto/pareto.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <numbers>
#include <random>
#include <vector>

using psc::Direction;

namespace {

/** Uniform doubles in [0, 1) from a fixed-seed generator, the same on every standard library. */
class Uniform
{
public:
    explicit Uniform(std::uint64_t seed) : m_engine(seed) {}
    double operator()() { return static_cast<double>(m_engine() >> 11) * 0x1.0p-53; }

private:
    std::mt19937_64 m_engine;
};

std::vector<double> cube(std::size_t n, std::size_t dims, std::uint64_t seed)
{
    Uniform uniform(seed);
    std::vector<double> points(n * dims);
    for (double &v : points)
        v = uniform();
    return points;
}

/** Points on the positive unit sphere: all mutually non-dominated, the worst case for hypervolume. */
std::vector<double> sphere(std::size_t n, std::size_t dims, std::uint64_t seed)
{
    Uniform uniform(seed);
    std::vector<double> points(n * dims);
    for (std::size_t i = 0; i < n; ++i) {
        double norm = 0.0;
        for (std::size_t j = 0; j < dims; ++j) {
            // |N(0,1)| by Box-Muller keeps the direction uniform on the sphere.
            const double v = std::sqrt(-2.0 * std::log(1.0 - uniform())) * std::cos(2.0 * std::numbers::pi * uniform());
            points[i * dims + j] = std::abs(v);
            norm += v * v;
        }
        for (std::size_t j = 0; j < dims; ++j)
            points[i * dims + j] /= std::sqrt(norm);
    }
    return points;
}

template <typename Function> double milliseconds(Function &&function, int repeats = 1)
{
    double best = 1e300;
    for (int r = 0; r < repeats; ++r) {
        const auto start = std::chrono::steady_clock::now();
        function();
        const std::chrono::duration<double, std::milli> elapsed = std::chrono::steady_clock::now() - start;
        best = std::min(best, elapsed.count());
    }
    return best;
}

// The yardstick: Deb's "fast non-dominated sort" from the NSGA-II paper, O(M N^2) time, with every point
// compared to every other and the dominated sets stored.
std::vector<std::size_t> naiveRanks(const std::vector<double> &points, std::size_t dims)
{
    const std::size_t n = points.size() / dims;
    std::vector<std::vector<std::uint32_t>> dominated(n);
    std::vector<std::uint32_t> count(n, 0);
    for (std::size_t a = 0; a < n; ++a) {
        const double *p = points.data() + a * dims;
        for (std::size_t b = a + 1; b < n; ++b) {
            const double *q = points.data() + b * dims;
            bool pBetter = false;
            bool qBetter = false;
            for (std::size_t j = 0; j < dims; ++j) {
                pBetter = pBetter || p[j] < q[j];
                qBetter = qBetter || q[j] < p[j];
            }
            if (pBetter && !qBetter) {
                dominated[a].push_back(std::uint32_t(b));
                ++count[b];
            } else if (qBetter && !pBetter) {
                dominated[b].push_back(std::uint32_t(a));
                ++count[a];
            }
        }
    }
    std::vector<std::size_t> rank(n, 0);
    std::vector<std::size_t> current;
    for (std::size_t i = 0; i < n; ++i) {
        if (count[i] == 0)
            current.push_back(i);
    }
    for (std::size_t level = 0; !current.empty(); ++level) {
        std::vector<std::size_t> next;
        for (std::size_t a : current) {
            rank[a] = level;
            for (std::uint32_t b : dominated[a]) {
                if (--count[b] == 0)
                    next.push_back(b);
            }
        }
        current.swap(next);
    }
    return rank;
}

void benchSort()
{
    const std::size_t n = 100000;
    const std::size_t dims = 4;
    const std::vector<Direction> dirs(dims, Direction::Minimize);
    const auto points = cube(n, dims, 42);

    std::vector<psc::Front> fronts;
    const double sortMs = milliseconds([&] { fronts = psc::nondominatedSort(points, dirs); }, 3);
    std::printf("nondominatedSort  N=%zu M=%zu uniform:  %9.1f ms  (%zu fronts, front 0 has %zu points)\n", n, dims,
                sortMs, fronts.size(), fronts.front().size());
    psc::Front front;
    const double frontMs = milliseconds([&] { front = psc::paretoFront(points, dirs); }, 3);
    std::printf("paretoFront       N=%zu M=%zu uniform:  %9.1f ms  (%zu points)\n", n, dims, frontMs, front.size());

    // A front of everything: the scan gives up and the divide and conquer takes over.
    const auto flat = sphere(n, dims, 43);
    const double flatMs = milliseconds([&] { front = psc::paretoFront(flat, dirs); });
    std::printf("paretoFront       N=%zu M=%zu sphere:   %9.1f ms  (%zu points, all non-dominated)\n", n, dims, flatMs,
                front.size());

    for (std::size_t m : {2, 3, 5}) {
        const auto other = cube(n, m, 44 + m);
        const std::vector<Direction> otherDirs(m, Direction::Minimize);
        const double ms = milliseconds([&] { fronts = psc::nondominatedSort(other, otherDirs); });
        std::printf("nondominatedSort  N=%zu M=%zu uniform:  %9.1f ms  (%zu fronts)\n", n, m, ms, fronts.size());
    }

    const std::size_t subset = 10000;
    const std::vector<double> head(points.begin(), points.begin() + std::ptrdiff_t(subset * dims));
    std::vector<std::size_t> naive;
    const double naiveMs = milliseconds([&] { naive = naiveRanks(head, dims); });
    std::vector<std::size_t> fast;
    const double fastMs = milliseconds([&] { fast = psc::nondominatedRanks(head, dirs); }, 3);
    std::printf("naive O(MN^2)     N=%zu  M=%zu uniform:  %9.1f ms\n", subset, dims, naiveMs);
    std::printf("nondominatedRanks N=%zu  M=%zu uniform:  %9.1f ms  (%.0fx faster; same ranks: %s)\n", subset, dims,
                fastMs, naiveMs / fastMs, naive == fast ? "yes" : "NO");
    const double scale = double(n) / double(subset);
    std::printf("naive O(MN^2)     N=%zu M=%zu, extrapolated x%.0f: ~%.0f ms (%.0fx the real sort)\n", n, dims,
                scale * scale, naiveMs * scale * scale, naiveMs * scale * scale / sortMs);
}

void benchHypervolume()
{
    struct Case
    {
        std::size_t n;
        std::size_t dims;
        bool onSphere;
        int repeats;
    };
    const Case cases[] = {
        {10000, 2, true, 5},  {1000000, 2, true, 1}, {10000, 3, false, 5}, {10000, 3, true, 3},
        {100000, 3, true, 1}, {1000, 4, true, 1},    {200, 5, true, 1},    {100, 6, true, 1},
    };
    for (const Case &c : cases) {
        const auto points = c.onSphere ? sphere(c.n, c.dims, 7 + c.dims) : cube(c.n, c.dims, 7 + c.dims);
        const std::vector<double> reference(c.dims, 1.0 + 1e-9 * double(c.onSphere));
        const std::vector<Direction> dirs(c.dims, Direction::Minimize);
        double volume = 0.0;
        const double ms = milliseconds([&] { volume = psc::hypervolume(points, reference, dirs); }, c.repeats);
        std::printf("hypervolume       N=%-7zu M=%zu %s: %9.1f ms  (HV = %.9f)\n", c.n, c.dims,
                    c.onSphere ? "sphere " : "uniform", ms, volume);
    }
}

} // namespace

int main()
{
    std::printf("Paretoscope Pareto maths benchmark (single thread, fixed seeds)\n");
    benchSort();
    benchHypervolume();
    return 0;
}
