// SPDX-License-Identifier: GPL-3.0-or-later
#include "systolicmodel.h"

#include "testnetworks.h"

#include <psc/plugin/parameterreader.h>

#include <QTest>

#include <cmath>

using namespace psc::plugin;
namespace sys = psc::targets::systolic;

namespace {

/** A compute-bound array: DRAM and SRAM so large that only the folds count. */
sys::SystolicParameters array(int rows, int cols, sys::Dataflow dataflow)
{
    sys::SystolicParameters p;
    p.clockHz = 1e9;
    p.rows = rows;
    p.cols = cols;
    p.dataflow = dataflow;
    p.ifmapSramBytes = p.filterSramBytes = p.ofmapSramBytes = 1e12;
    p.dramBandwidthBytesPerS = 1e18;
    p.vectorElementsPerCycle = 4;
    p.energyPerMacJ = 1e-12;
    p.sramEnergyPerByteJ = 1e-12;
    p.dramEnergyPerByteJ = 1e-10;
    p.vectorEnergyPerElementJ = 1e-13;
    return p;
}

/** The conv of the cost-models.md 3.1 worked example: 3x3, C_in 16 -> C_out 32, 16x16 output (same padding). */
LayerInfo exampleConv()
{
    LayerInfo l;
    l.name = "conv";
    l.op = OpKind::Conv2d;
    l.inC = 16, l.inH = 16, l.inW = 16;
    l.outC = 32, l.outH = 16, l.outW = 16;
    l.kernelH = l.kernelW = 3;
    l.macs = 16LL * 16 * 32 * 3 * 3 * 16; // 1,179,648
    l.weights = 32LL * 16 * 9;            // 4,608
    l.biases = 32;
    return l;
}

NetworkInfo single(const LayerInfo &l)
{
    NetworkInfo n;
    n.name = "one";
    n.layers = {l};
    return n;
}

Parameters validParameters()
{
    auto num = [](double v) { return ParameterValue{v, {}}; };
    auto text = [](const char *s) { return ParameterValue{std::nullopt, s}; };
    return {{"clock_hz", num(2e8)},
            {"array_rows", num(16)},
            {"array_cols", num(16)},
            {"dataflow", text("os")},
            {"ifmap_sram_bytes", num(32768)},
            {"filter_sram_bytes", num(32768)},
            {"ofmap_sram_bytes", num(32768)},
            {"dram_bandwidth_bytes_per_s", num(1.6e9)},
            {"vector_elements_per_cycle", num(16)},
            {"energy_per_mac_j", num(3e-13)},
            {"sram_energy_per_byte_j", num(2.5e-12)},
            {"dram_energy_per_byte_j", num(1.625e-10)},
            {"vector_energy_per_element_j", num(3e-14)}};
}

} // namespace

class TestSystolicModel : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void workedExampleOutputStationary();
    void weightStationaryCases();
    void inputStationaryAndPerDataflowTiming();
    void scaleSimV2Timing();
    void depthwisePerChannel();
    void tensorArrayAndDbb();
    void dbbFallbacks();
    void memoryTrafficAndDram();
    void energyAndExtras();
    void propertyBiggerArrayNeverSlower();
    void propertySparsityNeverSlower();
    void propertyMoreBitsNeverFewerBytes();
    void latencyBudgetLimit();
    void storageOptions();
    void realNetworks();
    void parseErrors_data();
    void parseErrors();
};

void TestSystolicModel::workedExampleOutputStationary()
{
    // cost-models.md 3.1: S_R = 16*16 = 256 output pixels, S_C = 32 filters, T = 3*3*16 = 144.
    // folds = ceil(256/16) * ceil(32/16) = 16 * 2 = 32; per fold 2*16 + 16 + 144 - 2 = 190 cycles;
    // 32 * 190 = 6,080 cycles; MACs 256*32*144 = 1,179,648; utilisation 1,179,648 / (256 * 6,080) = 75.79 %.
    const auto p = array(16, 16, sys::Dataflow::OutputStationary);
    const sys::Mapping m = sys::mapGemm(p, {256, 144, 32, 1});
    QCOMPARE(m.sr, std::int64_t(256));
    QCOMPARE(m.sc, std::int64_t(32));
    QCOMPARE(m.t, std::int64_t(144));
    QCOMPARE(m.foldsR * m.foldsC, std::int64_t(32));
    QCOMPARE(m.cycles, 6080.0);
    QCOMPARE(m.work, 1179648.0);
    QVERIFY(std::abs(m.utilization - 0.757894) < 1e-5);

    // Same through the target on a LayerInfo.
    const sys::SystolicTarget target("t", p);
    const CostEstimate e = target.estimate(single(exampleConv()), {LayerDeployment{}});
    QCOMPARE(e.layers.size(), std::size_t(1));
    QCOMPARE(e.layers[0].cycles, 6080.0);
    QCOMPARE(e.cycles, 6080.0);
    QVERIFY(std::abs(e.latencyS - 6.08e-6) < 1e-15);
    QVERIFY(std::abs(e.layers[0].utilization - 0.757894) < 1e-5);
    QVERIFY(e.layers[0].bound == Bound::Compute);
    QCOMPARE(e.model, std::string("systolic"));
    QCOMPARE(e.modelVersion, std::string(sys::kModelVersion));
    QVERIFY(e.layers[0].note.find("S_R=256 S_C=32 T=144 folds 16x2") != std::string::npos);
}

