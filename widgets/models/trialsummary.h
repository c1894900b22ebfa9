// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "psc/study/studyspec.h"
#include "psc/study/trial.h"

#include <QString>

#include <vector>

namespace psc {

/** "complete", "complete (cached)", "running", ... */
QString trialStateText(const Trial &trial);

/**
 * A one-line sketch of a trial's network, e.g. "conv5×5/2·16 → dw3×3 → conv1×1·24 → gap → dense·10
 * (11 layers)"; empty if the trial has no parsable architecture.
 */
QString architectureSummary(const Trial &trial);

/** The search-space choices of a trial as "key = value" pairs joined by ", "; nested objects as "a.b = v". */
QString parameterSummary(const Trial &trial);

/**
 * The variant a compressed trial was made with, Lineage::variantText() of decodeLineage(): "int4 (weight_bits =
 * 4)"; empty for other trials.
 */
QString compressionVariantSummary(const Trial &trial);

/**
 * Rich text on a trial's compression lineage: which trial it was compressed from (looked up in `trials` by
 * id) with its variant, and how many trials of `trials` were compressed from it. Empty if neither applies.
 */
QString lineageToolTip(const Trial &trial, const std::vector<Trial> &trials);

/**
 * Everything about a trial as rich text, for the inspector's Summary tab: number, state, front, the reason it
 * failed, is infeasible or was stopped (first, where a user looks), every metric formatted with its unit (the study's
 * own first, marked ↑/↓ when objectives), the architecture, the search choices and its lineage among `trials`.
 */
QString trialDetailsHtml(const Trial &trial, const StudySpec &spec, bool onStudyFront,
                         const std::vector<Trial> &trials);

/**
 * Rich-text tooltip for a trial, a few lines long: number, state, whether it is on the study's Pareto front, the
 * reason it failed or is infeasible, the study's objectives and the metrics its constraints limit, formatted,
 * a one-line architecture, and how many more metrics the inspector shows.
 */
QString trialToolTip(const Trial &trial, const StudySpec &spec, bool onStudyFront);

} // namespace psc
