// SPDX-License-Identifier: GPL-3.0-or-later
// The C export: generated sources compile on the host with -Wall -Wextra -Werror and Address/UB sanitizers, and
// their outputs equal the integer reference's, bit for bit, on every layer type the engine supports.
#include "psc/core/error.h"
#include "psc/export/exporter.h"
#include "psc/quant/integerinference.h"

#include "hostc.h"
#include "quantizedmodels.h"
#include "testsupport.h"

#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <random>

using namespace psc;
using psc::test::writeFile;

namespace {

/** Writes the C export of `model` to `dir` and returns the files. */
std::vector<ExportedFile> writeCExport(const IntegerModel &model, const QTemporaryDir &dir)
{
    const ExportOutput exported = makeExporter(ExportFormat::C)->write(model, {"model", "a test"});
    for (const ExportedFile &f : exported.files)
        writeFile(dir, QString::fromStdString(f.name), QByteArray::fromStdString(f.bytes));
    return exported.files;
}

} // namespace

class TestCExporter : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void bitExactWithTheIntegerReference_data()
    {
        QTest::addColumn<QString>("json");
        QTest::addColumn<int>("seed");
        QTest::newRow("conv, depthwise x2, pools, dense") << QString(testing::kConvPoolNet) << 1;
        QTest::newRow("residual adds of 2 and 3 inputs, explicit padding") << QString(testing::kResidualNet) << 2;
        QTest::newRow("1- to 6-bit weights, packed") << QString(testing::kNarrowNet) << 3;
        QTest::newRow("low_rank and kronecker") << QString(testing::kFactorNet) << 4;
        QTest::newRow("sparse layers as presence bitmasks") << QString(testing::kSparseNet) << 5;
        QTest::newRow("bitmask, CSR, DBB and N:M") << QString(testing::kEncodingsNet) << 6;
    }

    void bitExactWithTheIntegerReference()
    {
        QFETCH(QString, json);
        QFETCH(int, seed);
        std::mt19937 rng{std::uint32_t(seed)};
        const TrainedModel trained = testing::calibratedRandomModel(json.toStdString(), rng);
        const IntegerModel model = IntegerModel::quantize(trained);
        QTemporaryDir dir;
        const std::vector<ExportedFile> files = writeCExport(model, dir);
        QCOMPARE(files.size(), std::size_t(2));
        QCOMPARE(files[0].name, std::string("model.c"));
        QCOMPARE(files[1].name, std::string("model.h"));
        writeFile(dir, QStringLiteral("main.c"), psc::test::kHostHarness);
        const QString error = psc::test::runProgram(QStringLiteral("cc"),
                                                    {"-std=c99", "-O1", "-g", "-Wall", "-Wextra", "-Werror",
                                                     "-fsanitize=address,undefined", "-fno-sanitize-recover=all",
                                                     "model.c", "main.c", "-o", "model"},
                                                    dir.path());
        QVERIFY2(error.isEmpty(), qPrintable(error));

        constexpr int kImages = 100;
        const std::vector<std::uint8_t> pixels = testing::randomImages(trained.network.input, kImages, rng);
        writeFile(dir, QStringLiteral("inputs.bin"), testing::int8Inputs(pixels));
        const QString ran =
            psc::test::runProgram(dir.filePath(QStringLiteral("model")), {"inputs.bin", "outputs.bin"}, dir.path());
        QVERIFY2(ran.isEmpty(), qPrintable(ran));

        QFile outputs(dir.filePath(QStringLiteral("outputs.bin")));
        QVERIFY(outputs.open(QIODevice::ReadOnly));
        const QByteArray got = outputs.readAll();
        const std::size_t imageSize = std::size_t(trained.network.input.elements());
        const auto outputSize = std::size_t(model.outputSize());
        QCOMPARE(std::size_t(got.size()), kImages * outputSize);
        for (int n = 0; n < kImages; ++n) {
            const std::vector<std::int8_t> want = model.run(pixels.data() + std::size_t(n) * imageSize);
            for (std::size_t k = 0; k < outputSize; ++k)
                QVERIFY2(std::int8_t(got[qsizetype(std::size_t(n) * outputSize + k)]) == want[k],
                         qPrintable(QStringLiteral("image %1, logit %2: C %3, reference %4")
                                        .arg(n)
                                        .arg(k)
                                        .arg(int(std::int8_t(got[qsizetype(std::size_t(n) * outputSize + k)])))
                                        .arg(int(want[k]))));
        }
    }

    // The same C, cross-compiled for Cortex-M4 (mps2-an386), M7 (mps2-an500) and M55 (mps3-an547) with
    // arm-none-eabi-gcc and run on QEMU with semihosting (deploy/cortex-m): bit-exact on 50 images each, for
    // the same four networks.
    void bitExactOnCortexM_data() { bitExactWithTheIntegerReference_data(); }

    void bitExactOnCortexM()
    {
        QFETCH(QString, json);
        QFETCH(int, seed);
        std::mt19937 rng{std::uint32_t(seed)};
        const TrainedModel trained = testing::calibratedRandomModel(json.toStdString(), rng);
        const IntegerModel model = IntegerModel::quantize(trained);
        QTemporaryDir dir;
        writeCExport(model, dir);
        constexpr int kImages = 50;
        const std::vector<std::uint8_t> pixels = testing::randomImages(trained.network.input, kImages, rng);
        writeFile(dir, QStringLiteral("inputs.bin"), testing::int8Inputs(pixels));
        const std::size_t imageSize = std::size_t(trained.network.input.elements());
        const auto outputSize = std::size_t(model.outputSize());
        const QString harness = QStringLiteral(PSC_SOURCE_DIR "/deploy/cortex-m/");
        for (const char *board : {"mps2-an386", "mps2-an500", "mps3-an547"}) {
            const QString elf = QStringLiteral("model-%1.elf").arg(board);
            QString error = psc::test::runProgram(QStringLiteral("sh"),
                                                  {harness + "build.sh", board, elf, "model.c", harness + "runner.c",
                                                   harness + "psc_icount.c", "-Wall", "-Wextra", "-Werror",
                                                   QStringLiteral("-DPSC_INPUT_SIZE=%1").arg(imageSize),
                                                   QStringLiteral("-DPSC_OUTPUT_SIZE=%1").arg(outputSize)},
                                                  dir.path());
            QVERIFY2(error.isEmpty(), qPrintable(error));
            const QString outputs = QStringLiteral("outputs-%1.bin").arg(board);
            error = psc::test::runProgram(QStringLiteral("sh"), {harness + "run.sh", board, elf, "inputs.bin", outputs},
                                          dir.path());
            QVERIFY2(error.isEmpty(), qPrintable(error));
            QFile f(dir.filePath(outputs));
            QVERIFY(f.open(QIODevice::ReadOnly));
            const QByteArray got = f.readAll();
            QCOMPARE(std::size_t(got.size()), kImages * outputSize);
            for (int n = 0; n < kImages; ++n) {
                const std::vector<std::int8_t> want = model.run(pixels.data() + std::size_t(n) * imageSize);
                QVERIFY2(std::equal(want.begin(), want.end(), got.begin() + qsizetype(std::size_t(n) * outputSize)),
                         qPrintable(QStringLiteral("%1, image %2").arg(board).arg(n)));
            }
        }
    }

    // Pruned layers are stored in the encoding the study's weight_bytes charge, in as many bytes (counted here by
    // hand from docs/formats/weight-encodings.md), with psc_conv_sparse; nothing is lost, so nothing is warned.
    void prunedLayersAreStoredAsTheStudyChargesThem()
    {
        std::mt19937 rng{6};
        const IntegerModel model = IntegerModel::quantize(testing::calibratedRandomModel(testing::kEncodingsNet, rng));
        const ExportOutput exported = makeExporter(ExportFormat::C)->write(model, {"encodings", ""});
        for (const std::string &w : exported.warnings)
            qInfo("%s", w.c_str());
        QVERIFY(exported.warnings.empty());
        const std::string &source = exported.files[0].bytes;
        // encoding (1 bitmask, 2 CSR, 3 DBB, 4 N:M), row length, rows per channel, window rows, group, slots,
        // position bits, column index bytes, row pointer bytes.
        QVERIFY(source.find("l0_c1_w_sparse = {1, 9, 1, 1, 0, 0, 0, 0, 0,") != std::string::npos);
        QVERIFY(source.find("l1_dw_w_sparse = {4, 9, 1, 1, 4, 1, 2, 0, 0,") != std::string::npos);
        QVERIFY(source.find("l2_c2_w_sparse = {3, 8, 9, 0, 4, 1, 0, 0, 0,") != std::string::npos);
        QVERIFY(source.find("l4_fc1_w_sparse = {2, 216, 1, 0, 0, 0, 0, 1, 2,") != std::string::npos);
        QVERIFY(source.find("l5_fc2_w_sparse = {4, 40, 1, 0, 4, 2, 2, 0, 0,") != std::string::npos);
        QVERIFY(source.find("    psc_conv(&") == std::string::npos);
        // c1: 72 presence bits (9 B) + 29 of 72 int8 weights left (60 % of 72 = 43.2 pruned, 43 rounded);
        // dw: per channel 3 slots (groups of 4, 4, 1) x (8 + 2 position bits), 8 channels: 24 B + 6 B;
        // c2: 6 x 9 rows of 8 inputs, two 1-of-4 blocks each: 108 slots x 4 bits + 432 presence bits: 54 B + 54 B;
        // fc1: 432 of 8640 left: 432 values + 432 one-byte columns (216 < 256) + 41 two-byte row pointers;
        // fc2: 10 rows x 10 groups x 2 slots of 2 value and 2 position bits: 50 B + 50 B (as dense, so N:M).
        QCOMPARE(exported.figures.at(1).first, std::string("weight_bytes"));
        QCOMPARE(exported.figures.at(1).second, double((9 + 29) + (24 + 6) + (54 + 54) + (432 + 432 + 82) + 100));
    }

    // A pruned layer whose presence bits would not pay for themselves stays dense, as the study charges it.
    void prunedLayersStayDenseWhereThatIsSmaller()
    {
        std::mt19937 rng{5};
        const IntegerModel model = IntegerModel::quantize(testing::calibratedRandomModel(testing::kSparseNet, rng));
        const ExportOutput exported = makeExporter(ExportFormat::C)->write(model, {"sparse", ""});
        QVERIFY(exported.warnings.empty());
        const std::string &source = exported.files[0].bytes;
        QVERIFY(source.find("    psc_conv(&l2_c2, ") != std::string::npos); // 10 % of 180: 23 B of bits to save 18 B
        QVERIFY(source.find("    psc_conv_sparse(&l0_c1, ") != std::string::npos);
        QVERIFY(source.find("    psc_conv_sparse(&l1_dw, ") != std::string::npos);
        QVERIFY(source.find("    psc_conv_sparse(&l4_fc, ") != std::string::npos);
    }

    // Sub-8-bit weights are packed: 4-bit weights two per byte.
    void bitsArePacked()
    {
        std::mt19937 rng{7};
        const IntegerModel model = IntegerModel::quantize(testing::calibratedRandomModel(
            R"({"name": "packed", "input": {"channels": 1, "height": 4, "width": 4}, "layers": [
                {"type": "flatten", "name": "fl"},
                {"type": "dense", "name": "fc", "units": 6, "weight_bits": 4}]})",
            rng));
        const ExportOutput exported = makeExporter(ExportFormat::C)->write(model, {"packed", ""});
        QVERIFY(exported.warnings.empty());
        QCOMPARE(exported.figures.at(1).first, std::string("weight_bytes"));
        QCOMPARE(exported.figures.at(1).second, 16.0 * 6 * 4 / 8); // 96 weights of 4 bits
    }

    void formatNames()
    {
        QCOMPARE(exportFormatFromString("c"), std::optional<ExportFormat>(ExportFormat::C));
        QCOMPARE(exportFormatFromString("tflite"), std::optional<ExportFormat>(ExportFormat::Tflite));
        QVERIFY(!exportFormatFromString("TFLite"));
        QCOMPARE(exportFormatNames(), std::string("tflite, onnx, c"));
    }
};

QTEST_GUILESS_MAIN(TestCExporter)
#include "tst_cexporter.moc"
