// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace psc {

/**
 * `PRAGMA application_id` of every study file: the ASCII bytes "PSCO" (ParetoSCOpe), 0x5053434F. It sits at
 * byte offset 68 of the file, big-endian, so `file(1)` and our own open() can tell a study from any other
 * SQLite database without running SQL. Never change it: files in the wild carry it.
 */
inline constexpr std::int32_t kStudyApplicationId = 0x5053434F;

/**
 * One step of the study schema upgrade. Step `fromVersion` turns a file at schema version `fromVersion`
 * (`PRAGMA user_version`) into version `fromVersion + 1`. Steps are plain SQL because every upgrade so far
 * can be expressed that way and SQL is easy to review next to docs/database.md.
 *
 * All pending steps of one open() run in a single transaction with foreign keys off (so steps may rebuild
 * tables); `PRAGMA foreign_key_check` must pass before it commits. A failing step leaves the file untouched.
 */
struct SchemaMigration
{
    int fromVersion = 0;
    std::string_view description; ///< one line for error messages and the docs, e.g. "initial schema"
    std::string_view sql;         ///< one or more statements; must not BEGIN/COMMIT or set user_version
};

/**
 * The upgrade steps of this build: element i has fromVersion i. Step 0 creates the whole schema, so every
 * new study goes through the same path as an upgrade. Thread-safe (static data).
 */
std::span<const SchemaMigration> studySchemaMigrations();

/** The schema version this build reads and writes: the number of built-in steps. Thread-safe. */
int studySchemaVersion();
/**
 * The oldest schema version a read-only open accepts without an upgrade (later steps only added tables that such
 * a store then reports as empty, e.g. no exports). Older files must be opened read-write once. Thread-safe.
 */
int oldestReadOnlySchemaVersion();

/** The version of the SQLite library this program runs with (sqlite3_libversion()), e.g. "3.40.1". Thread-safe. */
std::string sqliteLibraryVersion();

} // namespace psc
