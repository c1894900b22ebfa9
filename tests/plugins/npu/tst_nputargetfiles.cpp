// SPDX-License-Identifier: GPL-3.0-or-later
// Ethos-U target files: every number cited, every file creates a target, and the targets behave sensibly
// on the shipped networks.
#include "npuplugin.h"
#include "nputesthelpers.h"

#include <psc/net/networkparser.h>

#include <psc/plugin/searchstrategy.h>

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QPluginLoader>
#include <QRegularExpression>
#include <QTest>

#include <map>

Q_IMPORT_PLUGIN(NpuTargetPlugin)

using namespace npu_test;

namespace {

struct TargetFile
{
    QString path;
    std::string id;
    Parameters parameters;
};

std::vector<TargetFile> npuTargetFiles()
{
    std::vector<TargetFile> out;
    const QDir dir(QStringLiteral(PSC_SOURCE_DIR "/resources/targets"));
    for (const QString &name : dir.entryList({QStringLiteral("*.json")}, QDir::Files, QDir::Name)) {
        QFile f(dir.filePath(name));
        if (!f.open(QIODevice::ReadOnly))
            continue;
        const QJsonObject root = QJsonDocument::fromJson(f.readAll()).object();
        if (root.value(QStringLiteral("model")).toString() != QStringLiteral("npu"))
            continue;
        TargetFile t;
        t.path = f.fileName();
        t.id = root.value(QStringLiteral("id")).toString().toStdString();
        const QJsonObject params = root.value(QStringLiteral("parameters")).toObject();
        for (auto it = params.begin(); it != params.end(); ++it) {
            const QJsonValue v = it->toObject().value(QStringLiteral("value"));
            t.parameters[it.key().toStdString()] = v.isDouble()
                                                       ? ParameterValue{v.toDouble(), {}}
                                                       : ParameterValue{std::nullopt, v.toString().toStdString()};
        }
        out.push_back(std::move(t));
    }
    return out;
}

std::map<std::string, std::unique_ptr<HardwareTarget>> createAll()
{
    std::map<std::string, std::unique_ptr<HardwareTarget>> out;
    NpuTargetPlugin factory;
    for (const TargetFile &f : npuTargetFiles()) {
        ParameterError error;
        out[f.id] = factory.create(f.id, f.parameters, error);
    }
    return out;
}

std::vector<std::pair<std::string, NetworkInfo>> shippedNetworks()
{
    std::vector<std::pair<std::string, NetworkInfo>> out;
    const QDir dir(QStringLiteral(PSC_SOURCE_DIR "/resources/networks"));
    for (const QString &name : dir.entryList({QStringLiteral("*.json")}, QDir::Files, QDir::Name)) {
        const psc::NetworkDescription desc = psc::parseNetwork(dir.filePath(name).toStdString());
        out.emplace_back(name.toStdString(), fromAnalysis(desc, psc::analyzeNetwork(desc)));
    }
    return out;
}

} // namespace

class TestNpuTargetFiles : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void pluginMetadata();
    void everyNumberHasASource();
    void everyFileCreatesATarget();
    void expectedTargetsShipped();
    void shippedNetworksEstimate();
    void biggerAcceleratorsNeverSlower();
    void deepEmbeddedSlowerThanHighEnd();
};

void TestNpuTargetFiles::pluginMetadata()
{
    bool found = false;
    for (const QStaticPlugin &p : QPluginLoader::staticPlugins()) {
        const QJsonObject meta = p.metaData();
        if (meta.value(QStringLiteral("className")).toString() != QStringLiteral("NpuTargetPlugin"))
            continue;
        found = true;
        const QJsonObject data = meta.value(QStringLiteral("MetaData")).toObject();
        QCOMPARE(data.value(QStringLiteral("id")).toString(), QStringLiteral("npu"));
        QCOMPARE(data.value(QStringLiteral("kind")).toString(), QStringLiteral("target"));
        QCOMPARE(data.value(QStringLiteral("apiVersion")).toInt(), psc::plugin::kApiMajorVersion);
        QCOMPARE(meta.value(QStringLiteral("IID")).toString(), QStringLiteral(PSC_TARGET_FACTORY_IID));
        auto *factory = qobject_cast<psc::plugin::TargetFactory *>(p.instance());
        QVERIFY(factory);
        QCOMPARE(factory->modelId(), std::string("npu"));
    }
    QVERIFY(found);
}

void TestNpuTargetFiles::everyNumberHasASource()
{
    const QDir dir(QStringLiteral(PSC_SOURCE_DIR "/resources/targets"));
    int files = 0;
    for (const QString &name : dir.entryList({QStringLiteral("*.json")}, QDir::Files, QDir::Name)) {
        QFile f(dir.filePath(name));
        QVERIFY(f.open(QIODevice::ReadOnly));
        QJsonParseError error;
        const QJsonDocument doc = QJsonDocument::fromJson(f.readAll(), &error);
        QVERIFY2(!doc.isNull(), qPrintable(name + ": " + error.errorString()));
        const QJsonObject root = doc.object();
        if (root.value(QStringLiteral("model")).toString() != QStringLiteral("npu"))
            continue;
        ++files;
        QCOMPARE(root.value(QStringLiteral("id")).toString() + QStringLiteral(".json"), name);
        QVERIFY(!root.value(QStringLiteral("name")).toString().isEmpty());
        QVERIFY(!root.value(QStringLiteral("description")).toString().isEmpty());
        const QJsonObject params = root.value(QStringLiteral("parameters")).toObject();
        QVERIFY(!params.isEmpty());
        for (auto it = params.begin(); it != params.end(); ++it) {
            const QString where = name + QStringLiteral(": ") + it.key();
            QVERIFY2(it->isObject(), qPrintable(where));
            const QJsonObject p = it->toObject();
            const QJsonValue value = p.value(QStringLiteral("value"));
            QVERIFY2(value.isDouble() || value.isString(), qPrintable(where));
            if (value.isDouble())
                QVERIFY2(!p.value(QStringLiteral("source")).toString().trimmed().isEmpty(), qPrintable(where));
            QVERIFY2(QRegularExpression(QStringLiteral("^[a-z][a-z0-9_]*$")).match(it.key()).hasMatch(),
                     qPrintable(where));
        }
    }
    QVERIFY(files >= 8);
}

