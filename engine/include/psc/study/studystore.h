// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "psc/core/error.h"
#include "psc/study/studyschema.h"
#include "psc/study/trial.h"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace psc {

struct StudyLocation;

/** How many trials are in each state; `finished()` is what counts toward a study's trial budget. */
struct TrialCounts
{
    std::int64_t pending = 0, running = 0, complete = 0, failed = 0, infeasible = 0, pruned = 0;
    std::int64_t finished() const { return complete + failed + infeasible + pruned; }
    std::int64_t total() const { return pending + running + finished(); }
};

/** The arguments of StudyStore::finishTrial(), for finishing many trials in one transaction. */
struct TrialOutcome
{
    std::int64_t id = 0;
    TrialState state = TrialState::Complete;
    std::vector<Metric> metrics;
    std::string error;
    double finishedAt = 0.0;
    std::optional<std::int64_t> cachedFrom;
};

/** An artifact without its bytes, for listing what a trial has. */
struct ArtifactInfo
{
    std::string kind;   ///< e.g. "weights"
    std::string format; ///< e.g. "psc-weights-v1", "tflite"
    std::int64_t size = 0;
    double createdAt = 0.0;
};

/** A file a trial was exported to (`paretoscope export`, docs/database.md table `exports`). */
struct ExportRecord
{
    std::int64_t id = 0; ///< set by addExport()
    std::int64_t trialId = 0;
    std::string format; ///< "tflite", "onnx" or "c"
    std::string path;   ///< absolute path of the main file when it was written
    std::int64_t bytes = 0;
    std::string sha256;                ///< of the main file, 64 lowercase hex digits
    std::vector<std::string> warnings; ///< gains the file does not realise, and what the format changed
    std::string figuresJson = "{}";    ///< a JSON object of figures measured on the files, e.g. {"arena_bytes": 2048}
    double createdAt = 0.0;            ///< set by addExport()
};

/**
 * A trial's accuracy on a simulated analog target at one time after programming (`paretoscope evaluate`,
 * docs/database.md table `analog_accuracy`).
 */
struct AnalogRecord
{
    std::int64_t trialId = 0;
    std::string target;
    double seconds = 0.0;                ///< time since programming, > 0
    std::string compensation = "global"; ///< "global", "per_column" or "none"
    int repeats = 1;                     ///< device draws
    int images = 1;                      ///< test images per draw
    std::int64_t seed = 0;
    double mean = 0.0; ///< top-1 accuracy in [0, 1]
    double std = 0.0;  ///< over draws
    std::vector<double> draws;
    double createdAt = 0.0; ///< set by putAnalogAccuracy()
};

/** Trials written after a revision, and the revision to ask from next time (see StudyStore::changesSince). */
struct TrialChanges
{
    std::vector<Trial> trials; ///< ordered by number
    std::int64_t revision = 0; ///< the study's latest revision in the same snapshot
};

/**
 * The connection to a study's server went away inside a transaction (the server restarted, the network failed):
 * the server rolled the transaction back, so nothing of it is stored. The next call reconnects (with backoff).
 */
class StoreConnectionLost : public RuntimeError
{
public:
    using RuntimeError::RuntimeError;
};

/**
 * A worker's trial went to another worker (this one sent no heartbeat for longer than the study's timeout) before it
 * could finish or return it; the store changed nothing. The worker drops its result and goes on.
 */
class TrialNotHeld : public RuntimeError
{
public:
    using RuntimeError::RuntimeError;
};

