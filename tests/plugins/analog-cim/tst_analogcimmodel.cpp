// SPDX-License-Identifier: GPL-3.0-or-later
#include "analogcimmodel.h"
#include "cimtesthelpers.h"

#include <psc/plugin/parameterreader.h>

#include <QTest>

#include <cmath>

using psc::plugin::CostEstimate;
using psc::plugin::LayerDeployment;
using psc::plugin::LayerInfo;
using psc::plugin::NetworkInfo;
using psc::plugin::OpKind;
using psc::targets::analogcim::AnalogCimParameters;
using psc::targets::analogcim::AnalogCimTarget;
using psc::targets::analogcim::CimPacking;
using psc::targets::analogcim::CimResidency;

namespace {

/** Round numbers so that hand-computed figures are easy to follow. */
AnalogCimParameters simpleParameters()
{
    AnalogCimParameters p;
    p.crossbarRows = 64;
    p.crossbarCols = 32;
    p.crossbarTiles = 16;
    p.packing = CimPacking::Tiles;
    p.dacBits = std::nullopt; // follow the activation bits
    p.dacReferenceBits = 8;
    p.dacEnergyPerRowJ = 1e-12;
    p.adcBits = std::nullopt;
    p.adcReferenceBits = 8;
    p.adcEnergyPerConversionJ = 10e-12;
    p.adcTimePerConversionS = 50e-9;
    p.adcsPerTile = 1;
    p.crossbarReadTimeS = 100e-9;
    p.readEnergyPerCellJ = 0.1e-12;
    p.digitalEnergyPerOutputJ = 2e-12;
    p.digitalTimePerOutputS = 10e-9;
    return p;
}

LayerInfo conv(int inC, int h, int w, int outC, int k)
{
    LayerInfo l;
    l.name = "conv";
    l.op = OpKind::Conv2d;
    l.inC = inC;
    l.inH = h;
    l.inW = w;
    l.outC = outC;
    l.outH = h;
    l.outW = w;
    l.kernelH = l.kernelW = k;
    l.weights = std::int64_t(k) * k * inC * outC;
    l.macs = l.weights * h * w;
    return l;
}

LayerInfo dense(int in, int out)
{
    LayerInfo l;
    l.name = "dense";
    l.op = OpKind::Dense;
    l.inC = in;
    l.inH = l.inW = 1;
    l.outC = out;
    l.outH = l.outW = 1;
    l.weights = std::int64_t(in) * out;
    l.macs = l.weights;
    return l;
}

NetworkInfo single(const LayerInfo &l)
{
    NetworkInfo n;
    n.name = "one-layer";
    n.layers = {l};
    return n;
}

bool approx(double a, double b, double relative = 1e-9)
{
    return std::abs(a - b) <= relative * std::max(std::abs(a), std::abs(b));
}

const psc::plugin::LimitCheck *limit(const CostEstimate &e, const std::string &name)
{
    for (const auto &l : e.limits)
        if (l.name == name)
            return &l;
    return nullptr;
}

} // namespace

class TestAnalogCimModel : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void tilingRowAndColumnWaste();
    void depthwiseIsBlockDiagonal();
    void energyPerMvmTinyDense();
    void bitSerialInputsAndFixedAdc();
    void convCountsOneMvmPerOutputPixel();
    void aonCimTrendKws();
    void moreActivationBitsNeverCheaper();
    void sparsityKeepsCellsAndNeverCostsMore();
    void moreAdcsNeverSlower();
    void residentOverflowIsInfeasible();
    void reprogramModePaysForWrites();
    void weightlessLayers();
};

