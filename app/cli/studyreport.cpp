// SPDX-License-Identifier: GPL-3.0-or-later
#include "studyreport.h"

#include "cliutil.h"

#include "psc/core/siformat.h"
#include "psc/export/trialexport.h"
#include "psc/study/lineage.h"
#include "psc/study/metrics.h"
#include "psc/study/studyfront.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>

namespace psc::cli {
namespace {

/** Columns: objectives first, then the other model metrics. */
std::vector<MetricRef> columns(const StudySpec &spec)
{
    std::vector<MetricRef> cols;
    for (const Objective &o : spec.objectives)
        cols.push_back(o.metric);
    for (const MetricInfo &m : modelMetrics()) {
        MetricRef ref{std::string(m.name), {}};
        if (std::find(cols.begin(), cols.end(), ref) == cols.end())
            cols.push_back(ref);
    }
    return cols;
}

/** "derived from trial 3 by int4" for a compressed child. */
std::string derivedFrom(const Trial &t)
{
    std::string text = "derived";
    if (const std::optional<Lineage> lineage = decodeLineage(t)) {
        if (lineage->parentNumber)
            text += " from trial " + std::to_string(*lineage->parentNumber);
        if (!lineage->variantName.empty())
            text += " by " + lineage->variantName;
    }
    return text;
}

} // namespace

std::string formatTrialLine(const Trial &trial, const StudySpec &spec)
{
    std::string line = "trial " + std::to_string(trial.number) + " " + std::string(toString(trial.state));
    if (trial.cachedFrom)
        line += " (cached from trial id " + std::to_string(*trial.cachedFrom) + ")";
    if (trial.parentId)
        line += " (" + derivedFrom(trial) + ")";
    if (const std::optional<Lineage> l = decodeLineage(trial); l && l->kind == Lineage::Kind::Imported)
        line += " (" + l->variantText() + ")";
    std::string sep = ": ";
    for (const Objective &o : spec.objectives)
        if (auto v = metricValue(trial, o.metric)) {
            line += sep + o.metric.toString() + " " + psc::formatMetric(o.metric, *v);
            sep = ", ";
        }
    if (!trial.error.empty())
        line += " - " + trial.error;
    return line + "\n";
}

std::string formatStudy(const StudySpec &spec, const std::vector<Trial> &trials, const std::string &file)
{
    const auto cols = columns(spec);
    const auto ranks = paretoRanks(trials, spec.objectives);
    std::string out = "study " + spec.name + " (" + file + "): " + std::to_string(trials.size()) + " trials\n";
    std::string header = pad("#", 4) + "  " + pad("state", 10, false) + " " + pad("front", 5);
    for (const MetricRef &c : cols)
        header += " " + pad(c.toString(), std::max<std::size_t>(11, c.toString().size()));
    out += header + "\n" + std::string(header.size(), '-') + "\n";
    auto row = [&](const Trial &t, int rank) {
        std::string line = pad(std::to_string(t.number), 4) + "  " + pad(std::string(toString(t.state)), 10, false) +
                           " " + pad(rank == 0 ? "*" : "", 5);
        for (const MetricRef &c : cols) {
            const auto v = metricValue(t, c);
            line += " " + pad(v ? psc::formatMetric(c, *v) : std::string(kNoValue),
                              std::max<std::size_t>(11, c.toString().size()));
        }
        if (!t.error.empty())
            line += "  " + t.error;
        if (const std::optional<Lineage> l = decodeLineage(t); l && l->kind == Lineage::Kind::Imported)
            line += "  " + l->variantText();
        return line + "\n";
    };
    for (std::size_t i = 0; i < trials.size(); ++i)
        out += row(trials[i], ranks[i]);

    std::string objectives;
    for (const Objective &o : spec.objectives)
        objectives += (objectives.empty() ? "" : ", ") + std::string(toString(o.direction)) + " " + o.metric.toString();
    out += "\nPareto front (" + objectives + "):\n";
    int count = 0;
    for (std::size_t i = 0; i < trials.size(); ++i)
        if (ranks[i] == 0) {
            out += "  " + formatTrialLine(trials[i], spec);
            ++count;
        }
    if (count == 0)
        out += "  (no complete trials yet)\n";
    out += "\nStrategy: " + spec.strategy.id +
           (spec.strategy.optionsJson.empty() || spec.strategy.optionsJson == "{}" ? std::string()
                                                                                   : " " + spec.strategy.optionsJson) +
           "\n";
    if (spec.earlyStopping.type != EarlyStoppingSpec::Type::None)
        out += "Early stopping: " + std::string(toString(spec.earlyStopping.type)) + ", min_epochs " +
               std::to_string(spec.earlyStopping.minEpochs) +
               (spec.earlyStopping.type == EarlyStoppingSpec::Type::Asha
                    ? ", reduction_factor " + std::to_string(spec.earlyStopping.reductionFactor)
                    : ", startup_trials " + std::to_string(spec.earlyStopping.startupTrials)) +
               "\n";
    const HypervolumeCurve curve = hypervolumeCurve(trials, spec.objectives);
    if (!curve.values.empty()) {
        std::string reference;
        for (std::size_t k = 0; k < curve.reference.size(); ++k)
            reference += (k ? ", " : "") + spec.objectives[k].metric.toString() + " " +
                         psc::formatMetric(spec.objectives[k].metric, curve.reference[k]);
        char value[64];
        std::snprintf(value, sizeof value, "%.6g", curve.values.back());
        out += "Hypervolume: " + std::string(value) + " after " + std::to_string(curve.trialNumbers.size()) +
               " trials (the fraction of the box from the best values to the reference point " + reference +
               " that the front dominates)\n";
    }
    return out;
}

std::string studyToJson(const StudySpec &spec, const std::vector<Trial> &trials, const std::string &file,
                        const std::map<std::int64_t, std::vector<ExportRecord>> &exports)
{
    const auto ranks = paretoRanks(trials, spec.objectives);
    nlohmann::json j;
    j["file"] = file;
    j["study"] = spec.name;
    j["objectives"] = nlohmann::json::array();
    for (const Objective &o : spec.objectives)
        j["objectives"].push_back({{"metric", o.metric.toString()}, {"direction", std::string(toString(o.direction))}});
    j["strategy"] = {
        {"id", spec.strategy.id},
        {"options", nlohmann::json::parse(spec.strategy.optionsJson.empty() ? "{}" : spec.strategy.optionsJson)}};
    j["early_stopping"] = nlohmann::json::parse(spec.toJson()).at("early_stopping");
    // How the front grew: the hypervolume after each trial (the search's convergence).
    const HypervolumeCurve curve = hypervolumeCurve(trials, spec.objectives);
    nlohmann::json points = nlohmann::json::array();
    for (std::size_t i = 0; i < curve.values.size(); ++i)
        points.push_back({{"trial", curve.trialNumbers[i]}, {"hypervolume", curve.values[i]}});
    j["hypervolume"] = {{"reference", curve.reference}, {"best", curve.best}, {"curve", points}};
    j["trials"] = nlohmann::json::array();
    j["pareto_front"] = nlohmann::json::array();
    for (std::size_t i = 0; i < trials.size(); ++i) {
        const Trial &t = trials[i];
        nlohmann::json metrics = nlohmann::json::object();
        for (const Metric &m : t.metrics)
            metrics[m.target.empty() ? m.name : m.name + "@" + m.target] = m.value;
        nlohmann::json jt{
            {"number", t.number},
            {"id", t.id},
            {"state", std::string(toString(t.state))},
            {"architecture_hash", t.architectureHash},
            {"parameters", nlohmann::json::parse(t.parametersJson.empty() ? "{}" : t.parametersJson)},
            {"proposed_by", t.proposedBy},
            {"metrics", metrics},
            {"pareto_rank", ranks[i] < 0 ? nlohmann::json() : nlohmann::json(ranks[i])},
            {"error", t.error},
            {"learning_curve", t.learningCurve},
            {"cached_from", t.cachedFrom ? nlohmann::json(*t.cachedFrom) : nlohmann::json()},
            {"parent_id", t.parentId ? nlohmann::json(*t.parentId) : nlohmann::json()},
            {"imported_from", isImported(t) ? nlohmann::json(decodeLineage(t)->importedFile) : nlohmann::json()},
            {"started_at", t.startedAt},
            {"finished_at", t.finishedAt}};
        if (const auto at = exports.find(t.id); at != exports.end()) {
            nlohmann::json list = nlohmann::json::array();
            for (const ExportRecord &e : at->second) {
                nlohmann::json comparison = nlohmann::json::array();
                for (const ExportComparison &c : compareExport(e, t))
                    comparison.push_back({{"quantity", c.quantity},
                                          {"estimate_metric", c.estimateMetric},
                                          {"estimated", c.estimated},
                                          {"measured", c.measured},
                                          {"measured_as", c.measuredAs},
                                          {"unit", c.unit},
                                          {"relative_error", c.relativeError()}});
                list.push_back({{"format", e.format},
                                {"path", e.path},
                                {"bytes", e.bytes},
                                {"sha256", e.sha256},
                                {"warnings", e.warnings},
                                {"figures", nlohmann::json::parse(e.figuresJson, nullptr, false)},
                                {"measured_beside_estimated", comparison},
                                {"created_at", e.createdAt}});
            }
            jt["exports"] = std::move(list);
        }
        j["trials"].push_back(jt);
        if (ranks[i] == 0)
            j["pareto_front"].push_back(t.number);
    }
    return j.dump(2);
}

} // namespace psc::cli
