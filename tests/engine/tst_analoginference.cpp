// SPDX-License-Identifier: GPL-3.0-or-later
// The analog non-ideality model: the PCM statistics against values computed by hand from cost-models.md 4.2,
// the crossbar simulation against the integer reference when every non-ideality is off, the direction of each
// effect (drift, compensation, converters), reproducibility and bad input.

#include "quantizedmodels.h"

#include "psc/analog/analoginference.h"
#include "psc/analog/pcmdevice.h"
#include "psc/core/duration.h"
#include "psc/core/error.h"
#include "psc/data/dataset.h"
#include "psc/quant/integerinference.h"
#include "psc/targets/targetlibrary.h"

#include "testsupport.h"

#include <QTest>

#include <cmath>
#include <random>

using namespace psc;
using psc::test::errorOf;

namespace {

constexpr double kHour = 3600.0;
constexpr double kDay = 86400.0;

/** A calibrated random model and `count` random images labelled with the integer reference's own answers. */
struct Labelled
{
    IntegerModel model;
    ImageSet images;
};

Labelled labelledModel(const char *json, int count, unsigned seed)
{
    std::mt19937 rng(seed);
    Labelled l;
    l.model = IntegerModel::quantize(testing::calibratedRandomModel(json, rng));
    const Shape &shape = l.model.network().input;
    l.images.count = count;
    l.images.channels = shape.channels;
    l.images.height = shape.height;
    l.images.width = shape.width;
    l.images.pixels = testing::randomImages(shape, count, rng);
    for (int n = 0; n < count; ++n) {
        const std::vector<std::int8_t> logits =
            l.model.run(l.images.pixels.data() + std::size_t(n) * l.images.imageSize());
        l.images.labels.push_back(std::uint8_t(std::max_element(logits.begin(), logits.end()) - logits.begin()));
    }
    return l;
}

/** No device noise, no drift, no output noise, ideal converters with room for any sum. */
AnalogTarget idealTarget(int rows)
{
    AnalogTarget t;
    t.id = "ideal";
    t.crossbarRows = rows;
    t.noise.progNoiseScale = 0.0;
    t.noise.readNoiseScale = 0.0;
    t.noise.driftScale = 0.0;
    t.noise.outputNoise = 0.0;
    t.noise.outputBound = 1e9;
    t.dacBits = 0;
    t.adcBits = 0;
    return t;
}

double agreement(const Labelled &l, const AnalogTarget &t, double seconds, int repeats = 1,
                 std::optional<plugin::AnalogDriftCompensation> compensation = std::nullopt)
{
    AnalogOptions o;
    o.repeats = repeats;
    o.seed = 7;
    o.compensation = compensation;
    return AnalogSimulator(l.model, t).evaluate(l.images, {seconds}, o).front().mean;
}

} // namespace

