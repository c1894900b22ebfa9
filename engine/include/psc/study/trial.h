// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "psc/study/metrics.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace psc {

enum class TrialState
{
    Pending,    ///< created, not started
    Running,    ///< being trained; a trial found Running on open was in flight when the process died
    Complete,   ///< trained and measured
    Failed,     ///< exception or NaN loss; `error` says why
    Infeasible, ///< violated a constraint before training; `error` names the violated limit
    Pruned,     ///< stopped early by the study's early-stopping rule; keeps its learning curve and last accuracy
};

std::string_view toString(TrialState state);
std::optional<TrialState> trialStateFromString(std::string_view text);

/** One measured value. `target` is empty for model metrics (accuracy, params) and a target id otherwise. */
struct Metric
{
    std::string target;
    std::string name;
    double value = 0.0;
    bool operator==(const Metric &) const = default;
};

/** A trial as stored in the study database. Times are seconds since the Unix epoch. */
struct Trial
{
    std::int64_t id = 0;     ///< database id, 0 before insertion
    std::int64_t number = 0; ///< 0-based order within the study
    TrialState state = TrialState::Pending;
    std::string architectureJson; ///< the decoded network description (JSON text)
    std::string architectureHash; ///< canonical hash of the architecture
    std::string parametersJson;   ///< the search-space choices that produced it (JSON object text)
    std::string recipeJson;       ///< TrainingRecipe::canonicalJson()
    /// What proposed a search trial: "<strategy id>:<what>" ("mobo:model", "nsga2:offspring", "random:random"; the
    /// strategy's lastProposal()), or the strategy id alone; empty for derived and imported trials and for trials of
    /// studies made before schema version 6.
    std::string proposedBy;
    std::optional<std::int64_t> parentId;   ///< derived trials (compression) point at their parent
    std::optional<std::int64_t> cachedFrom; ///< results reused from this trial (same arch + recipe)
    std::string error;
    int interruptions = 0; ///< times the process died while this trial was Running (see StudyStore)
    double createdAt = 0.0;
    double startedAt = 0.0;
    double finishedAt = 0.0;
    std::vector<Metric> metrics;
    /// Float validation accuracy after each training epoch (StudyStore::putLearningCurve); empty if not recorded.
    std::vector<double> learningCurve;
};

/**
 * The value of `metric` among `metrics`, if measured: the first entry with the same name and target (a model
 * metric has an empty target). The one metric lookup of the project: the engine, the CLI and the widgets use
 * it rather than scanning metric lists themselves. Pure; any thread.
 */
std::optional<double> metricValue(const std::vector<Metric> &metrics, const MetricRef &metric);
/** metricValue(trial.metrics, metric). */
std::optional<double> metricValue(const Trial &trial, const MetricRef &metric);

} // namespace psc
