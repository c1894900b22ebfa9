// SPDX-License-Identifier: GPL-3.0-or-later
//
// Non-dominated sorting by divide and conquer.
//
// The algorithm is Jensen's (IEEE TEC 7(5), 2003) in the form that is exact with ties: Fortin, Grenier and
// Parizeau, "Generalizing the improved run-time complexity algorithm for non-dominated sorting" (GECCO 2013),
// with the median split over both halves from Buzdalov and Shalyto, "A provably asymptotically fast version of
// the generalized Jensen algorithm for non-dominated sorting" (PPSN XIII, 2014), which guarantees
// O(N log^(M-1) N). Our formulation (three-way splits, Fenwick-tree sweeps, pairwise leaves) is our own.
//
// Preconditions established by rankPoints(): points are unique, integer-valued and numbered in lexicographic
// order, so a point can only be dominated by a point with a smaller number, and index lists kept sorted are
// sorted lexicographically (in particular by objective 0).

#include "pareto/paretoinput.h"

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <memory>
#include <utility>

namespace psc::paretodetail {
namespace {

using IndexSpan = std::span<const int>;
using Indices = std::vector<int>;

/** Fenwick tree over positions [0, size) answering prefix maxima of values that only grow until reset(). */
class PrefixMaxTree
{
public:
    explicit PrefixMaxTree(int size) : m_tree(static_cast<std::size_t>(size) + 1, -1) {}

    void raise(int position, int value)
    {
        const auto size = static_cast<int>(m_tree.size());
        for (int i = position + 1; i < size; i += i & -i)
            m_tree[static_cast<std::size_t>(i)] = std::max(m_tree[static_cast<std::size_t>(i)], value);
    }

    /** Largest value raised at a position <= `position`, or -1. */
    int prefixMax(int position) const
    {
        int best = -1;
        for (int i = position + 1; i > 0; i -= i & -i)
            best = std::max(best, m_tree[static_cast<std::size_t>(i)]);
        return best;
    }

