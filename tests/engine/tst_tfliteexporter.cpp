// SPDX-License-Identifier: GPL-3.0-or-later
// The TFLite export, checked by a real runtime: ArmNN's TfLite parser and its CpuRef backend (Debian's libarmnn22,
// ArmNN 20.08) load every exported network and run it on test images; its int8 logits are compared with the
// integer reference's. ArmNN is strict (bias scales, per-channel dimensions, shapes): that is the point.
#include "psc/core/error.h"
#include "psc/export/exporter.h"
#include "psc/quant/integerinference.h"

#include "armnnrunner.h"
#include "exportagreement.h"
#include "quantizedmodels.h"

#include <QTest>

#include <random>

using namespace psc;

namespace {} // namespace

class TestTfliteExporter : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void armnnAgreesWithTheIntegerReference_data()
    {
        psc::test::addAgreementRows(testing::kConvPoolNet, testing::kResidualNet, testing::kFactorNet);
    }

    void armnnAgreesWithTheIntegerReference()
    {
        QFETCH(QString, json);
        QFETCH(int, seed);
        QFETCH(int, maxLsb);
        QFETCH(double, sameClass);
        std::mt19937 rng{std::uint32_t(seed)};
        const TrainedModel trained = testing::calibratedRandomModel(json.toStdString(), rng);
        const IntegerModel model = IntegerModel::quantize(trained);
        const ExportOutput exported = makeExporter(ExportFormat::Tflite)->write(model, {"model", "a test"});
        QCOMPARE(exported.files.size(), std::size_t(1));
        QCOMPARE(exported.files[0].bytes.substr(4, 4), std::string("TFL3"));
        std::unique_ptr<psc::test::ArmnnModel> armnnModel;
        try {
            armnnModel = std::make_unique<psc::test::ArmnnModel>(exported.files[0].bytes);
        } catch (const std::exception &e) {
            QFAIL(e.what());
        }
        psc::test::ArmnnModel &armnn = *armnnModel;

        constexpr int kImages = 200;
        const Shape &s = trained.network.input;
        const std::vector<std::uint8_t> pixels = testing::randomImages(s, kImages, rng);
        const std::size_t imageSize = std::size_t(s.elements());
        psc::test::Agreement agreement;
        for (int n = 0; n < kImages; ++n) {
            const std::uint8_t *image = pixels.data() + std::size_t(n) * imageSize;
            std::vector<std::int8_t> nhwc(imageSize);
            for (int c = 0; c < s.channels; ++c)
                for (int y = 0; y < s.height; ++y)
                    for (int x = 0; x < s.width; ++x)
                        nhwc[std::size_t((y * s.width + x) * s.channels + c)] =
                            std::int8_t(int(image[std::size_t((c * s.height + y) * s.width + x)]) - 128);
            std::vector<std::int8_t> want = model.run(image);
            const Shape out = model.layers().back().outputShape;
            if (out.height * out.width > 1) { // the reference is channels first, TFLite channels last
                std::vector<std::int8_t> hwc(want.size());
                for (int c = 0; c < out.channels; ++c)
                    for (int p = 0; p < out.height * out.width; ++p)
                        hwc[std::size_t(p * out.channels + c)] = want[std::size_t(c * out.height * out.width + p)];
                want = hwc;
            }
            const std::vector<std::int8_t> got = armnn.run(nhwc);
            QCOMPARE(got.size(), want.size());
            agreement.add(got, want);
        }
        qInfo("%s: %s", QTest::currentDataTag(), agreement.summary().c_str());
        QVERIFY2(agreement.within(maxLsb, sameClass), agreement.summary().c_str());
    }
};

QTEST_GUILESS_MAIN(TestTfliteExporter)
#include "tst_tfliteexporter.moc"
