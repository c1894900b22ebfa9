// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Private engine header: thin RAII over the SQLite C API, with errors turned into psc exceptions whose
// messages name the file. Only the study store uses it.

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

/** An owned prepared statement. */
class Statement
{
public:
    Statement(sqlite3 *db, std::string_view sql, const std::string &label);
    ~Statement();
    Statement(const Statement &) = delete;
    Statement &operator=(const Statement &) = delete;
    sqlite3_stmt *handle() const { return m_stmt; }

private:
    sqlite3_stmt *m_stmt = nullptr;
};

class Connection;

/**
 * One execution of a prepared statement. The destructor resets the statement: a statement left mid-way
 * keeps a read snapshot open, which would hide newer commits from a reader and stop WAL checkpoints.
 * Text and blobs are bound by copy unless stated, so temporaries are safe to pass.
 */
class Query
{
public:
    Query(Connection &connection, const char *sql);
    ~Query();
    Query(const Query &) = delete;
    Query &operator=(const Query &) = delete;

    Query &bind(int index, std::int64_t value);
    Query &bind(int index, int value) { return bind(index, std::int64_t{value}); }
    Query &bind(int index, double value); ///< NaN is stored as NULL (SQLite has no NaN)
    Query &bind(int index, std::string_view text);
    Query &bind(int index, const std::optional<std::int64_t> &value);
    Query &bindNull(int index);
    /** Binds without copying: `bytes` must outlive the query. */
    Query &bindBlobNoCopy(int index, std::span<const std::uint8_t> bytes);

    bool step(); ///< true while there is a row
    void run();  ///< steps a statement that returns no row

    bool isNull(int column) const;
    std::int64_t int64(int column) const;
    double real(int column) const; ///< NULL reads as NaN
    std::string text(int column) const;
    std::optional<std::int64_t> optionalInt64(int column) const;
    std::vector<std::uint8_t> blob(int column) const;

private:
    [[noreturn]] void fail(int rc, std::string_view doing) const;

    Connection &m_connection;
    sqlite3_stmt *m_stmt;
};

/** An owned sqlite3 connection with a cache of prepared statements keyed by their SQL text. */
class Connection
{
public:
    /**
     * Opens `name` (a path, or a `file:` URI when `flags` has SQLITE_OPEN_URI) with sqlite3_open_v2 `flags`;
     * `label` (usually the study path) prefixes every error message.
     */
    Connection(const std::string &name, int flags, std::string label);
    ~Connection();
    Connection(const Connection &) = delete;
    Connection &operator=(const Connection &) = delete;

    sqlite3 *handle() const { return m_db; }
    const std::string &label() const { return m_label; }

    /** Runs one or more statements that return no rows (not cached). */
    void exec(std::string_view sql, std::string_view doing);
    /** The first column of the first row of a one-row query, e.g. a PRAGMA. */
    std::int64_t queryInt64(const char *sql);
    std::string queryText(const char *sql);
    /** The cached statement for `sql`, which must have static storage (a literal). */
    sqlite3_stmt *cached(const char *sql);
    bool inTransaction() const { return sqlite3_get_autocommit(m_db) == 0; }
    std::int64_t changes() const { return sqlite3_changes64(m_db); }
    /** Drops every cached statement (needed before closing or changing the schema). */
    void clearCache() { m_cache.clear(); }

private:
    sqlite3 *m_db = nullptr;
    std::string m_label;
    std::unordered_map<std::string_view, std::unique_ptr<Statement>> m_cache;
};

/**
 * A write transaction scope: BEGIN IMMEDIATE (take the write lock now, waiting up to busy_timeout, rather
 * than failing half-way on upgrade), or a SAVEPOINT when already inside one (StudyStore::writeBatch), so a
 * failing call never leaves part of itself behind. Rolls back unless commit() was called.
 */
class WriteTransaction
{
public:
    explicit WriteTransaction(Connection &connection);
    ~WriteTransaction();
    WriteTransaction(const WriteTransaction &) = delete;
    WriteTransaction &operator=(const WriteTransaction &) = delete;
    void commit();

private:
    Connection &m_connection;
    bool m_nested;
    bool m_done = false;
};

/** A read snapshot across several queries (e.g. trials, then their metrics); no-op inside a transaction. */
class ReadTransaction
{
public:
    explicit ReadTransaction(Connection &connection);
    ~ReadTransaction();
    ReadTransaction(const ReadTransaction &) = delete;
    ReadTransaction &operator=(const ReadTransaction &) = delete;

private:
    Connection &m_connection;
    bool m_active;
};

} // namespace psc::sql