void TestSystolicModel::weightStationaryCases()
{
    // WS, same conv, 16x16: S_R = 144, S_C = 32, T = 256; folds 9 * 2 = 18; per fold 2*16 + 16 + 256 - 2 = 302;
    // 18 * 302 = 5,436 cycles; utilisation 1,179,648 / (256 * 5,436) = 84.77 %.
    const auto p = array(16, 16, sys::Dataflow::WeightStationary);
    const sys::Mapping m = sys::mapGemm(p, {256, 144, 32, 1});
    QCOMPARE(m.sr, std::int64_t(144));
    QCOMPARE(m.sc, std::int64_t(32));
    QCOMPARE(m.t, std::int64_t(256));
    QCOMPARE(m.foldsR, std::int64_t(9));
    QCOMPARE(m.foldsC, std::int64_t(2));
    QCOMPARE(m.cycles, 5436.0);
    QVERIFY(std::abs(m.utilization - 1179648.0 / (256.0 * 5436.0)) < 1e-12);

    // WS with edge folds: dense 100 -> 10 on 8x8. S_R = 100, S_C = 10, T = 1. Row folds occupy 8 (x12) and 4
    // rows, column folds 8 and 2. Sum of 2r + c + 1 - 2 over the 13 x 2 folds = 2*100*2 + 10*13 - 26 = 504.
    // (The paper's full-fold formula would charge (16 + 8 - 1) * 26 = 598: we charge occupied rows/columns.)
    const auto p8 = array(8, 8, sys::Dataflow::WeightStationary);
    LayerInfo dense;
    dense.name = "fc";
    dense.op = OpKind::Dense;
    dense.inC = 100, dense.inH = 1, dense.inW = 1;
    dense.outC = 10, dense.outH = 1, dense.outW = 1;
    dense.macs = 1000, dense.weights = 1000, dense.biases = 10;
    const CostEstimate e = sys::SystolicTarget("t", p8).estimate(single(dense), {LayerDeployment{}});
    QCOMPARE(e.cycles, 504.0);
    QVERIFY(e.layers[0].note.find("ws S_R=100 S_C=10 T=1 folds 13x2") != std::string::npos);
    // A fused softmax runs on the vector unit afterwards: + ceil(10 / 4) = 3 cycles -> 507.
    dense.activation = FusedActivation::Softmax;
    QCOMPARE(sys::SystolicTarget("t", p8).estimate(single(dense), {LayerDeployment{}}).cycles, 507.0);
}

void TestSystolicModel::inputStationaryAndPerDataflowTiming()
{
    // IS, 16x16: S_R = 144, S_C = 256, T = 32; folds 9 * 16 = 144; per fold 32 + 16 + 32 - 2 = 78; 11,232 cycles.
    const sys::Mapping is = sys::mapGemm(array(16, 16, sys::Dataflow::InputStationary), {256, 144, 32, 1});
    QCOMPARE(is.sr, std::int64_t(144));
    QCOMPARE(is.sc, std::int64_t(256));
    QCOMPARE(is.t, std::int64_t(32));
    QCOMPARE(is.cycles, 11232.0);

    // Per-dataflow timing. OS: R + C + T - 2 = 16 + 16 + 142 = 174 per fold, x32 = 5,568.
    auto os = array(16, 16, sys::Dataflow::OutputStationary);
    os.foldTiming = sys::FoldTiming::PerDataflow;
    QCOMPARE(sys::mapGemm(os, {256, 144, 32, 1}).cycles, 5568.0);
    // WS: 2R + 2C + T - 3 = 32 + 32 + 253 = 317 per fold, x18 = 5,706.
    auto ws = array(16, 16, sys::Dataflow::WeightStationary);
    ws.foldTiming = sys::FoldTiming::PerDataflow;
    QCOMPARE(sys::mapGemm(ws, {256, 144, 32, 1}).cycles, 5706.0);
}

