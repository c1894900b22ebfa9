// SPDX-License-Identifier: GPL-3.0-or-later
#include "mcucalibration.h"
#include "mcumodel.h"
#include "mcuplugin.h"
#include "mcutesthelpers.h"

#include <QTest>

#include <cmath>
#include <random>
#include <stdexcept>

using namespace psc::plugin;
using psc::targets::mcu::McuCalibration;
using psc::targets::mcu::McuSample;

namespace {

constexpr double kClockHz = 216e6;
// Ground truth used to synthesise measurements: conv, depthwise, dense, pool, eltwise slopes and overhead.
const std::array<double, psc::targets::mcu::kWorkClasses> kSlopes = {1.9, 3.3, 2.2, 1.1, 4.5};
constexpr double kOverhead = 2500.0;

LayerInfo layer(OpKind op, int c, int h, int w, std::int64_t macs, int k = 1, int inputs = 1)
{
    LayerInfo l;
    l.op = op;
    l.inC = l.outC = c;
    l.inH = l.outH = h;
    l.inW = l.outW = w;
    l.kernelH = l.kernelW = k;
    l.inputs = inputs;
    l.macs = macs;
    return l;
}

/// Twelve structurally different networks: the counts of each operator type and their sizes vary independently.
std::vector<NetworkInfo> networks()
{
    std::mt19937 rng(1234);
    std::uniform_int_distribution<int> count(0, 4);
    std::vector<NetworkInfo> result;
    for (int i = 0; i < 12; ++i) {
        // Three size regimes, as in a real search space: in tiny networks the per-layer overhead dominates, in
        // large ones the conv MACs; both are needed to tell the overhead from the slopes.
        const int regime = i % 3;
        std::uniform_int_distribution<int> channels(2 << (2 * regime), 6 << (2 * regime));
        std::uniform_int_distribution<int> spatial(2 + 4 * regime, 6 + 5 * regime);
        NetworkInfo n;
        n.name = "synthetic-" + std::to_string(i);
        const int convs = 1 + count(rng), dws = count(rng), pools = count(rng), adds = count(rng), relus = count(rng),
                  denses = 1 + count(rng) / 2;
        for (int j = 0; j < convs; ++j) {
            const int c = channels(rng), s = spatial(rng);
            n.layers.push_back(layer(OpKind::Conv2d, c, s, s, std::int64_t(s) * s * c * c * 9, 3));
        }
        for (int j = 0; j < dws; ++j) {
            const int c = channels(rng), s = spatial(rng);
            n.layers.push_back(layer(OpKind::DepthwiseConv2d, c, s, s, std::int64_t(s) * s * c * 9, 3));
        }
        for (int j = 0; j < pools; ++j)
            n.layers.push_back(layer(OpKind::MaxPool2d, channels(rng), spatial(rng), spatial(rng), 0, 2));
        for (int j = 0; j < adds; ++j)
            n.layers.push_back(layer(OpKind::Add, channels(rng), spatial(rng), spatial(rng), 0, 1, 2));
        for (int j = 0; j < relus; ++j)
            n.layers.push_back(layer(OpKind::Relu, channels(rng), spatial(rng), spatial(rng), 0));
        for (int j = 0; j < denses; ++j) {
            LayerInfo d = layer(OpKind::Dense, 1, 1, 1, std::int64_t(channels(rng)) * 16 * channels(rng));
            n.layers.push_back(d);
        }
        result.push_back(n);
    }
    return result;
}

/// Measurements from the ground truth, each multiplied by (1 + noise) with noise uniform in [-amplitude, amplitude].
std::vector<McuSample> samples(double amplitude)
{
    std::mt19937 rng(99);
    std::uniform_real_distribution<double> noise(-amplitude, amplitude);
    std::vector<McuSample> result;
    for (const NetworkInfo &n : networks()) {
        const psc::targets::mcu::McuFeatures f = psc::targets::mcu::networkFeatures(n);
        double cycles = kOverhead * f.invocations;
        for (int c = 0; c < psc::targets::mcu::kWorkClasses; ++c)
            cycles += kSlopes[c] * f.work[c];
        McuSample s;
        s.network = n;
        s.deployment.resize(n.layers.size());
        s.measuredLatencyS = cycles / kClockHz * (1.0 + (amplitude > 0.0 ? noise(rng) : 0.0));
        result.push_back(s);
    }
    return result;
}

} // namespace

