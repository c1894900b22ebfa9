// SPDX-License-Identifier: GPL-3.0-or-later
// The installed program (docs/install.md): `cmake --install` into a temporary DESTDIR, then the installed
// executable run with the source and build trees out of reach (a private mount namespace lays empty file systems
// over both), so that every file it needs must come from the installed layout. Then the Debian package's contents
// and fields (cpack -G DEB).
#include "processresult.h"
#include "testsupport.h"

#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

#include <unistd.h>

using psc::test::writeFile;
using Result = psc::test::ProcessResult;

namespace {

Result run(const QString &program, const QStringList &args, const QProcessEnvironment &env)
{
    return psc::test::runProcess(program, args, env, 300000);
}

const QString kSource = QDir::cleanPath(QStringLiteral(PSC_SOURCE_DIR));
const QString kBuild = QDir::cleanPath(QStringLiteral(PSC_BINARY_DIR));

} // namespace

class TestInstall : public QObject
{
    Q_OBJECT

    QTemporaryDir m_stage; ///< the DESTDIR
    QTemporaryDir m_work;  ///< the user's home, data and studies
    QString m_exe;
    QStringList m_isolation; ///< unshare + mounts that hide the trees, before the program and its arguments
    QProcessEnvironment m_env;

    /** The installed executable, run with the source and build trees hidden. */
    Result app(const QStringList &args)
    {
        return run(m_isolation.front(), m_isolation.mid(1) + QStringList{m_exe} + args, m_env);
    }