/**
 * The study database: one SQLite file per study (docs/database.md describes the schema and the choices).
 *
 * Every write call is its own transaction and has committed when it returns, so a trial's state change is
 * durable before anything depends on it; a killed process loses at most the calls in flight. Durability is
 * WAL with synchronous=NORMAL: committed work survives the process being killed, while a power cut or OS
 * crash may roll back the last few commits (the file stays consistent either way).
 *
 * Ownership: create() and open() return the only handle on a connection; destroying it closes the file. A
 * writer's destructor first checkpoints the WAL into the file (never throws), so a study nobody has open is
 * complete in its one file even if readers were still open when the writer closed. Nothing returned refers
 * into the store.
 *
 * Threads: a StudyStore is used by one thread at a time (it may be handed over between threads, e.g. opened
 * on the main thread and then given to the writer thread). Other threads and processes that want to read
 * open their own StudyStore in ReadOnly mode: readers never block the writer and see every committed write.
 *
 * Errors: InputError when the file is not a usable study (wrong kind of file, newer schema, damaged, a table
 * missing, a stored artifact failing its checksum) or cannot be written where it is (read-only storage);
 * RuntimeError when an operation fails (locked for too long, another writer, disk full, illegal transition);
 * std::invalid_argument for calls that are wrong whatever the file holds (finishing with a non-final state,
 * an empty metric name, artifact kind or meta key).
 */
class StudyStore
{
public:
    enum class Mode
    {
        ReadWrite, ///< upgrades an old schema on open; at most one writing StudyStore per study at a time
        ReadOnly,  ///< never writes the study file; refuses files whose schema needs an upgrade
        /**
         * A worker's: writes like ReadWrite, alongside any number of other Shared stores of the study (never with a
         * ReadWrite one). Trials are held by workers (setWorker(), claimPending()), and a worker that dies is found
         * by its heartbeats (reapStale()), not by recoverInterrupted(). Server studies only: a study file has one
         * writer (InputError).
         */
        Shared,
    };

    /** Running trials interrupted this many times become Failed in recoverInterrupted() instead of Pending. */
    static constexpr int kMaxInterruptions = 3;

    /**
     * Creates a new study file holding `specJson` (must be a JSON object) and opens it read-write. The file
     * is built under a temporary name and moved into place, so a crash never leaves a half-made study.
     * Throws InputError if `file` already exists (never overwrites) or its directory does not exist.
     */
    static std::unique_ptr<StudyStore> create(const std::filesystem::path &file, const std::string &specJson);

    /**
     * Opens an existing study. Before anything is written the file is checked (SQLite header, application_id,
     * schema version); a file that is refused is left byte-for-byte unchanged. ReadWrite upgrades an older
     * schema in one transaction.
     */
    static std::unique_ptr<StudyStore> open(const std::filesystem::path &file, Mode mode);

    /** open() with an explicit upgrade path instead of studySchemaMigrations(); for tests of upgrades. */
    static std::unique_ptr<StudyStore> open(const std::filesystem::path &file, Mode mode,
                                            std::span<const SchemaMigration> migrations);

    /**
     * Copies the whole study at `source` into a new study at `destination` (a file or a server URL each, either
     * direction): every trial with its id, number, metrics, learning curve, artifacts (weights), exports and analog
     * accuracies, and every study_meta value, read in one snapshot of the source (which may be running) and written
     * in one transaction. `destination` must not exist; if the copy fails it is removed again. The source must be
     * at this build's schema version. Returns the number of trials copied. InputError / RuntimeError as open().
     */
    static std::int64_t copy(const std::filesystem::path &source, const std::filesystem::path &destination);

    ~StudyStore();
    StudyStore(const StudyStore &) = delete;
    StudyStore &operator=(const StudyStore &) = delete;

    std::filesystem::path path() const;
    Mode mode() const;
    /** The file's schema version: studySchemaVersion() once opened read-write (upgraded); a reader sees it as it is. */
    int schemaVersion() const;
    /**
     * True if this ReadOnly store was opened from storage it cannot write (a read-only mount, a folder the
     * user cannot write, a disk too full for SQLite's 32 KiB -shm file): the file is read as it is, without
     * the -shm file SQLite normally creates. The CLI and GUI should say so ("opened read-only: the folder is
     * not writable"). Always false for ReadWrite, which refuses such storage ("cannot write the study: ... is
     * on read-only storage" as InputError, "disk full: only N KiB free" as RuntimeError).
     */
    bool readOnlyStorage() const;

