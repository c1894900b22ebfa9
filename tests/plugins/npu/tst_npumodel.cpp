// SPDX-License-Identifier: GPL-3.0-or-later
// Ethos-U model: hand-computed layers, properties and parameter errors.
#include "nputesthelpers.h"
#include "npuweights.h"

#include <QTest>

using namespace npu_test;
using psc::targets::npu::compressWeights;
using psc::targets::npu::ComputeEstimate;
using psc::targets::npu::NpuTarget;

class TestNpuModel : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void handConvU55x128();
    void kernelTraversal();
    void handConvFlashBound();
    void handDepthwise();
    void deepEmbeddedComputeVsMemory();
    void fallbackOfUnsupportedOps();
    void softmaxOnNpu();
    void activationsRunAsPools();
    void denseWeightsAreNotBuffered();
    void globalAveragePoolAsDepthwise();
    void weightCompressionHand();
    void moreMacsPerCycleNeverSlower();
    void sparsityNeverIncreasesWeightBytes();
    void moreBitsNeverSmaller();
    void dedicatedSramPlacesLargeMapsInDram();
    void limitsAndExtras();
    void sramOnlyKeepsWeightsInSram();
    void parseErrors_data();
    void parseErrors();
};

void TestNpuModel::handConvU55x128()
{
    // 3x3 conv, 16 -> 32 channels, 16x16 in and out (stride 1), on Ethos-U55-128 (ublock 2x1x8, 24 KiB SHRAM).
    const NpuTarget t = makeTarget(u55x128HighEnd());
    const LayerInfo l = conv("c", 16, 16, 16, 32, 3);
    const auto e = t.compute(l, LayerDeployment{});
    // Block: start 16x16x32. IFM buffer 18*18*16 (ifm block depth min(32, 16)) = 5184 B, accumulators
    // 16*16*32*4 = 32768 B, 37952 > 24576: halve the depth -> 16x16x16, 5184 + 16384 = 21568 B fits.
    QCOMPARE(e.block.width, 16);
    QCOMPARE(e.block.height, 16);
    QCOMPARE(e.block.depth, 16);
    QCOMPARE(e.blocks, std::int64_t(2)); // 1 spatial x 2 depth blocks
    // ublocks: xy = (16/2)*(16/1) = 128, z = 16/8 = 2; cycles_wb = 32*8/8 = 32.
    // Vela's traversal: 16*9 / (16*12) = 0.75 > 16/32 = 0.5, so part-kernel-first: ceil(9/4) = 3 steps on each 8 of
    // the 16 channels. DPU per block = max(32, 4*128) * 3 * 2 * z 2 * ceil(16/16) = 512*12 = 6144 (depth-first:
    // 512 * 9 * 2 = 9216).
    QVERIFY(e.partKernelFirst);
    QCOMPARE(e.dpuCyclesPerBlock, 6144.0);
    // Output per block = 16*16*16 * 0.5 = 2048.
    QCOMPARE(e.outputCyclesPerBlock, 2048.0);
    // Pipelined: max(6144, 2048) * 2 + min(6144, 2048) = 12288 + 2048 = 14336.
    QCOMPARE(e.cycles, 14336.0);
    QCOMPARE(e.ifmRereads, std::int64_t(2)); // 1 sub-kernel x 2 OFM depth blocks
    QCOMPARE(e.weightRereads, std::int64_t(1));

    const auto est = t.estimate(network({l}), {LayerDeployment{}});
    const LayerCost &c = est.layers.at(0);
    // Memory: SRAM = IFM 4096*2 + OFM 8192 = 16384 B / 8 B/cycle + 32 latency = 2080 cycles.
    // Flash = weights 4608 B (8 bit) + 2 stream headers * 16 B + 32 channels * 10 B = 4960 B / 1 B/cycle + 64 = 5024.
    // max(14336, 2080, 5024) = 14336: compute bound.
    QCOMPARE(c.cycles, 14336.0);
    QVERIFY(c.bound == Bound::Compute);
    QCOMPARE(c.weightStorageBytes, std::int64_t(4960));
    QVERIFY(qFuzzyCompare(c.latencyS, 14336.0 / 500e6)); // 28.672 us
    // Utilization: 1,179,648 MACs / (14336 * 128) = 0.64.
    QVERIFY(qFuzzyCompare(c.utilization, 1179648.0 / (14336.0 * 128.0)));
    // Energy: 1,179,648 * 0.5 pJ = 589.824 nJ; SRAM 16384 * 12.5 pJ = 204.8 nJ; flash 4960 * 250 pJ = 1240 nJ;
    // static 5 mW * 28.672 us = 143.36 nJ; total 2177.984 nJ.
    QVERIFY(qFuzzyCompare(c.energyJ, 2177.984e-9));
    QVERIFY(QString::fromStdString(c.note).contains(QStringLiteral("part-kernel-first")));
    QCOMPARE(est.model, std::string("npu"));
    QCOMPARE(est.modelVersion, std::string(psc::targets::npu::kModelVersion));
}