void TestSystolicModel::scaleSimV2Timing()
{
    // SCALE-Sim v2's own regression test (test/golden_trace/COMPUTE_REPORT.csv of scale-sim-v2): AlexNet conv1 on a
    // 32x32 weight-stationary array: M = 55*55 = 3025 pixels, K = 11*11*3 = 363, N = 96 filters; folds
    // ceil(363/32) x ceil(96/32) = 12 x 3 = 36; per fold 2*32 + 32 + 3025 - 2 = 3119; 36*3119 - 1 = 112,283.
    auto ws = array(32, 32, sys::Dataflow::WeightStationary);
    ws.foldTiming = sys::FoldTiming::ScaleSimV2;
    QCOMPARE(sys::mapGemm(ws, {3025, 363, 96, 1}).cycles, 112283.0);
    // A 3x3 conv, 8 input channels, 16 filters, 16x16 output (M 256, K 72, N 16) on 32x32, every fold charged
    // at the whole array: OS 8 x 1 folds x (32 + 32 + 72 - 2) - 1 = 1,071; WS 3 x 1 x (64 + 32 + 256 - 2) - 1 =
    // 1,049; IS 3 x 8 x (64 + 32 + 16 - 2) - 1 = 2,639.
    const struct
    {
        sys::Dataflow dataflow;
        double cycles;
    } cases[] = {{sys::Dataflow::OutputStationary, 1071.0},
                 {sys::Dataflow::WeightStationary, 1049.0},
                 {sys::Dataflow::InputStationary, 2639.0}};
    for (const auto &[dataflow, cycles] : cases) {
        auto p = array(32, 32, dataflow);
        p.foldTiming = sys::FoldTiming::ScaleSimV2;
        QCOMPARE(sys::mapGemm(p, {256, 72, 16, 1}).cycles, cycles);
    }
    // Depthwise runs one GEMM per channel, each one cycle short: 8 channels of (M 256, K 9, N 1) on OS 16x16:
    // 16 x 1 folds x (16 + 16 + 9 - 2) - 1 = 623 per channel, x8 = 4,984.
    auto os = array(16, 16, sys::Dataflow::OutputStationary);
    os.foldTiming = sys::FoldTiming::ScaleSimV2;
    QCOMPARE(sys::mapGemm(os, {256, 9, 1, 8}).cycles, 4984.0);
}

void TestSystolicModel::depthwisePerChannel()
{
    // Depthwise 3x3 on 8 channels, 16x16 output, OS 16x16: per channel S_R = 256, S_C = 1 (multiplier),
    // T = 9; folds 16 x 1; cycles 2*256*1 + 1*16 + 16*(9 - 2) = 640 per channel, x8 = 5,120.
    // Work 256*9*8 = 18,432 MACs -> utilisation 18,432 / (256 * 5,120) = 1.41 %: 15 of 16 columns idle.
    LayerInfo dw;
    dw.name = "dw";
    dw.op = OpKind::DepthwiseConv2d;
    dw.inC = 8, dw.inH = 16, dw.inW = 16;
    dw.outC = 8, dw.outH = 16, dw.outW = 16;
    dw.kernelH = dw.kernelW = 3;
    dw.macs = 18432, dw.weights = 72, dw.biases = 8;
    const CostEstimate e =
        sys::SystolicTarget("t", array(16, 16, sys::Dataflow::OutputStationary)).estimate(single(dw), {{}});
    QCOMPARE(e.cycles, 5120.0);
    QVERIFY(std::abs(e.utilization - 0.0140625) < 1e-12);
    QVERIFY(e.layers[0].note.find("x8 channels") != std::string::npos);
}

