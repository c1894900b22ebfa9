// SPDX-License-Identifier: GPL-3.0-or-later
// Study files in the states other people's programs, crashes and copies leave them in (docs/faults.md): a WAL
// left behind by a reader, lock files that lock nothing, SQLite files that are not studies, damaged studies
// and damaged artifacts.
//
// The child mode `tst_studystorefaults --hold-writer FILE` opens FILE read-write, prints "R" and keeps it open
// until killed or its stdin closes: a writer in another process.
#include "studyfaulthelpers.h"

#include "psc/core/error.h"
#include "psc/study/studystore.h"

#include <QCoreApplication>
#include <QProcess>
#include <QSysInfo>
#include <QTemporaryDir>
#include <QTest>

#include <cstdio>
#include <cstring>
#include <iostream>

#include <sys/stat.h>

using namespace psc;
using namespace psc::testing;
namespace fs = std::filesystem;

namespace {

const std::string kSpec = R"({"name": "faults"})";

int holdWriter(const char *file)
{
    try {
        auto store = StudyStore::open(file, StudyStore::Mode::ReadWrite);
        std::cout << "R" << std::endl;
        std::string line;
        while (std::getline(std::cin, line)) {
        }
        return 0;
    } catch (const std::exception &error) {
        std::cout << "E " << error.what() << std::endl;
        return 1;
    }
}

} // namespace

class TestStudyStoreFaults : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    int m_folders = 0;
    /** A fresh empty folder per call, so that side files of one case cannot mask another's. */
    fs::path folder(const QString &name)
    {
        const fs::path dir = fs::path(m_dir.path().toStdString()) / (name + QString::number(++m_folders)).toStdString();
        fs::create_directories(dir);
        return dir;
    }

