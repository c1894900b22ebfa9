// SPDX-License-Identifier: GPL-3.0-or-later
// The MCU model's estimate of Paretoscope's C export: counters checked against hand-computed values; the fitted
// coefficients against the C export measured on QEMU are checked by engine_tst_cortexm and bench_cexport.
#include "mcucexport.h"
#include "mcumodel.h"

#include <QTest>

using namespace psc::plugin;
using namespace psc::targets::mcu;

namespace {

/**
 * input 1x4x4; conv 3x3 1 -> 2 channels, stride 1, same padding (one before, one after), 8-bit, fused ReLU: out
 * 2x4x4; flatten 32; dense 32 -> 10 with 4-bit weights; softmax.
 */
NetworkInfo tinyNetwork()
{
    NetworkInfo n;
    n.inC = 1, n.inH = 4, n.inW = 4;
    LayerInfo conv;
    conv.name = "conv";
    conv.op = OpKind::Conv2d;
    conv.activation = FusedActivation::Relu;
    conv.inC = 1, conv.inH = 4, conv.inW = 4, conv.outC = 2, conv.outH = 4, conv.outW = 4;
    conv.kernelH = conv.kernelW = 3;
    conv.macs = 2 * 16 * 9; // padded taps included, as the analysis counts them
    conv.weights = 18;
    conv.biases = 2;
    LayerInfo flatten;
    flatten.name = "flatten";
    flatten.op = OpKind::Flatten;
    flatten.inC = 2, flatten.inH = 4, flatten.inW = 4, flatten.outC = 32, flatten.outH = 1, flatten.outW = 1;
    LayerInfo dense;
    dense.name = "fc";
    dense.op = OpKind::Dense;
    dense.inC = 32, dense.inH = 1, dense.inW = 1, dense.outC = 10, dense.outH = 1, dense.outW = 1;
    dense.macs = 320;
    dense.weights = 320;
    dense.biases = 10;
    LayerInfo softmax;
    softmax.name = "sm";
    softmax.op = OpKind::Softmax;
    softmax.inC = softmax.outC = 10, softmax.inH = softmax.inW = softmax.outH = softmax.outW = 1;
    n.layers = {conv, flatten, dense, softmax};
    n.deployedArenaBytes = 48; // conv output (32) at 0, dense output (10) at 32
    return n;
}

std::vector<LayerDeployment> tinyDeployment()
{
    std::vector<LayerDeployment> d(4);
    d[2].weightBits = 4;
    return d;
}

} // namespace