void TestAnalogCimModel::tilingRowAndColumnWaste()
{
    // 3x3x20 -> 40 conv on 64x32 tiles: rows 3*3*20 = 180 -> ceil(180/64) = 3 row tiles (192 rows, 12 wasted);
    // columns 40 -> ceil(40/32) = 2 column tiles (64 columns, 24 wasted); 3*2 = 6 tiles.
    AnalogCimParameters p = simpleParameters();
    const LayerInfo l = conv(20, 8, 8, 40, 3);
    const auto m = psc::targets::analogcim::mapLayer(l, p);
    QCOMPARE(m.rows, std::int64_t(180));
    QCOMPARE(m.cols, std::int64_t(40));
    QCOMPARE(m.rowTiles, std::int64_t(3));
    QCOMPARE(m.colTiles, std::int64_t(2));
    QCOMPARE(m.tiles, std::int64_t(6));
    QCOMPARE(m.usedCells, std::int64_t(7200));       // 180 * 40
    QCOMPARE(m.allocatedCells, std::int64_t(12288)); // 6 tiles * 64 * 32
    const CostEstimate e = AnalogCimTarget("t", p).estimate(single(l), {LayerDeployment{}});
    QVERIFY(approx(e.layers[0].utilization, 7200.0 / 12288.0)); // 0.5859
    QCOMPARE(e.extra.at("tiles"), 6.0);
    QCOMPARE(limit(e, "tiles")->value, 6.0);
    QVERIFY(limit(e, "tiles")->ok); // 6 <= 16

    // Shared packing: the pieces are packed side by side, only the matrix rectangle is allocated.
    p.packing = CimPacking::Shared;
    QCOMPARE(psc::targets::analogcim::mapLayer(l, p).allocatedCells, std::int64_t(7200));
    QVERIFY(limit(AnalogCimTarget("t", p).estimate(single(l), psc::plugin::denseInt8Deployment(single(l))), "tiles") ==
            nullptr);
}

void TestAnalogCimModel::depthwiseIsBlockDiagonal()
{
    // 3x3 depthwise on 16 channels: a 144 x 16 block-diagonal matrix with 9 weights per column.
    AnalogCimParameters p = simpleParameters();
    p.packing = CimPacking::Shared;
    LayerInfo l = conv(16, 5, 5, 16, 3);
    l.op = OpKind::DepthwiseConv2d;
    l.weights = 9 * 16;
    const auto m = psc::targets::analogcim::mapLayer(l, p);
    QCOMPARE(m.rows, std::int64_t(144));
    QCOMPARE(m.cols, std::int64_t(16));
    QCOMPARE(m.rowTiles, std::int64_t(3)); // 144 / 64
    QCOMPARE(m.usedCells, std::int64_t(144));
    QCOMPARE(m.allocatedCells, std::int64_t(2304)); // 144 * 16, 1/16 used
}

void TestAnalogCimModel::energyPerMvmTinyDense()
{
    // Dense 4 -> 3, 8-bit activations, DAC and ADC at the 8-bit reference, one input cycle:
    //   DAC     4 rows    * 1 pJ   =  4.0 pJ
    //   read    12 cells  * 0.1 pJ =  1.2 pJ
    //   ADC     3 columns * 10 pJ  = 30.0 pJ
    //   digital 3 outputs * 2 pJ   =  6.0 pJ    -> 41.2 pJ
    // Latency: read 100 ns + 3 conversions on 1 ADC * 50 ns + 3 outputs * 10 ns = 280 ns.
    const AnalogCimParameters p = simpleParameters();
    const NetworkInfo n = single(dense(4, 3));
    const CostEstimate e8 = AnalogCimTarget("t", p).estimate(n, cimtest::uniform(n, 8));
    QVERIFY(approx(e8.energyJ, 41.2e-12));
    QVERIFY(approx(e8.latencyS, 280e-9));
    QVERIFY(approx(e8.extra.at("energy_adc_j"), 30e-12));
    QVERIFY(approx(e8.extra.at("tops_per_w"), 2.0 * 12 / 41.2e-12 / 1e12)); // 0.5825 TOPS/W
    QCOMPARE(e8.model, std::string("analog-cim"));
    QCOMPARE(e8.modelVersion, std::string(psc::targets::analogcim::kAnalogCimModelVersion));
    QVERIFY(e8.layers[0].bound == psc::plugin::Bound::Compute);
    QVERIFY(std::isnan(e8.cycles)); // not clocked

    // 4-bit: DAC 4 * 1/16 = 0.25, read 1.2, ADC 30/16 = 1.875, digital 6 -> 9.325 pJ;
    // ADC time 50 ns * 4/8 = 25 ns: 100 + 3*25 + 30 = 205 ns.
    const CostEstimate e4 = AnalogCimTarget("t", p).estimate(n, cimtest::uniform(n, 4));
    QVERIFY(approx(e4.energyJ, 9.325e-12));
    QVERIFY(approx(e4.latencyS, 205e-9));

    // Clocked: cycles = latency * clock (280 ns at 1 GHz = 280 cycles).
    AnalogCimParameters clocked = p;
    clocked.clockHz = 1e9;
    const CostEstimate c = AnalogCimTarget("t", clocked).estimate(n, cimtest::uniform(n, 8));
    QVERIFY(approx(c.cycles, 280.0));
    QVERIFY(approx(c.extra.at("cycles"), 280.0));
}

