// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "psc/study/studyspec.h"
#include "psc/study/trial.h"

#include <optional>
#include <vector>

namespace psc {

/**
 * Ranks the Complete trials that have every objective measured: result[i] is the non-domination rank of
 * trials[i] (0 = on the Pareto front), or -1 if the trial takes no part (not Complete, metric missing).
 * Pure function; any thread.
 */
std::vector<int> paretoRanks(const std::vector<Trial> &trials, const std::vector<Objective> &objectives);

/**
 * What paretoRanks() ranks, gathered from the trials: a copy of a few numbers per trial, so the ranking itself (the
 * expensive part: a non-dominated sort) can run on another thread while the trials change (the GUI's live view).
 */
struct ObjectivePoints
{
    std::vector<double> values;        ///< row-major, one row of objective values per member
    std::vector<std::size_t> members;  ///< the trial index of each row
    std::vector<Direction> directions; ///< one per objective
    std::size_t trials = 0;            ///< how many trials were looked at (the size of the ranks)
};

/** Gathers the objective values of the ranked trials (Complete, every objective measured). Cheap; any thread. */
ObjectivePoints objectivePoints(const std::vector<Trial> &trials, const std::vector<Objective> &objectives);
/** paretoRanks() of the gathered points: result[i] for trial index i. Pure; any thread. */
std::vector<int> rankObjectivePoints(const ObjectivePoints &points);

/** How the study's front grew: the hypervolume of the ranked trials among the first n trials, for every n. */
struct HypervolumeCurve
{
    /// The reference point: per objective, the worst value any ranked trial reached, 10 % of the objective's range
    /// further (1 when the range is 0), so that every trial of the study contributes.
    std::vector<double> reference;
    std::vector<double> best;               ///< per objective, the best value any ranked trial reached
    std::vector<std::int64_t> trialNumbers; ///< the trial number after which each value holds (ascending)
    /// Normalised hypervolume of the ranked trials numbered <= trialNumbers[i]: the fraction of the box between the
    /// best values and the reference that they dominate, in [0, 1].
    std::vector<double> values;
};

/**
 * The hypervolume after each trial, in trial-number order (the search's convergence). Each objective is scaled so
 * that its best value is 0 and the reference 1, which makes studies with objectives in different units comparable
 * and the value a fraction. With `maxPoints` > 0 the curve holds at most that many points, evenly spaced over the
 * trials, the last always included (each point costs a hypervolume of the front so far; the GUI's live view of a
 * large study samples). Empty without ranked trials. Pure; any thread.
 */
HypervolumeCurve hypervolumeCurve(const std::vector<Trial> &trials, const std::vector<Objective> &objectives,
                                  std::size_t maxPoints = 0);

} // namespace psc