void TestNpuModel::kernelTraversal()
{
    // Vela's choice (research 2.3): C_in <= 8 is always part-kernel-first; 3x3 on 64 channels: 64*9 / (64*12) = 0.75
    // < 64/64 = 1.0, depth-first; fully connected layers are always depth-first.
    const NpuTarget t = makeTarget(u55x128HighEnd());
    QVERIFY(t.compute(conv("first", 1, 28, 28, 16, 3), LayerDeployment{}).partKernelFirst);
    QVERIFY(t.compute(conv("rgb", 3, 32, 32, 16, 3), LayerDeployment{}).partKernelFirst);
    QVERIFY(!t.compute(conv("deep", 64, 8, 8, 64, 3), LayerDeployment{}).partKernelFirst);
    QVERIFY(!t.compute(dense("fc", 8, 10), LayerDeployment{}).partKernelFirst);
    // First layer, 1 -> 16 channels, 3x3, 28x28 (U55-128, ublock 2x1x8): whatever block the SHRAM allows,
    // part-kernel-first takes ceil(9/4) = 3 steps on the one group of 8 channels where depth-first took 9 kernel
    // elements: per block max(32, 4 * ublocks in x and y) * 3 * 1 * (block depth / 8).
    const ComputeEstimate pkf = t.compute(conv("first", 1, 28, 28, 16, 3), LayerDeployment{});
    QCOMPARE(pkf.dpuCyclesPerBlock, std::max(32.0, 4.0 * double((pkf.block.width / 2) * pkf.block.height)) * 3.0 * 1.0 *
                                        double(pkf.block.depth / 8));
}

void TestNpuModel::handConvFlashBound()
{
    // The same conv with a 0.05 GB/s flash (0.1 B/cycle at 500 MHz): 4960 / 0.1 + 64 = 49664 cycles.
    Parameters p = u55x128HighEnd();
    p["offchip_bandwidth_bytes_per_s"] = num(0.05e9);
    const NpuTarget t = makeTarget(p);
    const auto est = t.estimate(network({conv("c", 16, 16, 16, 32, 3)}), {LayerDeployment{}});
    QVERIFY(est.layers[0].bound == Bound::Flash);
    QVERIFY(qFuzzyCompare(est.layers[0].cycles, 49664.0));
}

void TestNpuModel::handDepthwise()
{
    // Depthwise 3x3 on 32 channels, 16x16, U55-128.
    const NpuTarget t = makeTarget(u55x128HighEnd());
    const LayerInfo l = depthwise("dw", 32, 16, 16, 3);
    const auto e = t.compute(l, LayerDeployment{});
    // Block 16x16x32: IFM 18*18*32 = 10368 + acc 32768 > 24576 -> 16x16x16: 5184 + 16384 = 21568 fits.
    QCOMPARE(e.block.depth, 16);
    // DPU per block = max(32, 4*128) * ceil(9/4) * 2 = 512*3*2 = 3072; output 2048.
    QCOMPARE(e.dpuCyclesPerBlock, 3072.0);
    // Total = 3072*2 + 2048 = 8192 (12 MACs/cycle for 73,728 MACs... 9.4 % of peak).
    QCOMPARE(e.cycles, 8192.0);
    QCOMPARE(e.ifmRereads, std::int64_t(1));
    const auto est = t.estimate(network({l}), {LayerDeployment{}});
    // SRAM (8192 + 8192) / 8 + 32 = 2080; flash: 288 B + 2*16 B headers + 320 B scale/bias = 640 B -> 704.
    QCOMPARE(est.layers[0].cycles, 8192.0);
    QVERIFY(est.layers[0].bound == Bound::Compute);
    QCOMPARE(est.layers[0].weightStorageBytes, std::int64_t(640));
    QVERIFY(QString::fromStdString(est.layers[0].note).contains("depthwise"));
}

