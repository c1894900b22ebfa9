// SPDX-License-Identifier: GPL-3.0-or-later
// The ONNX export, checked by libonnx's checker and run by a real runtime: OpenCV DNN 4.6 (Debian), whose int8
// layers (ConvolutionInt8, EltwiseInt8) run the QLinear graph. Its int8 logits are compared with the integer
// reference's. OpenCV requantises in float and rounds once; the reference (as TFLite) rounds twice.
#include "psc/export/exporter.h"
#include "psc/quant/integerinference.h"

#include "exportagreement.h"
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
        psc::test::addAgreementRows(testing::kConvPoolNet, testing::kResidualNet, testing::kFactorNet);
    }

    void openCvAgreesWithTheIntegerReference()
    {
        QFETCH(QString, json);
        QFETCH(int, seed);
        QFETCH(int, maxLsb);
        QFETCH(double, sameClass);
        std::mt19937 rng{std::uint32_t(seed)};
        const TrainedModel trained = testing::calibratedRandomModel(json.toStdString(), rng);
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
                                                              model.inputParams().scale, model.inputParams().zeroPoint);
        } catch (const cv::Exception &e) {
            QFAIL(e.what());
        }
        constexpr int kImages = 200;
        const std::vector<std::uint8_t> pixels = testing::randomImages(s, kImages, rng);
        const std::size_t imageSize = std::size_t(s.elements());
        psc::test::Agreement agreement;
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
            agreement.add(got, want);
        }
        qInfo("%s: %s", QTest::currentDataTag(), agreement.summary().c_str());
        QVERIFY2(agreement.within(maxLsb, sameClass), agreement.summary().c_str());
    }
};

QTEST_GUILESS_MAIN(TestOnnxExporter)
#include "tst_onnxexporter.moc"
