// SPDX-License-Identifier: GPL-3.0-or-later
// Studies on storage that fails: a file system that fills up, read-only mounts, folders the user cannot write
// (docs/faults.md).
//
// How the faults are made: main() moves this process into a private mount namespace (unshare(CLONE_NEWNS),
// as root; otherwise inside a new user namespace, where an unprivileged user may mount tmpfs and bind mounts),
// so small tmpfs file systems and read-only bind mounts can be mounted without touching the host's mounts;
// they vanish with the process. Where mounting is impossible (a container without CAP_SYS_ADMIN and without
// user namespaces) those tests are skipped and say why. Root ignores permission bits, so the "folder you cannot
// write" case runs in a child that drops to uid 65534 (nobody) first; a non-root run uses chmod directly.
//
// Child modes of this executable (the writer must be another process, so that a crash shows as a signal):
//   --fill FILE create|open   create or open FILE read-write and add trials until a write fails; prints "R"
//                             once open, "C <id>" per committed trial, "E <message>" at the end; exit 1 or 2.
//   --as-nobody ro|rw FILE    drop to uid/gid 65534 and open FILE read-only or read-write; prints
//                             "OK <trials> <readOnlyStorage>" or "E <InputError message>".
#include "studyfaulthelpers.h"

#include "psc/core/error.h"
#include "psc/study/studystore.h"

#include <QCoreApplication>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <set>

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

using namespace psc;
using namespace psc::testing;
namespace fs = std::filesystem;