void TestNpuModel::deepEmbeddedComputeVsMemory()
{
    const NpuTarget t = makeTarget(u55x128DeepEmbedded());
    // Conv of handConvU55x128: compute 14336 vs flash 4960 B / 0.5 B/cycle + 64 = 9984, SRAM 2080 -> compute.
    // Dense 256 -> 256: block 2x1x128 (IFM 2*1*32 = 64 B + acc 1024 B fit), one ublock in xy, z = 16,
    // DPU = (32 + 2 delay) * 1 * 16 * ceil(256/32) = 4352 per block, 2 depth blocks, output 2*1*128*0.5 = 128:
    // compute = 4352*2 + 128 = 8832. Flash: 65536 B + 2*16 B + 2560 B = 68128 B / 0.5 + 64 = 136320 -> flash bound.
    const auto est = t.estimate(network({conv("c", 16, 16, 16, 32, 3), dense("fc", 256, 256)}),
                                {LayerDeployment{}, LayerDeployment{}});
    QVERIFY(est.layers[0].bound == Bound::Compute);
    QCOMPARE(est.layers[0].cycles, 14336.0);
    QVERIFY(qFuzzyCompare(est.layers[0].latencyS, 14336.0 / 200e6)); // 71.68 us
    QCOMPARE(t.compute(dense("fc", 256, 256), LayerDeployment{}).cycles, 8832.0);
    QVERIFY(est.layers[1].bound == Bound::Flash);
    QCOMPARE(est.layers[1].cycles, 136320.0);
    QCOMPARE(est.cycles, 14336.0 + 136320.0);
    QVERIFY(qFuzzyCompare(est.latencyS, (14336.0 + 136320.0) / 200e6));
    // Pruning the dense layer to 90 % sparsity moves it towards compute: the flash stream shrinks.
    LayerDeployment sparse;
    sparse.sparsity = 0.9;
    sparse.pattern = SparsityPattern::Unstructured;
    const auto pruned = t.estimate(network({dense("fc", 256, 256)}), {sparse});
    QVERIFY(pruned.layers[0].cycles < 136320.0 / 3);
}

void TestNpuModel::fallbackOfUnsupportedOps()
{
    Parameters p = u55x128HighEnd();
    p["fallback_ops"] = text("softmax");
    const NpuTarget t = makeTarget(p);
    const LayerInfo sm = elementwise("sm", OpKind::Softmax, 10, 1, 1);
    LayerInfo bigStride = conv("s5", 8, 20, 20, 8, 5, 5); // conv2d stride 5 > 4: not on the NPU
    const auto est = t.estimate(network({sm, bigStride}), {LayerDeployment{}, LayerDeployment{}});
    // Softmax on the host: 20 cycles/element * 10 elements = 200 host cycles at 500 MHz = 0.4 us.
    QVERIFY(est.layers[0].fallback);
    QVERIFY(est.layers[0].bound == Bound::Host);
    QVERIFY(qFuzzyCompare(est.layers[0].latencyS, 0.4e-6));
    QVERIFY(qFuzzyCompare(est.layers[0].cycles, 200.0));
    // Conv stride 5: out 4x4x8, MACs = 8*4*4*8*25 = 25600; host = 1.7*25600 + 20*max(3200, 128) = 107520 cycles.
    QVERIFY(est.layers[1].fallback);
    QVERIFY(QString::fromStdString(est.layers[1].note).contains("stride"));
    QVERIFY(qFuzzyCompare(est.layers[1].latencyS, 107520.0 / 500e6));
    QCOMPARE(est.extra.at("fallback_layers"), 2.0);
    // 16-bit weights are not accepted by the NPU either.
    LayerDeployment w16;
    w16.weightBits = 16;
    const auto est16 = t.estimate(network({conv("c", 16, 16, 16, 32, 3)}), {w16});
    QVERIFY(est16.layers[0].fallback);
    QVERIFY(est16.layers[0].bound == Bound::Host);
}