void TestAnalogCimModel::bitSerialInputsAndFixedAdc()
{
    // 1-bit DAC, fixed 8-bit ADC, 4-bit activations: 4 input cycles, each
    //   DAC 4 rows * 1 pJ * 2^(1-8) = 0.03125 pJ, read 1.2 pJ, ADC 3 * 10 pJ = 30 pJ -> 31.23125 pJ;
    //   4 cycles = 124.925 pJ, + digital 6 pJ = 130.925 pJ.
    // Latency: 4 * (100 + 3 * 50) ns + 30 ns = 1030 ns.
    AnalogCimParameters p = simpleParameters();
    p.dacBits = 1;
    p.adcBits = 8;
    const NetworkInfo n = single(dense(4, 3));
    const CostEstimate e = AnalogCimTarget("t", p).estimate(n, cimtest::uniform(n, 4));
    QVERIFY(approx(e.energyJ, 130.925e-12));
    QVERIFY(approx(e.latencyS, 1030e-9));
    QCOMPARE(e.extra.at("adc_conversions"), 12.0);
    // dac_bits above the activation bits: a single cycle at the activation resolution.
    p.dacBits = 8;
    QVERIFY(approx(AnalogCimTarget("t", p).estimate(n, cimtest::uniform(n, 4)).extra.at("adc_conversions"), 3.0));
}

void TestAnalogCimModel::convCountsOneMvmPerOutputPixel()
{
    // 3x3x20 -> 40 conv, 8x8 output: 64 MVMs. Per MVM, 8-bit, 64x32 tiles (3 row x 2 column tiles):
    //   DAC     180 rows * 2 column tiles = 360 drives * 1 pJ  = 360 pJ
    //   read    7200 cells * 0.1 pJ                            = 720 pJ
    //   ADC     40 columns * 3 row tiles = 120 conv. * 10 pJ   = 1200 pJ
    //   digital 40 outputs * 2 pJ                              = 80 pJ   -> 2360 pJ, * 64 = 151.04 nJ
    // ADCs: 1 per tile * 6 tiles -> ceil(120 / 6) = 20 steps * 50 ns + 100 ns read + 40 * 10 ns = 1500 ns,
    // * 64 = 96 us.
    const AnalogCimParameters p = simpleParameters();
    const NetworkInfo n = single(conv(20, 8, 8, 40, 3));
    const CostEstimate e = AnalogCimTarget("t", p).estimate(n, cimtest::uniform(n, 8));
    QVERIFY(approx(e.energyJ, 151.04e-9));
    QVERIFY(approx(e.latencyS, 96e-6));
    QCOMPARE(e.extra.at("mvms"), 64.0);
}

void TestAnalogCimModel::aonCimTrendKws()
{
    // Published AON-CiM KWS efficiency (cost-models.md 4.1 [A]): 8.58 TOPS/W at 8-bit and 57.39 at 4-bit
    // (arXiv 2111.06503), 26.55 at 6-bit (IEEE Micro version). The aon-cim target must stay within 15 %.
    const AnalogCimParameters p = cimtest::parametersOf("aon-cim");
    QCOMPARE(p.crossbarRows, 1024);
    const NetworkInfo n = cimtest::networkInfo("ds-cnn.json");
    std::int64_t macs = 0;
    for (const LayerInfo &l : n.layers)
        macs += l.macs;
    QCOMPARE(macs, std::int64_t(2656768)); // 320000 + 4*72000 + 4*512000 + 768
    const AnalogCimTarget target("aon-cim", p);
    const struct
    {
        int bits;
        double topsPerW;
    } published[] = {{8, 8.58}, {6, 26.55}, {4, 57.39}};
    for (const auto &point : published) {
        const CostEstimate e = target.estimate(n, cimtest::uniform(n, point.bits));
        QVERIFY(e.feasible());
        const double tops = e.extra.at("tops_per_w");
        qInfo("aon-cim DS-CNN %d-bit: %.2f TOPS/W (published %.2f), %.1f nJ, %.1f us, %g cells used of %g allocated",
              point.bits, tops, point.topsPerW, e.energyJ * 1e9, e.latencyS * 1e6, e.extra.at("crossbar_cells_used"),
              e.extra.at("crossbar_cells_allocated"));
        QVERIFY2(std::abs(tops / point.topsPerW - 1.0) < 0.15, qPrintable(QString::number(tops)));
    }
}