void TestSystolicModel::tensorArrayAndDbb()
{
    // STA: 4x4 grid of 2x4x2 tensor PEs = 256 MACs/cycle, like a 16x16 SA. OS worked example:
    // S_R = 256 pixels / A=2 -> 128 PE rows, S_C = 32 / C=2 -> 16, T = 144 / B=4 -> 36 steps;
    // folds ceil(128/4) * ceil(16/4) = 32 * 4 = 128; per fold 2*4 + 4 + 36 - 2 = 46; 128 * 46 = 5,888 cycles.
    auto sta = array(4, 4, sys::Dataflow::OutputStationary);
    sta.tensorA = 2, sta.tensorB = 4, sta.tensorC = 2;
    QCOMPARE(sta.peakMacsPerCycle(), 256.0);
    QCOMPARE(sys::mapGemm(sta, {256, 144, 32, 1}).cycles, 5888.0);
    const CostEstimate dense = sys::SystolicTarget("sta", sta).estimate(single(exampleConv()), {{}});
    QCOMPARE(dense.cycles, 5888.0);

    // DBB 4/8 on C_in = 16: reduction 9 * ceil(16/8) * 4 = 72 = half of 144 -> T = 72 / 4 = 18 steps;
    // cycles 2*128*4 + 16*32 + 128*(18 - 2) = 1,024 + 512 + 2,048 = 3,584; executed MACs 589,824 = half.
    sta.dbbBlockSize = 8, sta.dbbMaxNonZeros = 4;
    LayerDeployment d;
    d.pattern = SparsityPattern::Dbb;
    d.blockSize = 8;
    d.maxNonZeros = 4;
    d.sparsity = 0.5;
    const CostEstimate sparse = sys::SystolicTarget("sta", sta).estimate(single(exampleConv()), {d});
    QCOMPARE(sparse.cycles, 3584.0);
    QCOMPARE(sparse.extra.at("executed_macs"), 589824.0);
    QCOMPARE(sparse.extra.at("macs"), 1179648.0);
    QCOMPARE(2.0 * sparse.extra.at("executed_macs"), dense.extra.at("executed_macs"));
    // Weights: dense 4,608 B + 32 int32 biases = 4,736 B; DBB 4/8 stores 4 of 8 with a 3-bit index:
    // 4,608 * 0.5 * (8 + 3) / 8 = 3,168 B + 128 = 3,296 B.
    QCOMPARE(dense.weightStorageBytes, std::int64_t(4736));
    QCOMPARE(sparse.weightStorageBytes, std::int64_t(3296));

    // A layer bound of 2/8 still occupies the hardware's 4 slots per block.
    d.maxNonZeros = 2;
    QCOMPARE(sys::SystolicTarget("sta", sta).estimate(single(exampleConv()), {d}).cycles, 3584.0);
}

void TestSystolicModel::dbbFallbacks()
{
    auto sta = array(4, 4, sys::Dataflow::OutputStationary);
    LayerDeployment d;
    d.pattern = SparsityPattern::Dbb;
    d.blockSize = 8;
    d.maxNonZeros = 4;
    // No DBB hardware: dense cycles (6,080) and a note saying why.
    CostEstimate e =
        sys::SystolicTarget("sa", array(16, 16, sys::Dataflow::OutputStationary)).estimate(single(exampleConv()), {d});
    QCOMPARE(e.cycles, 6080.0);
    QVERIFY(e.layers[0].note.find("runs dense") != std::string::npos);
    // Block size mismatch (16 vs 8) and a bound above the hardware's (6 > 4): dense.
    sta.dbbBlockSize = 8, sta.dbbMaxNonZeros = 4;
    const double denseCycles = sys::SystolicTarget("sta", sta).estimate(single(exampleConv()), {{}}).cycles;
    d.blockSize = 16;
    QCOMPARE(sys::SystolicTarget("sta", sta).estimate(single(exampleConv()), {d}).cycles, denseCycles);
    d.blockSize = 8, d.maxNonZeros = 6;
    QCOMPARE(sys::SystolicTarget("sta", sta).estimate(single(exampleConv()), {d}).cycles, denseCycles);
    // Unstructured sparsity: no skipping hardware, dense.
    LayerDeployment u;
    u.pattern = SparsityPattern::Unstructured;
    u.sparsity = 0.9;
    QCOMPARE(sys::SystolicTarget("sta", sta).estimate(single(exampleConv()), {u}).cycles, denseCycles);
}

