// SPDX-License-Identifier: GPL-3.0-or-later
#include "psc/core/error.h"
#include "psc/net/analysis.h"
#include "psc/net/networkparser.h"
#include "psc/plugins/pluginregistry.h"
#include "psc/targets/costinput.h"
#include "psc/targets/targetlibrary.h"

#include <psc/plugin/calibration.h>

#include <QDir>
#include <QFile>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <set>

using namespace psc;

class TestTargetLibrary : public QObject
{
    Q_OBJECT

    PluginRegistry m_registry;

private Q_SLOTS:
    void initTestCase() { m_registry.load(); }

    void loadsEveryBundledTarget()
    {
        TargetLibrary lib(m_registry);
        lib.loadDirectory(TargetLibrary::defaultDirectory());
        const int files = QDir(QString::fromStdString(TargetLibrary::defaultDirectory().string()))
                              .entryList({"*.json"}, QDir::Files)
                              .size();
        QCOMPARE(int(lib.definitions().size()), files);
        QVERIFY(files >= 20);
        for (const TargetDefinition *d : lib.definitions()) {
            QVERIFY(lib.target(d->id) != nullptr);
            QVERIFY(!d->modelVersion.empty());
            for (const TargetParameter &p : d->parameters)
                if (p.value.number)
                    QVERIFY2(!p.source.empty(), (d->id + "/" + p.name).c_str());
        }
        QVERIFY(lib.find("no-such") == nullptr);
        try {
            lib.resolve("no-such");
            QFAIL("expected an InputError");
        } catch (const InputError &e) {
            QVERIFY(QString(e.what()).contains("stm32f746zg"));
        }
    }

    void duplicateIdsAreRefused()
    {
        QTemporaryDir dir;
        const QString source =
            QString::fromStdString((TargetLibrary::defaultDirectory() / "stm32f746zg.json").string());
        QVERIFY(QFile::copy(source, dir.filePath("a.json")));
        QVERIFY(QFile::copy(source, dir.filePath("b.json")));
        TargetLibrary lib(m_registry);
        try {
            lib.loadDirectory(dir.path().toStdString());
            QFAIL("expected an InputError");
        } catch (const InputError &e) {
            QVERIFY2(QString(e.what()).contains("b.json:") && QString(e.what()).contains("already defined by") &&
                         QString(e.what()).contains("a.json"),
                     e.what());
        }
    }

    // A bundled target named by its file path is that target (it used to clash with itself); another file with the
    // same id is still refused.
    void loadedFileByPathIsTheSameTarget()
    {
        TargetLibrary lib(m_registry);
        lib.loadDirectory(TargetLibrary::defaultDirectory());
        const std::filesystem::path file = TargetLibrary::defaultDirectory() / "sa-16x16-os.json";
        const TargetDefinition &byPath = lib.resolve(file.string());
        QCOMPARE(&byPath, lib.find("sa-16x16-os"));
        QCOMPARE(&lib.resolve((TargetLibrary::defaultDirectory() / "." / "sa-16x16-os.json").string()), &byPath);
        QTemporaryDir dir;
        QVERIFY(QFile::copy(QString::fromStdString(file.string()), dir.filePath("copy.json")));
        QVERIFY_THROWS_EXCEPTION(InputError, lib.resolve(dir.filePath("copy.json").toStdString()));
    }

    void outOfRangeParametersNameTheirPosition()
    {
        // A finite but absurd power once gave an infinite energy and exit 0; the file is refused now, at the value.
        QTemporaryDir dir;
        QFile in(QString::fromStdString((TargetLibrary::defaultDirectory() / "stm32f746zg.json").string()));
        QVERIFY(in.open(QIODevice::ReadOnly));
        QString text = QString::fromUtf8(in.readAll());
        const QRegularExpression power(
            QStringLiteral("(\"active_power_w\"\\s*:\\s*\\{\\s*\"value\"\\s*:\\s*)([0-9.eE+-]+)"));
        const QRegularExpressionMatch match = power.match(text);
        QVERIFY2(match.hasMatch(), "the bundled file gives active_power_w");
        text.replace(match.capturedStart(2), match.capturedLength(2), QStringLiteral("1e308"));
        const QString path = dir.filePath(QStringLiteral("hot.json"));
        QFile out(path);
        QVERIFY(out.open(QIODevice::WriteOnly));
        out.write(text.toUtf8());
        out.close();
        // Where the value sits in the file, 1-based.
        const qsizetype at = match.capturedStart(2);
        const int line = int(text.left(at).count(QLatin1Char('\n'))) + 1;
        const int column = int(at - text.lastIndexOf(QLatin1Char('\n'), at - 1));
        TargetLibrary lib(m_registry);
        try {
            lib.loadFile(path.toStdString());
            QFAIL("expected an InputError");
        } catch (const InputError &e) {
            const QString message = QString::fromUtf8(e.what());
            QVERIFY2(message.startsWith(path + QStringLiteral(":%1:%2: ").arg(line).arg(column)), e.what());
            QVERIFY2(message.contains(QStringLiteral("/parameters/active_power_w/value")), e.what());
            QVERIFY2(message.contains(QStringLiteral("in [1e-06, 100], got 1e+308")), e.what());
        }
    }

