// SPDX-License-Identifier: GPL-3.0-or-later
// The ONNX export, checked by libonnx's checker and run by a real runtime: OpenCV DNN 4.6 (Debian), whose int8
// layers (ConvolutionInt8, EltwiseInt8) run the QLinear graph. Its int8 logits are compared with the integer
// reference's. OpenCV requantises in float and rounds once; the reference (as TFLite) rounds twice.
#include "psc/export/exporter.h"
#include "psc/quant/integerinference.h"

#include "opencvrunner.h"
#include "quantizedmodels.h"

#include <QTest>

#include <onnx/checker.h>
#include <onnx/onnx_pb.h>

#include <random>

using namespace psc;

class TestOnnxExporter : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void openCvAgreesWithTheIntegerReference_data()
    {
        QTest::addColumn<QString>("json");
        QTest::addColumn<int>("seed");
        QTest::addColumn<int>("maxLsb");
        QTest::addColumn<double>("sameClass");
        const QString head = QStringLiteral(
            R"({"name": "one", "input": {"channels": 2, "height": 9, "width": 9}, "layers": [)");
        const auto row = [&](const char *tag, const char *layers, int maxLsb, double sameClass) {
            QTest::newRow(tag) << head + QString::fromUtf8(layers) << 5 << maxLsb << sameClass;
        };
        row("conv2d same, relu",
            R"({"type": "conv2d", "name": "c", "out_channels": 6, "kernel": 3, "padding": "same", "activation": "relu"}]})",
            1, 1.0);
        row("depthwise x2",
            R"({"type": "depthwise_conv2d", "name": "c", "kernel": 3, "padding": "same", "depth_multiplier": 2}]})", 1,
            1.0);
        row("max pool",
            R"({"type": "conv2d", "name": "c", "out_channels": 6, "kernel": 3},
               {"type": "max_pool2d", "name": "p", "kernel": 3, "stride": 2, "padding": "same"}]})",
            1, 1.0);
        row("average pool",
            R"({"type": "conv2d", "name": "c", "out_channels": 6, "kernel": 3},
               {"type": "avg_pool2d", "name": "p", "kernel": 3, "stride": 1, "padding": "same"}]})",
            1, 0.9); // the "class" of 294 pooled outputs is mostly ties
        row("flatten, dense", R"({"type": "flatten", "name": "f"}, {"type": "dense", "name": "d", "units": 10}]})", 1,
            1.0);
        QTest::newRow("conv, depthwise x2, pools, dense") << QString(testing::kConvPoolNet) << 1 << 2 << 0.97;
        QTest::newRow("residual adds, explicit padding") << QString(testing::kResidualNet) << 2 << 2 << 0.99;
        QTest::newRow("low_rank and kronecker (expanded)") << QString(testing::kFactorNet) << 4 << 2 << 0.96;
    }

    void openCvAgreesWithTheIntegerReference()
    {
        QFETCH(QString, json);
        QFETCH(int, seed);
        QFETCH(int, maxLsb);
        QFETCH(double, sameClass);
        std::mt19937 rng{std::uint32_t(seed)};
        TrainedModel trained = testing::randomModel(json.toStdString(), rng, 0.2f);
        testing::calibrate(trained, rng);
        const IntegerModel model = IntegerModel::quantize(trained);
        const ExportOutput exported = makeExporter(ExportFormat::Onnx)->write(model, {"model", "a test"});
        QCOMPARE(exported.files.size(), std::size_t(1));
        const std::string &bytes = exported.files[0].bytes;

        onnx::ModelProto proto;
        QVERIFY(proto.ParseFromString(bytes));
        try {
            onnx::checker::check_model(proto);
        } catch (const std::exception &e) {
            QFAIL(e.what());
        }

        const Shape &s = trained.network.input;
        std::unique_ptr<psc::test::OpenCvModel> opencv;
        try {
            opencv = std::make_unique<psc::test::OpenCvModel>(bytes, std::vector<int>{1, s.channels, s.height, s.width},
                                                              model.inputParams().scale,
                                                              model.inputParams().zeroPoint);
        } catch (const cv::Exception &e) {
            QFAIL(e.what());
        }
        constexpr int kImages = 200;
        const std::vector<std::uint8_t> pixels = testing::randomImages(s, kImages, rng);
        const std::size_t imageSize = std::size_t(s.elements());
        int worst = 0, same = 0, off = 0, values = 0;
        for (int n = 0; n < kImages; ++n) {
            const std::uint8_t *image = pixels.data() + std::size_t(n) * imageSize;
            std::vector<std::int8_t> q(imageSize);
            for (std::size_t i = 0; i < imageSize; ++i)
                q[i] = std::int8_t(int(image[i]) - 128);
            std::vector<std::int8_t> got;
            try {
                got = opencv->run(q);
            } catch (const cv::Exception &e) {
                QFAIL(e.what());
            }
            const std::vector<std::int8_t> want = model.run(image);
            QCOMPARE(got.size(), want.size());
            for (std::size_t k = 0; k < got.size(); ++k) {
                const int d = std::abs(int(got[k]) - int(want[k]));
                worst = std::max(worst, d);
                off += d != 0;
                ++values;
            }
            same += std::max_element(got.begin(), got.end()) - got.begin() ==
                    std::max_element(want.begin(), want.end()) - want.begin();
        }
        qInfo("%s: %d of %d logits differ, at most %d LSB; same class on %d of %d images; warnings: %zu",
              QTest::currentDataTag(), off, values, worst, same, kImages, exported.warnings.size());
        QVERIFY2(worst <= maxLsb, qPrintable(QString::number(worst)));
        QVERIFY2(same >= sameClass * kImages, qPrintable(QString::number(same)));
    }
};

QTEST_GUILESS_MAIN(TestOnnxExporter)
#include "tst_onnxexporter.moc"
