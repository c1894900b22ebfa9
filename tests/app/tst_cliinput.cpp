// SPDX-License-Identifier: GPL-3.0-or-later
// Input checks of the command line as users see them: unknown commands and GUI arguments, input files that
// are not regular files, and a study spec refused before anything is created. Every run has a timeout, so a
// regression that opens the GUI or blocks on a FIFO fails instead of hanging.
#include "cli/cli.h"

#include <QDir>
#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <sys/stat.h>

namespace {

struct Result
{
    int exitCode = -1; ///< -1: killed after the timeout or crashed
    QString out;
    QString err;
};

Result runApp(const QStringList &args, const QString &workingDirectory = {}, int timeoutMs = 30000)
{
    QProcess p;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen")); // a GUI that opens would not fail
    p.setProcessEnvironment(env);
    if (!workingDirectory.isEmpty())
        p.setWorkingDirectory(workingDirectory);
    p.start(QStringLiteral(PSC_APP_EXECUTABLE), args);
    if (!p.waitForFinished(timeoutMs)) {
        p.kill();
        p.waitForFinished();
        return {-1, {}, QStringLiteral("(timed out)")};
    }
    return {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1, QString::fromUtf8(p.readAllStandardOutput()),
            QString::fromUtf8(p.readAllStandardError())};
}

const QString kCommands =
    QStringLiteral("Commands: analyze, calibrate, compress, copy, cost, evaluate, export, import, "
                   "plot, report, resume, run, show, tabulate, targets, worker");

} // namespace

class TestCliInput : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void unknownCommands_data();
    void unknownCommands();
    void badGuiArguments_data();
    void badGuiArguments();
    void guiArgumentsThatOpenTheGui();
    void nonRegularInputs_data();
    void nonRegularInputs();
    void runRefusesUnknownTargetMetricBeforeCreating();
};

void TestCliInput::unknownCommands_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QString>("firstLine");
    QTest::newRow("frobnicate") << QStringList{QStringLiteral("frobnicate")}
                                << QStringLiteral("paretoscope: unknown command \"frobnicate\"");
    QTest::newRow("typo") << QStringList{QStringLiteral("anlyze"), QStringLiteral("net.json")}
                          << QStringLiteral("paretoscope: unknown command \"anlyze\"; did you mean \"analyze\"?");
    QTest::newRow("daemon --help") << QStringList{QStringLiteral("daemon"), QStringLiteral("--help")}
                                   << QStringLiteral("paretoscope: unknown command \"daemon\"");
    QTest::newRow("resum") << QStringList{QStringLiteral("resum")}
                           << QStringLiteral("paretoscope: unknown command \"resum\"; did you mean \"resume\"?");
}

void TestCliInput::unknownCommands()
{
    QFETCH(QStringList, args);
    QFETCH(QString, firstLine);
    QTemporaryDir dir; // an empty working directory: no file can be mistaken for the word
    const Result r = runApp(args, dir.path());
    QCOMPARE(r.exitCode, 2);
    const QStringList lines = r.err.split(QLatin1Char('\n'));
    QCOMPARE(lines.value(0), firstLine);
    QCOMPARE(lines.value(1), kCommands);
    QVERIFY(r.out.isEmpty());
}

void TestCliInput::badGuiArguments_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QString>("firstLine");
    QTest::newRow("missing study") << QStringList{QStringLiteral("missing.psc")}
                                   << QStringLiteral("paretoscope: missing.psc: no such study file");
    QTest::newRow("missing path") << QStringList{QStringLiteral("sub/study")}
                                  << QStringLiteral("paretoscope: sub/study: no such study file");
    QTest::newRow("directory") << QStringList{QStringLiteral(".")}
                               << QStringLiteral("paretoscope: .: is a directory, not a study file");
    QTest::newRow("device") << QStringList{QStringLiteral("/dev/null")}
                            << QStringLiteral("paretoscope: /dev/null: is not a regular file, so not a study file");
    QTest::newRow("unknown option")
        << QStringList{QStringLiteral("--frobnicate")}
        << QStringLiteral("paretoscope: unknown option \"--frobnicate\"; the GUI takes [FILE.psc [--trial N]], "
                          "commands take their options after the command name");
    QTest::newRow("trial without number")
        << QStringList{QStringLiteral("--trial")}
        << QStringLiteral("paretoscope: --trial expects a trial number (an integer >= 0)");
    QTest::newRow("trial not a number")
        << QStringList{QStringLiteral("--trial"), QStringLiteral("best")}
        << QStringLiteral("paretoscope: --trial expects a trial number (an integer >= 0), got \"best\"");
}