class TestMcuCalibration : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void recoversExactSlopes();
    void recoversSlopesWithNoise();
    void modelAgreesWithSyntheticMeasurements();
    void unexercisedCounterIsNotIdentified();
    void rejectsBadInput();
    void writesTargetFileBack();
};

void TestMcuCalibration::recoversExactSlopes()
{
    const McuCalibration fit = psc::targets::mcu::fitMcuLatency(samples(0.0), kClockHz);
    QCOMPARE(fit.samples, 12);
    for (int c = 0; c < psc::targets::mcu::kWorkClasses; ++c) {
        QVERIFY(fit.slopeIdentified[c]);
        QVERIFY2(std::abs(fit.slopes[c] - kSlopes[c]) < 1e-6 * kSlopes[c], psc::targets::mcu::slopeParameterNames()[c]);
    }
    QVERIFY(fit.overheadIdentified);
    QVERIFY(std::abs(fit.overheadCyclesPerLayer - kOverhead) < 1e-6 * kOverhead);
    QVERIFY(fit.rSquared > 1.0 - 1e-12);
    QVERIFY(fit.maxRelativeError < 1e-9);
}

void TestMcuCalibration::recoversSlopesWithNoise()
{
    // +-0.5 % measurement noise: the dominant conv slope within 2 %, the others within 15 %, predictions within 1 %.
    const McuCalibration fit = psc::targets::mcu::fitMcuLatency(samples(0.005), kClockHz);
    qInfo("fitted slopes %.4f %.4f %.4f %.4f %.4f, overhead %.1f, R^2 %.6f, max rel. error %.4f", fit.slopes[0],
          fit.slopes[1], fit.slopes[2], fit.slopes[3], fit.slopes[4], fit.overheadCyclesPerLayer, fit.rSquared,
          fit.maxRelativeError);
    QVERIFY2(std::abs(fit.slopes[0] / kSlopes[0] - 1.0) < 0.02, qPrintable(QString::number(fit.slopes[0])));
    for (int c = 1; c < psc::targets::mcu::kWorkClasses; ++c)
        QVERIFY2(std::abs(fit.slopes[c] / kSlopes[c] - 1.0) < 0.15,
                 qPrintable(QString::fromLatin1(psc::targets::mcu::slopeParameterNames()[c]) + QLatin1Char(' ') +
                            QString::number(fit.slopes[c])));
    QVERIFY2(std::abs(fit.overheadCyclesPerLayer / kOverhead - 1.0) < 0.15,
             qPrintable(QString::number(fit.overheadCyclesPerLayer)));
    QVERIFY(fit.maxRelativeError < 0.01);
    QVERIFY(fit.rSquared > 0.999);
}

void TestMcuCalibration::modelAgreesWithSyntheticMeasurements()
{
    // The fitted parameters, put into a target, reproduce each measurement: calibration and estimate() use the
    // same counters.
    const std::vector<McuSample> data = samples(0.0);
    const McuCalibration fit = psc::targets::mcu::fitMcuLatency(data, kClockHz);
    Parameters parameters = psc::mcutest::targetParameters("stm32f746zg");
    for (int c = 0; c < psc::targets::mcu::kWorkClasses; ++c)
        parameters[psc::targets::mcu::slopeParameterNames()[c]] = psc::mcutest::number(fit.slopes[c]);
    parameters["overhead_cycles_per_layer"] = psc::mcutest::number(fit.overheadCyclesPerLayer);
    McuTargetPlugin plugin;
    ParameterError error;
    const auto target = plugin.create("fitted", parameters, error);
    QVERIFY(target);
    for (const McuSample &s : data) {
        const double latency = target->estimate(s.network, s.deployment).latencyS;
        QVERIFY(std::abs(latency / s.measuredLatencyS - 1.0) < 1e-9);
    }
}

