// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// The throw-away PostgreSQL server of the tests (scripts/test-postgres.sh, started by ctest's "postgres" fixture).

#include <QByteArray>
#include <QFile>
#include <QUuid>

#include <cstdlib>
#include <string>

namespace psc::test {

/** The server's "key=value" from the fixture's state file, or "" when the fixture did not run. */
inline std::string postgresState(const char *key)
{
    const char *state = std::getenv("PSC_TEST_POSTGRES_STATE");
    QFile file(state ? QString::fromLocal8Bit(state) : QString());
    if (!state || !file.open(QIODevice::ReadOnly))
        return {};
    const QByteArray prefix = QByteArray(key) + '=';
    for (const QByteArray &line : file.readAll().split('\n'))
        if (line.startsWith(prefix))
            return line.mid(prefix.size()).toStdString();
    return {};
}

/** postgresql://psc@127.0.0.1:PORT/psc_test (no study), or "" without the fixture. */
inline std::string postgresBaseUrl()
{
    return postgresState("url");
}

/** A study URL with a name no other test (or earlier run) uses. */
inline std::string newServerStudy(const std::string &stem)
{
    return postgresBaseUrl() + "?study=" + stem + "-" +
           QUuid::createUuid().toString(QUuid::Id128).left(12).toStdString();
}

} // namespace psc::test