void TestSystolicModel::memoryTrafficAndDram()
{
    // OS worked example, SRAM demand: ifmap S_R*T*foldsC = 256*144*2 = 73,728; filter S_C*T*foldsR =
    // 32*144*16 = 73,728; ofmap S_R*S_C = 8,192 (elements = bytes at int8).
    const sys::Mapping m = sys::mapGemm(array(16, 16, sys::Dataflow::OutputStationary), {256, 144, 32, 1});
    QCOMPARE(m.ifmapReads, 73728.0);
    QCOMPARE(m.filterReads, 73728.0);
    QCOMPARE(m.ofmapWrites, 8192.0);
    // WS: filter S_R*S_C = 4,608 once; ifmap T*S_R*foldsC = 256*144*2 = 73,728; ofmap T*S_C*foldsR = 256*32*9.
    const sys::Mapping w = sys::mapGemm(array(16, 16, sys::Dataflow::WeightStationary), {256, 144, 32, 1});
    QCOMPARE(w.filterReads, 4608.0);
    QCOMPARE(w.ifmapReads, 73728.0);
    QCOMPARE(w.ofmapWrites, 73728.0);

    LayerInfo l = exampleConv();
    l.inputBytes = 4096, l.outputBytes = 8192;
    // Everything fits: DRAM = unique bytes 4,096 + 4,736 + 8,192 = 17,024.
    auto p = array(16, 16, sys::Dataflow::OutputStationary);
    CostEstimate e = sys::SystolicTarget("t", p).estimate(single(l), {{}});
    QCOMPARE(e.extra.at("dram_bytes"), 17024.0);
    QCOMPARE(e.extra.at("sram_read_bytes"), 147456.0);
    QCOMPARE(e.extra.at("sram_write_bytes"), 8192.0);
    // Ifmap SRAM of half the ifmap: refetch half of (73,728 - 4,096): 4,096 + 34,816 = 38,912 for the ifmap.
    p.ifmapSramBytes = 2048;
    e = sys::SystolicTarget("t", p).estimate(single(l), {{}});
    QCOMPARE(e.extra.at("dram_bytes"), 38912.0 + 4736.0 + 8192.0);
    // A slow DRAM makes the layer DRAM-bound: 51,840 B at 1 MB/s = 51.84 ms >> 6.08 us of compute.
    p.dramBandwidthBytesPerS = 1e6;
    e = sys::SystolicTarget("t", p).estimate(single(l), {{}});
    QVERIFY(e.layers[0].bound == Bound::Dram);
    QVERIFY(std::abs(e.latencyS - 0.05184) < 1e-12);
    QCOMPARE(e.extra.at("compute_cycles"), 6080.0);
    QVERIFY(e.layers[0].utilization < 0.001);
}

void TestSystolicModel::energyAndExtras()
{
    // Compute 1,179,648 MACs * 1 pJ; SRAM (147,456 + 8,192) B * 1 pJ; DRAM 17,024 B * 100 pJ.
    // = 1.179648e-6 + 1.55648e-7 + 1.7024e-6 = 3.037696e-6 J. TOPS/W = 2 * 1,179,648 / 3.037696e-6 / 1e12.
    LayerInfo l = exampleConv();
    l.inputBytes = 4096, l.outputBytes = 8192;
    const CostEstimate e =
        sys::SystolicTarget("t", array(16, 16, sys::Dataflow::OutputStationary)).estimate(single(l), {{}});
    QVERIFY(std::abs(e.energyJ - 3.037696e-6) < 1e-15);
    QVERIFY(std::abs(e.extra.at("tops_per_w") - 2.0 * 1179648 / 3.037696e-6 / 1e12) < 1e-9);
    QCOMPARE(e.extra.at("cycles"), 6080.0);
    QCOMPARE(e.extra.at("peak_ops_per_s"), 2.0 * 256 * 1e9);
    QVERIFY(std::abs(e.extra.at("energy_compute_j") + e.extra.at("energy_sram_j") + e.extra.at("energy_dram_j") -
                     e.energyJ) < 1e-18);

    // A vector layer: max pool 2x2 on 32x16x16 -> 32x8x8: 2,048 outputs * 4 = 8,192 elements at 4/cycle.
    LayerInfo pool;
    pool.name = "pool";
    pool.op = OpKind::MaxPool2d;
    pool.inC = 32, pool.inH = 16, pool.inW = 16;
    pool.outC = 32, pool.outH = 8, pool.outW = 8;
    pool.kernelH = pool.kernelW = 2;
    const CostEstimate v =
        sys::SystolicTarget("t", array(16, 16, sys::Dataflow::OutputStationary)).estimate(single(pool), {{}});
    QCOMPARE(v.cycles, 2048.0);
    QCOMPARE(v.utilization, 0.0);
    // Folded batch norm and flatten are free.
    LayerInfo bn;
    bn.op = OpKind::BatchNorm;
    bn.foldedIntoProducer = true;
    bn.outC = 32, bn.outH = 16, bn.outW = 16;
    const CostEstimate b =
        sys::SystolicTarget("t", array(16, 16, sys::Dataflow::OutputStationary)).estimate(single(bn), {{}});
    QCOMPARE(b.cycles, 0.0);
    QCOMPARE(b.energyJ, 0.0);
    QVERIFY(b.layers[0].bound == Bound::None);
}

