// SPDX-License-Identifier: GPL-3.0-or-later
// Studies on a PostgreSQL server from the command line and the window: `copy` both ways with its exit codes,
// `show` and `run --create-only` on a URL, and a window that follows a server study another process writes.
#include "mainwindow.h"

#include "models/trialtablemodel.h"
#include "views/studyview.h"

#include "psc/study/studyspec.h"
#include "psc/study/studystore.h"

#include "postgrestest.h"
#include "processresult.h"

#include <QApplication>
#include <QElapsedTimer>
#include <QTemporaryDir>
#include <QTest>

using namespace psc;
using psc::test::runApp;

namespace {

void addTrial(StudyStore &store, int i)
{
    Trial t;
    store.insertTrial(t);
    store.finishTrial(t.id, TrialState::Complete,
                      {{"", "deployed_accuracy", 0.6 + 0.05 * i}, {"", "weight_bytes", 4000.0 * (1 + (i * 5) % 7)}}, "",
                      1.0);
}

} // namespace

class TestServerStudy : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    QString m_file;

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(!psc::test::postgresBaseUrl().empty(), "no test server: run through ctest (fixture postgres)");
        m_file = m_dir.filePath(QStringLiteral("study.psc"));
        const StudySpec spec = StudySpec::fromFile(PSC_SOURCE_DIR "/resources/studies/fashion-mnist-demo.json");
        auto store = StudyStore::create(m_file.toStdString(), spec.toJson());
        for (int i = 0; i < 3; ++i)
            addTrial(*store, i);
    }

    void copyBothWays()
    {
        const QString url = QString::fromStdString(psc::test::newServerStudy("cli"));
        auto r = runApp({QStringLiteral("copy"), m_file, url});
        QCOMPARE(r.exitCode, 0);
        QCOMPARE(r.out, QStringLiteral("3 trials copied: %1\n").arg(url));
        r = runApp({QStringLiteral("show"), url});
        QCOMPARE(r.exitCode, 0);
        QVERIFY2(r.out.startsWith(QStringLiteral("study fashion-mnist-demo (%1): 3 trials").arg(url)),
                 qPrintable(r.out));
        const QString back = m_dir.filePath(QStringLiteral("back.psc"));
        r = runApp({QStringLiteral("copy"), url, back});
        QCOMPARE(r.exitCode, 0);
        QCOMPARE(StudyStore::open(back.toStdString(), StudyStore::Mode::ReadOnly)->trials().size(), std::size_t(3));

        // Bad input: exit 2 and one line naming it; the destination is not touched.
        r = runApp({QStringLiteral("copy"), m_file, url});
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains(url + QStringLiteral(": already exists")), qPrintable(r.err));
        r = runApp({QStringLiteral("copy"), m_dir.filePath(QStringLiteral("missing.psc")), url});
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains(QStringLiteral("missing.psc: no such study file")), qPrintable(r.err));
        r = runApp({QStringLiteral("copy"), m_file, QStringLiteral("postgresql://psc:s3cret@127.0.0.1/db?study=x")});
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains(QStringLiteral("the URL holds a password")), qPrintable(r.err));
        QVERIFY(!r.err.contains(QStringLiteral("s3cret")));
        // A server that is not there is a runtime failure (exit 1): nothing the input could fix.
        r = runApp({QStringLiteral("copy"), QStringLiteral("postgresql://psc@127.0.0.1:1/psc_test?study=x"),
                    m_dir.filePath(QStringLiteral("never.psc"))});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains(QStringLiteral("cannot connect to the PostgreSQL server")), qPrintable(r.err));
        QVERIFY(!QFile::exists(m_dir.filePath(QStringLiteral("never.psc"))));
    }

    void runCreatesOnlyWhenAsked()
    {
        const QString url = QString::fromStdString(psc::test::newServerStudy("create"));
        const auto r = runApp({QStringLiteral("run"), QStringLiteral("--create-only"), QStringLiteral("--db"), url,
                               QStringLiteral(PSC_SOURCE_DIR "/resources/studies/fashion-mnist-demo.json")});
        QCOMPARE(r.exitCode, 0);
        QVERIFY2(r.out.startsWith(QStringLiteral("created %1; 'paretoscope resume %1' trains it").arg(url)),
                 qPrintable(r.out));
        const auto store = StudyStore::open(url.toStdString(), StudyStore::Mode::ReadOnly);
        QCOMPARE(store->trialCounts().total(), std::int64_t(0));
        QCOMPARE(StudySpec::fromJson(store->specJson(), "stored").name, std::string("fashion-mnist-demo"));
    }

    void windowFollowsAServerStudy()
    {
        const QString url = QString::fromStdString(psc::test::newServerStudy("live"));
        QCOMPARE(StudyStore::copy(m_file.toStdString(), url.toStdString()), std::int64_t(3));
        MainWindow w;
        QVERIFY(w.openStudy(url));
        QCOMPARE(w.view()->model()->rowCount(), 3);
        QVERIFY2(w.windowTitle().contains(url), qPrintable(w.windowTitle()));
        // Another process (here: another connection) writes; the window polls and shows the new trial.
        {
            auto writer = StudyStore::open(url.toStdString(), StudyStore::Mode::ReadWrite);
            addTrial(*writer, 3);
        }
        QTRY_COMPARE_WITH_TIMEOUT(w.view()->model()->rowCount(), 4, 10000);
    }
};

QTEST_MAIN(TestServerStudy)
#include "tst_serverstudy.moc"
