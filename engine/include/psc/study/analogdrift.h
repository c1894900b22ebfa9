// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "psc/analog/analoginference.h"
#include "psc/study/studystore.h"

#include <optional>
#include <string>
#include <vector>

namespace psc {

/** A trial's analog accuracy at one time after programming: the mean over device draws and their spread. */
struct AnalogEstimate
{
    double mean = 0.0;
    double std = 0.0;
    bool measured = false; ///< a record at exactly this time, not an interpolation
};

/**
 * The stored form of one simulated time: `accuracy` of trial `trialId` on `target`, with the draws, seed and
 * compensation of `options` (options.compensation must be set) and the number of test images actually used.
 */
AnalogRecord analogRecord(std::int64_t trialId, const std::string &target, const AnalogAccuracy &accuracy,
                          const AnalogOptions &options, int images);

/**
 * The times after programming at which a study's analog accuracy is precomputed for the drift-time control:
 * 1 s, 1 min, 1 h, 1 day, 1 week, 1 month, 1 year, 10 years (the control's range is 1 s to 10 years).
 */
const std::vector<double> &driftTimeGrid();

/**
 * The analog accuracy of trial `trialId` on `target` with drift `compensation` at `seconds` after programming, from
 * `records` (any trials, targets, times; the others are ignored): the record at that time if there is one, else
 * linear interpolation of mean and std in log(time) between the nearest records before and after. Accuracy decays
 * roughly linearly in log time under power-law drift (docs/analog.md), so a grid a factor of 24-60 apart keeps the
 * interpolation within the draws' spread. nullopt if `seconds` is outside the recorded times (extrapolation would
 * guess) or nothing is recorded. Pure; any thread.
 */
std::optional<AnalogEstimate> interpolateAnalog(const std::vector<AnalogRecord> &records, std::int64_t trialId,
                                                const std::string &target, const std::string &compensation,
                                                double seconds);

} // namespace psc