void TestSystolicModel::propertyBiggerArrayNeverSlower()
{
    const std::vector<sys::Gemm> gemms = {{256, 144, 32, 1}, {1, 100, 10, 1}, {49, 9, 1, 64},    {33, 27, 17, 1},
                                          {1024, 3, 8, 1},   {2, 1, 1, 1},    {100, 640, 130, 1}};
    for (auto df : {sys::Dataflow::OutputStationary, sys::Dataflow::WeightStationary, sys::Dataflow::InputStationary})
        for (auto timing : {sys::FoldTiming::FirstOrder, sys::FoldTiming::PerDataflow})
            for (const sys::Gemm &g : gemms)
                for (int r = 1; r <= 40; ++r)
                    for (int c = 1; c <= 40; c += 3) {
                        auto small = array(r, c, df);
                        small.foldTiming = timing;
                        auto taller = small, wider = small;
                        taller.rows += 1;
                        wider.cols += 1;
                        const double base = sys::mapGemm(small, g).cycles;
                        QVERIFY2(sys::mapGemm(taller, g).cycles <= base, sys::toString(df));
                        QVERIFY2(sys::mapGemm(wider, g).cycles <= base, sys::toString(df));
                        QVERIFY(sys::mapGemm(small, g).utilization <= 1.0 + 1e-12);
                    }
}

void TestSystolicModel::propertySparsityNeverSlower()
{
    const NetworkInfo net = psc::test::networkInfoFromFile("ds-cnn.json");
    for (auto df : {sys::Dataflow::OutputStationary, sys::Dataflow::WeightStationary, sys::Dataflow::InputStationary}) {
        auto p = array(8, 8, df);
        p.tensorB = 4;
        p.dbbBlockSize = 8, p.dbbMaxNonZeros = 4;
        const sys::SystolicTarget target("t", p);
        std::vector<LayerDeployment> dense(net.layers.size()), sparse(net.layers.size());
        for (LayerDeployment &d : sparse) {
            d.pattern = SparsityPattern::Dbb, d.blockSize = 8, d.maxNonZeros = 4, d.sparsity = 0.5;
        }
        const CostEstimate a = target.estimate(net, dense), b = target.estimate(net, sparse);
        for (std::size_t i = 0; i < net.layers.size(); ++i) {
            QVERIFY(b.layers[i].cycles <= a.layers[i].cycles);
            QVERIFY(b.layers[i].weightStorageBytes <= a.layers[i].weightStorageBytes);
        }
        QVERIFY(b.cycles < a.cycles);
        QVERIFY(b.energyJ < a.energyJ);
    }
}

void TestSystolicModel::propertyMoreBitsNeverFewerBytes()
{
    LayerInfo l = exampleConv(); // inputBytes/outputBytes 0: sized from the deployment's bit-widths
    const sys::SystolicTarget target("t", array(16, 16, sys::Dataflow::WeightStationary));
    CostEstimate previous;
    for (int bits : {2, 4, 8, 12, 16}) {
        LayerDeployment d;
        d.weightBits = d.activationBits = bits;
        const CostEstimate e = target.estimate(single(l), {d});
        if (bits > 2) {
            QVERIFY(e.weightStorageBytes >= previous.weightStorageBytes);
            QVERIFY(e.extra.at("sram_read_bytes") >= previous.extra.at("sram_read_bytes"));
            QVERIFY(e.extra.at("dram_bytes") >= previous.extra.at("dram_bytes"));
            QVERIFY(e.cycles >= previous.cycles);
            QVERIFY(e.energyJ >= previous.energyJ);
        }
        previous = e;
    }
    // 16-bit operands on an 8-bit PE: 2 x 2 passes, 4 x the 8-bit cycles.
    LayerDeployment d16;
    d16.weightBits = d16.activationBits = 16;
    QCOMPARE(target.estimate(single(l), {d16}).cycles, 4.0 * 5436.0);
}

void TestSystolicModel::latencyBudgetLimit()
{
    auto p = array(16, 16, sys::Dataflow::OutputStationary);
    p.latencyBudgetS = 5e-6; // 6.08 us needed
    CostEstimate e = sys::SystolicTarget("t", p).estimate(single(exampleConv()), {{}});
    QCOMPARE(e.limits.size(), std::size_t(1));
    QCOMPARE(e.limits[0].name, std::string("latency"));
    QCOMPARE(e.limits[0].unit, std::string("s"));
    QVERIFY(!e.limits[0].ok);
    QVERIFY(!e.feasible());
    p.latencyBudgetS = 1e-5;
    e = sys::SystolicTarget("t", p).estimate(single(exampleConv()), {{}});
    QVERIFY(e.feasible());
    p.latencyBudgetS.reset();
    QVERIFY(sys::SystolicTarget("t", p).estimate(single(exampleConv()), {{}}).limits.empty());
}

