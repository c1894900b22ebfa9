// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace psc {

/**
 * Where a study lives: a file (SQLite, the embedded default) or a study on a PostgreSQL server, named by
 * `postgresql://[user@][host][:port][/database]?study=NAME[&libpq-parameter=value...]` (docs/database.md). Every
 * command that takes a study takes either. A URL never carries a password: libpq reads it from PGPASSWORD,
 * ~/.pgpass or a service file (`?service=NAME`), so it never shows in `ps`, shell history or logs.
 */
struct StudyLocation
{
    /** True for text that is meant as a server URL (postgresql:// or postgres://), even a malformed one. */
    static bool isUrl(std::string_view text);
    /**
     * Parses a server URL. Throws InputError naming what is wrong: a password in the URL (never echoed), no
     * `study`, a study name that is not 1-48 letters, digits, '_' or '-', an unknown parameter (with did-you-mean
     * over libpq's keywords), a port that is not a number.
     */
    static StudyLocation parse(std::string_view url);

    std::string user, host, port, database;                   ///< empty: libpq's defaults (PGUSER, PGHOST, ...)
    std::string study;                                        ///< the study's name in that database
    std::vector<std::pair<std::string, std::string>> options; ///< further libpq parameters, e.g. sslmode

    /** The URL again, normalised (what messages and the GUI show). */
    std::string url() const;
    /** The PostgreSQL schema that holds the study's tables: "psc_" + study. */
    std::string schema() const { return "psc_" + study; }
    /** libpq connection parameters (keyword, value), with application_name "paretoscope" unless given. */
    std::vector<std::pair<std::string, std::string>> connectionParameters() const;
};

} // namespace psc