void TestNpuModel::softmaxOnNpu()
{
    // Without fallback_ops softmax runs on the NPU as 10 element-wise passes: 10 elements * 0.5 * 10 = 50
    // cycles; SRAM (10*10 + 10) B / 8 + 32 = 45.75 cycles -> compute bound.
    const NpuTarget t = makeTarget(u55x128HighEnd());
    const auto est = t.estimate(network({elementwise("sm", OpKind::Softmax, 10, 1, 1)}), {LayerDeployment{}});
    QVERIFY(!est.layers[0].fallback);
    QCOMPARE(est.layers[0].cycles, 50.0);
    QVERIFY(est.layers[0].bound == Bound::Compute);
    // A folded batch norm and a flatten cost nothing.
    LayerInfo bn = elementwise("bn", OpKind::BatchNorm, 8, 4, 4);
    bn.foldedIntoProducer = true;
    const auto free = t.estimate(network({bn, elementwise("f", OpKind::Flatten, 8, 4, 4)}), {{}, {}});
    QCOMPARE(free.cycles, 0.0);
    QVERIFY(free.layers[0].bound == Bound::None && free.layers[1].bound == Bound::None);
}

void TestNpuModel::activationsRunAsPools()
{
    // Vela's rates on U55-128 (research 2.4): ADD/SUB 1.5 cycles per element, a standalone ReLU as a 1x1 average
    // pool at the output stage's 0.5. 16x16x16 = 4096 elements: add 6144 compute cycles, relu 2048.
    Parameters p = u55x128HighEnd();
    p["elementwise_cycles_per_element"] = num(1.5);
    const NpuTarget t = makeTarget(p);
    LayerInfo add = elementwise("add", OpKind::Add, 16, 16, 16);
    add.inputs = 2;
    QCOMPARE(t.estimate(network({add}), {LayerDeployment{}}).layers[0].cycles, 6144.0);
    const auto relu = t.estimate(network({elementwise("r", OpKind::Relu6, 16, 16, 16)}), {LayerDeployment{}});
    // SRAM: (4096 + 4096) B / 8 + 32 = 1056 cycles < 2048: compute bound.
    QCOMPARE(relu.layers[0].cycles, 2048.0);
    QVERIFY(QString::fromStdString(relu.layers[0].note).contains(QStringLiteral("1x1 pool")));
}

void TestNpuModel::globalAveragePoolAsDepthwise()
{
    // GAP over 4x4x64 int8 on U55-128 (research 2.7: Vela lowers MEAN to an all-ones 4x4 depthwise conv + MUL).
    // Block 2x1x64 (IFM 5*4*64 = 1280 B + acc 512 B fit), one micro-block in x and y, n_z = 8.
    // DPU = max(32, 4*1) * ceil(16/4) * 8 = 1024; output 2*1*64*0.5 = 64; one block: 1024 + 64;
    // MUL 64 * 0.5 * 1.5 = 48; compute 1136 (the pool formula gave 128 + 64 = 192).
    const NpuTarget t = makeTarget(u55x128HighEnd());
    LayerInfo gap = elementwise("gap", OpKind::GlobalAvgPool, 64, 4, 4);
    gap.outH = gap.outW = 1;
    gap.outputBytes = 64;
    const auto e = t.compute(gap, LayerDeployment{});
    QCOMPARE(e.dpuCyclesPerBlock, 1024.0);
    QCOMPARE(e.loweredWeightBytes, std::int64_t(4 * 4 * 64));
    QCOMPARE(e.cycles, 1136.0);
    const auto est = t.estimate(network({gap}), {LayerDeployment{}});
    // The ones are stored and streamed like weights: 1024 B, flash 1024 / 1 + 64 = 1088 cycles < 1136.
    QCOMPARE(est.layers[0].weightStorageBytes, std::int64_t(1024));
    QCOMPARE(est.layers[0].cycles, 1136.0);
    QVERIFY(QString::fromStdString(est.layers[0].note).contains(QStringLiteral("all-ones depthwise")));
}

