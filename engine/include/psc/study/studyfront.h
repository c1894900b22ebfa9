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

} // namespace psc