void TestAnalogCimModel::moreActivationBitsNeverCheaper()
{
    const NetworkInfo n = cimtest::networkInfo("ds-cnn.json");
    for (const QString &id :
         {QStringLiteral("aon-cim"), QStringLiteral("pcm-cim-64x256"), QStringLiteral("aon-cim-512x128-reprogram")}) {
        const AnalogCimTarget target(id.toStdString(), cimtest::parametersOf(id));
        CostEstimate previous = target.estimate(n, cimtest::uniform(n, 1));
        for (int bits = 2; bits <= 8; ++bits) {
            const CostEstimate e = target.estimate(n, cimtest::uniform(n, bits));
            QVERIFY2(e.energyJ >= previous.energyJ, qPrintable(id));
            QVERIFY2(e.latencyS >= previous.latencyS, qPrintable(id));
            previous = e;
        }
    }
    // Weight bits do not change an analog crossbar's cost (a weight is one conductance pair at any precision).
    const AnalogCimTarget target("aon-cim", cimtest::parametersOf("aon-cim"));
    QVERIFY(approx(target.estimate(n, cimtest::uniform(n, 8, 0.0, 4)).energyJ,
                   target.estimate(n, cimtest::uniform(n, 8, 0.0, 8)).energyJ));
}

void TestAnalogCimModel::sparsityKeepsCellsAndNeverCostsMore()
{
    // Zeros stay programmed (both devices at g = 0): cells do not change, only read current drops.
    const NetworkInfo n = cimtest::networkInfo("ds-cnn.json");
    const AnalogCimTarget target("aon-cim", cimtest::parametersOf("aon-cim"));
    CostEstimate previous = target.estimate(n, cimtest::uniform(n, 8, 0.0));
    for (double s : {0.25, 0.5, 0.75, 0.95}) {
        const CostEstimate e = target.estimate(n, cimtest::uniform(n, 8, s));
        QCOMPARE(e.extra.at("crossbar_cells_used"), previous.extra.at("crossbar_cells_used"));
        QCOMPARE(e.extra.at("crossbar_cells_allocated"), previous.extra.at("crossbar_cells_allocated"));
        QVERIFY(e.energyJ <= previous.energyJ);
        QVERIFY(e.latencyS <= previous.latencyS);
        previous = e;
    }
    QVERIFY(previous.energyJ < target.estimate(n, cimtest::uniform(n, 8, 0.0)).energyJ); // strictly, at 95 %
}

void TestAnalogCimModel::moreAdcsNeverSlower()
{
    const NetworkInfo n = cimtest::networkInfo("ds-cnn.json");
    AnalogCimParameters p = cimtest::parametersOf("aon-cim");
    double previous = INFINITY;
    for (int adcs : {1, 2, 8, 64, 512}) {
        p.adcsPerTile = adcs;
        const CostEstimate e = AnalogCimTarget("t", p).estimate(n, cimtest::uniform(n, 8));
        QVERIFY(e.latencyS <= previous);
        previous = e.latencyS;
    }
}