private Q_SLOTS:
    void initTestCase() { QVERIFY(m_dir.isValid()); }

    // Item 1: closing the writer while a reader is open left committed trials in FILE-wal only.
    void closedStudyIsCompleteInItsFile_data()
    {
        QTest::addColumn<QString>("order");
        QTest::newRow("writer closes first") << "writer-reader";
        QTest::newRow("reader closes first") << "reader-writer";
        QTest::newRow("two readers outlive the writer") << "writer-readers";
        QTest::newRow("reader opened after the writes") << "late-reader";
    }

    void closedStudyIsCompleteInItsFile()
    {
        QFETCH(QString, order);
        const fs::path dir = folder("wal-" + order);
        const fs::path path = dir / "study.psc";
        constexpr int kTrials = 25;
        auto writer = StudyStore::create(path, kSpec);
        auto reader = StudyStore::open(path, StudyStore::Mode::ReadOnly);
        std::unique_ptr<StudyStore> second;
        if (order == "writer-readers")
            second = StudyStore::open(path, StudyStore::Mode::ReadOnly);
        std::vector<std::int64_t> ids;
        for (int i = 0; i < kTrials; ++i) {
            ids.push_back(addCompleteTrial(*writer, i));
            if (i % 5 == 0)
                QCOMPARE(reader->trials().size(), std::size_t(i + 1)); // readers between the writes, as the GUI
        }
        if (order == "late-reader")
            reader = StudyStore::open(path, StudyStore::Mode::ReadOnly);
        QVERIFY(fs::file_size(path.string() + "-wal") > 0); // the trials are in the WAL while the writer runs
        if (order == "reader-writer") {
            reader.reset();
            writer.reset();
        } else {
            writer.reset();
            QCOMPARE(reader->trials().size(), std::size_t(kTrials)); // readers keep working after the checkpoint
            reader.reset();
            second.reset();
        }

        // Only the study file travels: copy it alone and find every trial, its metrics and weights.
        const fs::path copyDir = folder("wal-copy-" + order);
        fs::copy_file(path, copyDir / "study.psc");
        auto copy = StudyStore::open(copyDir / "study.psc", StudyStore::Mode::ReadOnly);
        QCOMPARE(q(copy->integrityCheck()), QStringLiteral("ok"));
        const auto trials = copy->trials();
        QCOMPARE(trials.size(), std::size_t(kTrials));
        for (std::size_t i = 0; i < trials.size(); ++i) {
            QCOMPARE(trials[i].id, ids[i]);
            QVERIFY(trials[i].state == TrialState::Complete);
            QCOMPARE(trials[i].metrics.size(), std::size_t(1));
            QVERIFY(copy->artifact(ids[i], "weights") == std::optional(sampleWeights(ids[i])));
        }
        // What is left next to the original is an empty WAL at most, never trials.
        const auto wal = fs::path(path.string() + "-wal");
        QVERIFY(!fs::exists(wal) || fs::file_size(wal) == 0);
    }

    // A study is created with the user's umask (mkstemp() would make it 0600, and SQLite gives -wal and -shm the
    // study's mode), so that a shared folder's other users can read it when the umask allows.
    void createdStudyFollowsTheUmask()
    {
        const mode_t old = ::umask(022);
        const fs::path path = folder("umask") / "study.psc";
        auto store = StudyStore::create(path, kSpec);
        addCompleteTrial(*store, 1);
        ::umask(old);
        for (const char *suffix : {"", "-wal", "-shm"}) {
            struct stat info
            {
            };
            QCOMPARE(::stat((path.string() + suffix).c_str(), &info), 0);
            QCOMPARE(info.st_mode & 0777, mode_t(0644));
        }
    }

    // Item 3: the OS lock decides, not the lock file's existence or content.
    void lockFilesThatLockNothingAreTakenOver_data()
    {
        QTest::addColumn<QByteArray>("content");
        QTest::newRow("empty (disk was full)") << QByteArray();
        QTest::newRow("garbage") << QByteArray("\x00\xff\x13garbage\nnot a pid\n", 22);
        QTest::newRow("copied from another machine") << QByteArray("1\nparetoscope\nother-host\n");
        QTest::newRow("this process's own pid") << QByteArray::number(QCoreApplication::applicationPid()) + "\n";
    }

    void lockFilesThatLockNothingAreTakenOver()
    {
        QFETCH(QByteArray, content);
        const fs::path dir = folder("lock-");
        const fs::path path = dir / "study.psc";
        StudyStore::create(path, kSpec).reset();
        const fs::path lock = path.string() + ".lock";
        writeFile(lock, content);
        {
            auto writer = StudyStore::open(path, StudyStore::Mode::ReadWrite);
            addCompleteTrial(*writer, 1);
            // The lock file now names this process, for the message a refused writer gets.
            const QByteArray info = readAll(lock);
            QVERIFY2(info.startsWith(QByteArray::number(QCoreApplication::applicationPid()) + "\n"), info.constData());
        }
        QVERIFY(!fs::exists(lock)); // released and removed at close
        QCOMPARE(StudyStore::open(path, StudyStore::Mode::ReadOnly)->trials().size(), std::size_t(1));
    }

    // A lock "file" that is not a file cannot be told apart from a writer's: say how to recover.
    void lockPathThatIsNotAFile()
    {
        const fs::path path = folder("lock-dir") / "study.psc";
        StudyStore::create(path, kSpec).reset();
        fs::create_directory(path.string() + ".lock");
        const std::string message =
            messageOf<RuntimeError>([&] { StudyStore::open(path, StudyStore::Mode::ReadWrite); });
        QVERIFY2(message == path.string() + ": cannot use the study's lock file " + path.string() +
                                ".lock (Is a directory); if no Paretoscope is writing this study, delete " +
                                path.string() + ".lock and try again",
                 message.c_str());
        fs::remove(path.string() + ".lock");
        QVERIFY(StudyStore::open(path, StudyStore::Mode::ReadWrite) != nullptr);
    }

    void liveWriterInThisProcessIsRefused()
    {
        const fs::path path = folder("lock-live") / "study.psc";
        auto writer = StudyStore::create(path, kSpec);
        for (int attempt = 0; attempt < 2; ++attempt) { // a refusal must not weaken the lock for the next one
            const std::string message =
                messageOf<RuntimeError>([&] { StudyStore::open(path, StudyStore::Mode::ReadWrite); });
            QVERIFY2(message == path.string() + ": the study is being written by " +
                                    QCoreApplication::applicationName().toStdString() + " (pid " +
                                    std::to_string(QCoreApplication::applicationPid()) + " on " +
                                    QSysInfo::machineHostName().toStdString() +
                                    "); open it read-only or wait for that run to end",
                     message.c_str());
        }
        addCompleteTrial(*writer, 1); // the first writer is unaffected
        // The holder's lock file emptied by someone: still locked, and the message says it cannot name them.
        writeFile(path.string() + ".lock", QByteArray());
        const std::string anonymous =
            messageOf<RuntimeError>([&] { StudyStore::open(path, StudyStore::Mode::ReadWrite); });
        QVERIFY2(anonymous.find("being written by another process (its lock file") != std::string::npos,
                 anonymous.c_str());
        writer.reset();
        QVERIFY(StudyStore::open(path, StudyStore::Mode::ReadWrite) != nullptr);
    }

    void writerInAnotherProcessThenKilled()
    {
        const fs::path path = folder("lock-child") / "study.psc";
        StudyStore::create(path, kSpec).reset();
        QProcess child;
        child.start(QCoreApplication::applicationFilePath(),
                    {QStringLiteral("--hold-writer"), QString::fromStdString(path.string())});
        QVERIFY(child.waitForStarted());
        while (!child.canReadLine())
            QVERIFY2(child.waitForReadyRead(30000), qPrintable(child.readAllStandardError()));
        QCOMPARE(child.readLine(), QByteArray("R\n"));

        const std::string refused =
            messageOf<RuntimeError>([&] { StudyStore::open(path, StudyStore::Mode::ReadWrite); });
        QVERIFY2(refused.find("is being written by") != std::string::npos &&
                     refused.find("(pid " + std::to_string(child.processId())) != std::string::npos,
                 refused.c_str());
        QVERIFY(StudyStore::open(path, StudyStore::Mode::ReadOnly) != nullptr); // readers are welcome

        child.kill(); // SIGKILL: the lock file stays, naming a dead process; the kernel dropped its lock
        QVERIFY(child.waitForFinished());
        QVERIFY(fs::exists(path.string() + ".lock"));
        auto writer = StudyStore::open(path, StudyStore::Mode::ReadWrite);
        addCompleteTrial(*writer, 1);
    }

    // Item 5: checks come before any write, so a refused file keeps every byte (and gains no side file).
    void refusedSqliteFilesAreUnchanged_data()
    {
        QTest::addColumn<int>("userVersion");
        QTest::addColumn<bool>("wal");
        QTest::addColumn<QString>("why");
        const QString missing = QStringLiteral("not a complete study: table artifacts is missing, table metrics is "
                                               "missing, table study_meta is missing and table trials is missing");
        QTest::newRow("version 0, rollback journal") << 0 << false
                                                     << QStringLiteral("not a complete study: it has "
                                                                       "no study tables (schema version 0)");
        QTest::newRow("version 0, WAL") << 0 << true << QStringLiteral("schema version 0");
        QTest::newRow("version 1, other tables") << 1 << false << missing;
        QTest::newRow("version 1, other tables, WAL") << 1 << true << missing;
        // Version 3 added the exports table: a current file must have it too.
        QTest::newRow("current version, other tables")
            << studySchemaVersion() << false
            << QStringLiteral("not a complete study: table analog_accuracy is missing, table artifacts is missing, "
                              "table exports is missing, table "
                              "learning_curves is missing, table metrics is missing, table study_meta is missing and "
                              "table trials is missing");
    }

    void refusedSqliteFilesAreUnchanged()
    {
        QFETCH(int, userVersion);
        QFETCH(bool, wal);
        QFETCH(QString, why);
        const fs::path dir = folder("other-");
        const fs::path path = dir / "notes.psc";
        {
            RawDb raw(path);
            QCOMPARE(q(raw.exec("PRAGMA application_id = " + std::to_string(kStudyApplicationId) +
                                "; PRAGMA user_version = " + std::to_string(userVersion) +
                                (wal ? "; PRAGMA journal_mode = WAL" : "") +
                                "; CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT);"
                                "INSERT INTO notes (text) VALUES ('mine')")),
                     QString());
        }
        const QByteArray before = sha256(path);
        const QStringList filesBefore = entries(dir);
        for (auto mode : {StudyStore::Mode::ReadWrite, StudyStore::Mode::ReadOnly}) {
            const std::string message = messageOf<InputError>([&] { StudyStore::open(path, mode); });
            QVERIFY2(message.find(path.string() + ": ") == 0 && message.find(why.toStdString()) != std::string::npos,
                     message.c_str());
            QCOMPARE(sha256(path), before);
            QCOMPARE(entries(dir), filesBefore);
        }

        // The same refusal while another program has the file open (its -wal/-shm exist, so no immutable probe).
        if (wal) {
            RawDb other(path);
            QCOMPARE(other.queryInt("SELECT COUNT(*) FROM notes"), 1);
            QVERIFY(fs::exists(path.string() + "-shm"));
            const QByteArray held = sha256(path);
            const QByteArray heldWal = sha256(path.string() + "-wal");
            for (auto mode : {StudyStore::Mode::ReadWrite, StudyStore::Mode::ReadOnly}) {
                const std::string message = messageOf<InputError>([&] { StudyStore::open(path, mode); });
                QVERIFY2(message.find(why.toStdString()) != std::string::npos, message.c_str());
            }
            QCOMPARE(sha256(path), held);
            QCOMPARE(sha256(path.string() + "-wal"), heldWal);
            QVERIFY(!fs::exists(path.string() + ".lock"));
        }
    }

    // Item 6: a damaged study is refused at open in the user's terms, not with SQL text later.
    void damagedStudiesAreRefusedAtOpen_data()
    {
        QTest::addColumn<QString>("damage");
        QTest::addColumn<QString>("why");
        QTest::newRow("table dropped") << "DROP TABLE metrics"
                                       << "not a complete study: table metrics is missing";
        QTest::newRow("two tables dropped") << "DROP TABLE metrics; DROP TABLE artifacts"
                                            << "not a complete study: table artifacts is missing and table metrics "
                                               "is missing";
        QTest::newRow("table renamed") << "ALTER TABLE study_meta RENAME TO meta"
                                       << "not a complete study: table study_meta is missing";
        QTest::newRow("column dropped") << "ALTER TABLE artifacts DROP COLUMN created_at"
                                        << "not a complete study: table artifacts has no column created_at";
        QTest::newRow("truncated file") << "truncate"
                                        << "the study file is damaged";
        QTest::newRow("schema page overwritten") << "scribble"
                                                 << "the study file is damaged";
    }

    void damagedStudiesAreRefusedAtOpen()
    {
        QFETCH(QString, damage);
        QFETCH(QString, why);
        const fs::path dir = folder("damaged-");
        const fs::path path = dir / "study.psc";
        {
            auto store = StudyStore::create(path, kSpec);
            for (int i = 0; i < 40; ++i)
                addCompleteTrial(*store, i);
        }
        if (damage == "truncate") {
            fs::resize_file(path, fs::file_size(path) / 2);
        } else if (damage == "scribble") {
            QByteArray bytes = readAll(path);
            for (int i = 100; i < 4096; ++i) // page 1 after the header: the schema table
                bytes[i] = static_cast<char>(i * 13);
            writeFile(path, bytes);
        } else {
            RawDb raw(path);
            QCOMPARE(q(raw.exec(damage.toStdString())), QString());
        }
        const QByteArray before = sha256(path);
        for (auto mode : {StudyStore::Mode::ReadOnly, StudyStore::Mode::ReadWrite}) {
            const std::string message = messageOf<InputError>([&] { StudyStore::open(path, mode)->trials(); });
            QVERIFY2(message.find(path.string() + ": " + why.toStdString()) == 0, message.c_str());
            QVERIFY2(message.find("SELECT") == std::string::npos, message.c_str()); // no SQL for the user
            QCOMPARE(sha256(path), before);
        }
        QVERIFY(!fs::exists(path.string() + ".lock"));
    }

    // A table removed while a store has the study open: the next read says so in the same terms.
    void tableRemovedWhileOpen()
    {
        const fs::path path = folder("damaged-while-open") / "study.psc";
        StudyStore::create(path, kSpec).reset();
        auto reader = StudyStore::open(path, StudyStore::Mode::ReadOnly);
        QCOMPARE(reader->trials().size(), std::size_t(0));
        {
            RawDb raw(path);
            QCOMPARE(q(raw.exec("DROP TABLE metrics")), QString());
        }
        {
            RawDb raw(path);
            QCOMPARE(q(raw.exec("INSERT INTO trials (number, state, architecture_json, architecture_hash, "
                                "parameters_json, recipe_json, revision, created_at) "
                                "VALUES (0, 'pending', '{}', 'h', '{}', '{}', 1, 1.0)")),
                     QString());
        }
        QCOMPARE(q(messageOf<InputError>([&] { reader->trials(); })),
                 q(path.string() + ": not a complete study: table metrics is missing"));
    }

    // Item 7: artifacts carry a CRC-32; a damaged one is refused naming the trial.
    void damagedArtifactIsRefused()
    {
        const fs::path path = folder("crc") / "study.psc";
        std::int64_t id = 0, other = 0;
        {
            auto store = StudyStore::create(path, kSpec);
            addCompleteTrial(*store, 0);
            id = addCompleteTrial(*store, 1);
            other = addCompleteTrial(*store, 2);
            store->putArtifact(id, "tflite", "tflite", {1, 2, 3, 4});
        }
        const std::int64_t number = StudyStore::open(path, StudyStore::Mode::ReadOnly)->trial(id)->number;
        {
            RawDb raw(path);
            const std::int64_t rowid =
                raw.queryInt("SELECT rowid FROM artifacts WHERE kind = 'weights' AND trial_id = " + std::to_string(id));
            QVERIFY(raw.flipBlobByte("artifacts", "data", rowid, 1234));
            const std::int64_t tflite =
                raw.queryInt("SELECT rowid FROM artifacts WHERE kind = 'tflite' AND trial_id = " + std::to_string(id));
            QVERIFY(raw.flipBlobByte("artifacts", "data", tflite, 0));
        }
        for (auto mode : {StudyStore::Mode::ReadOnly, StudyStore::Mode::ReadWrite}) {
            auto store = StudyStore::open(path, mode);
            const std::string label = path.string() + ": trial " + std::to_string(number);
            QCOMPARE(q(messageOf<InputError>([&] { store->artifact(id, "weights"); })),
                     q(label + ": stored weights are damaged (checksum mismatch)"));
            QCOMPARE(q(messageOf<InputError>([&] { store->artifact(id, "tflite"); })),
                     q(label + ": stored artifact 'tflite' is damaged (checksum mismatch)"));
            QVERIFY(store->artifact(other, "weights") == std::optional(sampleWeights(other))); // others still read
            QCOMPARE(store->artifacts(id).size(), std::size_t(2));                             // listing works
            QCOMPARE(q(store->integrityCheck()),
                     q("trial " + std::to_string(number) +
                       ": stored artifact 'tflite' is damaged (checksum mismatch)\n" + "trial " +
                       std::to_string(number) + ": stored weights are damaged (checksum mismatch)"));
        }
        // Storing the artifact again repairs it.
        auto store = StudyStore::open(path, StudyStore::Mode::ReadWrite);
        store->putArtifact(id, "weights", "test-bytes", sampleWeights(id));
        QVERIFY(store->artifact(id, "weights") == std::optional(sampleWeights(id)));
    }

    // A study written by schema version 1 (no checksums) is upgraded; its artifacts read as before.
    void versionOneArtifactsReadUnchecked()
    {
        const fs::path path = folder("v1") / "study.psc";
        {
            RawDb raw(path);
            const auto &initial = studySchemaMigrations()[0];
            QCOMPARE(q(raw.exec("PRAGMA application_id = " + std::to_string(kStudyApplicationId) +
                                "; PRAGMA journal_mode = WAL; BEGIN; " + std::string(initial.sql) +
                                "INSERT INTO study_meta VALUES ('spec_json', '{}');"
                                "INSERT INTO trials (id, number, state, architecture_json, architecture_hash, "
                                "parameters_json, recipe_json, revision, created_at) "
                                "VALUES (7, 0, 'complete', '{}', 'h', '{}', '{}', 1, 1.0);"
                                "INSERT INTO artifacts VALUES (7, 'weights', 'test-bytes', x'0102030405', 1.0);"
                                "PRAGMA user_version = 1; COMMIT")),
                     QString());
        }
        QVERIFY(messageOf<InputError>([&] {
                    StudyStore::open(path, StudyStore::Mode::ReadOnly);
                }).find("open it read-write once to upgrade it") != std::string::npos);
        {
            auto store = StudyStore::open(path, StudyStore::Mode::ReadWrite);
            QCOMPARE(store->schemaVersion(), studySchemaVersion());
            QVERIFY(store->artifact(7, "weights") == std::optional(std::vector<std::uint8_t>{1, 2, 3, 4, 5}));
            store->putArtifact(7, "tflite", "tflite", {9, 9});
        }
        {
            RawDb raw(path);
            QCOMPARE(raw.queryInt("SELECT crc32 IS NULL FROM artifacts WHERE kind = 'weights'"), 1);
            QCOMPARE(raw.queryInt("SELECT crc32 IS NOT NULL FROM artifacts WHERE kind = 'tflite'"), 1);
            QVERIFY(raw.flipBlobByte("artifacts", "data",
                                     raw.queryInt("SELECT rowid FROM artifacts WHERE kind = "
                                                  "'weights'"),
                                     0));
            QVERIFY(raw.flipBlobByte("artifacts", "data",
                                     raw.queryInt("SELECT rowid FROM artifacts WHERE kind = "
                                                  "'tflite'"),
                                     0));
        }
        auto store = StudyStore::open(path, StudyStore::Mode::ReadOnly);
        // Without a checksum a damaged old artifact cannot be told from a good one: it reads as stored.
        QVERIFY(store->artifact(7, "weights") == std::optional(std::vector<std::uint8_t>{0xfe, 2, 3, 4, 5}));
        QVERIFY(messageOf<InputError>([&] { store->artifact(7, "tflite"); }).find("trial 0: stored artifact") !=
                std::string::npos);
    }
};

int main(int argc, char **argv)
{
    if (argc == 3 && std::strcmp(argv[1], "--hold-writer") == 0)
        return holdWriter(argv[2]);
    QCoreApplication app(argc, argv);
    TestStudyStoreFaults test;
    return QTest::qExec(&test, argc, argv);
}

#include "tst_studystorefaults.moc"