void TestCliInput::badGuiArguments()
{
    QFETCH(QStringList, args);
    QFETCH(QString, firstLine);
    QTemporaryDir dir;
    const Result r = runApp(args, dir.path());
    QCOMPARE(r.exitCode, 2);
    QCOMPARE(r.err.split(QLatin1Char('\n')).value(0), firstLine);
}

void TestCliInput::guiArgumentsThatOpenTheGui()
{
    // In-process: these pass the check and would start the main window (tests/app/tst_mainwindow drives it).
    QTemporaryDir dir;
    const QString study = dir.filePath(QStringLiteral("s.psc"));
    QFile f(study);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.close();
    using psc::cli::checkGuiArguments;
    QCOMPARE(checkGuiArguments({}), int(psc::cli::Success));
    QCOMPARE(checkGuiArguments({study}), int(psc::cli::Success));
    QCOMPARE(checkGuiArguments({study, QStringLiteral("--trial"), QStringLiteral("3")}), int(psc::cli::Success));
    QCOMPARE(checkGuiArguments({QStringLiteral("-style"), QStringLiteral("fusion"), study}), int(psc::cli::Success));
    QCOMPARE(checkGuiArguments({QStringLiteral("-platform=offscreen"), QStringLiteral("-reverse")}),
             int(psc::cli::Success));
    QCOMPARE(checkGuiArguments({study, study}), int(psc::cli::BadInput));
    QCOMPARE(checkGuiArguments({QStringLiteral("-style")}), int(psc::cli::BadInput));
}

void TestCliInput::nonRegularInputs_data()
{
    QTest::addColumn<QStringList>("args"); // "@FIFO@" and "@DIR@" are replaced by a FIFO and a directory
    QTest::addColumn<QString>("message");
    const QString notRegular =
        QStringLiteral(": cannot read: %1, not a regular file; input files must be regular files");
    QTest::newRow("analyze /dev/zero") << QStringList{QStringLiteral("analyze"), QStringLiteral("/dev/zero")}
                                       << QStringLiteral("/dev/zero") +
                                              notRegular.arg(QStringLiteral("a character device"));
    QTest::newRow("analyze FIFO") << QStringList{QStringLiteral("analyze"), QStringLiteral("@FIFO@")}
                                  << QStringLiteral("@FIFO@") + notRegular.arg(QStringLiteral("a FIFO"));
    QTest::newRow("analyze directory") << QStringList{QStringLiteral("analyze"), QStringLiteral("@DIR@")}
                                       << QStringLiteral("@DIR@: cannot read: is a directory");
    QTest::newRow("run FIFO spec") << QStringList{QStringLiteral("run"), QStringLiteral("@FIFO@"),
                                                  QStringLiteral("--db"), QStringLiteral("new.psc")}
                                   << QStringLiteral("@FIFO@") + notRegular.arg(QStringLiteral("a FIFO"));
    QTest::newRow("cost FIFO target") << QStringList{QStringLiteral("cost"),
                                                     QStringLiteral(PSC_SOURCE_DIR "/tests/data/networks/minimal.json"),
                                                     QStringLiteral("--target"), QStringLiteral("@FIFO@")}
                                      << QStringLiteral("@FIFO@") + notRegular.arg(QStringLiteral("a FIFO"));
    QTest::newRow("calibrate FIFO csv") << QStringList{QStringLiteral("calibrate"), QStringLiteral("@FIFO@"),
                                                       QStringLiteral("--target"),  QStringLiteral("stm32f746zg"),
                                                       QStringLiteral("--out"),     QStringLiteral("out.json")}
                                        << QStringLiteral("@FIFO@") + notRegular.arg(QStringLiteral("a FIFO"));
    QTest::newRow("compress FIFO config")
        << QStringList{QStringLiteral("compress"), QStringLiteral("study.psc"), QStringLiteral("--trial"),
                       QStringLiteral("0"),        QStringLiteral("--config"),  QStringLiteral("@FIFO@")}
        << QStringLiteral("@FIFO@") + notRegular.arg(QStringLiteral("a FIFO"));
}

