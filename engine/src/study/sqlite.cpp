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

Statement::Statement(sqlite3 *db, std::string_view sql, const std::string &label)
{
    // PERSISTENT: these statements live as long as the connection, which tells SQLite not to use lookaside.
    const int rc =
        sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &m_stmt, nullptr);
    if (rc != SQLITE_OK)
        throwError(db, rc, label, "preparing \"" + std::string(sql) + "\"");
}

Statement::~Statement()
{
    sqlite3_finalize(m_stmt);
}

Query::Query(Connection &connection, const char *sql) : m_connection(connection), m_stmt(connection.cached(sql)) {}

Query::~Query()
{
    sqlite3_reset(m_stmt);
    sqlite3_clear_bindings(m_stmt);
}

void Query::fail(int rc, std::string_view doing) const
{
    const char *sql = sqlite3_sql(m_stmt);
    throwError(m_connection.handle(), rc, m_connection.label(), std::string(doing) + " \"" + (sql ? sql : "") + "\"");
}

Query &Query::bind(int index, std::int64_t value)
{
    if (const int rc = sqlite3_bind_int64(m_stmt, index, value); rc != SQLITE_OK)
        fail(rc, "binding");
    return *this;
}

Query &Query::bind(int index, double value)
{
    const int rc = std::isnan(value) ? sqlite3_bind_null(m_stmt, index) : sqlite3_bind_double(m_stmt, index, value);
    if (rc != SQLITE_OK)
        fail(rc, "binding");
    return *this;
}

Query &Query::bind(int index, std::string_view text)
{
    const int rc = sqlite3_bind_text64(m_stmt, index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
    if (rc != SQLITE_OK)
        fail(rc, "binding");
    return *this;
}

Query &Query::bind(int index, const std::optional<std::int64_t> &value)
{
    return value ? bind(index, *value) : bindNull(index);
}

Query &Query::bindNull(int index)
{
    if (const int rc = sqlite3_bind_null(m_stmt, index); rc != SQLITE_OK)
        fail(rc, "binding");
    return *this;
}

Query &Query::bindBlobNoCopy(int index, std::span<const std::uint8_t> bytes)
{
    // A null pointer would bind SQL NULL; an empty artifact is an empty blob.
    const int rc = bytes.empty() ? sqlite3_bind_zeroblob(m_stmt, index, 0)
                                 : sqlite3_bind_blob64(m_stmt, index, bytes.data(), bytes.size(), SQLITE_STATIC);
    if (rc != SQLITE_OK)
        fail(rc, "binding");
    return *this;
}

bool Query::step()
{
    const int rc = sqlite3_step(m_stmt);
    if (rc == SQLITE_ROW)
        return true;
    if (rc == SQLITE_DONE)
        return false;
    fail(rc, "running");
}

void Query::run()
{
    while (step()) {
    }
}

bool Query::isNull(int column) const
{
    return sqlite3_column_type(m_stmt, column) == SQLITE_NULL;
}

std::int64_t Query::int64(int column) const
{
    return sqlite3_column_int64(m_stmt, column);
}

double Query::real(int column) const
{
    return isNull(column) ? std::numeric_limits<double>::quiet_NaN() : sqlite3_column_double(m_stmt, column);
}

std::string Query::text(int column) const
{
    const auto *data = sqlite3_column_text(m_stmt, column);
    const int size = sqlite3_column_bytes(m_stmt, column);
    return data ? std::string(reinterpret_cast<const char *>(data), static_cast<std::size_t>(size)) : std::string();
}

std::optional<std::int64_t> Query::optionalInt64(int column) const
{
    if (isNull(column))
        return std::nullopt;
    return int64(column);
}

std::vector<std::uint8_t> Query::blob(int column) const
{
    const auto *data = static_cast<const std::uint8_t *>(sqlite3_column_blob(m_stmt, column));
    const int size = sqlite3_column_bytes(m_stmt, column);
    return data ? std::vector<std::uint8_t>(data, data + size) : std::vector<std::uint8_t>();
}

Connection::Connection(const std::string &name, int flags, std::string label) : m_label(std::move(label))
{
    const int rc = sqlite3_open_v2(name.c_str(), &m_db, flags, nullptr);
    if (rc != SQLITE_OK) {
        // Even a failed open allocates a handle (for the message); take the message before closing it.
        try {
            throwError(m_db, rc, m_label, "opening");
        } catch (...) {
            sqlite3_close_v2(m_db);
            throw;
        }
    }
    sqlite3_extended_result_codes(m_db, 1);
}

Connection::~Connection()
{
    m_cache.clear();
    sqlite3_close_v2(m_db);
}

void Connection::exec(std::string_view sql, std::string_view doing)
{
    const std::string text(sql);
    char *message = nullptr;
    const int rc = sqlite3_exec(m_db, text.c_str(), nullptr, nullptr, &message);
    sqlite3_free(message); // sqlite3_errmsg() below still holds the same text
    if (rc != SQLITE_OK)
        throwError(m_db, rc, m_label, doing);
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

sqlite3_stmt *Connection::cached(const char *sql)
{
    auto it = m_cache.find(sql);
    if (it == m_cache.end())
        it = m_cache.emplace(sql, std::make_unique<Statement>(m_db, sql, m_label)).first;
    return it->second->handle();
}

WriteTransaction::WriteTransaction(Connection &connection)
    : m_connection(connection), m_nested(connection.inTransaction())
{
    Query(m_connection, m_nested ? "SAVEPOINT psc_write" : "BEGIN IMMEDIATE").run();
}

WriteTransaction::~WriteTransaction()
{
    if (m_done)
        return;
    // Rolling back cannot usefully fail here; if it does, SQLite has already rolled back on its own.
    if (m_nested) {
        sqlite3_exec(m_connection.handle(), "ROLLBACK TO psc_write; RELEASE psc_write", nullptr, nullptr, nullptr);
    } else if (m_connection.inTransaction()) {
        sqlite3_exec(m_connection.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
    }
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
        Query(m_connection, "BEGIN").run();
}

ReadTransaction::~ReadTransaction()
{
    if (m_active && m_connection.inTransaction())
        sqlite3_exec(m_connection.handle(), "COMMIT", nullptr, nullptr, nullptr);
}

} // namespace psc::sql

namespace psc {

std::string sqliteLibraryVersion()
{
    return sqlite3_libversion();
}

} // namespace psc