void TestNpuModel::denseWeightsAreNotBuffered()
{
    // Vela reads fully connected weights straight from flash (research 2.9): the SRAM peak of a dense layer is its
    // feature maps only; a conv's double weight buffer stays.
    const NpuTarget t = makeTarget(u55x128HighEnd());
    auto arenaOf = [](const NetworkInfo &n) {
        std::int64_t arena = n.arenaBytes > 0 ? n.arenaBytes : n.peakLiveBytes;
        for (const LayerInfo &l : n.layers)
            arena = std::max(arena, l.liveBytes);
        return arena;
    };
    const NetworkInfo fcNet = network({dense("fc", 256, 256)});
    QCOMPARE(t.estimate(fcNet, {LayerDeployment{}}).peakMemoryBytes, arenaOf(fcNet));
    const NetworkInfo convNet = network({conv("c", 16, 16, 16, 32, 3)});
    // The conv's weights: 4960 B in 2 depth streams, 2 * 2480 B double-buffered on top of the feature maps.
    QCOMPARE(t.estimate(convNet, {LayerDeployment{}}).peakMemoryBytes, arenaOf(convNet) + 4960);
}

void TestNpuModel::weightCompressionHand()
{
    LayerDeployment d;
    // 8 bit dense: GRC 8 bits (b + 1 capped at 8) * 1000 = 1000 B + one 16 B header = 1016 B.
    QCOMPARE(compressWeights(1000, d, 1).bytes, std::int64_t(1016));
    // 4 bit dense, 1000 weights: palette 4 bits -> 500 B + 16 B + 16 entries * 9 bits = 18 B -> 534 B;
    // GRC 5 bits -> 625 + 16 = 641 B. Palette wins.
    d.weightBits = 4;
    const auto w4 = compressWeights(1000, d, 1);
    QVERIFY(w4.palette);
    QCOMPARE(w4.bytes, std::int64_t(534));
    // 4 bit, 50 % sparse: palette payload 1000*0.5*4 + 1000*H2(0.5) = 2000 + 1000 bits = 375 B + 16 + 18 = 409 B.
    d.sparsity = 0.5;
    const auto w4s = compressWeights(1000, d, 1);
    QVERIFY(w4s.zeroRuns);
    QCOMPARE(w4s.bytes, std::int64_t(409));
    // A 2:4 pattern implies at least 50 % zeros.
    LayerDeployment nm;
    nm.weightBits = 4;
    nm.pattern = SparsityPattern::NM;
    nm.n = 2, nm.m = 4;
    QCOMPARE(compressWeights(1000, nm, 1).bytes, std::int64_t(409));
}

void TestNpuModel::moreMacsPerCycleNeverSlower()
{
    // U55-32/64/128/256 on the same system (table 2.1 columns), over layers of several shapes.
    struct Accel
    {
        int w, h, d, macs, shram;
        double out;
    };
    const Accel accels[] = {
        {1, 1, 4, 32, 16, 2.0}, {1, 1, 8, 64, 16, 1.0}, {2, 1, 8, 128, 24, 0.5}, {2, 2, 8, 256, 48, 0.25}};
    const std::vector<LayerInfo> layers = {conv("c1", 3, 32, 32, 16, 3),  conv("c2", 16, 16, 16, 32, 3),
                                           conv("c3", 64, 8, 8, 64, 1),   conv("c4", 1, 49, 10, 64, 3, 2),
                                           depthwise("d1", 64, 25, 5, 3), depthwise("d2", 8, 7, 7, 5),
                                           dense("f1", 1024, 10),         dense("f2", 64, 512)};
    for (const LayerInfo &l : layers) {
        double previous = INFINITY;
        for (const Accel &a : accels) {
            Parameters p = u55x128HighEnd();
            p["ublock_width"] = num(a.w), p["ublock_height"] = num(a.h), p["ublock_depth"] = num(a.d);
            p["macs_per_cycle"] = num(a.macs), p["shram_bytes"] = num(a.shram * 1024);
            p["output_cycles_per_element"] = num(a.out), p["elementwise_cycles_per_element"] = num(a.out);
            const NpuTarget t = makeTarget(p);
            const double cycles = t.estimate(network({l}), {LayerDeployment{}}).cycles;
            QVERIFY2(cycles <= previous, (l.name + " slower with " + std::to_string(a.macs) + " MACs/cycle").c_str());
            previous = cycles;
        }
    }
}

