// SPDX-License-Identifier: GPL-3.0-or-later
// `targets`, `cost` and `calibrate` as users run them: output, exit codes and bad target files.
#include "processresult.h"
#include "testsupport.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRandomGenerator>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

using psc::test::runApp;
using psc::test::writeFile;
using Result = psc::test::ProcessResult;

namespace {

QJsonObject runJson(const QStringList &args)
{
    const Result r = runApp(args);
    if (r.exitCode != 0)
        qWarning("%s", qPrintable(r.err));
    return QJsonDocument::fromJson(r.out.toUtf8()).object();
}

const QString kDsCnn = QStringLiteral(PSC_SOURCE_DIR "/resources/networks/ds-cnn.json");

} // namespace

class TestTargetCommands : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void targetsListsEveryClassWithSources()
    {
        const Result r = runApp({"targets", "--json"});
        QCOMPARE(r.exitCode, 0);
        const QJsonArray targets = QJsonDocument::fromJson(r.out.toUtf8()).array();
        QStringList ids, models;
        for (const QJsonValue &v : targets) {
            const QJsonObject t = v.toObject();
            ids << t["id"].toString();
            models << t["model"].toString();
            const QJsonObject params = t["parameters"].toObject();
            QVERIFY(!params.isEmpty());
            for (const QString &name : params.keys()) {
                const QJsonObject p = params[name].toObject();
                if (p["value"].isDouble())
                    QVERIFY2(!p["source"].toString().trimmed().isEmpty(), qPrintable(t["id"].toString() + "/" + name));
            }
        }
        for (const char *id :
             {"stm32f446re", "stm32f746zg", "stm32f767zi", "stm32l4r5zi", "nrf52840", "ethos-u55-32", "ethos-u55-64",
              "ethos-u55-128", "ethos-u55-256", "ethos-u65-256", "ethos-u65-512", "sta-dbb", "aon-cim"})
            QVERIFY2(ids.contains(QString::fromLatin1(id)), id);
        for (const char *model : {"mcu", "npu", "systolic", "analog-cim"})
            QVERIFY2(models.contains(QString::fromLatin1(model)), model);
        // Every model says which reference it follows, on what it was checked and where it departs.
        for (const QJsonValue &v : targets) {
            const QJsonObject ref = v.toObject()["model_reference"].toObject();
            QVERIFY2(!ref["follows"].toString().isEmpty() && !ref["checked"].toString().isEmpty() &&
                         !ref["departures"].toArray().isEmpty(),
                     qPrintable(v.toObject()["id"].toString()));
        }
        const Result text = runApp({"targets"});
        QCOMPARE(text.exitCode, 0);
        QVERIFY(text.out.contains("clock_hz"));
        QVERIFY(text.out.contains("model npu"));
        QVERIFY(text.out.contains("follows:  Arm Vela 3.10.0"));
        QVERIFY(text.out.contains("follows:  SCALE-Sim v2"));
    }

    void costPerLayerJson_data()
    {
        QTest::addColumn<QString>("target");
        for (const char *t : {"stm32f746zg", "ethos-u55-128", "sa-16x16-os", "aon-cim"})
            QTest::newRow(t) << t;
    }
    void costPerLayerJson()
    {
        QFETCH(QString, target);
        const QJsonObject o = runJson({"cost", kDsCnn, "--target", target, "--json"});
        QCOMPARE(o["target"].toString(), target);
        QVERIFY(!o["model"].toString().isEmpty() && !o["model_version"].toString().isEmpty());
        const QJsonArray layers = o["layers"].toArray();
        QCOMPARE(layers.size(), 30); // ds-cnn.json has 30 layers
        double latency = 0.0, energy = 0.0;
        for (const QJsonValue &v : layers) {
            const QJsonObject l = v.toObject();
            for (const char *key : {"layer", "cycles", "latency_s", "energy_j", "memory_bytes", "bound"})
                QVERIFY2(l.contains(QLatin1String(key)), key);
            latency += l["latency_s"].toDouble();
            energy += l["energy_j"].toDouble();
        }
        const QJsonObject totals = o["totals"].toObject();
        QVERIFY(totals["latency_s"].toDouble() > 0);
        QVERIFY(qAbs(totals["latency_s"].toDouble() - latency) <= 1e-9 + 1e-6 * latency);
        QVERIFY(totals["energy_j"].toDouble() >= energy * (1 - 1e-9)); // static energy may come on top
        QVERIFY(o["feasible"].toBool());
    }

    void costTableAndDeployment()
    {
        QTemporaryDir dir;
        const Result table = runApp({"cost", kDsCnn, "--target", "stm32f446re"});
        QCOMPARE(table.exitCode, 0);
        QVERIFY(table.out.contains("Latency:") && table.out.contains("estimated by mcu"));
        const double int8 = runJson({"cost", kDsCnn, "--target", "ethos-u55-128", "--json"})["totals"]
                                .toObject()["weight_storage_bytes"]
                                .toDouble();
        writeFile(dir.filePath("int4.json"),
                  R"({"default": {"weight_bits": 4, "sparsity": 0.5, "pattern": "unstructured"}})");
        const double int4 = runJson({"cost", kDsCnn, "--target", "ethos-u55-128", "--deploy", dir.filePath("int4.json"),
                                     "--json"})["totals"]
                                .toObject()["weight_storage_bytes"]
                                .toDouble();
        // Half the bits and half the weights zero: under two thirds. Per-channel scales and biases stay, and so does
        // the all-ones kernel Vela stores for the global average pool (docs/targets/npu.md).
        QVERIFY2(int4 < 0.65 * int8, qPrintable(QString("%1 vs %2").arg(int4).arg(int8)));
        writeFile(dir.filePath("bad.json"), R"({"layers": {"no_such_layer": {"weight_bits": 4}}})");
        const Result bad = runApp({"cost", kDsCnn, "--target", "ethos-u55-128", "--deploy", dir.filePath("bad.json")});
        QCOMPARE(bad.exitCode, 2);
        QVERIFY2(bad.err.contains("bad.json:1:") && bad.err.contains("no_such_layer"), qPrintable(bad.err));
    }

    void badTargetFiles_data()
    {
        QTest::addColumn<QByteArray>("text");
        QTest::addColumn<QString>("expected");
        QTest::newRow("malformed") << QByteArray("{\"id\": \"x\",\n  \"model\": }") << QStringLiteral("bad.json:2:");
        QTest::newRow("no source")
            << QByteArray(R"({"id": "x", "name": "X", "model": "mcu",
  "parameters": {"clock_hz": {"value": 1e8}}})")
            << QStringLiteral("bad.json:2:30: /parameters/clock_hz: numeric parameter \"clock_hz\" needs a \"source\"");
        QTest::newRow("unknown model") << QByteArray(R"({"id": "x", "name": "X", "model": "gpu", "parameters": {}})")
                                       << QStringLiteral("/model: unknown cost model \"gpu\"");
        QTest::newRow("plugin rejects") << QByteArray(R"({"id": "x", "name": "X", "model": "mcu",
  "parameters": {"clock_hz": {"value": -5, "source": "made up"}}})")
                                        << QStringLiteral("/parameters");
        QTest::newRow("unknown key") << QByteArray(R"({"id": "x", "name": "X", "model": "mcu", "paramters": {}})")
                                     << QStringLiteral("paramters");
    }
    void badTargetFiles()
    {
        QFETCH(QByteArray, text);
        QFETCH(QString, expected);
        QTemporaryDir dir;
        writeFile(dir.filePath("bad.json"), text);
        const Result r = runApp({"cost", kDsCnn, "--target", dir.filePath("bad.json")});
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains(expected), qPrintable(r.err));
        QCOMPARE(r.err.count('\n'), 1);
        // A directory of targets with the same bad file is refused the same way by `targets`.
        QProcess p;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert("PSC_TARGETS_DIR", dir.path());
        p.setProcessEnvironment(env);
        p.start(QStringLiteral(PSC_APP_EXECUTABLE), {"targets"});
        p.waitForFinished();
        QCOMPARE(p.exitCode(), 2);
    }

    void outOfRangeParameterIsRefused()
    {
        // active_power_w 1e308 gave an infinite energy with exit 0; now the file is refused at the value.
        QFile bundled(QStringLiteral(PSC_SOURCE_DIR "/resources/targets/stm32f746zg.json"));
        QVERIFY(bundled.open(QIODevice::ReadOnly));
        QString text = QString::fromUtf8(bundled.readAll());
        // Its own id, so that it does not clash with the bundled target it was copied from.
        text.replace(QStringLiteral("\"stm32f746zg\""), QStringLiteral("\"hot\""));
        const QRegularExpression power(QStringLiteral(R"(("active_power_w"\s*:\s*\{\s*"value"\s*:\s*)([0-9.eE+-]+))"));
        const QRegularExpressionMatch m = power.match(text);
        QVERIFY(m.hasMatch());
        text.replace(m.capturedStart(2), m.capturedLength(2), QStringLiteral("1e308"));
        QTemporaryDir dir;
        writeFile(dir.filePath("hot.json"), text.toUtf8());
        const int line = int(text.left(m.capturedStart(2)).count(QLatin1Char('\n'))) + 1;
        const Result r = runApp({"cost", kDsCnn, "--target", dir.filePath("hot.json")});
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains(QStringLiteral("hot.json:%1:").arg(line)), qPrintable(r.err));
        QVERIFY2(r.err.contains(QStringLiteral("/parameters/active_power_w/value")), qPrintable(r.err));
        QVERIFY2(r.err.contains(QStringLiteral("got 1e+308")), qPrintable(r.err));
        QVERIFY(r.out.isEmpty());
    }

    // Measurements made on a board 30 % slower than the prior model are fitted: the calibrated target
    // predicts them, and its fitted numbers cite the measurements.
    void calibrateRecoversMeasuredLatencies()
    {
        QTemporaryDir dir;
        QRandomGenerator rng(3);
        QByteArray csv = "network_file,latency_s\n";
        QStringList nets;
        for (int i = 0; i < 14; ++i) {
            const int c1 = 4 + int(rng.bounded(28)), c2 = 4 + int(rng.bounded(40)), units = 8 + int(rng.bounded(120));
            const bool dw = i % 2 == 0, pool = i % 3 != 0;
            QByteArray net =
                "{\"name\": \"n" + QByteArray::number(i) +
                "\", \"input\": {\"channels\": 1, \"height\": 28, \"width\": 28}, \"layers\": [" +
                "{\"type\": \"conv2d\", \"out_channels\": " + QByteArray::number(c1) +
                ", \"kernel\": 3, \"stride\": 2, \"padding\": \"same\", \"activation\": \"relu\"}," +
                (dw ? "{\"type\": \"depthwise_conv2d\", \"kernel\": 3, \"padding\": \"same\"}, {\"type\": \"relu\"},"
                    : "") +
                (pool ? "{\"type\": \"max_pool2d\", \"kernel\": 2}," : "") +
                "{\"type\": \"conv2d\", \"out_channels\": " + QByteArray::number(c2) +
                ", \"kernel\": 1, \"activation\": \"relu\"}," +
                "{\"type\": \"global_avg_pool\"}, {\"type\": \"flatten\"}," +
                "{\"type\": \"dense\", \"units\": " + QByteArray::number(units) + ", \"activation\": \"relu\"}," +
                "{\"type\": \"dense\", \"units\": 10}, {\"type\": \"softmax\"}]}";
            const QString file = dir.filePath(QStringLiteral("n%1.json").arg(i));
            writeFile(file, net);
            nets << file;
            const double modelled = runJson({"cost", file, "--target", "stm32f746zg", "--json"})["totals"]
                                        .toObject()["latency_s"]
                                        .toDouble();
            QVERIFY(modelled > 0);
            csv += "n" + QByteArray::number(i) + ".json," + QByteArray::number(modelled * 1.3, 'g', 12) + "\n";
        }
        writeFile(dir.filePath("measured.csv"), csv);
        const QString out = dir.filePath("f746-board.json");
        const Result r = runApp(
            {"calibrate", dir.filePath("measured.csv"), "--target", "stm32f746zg", "--out", out, "--id", "f746-board"});
        QCOMPARE(r.exitCode, 0);
        QVERIFY2(r.out.contains("fitted 14 measurements"), qPrintable(r.out + r.err));
        QFile f(out);
        QVERIFY(f.open(QIODevice::ReadOnly));
        QVERIFY(f.readAll().contains("measured.csv"));
        for (int i = 0; i < nets.size(); ++i) {
            const double calibrated =
                runJson({"cost", nets[i], "--target", out, "--json"})["totals"].toObject()["latency_s"].toDouble();
            const double measured = csv.split('\n')[i + 1].split(',')[1].toDouble();
            QVERIFY2(qAbs(calibrated - measured) / measured < 0.01,
                     qPrintable(QString("%1: %2 vs %3").arg(nets[i]).arg(calibrated).arg(measured)));
        }
        // Refuses to overwrite, and reports bad rows with their line.
        QCOMPARE(runApp({"calibrate", dir.filePath("measured.csv"), "--target", "stm32f746zg", "--out", out}).exitCode,
                 2);
        writeFile(dir.filePath("bad.csv"), "n0.json,0.01\nn1.json,fast\n");
        const Result bad =
            runApp({"calibrate", dir.filePath("bad.csv"), "--target", "stm32f746zg", "--out", dir.filePath("x.json")});
        QCOMPARE(bad.exitCode, 2);
        QVERIFY2(bad.err.contains("bad.csv:2:"), qPrintable(bad.err));
        QVERIFY(!QFile::exists(dir.filePath("x.json")));
    }
};

QTEST_APPLESS_MAIN(TestTargetCommands)
#include "tst_targetcommands.moc"
