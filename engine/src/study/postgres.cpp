// SPDX-License-Identifier: GPL-3.0-or-later
#include "study/postgres.h"

#include "psc/core/error.h"
#include "psc/study/studystore.h"

#include <libpq-fe.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <optional>
#include <thread>

namespace psc::sql {

namespace {

/** "?1" -> "$1" outside quoted text: statements are written once, in SQLite's numbered-parameter form. */
std::string dollarParameters(std::string_view sql)
{
    std::string out;
    out.reserve(sql.size());
    bool quoted = false;
    for (const char c : sql) {
        if (c == '\'')
            quoted = !quoted;
        out += !quoted && c == '?' ? '$' : c;
    }
    return out;
}

std::string trimmed(std::string text)
{
    while (!text.empty() && (text.back() == '\n' || text.back() == ' '))
        text.pop_back();
    return text;
}

int hexValue(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

void ignoreNotice(void *, const char *) {}

/** A result saying the session is gone: connection exceptions (08...) or the server shutting down (57P...). */
bool connectionFailure(const PGresult *result)
{
    const char *state = result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
    const std::string code = state ? state : "";
    return code.rfind("08", 0) == 0 || code.rfind("57P", 0) == 0;
}

} // namespace

/** A statement prepared on the server under its own name; the parameters of one execution; its result. */
class PostgresConnection::Statement final : public Cursor
{
public:
    Statement(PostgresConnection &connection, std::string_view sql)
        : m_connection(connection), m_sql(dollarParameters(sql)), m_name(connection.nextStatementName())
    {}

    /** Prepares the statement on this connection's current session (again after a reconnect). */
    void prepare()
    {
        if (m_generation == m_connection.generation())
            return;
        PGresult *result = PQprepare(m_connection.m_conn, m_name.c_str(), m_sql.c_str(), 0, nullptr);
        const bool ok = result && PQresultStatus(result) == PGRES_COMMAND_OK;
        if (!ok) {
            try {
                m_connection.fail(result, "preparing \"" + m_sql + "\"");
            } catch (...) {
                PQclear(result);
                throw;
            }
        }
        PQclear(result);
        m_generation = m_connection.generation();
    }

    ~Statement() override { PQclear(m_result); }

    void bindInt64(int index, std::int64_t value) override { set(index, std::to_string(value)); }
    void bindDouble(int index, double value) override
    {
        if (std::isinf(value)) {
            set(index, value > 0 ? "Infinity" : "-Infinity");
            return;
        }
        char text[32];
        const auto end = std::to_chars(text, text + sizeof text, value).ptr; // shortest text that reads back exactly
        set(index, std::string(text, end));
    }
    void bindText(int index, std::string_view text) override { set(index, std::string(text)); }
    void bindNull(int index) override
    {
        slot(index);
        m_values[std::size_t(index - 1)].reset();
    }
    void bindBlob(int index, std::span<const std::uint8_t> bytes) override
    {
        slot(index);
        m_values[std::size_t(index - 1)] = std::string(reinterpret_cast<const char *>(bytes.data()), bytes.size());
        m_formats[std::size_t(index - 1)] = 1; // binary: bytea as it is
    }

    bool step() override
    {
        if (!m_result) {
            // Outside a transaction nothing is lost with the connection: reconnect (with backoff) and run the
            // statement again. Inside one the server rolled it back: StoreConnectionLost, and the caller decides.
            const bool atStart = m_connection.broken() || !m_connection.inTransaction();
            if (m_connection.broken())
                m_connection.reconnect();
            PGresult *failed = execute();
            if (failed && atStart && (m_connection.broken() || connectionFailure(failed))) {
                PQclear(failed);
                m_connection.reconnect();
                failed = execute();
            }
            if (failed) {
                try {
                    m_connection.fail(failed, "running \"" + m_sql + "\"");
                } catch (...) {
                    PQclear(failed);
                    throw;
                }
            }
            const char *changed = PQcmdTuples(m_result);
            m_connection.setChanges(changed && *changed ? std::atoll(changed) : 0);
            m_row = -1;
        }
        return ++m_row < PQntuples(m_result);
    }

