// SPDX-License-Identifier: GPL-3.0-or-later
#include "mcumodel.h"
#include "mcuplugin.h"
#include "mcutesthelpers.h"

#include <psc/net/analysis.h>
#include <psc/net/networkparser.h>
#include <psc/targets/costinput.h>

#include <QDir>
#include <QRegularExpression>
#include <QTest>

#include <cmath>

using namespace psc::plugin;

class TestMcuTargetFiles : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void everyTargetFileIsCitedAndLoads();
    void expectedTargetsPresent();
    void realNetworksOnEveryTarget();
};

void TestMcuTargetFiles::everyTargetFileIsCitedAndLoads()
{
    const QStringList files = psc::mcutest::mcuTargetFiles();
    QVERIFY(files.size() >= 6);
    McuTargetPlugin plugin;
    for (const QString &path : files) {
        const QJsonObject target = psc::mcutest::readTargetObject(path);
        const QString id = target.value(QStringLiteral("id")).toString();
        QVERIFY2(!id.isEmpty(), qPrintable(path));
        QVERIFY2(path.endsWith(id + QStringLiteral(".json")), qPrintable(path + ": id must match the file name"));
        QVERIFY2(!target.value(QStringLiteral("name")).toString().isEmpty(), qPrintable(path));
        QVERIFY2(!target.value(QStringLiteral("description")).toString().isEmpty(), qPrintable(path));
        const QJsonObject parameters = target.value(QStringLiteral("parameters")).toObject();
        QVERIFY2(!parameters.isEmpty(), qPrintable(path));
        for (auto it = parameters.begin(); it != parameters.end(); ++it) {
            const QJsonObject p = it.value().toObject();
            const QString where = path + QLatin1Char(':') + it.key();
            QVERIFY2(p.contains(QStringLiteral("value")), qPrintable(where));
            QVERIFY2(QRegularExpression(QStringLiteral("^[a-z][a-z0-9_]*$")).match(it.key()).hasMatch(),
                     qPrintable(where + QStringLiteral(": lowercase_with_underscores")));
            if (p.value(QStringLiteral("value")).isDouble()) {
                QVERIFY2(!p.value(QStringLiteral("source")).toString().trimmed().isEmpty(),
                         qPrintable(where + QStringLiteral(": numeric parameter without a source")));
                QVERIFY2(!p.value(QStringLiteral("unit")).toString().isEmpty(), qPrintable(where));
            }
        }
        ParameterError error;
        const auto created = plugin.create(id.toStdString(), psc::mcutest::flattenParameters(target), error);
        QVERIFY2(created, qPrintable(path + QStringLiteral(": ") + QString::fromStdString(error.parameter) +
                                     QStringLiteral(": ") + QString::fromStdString(error.message)));
    }
}

void TestMcuTargetFiles::expectedTargetsPresent()
{
    const QStringList files = psc::mcutest::mcuTargetFiles();
    for (const char *id : {"stm32f446re", "stm32f746zg", "stm32f767zi", "stm32l4r5zi", "nrf52840", "alif-e3-hp"})
        QVERIFY2(
            files.contains(psc::mcutest::targetsDir() + QLatin1Char('/') + QLatin1String(id) + QStringLiteral(".json")),
            id);
    // The M55 target takes the Helium code path; the STM32 and nRF parts the DSP path.
    ParameterError error;
    const auto m55 = psc::targets::mcu::parseMcuParameters(psc::mcutest::targetParameters("alif-e3-hp"), error);
    QVERIFY(m55 && m55->path == psc::targets::mcu::KernelPath::Mve);
    const auto m4 = psc::targets::mcu::parseMcuParameters(psc::mcutest::targetParameters("stm32f446re"), error);
    QVERIFY(m4 && m4->path == psc::targets::mcu::KernelPath::Dsp);
    // Priors keep the documented ordering: M55 < M7 < M4 cycles per conv MAC.
    const auto m7 = psc::targets::mcu::parseMcuParameters(psc::mcutest::targetParameters("stm32f746zg"), error);
    QVERIFY(m7);
    QVERIFY(m55->slopes[0] < m7->slopes[0] && m7->slopes[0] < m4->slopes[0]);
}

void TestMcuTargetFiles::realNetworksOnEveryTarget()
{
    const QDir dir(QStringLiteral(PSC_SOURCE_DIR "/resources/networks"));
    const QStringList networks = dir.entryList({QStringLiteral("*.json")}, QDir::Files, QDir::Name);
    QVERIFY(!networks.isEmpty());
    McuTargetPlugin plugin;
    for (const QString &file : networks) {
        const psc::NetworkDescription desc = psc::parseNetwork(dir.filePath(file).toStdString());
        const psc::ModelAnalysis analysis = psc::analyzeNetwork(desc);
        const NetworkInfo n = psc::toNetworkInfo(desc, analysis);
        const std::vector<LayerDeployment> deployment(n.layers.size());
        double f746 = 0.0, f446 = 0.0, m55 = 0.0;
        for (const QString &path : psc::mcutest::mcuTargetFiles()) {
            const QJsonObject target = psc::mcutest::readTargetObject(path);
            const std::string id = target.value(QStringLiteral("id")).toString().toStdString();
            ParameterError error;
            const auto t = plugin.create(id, psc::mcutest::flattenParameters(target), error);
            QVERIFY(t);
            const CostEstimate e = t->estimate(n, deployment);
            const QString where = file + QLatin1Char('@') + QString::fromStdString(id);
            QVERIFY2(std::isfinite(e.latencyS) && e.latencyS > 0.0, qPrintable(where));
            QVERIFY2(e.energyJ > 0.0, qPrintable(where));
            QVERIFY2(e.peakMemoryBytes >= analysis.arenaBytes, qPrintable(where));
            QVERIFY2(e.weightStorageBytes >= analysis.totalWeightBytes, qPrintable(where));
            QVERIFY2(e.utilization > 0.0 && e.utilization <= 1.0, qPrintable(where));
            QCOMPARE(e.layers.size(), n.layers.size());
            if (id == "stm32f746zg")
                f746 = e.latencyS;
            if (id == "stm32f446re")
                f446 = e.latencyS;
            if (id == "alif-e3-hp")
                m55 = e.latencyS;
            qInfo("%s (%.2f M MACs) on %s: %.3f ms, %.1f uJ, SRAM %.1f KiB, flash %.1f KiB%s", qPrintable(file),
                  e.extra.at("macs") / 1e6, id.c_str(), e.latencyS * 1e3, e.energyJ * 1e6, e.peakMemoryBytes / 1024.0,
                  e.weightStorageBytes / 1024.0, e.feasible() ? "" : " (infeasible)");
        }
        // M4 at 180 MHz slower than M7 at 216 MHz slower than M55 at 400 MHz.
        QVERIFY2(f446 > f746 && f746 > m55, qPrintable(file));
    }
}

QTEST_APPLESS_MAIN(TestMcuTargetFiles)
#include "tst_mcutargetfiles.moc"