void TestAnalogCimModel::residentOverflowIsInfeasible()
{
    // 3x3x20 -> 40 conv needs 6 tiles; with 4 tiles of 64x32 (8192 cells) it cannot stay resident.
    AnalogCimParameters p = simpleParameters();
    p.crossbarTiles = 4;
    const NetworkInfo n = single(conv(20, 8, 8, 40, 3));
    const CostEstimate e = AnalogCimTarget("t", p).estimate(n, cimtest::uniform(n, 8));
    QVERIFY(!e.feasible());
    const auto *cells = limit(e, "crossbar_cells");
    QVERIFY(cells && !cells->ok);
    QCOMPARE(cells->value, 12288.0);
    QCOMPARE(cells->limit, 8192.0);
    QCOMPARE(cells->message, std::string("crossbar cells 12.3 k > 8192"));
    QVERIFY(!limit(e, "tiles")->ok);

    // ds-cnn on the single aon-cim array: 167168 of 524288 cells (depthwise block diagonals dominate).
    const NetworkInfo ds = cimtest::networkInfo("ds-cnn.json");
    const CostEstimate a =
        AnalogCimTarget("t", cimtest::parametersOf("aon-cim")).estimate(ds, psc::plugin::denseInt8Deployment(ds));
    QVERIFY(a.feasible());
    // 2560 + 4 * 36864 + 4 * 4096 + 768 = 167168 allocated; 2560 + 4*576 + 4*4096 + 768 = 22016 used.
    QCOMPARE(a.extra.at("crossbar_cells_allocated"), 167168.0);
    QCOMPARE(a.extra.at("crossbar_cells_used"), 22016.0);
    QCOMPARE(a.extra.at("pcm_devices_used"), 44032.0); // 2 devices per weight
}

void TestAnalogCimModel::reprogramModePaysForWrites()
{
    AnalogCimParameters p = simpleParameters();
    p.crossbarTiles = 4;
    p.residency = CimResidency::Reprogram;
    p.programEnergyPerCellJ = 100e-12;
    p.programTimePerRowS = 1e-6;
    const NetworkInfo n = single(dense(100, 40)); // 100 x 40: 2 row tiles x 2 column tiles = 4 tiles
    NetworkInfo two = n;
    two.layers.push_back(dense(40, 40)); // 1 x 2 = 2 more tiles: 6 > 4, so both layers are reprogrammed
    const CostEstimate resident =
        AnalogCimTarget("t", simpleParameters()).estimate(two, psc::plugin::denseInt8Deployment(two));
    const CostEstimate e = AnalogCimTarget("t", p).estimate(two, psc::plugin::denseInt8Deployment(two));
    QVERIFY(e.feasible()); // each layer alone fits 4 tiles
    QCOMPARE(e.extra.at("reprogrammed"), 1.0);
    // Writes: (4000 + 1600) cells * 100 pJ = 560 nJ; rows (100 * 2 + 40 * 2) * 1 us = 280 us.
    QVERIFY(approx(e.extra.at("energy_program_j"), 560e-9));
    QVERIFY(approx(e.energyJ - resident.energyJ, 560e-9));
    QVERIFY(approx(e.latencyS - resident.latencyS, 280e-6));
    // A single layer larger than the whole array cannot run even with reprogramming.
    p.crossbarTiles = 3;
    QVERIFY(!AnalogCimTarget("t", p).estimate(two, psc::plugin::denseInt8Deployment(two)).feasible());
}

void TestAnalogCimModel::weightlessLayers()
{
    // ds-cnn: folded batch norms and ReLUs after a conv are free; the global average pool reads 64*25*5 = 8000
    // elements on the digital periphery.
    const NetworkInfo n = cimtest::networkInfo("ds-cnn.json");
    const AnalogCimParameters p = cimtest::parametersOf("aon-cim");
    const CostEstimate e = AnalogCimTarget("aon-cim", p).estimate(n, psc::plugin::denseInt8Deployment(n));
    QCOMPARE(e.layers.size(), n.layers.size());
    for (std::size_t i = 0; i < n.layers.size(); ++i) {
        if (n.layers[i].op == OpKind::BatchNorm || n.layers[i].op == OpKind::Relu)
            QCOMPARE(e.layers[i].energyJ, 0.0);
        if (n.layers[i].op == OpKind::GlobalAvgPool)
            QVERIFY(approx(e.layers[i].energyJ, 8000 * p.digitalEnergyPerOutputJ));
    }
    // A degenerate weighted layer (no output channels) costs nothing instead of producing NaN.
    LayerInfo empty = dense(4, 3);
    empty.outC = 0;
    const CostEstimate z = AnalogCimTarget("t", simpleParameters())
                               .estimate(single(empty), psc::plugin::denseInt8Deployment(single(empty)));
    QCOMPARE(z.energyJ, 0.0);
    QCOMPARE(z.latencyS, 0.0);
}

QTEST_APPLESS_MAIN(TestAnalogCimModel)
#include "tst_analogcimmodel.moc"