namespace {

const std::string kSpec = R"({"name": "storage"})";

std::string g_noMounts; ///< why mounting is impossible here; empty if main() set up a private namespace

bool writeText(const char *file, const std::string &text)
{
    std::ofstream out(file);
    out << text;
    return static_cast<bool>(out.flush());
}

void enterPrivateMountNamespace()
{
    if (::unshare(CLONE_NEWNS) != 0) {
        const int asRoot = errno;
        const uid_t uid = ::geteuid();
        const gid_t gid = ::getegid();
        if (::unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0) {
            g_noMounts = std::string("cannot create a private mount namespace (") + std::strerror(asRoot) + ", " +
                         std::strerror(errno) + " for a user namespace)";
            return;
        }
        if (!writeText("/proc/self/setgroups", "deny") ||
            !writeText("/proc/self/uid_map", "0 " + std::to_string(uid) + " 1") ||
            !writeText("/proc/self/gid_map", "0 " + std::to_string(gid) + " 1")) {
            g_noMounts = "cannot map the user into a user namespace";
            return;
        }
    }
    if (::mount("none", "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
        g_noMounts = std::string("cannot make mounts private: ") + std::strerror(errno);
}

std::int64_t freeBytesIn(const fs::path &dir)
{
    struct statvfs vfs
    {
    };
    return ::statvfs(dir.c_str(), &vfs) == 0 ? std::int64_t(vfs.f_bavail) * std::int64_t(vfs.f_frsize) : -1;
}

/** Fills the file system of `dir` with a file until about `leaveBytes` are free. */
void fillUpTo(const fs::path &dir, std::int64_t leaveBytes)
{
    const std::int64_t toWrite = freeBytesIn(dir) - leaveBytes;
    const int fd = ::open((dir / "filler").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    QVERIFY(fd >= 0);
    const std::vector<char> chunk(4096, 'x');
    for (std::int64_t written = 0; written < toWrite;) {
        const auto n = ::write(fd, chunk.data(), std::size_t(std::min<std::int64_t>(4096, toWrite - written)));
        if (n <= 0)
            break;
        written += n;
    }
    ::close(fd);
}

/** A mount that is detached when this goes out of scope, so the temporary folders can be removed. */
class Mount
{
public:
    Mount() = default;
    ~Mount()
    {
        if (!m_at.empty())
            ::umount2(m_at.c_str(), MNT_DETACH);
    }
    Mount(const Mount &) = delete;
    Mount &operator=(const Mount &) = delete;

    bool tmpfs(const fs::path &at, int kib)
    {
        fs::create_directories(at);
        const std::string options = "size=" + std::to_string(kib) + "k";
        if (::mount("tmpfs", at.c_str(), "tmpfs", 0, options.c_str()) != 0)
            return false;
        m_at = at;
        return true;
    }
    /** Grows (or shrinks) a tmpfs mounted by tmpfs(), as freeing space on a real disk would. */
    bool resizeTmpfs(int kib)
    {
        const std::string options = "size=" + std::to_string(kib) + "k";
        return ::mount(nullptr, m_at.c_str(), nullptr, MS_REMOUNT, options.c_str()) == 0;
    }
    bool readOnlyBind(const fs::path &from, const fs::path &at)
    {
        fs::create_directories(at);
        if (::mount(from.c_str(), at.c_str(), nullptr, MS_BIND, nullptr) != 0)
            return false;
        m_at = at;
        return ::mount(nullptr, at.c_str(), nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY, nullptr) == 0;
    }

private:
    fs::path m_at;
};

void say(const std::string &line)
{
    std::cout << line << std::endl;
}

int fillChild(const char *file, bool create)
{
    try {
        auto store = create ? StudyStore::create(file, kSpec) : StudyStore::open(file, StudyStore::Mode::ReadWrite);
        say("R");
        for (int i = 0;; ++i)
            say("C " + std::to_string(addCompleteTrial(*store, i)));
    } catch (const InputError &error) {
        say(std::string("E ") + error.what());
        return 2;
    } catch (const std::exception &error) {
        say(std::string("E ") + error.what());
        return 1;
    }
}

int asNobody(const char *mode, const char *file)
{
    if (::setgid(65534) != 0 || ::setuid(65534) != 0) {
        say(std::string("S cannot drop privileges: ") + std::strerror(errno));
        return 3;
    }
    try {
        auto store = StudyStore::open(file, std::strcmp(mode, "rw") == 0 ? StudyStore::Mode::ReadWrite
                                                                         : StudyStore::Mode::ReadOnly);
        say("OK " + std::to_string(store->trials().size()) + " " + (store->readOnlyStorage() ? "1" : "0"));
    } catch (const InputError &error) {
        say(std::string("E ") + error.what());
    } catch (const std::exception &error) {
        say(std::string("X ") + error.what()); // the wrong kind of error: exit code 1 instead of 2
    }
    return 0;
}

struct ChildResult
{
    bool crashed = false;
    int exitCode = -1;
    QList<QByteArray> lines;
};

ChildResult runChild(const QStringList &arguments)
{
    QProcess child;
    child.start(QCoreApplication::applicationFilePath(), arguments);
    ChildResult result;
    if (!child.waitForStarted() || !child.waitForFinished(120000)) {
        result.crashed = true;
        return result;
    }
    result.crashed = child.exitStatus() != QProcess::NormalExit;
    result.exitCode = child.exitCode();
    result.lines = child.readAllStandardOutput().split('\n');
    result.lines.removeAll(QByteArray());
    if (result.crashed)
        qWarning("child died (signal?): %s", child.readAllStandardError().constData());
    return result;
}

} // namespace

class TestStudyStoreStorage : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    int m_folders = 0;
    fs::path folder(const char *name)
    {
        const fs::path dir = fs::path(m_dir.path().toStdString()) / (name + std::to_string(++m_folders));
        fs::create_directories(dir);
        return dir;
    }

private Q_SLOTS:
    void initTestCase() { QVERIFY(m_dir.isValid()); }

    // Item 2: a full disk gives "disk full" (exit 1), never a signal, never a damaged or half-made study, and
    // no lock file left behind.
    void fullDiskWhileCreatingAndRunning_data()
    {
        QTest::addColumn<int>("freeKib");
        for (int kib : {0, 8, 40, 100, 300, 900, 1100, 1300, 1700, 2600})
            QTest::newRow(qPrintable(QStringLiteral("%1 KiB free").arg(kib))) << kib;
    }

    void fullDiskWhileCreatingAndRunning()
    {
        if (!g_noMounts.empty())
            QSKIP(g_noMounts.c_str());
        QFETCH(int, freeKib);
        const fs::path dir = folder("full");
        Mount mount;
        QVERIFY2(mount.tmpfs(dir, 3072), std::strerror(errno));
        fillUpTo(dir, std::int64_t(freeKib) * 1024);
        const fs::path path = dir / "study.psc";

        const ChildResult child = runChild({"--fill", QString::fromStdString(path.string()), "create"});
        QVERIFY2(!child.crashed, "the writer died from a signal (SIGBUS from a memory-mapped file?)");
        QVERIFY(!child.lines.isEmpty());
        const QByteArray last = child.lines.last();
        QVERIFY2(last.startsWith("E ") && last.contains(": disk full"), last.constData());
        QCOMPARE(child.exitCode, 1);
        QVERIFY(!last.contains("SELECT") && !last.contains("disk I/O error"));
        std::set<std::int64_t> committed;
        for (const QByteArray &line : child.lines) {
            if (line.startsWith("C "))
                committed.insert(line.mid(2).toLongLong());
        }

        // Nothing is left that locks or confuses the next run: no lock, no temporary, no orphaned side files.
        const QStringList left = entries(dir);
        for (const QString &name : left)
            QVERIFY2(name == "filler" || name == "study.psc" || name == "study.psc-wal" || name == "study.psc-shm",
                     qPrintable(left.join(' ')));
        if (!child.lines.contains("R")) {
            QCOMPARE(left, QStringList{"filler"}); // creation failed: nothing half-made
            return;
        }
        // Space again (the WAL itself may hold most of the small disk): the study must be intact and hold every
        // committed trial.
        fs::remove(dir / "filler");
        QVERIFY(mount.resizeTmpfs(16384));
        auto store = StudyStore::open(path, StudyStore::Mode::ReadWrite);
        QCOMPARE(q(store->integrityCheck()), QStringLiteral("ok"));
        for (const std::int64_t id : committed) {
            const auto trial = store->trial(id);
            QVERIFY(trial && trial->state == TrialState::Complete);
            QVERIFY(store->artifact(id, "weights") == std::optional(sampleWeights(id)));
        }
        QVERIFY(store->trials().size() <= committed.size() + 1); // at most the trial in flight besides
        store.reset();
        QCOMPARE(entries(dir), QStringList{"study.psc"});
    }

    void fullDiskWhenOpening()
    {
        if (!g_noMounts.empty())
            QSKIP(g_noMounts.c_str());
        const fs::path dir = folder("fullopen");
        Mount mount;
        QVERIFY(mount.tmpfs(dir, 2048));
        const fs::path path = dir / "study.psc";
        {
            auto store = StudyStore::create(path, kSpec);
            addCompleteTrial(*store, 1);
        }
        const QByteArray before = sha256(path);
        fillUpTo(dir, 20 * 1024);
        const ChildResult child = runChild({"--fill", QString::fromStdString(path.string()), "open"});
        QVERIFY(!child.crashed);
        QCOMPARE(child.exitCode, 1);
        QVERIFY2(
            child.lines.value(0).startsWith("E " + QByteArray::fromStdString(path.string()) + ": disk full: only "),
            child.lines.value(0).constData());
        QCOMPARE(sha256(path), before);
        QCOMPARE(entries(dir), (QStringList{"filler", "study.psc"}));
        // Reading still works: no room for a -shm file, so the file is read as on read-only storage.
        auto reader = StudyStore::open(path, StudyStore::Mode::ReadOnly);
        QVERIFY(reader->readOnlyStorage());
        QCOMPARE(reader->trials().size(), std::size_t(1));
        QCOMPARE(entries(dir), (QStringList{"filler", "study.psc"}));
    }

    // Item 4: read-only storage is read as it is; writing is refused in the user's terms.
    void readOnlyMount()
    {
        if (!g_noMounts.empty())
            QSKIP(g_noMounts.c_str());
        const fs::path source = folder("rosource");
        {
            auto store = StudyStore::create(source / "study.psc", kSpec);
            for (int i = 0; i < 5; ++i)
                addCompleteTrial(*store, i);
        }
        const fs::path dir = folder("ro");
        Mount mount;
        QVERIFY2(mount.readOnlyBind(source, dir), std::strerror(errno));
        const fs::path path = dir / "study.psc";
        const QByteArray before = sha256(path);
        {
            auto store = StudyStore::open(path, StudyStore::Mode::ReadOnly);
            QVERIFY(store->readOnlyStorage());
            QCOMPARE(store->trials().size(), std::size_t(5));
            QCOMPARE(q(store->integrityCheck()), QStringLiteral("ok"));
            const auto id = store->trials().back().id;
            QVERIFY(store->artifact(id, "weights") == std::optional(sampleWeights(id)));
        }
        QCOMPARE(q(messageOf<InputError>([&] { StudyStore::open(path, StudyStore::Mode::ReadWrite); })),
                 q(path.string() + ": cannot write the study: " + path.string() +
                   " is on read-only storage; open it read-only, or copy it to a writable folder"));
        QVERIFY(messageOf<InputError>([&] {
                    StudyStore::create(dir / "new.psc", kSpec);
                }).find("cannot create the study: " + dir.string() + " is on read-only storage") != std::string::npos);
        QCOMPARE(sha256(path), before);
        QCOMPARE(entries(source), QStringList{"study.psc"});
        QVERIFY(!StudyStore::open(source / "study.psc", StudyStore::Mode::ReadOnly)->readOnlyStorage());
    }

    // A study still being written elsewhere, seen through a read-only mount: its -wal and -shm exist.
    void readOnlyMountOfAStudyInUse()
    {
        if (!g_noMounts.empty())
            QSKIP(g_noMounts.c_str());
        const fs::path source = folder("inuse");
        auto writer = StudyStore::create(source / "study.psc", kSpec);
        for (int i = 0; i < 4; ++i)
            addCompleteTrial(*writer, i);
        QVERIFY(fs::file_size(source / "study.psc-wal") > 0);

        // A copy taken while it was written, but without its -shm: the -wal cannot be read without one.
        const fs::path copy = folder("walonly");
        fs::copy_file(source / "study.psc", copy / "study.psc");
        fs::copy_file(source / "study.psc-wal", copy / "study.psc-wal");

        const fs::path dir = folder("inusero"), copyDir = folder("walonlyro");
        Mount mount, copyMount;
        QVERIFY(mount.readOnlyBind(source, dir));
        QVERIFY(copyMount.readOnlyBind(copy, copyDir));
        {
            auto reader = StudyStore::open(dir / "study.psc", StudyStore::Mode::ReadOnly);
            QVERIFY(reader->readOnlyStorage());
            QCOMPARE(reader->trials().size(), std::size_t(4));
        }
        const std::string refused =
            messageOf<InputError>([&] { StudyStore::open(copyDir / "study.psc", StudyStore::Mode::ReadOnly); });
        QVERIFY2(refused.find("-wal holds work not yet written into the study file, and the folder is not "
                              "writable or full") != std::string::npos,
                 refused.c_str());
        writer.reset();
        auto reader = StudyStore::open(dir / "study.psc", StudyStore::Mode::ReadOnly);
        QCOMPARE(reader->trials().size(), std::size_t(4));
    }

    void folderTheUserCannotWrite()
    {
        const fs::path dir = folder("locked");
        const fs::path path = dir / "study.psc";
        const fs::path unreadable = dir / "private.psc";
        {
            auto store = StudyStore::create(path, kSpec);
            addCompleteTrial(*store, 1);
            addCompleteTrial(*store, 2);
        }
        fs::copy_file(path, unreadable);
        // Everyone may read and enter, nobody but root may write; private.psc nobody but root may read.
        fs::permissions(m_dir.path().toStdString(), fs::perms(0755));
        fs::permissions(dir, fs::perms(0555));
        fs::permissions(path, fs::perms(0644));
        fs::permissions(unreadable, fs::perms::none);
        const QByteArray before = sha256(path);
        const QString readOnly = openAsOtherUser("ro", path);
        const QString readWrite = openAsOtherUser("rw", path);
        const QString unreadableOpen = openAsOtherUser("ro", unreadable);
        fs::permissions(dir, fs::perms(0755));
        if (readOnly.startsWith("S "))
            QSKIP(qPrintable(readOnly));
        QCOMPARE(readOnly, QStringLiteral("OK 2 1"));
        QVERIFY2(readWrite.startsWith(q("E " + path.string() + ": cannot write the study: " + path.string() +
                                        " is in a folder you cannot write (" + dir.string())),
                 qPrintable(readWrite));
        QCOMPARE(unreadableOpen, q("E " + unreadable.string() + ": cannot read the study file (Permission denied)"));
        QCOMPARE(sha256(path), before);
        QCOMPARE(entries(dir), (QStringList{"private.psc", "study.psc"}));
    }

    // A writable folder, but the -wal and -shm belong to another user's writer that is still running.
    void sideFilesOfAnotherUser()
    {
        if (::geteuid() != 0 || !g_noMounts.empty())
            QSKIP("needs real root to act as two users");
        const fs::path dir = folder("shared");
        const fs::path path = dir / "study.psc";
        auto writer = StudyStore::create(path, kSpec);
        for (int i = 0; i < 3; ++i)
            addCompleteTrial(*writer, i); // in the WAL, which only root may write
        fs::permissions(m_dir.path().toStdString(), fs::perms(0755));
        fs::permissions(dir, fs::perms(0777));
        fs::permissions(path, fs::perms(0666));
        QCOMPARE(openAsOtherUser("ro", path), QStringLiteral("OK 3 0")); // SQLite reads a -shm it cannot write
        const QString readWrite = openAsOtherUser("rw", path);
        QVERIFY2(readWrite == q("E " + path.string() + ": cannot write the study: " + path.string() +
                                " has a side file you cannot write (" + path.string() +
                                "-wal: Permission denied; left by another user's Paretoscope?); open it read-only, "
                                "or copy it to a writable folder"),
                 qPrintable(readWrite));
        writer.reset();
        QCOMPARE(StudyStore::open(path, StudyStore::Mode::ReadOnly)->trials().size(), std::size_t(3));
    }

private:
    /** Opens `file` as uid 65534 (a child process when root, this process otherwise); see asNobody(). */
    static QString openAsOtherUser(const char *mode, const fs::path &file)
    {
        if (::geteuid() == 0) {
            const ChildResult child = runChild({"--as-nobody", mode, QString::fromStdString(file.string())});
            if (child.crashed || child.lines.size() != 1)
                return QStringLiteral("child failed");
            if (child.exitCode == 3)
                return QString::fromUtf8(child.lines[0]);
            return QString::fromUtf8(child.lines[0]);
        }
        try {
            auto store = StudyStore::open(file, std::strcmp(mode, "rw") == 0 ? StudyStore::Mode::ReadWrite
                                                                             : StudyStore::Mode::ReadOnly);
            return QStringLiteral("OK %1 %2").arg(store->trials().size()).arg(store->readOnlyStorage() ? 1 : 0);
        } catch (const InputError &error) {
            return QStringLiteral("E ") + error.what();
        } catch (const std::exception &error) {
            return QStringLiteral("X ") + error.what();
        }
    }
};

int main(int argc, char **argv)
{
    if (argc == 4 && std::strcmp(argv[1], "--fill") == 0)
        return fillChild(argv[2], std::strcmp(argv[3], "create") == 0);
    if (argc == 4 && std::strcmp(argv[1], "--as-nobody") == 0)
        return asNobody(argv[2], argv[3]);
    enterPrivateMountNamespace(); // before any thread exists: a user namespace needs a single-threaded process
    QCoreApplication app(argc, argv);
    TestStudyStoreStorage test;
    return QTest::qExec(&test, argc, argv);
}

#include "tst_studystorestorage.moc"
