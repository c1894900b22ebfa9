// SPDX-License-Identifier: GPL-3.0-or-later
// Copying a whole study between backends (`paretoscope copy`): every row of every table, ids included.
#include "study/studystoreimpl.h"

#include "psc/core/error.h"

#include <array>
#include <filesystem>

namespace psc {

namespace {

/** A table of schema version 7 and the type of each column, in order: i integer, r real, t text, b blob. */
struct TableCopy
{
    const char *select;
    const char *insert;
    std::string_view types;
};

// Parents before children (foreign keys); rows in id order so a trial's parent and cache source come first.
constexpr std::array<TableCopy, 7> kTables{{
    {"SELECT key, value FROM study_meta ORDER BY key", "INSERT INTO study_meta (key, value) VALUES (?1, ?2)", "tt"},
    {"SELECT id, number, state, architecture_json, architecture_hash, parameters_json, recipe_json, parent_id, "
     "cached_from, error, interruptions, revision, created_at, started_at, finished_at, proposed_by, worker, "
     "heartbeat_at FROM trials ORDER BY id",
     "INSERT INTO trials (id, number, state, architecture_json, architecture_hash, parameters_json, recipe_json, "
     "parent_id, cached_from, error, interruptions, revision, created_at, started_at, finished_at, proposed_by, "
     "worker, heartbeat_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)",
     "iitttttiitiirrrttr"},
    {"SELECT trial_id, target, name, value FROM metrics ORDER BY trial_id, target, name",
     "INSERT INTO metrics (trial_id, target, name, value) VALUES (?1, ?2, ?3, ?4)", "ittr"},
    {"SELECT trial_id, kind, format, data, created_at, crc32 FROM artifacts ORDER BY trial_id, kind",
     "INSERT INTO artifacts (trial_id, kind, format, data, created_at, crc32) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
     "ittbri"},
    {"SELECT id, trial_id, format, path, bytes, sha256, warnings, figures, created_at FROM exports ORDER BY id",
     "INSERT INTO exports (id, trial_id, format, path, bytes, sha256, warnings, figures, created_at) "
     "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
     "iittitttr"},
    {"SELECT trial_id, epoch, validation_accuracy FROM learning_curves ORDER BY trial_id, epoch",
     "INSERT INTO learning_curves (trial_id, epoch, validation_accuracy) VALUES (?1, ?2, ?3)", "iir"},
    {"SELECT trial_id, target, seconds, compensation, repeats, images, seed, mean, std, draws, created_at FROM "
     "analog_accuracy ORDER BY trial_id, target, compensation, seconds",
     "INSERT INTO analog_accuracy (trial_id, target, seconds, compensation, repeats, images, seed, mean, std, draws, "
     "created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
     "itrtiiirrtr"},
}};

void copyRows(sql::Connection &from, sql::Connection &to, const TableCopy &table)
{
    sql::Query select(from, table.select);
    while (select.step()) {
        sql::Query insert(to, table.insert);
        std::vector<std::vector<std::uint8_t>> blobs; // bound without copying: kept until the insert has run
        for (std::size_t c = 0; c < table.types.size(); ++c) {
            const int column = int(c), index = int(c) + 1;
            if (select.isNull(column)) {
                insert.bindNull(index);
                continue;
            }
            switch (table.types[c]) {
            case 'i':
                insert.bind(index, select.int64(column));
                break;
            case 'r':
                insert.bind(index, select.real(column));
                break;
            case 'b':
                blobs.push_back(select.blob(column));
                insert.bindBlobNoCopy(index, blobs.back());
                break;
            default:
                insert.bind(index, select.text(column));
            }
        }
        insert.run();
    }
}

/** Removes a study that copy() created: the file with its side files, or the server study's schema. */
void removeStudy(const std::filesystem::path &study) noexcept
{
    if (StudyLocation::isUrl(study.string())) {
        dropOnServer(StudyLocation::parse(study.string()));
        return;
    }
    for (const char *suffix : {"", "-wal", "-shm", ".lock"}) {
        std::error_code ignored;
        std::filesystem::remove(study.string() + suffix, ignored);
    }
}

} // namespace

std::int64_t StudyStore::copy(const std::filesystem::path &source, const std::filesystem::path &destination)
{
    const std::unique_ptr<StudyStore> from = open(source, Mode::ReadOnly);
    if (from->schemaVersion() != studySchemaVersion())
        throw InputError(from->path().string() + ": study schema version " + std::to_string(from->schemaVersion()) +
                         " is older than this Paretoscope's (" + std::to_string(studySchemaVersion()) +
                         "); open it read-write once to upgrade it, then copy it");
    std::unique_ptr<StudyStore> to = create(destination, from->specJson());
    std::int64_t trials = 0;
    try {
        sql::Connection &src = *from->d->db;
        sql::Connection &dst = *to->d->db;
        sql::ReadTransaction snapshot(src); // one consistent state of a study that may be running
        sql::WriteTransaction transaction(dst);
        sql::Query(dst, "DELETE FROM study_meta").run(); // the source's own, creation time included
        for (const TableCopy &table : kTables)
            copyRows(src, dst, table);
        if (dst.backend() == sql::Backend::Postgres) {
            // Rows were inserted with their ids: the identity columns go on after the highest.
            sql::Query(dst, "SELECT setval(pg_get_serial_sequence('trials', 'id'), COALESCE(MAX(id), 0) + 1, false) "
                            "FROM trials")
                .run();
            sql::Query(dst, "SELECT setval(pg_get_serial_sequence('exports', 'id'), COALESCE(MAX(id), 0) + 1, false) "
                            "FROM exports")
                .run();
        }
        trials = dst.queryInt64("SELECT COUNT(*) FROM trials");
        transaction.commit();
    } catch (...) {
        // Nothing half-copied stays behind: the new study goes again (the source was only read).
        to.reset();
        removeStudy(destination);
        throw;
    }
    return trials;
}

} // namespace psc
