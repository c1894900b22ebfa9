// SPDX-License-Identifier: GPL-3.0-or-later
// writeFilesAtomically(): all files or none, refusals before any write, no temporary files left behind.
#include "psc/core/atomicfile.h"
#include "psc/core/error.h"

#include "testsupport.h"

#include <QDir>
#include <QTemporaryDir>
#include <QTest>

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
};

QTEST_GUILESS_MAIN(TestAtomicFile)
#include "tst_atomicfile.moc"
