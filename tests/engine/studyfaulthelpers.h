// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Helpers for the study-store fault tests (tst_studystorefaults, tst_studystorestorage): raw SQLite access to
// damage files the way other programs and failing disks do, file hashes, and sample trials. Header-only; each
// test executable includes it once.

#include "psc/study/studystore.h"

#include "testsupport.h"

#include <QCryptographicHash>
#include <QFile>
#include <QStringList>
#include <QTest>

#include <sqlite3.h>

#include <filesystem>
#include <string>
#include <vector>

namespace psc::testing {

using psc::test::readAll;
using psc::test::writeFile;

inline QString q(const std::string &text)
{
    return QString::fromStdString(text);
}

inline QByteArray sha256(const std::filesystem::path &file)
{
    return QCryptographicHash::hash(readAll(file), QCryptographicHash::Sha256);
}

/** The message of the E that `call` throws, or a description of what happened instead. */
template <typename E, typename F> std::string messageOf(F &&call)
{
    try {
        call();
    } catch (const E &error) {
        return error.what();
    } catch (const std::exception &error) {
        return std::string("unexpected exception type: ") + error.what();
    }
    return "no exception";
}

inline std::vector<std::uint8_t> sampleWeights(std::int64_t seed, std::size_t size = 3000)
{
    std::vector<std::uint8_t> bytes(size);
    for (std::size_t i = 0; i < bytes.size(); ++i)
        bytes[i] = static_cast<std::uint8_t>(seed * 31 + std::int64_t(i) * 7);
    return bytes;
}

/** Inserts a trial, stores its weights and finishes it Complete, as a study runner does; returns its id. */
inline std::int64_t addCompleteTrial(StudyStore &store, int i)
{
    Trial trial;
    trial.architectureJson = R"({"layers": [)" + std::to_string(i) + "]}";
    trial.architectureHash = "hash" + std::to_string(i);
    trial.parametersJson = "{}";
    trial.recipeJson = R"({"epochs": 1})";
    const std::int64_t id = store.insertTrial(trial);
    store.markRunning(id, 1.0);
    store.putArtifact(id, "weights", "test-bytes", sampleWeights(id));
    store.finishTrial(id, TrialState::Complete, {{"", "accuracy", 0.5 + i * 0.001}}, "", 2.0);
    return id;
}

/** A plain sqlite3 connection, as another program (or `sqlite3` on the command line) would open the file. */
class RawDb
{
public:
    explicit RawDb(const std::filesystem::path &file)
    {
        if (sqlite3_open_v2(file.c_str(), &m_db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) != SQLITE_OK)
            qFatal("raw sqlite open of %s failed: %s", file.c_str(), sqlite3_errmsg(m_db));
    }
    ~RawDb() { sqlite3_close_v2(m_db); }
    RawDb(const RawDb &) = delete;
    RawDb &operator=(const RawDb &) = delete;

    /** Runs `sql`; returns "" or SQLite's error message. */
    std::string exec(const std::string &sql)
    {
        char *message = nullptr;
        const int rc = sqlite3_exec(m_db, sql.c_str(), nullptr, nullptr, &message);
        std::string error = rc == SQLITE_OK ? "" : (message ? message : sqlite3_errstr(rc));
        sqlite3_free(message);
        return error;
    }

    /** Flips the bits of one byte of a stored blob in place (incremental blob I/O, no other column changes). */
    bool flipBlobByte(const char *table, const char *column, std::int64_t rowid, int offset)
    {
        sqlite3_blob *blob = nullptr;
        if (sqlite3_blob_open(m_db, "main", table, column, rowid, 1, &blob) != SQLITE_OK)
            return false;
        unsigned char byte = 0;
        bool ok = sqlite3_blob_read(blob, &byte, 1, offset) == SQLITE_OK;
        byte ^= 0xff;
        ok = ok && sqlite3_blob_write(blob, &byte, 1, offset) == SQLITE_OK;
        sqlite3_blob_close(blob);
        return ok;
    }

    std::int64_t queryInt(const std::string &sql)
    {
        sqlite3_stmt *stmt = nullptr;
        std::int64_t value = -1;
        if (sqlite3_prepare_v2(m_db, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK && sqlite3_step(stmt) == SQLITE_ROW)
            value = sqlite3_column_int64(stmt, 0);
        sqlite3_finalize(stmt);
        return value;
    }

private:
    sqlite3 *m_db = nullptr;
};

/** Every file in `dir`, sorted, for checking that nothing was left behind. */
inline QStringList entries(const std::filesystem::path &dir)
{
    QStringList names;
    for (const auto &entry : std::filesystem::directory_iterator(dir))
        names << QString::fromStdString(entry.path().filename().string());
    names.sort();
    return names;
}

} // namespace psc::testing
