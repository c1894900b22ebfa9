// SPDX-License-Identifier: GPL-3.0-or-later
// StudyStore: every read. Reads that take several queries run in one snapshot, so a reader never pairs a
// trial with metrics from a different moment.
#include "study/studystoreimpl.h"

#include "psc/core/error.h"

#include <nlohmann/json.hpp>

#include <unordered_map>

namespace psc {

namespace {

// Column order read by readTrial(); every trial query selects exactly these. "{proposed_by}" is the column in files of
// schema version 6 and later and '' before (loadTrials() puts in which).
#define PSC_TRIAL_COLUMNS                                                                                              \
    "id, number, state, architecture_json, architecture_hash, parameters_json, recipe_json, parent_id, "               \
    "cached_from, error, interruptions, created_at, started_at, finished_at, {proposed_by}"

Trial readTrial(const sql::Query &query, const std::string &label)
{
    Trial trial;
    trial.id = query.int64(0);
    trial.number = query.int64(1);
    const std::string state = query.text(2);
    const auto parsed = trialStateFromString(state);
    if (!parsed)
        throw InputError(label + ": the study file is damaged: trial id " + std::to_string(trial.id) +
                         " has the unknown state '" + state + "'");
    trial.state = *parsed;
    trial.architectureJson = query.text(3);
    trial.architectureHash = query.text(4);
    trial.parametersJson = query.text(5);
    trial.recipeJson = query.text(6);
    trial.parentId = query.optionalInt64(7);
    trial.cachedFrom = query.optionalInt64(8);
    trial.error = query.text(9);
    trial.interruptions = static_cast<int>(query.int64(10));
    trial.createdAt = query.isNull(11) ? 0.0 : query.real(11);
    trial.startedAt = query.isNull(12) ? 0.0 : query.real(12);
    trial.finishedAt = query.isNull(13) ? 0.0 : query.real(13);
    trial.proposedBy = query.text(14);
    return trial;
}

/** The schema version that added learning_curves (and the 'pruned' state). */
constexpr int kLearningCurvesVersion = 4;
/** The schema version that added analog_accuracy. */
constexpr int kAnalogAccuracyVersion = 5;
/** The schema version that added trials.proposed_by. */
constexpr int kProposedByVersion = 6;

/**
 * Runs `trialSql` (selecting PSC_TRIAL_COLUMNS), `metricSql` (selecting trial_id, target, name, value of the same
 * trials, ordered by trial_id, target, name) and `curveSql` (trial_id, validation_accuracy ordered by trial_id,
 * epoch) with the same parameters, in one snapshot.
 */
template <typename Bind>
std::vector<Trial> loadTrials(sql::Connection &db, int version, const char *trialSql, const char *metricSql,
                              const char *curveSql, Bind bind)
{
    sql::ReadTransaction snapshot(db);
    std::vector<Trial> trials;
    std::unordered_map<std::int64_t, std::size_t> index;
    {
        std::string sql = trialSql;
        const std::string placeholder = "{proposed_by}";
        if (const auto at = sql.find(placeholder); at != std::string::npos)
            sql.replace(at, placeholder.size(), version >= kProposedByVersion ? "proposed_by" : "''");
        sql::Query query(db, sql.c_str());
        bind(query);
        while (query.step()) {
            index.emplace(query.int64(0), trials.size());
            trials.push_back(readTrial(query, db.label()));
        }
    }
    if (trials.empty())
        return trials;
    sql::Query query(db, metricSql);
    bind(query);
    while (query.step()) {
        if (const auto it = index.find(query.int64(0)); it != index.end())
            trials[it->second].metrics.push_back({query.text(1), query.text(2), query.real(3)});
    }
    if (version < kLearningCurvesVersion)
        return trials; // a read-only open of a file from before learning curves were recorded
    sql::Query curves(db, curveSql);
    bind(curves);
    while (curves.step()) {
        if (const auto it = index.find(curves.int64(0)); it != index.end())
            trials[it->second].learningCurve.push_back(curves.real(1));
    }
    return trials;
}

std::string damagedArtifact(std::int64_t number, const std::string &kind)
{
    return "trial " + std::to_string(number) + ": stored " +
           (kind == "weights" ? std::string("weights are") : "artifact '" + kind + "' is") +
           " damaged (checksum mismatch)";
}

} // namespace

std::string StudyStore::specJson() const
{
    auto spec = meta("spec_json");
    if (!spec)
        throw InputError(d->label() + ": the study file is damaged: it has no spec (study_meta 'spec_json')");
    return std::move(*spec);
}

std::optional<std::string> StudyStore::meta(const std::string &key) const
{
    sql::Query query(*d->db, "SELECT value FROM study_meta WHERE key = ?1");
    if (!query.bind(1, key).step())
        return std::nullopt;
    return query.text(0);
}

std::vector<Trial> StudyStore::trials() const
{
    return loadTrials(*d->db, d->version, "SELECT " PSC_TRIAL_COLUMNS " FROM trials ORDER BY number",
                      "SELECT trial_id, target, name, value FROM metrics ORDER BY trial_id, target, name",
                      "SELECT trial_id, validation_accuracy FROM learning_curves ORDER BY trial_id, epoch",
                      [](sql::Query &) {});
}

std::vector<Trial> StudyStore::trials(TrialState state) const
{
    return loadTrials(*d->db, d->version, "SELECT " PSC_TRIAL_COLUMNS " FROM trials WHERE state = ?1 ORDER BY number",
                      "SELECT m.trial_id, m.target, m.name, m.value FROM metrics m JOIN trials t ON t.id = m.trial_id "
                      "WHERE t.state = ?1 ORDER BY m.trial_id, m.target, m.name",
                      "SELECT c.trial_id, c.validation_accuracy FROM learning_curves c JOIN trials t ON "
                      "t.id = c.trial_id WHERE t.state = ?1 ORDER BY c.trial_id, c.epoch",
                      [state](sql::Query &query) { query.bind(1, toString(state)); });
}

std::optional<Trial> StudyStore::trial(std::int64_t id) const
{
    auto found = loadTrials(*d->db, d->version, "SELECT " PSC_TRIAL_COLUMNS " FROM trials WHERE id = ?1",
                            "SELECT trial_id, target, name, value FROM metrics WHERE trial_id = ?1 "
                            "ORDER BY target, name",
                            "SELECT trial_id, validation_accuracy FROM learning_curves WHERE trial_id = ?1 "
                            "ORDER BY epoch",
                            [id](sql::Query &query) { query.bind(1, id); });
    if (found.empty())
        return std::nullopt;
    return std::move(found.front());
}

TrialChanges StudyStore::changesSince(std::int64_t revision) const
{
    sql::ReadTransaction snapshot(*d->db);
    TrialChanges changes;
    // The changed trials, their metrics and curves are looked up by trial id (IN a subquery served by the
    // trials_revision index): written as a join or a plain WHERE, SQLite chose to scan every trial (in number order)
    // and every metric of the study, 100-160 ms at 100,000 trials for a live refresh of a few.
    changes.trials = loadTrials(
        *d->db, d->version,
        "SELECT " PSC_TRIAL_COLUMNS
        " FROM trials WHERE id IN (SELECT id FROM trials WHERE revision > ?1) ORDER BY number",
        "SELECT trial_id, target, name, value FROM metrics WHERE trial_id IN (SELECT id FROM trials WHERE revision > "
        "?1) ORDER BY trial_id, target, name",
        "SELECT trial_id, validation_accuracy FROM learning_curves WHERE trial_id IN (SELECT id FROM trials WHERE "
        "revision > ?1) ORDER BY trial_id, epoch",
        [revision](sql::Query &query) { query.bind(1, revision); });
    changes.revision = d->db->queryInt64("SELECT COALESCE(MAX(revision), 0) FROM trials");
    return changes;
}

std::optional<Trial> StudyStore::findCompleted(const std::string &architectureHash, const std::string &recipeJson) const
{
    sql::ReadTransaction snapshot(*d->db);
    std::int64_t id = 0;
    {
        // Served by the trials_cache_key index; few rows share a hash, so the ORDER BY sorts almost nothing.
        sql::Query query(*d->db, "SELECT id FROM trials WHERE architecture_hash = ?1 AND recipe_json = ?2 "
                                 "AND state = 'complete' AND parent_id IS NULL "
                                 "ORDER BY cached_from IS NOT NULL, number LIMIT 1");
        if (!query.bind(1, architectureHash).bind(2, recipeJson).step())
            return std::nullopt;
        id = query.int64(0);
    }
    return trial(id);
}

TrialCounts StudyStore::trialCounts(TrialKind kind) const
{
    TrialCounts counts;
    const char *statement = "SELECT state, COUNT(*) FROM trials GROUP BY state";
    // Imported trials are recognised by their lineage record's first key (encodeImportLineage()).
    if (kind == TrialKind::Search)
        statement = "SELECT state, COUNT(*) FROM trials WHERE parent_id IS NULL AND parameters_json NOT LIKE "
                    "'{\"imported\":%' GROUP BY state";
    else if (kind == TrialKind::Derived)
        statement = "SELECT state, COUNT(*) FROM trials WHERE parent_id IS NOT NULL GROUP BY state";
    else if (kind == TrialKind::Imported)
        statement = "SELECT state, COUNT(*) FROM trials WHERE parent_id IS NULL AND parameters_json LIKE "
                    "'{\"imported\":%' GROUP BY state";
    sql::Query query(*d->db, statement);
    while (query.step()) {
        const auto state = trialStateFromString(query.text(0));
        if (!state)
            continue; // the CHECK constraint on trials.state makes this unreachable
        const std::int64_t n = query.int64(1);
        switch (*state) {
        case TrialState::Pending:
            counts.pending = n;
            break;
        case TrialState::Running:
            counts.running = n;
            break;
        case TrialState::Complete:
            counts.complete = n;
            break;
        case TrialState::Failed:
            counts.failed = n;
            break;
        case TrialState::Infeasible:
            counts.infeasible = n;
            break;
        case TrialState::Pruned:
            counts.pruned = n;
            break;
        }
    }
    return counts;
}

std::optional<std::vector<std::uint8_t>> StudyStore::artifact(std::int64_t trialId, const std::string &kind) const
{
    sql::Query query(*d->db, "SELECT a.data, a.crc32, t.number FROM artifacts a JOIN trials t ON t.id = a.trial_id "
                             "WHERE a.trial_id = ?1 AND a.kind = ?2");
    if (!query.bind(1, trialId).bind(2, kind).step())
        return std::nullopt;
    std::vector<std::uint8_t> bytes = query.blob(0);
    if (!query.isNull(1) && query.int64(1) != std::int64_t{artifactChecksum(bytes)})
        throw InputError(d->label() + ": " + damagedArtifact(query.int64(2), kind));
    return bytes;
}

std::vector<ArtifactInfo> StudyStore::artifacts(std::int64_t trialId) const
{
    std::vector<ArtifactInfo> result;
    sql::Query query(*d->db,
                     "SELECT kind, format, length(data), created_at FROM artifacts WHERE trial_id = ?1 ORDER BY kind");
    query.bind(1, trialId);
    while (query.step())
        result.push_back({query.text(0), query.text(1), query.int64(2), query.real(3)});
    return result;
}

std::vector<ExportRecord> StudyStore::exports(std::int64_t trialId) const
{
    std::vector<ExportRecord> result;
    if (schemaVersion() < 3)
        return result; // a read-only open of a file from before exports were recorded
    sql::Query query(*d->db, "SELECT id, trial_id, format, path, bytes, sha256, warnings, figures, created_at "
                             "FROM exports WHERE trial_id = ?1 ORDER BY id");
    query.bind(1, trialId);
    while (query.step()) {
        ExportRecord r{query.int64(0), query.int64(1), query.text(2), query.text(3), query.int64(4), query.text(5), {},
                       query.text(7),  query.real(8)};
        const nlohmann::json warnings = nlohmann::json::parse(query.text(6), nullptr, false);
        if (warnings.is_array())
            for (const nlohmann::json &w : warnings)
                if (w.is_string())
                    r.warnings.push_back(w.get<std::string>());
        result.push_back(std::move(r));
    }
    return result;
}

std::vector<AnalogRecord> StudyStore::analogAccuracy(std::int64_t trialId) const
{
    std::vector<AnalogRecord> result;
    if (schemaVersion() < kAnalogAccuracyVersion)
        return result; // a read-only open of a file from before analog accuracy was recorded
    sql::Query query(*d->db, "SELECT trial_id, target, seconds, compensation, repeats, images, seed, mean, std, draws, "
                             "created_at FROM analog_accuracy WHERE ?1 = 0 OR trial_id = ?1 "
                             "ORDER BY trial_id, target, compensation, seconds");
    query.bind(1, trialId);
    while (query.step()) {
        AnalogRecord r;
        r.trialId = query.int64(0);
        r.target = query.text(1);
        r.seconds = query.real(2);
        r.compensation = query.text(3);
        r.repeats = int(query.int64(4));
        r.images = int(query.int64(5));
        r.seed = query.int64(6);
        r.mean = query.real(7);
        r.std = query.real(8);
        const nlohmann::json draws = nlohmann::json::parse(query.text(9), nullptr, false);
        if (draws.is_array())
            for (const nlohmann::json &v : draws)
                if (v.is_number())
                    r.draws.push_back(v.get<double>());
        r.createdAt = query.real(10);
        result.push_back(std::move(r));
    }
    return result;
}

std::string StudyStore::integrityCheck() const
{
    std::string problems;
    const auto add = [&problems](const std::string &line) { problems += (problems.empty() ? "" : "\n") + line; };
    // A PostgreSQL server keeps its own pages and foreign keys consistent; only the artifacts' checksums are ours.
    if (d->db->backend() == sql::Backend::Sqlite) {
        sql::Query query(*d->db, "PRAGMA integrity_check");
        while (query.step()) {
            if (const std::string line = query.text(0); line != "ok")
                add(line);
        }
    }
    if (d->db->backend() == sql::Backend::Sqlite) {
        sql::Query query(*d->db, "PRAGMA foreign_key_check");
        while (query.step())
            add("foreign key violation: " + query.text(0) + " row " + query.text(1) + " refers to a missing row of " +
                query.text(2));
    }
    sql::Query query(*d->db, "SELECT t.number, a.kind, a.data, a.crc32 FROM artifacts a "
                             "JOIN trials t ON t.id = a.trial_id WHERE a.crc32 IS NOT NULL ORDER BY t.number, a.kind");
    while (query.step()) {
        if (query.int64(3) != std::int64_t{artifactChecksum(query.blob(2))})
            add(damagedArtifact(query.int64(0), query.text(1)));
    }
    return problems.empty() ? "ok" : problems;
}

} // namespace psc
