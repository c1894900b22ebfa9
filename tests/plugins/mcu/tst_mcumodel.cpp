// SPDX-License-Identifier: GPL-3.0-or-later
#include "mcumodel.h"
#include "mcuplugin.h"
#include "mcutesthelpers.h"

#include <QTest>

#include <cmath>
#include <stdexcept>

using namespace psc::plugin;
using psc::targets::mcu::KernelPath;
using psc::targets::mcu::McuParameters;
using psc::targets::mcu::McuTarget;
using psc::targets::mcu::SparseWeightFormat;

namespace {

LayerInfo conv(const std::string &name, int inC, int h, int w, int outC, int k, int stride)
{
    LayerInfo l;
    l.name = name;
    l.op = OpKind::Conv2d;
    l.inC = inC, l.inH = h, l.inW = w;
    l.outC = outC, l.outH = h / stride, l.outW = w / stride;
    l.kernelH = l.kernelW = k;
    l.strideH = l.strideW = stride;
    l.macs = std::int64_t(l.outH) * l.outW * outC * k * k * inC;
    l.weights = std::int64_t(outC) * k * k * inC;
    l.biases = outC;
    return l;
}

LayerInfo dense(const std::string &name, int in, int out)
{
    LayerInfo l;
    l.name = name;
    l.op = OpKind::Dense;
    l.inC = in, l.inH = 1, l.inW = 1;
    l.outC = out, l.outH = 1, l.outW = 1;
    l.macs = std::int64_t(in) * out;
    l.weights = std::int64_t(in) * out;
    l.biases = out;
    return l;
}

/**
 * The hand-computed network: input 1x16x16 int8 (256 B);
 *   conv    3x3, 1 -> 8 channels, stride 1, same, fused ReLU: out 8x16x16 (2048 B), MACs 16*16*8*9*1 = 18432,
 *           weights 72, biases 8; live = 256 + 2048 = 2304 B
 *   maxpool 2x2 stride 2: out 8x8x8 = 512 elements; live = 2048 + 512 = 2560 B
 *   flatten: 512x1x1; live = 512 + 512 = 1024 B
 *   dense   512 -> 10: MACs 5120, weights 5120, biases 10; live = 512 + 10 = 522 B
 * arena (greedy, 16-byte aligned) = 2560 B (conv output + pool output at the pool step).
 */
NetworkInfo tinyNetwork()
{
    NetworkInfo n;
    n.name = "tiny";
    n.inC = 1, n.inH = 16, n.inW = 16;
    n.inputBytes = 256;
    LayerInfo c = conv("conv", 1, 16, 16, 8, 3, 1);
    c.activation = FusedActivation::Relu;
    c.inputBytes = 256, c.outputBytes = 2048, c.liveBytes = 2304;
    LayerInfo p;
    p.name = "pool";
    p.op = OpKind::MaxPool2d;
    p.inC = 8, p.inH = 16, p.inW = 16, p.outC = 8, p.outH = 8, p.outW = 8;
    p.kernelH = p.kernelW = 2, p.strideH = p.strideW = 2;
    p.inputBytes = 2048, p.outputBytes = 512, p.liveBytes = 2560;
    LayerInfo f;
    f.name = "flatten";
    f.op = OpKind::Flatten;
    f.inC = 8, f.inH = 8, f.inW = 8, f.outC = 512, f.outH = 1, f.outW = 1;
    f.inputBytes = 512, f.outputBytes = 512, f.liveBytes = 1024;
    LayerInfo d = dense("dense", 512, 10);
    d.inputBytes = 512, d.outputBytes = 10, d.liveBytes = 522;
    n.layers = {c, p, f, d};
    n.arenaBytes = 2560;
    n.peakLiveBytes = 2560;
    return n;
}

std::unique_ptr<HardwareTarget> createTarget(const std::string &id, const Parameters &parameters)
{
    McuTargetPlugin plugin;
    ParameterError error;
    auto target = plugin.create(id, parameters, error);
    if (!target)
        qWarning("create(%s) failed: %s: %s", id.c_str(), error.parameter.c_str(), error.message.c_str());
    return target;
}

std::vector<LayerDeployment> int8(const NetworkInfo &n)
{
    return std::vector<LayerDeployment>(n.layers.size());
}

McuParameters parse(const Parameters &p)
{
    ParameterError error;
    auto parsed = psc::targets::mcu::parseMcuParameters(p, error);
    return parsed ? *parsed : McuParameters{};
}

} // namespace

