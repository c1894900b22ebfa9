// SPDX-License-Identifier: GPL-3.0-or-later
#include "psc/study/costmodels.h"

#include "psc/study/studyspec.h"
#include "psc/study/studystore.h"
#include "psc/targets/targetlibrary.h"

#include <nlohmann/json.hpp>

#include <algorithm>

namespace psc {

namespace {

constexpr const char *kCostModelsKey = "cost_models";

/**
 * The model versions that first recorded themselves (model npu 2.0, systolic 1.2.0 and mcu 1.1.0 changed their numbers
 * in the same release): costs in a study without records were made by an earlier version of the model.
 */
std::string firstRecordedVersion(const std::string &model)
{
    if (model == "npu")
        return "2.0";
    if (model == "systolic")
        return "1.2.0";
    if (model == "mcu")
        return "1.1.0";
    return {};
}

const CostModelRecord *latest(const std::vector<CostModelRecord> &records, const std::string &target)
{
    const CostModelRecord *found = nullptr;
    for (const CostModelRecord &r : records)
        if (r.target == target && (!found || r.fromTrial >= found->fromTrial))
            found = &r;
    return found;
}

} // namespace

std::vector<std::string> specTargets(const StudySpec &spec)
{
    std::vector<std::string> targets;
    auto add = [&targets](const MetricRef &m) {
        if (!m.target.empty() && std::find(targets.begin(), targets.end(), m.target) == targets.end())
            targets.push_back(m.target);
    };
    for (const Objective &o : spec.objectives)
        add(o.metric);
    for (const Constraint &c : spec.constraints)
        add(c.metric);
    return targets;
}

std::vector<CostModelRecord> readCostModels(const StudyStore &store)
{
    std::vector<CostModelRecord> records;
    const std::optional<std::string> text = store.meta(kCostModelsKey);
    if (!text)
        return records;
    const nlohmann::json j = nlohmann::json::parse(*text, nullptr, false);
    if (!j.is_array())
        return records;
    for (const nlohmann::json &r : j) {
        if (!r.is_object() || !r.value("target", nlohmann::json()).is_string())
            continue;
        CostModelRecord c;
        c.target = r.value("target", "");
        c.model = r.value("model", "");
        c.version = r.value("version", "");
        c.fromTrial = r.value("from_trial", std::int64_t(0));
        records.push_back(std::move(c));
    }
    return records;
}

void recordCostModels(StudyStore &store, const std::vector<std::string> &targets, const TargetLibrary &library,
                      std::int64_t fromTrial)
{
    std::vector<CostModelRecord> records = readCostModels(store);
    const std::int64_t next = fromTrial;
    bool changed = false;
    for (const std::string &id : targets) {
        const TargetDefinition *def = library.find(id);
        if (!def)
            continue;
        const CostModelRecord *last = latest(records, id);
        if (last && last->model == def->model && last->version == def->modelVersion)
            continue;
        records.push_back({id, def->model, def->modelVersion, next});
        changed = true;
    }
    if (!changed)
        return;
    nlohmann::json j = nlohmann::json::array();
    for (const CostModelRecord &r : records)
        j.push_back({{"target", r.target}, {"model", r.model}, {"version", r.version}, {"from_trial", r.fromTrial}});
    store.setMeta(kCostModelsKey, j.dump());
}

std::vector<std::string> describeCostModels(const std::vector<CostModelRecord> &records,
                                            const std::vector<std::string> &targets, const TargetLibrary *library)
{
    std::vector<std::string> lines;
    for (const std::string &id : targets) {
        std::vector<CostModelRecord> mine;
        for (const CostModelRecord &r : records)
            if (r.target == id)
                mine.push_back(r);
        std::sort(mine.begin(), mine.end(),
                  [](const CostModelRecord &a, const CostModelRecord &b) { return a.fromTrial < b.fromTrial; });
        std::string line = id + ": ";
        const TargetDefinition *def = library ? library->find(id) : nullptr;
        if (mine.empty()) {
            const std::string first = def ? firstRecordedVersion(def->model) : std::string();
            line += first.empty()
                        ? "model version not recorded (costed by a build that did not record it)"
                        : def->model + " before " + first + " (costed by a build that did not record the version)";
        } else {
            for (std::size_t i = 0; i < mine.size(); ++i) {
                line += (i ? "; " : "") + mine[i].model + " " + mine[i].version + " from trial " +
                        std::to_string(mine[i].fromTrial);
            }
        }
        if (def) {
            const bool same = !mine.empty() && mine.back().model == def->model &&
                              mine.back().version == def->modelVersion && mine.size() == 1;
            if (!same)
                line += "; this build has " + def->model + " " + def->modelVersion +
                        ", whose estimates may differ from the stored costs";
        }
        lines.push_back(std::move(line));
    }
    return lines;
}

} // namespace psc
