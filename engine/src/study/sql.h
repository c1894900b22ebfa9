// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Private engine header: the study store's view of a database, the same for both backends (SQLite files,
// sqlite.h; PostgreSQL servers, postgres.h). Statements are written once, in the SQL both understand, with
// numbered parameters ?1, ?2, ...; each backend prepares and caches them and turns its errors into psc
// exceptions whose messages start with the connection's label (the study's file or URL, never a password).

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace psc::sql {

/** One prepared statement of a backend, executed by Query. Not used directly. */
class Cursor
{
public:
    virtual ~Cursor() = default;
    virtual void bindInt64(int index, std::int64_t value) = 0;
    virtual void bindDouble(int index, double value) = 0;
    virtual void bindText(int index, std::string_view text) = 0;
    virtual void bindNull(int index) = 0;
    /** `bytes` must outlive the execution. */
    virtual void bindBlob(int index, std::span<const std::uint8_t> bytes) = 0;
    virtual bool step() = 0;
    /** Ends the execution and forgets the bindings (Query's destructor); never throws. */
    virtual void reset() noexcept = 0;
    virtual bool isNull(int column) const = 0;
    virtual std::int64_t int64(int column) const = 0;
    virtual double real(int column) const = 0;
    virtual std::string text(int column) const = 0;
    virtual std::vector<std::uint8_t> blob(int column) const = 0;
};

/** Which server a connection talks to, for the few statements that differ (PRAGMA, schema management). */
enum class Backend
{
    Sqlite,
    Postgres,
};

/** A connection with a cache of prepared statements keyed by their SQL text. */
class Connection
{
public:
    explicit Connection(std::string label) : m_label(std::move(label)) {}
    virtual ~Connection() = default;
    Connection(const Connection &) = delete;
    Connection &operator=(const Connection &) = delete;

    const std::string &label() const { return m_label; }
    virtual Backend backend() const = 0;

    /** Runs one or more statements that return no rows (not cached). */
    virtual void exec(std::string_view sql, std::string_view doing) = 0;
    /** The cached statement for `sql`, which must have static storage (a literal). */
    virtual Cursor &cached(const char *sql) = 0;
    virtual bool inTransaction() const = 0;
    /** Rows changed by the last INSERT, UPDATE or DELETE. */
    virtual std::int64_t changes() const = 0;
    /** Drops every cached statement (needed before closing or changing the schema). */
    virtual void clearCache() = 0;

    /**
     * Starts a write transaction that holds the study's write lock from its first statement, so two writers never
     * interleave and numbers taken from MAX(...) stay dense: SQLite's BEGIN IMMEDIATE, PostgreSQL's BEGIN and a
     * transaction-level advisory lock of the study.
     */
    virtual void beginWrite() = 0;
    /** Starts a read snapshot across several queries. */
    virtual void beginRead() = 0;
    /** Rolls back the open transaction (or to the savepoint `psc_write` if `nested`); never throws. */
    virtual void rollbackQuietly(bool nested) noexcept = 0;
    /** How many times the connection was made again after the server went away (a server's; 0 for a file). */
    virtual int reconnects() const { return 0; }
    /** Ends a read snapshot; never throws. */
    virtual void endReadQuietly() noexcept = 0;

    /** The first column of the first row of a one-row query, e.g. a PRAGMA. */
    std::int64_t queryInt64(const char *sql);
    std::string queryText(const char *sql);

private:
    std::string m_label;
};

/**
 * One execution of a prepared statement. The destructor resets the statement: a statement left mid-way
 * keeps a read snapshot open, which would hide newer commits from a reader and stop WAL checkpoints.
 * Text is bound by copy, so temporaries are safe to pass.
 */
class Query
{
public:
    Query(Connection &connection, const char *sql) : m_cursor(connection.cached(sql)) {}
    ~Query() { m_cursor.reset(); }
    Query(const Query &) = delete;
    Query &operator=(const Query &) = delete;

    Query &bind(int index, std::int64_t value)
    {
        m_cursor.bindInt64(index, value);
        return *this;
    }
    Query &bind(int index, int value) { return bind(index, std::int64_t{value}); }
    Query &bind(int index, double value); ///< NaN is stored as NULL (SQLite has no NaN)
    Query &bind(int index, std::string_view text)
    {
        m_cursor.bindText(index, text);
        return *this;
    }
    Query &bind(int index, const std::optional<std::int64_t> &value)
    {
        return value ? bind(index, *value) : bindNull(index);
    }
    Query &bindNull(int index)
    {
        m_cursor.bindNull(index);
        return *this;
    }
    /** Binds without copying: `bytes` must outlive the query. */
    Query &bindBlobNoCopy(int index, std::span<const std::uint8_t> bytes)
    {
        m_cursor.bindBlob(index, bytes);
        return *this;
    }

    bool step() { return m_cursor.step(); } ///< true while there is a row
    void run()                              ///< steps a statement that returns no row
    {
        while (step()) {
        }
    }

    bool isNull(int column) const { return m_cursor.isNull(column); }
    std::int64_t int64(int column) const { return m_cursor.int64(column); }
    double real(int column) const { return m_cursor.real(column); } ///< NULL reads as NaN
    std::string text(int column) const { return m_cursor.text(column); }
    std::optional<std::int64_t> optionalInt64(int column) const
    {
        return isNull(column) ? std::nullopt : std::optional<std::int64_t>(int64(column));
    }
    std::vector<std::uint8_t> blob(int column) const { return m_cursor.blob(column); }

private:
    Cursor &m_cursor;
};

/**
 * A write transaction scope (Connection::beginWrite), or a SAVEPOINT when already inside one
 * (StudyStore::writeBatch), so a failing call never leaves part of itself behind. Rolls back unless commit() was
 * called.
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