    // The contract of psc/plugin/parameterreader.h: every model refuses a deployment list of the wrong length.
    void everyModelRefusesAWrongDeploymentLength()
    {
        TargetLibrary lib(m_registry);
        lib.loadDirectory(TargetLibrary::defaultDirectory());
        const auto net = parseNetwork(PSC_SOURCE_DIR "/resources/networks/ds-cnn.json");
        const auto info = toNetworkInfo(net, analyzeNetwork(net));
        auto longer = defaultDeployment(net);
        longer.emplace_back();
        std::set<std::string> models;
        for (const TargetDefinition *d : lib.definitions()) {
            const auto target = lib.target(d->id);
            models.insert(d->model);
            QVERIFY_THROWS_EXCEPTION(std::invalid_argument, target->estimate(info, {}));
            QVERIFY_THROWS_EXCEPTION(std::invalid_argument, target->estimateTotals(info, {}));
            QVERIFY_THROWS_EXCEPTION(std::invalid_argument, target->estimate(info, longer));
            QVERIFY_THROWS_EXCEPTION(std::invalid_argument, target->estimateTotals(info, longer));
        }
        QCOMPARE(models, (std::set<std::string>{"analog-cim", "mcu", "npu", "systolic"}));
    }

    // Calibration goes through the plugin API: the MCU model offers it, the others do not.
    void calibrationIsAnOptionalPluginInterface()
    {
        QVERIFY(plugin::latencyCalibration(m_registry.targetModel("mcu")) != nullptr);
        for (const char *model : {"npu", "systolic", "analog-cim"}) {
            QVERIFY2(m_registry.targetModel(model) != nullptr, model);
            QVERIFY2(plugin::latencyCalibration(m_registry.targetModel(model)) == nullptr, model);
        }
    }

    // The conversion the plugins see: live bytes per step agree with the analysis' peak.
    void networkInfoMatchesTheAnalysis()
    {
        const auto net = parseNetwork(PSC_SOURCE_DIR "/resources/networks/resnet8.json");
        const ModelAnalysis a = analyzeNetwork(net);
        const plugin::NetworkInfo info = toNetworkInfo(net, a);
        QCOMPARE(info.layers.size(), a.layers.size());
        std::int64_t peak = 0, macs = 0, params = 0;
        for (std::size_t i = 0; i < info.layers.size(); ++i) {
            peak = std::max(peak, info.layers[i].liveBytes);
            macs += info.layers[i].macs;
            params += info.layers[i].weights + info.layers[i].biases;
            QCOMPARE(info.layers[i].outputBytes, a.layers[i].activationBytes);
        }
        QCOMPARE(peak, a.peakLiveBytes);
        QCOMPARE(macs, a.totalMacs);
        QVERIFY(params <= a.totalParams); // batch-norm parameters fold away
        QCOMPARE(info.arenaBytes, a.arenaBytes);
    }

    // What a search evaluates (totals) is exactly what the full estimate says, without the layers.
    void totalsEqualTheFullEstimate()
    {
        TargetLibrary lib(m_registry);
        lib.loadDirectory(TargetLibrary::defaultDirectory());
        for (const char *file : {"ds-cnn.json", "resnet8.json", "mobilenet-v1-025-96.json"}) {
            const auto net = parseNetwork(std::string(PSC_SOURCE_DIR "/resources/networks/") + file);
            const auto info = toNetworkInfo(net, analyzeNetwork(net));
            const auto deployment = defaultDeployment(net);
            for (const TargetDefinition *d : lib.definitions()) {
                const auto target = lib.target(d->id);
                const plugin::CostEstimate full = target->estimate(info, deployment);
                const plugin::CostEstimate totals = target->estimateTotals(info, deployment);
                const std::string where = d->id + " / " + file;
                QVERIFY2(totals.layers.empty(), where.c_str());
                QCOMPARE(int(full.layers.size()), int(net.layers.size()));
                QVERIFY2(totals.latencyS == full.latencyS && totals.energyJ == full.energyJ, where.c_str());
                QVERIFY2(totals.peakMemoryBytes == full.peakMemoryBytes &&
                             totals.weightStorageBytes == full.weightStorageBytes,
                         where.c_str());
                QVERIFY2(totals.extra.size() == full.extra.size() && totals.limits.size() == full.limits.size(),
                         where.c_str());
                for (std::size_t k = 0; k < full.limits.size(); ++k) {
                    const plugin::LimitCheck &a = totals.limits[k], &b = full.limits[k];
                    QVERIFY2(a.name == b.name && a.ok == b.ok && a.value == b.value && a.limit == b.limit,
                             where.c_str());
                    // Messages are written only for violated limits in the totals path.
                    QVERIFY2(a.ok ? a.message.empty() : a.message == b.message, where.c_str());
                }
                QVERIFY(totals.feasible() == full.feasible());
            }
        }
    }
};

QTEST_GUILESS_MAIN(TestTargetLibrary)
#include "tst_targetlibrary.moc"
