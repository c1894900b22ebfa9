// SPDX-License-Identifier: GPL-3.0-or-later
// Trained networks leave Paretoscope: each is trained briefly on Fashion-MNIST, exported, and run on 200 test images
// by the real runtimes: the C export compiled for the host, and for a Cortex-M4, M7 or M55 run on QEMU (50 images),
// must equal the integer reference bit for bit, and ArmNN
// (CpuRef) running the TFLite export must agree within the bounds docs/formats/export-tflite.md states: at most 1 LSB
// and the same class on 99.5 % of images, except the DS-CNN: its dense layer after a 16-channel global pool amplifies
// the runtimes' single 1-LSB requantisation differences (they round once in float, the reference twice in fixed
// point) to 2 LSB on some logits (same class on 96 % or more; docs/formats/export-tflite.md).
#include "psc/data/dataset.h"
#include "psc/export/exporter.h"
#include "psc/jobs/jobcontext.h"
#include "psc/ml/torchtrainer.h"
#include "psc/net/networkparser.h"
#include "psc/quant/integerinference.h"
#include "psc/quant/trainedmodel.h"

#include "armnnrunner.h"
#include "hostc.h"
#include "opencvrunner.h"
#include "testsupport.h"

#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

using namespace psc;
using psc::test::writeFile;

namespace {

constexpr int kImages = 200;
constexpr int kCortexMImages = 50;

} // namespace

class TestDeployedRuntimes : public QObject
{
    Q_OBJECT

    Dataset m_data;
    ml::TorchTrainer m_trainer;

private Q_SLOTS:
    void initTestCase()
    {
        ml::TorchTrainer::configureThreads(1);
        m_data = loadFashionMnist(defaultFashionMnistDir());
    }

