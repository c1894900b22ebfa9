// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Private engine header: the state behind StudyStore, shared by its three source files
// (studystoreopen.cpp: create/open/upgrade, studystore.cpp: writes, studystoreread.cpp: reads).

#include "psc/study/studystore.h"
#include "study/sqlite.h"

#include <QLockFile>

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

namespace psc {

struct StudyStore::Impl
{
    std::filesystem::path file;
    Mode mode = Mode::ReadOnly;
    int version = 0;
    std::unique_ptr<sql::Connection> db;
    /** Held by the one ReadWrite store of a study (FILE.lock); stale if its process died. */
    std::unique_ptr<QLockFile> writerLock;

    const std::string &label() const { return db->label(); }
    /** Throws RuntimeError in ReadOnly mode, before SQLite would refuse with a vaguer message. */
    void requireWritable() const;
    /** Throws RuntimeError naming the id if there is no such trial. */
    void requireTrial(std::int64_t id);
    /** Explains why a guarded state change touched no row: no such trial, or it is in another state. */
    [[noreturn]] void throwBadState(std::int64_t id, std::string_view expected);
    /** Inserts or replaces metrics; the caller holds the write transaction. */
    void upsertMetrics(std::int64_t id, const std::vector<Metric> &metrics);
    /** finishTrial() without a transaction of its own. */
    void finishOne(const TrialOutcome &outcome);
};

/** Inserts or replaces a study_meta row; the caller holds the write transaction. */
void putStoreMeta(sql::Connection &db, std::string_view key, std::string_view value);

/** Seconds since the Unix epoch, the time base of every *_at column. */
double storeNow();

} // namespace psc