class TestMcuModel : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void handComputedTinyNetworkOnF746();
    void sramLimitViolationOnF446();
    void flashLimitViolationOnNrf52840();
    void scratchBuffers();
    void flashWithSparsityAndBits();
    void operatorWork();
    void propertyFasterSlopesNeverSlower();
    void propertySparsityNeverLarger();
    void propertyMoreBitsNeverSmaller();
    void parseErrors_data();
    void parseErrors();
    void deploymentSizeMismatchThrows();
    void factoryMetadata();
};

void TestMcuModel::handComputedTinyNetworkOnF746()
{
    const Parameters parameters = psc::mcutest::targetParameters("stm32f746zg");
    // The figures below assume these values of resources/targets/stm32f746zg.json.
    const McuParameters p = parse(parameters);
    QCOMPARE(p.clockHz, 216e6);
    QCOMPARE(p.slopes[0], 1.7); // conv cycles/MAC
    QCOMPARE(p.slopes[2], 2.0); // dense cycles/MAC
    QCOMPARE(p.slopes[3], 1.0); // pool cycles/element
    QCOMPARE(p.overheadCyclesPerLayer, 2000.0);
    QCOMPARE(p.activePowerW, 0.33);
    QCOMPARE(p.persistentBytesPerLayer, std::int64_t(256));
    QCOMPARE(p.persistentBytesFixed, std::int64_t(2048));
    QCOMPARE(p.runtimeCodeBytes, std::int64_t(65536));
    QVERIFY(p.path == KernelPath::Dsp);

    const auto target = createTarget("stm32f746zg", parameters);
    QVERIFY(target);
    const NetworkInfo n = tinyNetwork();
    const CostEstimate e = target->estimate(n, int8(n));
    QCOMPARE(e.targetId, std::string("stm32f746zg"));
    QCOMPARE(e.model, std::string("mcu"));
    QCOMPARE(e.modelVersion, std::string(psc::targets::mcu::kModelVersion));
    QCOMPARE(e.layers.size(), std::size_t(4));

    // conv:    1.7 * 18432 + 2000 = 31334.4 + 2000 = 33334.4 cycles (fused ReLU is free)
    // maxpool: 1.0 * (512 outputs * 4 window) + 2000 = 2048 + 2000 = 4048 cycles
    // flatten: 0 cycles (a reshape aliases its input)
    // dense:   2.0 * 5120 + 2000 = 10240 + 2000 = 12240 cycles
    // total:   33334.4 + 4048 + 0 + 12240 = 49622.4 cycles
    QVERIFY(std::abs(e.layers[0].cycles - 33334.4) < 1e-6);
    QVERIFY(std::abs(e.layers[1].cycles - 4048.0) < 1e-9);
    QCOMPARE(e.layers[2].cycles, 0.0);
    QVERIFY(std::abs(e.layers[3].cycles - 12240.0) < 1e-9);
    QVERIFY(std::abs(e.cycles - 49622.4) < 1e-6);
    QVERIFY(std::abs(e.extra.at("cycles") - 49622.4) < 1e-6);
    // latency = 49622.4 / 216e6 = 229.733 us; energy = 0.33 W * 229.733 us = 75.812 uJ
    QVERIFY(std::abs(e.latencyS - 49622.4 / 216e6) < 1e-15);
    QVERIFY(std::abs(e.latencyS - 2.29733e-4) < 1e-9);
    QVERIFY(std::abs(e.energyJ - 7.58120e-5) < 1e-9);
    QVERIFY(std::abs(e.layers[0].latencyS - 33334.4 / 216e6) < 1e-15);
    // utilization: MAC cycles / cycles; conv 31334.4 / 33334.4 = 0.94000; network (31334.4 + 10240) / 49622.4
    QVERIFY(std::abs(e.layers[0].utilization - 31334.4 / 33334.4) < 1e-12);
    QCOMPARE(e.layers[1].utilization, 0.0);
    QVERIFY(std::abs(e.utilization - 41574.4 / 49622.4) < 1e-12);
    QVERIFY(e.layers[0].bound == Bound::Compute);
    QVERIFY(e.layers[2].bound == Bound::None);

    // SRAM: arena 2560 + conv im2col scratch (DSP) 2 * 1*3*3 * 2 = 36 B -> aligned 48 B
    //       + persistent 4 operators * 256 + 2048 = 3072 B  => 2560 + 48 + 3072 = 5680 B
    QCOMPARE(e.layers[0].workingMemoryBytes, std::int64_t(2304 + 36));
    QCOMPARE(e.layers[1].workingMemoryBytes, std::int64_t(2560));
    QCOMPARE(e.peakMemoryBytes, std::int64_t(5680));
    QCOMPARE(e.extra.at("sram_bytes"), 5680.0);
    QCOMPARE(e.extra.at("scratch_bytes"), 48.0);
    QCOMPARE(e.extra.at("persistent_bytes"), 3072.0);

    // Flash: conv 72 weights + 8 * 4 bias + 8 * 8 quant = 72 + 32 + 64 = 168 B
    //        dense 5120 + 10 * 4 + 10 * 8 = 5120 + 40 + 80 = 5240 B
    //        model 5408 B + runtime 65536 B = 70944 B
    QCOMPARE(e.layers[0].weightStorageBytes, std::int64_t(168));
    QCOMPARE(e.layers[3].weightStorageBytes, std::int64_t(5240));
    QCOMPARE(e.extra.at("model_flash_bytes"), 5408.0);
    QCOMPARE(e.weightStorageBytes, std::int64_t(70944));
    QCOMPARE(e.extra.at("flash_bytes"), 70944.0);

    QCOMPARE(e.limits.size(), std::size_t(2));
    QCOMPARE(e.limits[0].name, std::string("sram"));
    QVERIFY(e.limits[0].ok);
    QCOMPARE(e.limits[0].limit, 327680.0);
    QCOMPARE(e.limits[0].message, std::string("peak SRAM 5.5 KiB <= 320.0 KiB"));
    QCOMPARE(e.limits[1].name, std::string("flash"));
    QCOMPARE(e.limits[1].message, std::string("flash 69.3 KiB <= 1024.0 KiB"));
    QVERIFY(e.feasible());
}