    void reset() noexcept override
    {
        PQclear(m_result);
        m_result = nullptr;
        m_values.clear();
        m_formats.clear();
    }
    bool isNull(int column) const override { return PQgetisnull(m_result, m_row, column) != 0; }
    std::int64_t int64(int column) const override
    {
        const char *text = PQgetvalue(m_result, m_row, column);
        if (text[0] == 't' || text[0] == 'f') // a boolean, as SQLite's 1 and 0
            return text[0] == 't' ? 1 : 0;
        return std::strtoll(text, nullptr, 10);
    }
    double real(int column) const override
    {
        if (isNull(column))
            return std::numeric_limits<double>::quiet_NaN();
        return std::strtod(PQgetvalue(m_result, m_row, column), nullptr); // also "Infinity", "NaN"
    }
    std::string text(int column) const override
    {
        return std::string(PQgetvalue(m_result, m_row, column), std::size_t(PQgetlength(m_result, m_row, column)));
    }
    std::vector<std::uint8_t> blob(int column) const override
    {
        // bytea in text results is "\x" and two hex digits per byte (bytea_output = hex, set at connect).
        const char *text = PQgetvalue(m_result, m_row, column);
        const std::size_t length = std::size_t(PQgetlength(m_result, m_row, column));
        if (length < 2 || text[0] != '\\' || text[1] != 'x')
            return {};
        std::vector<std::uint8_t> bytes((length - 2) / 2);
        for (std::size_t i = 0; i < bytes.size(); ++i)
            bytes[i] = std::uint8_t(hexValue(text[2 + 2 * i]) * 16 + hexValue(text[3 + 2 * i]));
        return bytes;
    }

private:
    /** Runs the prepared statement into m_result; returns the failed result (m_result stays null) on error. */
    PGresult *execute()
    {
        try {
            prepare();
        } catch (const StoreConnectionLost &) {
            return PQmakeEmptyPGresult(m_connection.m_conn, PGRES_FATAL_ERROR);
        }
        std::vector<const char *> values(m_values.size());
        std::vector<int> lengths(m_values.size());
        for (std::size_t i = 0; i < m_values.size(); ++i) {
            values[i] = m_values[i] ? m_values[i]->data() : nullptr;
            lengths[i] = m_values[i] ? int(m_values[i]->size()) : 0;
        }
        m_result = PQexecPrepared(m_connection.m_conn, m_name.c_str(), int(values.size()), values.data(),
                                  lengths.data(), m_formats.data(), 0);
        const ExecStatusType status = m_result ? PQresultStatus(m_result) : PGRES_FATAL_ERROR;
        if (status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK)
            return nullptr;
        PGresult *failed = m_result ? m_result : PQmakeEmptyPGresult(m_connection.m_conn, PGRES_FATAL_ERROR);
        m_result = nullptr;
        return failed;
    }

    void slot(int index)
    {
        if (index < 1)
            throw std::invalid_argument("SQL parameters count from 1");
        if (m_values.size() < std::size_t(index)) {
            m_values.resize(std::size_t(index));
            m_formats.resize(std::size_t(index), 0);
        }
    }
    void set(int index, std::string text)
    {
        slot(index);
        m_values[std::size_t(index - 1)] = std::move(text);
        m_formats[std::size_t(index - 1)] = 0;
    }

