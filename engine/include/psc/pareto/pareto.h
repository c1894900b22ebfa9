// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "psc/core/direction.h"

#include <cstddef>
#include <span>
#include <vector>

/**
 * @file
 * Pareto maths on plain numbers: domination, non-dominated sorting, crowding distance and the exact
 * hypervolume indicator.
 *
 * Point layout, shared by every function here: `points` holds N points as one flat row-major array of
 * N * M doubles (point i is `points[i*M .. i*M+M-1]`), where M = `directions.size()` is the number of
 * objectives. A flat array rather than a vector of vectors keeps 100k-point sorts cache-friendly.
 *
 * Domination (weak Pareto domination): a dominates b iff a is no worse than b in every objective and
 * strictly better in at least one. Identical points therefore never dominate each other and always share
 * a front. The sign of -0.0 is ignored; infinities are ordinary (extreme) values.
 *
 * Threading and ownership: every function is pure and re-entrant. It runs on the caller's thread, keeps
 * no state between calls, only reads the spans during the call and returns values the caller owns, so
 * several threads may call these functions at the same time (e.g. from the light job pool).
 *
 * Errors: invalid input throws std::invalid_argument whose message names the function and what was
 * wrong: no objectives, a value count that is not a multiple of the objective count, a NaN, a reference
 * of the wrong size, an index out of range.
 */
namespace psc {

/** Indices into the point array, in ascending order. */
using Front = std::vector<std::size_t>;

/**
 * True iff point `a` Pareto-dominates point `b` under `directions` (see the file comment).
 * `a` and `b` must both have `directions.size()` values; NaN values are rejected.
 */
bool dominates(std::span<const double> a, std::span<const double> b, std::span<const Direction> directions);

/**
 * The non-domination rank of every point: 0 for the Pareto front, 1 for the front of what remains after
 * removing it, and so on. Element i belongs to point i.
 *
 * Exact, in O(N log^(M-1) N) time and O(N M) memory, with the divide-and-conquer algorithm of Jensen
 * generalised to ties by Fortin, Grenier and Parizeau (GECCO 2013) and Buzdalov and Shalyto (PPSN 2014);
 * O(N log N) for two objectives. 100,000 points with four objectives take a fraction of a second.
 */
std::vector<std::size_t> nondominatedRanks(std::span<const double> points, std::span<const Direction> directions);

/**
 * All non-dominated fronts, best first: result[0] is the Pareto front, result[k] holds the points of
 * rank k (see nondominatedRanks()). Every point appears in exactly one front; each front is sorted by
 * index. Empty input gives no fronts.
 */
std::vector<Front> nondominatedSort(std::span<const double> points, std::span<const Direction> directions);

/**
 * The Pareto front alone (the indices of the points of rank 0, ascending). Faster than nondominatedSort()
 * when the front is small compared with N: O(N log N) plus a scan against the front found so far, falling
 * back on the full sort when the front turns out to be large.
 */
Front paretoFront(std::span<const double> points, std::span<const Direction> directions);

/**
 * NSGA-II crowding distance (Deb, Pratap, Agarwal, Meyarivan, IEEE TEC 6(2), 2002) of the points listed
 * in `front`; result[i] belongs to point front[i].
 *
 * For each objective the points are ordered by value; the first and last get +infinity and every other
 * one adds (next - previous) / (max - min) of its neighbours. Fronts of one or two points are all
 * boundary (+infinity). Refinements where the paper is silent: ties are ordered by their position in
 * `front`, so the result is deterministic; an objective with zero range over the front is skipped
 * (it marks no boundary and adds nothing), since "extreme" is meaningless there. The distance does not
 * depend on the directions, which only give the objective count.
 *
 * Throws std::invalid_argument if an index is out of range or a value of a listed point is not finite.
 */
std::vector<double> crowdingDistance(std::span<const double> points, std::span<const std::size_t> front,
                                     std::span<const Direction> directions);

/**
 * The exact hypervolume: the measure of the region that is dominated by at least one point and that
 * itself dominates `reference` (the union of the boxes spanned by each point and the reference).
 * Maximised objectives are negated internally, so the reference must be worse than the interesting
 * points in every objective. Points that do not strictly beat the reference in every objective
 * contribute nothing; dominated points and duplicates are harmless.
 *
 * Algorithms: 1-D trivially; 2-D by sort and sweep, O(N log N); 3-D by the sweep of Beume, Fonseca,
 * Lopez-Ibanez, Paquete and Vahrenhold (IEEE TEC 13(5), 2009) over a balanced tree, O(N log N); 4-D and
 * more by WFG (While, Bradstreet, Barone, IEEE TEC 16(1), 2012) with the 3-D sweep as its base case;
 * exponential in M in the worst case, fine for the hundreds to few thousands of points of a study.
 *
 * `reference` must have M finite values. A contributing point with an infinitely good value gives
 * +infinity. Returns 0 when nothing contributes.
 */
double hypervolume(std::span<const double> points, std::span<const double> reference,
                   std::span<const Direction> directions);

} // namespace psc