void TestMcuModel::sramLimitViolationOnF446()
{
    const auto target = createTarget("stm32f446re", psc::mcutest::targetParameters("stm32f446re"));
    QVERIFY(target);
    // One dense layer with a 214784 B arena: peak = 214784 + 0 scratch + (1 * 256 + 2048) persistent
    // = 217088 B = 212.0 KiB > 128 KiB SRAM.
    NetworkInfo n;
    n.name = "big-arena";
    n.layers = {dense("fc", 1024, 10)};
    n.arenaBytes = 214784;
    const CostEstimate e = target->estimate(n, int8(n));
    QCOMPARE(e.peakMemoryBytes, std::int64_t(217088));
    QVERIFY(!e.feasible());
    QCOMPARE(e.limits[0].name, std::string("sram"));
    QVERIFY(!e.limits[0].ok);
    QCOMPARE(e.limits[0].value, 217088.0);
    QCOMPARE(e.limits[0].limit, 131072.0);
    QCOMPARE(e.limits[0].unit, std::string("B"));
    QCOMPARE(e.limits[0].message, std::string("peak SRAM 212.0 KiB > 128.0 KiB"));
    QVERIFY(e.limits[1].ok); // flash: 10240 + 40 + 80 + 65536 B fits 512 KB
}

void TestMcuModel::flashLimitViolationOnNrf52840()
{
    const auto target = createTarget("nrf52840", psc::mcutest::targetParameters("nrf52840"));
    QVERIFY(target);
    // Dense 1024 -> 1024: 1048576 weight bytes + 1024 * 4 bias + 1024 * 8 quantisation + 65536 runtime
    // = 1048576 + 4096 + 8192 + 65536 = 1126400 B = 1100.0 KiB > 1 MB flash.
    NetworkInfo n;
    n.name = "big-weights";
    n.layers = {dense("fc", 1024, 1024)};
    n.arenaBytes = 2048;
    const CostEstimate e = target->estimate(n, int8(n));
    QCOMPARE(e.weightStorageBytes, std::int64_t(1126400));
    QVERIFY(e.limits[0].ok);
    QVERIFY(!e.limits[1].ok);
    QCOMPARE(e.limits[1].name, std::string("flash"));
    QCOMPARE(e.limits[1].message, std::string("flash 1100.0 KiB > 1024.0 KiB"));
    QVERIFY(!e.feasible());
    // 4-bit weights fit: 524288 + 4096 + 8192 + 65536 = 602112 B.
    std::vector<LayerDeployment> d = int8(n);
    d[0].weightBits = 4;
    QCOMPARE(target->estimate(n, d).weightStorageBytes, std::int64_t(602112));
    QVERIFY(target->estimate(n, d).feasible());
}

