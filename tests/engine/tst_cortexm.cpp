// SPDX-License-Identifier: GPL-3.0-or-later
// Measuring C exports on Cortex-M (psc/export/cortexm.h): the parsers on hand-written tool output, the instruction
// count exact on a routine of known length, and the MCU model's C-export estimates against real exports measured
// on QEMU (the bounds issue 11 sets for the benchmark: flash within 3 %, SRAM within 5 %).
#include "psc/export/cortexm.h"
#include "psc/export/exporter.h"
#include "psc/net/analysis.h"
#include "psc/plugins/pluginregistry.h"
#include "psc/quant/integerinference.h"
#include "psc/targets/costinput.h"
#include "psc/targets/targetlibrary.h"

#include "quantizedmodels.h"

#include <QTest>

#include <cmath>

using namespace psc;

namespace {

/** A stand-in model whose psc_model_invoke runs exactly `nops` NOPs (plus its fixed entry and return). */
std::vector<FileToWrite> nopModel(int nops)
{
    std::string body;
    for (int i = 0; i < nops; ++i)
        body += "nop\\n";
    return {{"model.c", "#include \"model.h\"\nint psc_model_invoke(const int8_t *input, int8_t *output)\n{\n"
                        "    (void)input;\n    (void)output;\n    __asm__ volatile(\"" +
                            body + "\");\n    return 0;\n}\n"},
            {"model.h", "#include <stdint.h>\n#define PSC_MODEL_INPUT_SIZE 4\n#define PSC_MODEL_OUTPUT_SIZE 2\n"
                        "int psc_model_invoke(const int8_t *input, int8_t *output);\n"}};
}

} // namespace

