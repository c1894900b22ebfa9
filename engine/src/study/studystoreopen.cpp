// SPDX-License-Identifier: GPL-3.0-or-later
// Creating, opening, validating and upgrading study files.
#include "study/studystoreimpl.h"

#include "psc/core/error.h"

#include <QDateTime>
#include <QRandomGenerator>
#include <nlohmann/json.hpp>

#include <array>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <system_error>

#include <fcntl.h>
#include <unistd.h>

namespace psc {

namespace {

constexpr int kOpenFlags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE; // one thread at a time, see the header

std::string hex32(std::int64_t value)
{
    char text[16];
    std::snprintf(text, sizeof text, "0x%08X", static_cast<unsigned>(value & 0xffffffff));
    return text;
}

std::string notAStudy(const std::string &label, const std::string &why)
{
    return label + ": not a Paretoscope study: " + why + " (expected an SQLite database with application_id " +
           hex32(kStudyApplicationId) + ", as written by Paretoscope)";
}

std::int32_t bigEndian32(const unsigned char *bytes)
{
    return static_cast<std::int32_t>((std::uint32_t{bytes[0]} << 24) | (std::uint32_t{bytes[1]} << 16) |
                                     (std::uint32_t{bytes[2]} << 8) | std::uint32_t{bytes[3]});
}

struct FileHeader
{
    std::int32_t userVersion = 0;
};

/**
 * Checks the 100-byte SQLite header with plain file reads, so that a file which is not a study (a text
 * file, an image, another application's database) is refused without SQLite ever opening it. A study's
 * application_id is written before the file first gets its name, so the header always carries it.
 */
FileHeader readHeader(const std::filesystem::path &file, const std::string &label)
{
    std::error_code ec;
    const auto status = std::filesystem::status(file, ec);
    if (!std::filesystem::exists(status))
        throw InputError(label + ": no such study file");
    if (std::filesystem::is_directory(status))
        throw InputError(label + ": is a directory, not a study file");
    if (!std::filesystem::is_regular_file(status)) // a FIFO or device would block or never end
        throw InputError(label + ": is not a regular file, so not a study file");
    std::ifstream in(file, std::ios::binary);
    if (!in) // e.g. permission denied: the user must change something, as with any unusable input
        throw InputError(label + ": cannot read the study file (" + std::strerror(errno) + ")");
    std::array<unsigned char, 100> header{};
    in.read(reinterpret_cast<char *>(header.data()), header.size());
    const auto got = in.gcount();
    if (got == 0)
        throw InputError(notAStudy(label, "the file is empty"));
    static constexpr char kMagic[16] = "SQLite format 3"; // includes the terminating NUL, as in the file
    if (got < static_cast<std::streamsize>(header.size()) || std::memcmp(header.data(), kMagic, sizeof kMagic) != 0)
        throw InputError(notAStudy(label, "it is not an SQLite database"));
    const std::int32_t applicationId = bigEndian32(header.data() + 68);
    if (applicationId != kStudyApplicationId)
        throw InputError(notAStudy(label, "it is an SQLite database of another application (application_id " +
                                              hex32(applicationId) + ")"));
    return {bigEndian32(header.data() + 60)};
}

} // namespace

void checkVersion(const std::string &label, std::int64_t found, int supported, StudyStore::Mode mode)
{
    if (found < 0)
        throw InputError(label + ": the study file is damaged: invalid schema version " + std::to_string(found));
    if (found == 0) // create() builds a study under a temporary name, so a named file is never at version 0
        throw InputError(label + ": not a complete study: it has no study tables (schema version 0); it was not " +
                         "written by Paretoscope, or its creation never finished");
    if (found > supported)
        throw InputError(label + ": study schema version " + std::to_string(found) +
                         " is newer than this Paretoscope supports (" + std::to_string(supported) +
                         "); upgrade Paretoscope");
    if (mode == StudyStore::Mode::ReadOnly && found < oldestReadOnlySchemaVersion())
        throw InputError(label + ": study schema version " + std::to_string(found) + " is older than this " +
                         "Paretoscope's (" + std::to_string(supported) + ") and a read-only open cannot upgrade it; " +
                         "open it read-write once to upgrade it");
}

namespace {

/** The size of a side file (FILE-wal, FILE-shm), or -1 if there is none. */
std::int64_t sideFileSize(const std::filesystem::path &file, const char *suffix)
{
    std::error_code ec;
    const auto size = std::filesystem::file_size(file.string() + suffix, ec);
    return ec ? -1 : static_cast<std::int64_t>(size);
}

/**
 * A `file:` URI that opens `file` read-only and immutable: SQLite takes no locks and creates no -wal or -shm
 * file, so it works on read-only storage. Only correct while nobody writes the file (no side files exist).
 */
std::string immutableUri(const std::filesystem::path &file)
{
    std::string uri = "file:";
    for (const unsigned char c : std::filesystem::absolute(file).string()) {
        if (std::isalnum(c) || c == '/' || c == '-' || c == '_' || c == '.' || c == '~') {
            uri += static_cast<char>(c);
        } else {
            char escaped[4];
            std::snprintf(escaped, sizeof escaped, "%%%02X", c);
            uri += escaped;
        }
    }
    return uri + "?mode=ro&immutable=1";
}

/** Below this much free space a write would fail half-way (the -shm alone takes 32 KiB); refuse up front. */
constexpr std::int64_t kMinFreeBytes = std::int64_t{1} << 20;

void requireFreeSpace(const std::filesystem::path &dir, const std::string &label, const char *doing)
{
    const std::int64_t free = freeBytes(dir);
    if (free >= 0 && free < kMinFreeBytes)
        throw RuntimeError(label + ": disk full: only " + std::to_string(free / 1024) + " KiB free in " + dir.string() +
                           "; " + doing + " needs at least 1 MiB (nothing was written)");
}

/**
 * The checks every open makes through SQLite (which also sees what the WAL holds): application id, schema
 * version, and the tables and columns of that version. Reads only; returns the version.
 */
std::int64_t checkThroughSqlite(sql::Connection &db, std::span<const SchemaMigration> migrations, StudyStore::Mode mode)
{
    const std::string &label = db.label();
    if (const auto applicationId = db.queryInt64("PRAGMA application_id"); applicationId != kStudyApplicationId)
        throw InputError(notAStudy(label, "it is an SQLite database of another application (application_id " +
                                              hex32(applicationId) + ")"));
    const std::int64_t version = db.queryInt64("PRAGMA user_version");
    checkVersion(label, version, static_cast<int>(migrations.size()), StudyStore::Mode::ReadWrite);
    checkStudySchema(db, migrations, version);
    checkVersion(label, version, static_cast<int>(migrations.size()), mode);
    return version;
}

void validateMigrations(std::span<const SchemaMigration> migrations)
{
    for (std::size_t i = 0; i < migrations.size(); ++i) {
        if (migrations[i].fromVersion != static_cast<int>(i))
            throw std::invalid_argument("schema migration " + std::to_string(i) + " has fromVersion " +
                                        std::to_string(migrations[i].fromVersion));
    }
}

/** Settings of a writing connection; journal_mode is stored in the file, the others are per connection. */
void configureWriter(sql::Connection &db)
{
    const std::string journal = db.queryText("PRAGMA journal_mode = WAL");
    if (journal != "wal")
        throw RuntimeError(db.label() + ": cannot use write-ahead logging here (journal_mode stayed '" + journal +
                           "'); keep study files on a local file system");
    // NORMAL: in WAL mode a commit is safe from a killed process without an fsync per commit; see the docs.
    // wal_autocheckpoint: each checkpoint costs two fsyncs, which dominated per-trial commits at the default
    // 1000 pages; 4000 pages (16 MiB) halved the time of 10k trials. journal_size_limit: after a large batch
    // the WAL is cut back once checkpointed instead of keeping its peak size.
    db.exec("PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA wal_autocheckpoint = 4000; "
            "PRAGMA journal_size_limit = 67108864",
            "configuring the connection");
}

/** Applies the pending upgrade steps in one transaction; see SchemaMigration for the rules. */
void migrate(sql::Connection &db, std::span<const SchemaMigration> migrations)
{
    const int target = static_cast<int>(migrations.size());
    db.exec("PRAGMA foreign_keys = OFF", "preparing the schema upgrade"); // no effect inside a transaction
    {
        sql::WriteTransaction transaction(db);
        // Re-read under the write lock: another process may have upgraded the file since it was checked.
        const std::int64_t from = db.queryInt64("PRAGMA user_version");
        if (from != 0) // version 0 is a new file being created; open() refuses it before migrating
            checkVersion(db.label(), from, target, StudyStore::Mode::ReadWrite);
        for (auto step = from; step < target; ++step) {
            const auto &migration = migrations[static_cast<std::size_t>(step)];
            const std::string doing = "upgrading the study schema from version " + std::to_string(from) + " to " +
                                      std::to_string(target) + " (step " + std::to_string(step) + " -> " +
                                      std::to_string(step + 1) + ", " + std::string(migration.description) + ")";
            try {
                db.exec(migration.sql, doing);
            } catch (const InputError &error) {
                throw InputError(std::string(error.what()) + "; the study was left unchanged");
            } catch (const std::exception &error) {
                throw RuntimeError(std::string(error.what()) + "; the study was left unchanged");
            }
        }
        db.exec("PRAGMA user_version = " + std::to_string(target), "setting the schema version");
        {
            sql::Query check(db, "PRAGMA foreign_key_check");
            if (check.step())
                throw RuntimeError(db.label() + ": upgrading the study schema to version " + std::to_string(target) +
                                   " broke a foreign key in table " + check.text(0) + "; the study was left unchanged");
        }
        transaction.commit();
    }
    db.clearCache(); // statements prepared against the old schema would only be re-prepared
    db.exec("PRAGMA foreign_keys = ON", "finishing the schema upgrade");
}

/** Validates the spec (a JSON object) and returns its "name", if it has one. */
} // namespace

std::string alreadyExists(const std::string &label)
{
    return label + ": already exists; a new study needs a new file name (nothing was overwritten)";
}

std::string specName(const std::string &label, const std::string &specJson)
{
    nlohmann::json spec;
    try {
        spec = nlohmann::json::parse(specJson);
    } catch (const nlohmann::json::parse_error &error) {
        throw InputError(label + ": cannot create the study: its spec is not valid JSON (" + error.what() + ")");
    }
    if (!spec.is_object())
        throw InputError(label + ": cannot create the study: its spec must be a JSON object");
    const auto name = spec.find("name");
    return name != spec.end() && name->is_string() ? name->get<std::string>() : std::string();
}

namespace {

/** A new empty file next to the study; removed (with any SQLite side files) when this goes out of scope. */
class TemporaryFile
{
public:
    TemporaryFile(const std::filesystem::path &dir, const std::filesystem::path &name, const std::string &label)
    {
        // Not mkstemp(): it creates mode 0600, and the study (and the -wal and -shm SQLite later creates with the
        // study's mode) must get the user's umask like any other file, so that others may read it if allowed.
        std::string hidden = ".";
        hidden += name.string(); // not "." + name: GCC 12 warns (-Wrestrict) falsely about that operator+
        hidden += ".creating-";
        for (int attempt = 0;; ++attempt) {
            char suffix[16];
            std::snprintf(suffix, sizeof suffix, "%08x", QRandomGenerator::system()->generate());
            const std::filesystem::path candidate = dir / (hidden + suffix);
            const int fd = ::open(candidate.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
            if (fd >= 0) {
                ::close(fd);
                m_path = candidate;
                return;
            }
            if (errno != EEXIST || attempt == 100)
                throw RuntimeError(label + ": cannot create a file in " + dir.string() + ": " + std::strerror(errno));
        }
    }
    ~TemporaryFile()
    {
        for (const char *suffix : {"", "-wal", "-shm", "-journal"}) {
            std::error_code ignored;
            std::filesystem::remove(m_path.string() + suffix, ignored);
        }
    }
    TemporaryFile(const TemporaryFile &) = delete;
    TemporaryFile &operator=(const TemporaryFile &) = delete;
    const std::filesystem::path &path() const { return m_path; }

private:
    std::filesystem::path m_path;
};

/** Gives the finished file its name, failing rather than replacing a file that appeared meanwhile. */
void publish(const std::filesystem::path &temporary, const std::filesystem::path &file, const std::string &label)
{
    // link() is an atomic "rename unless the target exists"; the temporary name is removed by its owner.
    if (::link(temporary.c_str(), file.c_str()) == 0)
        return;
    const int error = errno;
    if (error == EEXIST)
        throw InputError(alreadyExists(label));
    // Some file systems (FAT, some network mounts) have no hard links: check, then rename.
    std::error_code ec;
    if (std::filesystem::exists(std::filesystem::symlink_status(file, ec)))
        throw InputError(alreadyExists(label));
    std::filesystem::rename(temporary, file, ec);
    if (ec)
        throw RuntimeError(label + ": cannot create: " + ec.message());
}

} // namespace

std::unique_ptr<StudyStore> StudyStore::create(const std::filesystem::path &file, const std::string &specJson)
{
    if (StudyLocation::isUrl(file.string())) {
        createOnServer(StudyLocation::parse(file.string()), specJson);
        return open(file, Mode::ReadWrite);
    }
    const std::string label = file.string();
    std::error_code ec;
    if (std::filesystem::exists(std::filesystem::symlink_status(file, ec)))
        throw InputError(alreadyExists(label));
    const std::filesystem::path dir = file.has_parent_path() ? file.parent_path() : std::filesystem::path(".");
    if (!std::filesystem::is_directory(dir, ec))
        throw InputError(label + ": cannot create the study: directory " + dir.string() + " does not exist");
    const std::string name = specName(label, specJson);
    if (const std::string why = unwritableReason(file); !why.empty())
        throw InputError(label + ": cannot create the study: " + dir.string() + " " +
                         (why.rfind("is in a folder", 0) == 0 ? std::string("is a folder you cannot write") : why));
    requireFreeSpace(dir, label, "creating a study");
    // A -wal or -shm file without its database is left over from a study that was deleted while open. It
    // belongs to nothing, and SQLite would replay it into the new study on first open: remove it.
    for (const char *suffix : {"-wal", "-shm", ".lock"}) {
        const std::filesystem::path orphan = file.string() + suffix;
        if (std::filesystem::exists(std::filesystem::symlink_status(orphan, ec)) &&
            !std::filesystem::remove(orphan, ec))
            throw InputError(label + ": cannot create the study: leftover " + orphan.string() + " cannot be removed (" +
                             ec.message() + ")");
    }

    TemporaryFile temporary(dir, file.filename(), label);
    {
        sql::SqliteConnection db(temporary.path().string(), SQLITE_OPEN_READWRITE | kOpenFlags, label);
        db.exec("PRAGMA application_id = " + std::to_string(kStudyApplicationId), "creating the study");
        configureWriter(db);
        migrate(db, studySchemaMigrations());
        sql::WriteTransaction transaction(db);
        putStoreMeta(db, "spec_json", specJson);
        putStoreMeta(db, "created_at", QDateTime::currentDateTimeUtc().toString(Qt::ISODate).toStdString());
        putStoreMeta(db, "created_with", "Paretoscope " PSC_VERSION);
        if (!name.empty())
            putStoreMeta(db, "name", name);
        transaction.commit();
    } // closing the last connection checkpoints the WAL into the file and deletes it: the file is complete
    publish(temporary.path(), file, label);
    try {
        return open(file, Mode::ReadWrite);
    } catch (...) {
        // E.g. the disk filled up between building the file and opening it. The new study holds nothing but
        // its spec; remove it (and the side files this open made) so that "nothing was written" stays true.
        for (const char *suffix : {"", "-wal", "-shm"}) {
            std::error_code ignored;
            std::filesystem::remove(file.string() + suffix, ignored);
        }
        throw;
    }
}

std::unique_ptr<StudyStore> StudyStore::open(const std::filesystem::path &file, Mode mode)
{
    return open(file, mode, studySchemaMigrations());
}

std::unique_ptr<StudyStore> StudyStore::open(const std::filesystem::path &file, Mode mode,
                                             std::span<const SchemaMigration> migrations)
{
    validateMigrations(migrations);
    if (StudyLocation::isUrl(file.string()))
        return std::unique_ptr<StudyStore>(new StudyStore(openOnServer(StudyLocation::parse(file.string()), mode)));
    if (mode == Mode::Shared)
        throw InputError(file.string() + ": workers share a study on a PostgreSQL server; a study file has one writer "
                                         "('paretoscope resume FILE --parallel N' trains N trials at once), or copy "
                                         "it to a server with 'paretoscope copy' (docs/database.md)");
    const int supported = static_cast<int>(migrations.size());
    const std::string label = file.string();

    const FileHeader header = readHeader(file, label);
    const std::int64_t walSize = sideFileSize(file, "-wal");
    const bool shmExists = sideFileSize(file, "-shm") >= 0;
    // A cleanly closed study has an empty or no WAL, so the header's user_version is current and a file from
    // a newer Paretoscope is refused before SQLite opens it (which would create -wal and -shm files).
    if (walSize <= 0) // an older version is refused (read-only) only once its tables are known to be a study's
        checkVersion(label, header.userVersion, supported, Mode::ReadWrite);

    const std::string unwritable = unwritableReason(file);
    // Only the folder decides whether SQLite can create the -shm a reader needs.
    const bool folderWritable =
        unwritable.empty() || unwritable.rfind("is a file", 0) == 0 || unwritable.rfind("has a side file", 0) == 0;
    if (mode == Mode::ReadWrite) {
        if (!unwritable.empty())
            throw InputError(label + ": cannot write the study: " + label + " " + unwritable +
                             "; open it read-only, or copy it to a writable folder");
        requireFreeSpace(file.has_parent_path() ? file.parent_path() : std::filesystem::path("."), label,
                         "writing a study");
    }

    // A study nobody has open (no side files) is checked through an immutable connection, which takes no locks
    // and creates no -wal/-shm: a refused file is left exactly as it was, side files included.
    if (walSize < 0 && !shmExists) {
        sql::SqliteConnection probe(immutableUri(file), SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | kOpenFlags, label);
        probe.exec("PRAGMA trusted_schema = OFF", "opening the study");
        checkThroughSqlite(probe, migrations, mode);
    }

    std::string name = file.string();
    int flags = (mode == Mode::ReadOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE) | kOpenFlags;
    // A full disk is read-only storage for a reader too: SQLite could not create the 32 KiB -shm file.
    const std::filesystem::path dir = file.has_parent_path() ? file.parent_path() : std::filesystem::path(".");
    const bool diskFull = !shmExists && freeBytes(dir) >= 0 && freeBytes(dir) < kMinFreeBytes;
    const bool readOnlyStorage = mode == Mode::ReadOnly && (!folderWritable || diskFull);
    if (readOnlyStorage) {
        // SQLite needs a -shm file for a WAL database, which it cannot create here. With no -wal work the file
        // is complete on its own and is read immutable; existing -wal and -shm files are read as they are.
        if (walSize > 0 && !shmExists)
            throw InputError(
                label + ": cannot read the study here: " + file.string() +
                "-wal holds work not yet written into the study file, and the folder is not writable "
                "or full (SQLite cannot read the -wal without creating a -shm file); copy the study together "
                "with its -wal file to a writable folder and open it there");
        if (!shmExists) {
            name = immutableUri(file);
            flags |= SQLITE_OPEN_URI;
        }
    }

    std::unique_ptr<WriterLock> lock; // declared first: released only after the connection is closed
    auto db = std::make_unique<sql::SqliteConnection>(name, flags, label);
    sqlite3_busy_timeout(db->handle(), kStoreBusyTimeoutMs);
    // Until the file is accepted this connection must not write, not even the checkpoint SQLite runs when
    // the last connection closes.
    sqlite3_db_config(db->handle(), SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, nullptr);
    db->exec("PRAGMA query_only = ON; PRAGMA trusted_schema = OFF", "opening the study");
    const std::int64_t version = checkThroughSqlite(*db, migrations, mode);

    if (mode == Mode::ReadWrite) {
        // Two writers would each see the other's running trials as interrupted; one writer per study.
        lock = std::make_unique<WriterLock>(file.string() + ".lock", label);
        db->exec("PRAGMA query_only = OFF", "opening the study");
        sqlite3_db_config(db->handle(), SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 0, nullptr);
        configureWriter(*db);
        if (version < supported)
            migrate(*db, migrations);
    }

    auto impl = std::make_unique<Impl>();
    impl->file = file;
    impl->mode = mode;
    impl->version = mode == Mode::ReadWrite ? supported : int(version); // a reader may see an older file as it is
    impl->readOnlyStorage = readOnlyStorage;
    impl->writerLock = std::move(lock);
    impl->db = std::move(db);
    return std::unique_ptr<StudyStore>(new StudyStore(std::move(impl)));
}

} // namespace psc