void TestSystolicModel::storageOptions()
{
    // conv (in 4,096 B, weights 4,736 B, out 8,192 B) then relu (8,192 B -> 8,192 B), 32x32 SRAMs huge.
    LayerInfo conv = exampleConv();
    conv.inputBytes = 4096, conv.outputBytes = 8192;
    LayerInfo relu;
    relu.name = "relu";
    relu.op = OpKind::Relu;
    relu.inC = relu.outC = 32, relu.inH = relu.inW = relu.outH = relu.outW = 16;
    relu.inputBytes = relu.outputBytes = 8192;
    NetworkInfo net;
    net.layers = {conv, relu};
    net.peakLiveBytes = 12288;
    auto p = array(16, 16, sys::Dataflow::OutputStationary);

    // DRAM everywhere (SCALE-Sim): conv 4,096 + 4,736 + 8,192 = 17,024; relu 8,192 + 8,192 = 16,384 -> 33,408.
    CostEstimate e = sys::SystolicTarget("t", p).estimate(net, psc::plugin::denseInt8Deployment(net));
    QCOMPARE(e.extra.at("dram_bytes"), 33408.0);
    QVERIFY(e.limits.empty());
    // Activations on chip: network input 4,096 + weights 4,736 + network output 8,192 = 17,024.
    p.activationStorage = sys::Storage::OnChip;
    e = sys::SystolicTarget("t", p).estimate(net, psc::plugin::denseInt8Deployment(net));
    QCOMPARE(e.extra.at("dram_bytes"), 17024.0);
    QCOMPARE(e.limits.size(), std::size_t(1));
    QCOMPARE(e.limits[0].name, std::string("activation_sram"));
    QVERIFY(e.limits[0].ok);
    p.ifmapSramBytes = p.ofmapSramBytes = 4096; // 12,288 live > 8,192
    e = sys::SystolicTarget("t", p).estimate(net, psc::plugin::denseInt8Deployment(net));
    QVERIFY(!e.feasible());
    QCOMPARE(e.limits[0].value, 12288.0);
    QCOMPARE(e.limits[0].limit, 8192.0);
    QCOMPARE(e.limits[0].message, std::string("peak live activations 12288 B > ifmap + ofmap SRAM 8192 B"));
    // Weights on chip as well: no weight traffic; 4,736 B of weights must fit the filter SRAM.
    p = array(16, 16, sys::Dataflow::OutputStationary);
    p.weightStorage = sys::Storage::OnChip;
    p.filterSramBytes = 4096;
    e = sys::SystolicTarget("t", p).estimate(net, psc::plugin::denseInt8Deployment(net));
    QCOMPARE(e.extra.at("dram_bytes"), 33408.0 - 4736.0);
    QCOMPARE(e.limits.size(), std::size_t(1));
    QCOMPARE(e.limits[0].name, std::string("weight_sram"));
    QCOMPARE(e.limits[0].message, std::string("weights 4736 B > filter SRAM 4096 B"));
}

void TestSystolicModel::realNetworks()
{
    for (const char *file : {"ds-cnn.json", "fashion-mnist-cnn.json", "mobilenet-v1-025-96.json", "resnet8.json"}) {
        const NetworkInfo net = psc::test::networkInfoFromFile(file);
        auto p = array(16, 16, sys::Dataflow::WeightStationary);
        p.ifmapSramBytes = p.filterSramBytes = p.ofmapSramBytes = 32768;
        p.dramBandwidthBytesPerS = 1.6e9;
        p.clockHz = 2e8;
        const CostEstimate e = sys::SystolicTarget("t", p).estimate(
            net, psc::plugin::denseInt8Deployment(net)); // empty: dense int8 defaults
        QCOMPARE(e.layers.size(), net.layers.size());
        double cycles = 0.0, energy = 0.0;
        std::int64_t macs = 0;
        for (std::size_t i = 0; i < e.layers.size(); ++i) {
            QCOMPARE(e.layers[i].layer, net.layers[i].name);
            QVERIFY(std::isfinite(e.layers[i].cycles) && e.layers[i].cycles >= 0.0);
            QVERIFY(e.layers[i].utilization >= 0.0 && e.layers[i].utilization <= 1.0);
            cycles += e.layers[i].cycles;
            energy += e.layers[i].energyJ;
            macs += net.layers[i].macs;
        }
        QVERIFY(std::abs(cycles - e.cycles) <= 1e-9 * e.cycles);
        QVERIFY(std::abs(energy - e.energyJ) <= 1e-9 * e.energyJ);
        QCOMPARE(e.extra.at("macs"), double(macs));
        QVERIFY(e.latencyS > 0.0 && e.energyJ > 0.0 && e.extra.at("tops_per_w") > 0.0);
        QVERIFY(e.utilization > 0.0 && e.utilization <= 1.0);
        QVERIFY(e.peakMemoryBytes > 0 && e.peakMemoryBytes <= 3 * 32768);
    }
}

