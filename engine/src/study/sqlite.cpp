// SPDX-License-Identifier: GPL-3.0-or-later
#include "study/sqlite.h"

#include "psc/core/error.h"
#include "psc/study/studyschema.h"

#include <cerrno>
#include <cmath>
#include <cstring>
#include <limits>

namespace psc::sql {

namespace {

/** Sentences for the errno of a failed system call that SQLite reports only as a generic I/O error. */
const char *systemReason(int error)
{
    switch (error) {
    case ENOSPC:
    case EDQUOT:
        return "disk full";
    case EROFS:
        return "cannot write the study: it is on read-only storage";
    case EACCES:
    case EPERM:
        return "permission denied";
    default:
        return nullptr;
    }
}

bool startsWith(const std::string &text, std::string_view prefix)
{
    return text.compare(0, prefix.size(), prefix) == 0;
}

} // namespace

void throwError(sqlite3 *db, int rc, const std::string &label, std::string_view doing)
{
    // sqlite3_errmsg() describes the last failing call on this connection, which is the one we report.
    const std::string detail = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    const std::string what = std::string(doing) + ": " + detail;
    const int primary = rc & 0xff;
    // "disk I/O error" hides the cause; the errno of the failing write (e.g. extending the -shm file on a
    // full disk) is what the user can act on.
    if (primary == SQLITE_IOERR || primary == SQLITE_CANTOPEN || primary == SQLITE_FULL) {
        const int error = db ? sqlite3_system_errno(db) : 0;
        if (const char *reason = systemReason(error))
            throw RuntimeError(label + ": " + reason + " (" + std::strerror(error) + ") while " + what);
    }
    switch (primary) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        throw RuntimeError(label +
                           ": the study stayed locked by another process (is another Paretoscope writing "
                           "to it?) while " +
                           what);
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
        // The statement text means nothing to the user; the way to check the file does.
        throw InputError(label + ": the study file is damaged (" + detail + "); `sqlite3 -readonly " + label +
                         " \"PRAGMA integrity_check\"` lists what is wrong");
    case SQLITE_FULL:
        throw RuntimeError(label + ": disk full while " + what);
    case SQLITE_READONLY:
        throw RuntimeError(label + ": cannot write the study (read-only file, folder or storage) while " + what);
    case SQLITE_CANTOPEN:
        throw RuntimeError(label + ": cannot open the study file or its -wal/-shm side files while " + what);
    case SQLITE_ERROR:
        // Statements are written against a schema checked at open; a table or column missing now means the
        // file was changed underneath (or damaged), which is the file's fault, not a runtime failure.
        for (const std::string_view kind : {"table", "column"}) {
            const std::string prefix = "no such " + std::string(kind) + ": ";
            if (startsWith(detail, prefix))
                throw InputError(label + ": not a complete study: " + std::string(kind) + " " +
                                 detail.substr(prefix.size()) + " is missing");
        }
        [[fallthrough]];
    default:
        throw RuntimeError(label + ": database error while " + what);
    }
}

Query &Query::bind(int index, double value)
{
    if (std::isnan(value))
        m_cursor.bindNull(index);
    else
        m_cursor.bindDouble(index, value);
    return *this;
}

std::int64_t Connection::queryInt64(const char *sql)
{
    Query query(*this, sql);
    return query.step() ? query.int64(0) : 0;
}

std::string Connection::queryText(const char *sql)
{
    Query query(*this, sql);
    return query.step() ? query.text(0) : std::string();
}

WriteTransaction::WriteTransaction(Connection &connection)
    : m_connection(connection), m_nested(connection.inTransaction())
{
    if (m_nested)
        Query(m_connection, "SAVEPOINT psc_write").run();
    else
        m_connection.beginWrite();
}

WriteTransaction::~WriteTransaction()
{
    if (!m_done)
        m_connection.rollbackQuietly(m_nested);
}

void WriteTransaction::commit()
{
    Query(m_connection, m_nested ? "RELEASE psc_write" : "COMMIT").run();
    m_done = true;
}

ReadTransaction::ReadTransaction(Connection &connection)
    : m_connection(connection), m_active(!connection.inTransaction())
{
    if (m_active)
        m_connection.beginRead();
}

ReadTransaction::~ReadTransaction()
{
    if (m_active)
        m_connection.endReadQuietly();
}

/** A prepared statement that lives as long as its connection. */
class SqliteConnection::Statement final : public Cursor
{
public:
    Statement(SqliteConnection &connection, std::string_view sql) : m_connection(connection)
    {
        // PERSISTENT: these statements live as long as the connection, which tells SQLite not to use lookaside.
        const int rc = sqlite3_prepare_v3(connection.m_db, sql.data(), static_cast<int>(sql.size()),
                                          SQLITE_PREPARE_PERSISTENT, &m_stmt, nullptr);
        if (rc != SQLITE_OK)
            throwError(connection.m_db, rc, connection.label(), "preparing \"" + std::string(sql) + "\"");
    }
    ~Statement() override { sqlite3_finalize(m_stmt); }