void TestMcuModel::scratchBuffers()
{
    using psc::targets::mcu::scratchBytes;
    // 3x3 conv, 3 input channels: column 27. DSP 2 * 27 * 2 = 108 B; MVE 4 * ceil(27 / 8) * 8 = 4 * 4 * 8 = 128 B.
    const LayerInfo c = conv("c", 3, 32, 32, 16, 3, 1);
    QCOMPARE(scratchBytes(c, KernelPath::Dsp), std::int64_t(108));
    QCOMPARE(scratchBytes(c, KernelPath::Mve), std::int64_t(128));
    // 1x1 stride 1: the fast kernel needs none; 1x1 stride 2 goes through im2col: 2 * 16 * 2 = 64 B.
    QCOMPARE(scratchBytes(conv("p", 16, 8, 8, 32, 1, 1), KernelPath::Dsp), std::int64_t(0));
    QCOMPARE(scratchBytes(conv("p", 16, 8, 8, 32, 1, 2), KernelPath::Dsp), std::int64_t(64));
    // Depthwise 3x3, 8 channels, multiplier 1: DSP 8*9*2 = 144 B, MVE 2*8*9*2 = 288 B; multiplier 2: none.
    LayerInfo dw = c;
    dw.op = OpKind::DepthwiseConv2d;
    dw.inC = dw.outC = 8;
    QCOMPARE(scratchBytes(dw, KernelPath::Dsp), std::int64_t(144));
    QCOMPARE(scratchBytes(dw, KernelPath::Mve), std::int64_t(288));
    dw.outC = 16;
    QCOMPARE(scratchBytes(dw, KernelPath::Dsp), std::int64_t(0));
    QCOMPARE(scratchBytes(dense("d", 100, 10), KernelPath::Dsp), std::int64_t(0));
}

void TestMcuModel::flashWithSparsityAndBits()
{
    using psc::targets::mcu::layerFlashBytes;
    // 1000 weights, 10 output channels: biases 40 B, quantisation 80 B => fixed 120 B.
    const LayerInfo d = dense("d", 100, 10);
    LayerDeployment dep;
    QCOMPARE(layerFlashBytes(d, dep, SparseWeightFormat::Dense), std::int64_t(1000 + 120));
    dep.weightBits = 4; // packed: 500 B
    QCOMPARE(layerFlashBytes(d, dep, SparseWeightFormat::Dense), std::int64_t(500 + 120));
    dep.weightBits = 8;
    dep.pattern = SparsityPattern::Unstructured;
    dep.sparsity = 0.75;
    // dense format ignores zeros; bitmask: 250 non-zeros + ceil(1000 / 8) = 125 mask bytes = 375 B
    QCOMPARE(layerFlashBytes(d, dep, SparseWeightFormat::Dense), std::int64_t(1000 + 120));
    QCOMPARE(layerFlashBytes(d, dep, SparseWeightFormat::Bitmask), std::int64_t(375 + 120));
    dep.weightBits = 4; // ceil(250 * 4 / 8) = 125 + 125 = 250 B
    QCOMPARE(layerFlashBytes(d, dep, SparseWeightFormat::Bitmask), std::int64_t(250 + 120));
    dep.weightBits = 8;
    dep.sparsity = 0.1; // bitmask 900 + 125 = 1025 > 1000: the dense layout is kept
    QCOMPARE(layerFlashBytes(d, dep, SparseWeightFormat::Bitmask), std::int64_t(1000 + 120));
    dep.pattern = SparsityPattern::NM; // 2:4 implies 50 % zeros: 500 + 125 = 625 B
    dep.sparsity = 0.0;
    dep.n = 2, dep.m = 4;
    QCOMPARE(layerFlashBytes(d, dep, SparseWeightFormat::Bitmask), std::int64_t(625 + 120));
    dep.pattern = SparsityPattern::ChannelStructured; // already in the shapes
    dep.sparsity = 0.5;
    QCOMPARE(layerFlashBytes(d, dep, SparseWeightFormat::Bitmask), std::int64_t(1000 + 120));
}

