// SPDX-License-Identifier: GPL-3.0-or-later
// Checks a study file must pass before it is accepted (its tables and columns), and artifact checksums.
#include "study/studystoreimpl.h"

#include "psc/core/error.h"

#include <zlib.h>

#include <algorithm>
#include <map>
#include <set>

namespace psc {

namespace {

using Layout = std::map<std::string, std::set<std::string>>; // table -> columns

Layout readLayout(sql::Connection &db)
{
    Layout layout;
    if (db.backend() == sql::Backend::Postgres) {
        sql::Query columns(db, "SELECT table_name, column_name FROM information_schema.columns "
                               "WHERE table_schema = current_schema() AND table_name <> 'psc_schema'");
        while (columns.step())
            layout[columns.text(0)].insert(columns.text(1));
        return layout;
    }
    {
        sql::Query tables(db, "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' "
                              "ESCAPE '\\'");
        while (tables.step())
            layout[tables.text(0)];
    }
    for (auto &[table, columns] : layout) {
        sql::Query query(db, "SELECT name FROM pragma_table_info(?1)");
        query.bind(1, table);
        while (query.step())
            columns.insert(query.text(0));
    }
    return layout;
}

/** The tables and columns that the first `version` steps create, built in a private in-memory database. */
std::optional<Layout> expectedLayout(std::span<const SchemaMigration> migrations, std::int64_t version)
{
    try {
        sql::SqliteConnection memory(":memory:", SQLITE_OPEN_READWRITE | SQLITE_OPEN_MEMORY | SQLITE_OPEN_NOMUTEX,
                                     "expected study schema");
        for (std::int64_t step = 0; step < version; ++step)
            memory.exec(migrations[static_cast<std::size_t>(step)].sql, "building the expected study schema");
        return readLayout(memory);
    } catch (const std::exception &) {
        // A step that only works on real data cannot be replayed on an empty database; then the check is
        // skipped rather than refusing a good study.
        return std::nullopt;
    }
}

std::string joined(const std::vector<std::string> &items)
{
    std::string text;
    for (std::size_t i = 0; i < items.size(); ++i)
        text += (i == 0 ? "" : i + 1 == items.size() ? " and " : ", ") + items[i];
    return text;
}

} // namespace

void checkStudySchema(sql::Connection &db, std::span<const SchemaMigration> migrations, std::int64_t version)
{
    const auto expected = expectedLayout(migrations, version);
    if (!expected)
        return;
    const Layout found = readLayout(db);
    std::vector<std::string> problems;
    for (const auto &[table, columns] : *expected) {
        const auto it = found.find(table);
        if (it == found.end()) {
            problems.push_back("table " + table + " is missing");
            continue;
        }
        std::vector<std::string> missing;
        std::set_difference(columns.begin(), columns.end(), it->second.begin(), it->second.end(),
                            std::back_inserter(missing));
        if (missing.size() == 1)
            problems.push_back("table " + table + " has no column " + missing.front());
        else if (!missing.empty())
            problems.push_back("table " + table + " has no columns " + joined(missing));
    }
    if (!problems.empty())
        throw InputError(db.label() + ": not a complete study: " + joined(problems));
}

std::uint32_t artifactChecksum(std::span<const std::uint8_t> bytes)
{
    return static_cast<std::uint32_t>(::crc32_z(0, bytes.data(), bytes.size()));
}

} // namespace psc