    void exportsRunInRealRuntimes_data()
    {
        QTest::addColumn<QString>("json");
        QTest::addColumn<int>("maxLsb");
        QTest::addColumn<double>("sameClass");
        QTest::addColumn<QString>("board"); // the Cortex-M board QEMU runs the C export on
        const QString head = QStringLiteral(R"({"name": "%1", "input": {"channels": 1, "height": 28, "width": 28}, )");
        QTest::newRow("plain CNN") << head.arg("cnn") + R"("layers": [
            {"type": "conv2d", "name": "c1", "out_channels": 8, "kernel": 3, "padding": "same", "activation": "relu"},
            {"type": "max_pool2d", "name": "p1", "kernel": 2, "stride": 2},
            {"type": "conv2d", "name": "c2", "out_channels": 16, "kernel": 3, "padding": "same", "activation": "relu"},
            {"type": "max_pool2d", "name": "p2", "kernel": 2, "stride": 2},
            {"type": "flatten", "name": "f"},
            {"type": "dense", "name": "logits", "units": 10},
            {"type": "softmax", "name": "sm"}]})"
                                   << 1 << 0.995 << "mps2-an386";
        QTest::newRow("DS-CNN with a residual add") << head.arg("dscnn") + R"("layers": [
            {"type": "conv2d", "name": "stem", "out_channels": 16, "kernel": 3, "stride": 2, "padding": "same",
             "bias": false},
            {"type": "batch_norm", "name": "stem_bn"},
            {"type": "relu", "name": "stem_relu"},
            {"type": "depthwise_conv2d", "name": "dw", "kernel": 3, "padding": "same", "bias": false},
            {"type": "batch_norm", "name": "dw_bn"},
            {"type": "relu", "name": "dw_relu"},
            {"type": "conv2d", "name": "pw", "out_channels": 16, "kernel": 1, "bias": false},
            {"type": "batch_norm", "name": "pw_bn"},
            {"type": "add", "name": "res", "inputs": ["stem_relu", "pw_bn"], "activation": "relu"},
            {"type": "avg_pool2d", "name": "ap", "kernel": 2, "stride": 2},
            {"type": "global_avg_pool", "name": "gap"},
            {"type": "dense", "name": "logits", "units": 10}]})"
                                                    << 1 << 0.995 << "mps2-an500";
        QTest::newRow("low_rank") << head.arg("lowrank") + R"("layers": [
            {"type": "conv2d", "name": "c1", "out_channels": 8, "kernel": 3, "stride": 2, "padding": "same",
             "activation": "relu"},
            {"type": "flatten", "name": "f"},
            {"type": "low_rank", "name": "lr", "out_channels": 32, "rank": 8, "activation": "relu"},
            {"type": "dense", "name": "logits", "units": 10}]})"
                                  << 1 << 0.995 << "mps3-an547";
        QTest::newRow("4-bit, 50 % sparse") << head.arg("narrow") + R"("layers": [
            {"type": "conv2d", "name": "c1", "out_channels": 8, "kernel": 3, "stride": 2, "padding": "same",
             "activation": "relu", "weight_bits": 4},
            {"type": "conv2d", "name": "c2", "out_channels": 16, "kernel": 3, "stride": 2, "padding": "same",
             "activation": "relu", "weight_bits": 4, "sparsity": {"pattern": "unstructured", "fraction": 0.5}},
            {"type": "flatten", "name": "f"},
            {"type": "dense", "name": "logits", "units": 10, "weight_bits": 4,
             "sparsity": {"pattern": "unstructured", "fraction": 0.5}}]})"
                                            << 1 << 0.995 << "mps2-an386";
    }

    void exportsRunInRealRuntimes()
    {
        QFETCH(QString, json);
        QFETCH(int, maxLsb);
        QFETCH(double, sameClass);
        QFETCH(QString, board);
        TrainingRecipe r;
        r.epochs = 1;
        r.trainSubset = 4000;
        r.testSubset = kImages;
        r.learningRate = 0.01;
        JobContext ctx;
        const NetworkDescription net = parseNetworkJson(json.toStdString(), "test network");
        const TrainResult trained = m_trainer.train(net, r, m_data, 7, ctx);
        const IntegerModel model = IntegerModel::quantize(deserializeTrainedModel(trained.weights, "weights"));
        const ImageSet &test = m_data.test;
        const std::size_t imageSize = test.imageSize();

        // C: compiled for the host, bit for bit.
        QTemporaryDir dir;
        for (const ExportedFile &f : makeExporter(ExportFormat::C)->write(model, {"model", ""}).files)
            writeFile(dir, QString::fromStdString(f.name), QByteArray::fromStdString(f.bytes));
        writeFile(dir, QStringLiteral("main.c"), psc::test::kHostHarness);
        QByteArray inputs;
        for (std::size_t i = 0; i < kImages * imageSize; ++i)
            inputs.append(char(std::int8_t(int(test.pixels[i]) - 128))); // q = pixel - 128
        writeFile(dir, QStringLiteral("inputs.bin"), inputs);
        QString error = psc::test::runProgram(
            QStringLiteral("cc"),
            {"-std=c99", "-O2", "-Wall", "-Wextra", "-Werror", "model.c", "main.c", "-o", "model"}, dir.path());
        QVERIFY2(error.isEmpty(), qPrintable(error));
        error = psc::test::runProgram(dir.filePath(QStringLiteral("model")), {"inputs.bin", "outputs.bin"}, dir.path());
        QVERIFY2(error.isEmpty(), qPrintable(error));
        QFile outputs(dir.filePath(QStringLiteral("outputs.bin")));
        QVERIFY(outputs.open(QIODevice::ReadOnly));
        const QByteArray fromC = outputs.readAll();
        const auto outputSize = std::size_t(model.outputSize());
        QCOMPARE(std::size_t(fromC.size()), kImages * outputSize);

        // C on a Cortex-M (QEMU, semihosting), built with the cross compiler as a user would: bit for bit on the first
        // kCortexMImages test images.
        writeFile(dir, QStringLiteral("inputs-m.bin"), inputs.left(qsizetype(kCortexMImages * imageSize)));
        const QString harness = QStringLiteral(PSC_SOURCE_DIR "/deploy/cortex-m/");
        error = psc::test::runProgram(QStringLiteral("sh"),
                                      {harness + "build.sh", board, "model.elf", "model.c", harness + "runner.c",
                                       harness + "psc_icount.c", "-Wall", "-Wextra", "-Werror",
                                       QStringLiteral("-DPSC_INPUT_SIZE=%1").arg(imageSize),
                                       QStringLiteral("-DPSC_OUTPUT_SIZE=%1").arg(model.outputSize())},
                                      dir.path());
        QVERIFY2(error.isEmpty(), qPrintable(error));
        error = psc::test::runProgram(QStringLiteral("sh"),
                                      {harness + "run.sh", board, "model.elf", "inputs-m.bin", "outputs-m.bin"},
                                      dir.path());
        QVERIFY2(error.isEmpty(), qPrintable(error));
        QFile onCortexM(dir.filePath(QStringLiteral("outputs-m.bin")));
        QVERIFY(onCortexM.open(QIODevice::ReadOnly));
        const QByteArray fromCortexM = onCortexM.readAll();

        // TFLite: ArmNN CpuRef.
        std::unique_ptr<psc::test::ArmnnModel> armnn;
        try {
            armnn = std::make_unique<psc::test::ArmnnModel>(
                makeExporter(ExportFormat::Tflite)->write(model, {"model", ""}).files.at(0).bytes);
        } catch (const std::exception &e) {
            QFAIL(e.what());
        }
        // ONNX: OpenCV DNN.
        std::unique_ptr<psc::test::OpenCvModel> opencv;
        try {
            opencv = std::make_unique<psc::test::OpenCvModel>(
                makeExporter(ExportFormat::Onnx)->write(model, {"model", ""}).files.at(0).bytes,
                std::vector<int>{1, test.channels, test.height, test.width}, model.inputParams().scale,
                model.inputParams().zeroPoint);
        } catch (const cv::Exception &e) {
            QFAIL(e.what());
        }
        int cExact = 0, mExact = 0, worst = 0, off = 0, same = 0, correct = 0, onnxWorst = 0, onnxOff = 0, onnxSame = 0;
        for (int n = 0; n < kImages; ++n) {
            const std::uint8_t *image = test.pixels.data() + std::size_t(n) * imageSize;
            const std::vector<std::int8_t> want = model.run(image);
            cExact += std::equal(want.begin(), want.end(), fromC.begin() + qsizetype(std::size_t(n) * outputSize));
            if (n < kCortexMImages)
                mExact +=
                    fromCortexM.size() >= qsizetype(std::size_t(n + 1) * outputSize) &&
                    std::equal(want.begin(), want.end(), fromCortexM.begin() + qsizetype(std::size_t(n) * outputSize));
            std::vector<std::int8_t> nhwc(imageSize); // one channel: the same order
            for (std::size_t i = 0; i < imageSize; ++i)
                nhwc[i] = std::int8_t(int(image[i]) - 128);
            const std::vector<std::int8_t> got = armnn->run(nhwc);
            for (std::size_t k = 0; k < got.size(); ++k) {
                worst = std::max(worst, std::abs(int(got[k]) - int(want[k])));
                off += got[k] != want[k];
            }
            same += psc::test::argmax(got) == psc::test::argmax(want);
            const std::vector<std::int8_t> fromOnnx = opencv->run(nhwc); // one channel: NCHW is NHWC
            for (std::size_t k = 0; k < fromOnnx.size(); ++k) {
                onnxWorst = std::max(onnxWorst, std::abs(int(fromOnnx[k]) - int(want[k])));
                onnxOff += fromOnnx[k] != want[k];
            }
            onnxSame += psc::test::argmax(fromOnnx) == psc::test::argmax(want);
            correct += psc::test::argmax(want) == test.labels[std::size_t(n)];
        }
        qInfo("%s: reference accuracy %d/%d; C bit-exact on %d/%d images (host), %d/%d on %s (QEMU); ArmNN (TFLite): "
              "%d of %d logits differ, at "
              "most %d LSB, same class on %d/%d; OpenCV (ONNX): %d differ, at most %d LSB, same class on %d/%d",
              QTest::currentDataTag(), correct, kImages, cExact, kImages, mExact, kCortexMImages, qPrintable(board),
              off, int(kImages * outputSize), worst, same, kImages, onnxOff, onnxWorst, onnxSame, kImages);
        QCOMPARE(cExact, kImages);
        QCOMPARE(mExact, kCortexMImages);
        QVERIFY2(worst <= maxLsb, qPrintable(QString::number(worst)));
        QVERIFY2(same >= sameClass * kImages, qPrintable(QString::number(same)));
        QVERIFY2(onnxWorst <= maxLsb, qPrintable(QString::number(onnxWorst)));
        QVERIFY2(onnxSame >= sameClass * kImages, qPrintable(QString::number(onnxSame)));
    }
};

QTEST_GUILESS_MAIN(TestDeployedRuntimes)
#include "tst_deployedruntimes.moc"
