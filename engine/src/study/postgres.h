// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Private engine header: the PostgreSQL backend of the study store (sql.h), over libpq. Every statement is
// prepared once per connection (the server plans it once) and executed with text parameters, blobs in binary.

#include "study/sql.h"

#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

struct pg_conn;
struct pg_result;

namespace psc::sql {

/** An owned libpq connection whose search_path is one study's schema (see sql::Connection). */
class PostgresConnection final : public Connection
{
public:
    /**
     * Connects with libpq `parameters` (keyword, value; never a password: libpq takes it from PGPASSWORD,
     * ~/.pgpass or a service file) and sets the search path to `schema` (which need not exist yet). Throws
     * InputError for what the user must fix (authentication, an unknown database or role), RuntimeError for a
     * server that cannot be reached; the message starts with `label` and quotes libpq's reason.
     */
    PostgresConnection(const std::vector<std::pair<std::string, std::string>> &parameters, std::string schema,
                       std::string label);
    ~PostgresConnection() override;

    pg_conn *handle() const { return m_conn; }
    const std::string &schema() const { return m_schema; }
    /** `name` as a quoted SQL identifier ("psc_demo"). */
    static std::string quoted(std::string_view name);

    Backend backend() const override { return Backend::Postgres; }
    void exec(std::string_view sql, std::string_view doing) override;
    Cursor &cached(const char *sql) override;
    bool inTransaction() const override;
    std::int64_t changes() const override { return m_changes; }
    void clearCache() override;
    void beginWrite() override;
    void beginRead() override;
    void rollbackQuietly(bool nested) noexcept override;
    void endReadQuietly() noexcept override;

    /** Throws the exception for a failed result (or a lost connection when `result` is null). */
    [[noreturn]] void fail(const ::pg_result *result, std::string_view doing) const;
    void setChanges(std::int64_t changes) { m_changes = changes; }
    /** True when the server connection is gone (the server restarted, the network failed). */
    bool broken() const;
    /**
     * Connects again with the same parameters, retrying with backoff for up to reconnectSeconds(); then sets the
     * session up as the first time and runs the reconnect hook (which takes the study's session locks again).
     * Throws StoreConnectionLost when the server stays away.
     */
    void reconnect();
    /** Called after every reconnect, e.g. to take the study's writer or worker lock again (may throw). */
    void setReconnectHook(std::function<void(PostgresConnection &)> hook) { m_onReconnect = std::move(hook); }
    void setReconnectSeconds(double seconds) { m_reconnectSeconds = seconds; }
    double reconnectSeconds() const { return m_reconnectSeconds; }
    int reconnects() const override { return m_reconnects; }
    /** Which server session the connection is in (prepared statements belong to one). */
    int generation() const { return m_generation; }
    /** A new statement name, "psc_17". */
    std::string nextStatementName() { return "psc_" + std::to_string(++m_statements); }

private:
    class Statement;
    void setUp();
    pg_conn *m_conn = nullptr;
    std::string m_schema;
    std::int64_t m_changes = 0;
    int m_statements = 0;
    int m_generation = 0;
    int m_reconnects = 0;
    double m_reconnectSeconds = 60.0;
    bool m_reconnecting = false;
    std::string m_poisoned; ///< why nothing may run on this connection any more (set by a failed reconnect hook)
    std::function<void(PostgresConnection &)> m_onReconnect;
    std::unordered_map<std::string_view, std::unique_ptr<Statement>> m_cache;
};

/** The advisory lock class of every study lock: "PSCO" (the study file's application id) as a signed int4. */
inline constexpr int kAdvisoryLockClass = 0x5053434F;

} // namespace psc::sql