    PostgresConnection &m_connection;
    std::string m_sql;
    std::string m_name;
    std::vector<std::optional<std::string>> m_values;
    std::vector<int> m_formats;
    PGresult *m_result = nullptr;
    int m_row = -1;
    int m_generation = -1; ///< the connection's session the statement is prepared in
};

PostgresConnection::PostgresConnection(const std::vector<std::pair<std::string, std::string>> &parameters,
                                       std::string schema, std::string label)
    : Connection(std::move(label)), m_schema(std::move(schema))
{
    std::vector<const char *> keys, values;
    for (const auto &[key, value] : parameters) {
        keys.push_back(key.c_str());
        values.push_back(value.c_str());
    }
    keys.push_back(nullptr);
    values.push_back(nullptr);
    m_conn = PQconnectdbParams(keys.data(), values.data(), 0);
    if (!m_conn)
        throw RuntimeError(this->label() + ": cannot connect to the PostgreSQL server: out of memory");
    if (PQstatus(m_conn) != CONNECTION_OK) {
        std::string reason = trimmed(PQerrorMessage(m_conn));
        for (std::size_t nl;
             (nl = reason.find("\n\t")) != std::string::npos || (nl = reason.find('\n')) != std::string::npos;)
            reason.replace(nl, reason[nl + 1] == '\t' ? 2 : 1, " ");
        PQfinish(m_conn);
        m_conn = nullptr;
        // libpq's messages name the host, port, user and database, never the password.
        const bool userMustFix =
            reason.find("password") != std::string::npos || reason.find("authentication") != std::string::npos ||
            reason.find("does not exist") != std::string::npos ||
            reason.find("no pg_hba.conf entry") != std::string::npos || reason.find("invalid") != std::string::npos;
        const std::string message = this->label() + ": cannot connect to the PostgreSQL server: " + reason;
        if (userMustFix)
            throw InputError(message);
        throw RuntimeError(reason.find("Is the server running") == std::string::npos
                               ? message + " (is the server running and reachable?)"
                               : message);
    }
    setUp();
}

void PostgresConnection::setUp()
{
    PQsetNoticeProcessor(m_conn, ignoreNotice, nullptr);
    exec("SET search_path TO " + quoted(m_schema) +
             "; SET bytea_output = hex; SET client_min_messages = warning; "
             "SET extra_float_digits = 3",
         "setting up the connection");
}

bool PostgresConnection::broken() const
{
    return PQstatus(m_conn) != CONNECTION_OK;
}

void PostgresConnection::reconnect()
{
    if (!m_poisoned.empty())
        throw RuntimeError(m_poisoned);
    // The hook's own statements run on the new session; losing it again there is one more failed attempt of this
    // loop, not a nested reconnect.
    if (m_reconnecting)
        throw StoreConnectionLost(label() + ": lost the connection to the PostgreSQL server again while reconnecting");
    m_reconnecting = true;
    struct Done
    {
        bool &flag;
        ~Done() { flag = false; }
    } done{m_reconnecting};
    // Exponential backoff from 0.1 s to 5 s between attempts, for up to m_reconnectSeconds (a server restart, a
    // failover, a short network outage): workers go on where they were.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(m_reconnectSeconds);
    double delay = 0.1;
    std::string reason;
    for (;;) {
        PQreset(m_conn);
        if (PQstatus(m_conn) == CONNECTION_OK) {
            try {
                ++m_generation; // every prepared statement went with the old session
                setUp();
                if (m_onReconnect)
                    m_onReconnect(*this);
                ++m_reconnects;
                return;
            } catch (const StoreConnectionLost &e) {
                reason = e.what(); // gone again: another attempt after the delay
            } catch (const std::exception &e) {
                // The session cannot be what it was (another writer took the study meanwhile): nothing may run
                // through this connection any more.
                m_poisoned = e.what();
                PQfinish(m_conn);
                m_conn = nullptr;
                throw RuntimeError(m_poisoned);
            }
        } else {
            reason = trimmed(PQerrorMessage(m_conn));
        }
        if (std::chrono::steady_clock::now() + std::chrono::duration<double>(delay) > deadline) {
            std::replace(reason.begin(), reason.end(), '\n', ' ');
            throw StoreConnectionLost(label() +
                                      ": lost the connection to the PostgreSQL server and could not "
                                      "reconnect within " +
                                      std::to_string(int(m_reconnectSeconds)) + " s: " + reason);
        }
        std::this_thread::sleep_for(std::chrono::duration<double>(delay));
        delay = std::min(delay * 2.0, 5.0);
    }
}

PostgresConnection::~PostgresConnection()
{
    m_cache.clear();
    PQfinish(m_conn);
}

std::string PostgresConnection::quoted(std::string_view name)
{
    std::string out = "\"";
    for (const char c : name) {
        if (c == '"')
            out += '"';
        out += c;
    }
    return out + '"';
}

void PostgresConnection::fail(const pg_result *result, std::string_view doing) const
{
    const std::string what = std::string(doing);
    if (PQstatus(m_conn) != CONNECTION_OK)
        throw StoreConnectionLost(label() + ": lost the connection to the PostgreSQL server while " + what + ": " +
                                  trimmed(PQerrorMessage(m_conn)));
    const char *state = result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
    const char *primary = result ? PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY) : nullptr;
    const std::string detail = primary ? primary : trimmed(PQerrorMessage(m_conn));
    const std::string code = state ? state : "";
    // A table or column missing means the study was changed underneath (or never finished): the study's fault.
    if (code == "42P01" || code == "42703")
        throw InputError(label() + ": not a complete study: " + detail);
    if (code.rfind("08", 0) == 0 || code.rfind("57P", 0) == 0)
        throw StoreConnectionLost(label() + ": lost the connection to the PostgreSQL server while " + what + ": " +
                                  detail);
    if (code == "53100")
        throw RuntimeError(label() + ": the PostgreSQL server's disk is full while " + what + ": " + detail);
    if (code == "42501")
        throw RuntimeError(label() + ": permission denied on the PostgreSQL server while " + what + ": " + detail);
    throw RuntimeError(label() + ": database error while " + what + ": " + detail +
                       (code.empty() ? std::string() : " (SQLSTATE " + code + ")"));
}

void PostgresConnection::exec(std::string_view sql, std::string_view doing)
{
    if (!m_poisoned.empty())
        throw RuntimeError(m_poisoned);
    const std::string text(sql);
    PGresult *result = PQexec(m_conn, text.c_str());
    const ExecStatusType status = result ? PQresultStatus(result) : PGRES_FATAL_ERROR;
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
        try {
            fail(result, doing);
        } catch (...) {
            PQclear(result);
            throw;
        }
    }
    PQclear(result);
}

