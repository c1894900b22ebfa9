// SPDX-License-Identifier: GPL-3.0-or-later
#include "systolicmodel.h"
#include "systolicplugin.h"
#include "testnetworks.h"

#include <psc/plugin/searchstrategy.h>

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QPluginLoader>
#include <psc/plugin/parameterreader.h>

#include <QTest>

#include <set>

using namespace psc::plugin;

namespace {

struct TargetFile
{
    QString path;
    QJsonObject json;
};

/** Every target file in resources/targets whose "model" is "systolic". */
std::vector<TargetFile> systolicTargetFiles()
{
    std::vector<TargetFile> files;
    const QDir dir(QStringLiteral(PSC_SOURCE_DIR "/resources/targets"));
    for (const QString &name : dir.entryList({QStringLiteral("*.json")}, QDir::Files, QDir::Name)) {
        QFile f(dir.filePath(name));
        if (!f.open(QIODevice::ReadOnly))
            continue;
        const QJsonObject o = QJsonDocument::fromJson(f.readAll()).object();
        if (o.value(QStringLiteral("model")).toString() == QStringLiteral("systolic"))
            files.push_back({f.fileName(), o});
    }
    return files;
}

/** The flattening the engine does: name -> number or text. */
Parameters flatten(const QJsonObject &parameters)
{
    Parameters out;
    for (auto it = parameters.begin(); it != parameters.end(); ++it) {
        const QJsonValue v = it.value().toObject().value(QStringLiteral("value"));
        ParameterValue pv;
        if (v.isDouble())
            pv.number = v.toDouble();
        else
            pv.text = v.toString().toStdString();
        out[it.key().toStdString()] = pv;
    }
    return out;
}

NetworkInfo exampleNetwork()
{
    LayerInfo l; // cost-models.md 3.1: 3x3 conv, 16 -> 32 channels, 16x16 output
    l.name = "conv";
    l.op = OpKind::Conv2d;
    l.inC = 16, l.inH = 16, l.inW = 16;
    l.outC = 32, l.outH = 16, l.outW = 16;
    l.kernelH = l.kernelW = 3;
    l.macs = 1179648, l.weights = 4608, l.biases = 32;
    l.inputBytes = 4096, l.outputBytes = 8192;
    NetworkInfo n;
    n.name = "example";
    n.layers = {l};
    return n;
}

} // namespace

class TestSystolicTargetFiles : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void everyFileIsCitedAndCreates();
    void shippedDesignPoints();
    void pluginMetadata();
    void figuresOnRealNetworks();
};

void TestSystolicTargetFiles::everyFileIsCitedAndCreates()
{
    const std::vector<TargetFile> files = systolicTargetFiles();
    QVERIFY2(files.size() >= 6, "expected the six systolic target files");
    const SystolicTargetPlugin factory;
    QCOMPARE(factory.modelId(), std::string("systolic"));
    for (const TargetFile &f : files) {
        const QByteArray where = f.path.toUtf8();
        const QString id = f.json.value(QStringLiteral("id")).toString();
        QVERIFY2(!id.isEmpty() && f.path.endsWith(QLatin1Char('/') + id + QStringLiteral(".json")), where);
        QVERIFY2(!f.json.value(QStringLiteral("name")).toString().isEmpty(), where);
        QVERIFY2(!f.json.value(QStringLiteral("description")).toString().isEmpty(), where);
        const QJsonObject parameters = f.json.value(QStringLiteral("parameters")).toObject();
        QVERIFY2(!parameters.isEmpty(), where);
        for (auto it = parameters.begin(); it != parameters.end(); ++it) {
            const QJsonObject p = it.value().toObject();
            const QByteArray what = where + ": " + it.key().toUtf8();
            QVERIFY2(p.contains(QStringLiteral("value")), what);
            QVERIFY2(p.value(QStringLiteral("value")).isDouble() || p.value(QStringLiteral("value")).isString(), what);
            // Every parameter of ours is cited, text ones included.
            QVERIFY2(!p.value(QStringLiteral("source")).toString().trimmed().isEmpty(), what);
        }
        ParameterError error;
        const std::unique_ptr<HardwareTarget> target = factory.create(id.toStdString(), flatten(parameters), error);
        QVERIFY2(target,
                 (where + ": " + QByteArray::fromStdString(error.parameter + ": " + error.message)).constData());
        const CostEstimate e = target->estimate(exampleNetwork(), {LayerDeployment{}});
        QCOMPARE(e.targetId, id.toStdString());
        QCOMPARE(e.model, std::string("systolic"));
        QVERIFY2(e.latencyS > 0.0 && e.energyJ > 0.0, where);
        QVERIFY2(e.extra.at("tops_per_w") > 0.0 && e.extra.at("tops_per_w") < 100.0, where);
        QVERIFY2(e.feasible(), where);
    }
}