class TestAnalogInference : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void programmingNoiseMatchesTheReference()
    {
        // sigma = c0 + c1 g + c2 g^2 with c = 0.26348, 1.9650, -1.1731 (uS, g_max 25):
        // g 0.1 -> 0.26348 + 0.19650 - 0.011731 = 0.448249; 0.5 -> 0.26348 + 0.9825 - 0.293275 = 0.952705;
        // 1 -> 1.05538. As a share of g_max: 1.79 %, 3.81 %, 4.22 % (cost-models.md 4.2).
        const plugin::AnalogNoiseParameters p;
        QVERIFY(std::abs(pcm::programmingSigma(p, 0.1) - 0.448249) < 1e-6);
        QVERIFY(std::abs(pcm::programmingSigma(p, 0.5) - 0.952705) < 1e-6);
        QVERIFY(std::abs(pcm::programmingSigma(p, 1.0) - 1.05538) < 1e-6);
        QVERIFY(std::abs(pcm::programmingSigma(p, 1.0) / 25.0 - 0.0422) < 5e-5);
        // Scaled with g_max and the noise scale.
        plugin::AnalogNoiseParameters q;
        q.gMaxMicroSiemens = 50.0;
        q.progNoiseScale = 0.5;
        QVERIFY(std::abs(pcm::programmingSigma(q, 0.5) - 0.952705) < 1e-6);
    }

    void driftMatchesTheReference()
    {
        const plugin::AnalogNoiseParameters p;
        // mu = clip(-0.0155 ln g + 0.0244, 0.049, 0.1): g 1 -> 0.0244 -> 0.049; g 0.5 -> 0.035144 -> 0.049;
        // g 0.1 -> 0.0356896 + 0.0244 = 0.0600896.
        QVERIFY(std::abs(pcm::driftExponentMean(1.0) - 0.049) < 1e-12);
        QVERIFY(std::abs(pcm::driftExponentMean(0.5) - 0.049) < 1e-12);
        QVERIFY(std::abs(pcm::driftExponentMean(0.1) - 0.0600896) < 1e-6);
        QVERIFY(std::abs(pcm::driftExponentMean(0.0) - 0.1) < 1e-12); // clipped at 1e-7, then at 0.1
        // sigma_nu = clip(-0.0125 ln g - 0.0059, 0.008, 0.045): g 0.1 -> 0.028782 - 0.0059 = 0.0228826.
        QVERIFY(std::abs(pcm::driftExponentStd(0.1) - 0.0228826) < 1e-6);
        QVERIFY(std::abs(pcm::driftExponentStd(1.0) - 0.008) < 1e-12);
        // Factor at the mean exponent, ((t + 20) / 20)^-nu: 1 h -> 181^-0.049 = 0.7751, 1 day -> 4321^-0.049 =
        // 0.6635 (the reference's 0.775 and 0.664); g 0.1: 181^-0.0600896 = 0.7317, 4321^-0.0600896 = 0.6047.
        QVERIFY(std::abs(pcm::driftFactor(p, 0.049, kHour) - 0.7751) < 1e-4);
        QVERIFY(std::abs(pcm::driftFactor(p, 0.049, kDay) - 0.6635) < 1e-4);
        QVERIFY(std::abs(pcm::driftFactor(p, 0.0600896, kHour) - 0.7317) < 1e-4);
        QVERIFY(std::abs(pcm::driftFactor(p, 0.0600896, kDay) - 0.6047) < 1e-4);
        QCOMPARE(pcm::driftFactor(p, 0.05, 0.0), 1.0);
    }

    void readNoiseMatchesTheReference()
    {
        const plugin::AnalogNoiseParameters p;
        // sqrt(ln((t + 20 + 250e-9) / 500e-9)): 1 s -> sqrt(ln 4.2e7) = 4.1897; 1 h -> sqrt(ln 7.24e9) = 4.7648;
        // 1 day -> sqrt(ln 1.7284e11) = 5.0868 (the reference's 4.19, 4.76, 5.09).
        QVERIFY(std::abs(pcm::readNoiseTimeFactor(p, 1.0) - 4.1897) < 1e-4);
        QVERIFY(std::abs(pcm::readNoiseTimeFactor(p, kHour) - 4.7648) < 1e-4);
        QVERIFY(std::abs(pcm::readNoiseTimeFactor(p, kDay) - 5.0868) < 1e-4);
        // Q_s = min(0.0088 / g^0.65, 0.2): g 1 -> 0.0088, 4.2 % of g after 1 h; g 0.5 -> 0.0088 / 0.63728 =
        // 0.013809; g 0.1 -> 0.0088 / 0.22387 = 0.039308; g 0.001 (tiny devices) -> capped at 0.2.
        QVERIFY(std::abs(pcm::readNoiseRelative(p, 1.0, kHour) - 0.0088 * 4.7648) < 1e-5);
        QVERIFY(std::abs(pcm::readNoiseRelative(p, 0.5, kDay) - 0.013809 * 5.0868) < 1e-5);
        QVERIFY(std::abs(pcm::readNoiseRelative(p, 0.1, kDay) - 0.039308 * 5.0868) < 1e-5);
        QVERIFY(std::abs(pcm::readNoiseRelative(p, 0.001, kDay) - 0.2 * 5.0868) < 1e-4);
    }

    void idealCrossbarEqualsTheIntegerReference_data()
    {
        QTest::addColumn<QString>("net");
        QTest::addColumn<int>("rows");
        QTest::newRow("conv, depthwise, pools, dense") << QString(testing::kConvPoolNet) << 1024;
        QTest::newRow("the same on 5-row tiles") << QString(testing::kConvPoolNet) << 5;
        QTest::newRow("residual adds") << QString(testing::kResidualNet) << 16;
        QTest::newRow("narrow weights and activations") << QString(testing::kNarrowNet) << 1024;
        QTest::newRow("low_rank and kronecker") << QString(testing::kFactorNet) << 7;
    }

    void idealCrossbarEqualsTheIntegerReference()
    {
        QFETCH(QString, net);
        QFETCH(int, rows);
        const Labelled l = labelledModel(net.toStdString().c_str(), 200, 11);
        const AnalogSimulator sim(l.model, idealTarget(rows));
        // Layer by layer, exactly: the analog sums are integers up to float rounding, and the digital periphery
        // rounds them and requantises as the reference does.
        const auto &layers = l.model.layers();
        for (int n = 0; n < 20; ++n) {
            const std::uint8_t *image = l.images.pixels.data() + std::size_t(n) * l.images.imageSize();
            const auto reference = l.model.trace(image);
            const auto analog = sim.trace(image, 1.0, 1);
            QCOMPARE(analog.size(), reference.size());
            for (std::size_t i = 0; i < layers.size(); ++i)
                QVERIFY2(analog[i] == reference[i], (layers[i].name + ", image " + std::to_string(n)).c_str());
        }
        QCOMPARE(agreement(l, idealTarget(rows), 1.0), 1.0);
    }

    void driftCompensationRecoversDrift()
    {
        const Labelled l = labelledModel(testing::kConvPoolNet, 200, 3);
        AnalogTarget t = idealTarget(1024);
        t.noise.driftScale = 1.0; // drift only
        const double year = 365.0 * kDay;
        const double none = agreement(l, t, year, 3, plugin::AnalogDriftCompensation::None);
        const double global = agreement(l, t, year, 3, plugin::AnalogDriftCompensation::Global);
        const double column = agreement(l, t, year, 3, plugin::AnalogDriftCompensation::PerColumn);
        QVERIFY2(none < global - 0.1, (std::to_string(none) + " vs " + std::to_string(global)).c_str());
        QVERIFY2(column >= global - 0.05, (std::to_string(column) + " vs " + std::to_string(global)).c_str());
    }

    void noiseGrowsWithTimeAndCoarseConverters()
    {
        const Labelled l = labelledModel(testing::kConvPoolNet, 300, 5);
        AnalogTarget t = idealTarget(1024);
        t.noise = plugin::AnalogNoiseParameters(); // the reference PCM model, global compensation
        t.noise.outputNoise = 0.0;
        t.noise.outputBound = 1e9;
        const double second = agreement(l, t, 1.0, 4);
        const double decade = agreement(l, t, 10.0 * 365.0 * kDay, 4);
        QVERIFY2(second < 1.0, std::to_string(second).c_str());
        QVERIFY2(decade < second, (std::to_string(decade) + " vs " + std::to_string(second)).c_str());
        AnalogTarget coarse = idealTarget(1024);
        coarse.noise.outputBound = 40.0;
        coarse.adcBits = 3;
        QVERIFY(agreement(l, coarse, 1.0) < 0.9);
    }

    void drawsAreReproducibleAndIndependentOfThreads()
    {
        const Labelled l = labelledModel(testing::kFactorNet, 60, 9);
        AnalogTarget t;
        t.crossbarRows = 16;
        AnalogOptions o;
        o.repeats = 4;
        o.seed = 42;
        const AnalogSimulator sim(l.model, t);
        const auto a = sim.evaluate(l.images, {kHour, kDay}, o);
        o.threads = 3;
        const auto b = sim.evaluate(l.images, {kHour, kDay}, o);
        QCOMPARE(a.size(), std::size_t(2));
        QCOMPARE(a[0].draws, b[0].draws);
        QCOMPARE(a[1].draws, b[1].draws);
        QCOMPARE(a[1].seconds, kDay);
        // A time is read the same whatever else is asked with it (the trial pipeline asks one time, the GUI a grid).
        const auto alone = sim.evaluate(l.images, {kDay}, o);
        QCOMPARE(alone.front().draws, a[1].draws);
        // Draws differ from each other; the std is their sample spread.
        double mean = 0.0;
        for (double v : a[0].draws)
            mean += v / 4.0;
        QVERIFY(std::abs(a[0].mean - mean) < 1e-12);
        o.seed = 43;
        QVERIFY(sim.evaluate(l.images, {kHour}, o).front().draws != a[0].draws);
        // conv c1, then two matrices for each of lr, kr, lr2 and kr2; two devices per weight: c1 is 8 x 27,
        // lr 4 x 8 and 12 x 4, kr 3 x 3 and 2 x 4 (factors), lr2 5 x 6 and 20 x 5, kr2 2 x 5 and 5 x 4.
        QCOMPARE(sim.matrices(), 1 + 2 + 2 + 2 + 2);
        QCOMPARE(sim.devices(), 2 * (8 * 27 + 4 * 8 + 12 * 4 + 3 * 3 + 2 * 4 + 5 * 6 + 20 * 5 + 2 * 5 + 5 * 4));
    }

    void durations()
    {
        QCOMPARE(parseDuration("1s"), std::optional<double>(1.0));
        QCOMPARE(parseDuration("3600"), std::optional<double>(3600.0));
        QCOMPARE(parseDuration(" 1.5 d "), std::optional<double>(1.5 * 86400.0));
        QCOMPARE(parseDuration("1mo"), std::optional<double>(30.0 * 86400.0));
        QCOMPARE(parseDuration("10y"), std::optional<double>(3650.0 * 86400.0));
        QCOMPARE(parseDuration("90min"), std::optional<double>(5400.0));
        QVERIFY(!parseDuration("1 fortnight"));
        QVERIFY(!parseDuration("h"));
        QVERIFY(!parseDuration(""));
        QCOMPARE(formatDuration(1.0), std::string("1 s"));
        QCOMPARE(formatDuration(3600.0), std::string("1 h"));
        QCOMPARE(formatDuration(86400.0), std::string("1 d"));
        QCOMPARE(formatDuration(30.0 * 86400.0), std::string("1 mo"));
        QCOMPARE(formatDuration(365.0 * 86400.0), std::string("1 y"));
        QCOMPARE(formatDuration(5400.0), std::string("1.5 h"));
    }

    void badInput()
    {
        const Labelled l = labelledModel(testing::kConvPoolNet, 10, 1);
        const AnalogSimulator sim(l.model, AnalogTarget());
        AnalogOptions o;
        o.repeats = 0;
        QVERIFY(errorOf([&] { sim.evaluate(l.images, {1.0}, o); }).find("repeats must be at least 1") !=
                std::string::npos);
        o.repeats = 1;
        QVERIFY(errorOf([&] { sim.evaluate(l.images, {0.0}, o); }).find("must be positive") != std::string::npos);
        ImageSet wrong = l.images;
        wrong.width = 5;
        QVERIFY(errorOf([&] { sim.evaluate(wrong, {1.0}, o); }).find("do not fit the network input") !=
                std::string::npos);
        QVERIFY(errorOf([&] { AnalogSimulator(IntegerModel(), AnalogTarget()); }).find("quantised model") !=
                std::string::npos);

        TargetDefinition mcu;
        mcu.id = "stm32f746zg";
        mcu.model = "mcu";
        mcu.file = "targets/stm32f746zg.json";
        const std::string e = errorOf([&] { analogTarget(mcu); });
        QVERIFY2(e.find("targets/stm32f746zg.json") != std::string::npos && e.find("analog-cim") != std::string::npos,
                 e.c_str());

        TargetDefinition cim;
        cim.id = "cim";
        cim.model = "analog-cim";
        cim.file = "cim.json";
        cim.parameters.push_back({"crossbar_rows", plugin::ParameterValue{256.0, ""}, "rows", "test"});
        cim.parameters.push_back({"adc_bits", plugin::ParameterValue{6.0, ""}, "bits", "test"});
        cim.parameters.push_back({"dac_bits", plugin::ParameterValue{std::nullopt, "activation"}, "", "test"});
        cim.parameters.push_back({"drift_compensation", plugin::ParameterValue{std::nullopt, "per_column"}, "", "t"});
        const AnalogTarget t = analogTarget(cim);
        QCOMPARE(t.crossbarRows, 256);
        QCOMPARE(t.adcBits, std::optional<int>(6));
        QVERIFY(!t.dacBits);
        QVERIFY(t.noise.compensation == plugin::AnalogDriftCompensation::PerColumn);
        QCOMPARE(t.noise.outputNoise, 0.04);
        cim.parameters.push_back({"adc_output_noise", plugin::ParameterValue{-1.0, ""}, "", "test"});
        const std::string bad = errorOf([&] { analogTarget(cim); });
        QVERIFY2(bad.find("cim.json: /parameters/adc_output_noise") != std::string::npos, bad.c_str());
    }
};

QTEST_GUILESS_MAIN(TestAnalogInference)
#include "tst_analoginference.moc"