Cursor &PostgresConnection::cached(const char *sql)
{
    auto it = m_cache.find(sql);
    if (it == m_cache.end())
        it = m_cache.emplace(sql, std::make_unique<Statement>(*this, sql)).first;
    return *it->second;
}

bool PostgresConnection::inTransaction() const
{
    const PGTransactionStatusType status = PQtransactionStatus(m_conn);
    return status == PQTRANS_INTRANS || status == PQTRANS_INERROR || status == PQTRANS_ACTIVE;
}

void PostgresConnection::clearCache()
{
    m_cache.clear();
    if (m_conn && PQstatus(m_conn) == CONNECTION_OK && !inTransaction())
        PQclear(PQexec(m_conn, "DEALLOCATE ALL"));
}

void PostgresConnection::beginWrite()
{
    // One writer at a time per study, as SQLite's write lock: released by COMMIT or ROLLBACK. The server may close
    // the session between the two (a restart): nothing was done yet, so start again on a new connection.
    for (int attempt = 0;; ++attempt) {
        try {
            Query(*this, "BEGIN").run();
            Query(*this, "SELECT pg_advisory_xact_lock(1347633999, hashtext(?1))").bind(1, m_schema).run();
            return;
        } catch (const StoreConnectionLost &) {
            rollbackQuietly(false);
            if (attempt > 0)
                throw;
            reconnect(); // a new session, also when the old socket has not noticed yet
        }
    }
}

void PostgresConnection::beginRead()
{
    Query(*this, "BEGIN ISOLATION LEVEL REPEATABLE READ").run();
}

void PostgresConnection::rollbackQuietly(bool nested) noexcept
{
    if (!m_conn || PQstatus(m_conn) != CONNECTION_OK)
        return;
    if (nested)
        PQclear(PQexec(m_conn, "ROLLBACK TO SAVEPOINT psc_write; RELEASE SAVEPOINT psc_write"));
    else if (inTransaction())
        PQclear(PQexec(m_conn, "ROLLBACK"));
}

void PostgresConnection::endReadQuietly() noexcept
{
    if (m_conn && PQstatus(m_conn) == CONNECTION_OK && inTransaction())
        PQclear(PQexec(m_conn, "COMMIT"));
}

} // namespace psc::sql
