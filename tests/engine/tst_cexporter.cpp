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

    // Sparse layers are stored as presence bitmasks with their non-zeros packed, where that is smaller than dense;
    // a layer whose mask would not pay for itself stays dense and the export says so. The weight bytes are counted
    // here from the quantised weights: a mask bit per weight, then the non-zeros at the layer's bits.
    void sparseLayersAreStoredAsBitmasks()
    {
        std::mt19937 rng{5};
        const IntegerModel model = IntegerModel::quantize(testing::calibratedRandomModel(testing::kSparseNet, rng));
        const ExportOutput exported = makeExporter(ExportFormat::C)->write(model, {"sparse", ""});
        QCOMPARE(exported.warnings.size(), std::size_t(1));
        QVERIFY2(exported.warnings[0].find("layer c2: ") == 0 &&
                     exported.warnings[0].find("unstructured sparsity stored dense") != std::string::npos,
                 exported.warnings[0].c_str());

        double expected = 0;
        for (const LayerQuantization &q : model.layers()) {
            const auto count = std::int64_t(q.weights.size());
            const auto nonZeros = count - std::count(q.weights.begin(), q.weights.end(), std::int8_t(0));
            const std::int64_t dense = (count * q.weightBits + 7) / 8;
            const std::int64_t masked = (count + 7) / 8 + (nonZeros * q.weightBits + 7) / 8;
            expected += double(std::min(dense, masked)); // every weighted layer of kSparseNet is sparse
        }
        QCOMPARE(exported.figures.at(1).first, std::string("weight_bytes"));
        QCOMPARE(exported.figures.at(1).second, expected);
        const std::string &source = exported.files[0].bytes;
        auto calls = [&source](const std::string &call) {
            std::size_t n = 0;
            for (std::size_t at = 0; (at = source.find(call, at)) != std::string::npos; at += call.size())
                ++n;
            return n;
        };
        QCOMPARE(calls("    psc_conv_sparse(&l"), std::size_t(3)); // c1, dw, fc
        QCOMPARE(calls("    psc_conv(&l"), std::size_t(1));        // c2
        QVERIFY(exported.files[1].bytes.find("#define PSC_MODEL_OUTPUT_SIZE 10\n") != std::string::npos);
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
