// SPDX-License-Identifier: GPL-3.0-or-later
// writeFilesAtomically(): all files or none, refusals before any write, no temporary files left behind.
#include "psc/core/atomicfile.h"
#include "psc/core/error.h"

#include "testsupport.h"

#include <QDir>
#include <QElapsedTimer>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include <csignal>

#include <sys/wait.h>
#include <unistd.h>

using namespace psc;
namespace fs = std::filesystem;

namespace {

std::string contents(const fs::path &path)
{
    return psc::test::readAll(path).toStdString();
}

template <typename E> std::string messageOf(const std::function<void()> &f)
{
    try {
        f();
    } catch (const E &e) {
        return e.what();
    }
    return "no exception";
}

} // namespace

class TestAtomicFile : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void writesAllAndRefusesToReplace()
    {
        QTemporaryDir dir;
        const fs::path a = dir.filePath("m.c").toStdString(), b = dir.filePath("m.h").toStdString();
        writeFilesAtomically({{a, "source"}, {b, "header"}}, false);
        QCOMPARE(contents(a), std::string("source"));
        QCOMPARE(contents(b), std::string("header"));

        // Existing files: refused as a whole, nothing changed.
        QCOMPARE(messageOf<InputError>([&] {
                     writeFilesAtomically({{a, "new"}, {b, "new"}}, false);
                 }),
                 a.string() + ": exists; give --force to replace it");
        QCOMPARE(contents(a), std::string("source"));
        writeFilesAtomically({{a, "new source"}, {b, ""}}, true);
        QCOMPARE(contents(a), std::string("new source"));
        QCOMPARE(contents(b), std::string());
        QCOMPARE(QDir(dir.path()).entryList(QDir::Files), (QStringList{"m.c", "m.h"})); // no .partial left
    }

    void refusesBeforeWriting()
    {
        QTemporaryDir dir;
        const fs::path ok = dir.filePath("ok.c").toStdString();
        const fs::path nowhere = dir.filePath("no/such/x.h").toStdString();
        QVERIFY(messageOf<InputError>([&] {
                    writeFilesAtomically({{ok, "x"}, {nowhere, "y"}}, false);
                }).find("the folder " + nowhere.parent_path().string() + " does not exist") != std::string::npos);
        QVERIFY(!fs::exists(ok)); // the first file is not written either
        QVERIFY(QDir(dir.path()).mkdir("sub"));
        QCOMPARE(messageOf<InputError>([&] {
                     writeFilesAtomically({{dir.filePath("sub").toStdString(), "x"}}, true);
                 }),
                 dir.filePath("sub").toStdString() + ": cannot write: it is a folder");
        QVERIFY(QDir(dir.path()).entryList(QDir::Files).isEmpty());
    }

    // A process killed in the middle of writing (Ctrl-C without a handler, kill -9) leaves the target as it was:
    // only its temporary file, never a truncated target; the next write replaces it.
    void killedMidWriteLeavesTheTargetAlone_data()
    {
        QTest::addColumn<int>("signal");
        QTest::newRow("SIGINT") << int(SIGINT);
        QTest::newRow("SIGKILL") << int(SIGKILL);
    }

    void killedMidWriteLeavesTheTargetAlone()
    {
        QFETCH(int, signal);
        QTemporaryDir dir;
        const fs::path target = dir.filePath(QStringLiteral("model.c")).toStdString();
        writeFilesAtomically({{target, "the old export\n"}}, false);
        const pid_t child = ::fork();
        QVERIFY(child >= 0);
        if (child == 0) {
            ::signal(SIGINT, SIG_DFL);
            try {
                writeFilesAtomically({{target, std::string(std::size_t(1) << 30, 'x')}}, true); // 1 GiB: takes a while
            } catch (...) {
            }
            ::_exit(0);
        }
        // Wait until the child is writing its temporary file, then stop it there.
        const fs::path partial = target.string() + ".partial-" + std::to_string(child);
        QElapsedTimer clock;
        clock.start();
        std::error_code ec;
        while (!(fs::exists(partial, ec) && fs::file_size(partial, ec) > (1u << 20)) && clock.elapsed() < 20000)
            QThread::usleep(200);
        ::kill(child, signal);
        int status = 0;
        ::waitpid(child, &status, 0);
        QVERIFY2(WIFSIGNALED(status) && WTERMSIG(status) == signal, "the writer finished before it was stopped");
        QCOMPARE(contents(target), std::string("the old export\n"));
        // The next export replaces the target and is complete.
        writeFilesAtomically({{target, "the new export\n"}}, true);
        QCOMPARE(contents(target), std::string("the new export\n"));
    }
};

QTEST_GUILESS_MAIN(TestAtomicFile)
#include "tst_atomicfile.moc"
