// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "psc/study/studyspec.h"
#include "psc/study/studystore.h"
#include "psc/study/trial.h"

#include <map>
#include <string>
#include <vector>

namespace psc::cli {

/** One line for a finished trial, e.g. "trial 7 complete: accuracy 88.1%, weight_bytes 21.4 KiB". */
std::string formatTrialLine(const Trial &trial, const StudySpec &spec);

/** Trials table (state, objectives and model metrics) followed by the Pareto front of the objectives. */
std::string formatStudy(const StudySpec &spec, const std::vector<Trial> &trials, const std::string &file);

/**
 * The same content as JSON: spec name, objectives, every trial with its metrics, and the front; a trial with entries
 * in `exports` (by trial id) lists them with their figures and what was measured beside what was estimated.
 */
std::string studyToJson(const StudySpec &spec, const std::vector<Trial> &trials, const std::string &file,
                        const std::map<std::int64_t, std::vector<ExportRecord>> &exports = {});

} // namespace psc::cli
