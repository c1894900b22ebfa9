// SPDX-License-Identifier: GPL-3.0-or-later
// StudyStore: trial states, accessors and every write. Opening lives in studystoreopen.cpp, reads in
// studystoreread.cpp.
#include "study/studystoreimpl.h"

#include "psc/core/error.h"

#include <nlohmann/json.hpp>

#include <array>
#include <chrono>
#include <cmath>
#include <stdexcept>

namespace psc {

namespace {

constexpr std::array<std::pair<TrialState, std::string_view>, 6> kStateNames{{
    {TrialState::Pending, "pending"},
    {TrialState::Running, "running"},
    {TrialState::Complete, "complete"},
    {TrialState::Failed, "failed"},
    {TrialState::Infeasible, "infeasible"},
    {TrialState::Pruned, "pruned"},
}};

bool isFinal(TrialState state)
{
    return state == TrialState::Complete || state == TrialState::Failed || state == TrialState::Infeasible ||
           state == TrialState::Pruned;
}

void validateMetrics(const std::vector<Metric> &metrics)
{
    for (const Metric &metric : metrics) {
        if (metric.name.empty())
            throw std::invalid_argument("a metric needs a name (target '" + metric.target + "')");
    }
}

/** Unset times (0) are stored as NULL so that "never started" reads plainly in SQL. */
void bindTime(sql::Query &query, int index, double seconds)
{
    if (seconds == 0.0)
        query.bindNull(index);
    else
        query.bind(index, seconds);
}

} // namespace

std::string_view toString(TrialState state)
{
    for (const auto &[value, name] : kStateNames) {
        if (value == state)
            return name;
    }
    return "unknown";
}

std::optional<TrialState> trialStateFromString(std::string_view text)
{
    for (const auto &[value, name] : kStateNames) {
        if (name == text)
            return value;
    }
    return std::nullopt;
}

double storeNow()
{
    using namespace std::chrono;
    return duration<double>(system_clock::now().time_since_epoch()).count();
}

void putStoreMeta(sql::Connection &db, std::string_view key, std::string_view value)
{
    sql::Query(db, "INSERT INTO study_meta (key, value) VALUES (?1, ?2) "
                   "ON CONFLICT (key) DO UPDATE SET value = excluded.value")
        .bind(1, key)
        .bind(2, value)
        .run();
}

void StudyStore::Impl::requireWritable() const
{
    if (mode == Mode::ReadOnly)
        throw RuntimeError(label() + ": the study is open read-only");
}

void StudyStore::Impl::requireTrial(std::int64_t id)
{
    sql::Query query(*db, "SELECT 1 FROM trials WHERE id = ?1");
    if (!query.bind(1, id).step())
        throw RuntimeError(label() + ": no trial with id " + std::to_string(id));
}

void StudyStore::Impl::throwBadState(std::int64_t id, std::string_view expected)
{
    sql::Query query(*db, "SELECT number, state FROM trials WHERE id = ?1");
    if (!query.bind(1, id).step())
        throw RuntimeError(label() + ": no trial with id " + std::to_string(id));
    throw RuntimeError(label() + ": trial #" + std::to_string(query.int64(0)) + " (id " + std::to_string(id) + ") is " +
                       query.text(1) + ", expected " + std::string(expected));
}

void StudyStore::Impl::throwIfNotHeld(std::int64_t id)
{
    sql::Query query(*db, "SELECT number, worker, state FROM trials WHERE id = ?1");
    if (!query.bind(1, id).step() ||
        (query.text(1) == worker && (query.text(2) == "pending" || query.text(2) == "running")))
        return;
    throw TrialNotHeld(label() + ": trial #" + std::to_string(query.int64(0)) + " (id " + std::to_string(id) +
                       ") is no longer held by worker " + worker +
                       " (it sent no heartbeat for too long and the trial went to " +
                       (query.isNull(1) ? std::string("the other workers") : query.text(1)) +
                       "); this worker's result for it is dropped");
}

void StudyStore::Impl::bindWorker(sql::Query &query, int workerIndex, int timeIndex)
{
    if (worker.empty()) {
        query.bindNull(workerIndex).bindNull(timeIndex);
        return;
    }
    query.bind(workerIndex, worker).bind(timeIndex, serverNow());
}

double StudyStore::Impl::serverNow()
{
    if (db->backend() == sql::Backend::Postgres) {
        sql::Query now(*db, "SELECT extract(epoch FROM clock_timestamp())::double precision");
        if (now.step())
            return now.real(0);
    }
    return storeNow();
}

void StudyStore::Impl::upsertMetrics(std::int64_t id, const std::vector<Metric> &metrics)
{
    for (const Metric &metric : metrics) {
        sql::Query(*db, "INSERT INTO metrics (trial_id, target, name, value) VALUES (?1, ?2, ?3, ?4) "
                        "ON CONFLICT (trial_id, target, name) DO UPDATE SET value = excluded.value")
            .bind(1, id)
            .bind(2, metric.target)
            .bind(3, metric.name)
            .bind(4, metric.value)
            .run();
    }
}

void StudyStore::Impl::finishOne(const TrialOutcome &outcome)
{
    if (!isFinal(outcome.state))
        throw std::invalid_argument(
            "finishing a trial needs a final state (complete, failed, infeasible or pruned), not " +
            std::string(toString(outcome.state)));
    validateMetrics(outcome.metrics);
    if (outcome.cachedFrom)
        requireTrial(*outcome.cachedFrom);
    {
        sql::Query update(*db, "UPDATE trials SET state = ?2, error = ?3, finished_at = ?4, "
                               "cached_from = COALESCE(?5, cached_from), "
                               "revision = (SELECT COALESCE(MAX(revision), 0) + 1 FROM trials) "
                               "WHERE id = ?1 AND state IN ('pending', 'running') AND (?6 = '' OR worker = ?6)");
        update.bind(1, outcome.id).bind(2, toString(outcome.state)).bind(3, outcome.error).bind(5, outcome.cachedFrom);
        bindTime(update, 4, outcome.finishedAt);
        update.bind(6, worker);
        update.run();
    }
    if (db->changes() == 0) {
        if (!worker.empty())
            throwIfNotHeld(outcome.id);
        throwBadState(outcome.id, "pending or running");
    }
    upsertMetrics(outcome.id, outcome.metrics);
}

StudyStore::StudyStore(std::unique_ptr<Impl> impl) : d(std::move(impl)) {}

StudyStore::Impl::~Impl()
{
    if (!db)
        return;
    if (mode == Mode::ReadWrite) {
        // SQLite folds the WAL into the file only when the *last* connection closes, and a read-only one
        // cannot. With a reader still open (the GUI keeps some) committed trials would stay in FILE-wal, and
        // a copy of the study file alone would lack them. TRUNCATE copies every frame and empties the WAL;
        // it waits (busy timeout) for readers in the middle of a query. Failing (disk full) loses nothing:
        // the WAL stays and the next open replays it.
        db->clearCache();
        if (auto *lite = dynamic_cast<sql::SqliteConnection *>(db.get())) {
            sqlite3_busy_timeout(lite->handle(), kStoreBusyTimeoutMs);
            sqlite3_wal_checkpoint_v2(lite->handle(), nullptr, SQLITE_CHECKPOINT_TRUNCATE, nullptr, nullptr);
        }
    }
    db.reset();         // close the connection first ...
    writerLock.reset(); // ... then let the next writer in
}

StudyStore::~StudyStore() = default;

bool StudyStore::readOnlyStorage() const
{
    return d->readOnlyStorage;
}

std::filesystem::path StudyStore::path() const
{
    return d->file;
}

StudyStore::Mode StudyStore::mode() const
{
    return d->mode;
}

int StudyStore::schemaVersion() const
{
    return d->version;
}

void StudyStore::setMeta(const std::string &key, const std::string &value)
{
    d->requireWritable();
    if (key.empty())
        throw std::invalid_argument("study meta keys cannot be empty");
    sql::WriteTransaction transaction(*d->db);
    putStoreMeta(*d->db, key, value);
    transaction.commit();
}

std::int64_t StudyStore::insertTrial(Trial &trial)
{
    d->requireWritable();
    validateMetrics(trial.metrics);
    const double createdAt = trial.createdAt == 0.0 ? storeNow() : trial.createdAt;
    sql::WriteTransaction transaction(*d->db);
    if (trial.parentId)
        d->requireTrial(*trial.parentId);
    if (trial.cachedFrom)
        d->requireTrial(*trial.cachedFrom);
    std::int64_t id = 0, number = 0;
    {
        // Number and revision come from the indexes on those columns inside the write lock, so they are dense
        // and increasing even with several writers.
        sql::Query insert(*d->db,
                          "INSERT INTO trials (number, state, architecture_json, architecture_hash, parameters_json, "
                          "recipe_json, parent_id, cached_from, error, interruptions, created_at, started_at, "
                          "finished_at, proposed_by, worker, heartbeat_at, revision) VALUES ((SELECT "
                          "COALESCE(MAX(number) + 1, 0) FROM trials), ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, "
                          "?12, ?13, ?14, ?15, (SELECT COALESCE(MAX(revision), 0) + 1 FROM trials)) RETURNING id, "
                          "number");
        insert.bind(1, toString(trial.state))
            .bind(2, trial.architectureJson)
            .bind(3, trial.architectureHash)
            .bind(4, trial.parametersJson)
            .bind(5, trial.recipeJson)
            .bind(6, trial.parentId)
            .bind(7, trial.cachedFrom)
            .bind(8, trial.error)
            .bind(9, trial.interruptions)
            .bind(10, createdAt);
        bindTime(insert, 11, trial.startedAt);
        bindTime(insert, 12, trial.finishedAt);
        insert.bind(13, trial.proposedBy);
        if (trial.state == TrialState::Pending || trial.state == TrialState::Running)
            d->bindWorker(insert, 14, 15); // a worker holds what it inserts to train
        else
            insert.bindNull(14).bindNull(15);
        if (!insert.step())
            throw RuntimeError(d->label() + ": inserting a trial returned no id");
        id = insert.int64(0);
        number = insert.int64(1);
        insert.run(); // finish the statement so that COMMIT does not see it active
    }
    d->upsertMetrics(id, trial.metrics);
    transaction.commit();
    trial.id = id;
    trial.number = number;
    trial.createdAt = createdAt;
    return id;
}

void StudyStore::markRunning(std::int64_t id, double startedAt)
{
    d->requireWritable();
    sql::WriteTransaction transaction(*d->db);
    {
        // A worker runs what it holds or what nobody holds (and then holds it); a store that is no worker, any.
        sql::Query update(*d->db,
                          d->worker.empty()
                              ? "UPDATE trials SET state = 'running', started_at = ?2, "
                                "revision = (SELECT COALESCE(MAX(revision), 0) + 1 FROM trials) "
                                "WHERE id = ?1 AND state = 'pending'"
                              : "UPDATE trials SET state = 'running', started_at = ?2, worker = ?3, "
                                "heartbeat_at = ?4, revision = (SELECT COALESCE(MAX(revision), 0) + 1 FROM "
                                "trials) WHERE id = ?1 AND state = 'pending' AND (worker IS NULL OR worker = ?3)");
        update.bind(1, id);
        bindTime(update, 2, startedAt);
        if (!d->worker.empty())
            d->bindWorker(update, 3, 4);
        update.run();
    }
    if (d->db->changes() == 0) {
        if (!d->worker.empty())
            d->throwIfNotHeld(id);
        d->throwBadState(id, "pending");
    }
    transaction.commit();
}

void StudyStore::finishTrial(std::int64_t id, TrialState state, const std::vector<Metric> &metrics,
                             const std::string &error, double finishedAt, std::optional<std::int64_t> cachedFrom)
{
    d->requireWritable();
    sql::WriteTransaction transaction(*d->db);
    d->finishOne({id, state, metrics, error, finishedAt, cachedFrom});
    transaction.commit();
}

void StudyStore::finishTrials(const std::vector<TrialOutcome> &outcomes)
{
    d->requireWritable();
    sql::WriteTransaction transaction(*d->db);
    for (const TrialOutcome &outcome : outcomes)
        d->finishOne(outcome);
    transaction.commit();
}

void StudyStore::putMetrics(std::int64_t id, const std::vector<Metric> &metrics)
{
    d->requireWritable();
    validateMetrics(metrics);
    sql::WriteTransaction transaction(*d->db);
    d->requireTrial(id);
    sql::Query(*d->db, "UPDATE trials SET revision = (SELECT COALESCE(MAX(revision), 0) + 1 FROM trials) "
                       "WHERE id = ?1")
        .bind(1, id)
        .run();
    d->upsertMetrics(id, metrics);
    transaction.commit();
}

void StudyStore::putLearningCurve(std::int64_t id, const std::vector<double> &curve)
{
    d->requireWritable();
    for (double v : curve)
        if (!std::isfinite(v))
            throw std::invalid_argument("a learning curve holds finite accuracies only");
    sql::WriteTransaction transaction(*d->db);
    d->requireTrial(id);
    sql::Query(*d->db, "DELETE FROM learning_curves WHERE trial_id = ?1").bind(1, id).run();
    for (std::size_t e = 0; e < curve.size(); ++e)
        sql::Query(*d->db, "INSERT INTO learning_curves (trial_id, epoch, validation_accuracy) VALUES (?1, ?2, ?3)")
            .bind(1, id)
            .bind(2, std::int64_t(e + 1))
            .bind(3, curve[e])
            .run();
    transaction.commit();
}

void StudyStore::putArtifact(std::int64_t trialId, const std::string &kind, const std::string &format,
                             const std::vector<std::uint8_t> &blob)
{
    d->requireWritable();
    if (kind.empty())
        throw std::invalid_argument("an artifact needs a kind");
    sql::WriteTransaction transaction(*d->db);
    d->requireTrial(trialId);
    sql::Query(*d->db, "INSERT INTO artifacts (trial_id, kind, format, data, created_at, crc32) "
                       "VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
                       "ON CONFLICT (trial_id, kind) DO UPDATE SET format = excluded.format, data = excluded.data, "
                       "created_at = excluded.created_at, crc32 = excluded.crc32")
        .bind(1, trialId)
        .bind(2, kind)
        .bind(3, format)
        .bindBlobNoCopy(4, blob)
        .bind(5, storeNow())
        .bind(6, std::int64_t{artifactChecksum(blob)})
        .run();
    transaction.commit();
}

std::int64_t StudyStore::addExport(const ExportRecord &record)
{
    d->requireWritable();
    sql::WriteTransaction transaction(*d->db);
    d->requireTrial(record.trialId);
    std::int64_t id = 0;
    {
        sql::Query insert(*d->db,
                          "INSERT INTO exports (trial_id, format, path, bytes, sha256, warnings, figures, created_at) "
                          "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) RETURNING id");
        insert.bind(1, record.trialId)
            .bind(2, record.format)
            .bind(3, record.path)
            .bind(4, record.bytes)
            .bind(5, record.sha256)
            .bind(6, nlohmann::json(record.warnings).dump())
            .bind(7, record.figuresJson)
            .bind(8, storeNow());
        if (!insert.step())
            throw RuntimeError(d->label() + ": recording an export returned no id");
        id = insert.int64(0);
    }
    transaction.commit();
    return id;
}

void StudyStore::putAnalogAccuracy(const std::vector<AnalogRecord> &records)
{
    d->requireWritable();
    for (const AnalogRecord &r : records) {
        if (!(r.seconds > 0.0) || !std::isfinite(r.seconds) || r.repeats < 1 || r.images < 1 ||
            !std::isfinite(r.mean) || !std::isfinite(r.std))
            throw std::invalid_argument("an analog accuracy needs a time > 0, repeats and images >= 1 and finite "
                                        "accuracies");
        if (r.compensation != "global" && r.compensation != "per_column" && r.compensation != "none")
            throw std::invalid_argument("unknown drift compensation \"" + r.compensation + "\"");
    }
    sql::WriteTransaction transaction(*d->db);
    const double now = storeNow();
    for (const AnalogRecord &r : records) {
        d->requireTrial(r.trialId);
        sql::Query(*d->db,
                   "INSERT INTO analog_accuracy (trial_id, target, seconds, compensation, repeats, images, seed, "
                   "mean, std, draws, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) "
                   "ON CONFLICT (trial_id, target, compensation, seconds) DO UPDATE SET "
                   "repeats = excluded.repeats, images = excluded.images, seed = excluded.seed, "
                   "mean = excluded.mean, std = excluded.std, draws = excluded.draws, "
                   "created_at = excluded.created_at")
            .bind(1, r.trialId)
            .bind(2, r.target)
            .bind(3, r.seconds)
            .bind(4, r.compensation)
            .bind(5, std::int64_t(r.repeats))
            .bind(6, std::int64_t(r.images))
            .bind(7, r.seed)
            .bind(8, r.mean)
            .bind(9, r.std)
            .bind(10, nlohmann::json(r.draws).dump())
            .bind(11, now)
            .run();
    }
    transaction.commit();
}

void StudyStore::writeBatch(const std::function<void()> &body)
{
    d->requireWritable();
    sql::WriteTransaction transaction(*d->db);
    body();
    transaction.commit();
}

int StudyStore::recoverInterrupted()
{
    d->requireWritable();
    sql::WriteTransaction transaction(*d->db);
    // SET expressions all see the row as it was, so `interruptions + 1` is the new count everywhere.
    sql::Query(*d->db, "UPDATE trials SET state = 'failed', interruptions = interruptions + 1, finished_at = ?1, "
                       "worker = NULL, heartbeat_at = NULL, "
                       "error = 'interrupted ' || (interruptions + 1) || ' times: the process ended while this trial "
                       "was running (killed, or out of memory?); not retried again', "
                       "revision = (SELECT COALESCE(MAX(revision), 0) + 1 FROM trials) "
                       "WHERE state = 'running' AND interruptions + 1 >= ?2")
        .bind(1, storeNow())
        .bind(2, kMaxInterruptions)
        .run();
    const std::int64_t failed = d->db->changes();
    // Artifacts of a run that did not finish are not results; a retried trial writes its own.
    sql::Query(*d->db, "DELETE FROM artifacts WHERE trial_id IN (SELECT id FROM trials WHERE state = 'running')").run();
    sql::Query(*d->db, "UPDATE trials SET state = 'pending', interruptions = interruptions + 1, started_at = NULL, "
                       "worker = NULL, heartbeat_at = NULL, "
                       "revision = (SELECT COALESCE(MAX(revision), 0) + 1 FROM trials) WHERE state = 'running'")
        .run();
    const std::int64_t reset = d->db->changes();
    transaction.commit();
    return static_cast<int>(failed + reset);
}

bool StudyStore::returnToPending(std::int64_t id)
{
    d->requireWritable();
    sql::WriteTransaction transaction(*d->db);
    // A worker returns only what it holds: a trial reaped from it may be running elsewhere by now.
    sql::Query(*d->db, "DELETE FROM artifacts WHERE trial_id = ?1 AND (SELECT state FROM trials WHERE id = ?1 AND "
                       "(?2 = '' OR worker = ?2)) = 'running'")
        .bind(1, id)
        .bind(2, d->worker)
        .run();
    sql::Query(*d->db, "UPDATE trials SET state = 'pending', started_at = NULL, worker = NULL, heartbeat_at = NULL, "
                       "revision = (SELECT COALESCE(MAX(revision), 0) + 1 FROM trials) "
                       "WHERE id = ?1 AND state = 'running' AND (?2 = '' OR worker = ?2)")
        .bind(1, id)
        .bind(2, d->worker)
        .run();
    const bool changed = d->db->changes() > 0;
    transaction.commit();
    return changed;
}

void StudyStore::setWorker(const std::string &worker)
{
    d->worker = worker;
}

int StudyStore::reconnects() const
{
    return d->db->reconnects();
}

double StudyStore::serverNow()
{
    return d->serverNow();
}

std::optional<Trial> StudyStore::claimPending()
{
    d->requireWritable();
    if (d->worker.empty())
        throw std::invalid_argument("claimPending() needs a worker (setWorker())");
    std::optional<std::int64_t> id;
    {
        sql::WriteTransaction transaction(*d->db);
        {
            // Search trials only: derived (compression) trials belong to the process that derives them.
            sql::Query claim(*d->db, "UPDATE trials SET worker = ?1, heartbeat_at = ?2, "
                                     "revision = (SELECT COALESCE(MAX(revision), 0) + 1 FROM trials) WHERE id = "
                                     "(SELECT id FROM trials WHERE state = 'pending' AND worker IS NULL AND "
                                     "parent_id IS NULL ORDER BY number LIMIT 1) RETURNING id");
            claim.bind(1, d->worker).bind(2, d->serverNow());
            if (claim.step())
                id = claim.int64(0);
            claim.run();
        }
        transaction.commit();
    }
    return id ? trial(*id) : std::nullopt;
}

int StudyStore::heartbeat()
{
    d->requireWritable();
    if (d->worker.empty())
        return 0;
    // One autocommit statement, without the study's write lock: it touches only this worker's rows and no revision,
    // so it need not wait behind another worker's strategy asking under that lock.
    const double now = d->serverNow();
    sql::Query(*d->db, "UPDATE trials SET heartbeat_at = ?2 WHERE worker = ?1 AND state IN ('pending', 'running')")
        .bind(1, d->worker)
        .bind(2, now)
        .run();
    return int(d->db->changes());
}

int StudyStore::reapStale(double timeoutSeconds)
{
    d->requireWritable();
    sql::WriteTransaction transaction(*d->db);
    const double before = d->serverNow() - timeoutSeconds;
    sql::Query(*d->db, "UPDATE trials SET state = 'failed', interruptions = interruptions + 1, finished_at = ?1, "
                       "worker = NULL, heartbeat_at = NULL, "
                       "error = 'interrupted ' || (interruptions + 1) || ' times: its worker stopped sending "
                       "heartbeats (killed, or its machine lost?); not retried again', "
                       "revision = (SELECT COALESCE(MAX(revision), 0) + 1 FROM trials) "
                       "WHERE state IN ('pending', 'running') AND worker IS NOT NULL AND heartbeat_at < ?3 "
                       "AND interruptions + 1 >= ?2")
        .bind(1, storeNow())
        .bind(2, kMaxInterruptions)
        .bind(3, before)
        .run();
    const std::int64_t failed = d->db->changes();
    sql::Query(*d->db, "DELETE FROM artifacts WHERE trial_id IN (SELECT id FROM trials WHERE state IN ('pending', "
                       "'running') AND worker IS NOT NULL AND heartbeat_at < ?1)")
        .bind(1, before)
        .run();
    sql::Query(*d->db, "UPDATE trials SET state = 'pending', interruptions = interruptions + 1, started_at = NULL, "
                       "worker = NULL, heartbeat_at = NULL, "
                       "revision = (SELECT COALESCE(MAX(revision), 0) + 1 FROM trials) "
                       "WHERE state IN ('pending', 'running') AND worker IS NOT NULL AND heartbeat_at < ?1")
        .bind(1, before)
        .run();
    const std::int64_t reset = d->db->changes();
    transaction.commit();
    return int(failed + reset);
}

int StudyStore::releaseHeld()
{
    d->requireWritable();
    if (d->worker.empty())
        return 0;
    sql::WriteTransaction transaction(*d->db);
    sql::Query(*d->db, "DELETE FROM artifacts WHERE trial_id IN (SELECT id FROM trials WHERE worker = ?1 AND state = "
                       "'running')")
        .bind(1, d->worker)
        .run();
    sql::Query(*d->db, "UPDATE trials SET state = 'pending', started_at = NULL, worker = NULL, heartbeat_at = NULL, "
                       "revision = (SELECT COALESCE(MAX(revision), 0) + 1 FROM trials) "
                       "WHERE worker = ?1 AND state IN ('pending', 'running')")
        .bind(1, d->worker)
        .run();
    const auto released = d->db->changes();
    transaction.commit();
    return int(released);
}

} // namespace psc