void TestMcuCalibration::unexercisedCounterIsNotIdentified()
{
    std::vector<McuSample> data = samples(0.0);
    for (McuSample &s : data) {
        std::vector<LayerInfo> kept;
        for (const LayerInfo &l : s.network.layers)
            if (l.op != OpKind::DepthwiseConv2d)
                kept.push_back(l);
        s.network.layers = kept;
        s.deployment.resize(kept.size());
        const psc::targets::mcu::McuFeatures f = psc::targets::mcu::networkFeatures(s.network);
        double cycles = kOverhead * f.invocations;
        for (int c = 0; c < psc::targets::mcu::kWorkClasses; ++c)
            cycles += kSlopes[c] * f.work[c];
        s.measuredLatencyS = cycles / kClockHz;
    }
    const McuCalibration fit = psc::targets::mcu::fitMcuLatency(data, kClockHz);
    QVERIFY(!fit.slopeIdentified[1]);
    QCOMPARE(fit.slopes[1], 0.0);
    QVERIFY(std::abs(fit.slopes[0] - kSlopes[0]) < 1e-6 * kSlopes[0]);
}

void TestMcuCalibration::rejectsBadInput()
{
    std::vector<McuSample> data = samples(0.0);
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, psc::targets::mcu::fitMcuLatency(data, 0.0));
    data.resize(3); // 6 unknowns, 3 measurements
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, psc::targets::mcu::fitMcuLatency(data, kClockHz));
    data = samples(0.0);
    data[4].measuredLatencyS = -1.0;
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, psc::targets::mcu::fitMcuLatency(data, kClockHz));
}

void TestMcuCalibration::writesTargetFileBack()
{
    const McuCalibration fit = psc::targets::mcu::fitMcuLatency(samples(0.0), kClockHz);
    QFile file(psc::mcutest::targetsDir() + QStringLiteral("/stm32f746zg.json"));
    QVERIFY(file.open(QIODevice::ReadOnly));
    const std::string original = file.readAll().toStdString();
    std::string error;
    const std::string text =
        psc::targets::mcu::calibratedTargetJson(original, fit, "bench-f746.csv", "stm32f746zg-calibrated", error);
    QVERIFY2(!text.empty(), error.c_str());
    const QJsonObject target = QJsonDocument::fromJson(QByteArray::fromStdString(text)).object();
    QCOMPARE(target.value(QStringLiteral("id")).toString(), QStringLiteral("stm32f746zg-calibrated"));
    QCOMPARE(target.value(QStringLiteral("model")).toString(), QStringLiteral("mcu"));
    const QJsonObject conv =
        target.value(QStringLiteral("parameters")).toObject().value(QStringLiteral("cycles_per_mac_conv")).toObject();
    QVERIFY(std::abs(conv.value(QStringLiteral("value")).toDouble() - kSlopes[0]) < 1e-6);
    QVERIFY(conv.value(QStringLiteral("source"))
                .toString()
                .startsWith(QStringLiteral("calibrated from 12 measurements (bench-f746.csv)")));
    // Untouched parameters keep their sources; the result loads through the factory.
    const QJsonObject clock =
        target.value(QStringLiteral("parameters")).toObject().value(QStringLiteral("clock_hz")).toObject();
    QVERIFY(clock.value(QStringLiteral("source")).toString().contains(QStringLiteral("elektroniknet")));
    McuTargetPlugin plugin;
    ParameterError parameterError;
    QVERIFY(plugin.create("c", psc::mcutest::flattenParameters(target), parameterError));

    QVERIFY(psc::targets::mcu::calibratedTargetJson("{not json", fit, "x", "", error).empty());
    QVERIFY(!error.empty());
}

QTEST_APPLESS_MAIN(TestMcuCalibration)
#include "tst_mcucalibration.moc"