    /** Undoes raise() at `position`; resetting every raised position empties the tree in O(k log n). */
    void reset(int position)
    {
        const auto size = static_cast<int>(m_tree.size());
        for (int i = position + 1; i < size; i += i & -i)
            m_tree[static_cast<std::size_t>(i)] = -1;
    }

private:
    std::vector<int> m_tree;
};

void mergeInto(IndexSpan a, IndexSpan b, Indices &out)
{
    out.clear();
    std::merge(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
}

/**
 * The recursion of Fortin et al. Ranks only grow: a point's rank is raised to 1 + the rank of each point
 * found to dominate it. helperA(S, k) finishes the ranks within S, whose points agree on every objective
 * above k; helperB(L, H, k) raises the ranks of H from the final ranks of L, where every l in L is already
 * known to be no worse than every h in H above k and strictly better in one of those objectives.
 */
class DivideAndConquer
{
public:
    DivideAndConquer(const RankedPoints &points, SortTuning tuning)
        : m_points(points), m_tuning(tuning), m_columns(points.values.size()),
          m_rank(static_cast<std::size_t>(points.count), 0), m_tree(points.dims > 1 ? points.distinct[1] : 1)
    {
        // Column-major: the splits, medians and sweeps read one objective of many points in index order.
        const auto count = static_cast<std::size_t>(points.count);
        for (std::size_t i = 0; i < count; ++i) {
            for (std::size_t j = 0; j < static_cast<std::size_t>(points.dims); ++j)
                m_columns[j * count + i] = points.values[i * static_cast<std::size_t>(points.dims) + j];
        }
    }

    std::vector<int> run()
    {
        if (m_points.dims == 1) {
            // Unique one-objective points: the k-th best value is dominated by exactly the k before it.
            for (int i = 0; i < m_points.count; ++i)
                m_rank[static_cast<std::size_t>(i)] = m_points.value(i, 0);
            return m_rank;
        }
        Indices all(static_cast<std::size_t>(m_points.count));
        for (int i = 0; i < m_points.count; ++i)
            all[static_cast<std::size_t>(i)] = i;
        helperA(all, m_points.dims - 1, 0);
        return m_rank;
    }

private:
    /**
     * The index lists one recursion depth splits into. A call only passes its children spans of its own frame
     * and children use deeper frames, so each depth's lists are reused and the recursion does not allocate
     * once the frames have grown.
     */
    struct Frame
    {
        Indices low, mid, high;        // helperA: S split by objective k; helperB: L split
        Indices hLow, hMid, hHigh;     // helperB: H split
        Indices joinedLow, joinedHigh; // merged lists passed one objective down
    };

    Frame &frame(std::size_t depth)
    {
        while (m_frames.size() <= depth)
            m_frames.push_back(std::make_unique<Frame>());
        return *m_frames[depth];
    }

    int value(int point, int objective) const
    {
        return m_columns[static_cast<std::size_t>(objective) * static_cast<std::size_t>(m_points.count) +
                         static_cast<std::size_t>(point)];
    }
    int &rank(int point) { return m_rank[static_cast<std::size_t>(point)]; }

    /** No worse on objectives 0..k. */
    bool weaklyDominates(int a, int b, int k) const
    {
        for (int j = 0; j <= k; ++j) {
            if (value(a, j) > value(b, j))
                return false;
        }
        return true;
    }

    void split(IndexSpan s, int k, int pivot, Indices &low, Indices &mid, Indices &high) const
    {
        low.clear();
        mid.clear();
        high.clear();
        for (int i : s) {
            const int v = value(i, k);
            (v < pivot ? low : v == pivot ? mid : high).push_back(i);
        }
    }

    void helperA(IndexSpan s, int k, std::size_t depth)
    {
        if (s.size() < 2)
            return;
        if (s.size() <= m_tuning.pairwiseA) {
            pairwiseA(s, k);
            return;
        }
        if (k == 1) {
            sweepA(s);
            return;
        }
        Frame &f = frame(depth);
        split(s, k, median(s, {}, k), f.low, f.mid, f.high);
        if (f.low.empty() && f.high.empty()) {
            helperA(f.mid, k - 1, depth + 1);
            return;
        }
        // Each call needs the final ranks of everything that can dominate its points, hence this order.
        helperA(f.low, k, depth + 1);
        helperB(f.low, f.mid, k - 1, depth + 1);
        helperA(f.mid, k - 1, depth + 1);
        mergeInto(f.low, f.mid, f.joinedLow);
        helperB(f.joinedLow, f.high, k - 1, depth + 1);
        helperA(f.high, k, depth + 1);
    }

    void helperB(IndexSpan l, IndexSpan h, int k, std::size_t depth)
    {
        if (l.empty() || h.empty())
            return;
        // A point can only raise the rank of a point whose rank is not above its own.
        int lRankMax = -1;
        for (int i : l)
            lRankMax = std::max(lRankMax, rank(i));
        int hRankMin = lRankMax + 1;
        for (int i : h)
            hRankMin = std::min(hRankMin, rank(i));
        if (lRankMax < hRankMin)
            return;
        const bool single = m_tuning.pairwiseB > 0 && (l.size() == 1 || h.size() == 1);
        if (single || l.size() * h.size() <= m_tuning.pairwiseB) {
            pairwiseB(l, h, k);
            return;
        }
        if (k == 1) {
            sweepB(l, h);
            return;
        }
        const auto [lMin, lMax] = range(l, k);
        const auto [hMin, hMax] = range(h, k);
        if (lMax <= hMin) {
            helperB(l, h, k - 1, depth + 1);
            return;
        }
        if (lMin > hMax)
            return;
        // The median over both sets halves |L| + |H| in the two same-k calls (Buzdalov and Shalyto).
        const int pivot = median(l, h, k);
        Frame &f = frame(depth);
        split(l, k, pivot, f.low, f.mid, f.high);
        split(h, k, pivot, f.hLow, f.hMid, f.hHigh);
        // Pairs with l_k <= pivot <= h_k only need objectives below k; lMid x hLow and lHigh x (hLow, hMid)
        // have l_k > h_k and cannot dominate.
        helperB(f.low, f.hLow, k, depth + 1);
        mergeInto(f.low, f.mid, f.joinedLow);
        mergeInto(f.hMid, f.hHigh, f.joinedHigh);
        helperB(f.joinedLow, f.joinedHigh, k - 1, depth + 1);
        helperB(f.high, f.hHigh, k, depth + 1);
    }

    void pairwiseA(IndexSpan s, int k)
    {
        for (std::size_t b = 1; b < s.size(); ++b) {
            for (std::size_t a = 0; a < b; ++a) {
                if (m_rank[static_cast<std::size_t>(s[a])] >= rank(s[b]) && weaklyDominates(s[a], s[b], k))
                    rank(s[b]) = m_rank[static_cast<std::size_t>(s[a])] + 1;
            }
        }
    }

    void pairwiseB(IndexSpan l, IndexSpan h, int k)
    {
        for (int b : h) {
            // Only lexicographically smaller points can dominate b, and l is sorted.
            for (auto it = l.begin(); it != l.end() && *it < b; ++it) {
                if (m_rank[static_cast<std::size_t>(*it)] >= rank(b) && weaklyDominates(*it, b, k))
                    rank(b) = m_rank[static_cast<std::size_t>(*it)] + 1;
            }
        }
    }

    // Two objectives left and s sorted by (objective 0, objective 1): a point is dominated by exactly the
    // earlier points whose objective 1 is no larger.
    void sweepA(IndexSpan s)
    {
        for (int i : s) {
            const int y = value(i, 1);
            rank(i) = std::max(rank(i), m_tree.prefixMax(y) + 1);
            m_tree.raise(y, rank(i));
        }
        for (int i : s)
            m_tree.reset(value(i, 1));
    }

    void sweepB(IndexSpan l, IndexSpan h)
    {
        std::size_t next = 0;
        for (int b : h) {
            for (; next < l.size() && value(l[next], 0) <= value(b, 0); ++next)
                m_tree.raise(value(l[next], 1), m_rank[static_cast<std::size_t>(l[next])]);
            rank(b) = std::max(rank(b), m_tree.prefixMax(value(b, 1)) + 1);
        }
        for (std::size_t i = 0; i < next; ++i)
            m_tree.reset(value(l[i], 1));
    }

    std::pair<int, int> range(IndexSpan s, int k) const
    {
        int lo = value(s.front(), k);
        int hi = lo;
        for (int i : s) {
            lo = std::min(lo, value(i, k));
            hi = std::max(hi, value(i, k));
        }
        return {lo, hi};
    }

    /** Upper median of objective k over a and b together. */
    int median(IndexSpan a, IndexSpan b, int k)
    {
        m_scratch.clear();
        for (int i : a)
            m_scratch.push_back(value(i, k));
        for (int i : b)
            m_scratch.push_back(value(i, k));
        const auto middle = m_scratch.begin() + static_cast<std::ptrdiff_t>(m_scratch.size() / 2);
        std::nth_element(m_scratch.begin(), middle, m_scratch.end());
        return *middle;
    }

    const RankedPoints &m_points;
    SortTuning m_tuning;
    std::vector<int> m_columns; // objective-major copy of m_points.values
    std::vector<int> m_rank;
    PrefixMaxTree m_tree;
    std::vector<std::unique_ptr<Frame>> m_frames; // by depth; pointers so that frames never move
    std::vector<int> m_scratch;                   // only used inside median(), never across a recursive call
};

/**
 * Pareto front of unique lexicographically ordered points with three or more objectives: a point is on
 * the front iff no front point found before it dominates it (a dominated point is dominated by a front
 * point, and dominators come first). Cheap when the front is small, which is the common case; gives up and
 * returns false once `budget` comparisons are spent, so that large fronts go to the O(N log^(M-1) N) sort.
 */
bool scanFront(const RankedPoints &points, std::uint64_t budget, std::vector<int> &front)
{
    std::uint64_t spent = 0;
    for (int u = 0; u < points.count; ++u) {
        bool dominated = false;
        for (std::size_t f = 0; f < front.size() && !dominated; ++f) {
            ++spent;
            dominated = true;
            for (int j = 0; j < points.dims && dominated; ++j)
                dominated = points.value(front[f], j) <= points.value(u, j);
            if (dominated && f > 0)
                std::swap(front[f], front[f - 1]); // frequent dominators drift forward and end scans early
        }
        if (spent > budget)
            return false;
        if (!dominated)
            front.push_back(u);
    }
    return true;
}

} // namespace

std::vector<int> divideAndConquerRanks(const RankedPoints &points, SortTuning tuning)
{
    return DivideAndConquer(points, tuning).run();
}

} // namespace psc::paretodetail

namespace psc {

std::vector<std::size_t> nondominatedRanks(std::span<const double> points, std::span<const Direction> directions)
{
    paretodetail::checkPoints(points, directions, "nondominatedRanks");
    const auto ranked = paretodetail::rankPoints(points, directions);
    const auto uniqueRanks = paretodetail::divideAndConquerRanks(ranked);
    std::vector<std::size_t> result(ranked.uniqueOf.size());
    for (std::size_t i = 0; i < result.size(); ++i)
        result[i] = static_cast<std::size_t>(uniqueRanks[static_cast<std::size_t>(ranked.uniqueOf[i])]);
    return result;
}

std::vector<Front> nondominatedSort(std::span<const double> points, std::span<const Direction> directions)
{
    paretodetail::checkPoints(points, directions, "nondominatedSort");
    const auto ranked = paretodetail::rankPoints(points, directions);
    const auto uniqueRanks = paretodetail::divideAndConquerRanks(ranked);
    std::vector<Front> fronts;
    if (!uniqueRanks.empty())
        fronts.resize(static_cast<std::size_t>(*std::max_element(uniqueRanks.begin(), uniqueRanks.end())) + 1);
    for (std::size_t i = 0; i < ranked.uniqueOf.size(); ++i)
        fronts[static_cast<std::size_t>(uniqueRanks[static_cast<std::size_t>(ranked.uniqueOf[i])])].push_back(i);
    return fronts;
}

Front paretoFront(std::span<const double> points, std::span<const Direction> directions)
{
    paretodetail::checkPoints(points, directions, "paretoFront");
    const auto ranked = paretodetail::rankPoints(points, directions);
    std::vector<char> onFront(static_cast<std::size_t>(ranked.count), 0);
    if (ranked.count > 0) {
        if (ranked.dims == 1) {
            onFront[0] = 1;
        } else if (ranked.dims == 2) {
            // In lexicographic order a unique point is dominated iff an earlier one has a smaller or equal y.
            int bestY = ranked.distinct[1];
            for (int u = 0; u < ranked.count; ++u) {
                if (ranked.value(u, 1) < bestY) {
                    bestY = ranked.value(u, 1);
                    onFront[static_cast<std::size_t>(u)] = 1;
                }
            }
        } else {
            std::vector<int> front;
            // About the cost of the full sort on random data; past it the front is large and the scan's
            // O(N |front|) would lose to O(N log^(M-1) N).
            const std::uint64_t budget = 64 * static_cast<std::uint64_t>(ranked.count) + (1u << 20);
            if (paretodetail::scanFront(ranked, budget, front)) {
                for (int u : front)
                    onFront[static_cast<std::size_t>(u)] = 1;
            } else {
                const auto uniqueRanks = paretodetail::divideAndConquerRanks(ranked);
                for (std::size_t u = 0; u < uniqueRanks.size(); ++u)
                    onFront[u] = uniqueRanks[u] == 0;
            }
        }
    }
    Front result;
    for (std::size_t i = 0; i < ranked.uniqueOf.size(); ++i) {
        if (onFront[static_cast<std::size_t>(ranked.uniqueOf[i])])
            result.push_back(i);
    }
    return result;
}

} // namespace psc