void TestMcuModel::operatorWork()
{
    using psc::targets::mcu::layerWork;
    // Global average pool over 8x5x5: every input element read once = 200 pool elements.
    LayerInfo g;
    g.op = OpKind::GlobalAvgPool;
    g.inC = 8, g.inH = 5, g.inW = 5, g.outC = 8, g.outH = 1, g.outW = 1;
    QCOMPARE(layerWork(g).work[3], 200.0);
    // Add of two 4x4x4 tensors: 64 outputs * 2 inputs = 128 element operations, one invocation.
    LayerInfo a;
    a.op = OpKind::Add;
    a.inputs = 2;
    a.outC = 4, a.outH = 4, a.outW = 4;
    QCOMPARE(layerWork(a).work[4], 128.0);
    QCOMPARE(layerWork(a).invocations, 1);
    // Folded batch norm: nothing. Unfolded: MUL + ADD, 2 * 64 elements, two invocations.
    LayerInfo bn = a;
    bn.op = OpKind::BatchNorm;
    bn.foldedIntoProducer = true;
    QCOMPARE(layerWork(bn).invocations, 0);
    QCOMPARE(layerWork(bn).work[4], 0.0);
    bn.foldedIntoProducer = false;
    QCOMPARE(layerWork(bn).invocations, 2);
    QCOMPARE(layerWork(bn).work[4], 128.0);
    // A fused softmax on dense is a separate TFLite operator: 10 elements and one more invocation.
    LayerInfo d = dense("d", 64, 10);
    d.activation = FusedActivation::Softmax;
    QCOMPARE(layerWork(d).work[2], 640.0);
    QCOMPARE(layerWork(d).work[4], 10.0);
    QCOMPARE(layerWork(d).invocations, 2);
}

void TestMcuModel::propertyFasterSlopesNeverSlower()
{
    const Parameters base = psc::mcutest::targetParameters("stm32f746zg");
    NetworkInfo n = tinyNetwork();
    LayerInfo dw = conv("dw", 8, 8, 8, 8, 3, 1);
    dw.op = OpKind::DepthwiseConv2d;
    dw.macs = 8 * 8 * 8 * 9;
    LayerInfo add;
    add.op = OpKind::Add;
    add.inputs = 2, add.outC = 8, add.outH = 8, add.outW = 8;
    n.layers.insert(n.layers.begin() + 2, {dw, add});
    const double reference = createTarget("t", base)->estimate(n, int8(n)).latencyS;
    for (const char *name : psc::targets::mcu::slopeParameterNames()) {
        // More MACs (elements) per cycle = fewer cycles per unit: never slower, and here strictly faster.
        Parameters faster = base;
        faster[name] = psc::mcutest::number(*base.at(name).number * 0.5);
        const double latency = createTarget("t", faster)->estimate(n, int8(n)).latencyS;
        QVERIFY2(latency < reference, name);
    }
    Parameters higherClock = base;
    higherClock["clock_hz"] = psc::mcutest::number(300e6);
    QVERIFY(createTarget("t", higherClock)->estimate(n, int8(n)).latencyS < reference);
    // A bigger network (more MACs) is never faster.
    NetworkInfo bigger = n;
    bigger.layers.push_back(dense("extra", 10, 10));
    QVERIFY(createTarget("t", base)->estimate(bigger, int8(bigger)).latencyS > reference);
}

void TestMcuModel::propertySparsityNeverLarger()
{
    Parameters parameters = psc::mcutest::targetParameters("stm32f767zi");
    parameters["sparse_weight_format"] = psc::mcutest::text("bitmask");
    const auto target = createTarget("t", parameters);
    const NetworkInfo n = tinyNetwork();
    const CostEstimate dense0 = target->estimate(n, int8(n));
    std::int64_t previous = dense0.weightStorageBytes;
    for (double s = 0.05; s < 1.0; s += 0.05) {
        std::vector<LayerDeployment> d = int8(n);
        for (LayerDeployment &l : d)
            l.pattern = SparsityPattern::Unstructured, l.sparsity = s;
        const CostEstimate e = target->estimate(n, d);
        QVERIFY(e.weightStorageBytes <= previous);
        QCOMPARE(e.latencyS, dense0.latencyS); // dense kernels: no speed-up
        previous = e.weightStorageBytes;
    }
    QVERIFY(previous < dense0.weightStorageBytes);
}

void TestMcuModel::propertyMoreBitsNeverSmaller()
{
    const auto target = createTarget("t", psc::mcutest::targetParameters("nrf52840"));
    const NetworkInfo n = tinyNetwork();
    std::int64_t previous = 0;
    double latency = -1.0;
    for (int bits = 1; bits <= 16; ++bits) {
        std::vector<LayerDeployment> d = int8(n);
        for (LayerDeployment &l : d)
            l.weightBits = bits;
        const CostEstimate e = target->estimate(n, d);
        QVERIFY(e.weightStorageBytes >= previous);
        if (bits > 1)
            QVERIFY(e.weightStorageBytes > previous);
        if (latency >= 0.0)
            QCOMPARE(e.latencyS, latency); // low-bit weights are unpacked to int8: no speed-up
        latency = e.latencyS;
        previous = e.weightStorageBytes;
    }
}