    /** The study spec given to create(). */
    std::string specJson() const;
    /** A `study_meta` value (docs/database.md lists the keys in use), or nullopt if the key is unset. */
    std::optional<std::string> meta(const std::string &key) const;
    void setMeta(const std::string &key, const std::string &value);

    // --- writing (ReadWrite only; each call commits before it returns) ---

    /**
     * Inserts `trial` with its metrics and writes back its new `id` and `number`. Numbers are assigned by the
     * store (0, 1, 2, ... in insertion order); the incoming `number` and `id` are ignored. A zero `createdAt`
     * is set to now. Any state may be inserted, e.g. Complete with `cachedFrom` for a cache hit.
     */
    std::int64_t insertTrial(Trial &trial);
    /** Pending -> Running. Throws RuntimeError if the trial does not exist or is not Pending. */
    void markRunning(std::int64_t id, double startedAt);
    /**
     * Pending or Running -> `state` (Complete, Failed, Infeasible or Pruned), together with `metrics` in one
     * transaction: a reader never sees a finished trial without its metrics. Metrics already stored under
     * the same (target, name) are replaced, others kept. Throws std::invalid_argument for a non-final state.
     */
    void finishTrial(std::int64_t id, TrialState state, const std::vector<Metric> &metrics, const std::string &error,
                     double finishedAt, std::optional<std::int64_t> cachedFrom = {});
    /** finishTrial() for each outcome, all in one transaction (all or none). */
    void finishTrials(const std::vector<TrialOutcome> &outcomes);
    /** Adds or replaces metrics of a trial in any state (e.g. the costs on a target added later). */
    void putMetrics(std::int64_t id, const std::vector<Metric> &metrics);
    /**
     * Replaces trial `id`'s learning curve (validation accuracy after epochs 1, 2, ...; finite values). Call it in
     * the writeBatch() that finishes the trial, so that the curve and the state commit together.
     */
    void putLearningCurve(std::int64_t id, const std::vector<double> &curve);
    /** Stores (or replaces) the artifact `kind` of a trial with its CRC-32; `blob` is copied. */
    void putArtifact(std::int64_t trialId, const std::string &kind, const std::string &format,
                     const std::vector<std::uint8_t> &blob);
    /** Records an export of a trial; returns the record's id. Throws InputError for an unknown trial. */
    std::int64_t addExport(const ExportRecord &record);
    /**
     * Adds or replaces (same trial, target, compensation and time) analog accuracies, all in one transaction.
     * Throws RuntimeError for an unknown trial, std::invalid_argument for a time <= 0, repeats or images < 1, an
     * unknown compensation or a non-finite accuracy.
     */
    void putAnalogAccuracy(const std::vector<AnalogRecord> &records);

    /**
     * Runs `body` (which calls this store's write methods) as one transaction: all of its writes commit
     * together when it returns, none if it throws (the exception propagates). For bulk imports: per-call
     * commits cost far more than the rows. Nested batches are allowed.
     */
    void writeBatch(const std::function<void()> &body);

    /**
     * For resuming a study whose process died: every Running trial goes back to Pending (its started_at
     * cleared, its artifacts deleted, its metrics kept, `interruptions` incremented) so it is trained again;
     * one interrupted kMaxInterruptions times becomes Failed instead, so a candidate that kills the process
     * (e.g. out of memory) cannot stall the study. Call before starting any worker; returns how many changed.
     */
    int recoverInterrupted();
    /**
     * For a clean stop (Ctrl-C, SIGTERM, the GUI's Cancel): the Running trial `id` goes back to Pending without
     * counting an interruption (its started_at cleared, its artifacts deleted, its metrics kept), so stopping a
     * run never fails a trial. A trial in any other state is left alone; returns whether it changed.
     */
    bool returnToPending(std::int64_t id);

    // --- workers sharing a study (Mode::Shared) ---