void TestSystolicModel::parseErrors_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<QString>("kind"); // "remove", "text", "number"
    QTest::addColumn<double>("number");
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("expectedParameter");
    QTest::addColumn<QString>("expectedMessage");
    auto row = [](const char *tag, const char *parameter, const char *how, double number, const char *text,
                  const char *named, const char *message) {
        QTest::newRow(tag) << QString(parameter) << QString(how) << number << QString(text) << QString(named)
                           << QString(message);
    };
    row("missing clock", "clock_hz", "remove", 0.0, "", "clock_hz", "missing");
    row("clock as text", "clock_hz", "text", 0.0, "fast", "clock_hz",
        "expected a number of Hz in [1000, 1e+10], got the text");
    row("zero rows", "array_rows", "number", 0.0, "", "array_rows", "whole number");
    row("fractional cols", "array_cols", "number", 2.5, "", "array_cols", "whole number");
    row("negative sram", "ifmap_sram_bytes", "number", -1.0, "", "ifmap_sram_bytes",
        "expected a number of B in [1, 1099511627776], got -1");
    row("zero bandwidth", "dram_bandwidth_bytes_per_s", "number", 0.0, "", "dram_bandwidth_bytes_per_s",
        "in [1, 1e+13], got 0");
    row("bad dataflow", "dataflow", "text", 0.0, "rs", "dataflow",
        "expected one of \"os\", \"ws\", \"is\", got \"rs\"");
    row("dataflow as number", "dataflow", "number", 1.0, "", "dataflow", "got the number 1");
    row("missing dataflow", "dataflow", "remove", 0.0, "", "dataflow", "missing");
    row("bad timing", "fold_timing", "text", 0.0, "exact", "fold_timing", "first-order");
    row("negative energy", "energy_per_mac_j", "number", -1e-12, "", "energy_per_mac_j", "in [0, 1e-06], got -1e-12");
    row("huge energy", "energy_per_mac_j", "number", 1e308, "", "energy_per_mac_j", "in [0, 1e-06], got 1e+308");
    row("huge rows", "array_rows", "number", 1e9, "", "array_rows", "in [1, 4096], got 1e+09");
    row("unknown", "array_rws", "number", 16.0, "", "array_rws", "unknown parameter");
    row("dbb half", "dbb_block_size", "number", 8.0, "", "dbb_max_nonzeros", "both");
    row("bad storage", "weight_storage", "text", 0.0, "flash", "weight_storage",
        "expected one of \"dram\", \"on-chip\"");
    row("zero budget", "latency_budget_s", "number", 0.0, "", "latency_budget_s", "in [1e-09, 1e+06], got 0");
}

void TestSystolicModel::parseErrors()
{
    QFETCH(QString, name);
    QFETCH(QString, kind);
    QFETCH(double, number);
    QFETCH(QString, text);
    QFETCH(QString, expectedParameter);
    QFETCH(QString, expectedMessage);

    ParameterError ok;
    QVERIFY(sys::parseParameters(validParameters(), ok).has_value());

    Parameters p = validParameters();
    if (kind == "remove")
        p.erase(name.toStdString());
    else if (kind == "text")
        p[name.toStdString()] = ParameterValue{std::nullopt, text.toStdString()};
    else
        p[name.toStdString()] = ParameterValue{number, {}};
    ParameterError error;
    QVERIFY(!sys::parseParameters(p, error).has_value());
    QCOMPARE(QString::fromStdString(error.parameter), expectedParameter);
    QVERIFY2(QString::fromStdString(error.message).contains(expectedMessage), error.message.c_str());
}

QTEST_APPLESS_MAIN(TestSystolicModel)
#include "tst_systolicmodel.moc"
