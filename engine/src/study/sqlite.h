// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Private engine header: the SQLite backend of the study store (sql.h), thin RAII over the SQLite C API with
// errors turned into psc exceptions whose messages name the file.

#include "study/sql.h"

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace psc::sql {

/**
 * Throws the exception that fits `rc`, in the user's terms: InputError for a damaged or incomplete study
 * (CORRUPT, NOTADB, a missing table or column), RuntimeError otherwise (busy, disk full, read-only storage,
 * I/O). A failing system call's errno (ENOSPC, EROFS, ...) decides over SQLite's generic "disk I/O error".
 * The message starts with LABEL.
 */
[[noreturn]] void throwError(sqlite3 *db, int rc, const std::string &label, std::string_view doing);

/** An owned sqlite3 connection (see sql::Connection). */
class SqliteConnection final : public Connection
{
public:
    /**
     * Opens `name` (a path, or a `file:` URI when `flags` has SQLITE_OPEN_URI) with sqlite3_open_v2 `flags`;
     * `label` (usually the study path) prefixes every error message.
     */
    SqliteConnection(const std::string &name, int flags, std::string label);
    ~SqliteConnection() override;

    sqlite3 *handle() const { return m_db; }

    Backend backend() const override { return Backend::Sqlite; }
    void exec(std::string_view sql, std::string_view doing) override;
    Cursor &cached(const char *sql) override;
    bool inTransaction() const override { return sqlite3_get_autocommit(m_db) == 0; }
    std::int64_t changes() const override { return sqlite3_changes64(m_db); }
    void clearCache() override;
    void beginWrite() override;
    void beginRead() override;
    void rollbackQuietly(bool nested) noexcept override;
    void endReadQuietly() noexcept override;

private:
    class Statement;
    sqlite3 *m_db = nullptr;
    std::unordered_map<std::string_view, std::unique_ptr<Statement>> m_cache;
};

} // namespace psc::sql