    /**
     * Names this store's worker ("host:pid:n"). From then on every trial it inserts Pending or Running is held by the
     * worker (trials.worker, with a heartbeat), and markRunning() takes only trials nobody else holds.
     */
    void setWorker(const std::string &worker);
    /**
     * Takes the oldest Pending search trial that no worker holds (left by a worker that died or stopped, or by an
     * interrupted run) for this store's worker, atomically: two workers never get the same trial. nullopt if none.
     */
    std::optional<Trial> claimPending();
    /** Marks this worker's Pending and Running trials alive now (the server's clock); returns how many. */
    int heartbeat();
    /**
     * Returns the trials held by workers whose last heartbeat is older than `timeoutSeconds` (a worker killed or its
     * machine lost) to the others: Pending again with no holder, `interruptions` incremented, their artifacts deleted;
     * Failed instead after kMaxInterruptions, as recoverInterrupted(). Returns how many changed.
     */
    int reapStale(double timeoutSeconds);
    /**
     * Gives this worker's Pending and Running trials back to the others (no interruption counted; artifacts of the
     * running ones deleted), e.g. after a lost connection left their trainings unfinished. Returns how many.
     */
    int releaseHeld();
    /** How many times the store reconnected to its server after losing the connection (0 for a file). */
    int reconnects() const;
    /** The server's time (seconds since the Unix epoch; this machine's for a file): one clock for every worker. */
    double serverNow();

    // --- reading (both modes) ---

    /** Every trial with its metrics (ordered by target, name), ordered by number. */
    std::vector<Trial> trials() const;
    /** The trials in `state`, ordered by number. */
    std::vector<Trial> trials(TrialState state) const;
    std::optional<Trial> trial(std::int64_t id) const;
    /**
     * Trials inserted or changed after `revision` (0 for all), for incremental refresh: pass the returned
     * revision next time. Every trial write bumps a study-wide revision counter; artifacts do not.
     */
    TrialChanges changesSince(std::int64_t revision) const;
    /**
     * The cache lookup: a Complete trial with this architecture hash and recipe, preferring the original
     * over trials that were themselves cache hits, then the lowest number. Derived trials (`parentId` set)
     * are never returned: they were fine-tuned from another model, not trained from scratch.
     */
    std::optional<Trial> findCompleted(const std::string &architectureHash, const std::string &recipeJson) const;
    /** Which trials trialCounts() counts. */
    enum class TrialKind
    {
        All,
        Search,   ///< trials without a parent that were not imported: the ones a study's budget counts
        Derived,  ///< trials derived from another (`parent_id` set), e.g. compressed models
        Imported, ///< models made elsewhere, added to compare (lineage record {"imported": ...})
    };
    TrialCounts trialCounts(TrialKind kind = TrialKind::All) const;

    /**
     * The bytes of an artifact, or nullopt if the trial has none of that kind. Throws InputError naming the
     * trial ("trial 12: stored weights are damaged (checksum mismatch)") if they no longer match the checksum
     * stored with them; artifacts stored before schema version 2 have none and are returned as they are.
     */
    std::optional<std::vector<std::uint8_t>> artifact(std::int64_t trialId, const std::string &kind) const;
    std::vector<ArtifactInfo> artifacts(std::int64_t trialId) const;
    /** The exports of a trial, oldest first (none for a read-only store of schema version 2). */
    std::vector<ExportRecord> exports(std::int64_t trialId) const;
    /**
     * The analog accuracies of a trial (every trial if `trialId` is 0), ordered by trial, target, compensation and
     * time (none for a read-only store of a schema before version 5).
     */
    std::vector<AnalogRecord> analogAccuracy(std::int64_t trialId = 0) const;

    /**
     * "ok", or what `PRAGMA integrity_check`, `PRAGMA foreign_key_check` and the artifact checksums found, one
     * problem per line. Reads every artifact.
     */
    std::string integrityCheck() const;

private:
    struct Impl;
    friend std::unique_ptr<Impl> openOnServer(const StudyLocation &location, Mode mode);
    explicit StudyStore(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> d;
};

} // namespace psc
