// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Private engine header: the state behind StudyStore, shared by its source files (studystoreopen.cpp:
// create/open/upgrade, studystorecheck.cpp: checks before a file is accepted, studystorelock.cpp: the writer
// lock, studystore.cpp: writes, studystoreread.cpp: reads).

#include "psc/study/studylocation.h"
#include "psc/study/studystore.h"
#include "study/sqlite.h"

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>

namespace psc {

/** How long a connection waits for another's lock before reporting the study as busy. */
inline constexpr int kStoreBusyTimeoutMs = 5000;

/**
 * The one-writer-per-study lock: an OS lock (flock) on FILE.lock, held while the writing store lives. The
 * lock, not the file's existence or content, decides: a lock file left by a killed process, an empty one (disk
 * full) or a garbage one (copied) is free to take, because the kernel released its lock with the process. The
 * file names its holder (pid, application, host) for the message a refused writer gets. Removed on release.
 */
class WriterLock
{
public:
    /**
     * Takes the lock or throws: RuntimeError naming the holder when a live process holds it, or saying how to
     * recover when locking itself fails (a file system without locks); InputError when FILE.lock cannot be
     * created because the folder is not writable.
     */
    WriterLock(const std::filesystem::path &lockFile, const std::string &label);
    ~WriterLock();
    WriterLock(const WriterLock &) = delete;
    WriterLock &operator=(const WriterLock &) = delete;

private:
    std::filesystem::path m_path;
    int m_fd = -1;
};

/**
 * Why `file` (a study) cannot be written here, or empty if it can: "is on read-only storage", "is in a folder
 * you cannot write (...)", "is a file you cannot write (...)" or "has a side file you cannot write (...)".
 */
std::string unwritableReason(const std::filesystem::path &file);

/** Bytes free for an unprivileged user on the file system holding `dir`, or -1 if unknown. */
std::int64_t freeBytes(const std::filesystem::path &dir);

/**
 * Refuses (InputError "not a complete study: table metrics is missing") a file whose tables and columns are
 * not those that `migrations[0, version)` create; extra tables or columns are allowed. Reads only.
 */
void checkStudySchema(sql::Connection &db, std::span<const SchemaMigration> migrations, std::int64_t version);

/** CRC-32 (zlib) of an artifact's bytes, as stored in artifacts.crc32 since schema version 2. */
std::uint32_t artifactChecksum(std::span<const std::uint8_t> bytes);

struct StudyStore::Impl
{
    Impl() = default;
    /** A writer checkpoints the WAL into the file before closing; never throws. */
    ~Impl();
    Impl(const Impl &) = delete;
    Impl &operator=(const Impl &) = delete;

    std::filesystem::path file;
    Mode mode = Mode::ReadOnly;
    std::string worker; ///< setWorker(); "" for a store that is no worker
    int version = 0;
    bool readOnlyStorage = false;
    /** Held by the one ReadWrite store of a study (FILE.lock); released after `db` is closed. */
    std::unique_ptr<WriterLock> writerLock;
    std::unique_ptr<sql::Connection> db; ///< an sql::SqliteConnection for a file

    const std::string &label() const { return db->label(); }
    /** Throws RuntimeError in ReadOnly mode, before SQLite would refuse with a vaguer message. */
    void requireWritable() const;
    /** Throws RuntimeError naming the id if there is no such trial. */
    void requireTrial(std::int64_t id);
    /** Explains why a guarded state change touched no row: no such trial, or it is in another state. */
    [[noreturn]] void throwBadState(std::int64_t id, std::string_view expected);
    /** Inserts or replaces metrics; the caller holds the write transaction. */
    void upsertMetrics(std::int64_t id, const std::vector<Metric> &metrics);
    /** Binds this store's worker and the server's time now, or NULLs when it is no worker. */
    /** Throws TrialNotHeld when trial `id` is held by another worker or by none (reaped from this one). */
    void throwIfNotHeld(std::int64_t id);
    void bindWorker(sql::Query &query, int workerIndex, int timeIndex);
    double serverNow();
    /** finishTrial() without a transaction of its own. */
    void finishOne(const TrialOutcome &outcome);
};

/** Refuses versions this build cannot use; `mode` ReadOnly also refuses those older than it can read as they are. */
void checkVersion(const std::string &label, std::int64_t found, int supported, StudyStore::Mode mode);

/** "LABEL: already exists; ..." for create(). */
std::string alreadyExists(const std::string &label);

/** Validates a spec (a JSON object) and returns its "name", if it has one. Throws InputError naming `label`. */
std::string specName(const std::string &label, const std::string &specJson);

/** Creates a study on a PostgreSQL server (studystorepostgres.cpp); open it afterwards. */
void createOnServer(const StudyLocation &location, const std::string &specJson);

/** Drops a study from its server (its schema and every row); never throws. */
void dropOnServer(const StudyLocation &location) noexcept;

/** Opens a study on a PostgreSQL server (studystorepostgres.cpp). */
std::unique_ptr<StudyStore::Impl> openOnServer(const StudyLocation &location, StudyStore::Mode mode);

/** Inserts or replaces a study_meta row; the caller holds the write transaction. */
void putStoreMeta(sql::Connection &db, std::string_view key, std::string_view value);

/** Seconds since the Unix epoch, the time base of every *_at column. */
double storeNow();

} // namespace psc