void TestNpuModel::sparsityNeverIncreasesWeightBytes()
{
    for (int bits = 1; bits <= 8; ++bits)
        for (std::int64_t n : {1, 10, 100, 1000, 100000})
            for (int streams : {1, 4}) {
                std::int64_t previous = INT64_MAX;
                for (int i = 0; i <= 99; ++i) {
                    LayerDeployment d;
                    d.weightBits = bits;
                    d.sparsity = i / 100.0;
                    d.pattern = SparsityPattern::Unstructured;
                    const std::int64_t bytes = compressWeights(n, d, streams).bytes;
                    QVERIFY2(bytes <= previous,
                             qPrintable(QStringLiteral("bits %1 n %2 s %3").arg(bits).arg(n).arg(d.sparsity)));
                    previous = bytes;
                }
            }
    // And through the whole estimate: weight storage of a layer never grows with sparsity.
    const NpuTarget t = makeTarget(u55x128HighEnd());
    std::int64_t previous = INT64_MAX;
    for (double s : {0.0, 0.001, 0.01, 0.1, 0.3, 0.5, 0.8, 0.95}) {
        LayerDeployment d;
        d.sparsity = s;
        d.pattern = SparsityPattern::Unstructured;
        const auto bytes = t.estimate(network({conv("c", 16, 16, 16, 32, 3)}), {d}).weightStorageBytes;
        QVERIFY(bytes <= previous);
        previous = bytes;
    }
}

void TestNpuModel::moreBitsNeverSmaller()
{
    for (double s : {0.0, 0.001, 0.2, 0.5, 0.9})
        for (std::int64_t n : {1, 10, 100, 287, 288, 289, 1000, 100000})
            for (int streams : {1, 3}) {
                std::int64_t previous = 0;
                for (int bits = 1; bits <= 8; ++bits) {
                    LayerDeployment d;
                    d.weightBits = bits;
                    d.sparsity = s;
                    d.pattern = SparsityPattern::Unstructured;
                    const std::int64_t bytes = compressWeights(n, d, streams).bytes;
                    QVERIFY2(bytes >= previous,
                             qPrintable(QStringLiteral("bits %1 n %2 s %3").arg(bits).arg(n).arg(s)));
                    previous = bytes;
                }
            }
}

void TestNpuModel::dedicatedSramPlacesLargeMapsInDram()
{
    // Dedicated_Sram with a 16 KiB cache: the conv's 12 KiB of live tensors + 2 * 2480 B weight buffer
    // (4960 B in 2 streams, double-buffered) = 17248 B overflow it, so the feature maps go to DRAM.
    Parameters p = u55x128HighEnd();
    p["memory_mode"] = text("dedicated_sram");
    p["offchip_memory"] = text("dram");
    p["sram_bytes"] = num(16 * 1024);
    p["offchip_bandwidth_bytes_per_s"] = num(0.5e9); // 1 B/cycle: makes the DRAM traffic visible
    const NpuTarget small = makeTarget(p);
    const auto e1 = small.estimate(network({conv("c", 16, 16, 16, 32, 3)}), {LayerDeployment{}});
    // DRAM: 4960 weights + 16384 feature-map bytes = 21344 B / 1 + 64 = 21408 > 20480 compute.
    QVERIFY(e1.layers[0].bound == Bound::Dram);
    QCOMPARE(e1.layers[0].cycles, 21408.0);
    QVERIFY(e1.extra.count("dram_bytes"));
    p["sram_bytes"] = num(384 * 1024);
    const auto e2 = makeTarget(p).estimate(network({conv("c", 16, 16, 16, 32, 3)}), {LayerDeployment{}});
    QVERIFY(e2.layers[0].bound == Bound::Compute); // maps in the cache, DRAM 4960 + 64 cycles
}

void TestNpuModel::limitsAndExtras()
{
    Parameters p = u55x128HighEnd();
    p["sram_bytes"] = num(10000);
    p["offchip_bytes"] = num(1000);
    const auto est = makeTarget(p).estimate(network({conv("c", 16, 16, 16, 32, 3)}), {LayerDeployment{}});
    // SRAM = arena 12288 + weight buffer 2 * 2480 = 17248 B > 10000; flash = 4960 B > 1000.
    QCOMPARE(est.limits.size(), std::size_t(2));
    QCOMPARE(est.limits[0].name, std::string("sram"));
    QCOMPARE(est.limits[0].value, 17248.0);
    QVERIFY(!est.limits[0].ok);
    QCOMPARE(est.limits[1].name, std::string("flash"));
    QCOMPARE(est.limits[1].value, 4960.0);
    QVERIFY(!est.feasible());
    QCOMPARE(est.extra.at("sram_bytes"), 17248.0);
    QCOMPARE(est.extra.at("flash_bytes"), 4960.0);
    QCOMPARE(est.extra.at("cycles"), 14336.0);
    QCOMPARE(est.extra.at("fallback_layers"), 0.0);
    QCOMPARE(est.peakMemoryBytes, std::int64_t(17248));
}