void TestCliInput::nonRegularInputs()
{
    QFETCH(QStringList, args);
    QFETCH(QString, message);
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString fifo = dir.filePath(QStringLiteral("input.json"));
    QCOMPARE(::mkfifo(QFile::encodeName(fifo).constData(), 0600), 0);
    for (QString &a : args) {
        if (a == QLatin1String("@FIFO@"))
            a = fifo;
        else if (a == QLatin1String("@DIR@"))
            a = dir.path();
    }
    message.replace(QLatin1String("@FIFO@"), fifo).replace(QLatin1String("@DIR@"), dir.path());
    const Result r = runApp(args, dir.path());
    QCOMPARE(r.exitCode, 2);
    QCOMPARE(r.err, QStringLiteral("error: ") + message + QLatin1Char('\n'));
    QVERIFY(!QFile::exists(dir.filePath(QStringLiteral("new.psc"))));
    QVERIFY(!QFile::exists(dir.filePath(QStringLiteral("out.json"))));
}

void TestCliInput::runRefusesUnknownTargetMetricBeforeCreating()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    QFile demo(QStringLiteral(PSC_SOURCE_DIR "/resources/studies/fashion-mnist-demo.json"));
    QVERIFY(demo.open(QIODevice::ReadOnly));
    const QByteArray text = demo.readAll().replace("../spaces/", PSC_SOURCE_DIR "/resources/spaces/");
    const struct
    {
        const char *from, *to, *message;
    } cases[] = {
        {"latency_s@stm32f746zg", "latncy_s@stm32f746zg",
         ":9:16: /objectives/2/metric: unknown metric \"latncy_s\" for target \"stm32f746zg\"; did you mean "
         "\"latency_s\"? (its metrics: latency_s, energy_j, cycles, peak_sram_bytes, weight_storage_bytes, "
         "utilization, feasible, sram_bytes, flash_bytes, arena_bytes, scratch_bytes, persistent_bytes, "
         "model_flash_bytes, macs, macs_per_cycle, c_flash_bytes, c_sram_bytes, c_instructions)"},
        {"energy_j@ethos-u55-128", "energy_j@ethos-u55-12",
         ":10:16: /objectives/3/metric: unknown target \"ethos-u55-12\"; did you mean \"ethos-u55-128\"? (known "
         "targets: "},
        {"\"id\": \"mobo\"", "\"id\": \"mobbo\"",
         ":13:22: /strategy/id: unknown strategy \"mobbo\"; did you mean \"mobo\"? (available: "},
    };
    for (const auto &c : cases) {
        const QString spec = dir.filePath(QStringLiteral("spec.json"));
        QFile out(spec);
        QVERIFY(out.open(QIODevice::WriteOnly | QIODevice::Truncate));
        out.write(QByteArray(text).replace(c.from, c.to));
        out.close();
        const QString db = dir.filePath(QStringLiteral("s.psc"));
        const Result r = runApp({QStringLiteral("run"), spec, QStringLiteral("--db"), db});
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.startsWith(QStringLiteral("error: ") + spec + QString::fromUtf8(c.message)), qPrintable(r.err));
        // Refused before anything is created: no study file, no WAL, no temporary file.
        QCOMPARE(QDir(dir.path()).entryList(QDir::Files), QStringList{QStringLiteral("spec.json")});
    }
}

QTEST_GUILESS_MAIN(TestCliInput)
#include "tst_cliinput.moc"