    QString installed(const QString &relative) const { return m_stage.filePath(QStringLiteral("usr/") + relative); }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_stage.isValid() && m_work.isValid());
        // Install exactly as a packager does: prefix /usr, staged under DESTDIR.
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("DESTDIR"), m_stage.path());
        const Result install = run(QStringLiteral(PSC_CMAKE_COMMAND), {"--install", kBuild, "--prefix", "/usr"}, env);
        QVERIFY2(install.exitCode == 0, qPrintable(install.out + install.err));
        m_exe = installed(QStringLiteral("bin/paretoscope"));
        QVERIFY(QFileInfo(m_exe).isExecutable());

        // Hide both trees: the build tree first (it may lie inside the source tree), each under an empty tmpfs.
        // Without root, a user namespace maps us to root inside it.
        const QString script = QStringLiteral("set -e; for d in \"$PSC_HIDE_BUILD\" \"$PSC_HIDE_SOURCE\"; do mount -t "
                                              "tmpfs -o size=1m psc-hidden \"$d\"; "
                                              "done; cd \"$PSC_WORK\"; exec \"$@\"");
        m_isolation = QStringList{QStringLiteral("unshare"), QStringLiteral("--mount")};
        if (::geteuid() != 0)
            m_isolation << QStringLiteral("--map-root-user");
        m_isolation << QStringLiteral("sh") << QStringLiteral("-c") << script << QStringLiteral("sh");
        m_env = QProcessEnvironment::systemEnvironment();
        for (const char *name : {"PSC_DATA_DIR", "PSC_TARGETS_DIR", "PSC_TRAINER_MODULE", "PSC_PLUGIN_PATH",
                                 "PSC_CORTEXM_DIR", "PSC_INSN_PLUGIN", "XDG_DATA_DIRS"})
            m_env.remove(QString::fromLatin1(name));
        m_env.insert(QStringLiteral("PSC_HIDE_BUILD"), kBuild);
        m_env.insert(QStringLiteral("PSC_HIDE_SOURCE"), kSource);
        m_env.insert(QStringLiteral("PSC_WORK"), m_work.path());
        m_env.insert(QStringLiteral("HOME"), m_work.path());
        m_env.insert(QStringLiteral("XDG_DATA_HOME"), m_work.filePath(QStringLiteral("data")));
        m_env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
        const Result probe = run(m_isolation.front(),
                                 m_isolation.mid(1) + QStringList{QStringLiteral("test"), QStringLiteral("!"),
                                                                  QStringLiteral("-e"), kSource + "/CMakeLists.txt"},
                                 m_env);
        if (probe.exitCode != 0)
            QSKIP(qPrintable("cannot hide the source and build trees in a mount namespace here (unshare: " +
                             probe.err.trimmed() + "); run as root or enable unprivileged user namespaces"));
    }

    void theLayoutIsTheDocumentedOne()
    {
        for (const char *path :
             {"bin/paretoscope", "lib/paretoscope/libpsc_trainer.so", "lib/paretoscope/libpsc_insn.so",
              "share/paretoscope/targets/stm32f746zg.json", "share/paretoscope/networks/ds-cnn.json",
              "share/paretoscope/spaces/fashion-mnist-demo.json", "share/paretoscope/studies/fashion-mnist-demo.json",
              "share/paretoscope/compress/fashion-mnist-demo.json",
              "share/paretoscope/tables/fashion-mnist-tabular.json", "share/paretoscope/cortex-m/run.sh",
              "share/applications/org.paretoscope.Paretoscope.desktop",
              "share/icons/hicolor/scalable/apps/org.paretoscope.Paretoscope.svg",
              "share/mime/packages/org.paretoscope.Paretoscope.xml",
              "share/metainfo/org.paretoscope.Paretoscope.metainfo.xml", "share/man/man1/paretoscope.1.gz",
              "share/doc/paretoscope/copyright", "share/doc/paretoscope/changelog.Debian.gz",
              "share/doc/paretoscope/gui.md", "share/doc/paretoscope/install.md"})
            QVERIFY2(QFileInfo::exists(installed(QString::fromLatin1(path))), path);
        QVERIFY(QFileInfo(installed(QStringLiteral("share/paretoscope/cortex-m/run.sh"))).isExecutable());
        // Every bundled resource is installed, and nothing of the build tree leaks in.
        QDirIterator it(kSource + "/resources", QDir::Files, QDirIterator::Subdirectories);
        int resources = 0;
        while (it.hasNext()) {
            const QString relative = QDir(kSource + "/resources").relativeFilePath(it.next());
            QVERIFY2(QFileInfo::exists(installed("share/paretoscope/" + relative)), qPrintable(relative));
            ++resources;
        }
        QVERIFY(resources > 20);
    }

    void versionNamesWhatItRunsWith()
    {
        const Result r = app({"--version"});
        QCOMPARE(r.exitCode, 0);
        QVERIFY2(r.out.startsWith(QStringLiteral("paretoscope " PSC_VERSION)), qPrintable(r.out));
        for (const char *line : {"\nQt 6.", "\nLibTorch ", "\nSQLite 3.", "\nCost models: ", "\nStrategies: "})
            QVERIFY2(r.out.contains(QString::fromLatin1(line)), qPrintable(r.out));
        for (const char *model : {"mcu ", "npu ", "systolic ", "analog-cim "})
            QVERIFY2(r.out.contains(QString::fromLatin1(model)), qPrintable(r.out));
        QVERIFY2(r.out.contains(QStringLiteral("mobo")), qPrintable(r.out));
    }

    void analyzeAndCostWithTheInstalledFiles()
    {
        const QString net = installed(QStringLiteral("share/paretoscope/networks/ds-cnn.json"));
        const Result analyze = app({"analyze", net, "--json"});
        QVERIFY2(analyze.exitCode == 0, qPrintable(analyze.err));
        QVERIFY(QJsonDocument::fromJson(analyze.out.toUtf8()).object()["totals"].toObject()["macs"].toDouble() > 1e6);
        const Result cost = app({"cost", net, "--target", "stm32f746zg"});
        QVERIFY2(cost.exitCode == 0, qPrintable(cost.err));
        QVERIFY2(cost.out.contains(QStringLiteral("stm32f746zg")), qPrintable(cost.out));
    }

    void theUsersOwnTargetsAreFoundBesideTheBundledOnes()
    {
        QFile bundled(installed(QStringLiteral("share/paretoscope/targets/stm32f746zg.json")));
        QVERIFY(bundled.open(QIODevice::ReadOnly));
        QJsonObject target = QJsonDocument::fromJson(bundled.readAll()).object();
        target["id"] = QStringLiteral("my-board");
        QVERIFY(QDir().mkpath(m_work.filePath(QStringLiteral("data/paretoscope/targets"))));
        writeFile(m_work.filePath(QStringLiteral("data/paretoscope/targets/my-board.json")),
                  QJsonDocument(target).toJson());
        const Result r = app({"targets", "--json"});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QStringList ids;
        for (const QJsonValue &v : QJsonDocument::fromJson(r.out.toUtf8()).array())
            ids << v.toObject()["id"].toString();
        QVERIFY2(ids.contains(QStringLiteral("my-board")) && ids.contains(QStringLiteral("stm32f746zg")),
                 qPrintable(ids.join(' ')));
        // The same id as a bundled target is refused, naming both files.
        target["id"] = QStringLiteral("stm32f746zg");
        writeFile(m_work.filePath(QStringLiteral("data/paretoscope/targets/clash.json")),
                  QJsonDocument(target).toJson());
        const Result clash = app({"targets"});
        QCOMPARE(clash.exitCode, 2);
        QVERIFY2(clash.err.contains(QStringLiteral("clash.json")) &&
                     clash.err.contains(QStringLiteral("is already defined by")) &&
                     clash.err.contains(QStringLiteral("share/paretoscope/targets/stm32f746zg.json")),
                 qPrintable(clash.err));
        QVERIFY(QFile::remove(m_work.filePath(QStringLiteral("data/paretoscope/targets/clash.json"))));
    }

    void aStudyRunsShowsAndPlots()
    {
        // The space is named, not a path: the installed one is found through the data directory.
        writeFile(m_work, QStringLiteral("tiny.json"), R"({
            "name": "installed", "search_space": "fashion-mnist-full",
            "objectives": ["accuracy", "weight_bytes", "latency_s@my-board"],
            "budget": {"trials": 1},
            "training": {"epochs": 2, "train_subset": 3000, "test_subset": 500, "validation_split": 0.2},
            "seed": 3})");
        const Result studyRun = app({"run", "tiny.json", "--db", "tiny.psc"});
        QVERIFY2(studyRun.exitCode == 0, qPrintable(studyRun.out + studyRun.err));
        const Result show = app({"show", "tiny.psc", "--json"});
        QVERIFY2(show.exitCode == 0, qPrintable(show.err));
        const QJsonArray trials = QJsonDocument::fromJson(show.out.toUtf8()).object()["trials"].toArray();
        QCOMPARE(trials.size(), 1);
        const QJsonObject trial = trials.first().toObject();
        QCOMPARE(trial["state"].toString(), QStringLiteral("complete"));
        const double accuracy = trial["metrics"].toObject()["accuracy"].toDouble();
        QVERIFY2(accuracy > 0.3 && accuracy <= 1.0, qPrintable(QString::number(accuracy)));
        QVERIFY(trial["metrics"].toObject()["latency_s@my-board"].toDouble() > 0);
        const Result plot = app({"plot", "tiny.psc", "--out", "plots"});
        QVERIFY2(plot.exitCode == 0, qPrintable(plot.err));
        QVERIFY(QFileInfo(m_work.filePath(QStringLiteral("plots"))).isDir());
        QVERIFY(!QDir(m_work.filePath(QStringLiteral("plots"))).entryList({"*.png"}, QDir::Files).isEmpty());
        // A space name that does not exist lists the ones that do.
        writeFile(
            m_work, QStringLiteral("typo.json"),
            R"({"name": "typo", "search_space": "fashion-mnist-demo2", "objectives": ["accuracy"], "budget": {"trials": 1}})");
        const Result typo = app({"run", "typo.json", "--db", "typo.psc"});
        QCOMPARE(typo.exitCode, 2);
        QVERIFY2(typo.err.contains(QStringLiteral("typo.json:1:")) &&
                     typo.err.contains(QStringLiteral("/search_space")) &&
                     typo.err.contains(QStringLiteral("did you mean \"fashion-mnist-demo\"")),
                 qPrintable(typo.err));
        QVERIFY(!QFileInfo::exists(m_work.filePath(QStringLiteral("typo.psc"))));
    }

    void theManPageDescribesEveryCommand()
    {
        const Result r =
            run(QStringLiteral("sh"), {"-c", "gzip -dc \"$0\"", installed("share/man/man1/paretoscope.1.gz")},
                QProcessEnvironment::systemEnvironment());
        QCOMPARE(r.exitCode, 0);
        QVERIFY(r.out.startsWith(QStringLiteral(".\\\" Generated by `paretoscope --man`")));
        QVERIFY(r.out.contains(QStringLiteral(".TH PARETOSCOPE 1 ")));
        for (const char *command : {"analyze", "run", "resume", "show", "plot", "targets", "cost", "calibrate",
                                    "compress", "export", "import", "evaluate", "tabulate"})
            QVERIFY2(r.out.contains(QStringLiteral(".SS \"paretoscope %1").arg(QLatin1String(command))), command);
        // An option of `run`, as its --help prints it.
        QVERIFY2(r.out.contains(QStringLiteral("\\fB\\-\\-parallel")), "run --parallel");
    }

    void theDebianPackageHoldsTheInstallAndComputedDependencies()
    {
        const QString dpkgDeb = QStandardPaths::findExecutable(QStringLiteral("dpkg-deb"));
        if (dpkgDeb.isEmpty())
            QSKIP("dpkg-deb is not installed");
        QTemporaryDir out;
        const Result pack = run(QStringLiteral(PSC_CPACK_COMMAND),
                                {"-G", "DEB", "--config", kBuild + "/CPackConfig.cmake", "-B", out.path()},
                                QProcessEnvironment::systemEnvironment());
        QVERIFY2(pack.exitCode == 0, qPrintable(pack.out + pack.err));
        const QStringList debs = QDir(out.path()).entryList({"paretoscope_*.deb"}, QDir::Files);
        QCOMPARE(debs.size(), 1);
        const QString deb = out.filePath(debs.first());
        QVERIFY2(debs.first().startsWith(QStringLiteral("paretoscope_" PSC_VERSION "-1_")), qPrintable(debs.first()));

        const Result contents = run(dpkgDeb, {"--contents", deb}, QProcessEnvironment::systemEnvironment());
        QCOMPARE(contents.exitCode, 0);
        QStringList files;
        for (const QString &line : contents.out.split('\n', Qt::SkipEmptyParts))
            if (!line.endsWith('/'))
                files << line.section(' ', -1).mid(1); // "./usr/bin/paretoscope" -> "/usr/bin/paretoscope"
        // The package holds exactly what the install puts under DESTDIR.
        QStringList staged;
        QDirIterator it(m_stage.path(), QDir::Files, QDirIterator::Subdirectories);
        while (it.hasNext())
            staged << "/" + QDir(m_stage.path()).relativeFilePath(it.next());
        files.sort();
        staged.sort();
        QCOMPARE(files, staged);

        auto field = [&](const char *name) {
            return run(dpkgDeb, {"--field", deb, QString::fromLatin1(name)}, QProcessEnvironment::systemEnvironment())
                .out.trimmed();
        };
        QCOMPARE(field("Package"), QStringLiteral("paretoscope"));
        QCOMPARE(field("Section"), QStringLiteral("science"));
        // Computed by dpkg-shlibdeps from the executable and the training module, not listed by hand.
        const QString depends = field("Depends");
        for (const char *library : {"libqt6core6", "libqt6widgets6", "libsqlite3-0", "libtorch", "libstdc++6"})
            QVERIFY2(depends.contains(QString::fromLatin1(library)), qPrintable(library + (": " + depends)));
        QVERIFY2(field("Recommends").contains(QStringLiteral("dataset-fashion-mnist")), "Recommends");
    }
};

QTEST_GUILESS_MAIN(TestInstall)
#include "tst_install.moc"