void TestSystolicTargetFiles::shippedDesignPoints()
{
    std::map<std::string, std::unique_ptr<HardwareTarget>> targets;
    const SystolicTargetPlugin factory;
    for (const TargetFile &f : systolicTargetFiles()) {
        ParameterError error;
        const std::string id = f.json.value(QStringLiteral("id")).toString().toStdString();
        targets[id] = factory.create(id, flatten(f.json.value(QStringLiteral("parameters")).toObject()), error);
    }
    for (const char *id :
         {"sa-8x8-os", "sa-16x16-os", "sa-32x32-ws", "sa-32x32-is", "sa-64x64-ws", "sa-128x128-ws", "sta-dbb"})
        QVERIFY2(targets.count(id) && targets[id], id);

    // The shipped 16x16 OS array counts the worked example as SCALE-Sim v2 does: 16 x 2 folds of
    // 16 + 16 + 144 - 2 = 174 cycles, minus 1: 5,567 (the first-order timing gave 6,080).
    const CostEstimate sa16 = targets["sa-16x16-os"]->estimate(exampleNetwork(), {{}});
    QCOMPARE(sa16.extra.at("compute_cycles"), 5567.0);
    QCOMPARE(sa16.extra.at("stall_cycles"), sa16.cycles - 5567.0);
    // Each layer reports the same split: its compute (SCALE-Sim's CALC-mode figure) and the DRAM stall on top.
    QCOMPARE(sa16.layers.size(), std::size_t(1));
    QCOMPARE(sa16.layers[0].computeCycles, 5567.0);
    QCOMPARE(sa16.layers[0].stallCycles, sa16.layers[0].cycles - 5567.0);
    QVERIFY(sa16.layers[0].stallCycles >= 0.0);
    // The 32x32 IS array: S_R = 144, S_C = 256, T = 32; 5 x 8 folds of 64 + 32 + 32 - 2 = 126, minus 1: 5,039.
    QCOMPARE(targets["sa-32x32-is"]->estimate(exampleNetwork(), {{}}).extra.at("compute_cycles"), 5039.0);

    // sta-dbb: 8x8 grid of 2x4x2 PEs (1,024 MACs/cycle at 1 GHz = 2.048 TOPS peak); DBB 4/8 halves MAC work.
    const CostEstimate dense = targets["sta-dbb"]->estimate(exampleNetwork(), {{}});
    LayerDeployment d;
    d.pattern = SparsityPattern::Dbb, d.blockSize = 8, d.maxNonZeros = 4, d.sparsity = 0.5;
    const CostEstimate sparse = targets["sta-dbb"]->estimate(exampleNetwork(), {d});
    QCOMPARE(dense.extra.at("peak_ops_per_s"), 2.048e12);
    QCOMPARE(2.0 * sparse.extra.at("executed_macs"), dense.extra.at("executed_macs"));
    QVERIFY(sparse.extra.at("compute_cycles") < dense.extra.at("compute_cycles"));
    QVERIFY(sparse.energyJ < dense.energyJ);
    QVERIFY(sparse.weightStorageBytes < dense.weightStorageBytes);

    // Bigger weight-stationary arrays of the library are never slower in compute on the example.
    const double c32 = targets["sa-32x32-ws"]->estimate(exampleNetwork(), {{}}).extra.at("compute_cycles");
    const double c64 = targets["sa-64x64-ws"]->estimate(exampleNetwork(), {{}}).extra.at("compute_cycles");
    const double c128 = targets["sa-128x128-ws"]->estimate(exampleNetwork(), {{}}).extra.at("compute_cycles");
    QVERIFY(c64 <= c32 && c128 <= c64);
}