void TestMcuModel::parseErrors_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<bool>("remove");
    QTest::addColumn<double>("value");
    QTest::addColumn<QString>("textValue");
    QTest::addColumn<QString>("expected");
    QTest::newRow("missing clock") << "clock_hz" << true << 0.0 << ""
                                   << "missing parameter";
    QTest::newRow("missing slope") << "cycles_per_mac_depthwise" << true << 0.0 << ""
                                   << "missing parameter";
    QTest::newRow("missing core") << "core" << true << 0.0 << ""
                                  << "expected one of \"cortex-m4\"";
    QTest::newRow("clock as text") << "clock_hz" << false << 0.0 << "216 MHz"
                                   << "got the text \"216 MHz\"";
    QTest::newRow("zero clock") << "clock_hz" << false << 0.0 << ""
                                << "expected a number of Hz in [1000, 1e+10], got 0";
    QTest::newRow("negative slope") << "cycles_per_mac_conv" << false << -1.0 << ""
                                    << "expected a number of cycles per MAC in [0.001, 10000], got -1";
    QTest::newRow("zero sram") << "sram_bytes" << false << 0.0 << ""
                               << "expected a whole number of B in [1, 1099511627776], got 0";
    QTest::newRow("fractional flash") << "flash_bytes" << false << 1.5 << ""
                                      << "expected a whole number of B in [1, 1099511627776], got 1.5";
    QTest::newRow("negative overhead") << "overhead_cycles_per_layer" << false << -5.0 << ""
                                       << "expected a number of cycles in [0, 1e+09], got -5";
    QTest::newRow("unknown core") << "core" << false << 0.0 << "cortex-a53"
                                  << "got \"cortex-a53\"";
    QTest::newRow("bad sparse format") << "sparse_weight_format" << false << 0.0 << "csr"
                                       << "expected one of \"dense\", \"bitmask\"";
    // Every number has a finite range: a huge power would make the energy infinite.
    QTest::newRow("huge power") << "active_power_w" << false << 1e308 << ""
                                << "expected a number of W in [1e-06, 100], got 1e+308";
    QTest::newRow("huge clock") << "clock_hz" << false << 1e11 << ""
                                << "in [1000, 1e+10], got 1e+11";
    QTest::newRow("huge sram") << "sram_bytes" << false << 1e15 << ""
                               << "in [1, 1099511627776], got 1e+15";
    QTest::newRow("unknown parameter") << "clock_mhz" << false << 216.0 << ""
                                       << "unknown parameter";
}

void TestMcuModel::parseErrors()
{
    QFETCH(QString, name);
    QFETCH(bool, remove);
    QFETCH(double, value);
    QFETCH(QString, textValue);
    QFETCH(QString, expected);
    Parameters parameters = psc::mcutest::targetParameters("stm32f746zg");
    QVERIFY(createTarget("ok", parameters)); // the unmodified file is valid
    if (remove)
        parameters.erase(name.toStdString());
    else if (!textValue.isEmpty())
        parameters[name.toStdString()] = psc::mcutest::text(textValue.toStdString());
    else
        parameters[name.toStdString()] = psc::mcutest::number(value);
    McuTargetPlugin plugin;
    ParameterError error;
    QVERIFY(!plugin.create("bad", parameters, error));
    QCOMPARE(QString::fromStdString(error.parameter), name);
    QVERIFY2(QString::fromStdString(error.message).contains(expected), error.message.c_str());
}

void TestMcuModel::deploymentSizeMismatchThrows()
{
    const auto target = createTarget("t", psc::mcutest::targetParameters("stm32f746zg"));
    const NetworkInfo n = tinyNetwork();
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, target->estimate(n, {}));
}

void TestMcuModel::factoryMetadata()
{
    McuTargetPlugin plugin;
    QCOMPARE(plugin.modelId(), std::string("mcu"));
    QCOMPARE(plugin.modelVersion(), std::string(psc::targets::mcu::kModelVersion));
    QVERIFY(!plugin.description().empty());
    auto *factory = qobject_cast<TargetFactory *>(&plugin);
    QVERIFY(factory);
}

QTEST_APPLESS_MAIN(TestMcuModel)
#include "tst_mcumodel.moc"