class TestMcuCExport : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void countersOfTinyNetwork()
    {
        const CExportCounters c = cExportCounters(tinyNetwork(), tinyDeployment());
        auto work = [&c](CWork w) { return c.work[std::size_t(w)]; };
        // Taps inside the 4-wide input per output column with one padding before: 2, 3, 3, 2 = 10 per axis.
        // conv: 2 channels x 1 filter channel x 10 rows x 10 columns = 200; dense: 10 x 32 = 320.
        QCOMPARE(work(CWork::ConvTaps), 200.0 + 320.0);
        QCOMPARE(work(CWork::PackedMacs), 320.0); // only the dense layer has 4-bit weights
        QCOMPARE(work(CWork::FactorMacs), 0.0);
        // conv: 2 x 1 x 4 x 4 outputs x 3 kernel rows = 96; dense: 10 x 32 filter channels x 1 row = 320.
        QCOMPARE(work(CWork::RowChecks), 96.0 + 320.0);
        QCOMPARE(work(CWork::Requantized), 32.0 + 10.0);
        QCOMPARE(work(CWork::Calls), 2.0); // flatten and softmax run no kernel
        QCOMPARE(work(CWork::PoolWindow), 0.0);
        QCOMPARE(work(CWork::ClampElements), 0.0);
        // conv: 18 int8 weights + 9 B per channel (int32 bias, int32 multiplier, int8 shift) x 2 + 92 B descriptor;
        // dense: 320 weights at 4 bits = 160 B + 9 x 10 + 92.
        QCOMPARE(c.constantBytes, std::int64_t(18 + 18 + 92 + 160 + 90 + 92));
        QVERIFY(c.kernels[std::size_t(CKernel::Conv)]);
        QVERIFY(!c.kernels[std::size_t(CKernel::SparseConv)]);
        QVERIFY(!c.kernels[std::size_t(CKernel::Pool)]);
        QVERIFY(!c.kernels[std::size_t(CKernel::Factorized)]);
    }

    // A global average pool is psc_mean: every input element summed once, a 32-byte descriptor, its own kernel.
    void globalPoolIsAMean()
    {
        NetworkInfo n = tinyNetwork();
        LayerInfo gap;
        gap.name = "gap";
        gap.op = OpKind::GlobalAvgPool;
        gap.inC = gap.outC = 2, gap.inH = gap.inW = 4, gap.outH = gap.outW = 1;
        n.layers[1] = gap; // instead of the flatten: the dense layer then reads 2 values (its counters stay)
        const CExportCounters with = cExportCounters(n, tinyDeployment());
        const CExportCounters without = cExportCounters(tinyNetwork(), tinyDeployment());
        QCOMPARE(with.work[std::size_t(CWork::MeanElements)], 32.0);
        QCOMPARE(with.work[std::size_t(CWork::PoolWindow)], 0.0);
        QCOMPARE(with.work[std::size_t(CWork::Calls)], without.work[std::size_t(CWork::Calls)] + 1);
        QCOMPARE(with.constantBytes, without.constantBytes + 32);
        QVERIFY(with.kernels[std::size_t(CKernel::Mean)]);
        QVERIFY(!with.kernels[std::size_t(CKernel::Pool)]);
    }

    // A pruned layer is stored in the encoding the study charges for it, where that is smaller than dense, as the
    // export stores it: its bytes, a 44-byte psc_sparse_t, psc_conv_sparse's loops. The dense layer has 10 rows of 32.
    void prunedLayersAreCountedInTheirEncodings()
    {
        const std::int64_t conv = 18 + 18 + 92, dense = 90 + 92 + 44; // the conv; the dense layer's bias etc.
        std::vector<LayerDeployment> d = tinyDeployment();
        d[2].pattern = SparsityPattern::Unstructured;
        d[2].sparsity = 0.75; // 80 of the dense layer's 320 4-bit weights are left
        CExportCounters c = cExportCounters(tinyNetwork(), d);
        auto work = [&c](CWork w) { return c.work[std::size_t(w)]; };
        QVERIFY(c.kernels[std::size_t(CKernel::SparseConv)]);
        QVERIFY(c.kernels[std::size_t(CKernel::Conv)]); // the conv stays dense
        // Bitmask: 40 B of presence bits + 80 x 4 bits = 80 B (CSR: 40 + 80 one-byte columns + 11 x 2 = 142 B).
        QCOMPARE(c.constantBytes, conv + 80 + dense);
        QCOMPARE(work(CWork::MaskTests), 320.0); // one output pixel x the filter
        QCOMPARE(work(CWork::SparseTaps), 80.0); // its non-zeros
        QCOMPARE(work(CWork::SparseMacs), 80.0); // all inside the 1 x 1 input
        QCOMPARE(work(CWork::SparseGroups), 0.0);
        QCOMPARE(work(CWork::ConvTaps), 200.0);        // the conv's alone
        QCOMPARE(work(CWork::PackedMacs), 80.0);       // only non-zeros are unpacked
        QCOMPARE(work(CWork::RowChecks), 96.0 + 10.0); // the dense layer: one row per channel

        // The trained weights' zeros, when the deployment has them, count instead of the spec's fraction.
        auto histogram = std::make_shared<WeightHistogram>();
        histogram->counts[128] = 200;     // zeros
        histogram->counts[128 + 3] = 120; // non-zeros
        d[2].weightValues = histogram;
        c = cExportCounters(tinyNetwork(), d);
        QCOMPARE(c.constantBytes, conv + 40 + 60 + dense);
        QCOMPARE(work(CWork::SparseTaps), 120.0);
        d[2].weightValues.reset();

        // CSR: 8-bit, 97 % pruned, ceil(9.6) = 10 left: 10 values + 10 one-byte columns + 11 two-byte row pointers =
        // 42 B (bitmask: 40 + 10).
        d[2].weightBits = 8;
        d[2].sparsity = 0.97;
        c = cExportCounters(tinyNetwork(), d);
        QCOMPARE(c.constantBytes, conv + 42 + dense);
        QCOMPARE(work(CWork::MaskTests), 0.0);
        QCOMPARE(work(CWork::SparseTaps), 10.0);

        // N:M 1:4, 8-bit: 8 groups per row, 80 slots of a value and a 2-bit position: 80 + 20 B.
        d[2].pattern = SparsityPattern::NM;
        d[2].sparsity = 0.0, d[2].n = 1, d[2].m = 4;
        c = cExportCounters(tinyNetwork(), d);
        QCOMPARE(c.constantBytes, conv + 100 + dense);
        QCOMPARE(work(CWork::SparseGroups), 80.0);
        QCOMPARE(work(CWork::SparseTaps), 80.0);
        QCOMPARE(work(CWork::MaskTests), 0.0);

        // DBB 2 of 8, 4-bit: 4 blocks per row, 80 slots of 4 bits + 320 presence bits: 40 + 40 B.
        d[2].pattern = SparsityPattern::Dbb;
        d[2].weightBits = 4, d[2].blockSize = 8, d[2].maxNonZeros = 2;
        c = cExportCounters(tinyNetwork(), d);
        QCOMPARE(c.constantBytes, conv + 80 + dense);
        QCOMPARE(work(CWork::SparseGroups), 40.0);
        QCOMPARE(work(CWork::MaskTests), 320.0);

        // 8-bit weights 10 % pruned: 40 B of presence bits + 288 B > 320 B dense, so dense they stay.
        d[2].pattern = SparsityPattern::Unstructured;
        d[2].weightBits = 8;
        d[2].sparsity = 0.1;
        c = cExportCounters(tinyNetwork(), d);
        QVERIFY(!c.kernels[std::size_t(CKernel::SparseConv)]);
        QCOMPARE(c.constantBytes, conv + 320 + 90 + 92);
        QCOMPARE(work(CWork::MaskTests), 0.0);

        // Binary, half zero: 40 B of presence bits + 20 B of values > 40 B dense at 1 bit, so dense, and a binary
        // layer holding zeros is stored at 2 bits: 80 B.
        d[2].weightBits = 1;
        d[2].sparsity = 0.5;
        auto binary = std::make_shared<WeightHistogram>();
        binary->counts[128] = 160;
        binary->counts[128 + 1] = 160;
        d[2].weightValues = binary;
        c = cExportCounters(tinyNetwork(), d);
        QVERIFY(!c.kernels[std::size_t(CKernel::SparseConv)]);
        QCOMPARE(c.constantBytes, conv + 80 + 90 + 92);
    }

    // The estimate is the counters times the core's coefficients: constants plus code, the planned arena.
    void estimateAddsCodeAndUsesTheArena()
    {
        const CExportCounters c = cExportCounters(tinyNetwork(), tinyDeployment());
        CExportCoefficients k;
        k.codeBytesFixed = 100;
        k.codeBytesPerKernel[std::size_t(CKernel::Conv)] = 800;
        k.codeBytesPerKernel[std::size_t(CKernel::Pool)] = 5000; // not used: not charged
        k.codeBytesPerCall = 20;
        k.instructionsFixed = 10;
        k.instructionsPer[std::size_t(CWork::ConvTaps)] = 12;
        k.instructionsPer[std::size_t(CWork::Requantized)] = 100;
        const CExportEstimate e = estimateCExport(c, k, 48);
        QCOMPARE(e.flashBytes, c.constantBytes + 100 + 800 + 2 * 20);
        QCOMPARE(e.sramBytes, std::int64_t(48));
        QCOMPARE(e.instructions, 10.0 + 12.0 * 520 + 100.0 * 42);
    }

    // A ReLU right after a conv without activation is fused (no clamp, no call); after an add it is a clamp.
    void reluFusedOnlyAfterAConv()
    {
        NetworkInfo n = tinyNetwork();
        n.layers[0].activation = FusedActivation::None;
        LayerInfo relu;
        relu.name = "relu";
        relu.op = OpKind::Relu;
        relu.inC = relu.outC = 2, relu.inH = relu.inW = relu.outH = relu.outW = 4;
        n.layers.insert(n.layers.begin() + 1, relu);
        std::vector<LayerDeployment> d = tinyDeployment();
        d.insert(d.begin() + 1, LayerDeployment{});
        const CExportCounters fused = cExportCounters(n, d);
        QCOMPARE(fused.work[std::size_t(CWork::ClampElements)], 0.0);
        QCOMPARE(fused.work[std::size_t(CWork::Calls)], 2.0);

        LayerInfo add = relu;
        add.name = "add";
        add.op = OpKind::Add;
        add.inputs = 2;
        n.layers.insert(n.layers.begin() + 1, add);
        d.insert(d.begin() + 1, LayerDeployment{});
        const CExportCounters clamped = cExportCounters(n, d);
        QCOMPARE(clamped.work[std::size_t(CWork::ClampElements)], 32.0);
        QCOMPARE(clamped.work[std::size_t(CWork::AddElements)], 64.0);
        QCOMPARE(clamped.work[std::size_t(CWork::Calls)], 4.0);
        QVERIFY(clamped.kernels[std::size_t(CKernel::Clamp)]);
        // add: int32 zero point x 2, int32 multiplier and int8 shift x 3, 32 B descriptor, 2 input pointers.
        QCOMPARE(clamped.constantBytes - fused.constantBytes, std::int64_t(8 + 15 + 32 + 8));
    }

    // Cores without a measured table of their own use the closest measured one.
    void coefficientsPerCore()
    {
        QCOMPARE(&cExportCoefficients("cortex-m4f"), &cExportCoefficients("cortex-m4"));
        QCOMPARE(&cExportCoefficients("cortex-m33"), &cExportCoefficients("cortex-m4"));
        QCOMPARE(&cExportCoefficients("cortex-m85"), &cExportCoefficients("cortex-m55"));
        QVERIFY(&cExportCoefficients("cortex-m7") != &cExportCoefficients("cortex-m4"));
        for (const char *core : {"cortex-m4", "cortex-m7", "cortex-m55"})
            QVERIFY(cExportCoefficients(core).codeBytesPerKernel[std::size_t(CKernel::Conv)] > 0.0);
    }
};

QTEST_GUILESS_MAIN(TestMcuCExport)
#include "tst_mcucexport.moc"