void TestSystolicTargetFiles::pluginMetadata()
{
    bool found = false;
    for (const QStaticPlugin &plugin : QPluginLoader::staticPlugins()) {
        const QJsonObject meta = plugin.metaData();
        const QJsonObject data = meta.value(QStringLiteral("MetaData")).toObject();
        if (data.value(QStringLiteral("id")).toString() != QStringLiteral("systolic"))
            continue;
        found = true;
        QCOMPARE(meta.value(QStringLiteral("IID")).toString(), QStringLiteral(PSC_TARGET_FACTORY_IID));
        QCOMPARE(data.value(QStringLiteral("kind")).toString(), QStringLiteral("target"));
        QCOMPARE(data.value(QStringLiteral("apiVersion")).toInt(), psc::plugin::kApiMajorVersion);
        QVERIFY(data.value(QStringLiteral("defaultEnable")).toBool());
        auto *factory = qobject_cast<TargetFactory *>(plugin.instance());
        QVERIFY(factory);
        QCOMPARE(factory->modelId(), std::string("systolic"));
        QCOMPARE(factory->modelVersion(), std::string(psc::targets::systolic::kModelVersion));
    }
    QVERIFY2(found, "the static systolic plugin is not registered");
}

void TestSystolicTargetFiles::figuresOnRealNetworks()
{
    // Sanity bounds on every shipped target for the shipped networks, and the figures for docs/targets/systolic.md.
    const SystolicTargetPlugin factory;
    for (const char *file : {"ds-cnn.json", "resnet8.json", "mobilenet-v1-025-96.json"}) {
        const NetworkInfo net = psc::test::networkInfoFromFile(file);
        qInfo("%s: peak live %lld B, arena %lld B", file, static_cast<long long>(net.peakLiveBytes),
              static_cast<long long>(net.arenaBytes));
        for (const TargetFile &f : systolicTargetFiles()) {
            ParameterError error;
            const std::string id = f.json.value(QStringLiteral("id")).toString().toStdString();
            const auto target =
                factory.create(id, flatten(f.json.value(QStringLiteral("parameters")).toObject()), error);
            QVERIFY(target);
            const CostEstimate e = target->estimate(net, psc::plugin::denseInt8Deployment(net));
            QVERIFY(e.latencyS > 0.0 && e.energyJ > 0.0);
            QVERIFY(e.utilization > 0.0 && e.utilization <= 1.0);
            // Achieved ops/s can never beat the peak.
            QVERIFY(2.0 * e.extra.at("macs") / e.latencyS <= e.extra.at("peak_ops_per_s") * (1.0 + 1e-9));
            int dramBound = 0, failedLimits = 0;
            for (const LimitCheck &c : e.limits)
                failedLimits += c.ok ? 0 : 1;
            for (const LayerCost &l : e.layers)
                dramBound += l.bound == Bound::Dram ? 1 : 0;
            qInfo("%-26s %-14s %9.1f us %9.2f uJ util %5.1f %% %6.3f TOPS/W dram-bound %d/%zu weights %lld B limits "
                  "failed %d",
                  file, id.c_str(), e.latencyS * 1e6, e.energyJ * 1e6, 100.0 * e.utilization, e.extra.at("tops_per_w"),
                  dramBound, e.layers.size(), static_cast<long long>(e.weightStorageBytes), failedLimits);
        }
    }
}

QTEST_APPLESS_MAIN(TestSystolicTargetFiles)
#include "tst_systolictargetfiles.moc"