void TestNpuTargetFiles::everyFileCreatesATarget()
{
    NpuTargetPlugin factory;
    const auto files = npuTargetFiles();
    QVERIFY(!files.empty());
    for (const TargetFile &f : files) {
        ParameterError error;
        const auto target = factory.create(f.id, f.parameters, error);
        QVERIFY2(target, qPrintable(f.path + QStringLiteral(": ") + QString::fromStdString(error.parameter) +
                                    QStringLiteral(": ") + QString::fromStdString(error.message)));
    }
}

void TestNpuTargetFiles::expectedTargetsShipped()
{
    const auto targets = createAll();
    for (const char *id : {"ethos-u55-32", "ethos-u55-64", "ethos-u55-128", "ethos-u55-256", "ethos-u65-256",
                           "ethos-u65-512", "ethos-u55-128-deep-embedded", "ethos-u65-256-mid-end"}) {
        QVERIFY2(targets.count(id) && targets.at(id), id);
    }
}

void TestNpuTargetFiles::shippedNetworksEstimate()
{
    const auto targets = createAll();
    const auto networks = shippedNetworks();
    QVERIFY(!networks.empty());
    for (const auto &[file, net] : networks) {
        const std::vector<LayerDeployment> deployment(net.layers.size());
        for (const auto &[id, target] : targets) {
            const CostEstimate e = target->estimate(net, deployment);
            const std::string where = file + " on " + id;
            QVERIFY2(e.layers.size() == net.layers.size(), where.c_str());
            QVERIFY2(std::isfinite(e.latencyS) && e.latencyS > 0 && e.latencyS < 1.0, where.c_str());
            QVERIFY2(std::isfinite(e.energyJ) && e.energyJ > 0, where.c_str());
            QVERIFY2(e.cycles > 0 && std::abs(e.extra.at("cycles") - e.cycles) < 1e-6, where.c_str());
            QVERIFY2(e.utilization > 0 && e.utilization <= 1, where.c_str());
            QVERIFY2(e.extra.count("sram_bytes") && e.extra.count("fallback_layers"), where.c_str());
            QVERIFY2(e.extra.count("flash_bytes") + e.extra.count("dram_bytes") == 1, where.c_str());
            QVERIFY2(e.weightStorageBytes > 0 && e.peakMemoryBytes >= net.arenaBytes, where.c_str());
            QCOMPARE(e.targetId, id);
            QCOMPARE(e.model, std::string("npu"));
            QVERIFY2(!e.limits.empty() && e.limits[0].name == "sram", where.c_str());
            for (const LayerCost &l : e.layers)
                QVERIFY2(std::isfinite(l.cycles) && l.cycles >= 0 && l.latencyS >= 0, (where + " " + l.layer).c_str());
        }
    }
}

void TestNpuTargetFiles::biggerAcceleratorsNeverSlower()
{
    const auto targets = createAll();
    for (const auto &[file, net] : shippedNetworks()) {
        const std::vector<LayerDeployment> deployment(net.layers.size());
        double previous = INFINITY;
        for (const char *id : {"ethos-u55-32", "ethos-u55-64", "ethos-u55-128", "ethos-u55-256"}) {
            const double latency = targets.at(id)->estimate(net, deployment).latencyS;
            QVERIFY2(latency <= previous, (file + " " + id).c_str());
            previous = latency;
        }
        const double u65x256 = targets.at("ethos-u65-256")->estimate(net, deployment).latencyS;
        const double u65x512 = targets.at("ethos-u65-512")->estimate(net, deployment).latencyS;
        QVERIFY2(u65x512 <= u65x256, file.c_str());
        QVERIFY2(u65x256 <= targets.at("ethos-u65-256-mid-end")->estimate(net, deployment).latencyS, file.c_str());
    }
}

void TestNpuTargetFiles::deepEmbeddedSlowerThanHighEnd()
{
    const auto targets = createAll();
    for (const auto &[file, net] : shippedNetworks()) {
        const std::vector<LayerDeployment> deployment(net.layers.size());
        const CostEstimate high = targets.at("ethos-u55-128")->estimate(net, deployment);
        const CostEstimate deep = targets.at("ethos-u55-128-deep-embedded")->estimate(net, deployment);
        QVERIFY2(deep.latencyS > high.latencyS, file.c_str());
        qInfo("%s: U55-128 high-end %.1f us (%.0f cycles), deep-embedded %.1f us; weights %.0f B, SRAM %.0f B",
              file.c_str(), high.latencyS * 1e6, high.cycles, deep.latencyS * 1e6, high.extra.at("flash_bytes"),
              high.extra.at("sram_bytes"));
    }
}

QTEST_APPLESS_MAIN(TestNpuTargetFiles)
#include "tst_nputargetfiles.moc"