class TestCortexM : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void parsesSizeOutput()
    {
        const char *output = "model.o  :\n"
                             "section             size   addr\n"
                             ".text                  0      0\n"
                             ".text.psc_conv       900      0\n"
                             ".text.psc_model_invoke 224   0\n"
                             ".rodata.l0_w         144      0\n"
                             ".rodata.l0_b          32      0\n"
                             ".data.counter          4      0\n"
                             ".bss.psc_arena      7840      0\n"
                             ".debug_info         1620      0\n"
                             ".ARM.attributes       50      0\n"
                             ".comment              39      0\n"
                             "Total              10853\n";
        const CBuildMeasurement m = parseSizeOutput(output);
        QCOMPARE(m.textBytes, std::int64_t(1124));
        QCOMPARE(m.rodataBytes, std::int64_t(176));
        QCOMPARE(m.dataBytes, std::int64_t(4));
        QCOMPARE(m.bssBytes, std::int64_t(7840));
        QCOMPARE(m.flashBytes(), std::int64_t(1304));
        QCOMPARE(m.ramBytes(), std::int64_t(7844));
    }

    void parsesInstructionCount()
    {
        QCOMPARE(parseInstructionCount("region 0 insns 73025947\nregion 1 insns 5\ntotal insns 80000000\n"),
                 std::optional<std::int64_t>(73025947));
        QCOMPARE(parseInstructionCount("warning: no begin/end marker pair executed\ntotal insns 12\n"),
                 std::optional<std::int64_t>());
        QCOMPARE(parseInstructionCount("region 0 insns -3\n"), std::optional<std::int64_t>());
    }

    void boardsForCores()
    {
        QCOMPARE(qemuMachineForCore("cortex-m4f"), std::optional<std::string>("mps2-an386"));
        QCOMPARE(qemuMachineForCore("cortex-m7"), std::optional<std::string>("mps2-an500"));
        QCOMPARE(qemuMachineForCore("cortex-m55"), std::optional<std::string>("mps3-an547"));
        QCOMPARE(qemuMachineForCore("cortex-m33"), std::optional<std::string>());
    }

    // 1000 more NOPs are exactly 1000 more instructions and 2000 more bytes of Thumb code, on every board.
    void countsInstructionsExactly()
    {
        const CortexMTools tools = CortexMTools::locate();
        QVERIFY2(tools.usable(), tools.missing.c_str());
        for (const char *core : {"cortex-m4", "cortex-m7", "cortex-m55"}) {
            const CBuildMeasurement small = measureCExport(tools, nopModel(100), core);
            const CBuildMeasurement large = measureCExport(tools, nopModel(1100), core);
            QCOMPARE(large.instructions - small.instructions, std::int64_t(1000));
            QVERIFY(small.instructions >= 100 && small.instructions < 120);
            QCOMPARE(large.textBytes - small.textBytes, std::int64_t(2000));
            QCOMPARE(large.machine, *qemuMachineForCore(core));
        }
    }

    void measureRefusesWhatItCannotRun()
    {
        const CortexMTools tools = CortexMTools::locate();
        QVERIFY_THROWS_EXCEPTION(RuntimeError, measureCExport(tools, nopModel(1), "cortex-m33"));
        std::vector<FileToWrite> broken = nopModel(1);
        broken[0].bytes += "this is not C\n";
        try {
            measureCExport(tools, broken, "cortex-m4");
            QFAIL("a file that does not compile was measured");
        } catch (const RuntimeError &e) {
            QVERIFY2(std::string(e.what()).find("compiling the C export on cortex-m4") != std::string::npos, e.what());
        }
        CortexMTools missing = tools;
        missing.missing = "qemu-system-arm";
        QVERIFY_THROWS_EXCEPTION(RuntimeError, measureCExport(missing, nopModel(1), "cortex-m4"));
    }

    // The MCU targets' C-export estimates (c_flash_bytes, c_sram_bytes, c_instructions) beside real exports of four
    // networks (random calibrated weights; not the networks the coefficients were fitted on) measured on QEMU.
    void estimatesAgreeWithMeasurements_data()
    {
        QTest::addColumn<QString>("json");
        QTest::addColumn<int>("seed");
        QTest::newRow("conv, depthwise, pools, dense") << QString(testing::kConvPoolNet) << 1;
        QTest::newRow("residual adds, global average pool") << QString(testing::kResidualNet) << 2;
        QTest::newRow("1- to 6-bit weights") << QString(testing::kNarrowNet) << 3;
        QTest::newRow("low_rank and kronecker") << QString(testing::kFactorNet) << 4;
    }

    void estimatesAgreeWithMeasurements()
    {
        QFETCH(QString, json);
        QFETCH(int, seed);
        std::mt19937 rng{std::uint32_t(seed)};
        const TrainedModel trained = testing::calibratedRandomModel(json.toStdString(), rng);
        const ExportOutput out = makeExporter(ExportFormat::C)->write(IntegerModel::quantize(trained), {"model", ""});
        std::vector<FileToWrite> files;
        for (const ExportedFile &f : out.files)
            files.push_back({f.name, f.bytes});
        PluginRegistry registry;
        registry.load();
        TargetLibrary library(registry);
        library.loadDirectory(TargetLibrary::defaultDirectory());
        const NetworkDescription &net = trained.network;
        const plugin::NetworkInfo info = toNetworkInfo(net, analyzeNetwork(net));
        const CortexMTools tools = CortexMTools::locate();
        for (const auto &[target, core] : {std::pair{"stm32f446re", "cortex-m4"}, std::pair{"stm32f746zg", "cortex-m7"},
                                           std::pair{"alif-e3-hp", "cortex-m55"}}) {
            const plugin::CostEstimate e = library.target(target)->estimate(info, defaultDeployment(net));
            const CBuildMeasurement m = measureCExport(tools, files, core);
            const double flash = e.extra.at("c_flash_bytes"), sram = e.extra.at("c_sram_bytes"),
                         insns = e.extra.at("c_instructions");
            const QByteArray what = QByteArray(target) + ": flash " + QByteArray::number(flash) + " vs " +
                                    QByteArray::number(m.flashBytes()) + ", SRAM " + QByteArray::number(sram) + " vs " +
                                    QByteArray::number(m.ramBytes()) + ", instructions " + QByteArray::number(insns) +
                                    " vs " + QByteArray::number(m.instructions);
            QVERIFY2(std::abs(flash - double(m.flashBytes())) <= 0.03 * double(m.flashBytes()), what.constData());
            QVERIFY2(sram == double(m.ramBytes()), what.constData()); // the export declares the planned arena
            QVERIFY2(std::abs(insns - double(m.instructions)) <= 0.15 * double(m.instructions), what.constData());
        }
    }
};

QTEST_GUILESS_MAIN(TestCortexM)
#include "tst_cortexm.moc"