    void bindInt64(int index, std::int64_t value) override { check(sqlite3_bind_int64(m_stmt, index, value)); }
    void bindDouble(int index, double value) override { check(sqlite3_bind_double(m_stmt, index, value)); }
    void bindText(int index, std::string_view text) override
    {
        check(sqlite3_bind_text64(m_stmt, index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8));
    }
    void bindNull(int index) override { check(sqlite3_bind_null(m_stmt, index)); }
    void bindBlob(int index, std::span<const std::uint8_t> bytes) override
    {
        // A null pointer would bind SQL NULL; an empty artifact is an empty blob.
        check(bytes.empty() ? sqlite3_bind_zeroblob(m_stmt, index, 0)
                            : sqlite3_bind_blob64(m_stmt, index, bytes.data(), bytes.size(), SQLITE_STATIC));
    }
    bool step() override
    {
        const int rc = sqlite3_step(m_stmt);
        if (rc == SQLITE_ROW)
            return true;
        if (rc == SQLITE_DONE)
            return false;
        fail(rc, "running");
    }
    void reset() noexcept override
    {
        sqlite3_reset(m_stmt);
        sqlite3_clear_bindings(m_stmt);
    }
    bool isNull(int column) const override { return sqlite3_column_type(m_stmt, column) == SQLITE_NULL; }
    std::int64_t int64(int column) const override { return sqlite3_column_int64(m_stmt, column); }
    double real(int column) const override
    {
        return isNull(column) ? std::numeric_limits<double>::quiet_NaN() : sqlite3_column_double(m_stmt, column);
    }
    std::string text(int column) const override
    {
        const auto *data = sqlite3_column_text(m_stmt, column);
        const int size = sqlite3_column_bytes(m_stmt, column);
        return data ? std::string(reinterpret_cast<const char *>(data), static_cast<std::size_t>(size)) : std::string();
    }
    std::vector<std::uint8_t> blob(int column) const override
    {
        const auto *data = static_cast<const std::uint8_t *>(sqlite3_column_blob(m_stmt, column));
        const int size = sqlite3_column_bytes(m_stmt, column);
        return data ? std::vector<std::uint8_t>(data, data + size) : std::vector<std::uint8_t>();
    }

private:
    void check(int rc) const
    {
        if (rc != SQLITE_OK)
            fail(rc, "binding");
    }
    [[noreturn]] void fail(int rc, std::string_view doing) const
    {
        const char *sql = sqlite3_sql(m_stmt);
        throwError(m_connection.m_db, rc, m_connection.label(), std::string(doing) + " \"" + (sql ? sql : "") + "\"");
    }

    SqliteConnection &m_connection;
    sqlite3_stmt *m_stmt = nullptr;
};

SqliteConnection::SqliteConnection(const std::string &name, int flags, std::string label) : Connection(std::move(label))
{
    const int rc = sqlite3_open_v2(name.c_str(), &m_db, flags, nullptr);
    if (rc != SQLITE_OK) {
        // Even a failed open allocates a handle (for the message); take the message before closing it.
        try {
            throwError(m_db, rc, this->label(), "opening");
        } catch (...) {
            sqlite3_close_v2(m_db);
            throw;
        }
    }
    sqlite3_extended_result_codes(m_db, 1);
}

SqliteConnection::~SqliteConnection()
{
    m_cache.clear();
    sqlite3_close_v2(m_db);
}

void SqliteConnection::exec(std::string_view sql, std::string_view doing)
{
    const std::string text(sql);
    char *message = nullptr;
    const int rc = sqlite3_exec(m_db, text.c_str(), nullptr, nullptr, &message);
    sqlite3_free(message); // sqlite3_errmsg() below still holds the same text
    if (rc != SQLITE_OK)
        throwError(m_db, rc, label(), doing);
}

Cursor &SqliteConnection::cached(const char *sql)
{
    auto it = m_cache.find(sql);
    if (it == m_cache.end())
        it = m_cache.emplace(sql, std::make_unique<Statement>(*this, sql)).first;
    return *it->second;
}

void SqliteConnection::clearCache()
{
    m_cache.clear();
}

void SqliteConnection::beginWrite()
{
    // IMMEDIATE: take the write lock now, waiting up to busy_timeout, rather than failing half-way on upgrade.
    Query(*this, "BEGIN IMMEDIATE").run();
}

void SqliteConnection::beginRead()
{
    Query(*this, "BEGIN").run();
}

void SqliteConnection::rollbackQuietly(bool nested) noexcept
{
    // Rolling back cannot usefully fail here; if it does, SQLite has already rolled back on its own.
    if (nested)
        sqlite3_exec(m_db, "ROLLBACK TO psc_write; RELEASE psc_write", nullptr, nullptr, nullptr);
    else if (inTransaction())
        sqlite3_exec(m_db, "ROLLBACK", nullptr, nullptr, nullptr);
}

void SqliteConnection::endReadQuietly() noexcept
{
    if (inTransaction())
        sqlite3_exec(m_db, "COMMIT", nullptr, nullptr, nullptr);
}

} // namespace psc::sql

namespace psc {

std::string sqliteLibraryVersion()
{
    return sqlite3_libversion();
}

} // namespace psc