void TestNpuModel::sramOnlyKeepsWeightsInSram()
{
    Parameters p = u55x128HighEnd();
    p["memory_mode"] = text("sram_only");
    p["offchip_bytes"] = num(1000); // ignored: nothing lives off-chip
    const auto est = makeTarget(p).estimate(network({conv("c", 16, 16, 16, 32, 3)}), {LayerDeployment{}});
    // SRAM = arena 12288 + all weights 4960 = 17248 B; one limit only.
    QCOMPARE(est.limits.size(), std::size_t(1));
    QCOMPARE(est.extra.at("sram_bytes"), 17248.0);
    QCOMPARE(est.extra.at("flash_bytes"), 0.0);
    // A non-folded batch norm stores its 2 * 8 constants as int8 bytes.
    LayerInfo bn = elementwise("bn", OpKind::BatchNorm, 8, 4, 4);
    bn.weights = 16;
    const auto e2 = makeTarget(u55x128HighEnd()).estimate(network({bn}), {LayerDeployment{}});
    QCOMPARE(e2.weightStorageBytes, std::int64_t(16));
    QVERIFY(!e2.layers[0].fallback);
}

void TestNpuModel::parseErrors_data()
{
    QTest::addColumn<QString>("parameter");
    QTest::addColumn<int>("kind"); // 0 remove, 1 text, 2 number -1, 3 number 0, 4 256, 5 1e308
    QTest::addColumn<QString>("expected");
    QTest::newRow("missing clock") << "clock_hz" << 0
                                   << "missing parameter of the npu model: expected a number of Hz in [1000, 1e+10]";
    QTest::newRow("text clock") << "clock_hz" << 1 << "expected a number of Hz in [1000, 1e+10], got the text";
    QTest::newRow("negative sram") << "sram_bytes" << 2 << "expected a whole number of B in [1, 1099511627776], got -1";
    QTest::newRow("zero bandwidth") << "offchip_bandwidth_bytes_per_s" << 3
                                    << "expected a number of B/s in [1, 1e+13], got 0";
    QTest::newRow("number mode") << "memory_mode" << 3 << "got the number 0";
    QTest::newRow("bad mode") << "memory_mode" << 1
                              << "expected one of \"sram_only\", \"shared_sram\", \"dedicated_sram\", got \"fast\"";
    QTest::newRow("negative energy") << "energy_per_mac_j" << 2 << "expected a number of J in [0, 1e-06], got -1";
    QTest::newRow("missing host") << "host_cycles_per_mac" << 0 << "missing parameter";
    QTest::newRow("inconsistent macs") << "macs_per_cycle" << 4 << "expected ublock_width * ublock_height * 8";
    QTest::newRow("huge energy") << "energy_per_mac_j" << 5 << "expected a number of J in [0, 1e-06], got 1e+308";
    QTest::newRow("unknown") << "clock_mhz" << 2 << "unknown parameter of the npu model";
    QTest::newRow("bad fallback op") << "fallback_ops" << 1 << "expected operator names";
}

void TestNpuModel::parseErrors()
{
    QFETCH(QString, parameter);
    QFETCH(int, kind);
    QFETCH(QString, expected);
    Parameters p = u55x128HighEnd();
    const std::string name = parameter.toStdString();
    switch (kind) {
    case 0:
        p.erase(name);
        break;
    case 1:
        p[name] = text("fast");
        break;
    case 2:
        p[name] = num(-1);
        break;
    case 3:
        p[name] = num(0);
        break;
    case 4:
        p[name] = num(256);
        break;
    case 5:
        p[name] = num(1e308);
        break;
    }
    ParameterError error;
    QVERIFY(!psc::targets::npu::parseConfig(p, error));
    QCOMPARE(QString::fromStdString(error.parameter), parameter);
    QVERIFY2(QString::fromStdString(error.message).contains(expected), error.message.c_str());
    // The untouched set parses.
    ParameterError none;
    QVERIFY(psc::targets::npu::parseConfig(u55x128HighEnd(), none));
}

QTEST_APPLESS_MAIN(TestNpuModel)
#include "tst_npumodel.moc"
