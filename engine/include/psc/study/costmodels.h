// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace psc {

class StudyStore;
class TargetLibrary;
struct StudySpec;

/**
 * Which cost model estimated a study's costs on one target, from which trial on (study_meta "cost_models",
 * docs/database.md). A model's numbers change with its version, so costs stored by an older build keep the label of
 * the model that made them.
 */
struct CostModelRecord
{
    std::string target;
    std::string model;
    std::string version;
    std::int64_t fromTrial = 0; ///< the first trial number costed by this model version
    bool operator==(const CostModelRecord &) const = default;
};

/** The targets a spec's objectives and constraints name, in first-mention order. */
std::vector<std::string> specTargets(const StudySpec &spec);

/** The records of `store`; empty if none were written (studies made before records were kept) or unreadable. */
std::vector<CostModelRecord> readCostModels(const StudyStore &store);

/**
 * Records the models that will cost the trials numbered `fromTrial` and on for `targets` wherever they differ from
 * the last record for that target. Targets `library` does not know are skipped.
 */
void recordCostModels(StudyStore &store, const std::vector<std::string> &targets, const TargetLibrary &library,
                      std::int64_t fromTrial);

/**
 * One line per target for people: "ethos-u55-128: npu 2.0 from trial 0", older versions with their trial ranges,
 * and a note when this build's model differs ("this build has npu 2.1: costs of earlier trials are not comparable").
 * Studies with costs but no records say so. `library` may be null (nothing compared).
 */
std::vector<std::string> describeCostModels(const std::vector<CostModelRecord> &records,
                                            const std::vector<std::string> &targets, const TargetLibrary *library);

} // namespace psc
