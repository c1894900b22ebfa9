// SPDX-License-Identifier: GPL-3.0-or-later
#include "psc/core/error.h"
#include "psc/data/dataset.h"
#include "psc/jobs/jobcontext.h"
#include "psc/ml/torchtrainer.h"
#include "psc/net/analysis.h"
#include "psc/net/networkparser.h"
#include "psc/quant/trainedmodel.h"

#include <QTest>

#include <atomic>
#include <chrono>
#include <thread>

using namespace psc;

class TestTorchTrainer : public QObject
{
    Q_OBJECT

private:
    Dataset m_data;
    ml::TorchTrainer m_trainer;

    NetworkDescription network(const char *file)
    {
        return parseNetwork(std::string(PSC_SOURCE_DIR) + "/resources/networks/" + file);
    }

private Q_SLOTS:
    void initTestCase()
    {
        ml::TorchTrainer::configureThreads(1); // small networks: one thread, so other tests can run beside this one
        m_data = loadFashionMnist(defaultFashionMnistDir());
        QCOMPARE(m_data.train.count, 60000);
        QCOMPARE(m_data.test.count, 10000);
    }

    // A short run on a subset must learn: the stated bar is 80% test accuracy on 2,000 test images after
    // two epochs over 12,000 training images (a linear model reaches ~75%, chance is 10%).
    void shortRunReachesStatedAccuracy()
    {
        TrainingRecipe r;
        r.epochs = 2;
        r.trainSubset = 12000;
        r.testSubset = 2000;
        JobContext ctx;
        const TrainResult res = m_trainer.train(network("fashion-mnist-cnn.json"), r, m_data, 1, ctx);
        qInfo("validation %.4f, test %.4f, %.0f samples/s", res.validationAccuracy, res.testAccuracy,
              res.samplesPerSecond);
        QVERIFY2(res.testAccuracy >= 0.80, qPrintable(QString::number(res.testAccuracy)));
        QVERIFY(res.validationAccuracy >= 0.78);
        QVERIFY(res.finalTrainLoss > 0.0 && res.finalTrainLoss < 0.8);
        QCOMPARE(res.epochs, 2);
        QVERIFY(!res.weights.empty());
    }

    void sameSeedGivesIdenticalResults()
    {
        TrainingRecipe r;
        r.epochs = 1;
        r.trainSubset = 3000;
        r.testSubset = 500;
        JobContext ctx;
        // Every layer type the trainer implements, on the task's 1x28x28 input.
        const auto net = parseNetworkJson(R"({"name": "all-ops", "input": {"channels": 1, "height": 28, "width": 28},
            "layers": [
              {"type": "conv2d", "name": "stem", "out_channels": 8, "kernel": 3, "stride": 2, "padding": "same"},
              {"type": "batch_norm"}, {"type": "relu6", "name": "a"},
              {"type": "depthwise_conv2d", "kernel": 3, "padding": "same"},
              {"type": "batch_norm"}, {"type": "relu"},
              {"type": "conv2d", "out_channels": 8, "kernel": 1, "activation": "relu"},
              {"type": "add", "name": "sum", "inputs": ["a", "conv2d_6"]},
              {"type": "avg_pool2d", "kernel": 3, "stride": 2, "padding": "same"},
              {"type": "max_pool2d", "kernel": 2, "stride": 1, "padding": "same"},
              {"type": "global_avg_pool"}, {"type": "flatten"},
              {"type": "dense", "units": 16, "activation": "relu"}, {"type": "batch_norm"},
              {"type": "dense", "units": 10, "activation": "softmax"}]})",
                                          "all-ops");
        const TrainResult a = m_trainer.train(net, r, m_data, 42, ctx);
        const TrainResult b = m_trainer.train(net, r, m_data, 42, ctx);
        const TrainResult c = m_trainer.train(net, r, m_data, 43, ctx);
        QCOMPARE(a.validationAccuracy, b.validationAccuracy);
        QCOMPARE(a.finalTrainLoss, b.finalTrainLoss);
        QVERIFY(a.weights == b.weights);
        QVERIFY(a.finalTrainLoss != c.finalTrainLoss);
    }

    void parameterCountMatchesAnalysis_data()
    {
        QTest::addColumn<QString>("file");
        for (const char *f : {"fashion-mnist-cnn.json", "ds-cnn.json", "mobilenet-v1-025-96.json", "resnet8.json"})
            QTest::newRow(f) << f;
    }
    void parameterCountMatchesAnalysis()
    {
        QFETCH(QString, file);
        const auto net = network(file.toUtf8().constData());
        QCOMPARE(ml::torchParameterCount(net), analyzeNetwork(net).totalParams);
    }

    void inputShapeMismatchIsBadInput()
    {
        JobContext ctx;
        try {
            m_trainer.train(network("resnet8.json"), TrainingRecipe{}, m_data, 1, ctx);
            QFAIL("expected an InputError");
        } catch (const InputError &e) {
            QVERIFY2(QString(e.what()).contains("3x32x32") && QString(e.what()).contains("1x28x28"), e.what());
        }
    }

    // Noise-aware training (Noisy Machines): the noise-free network teaches noisy fine-tuning epochs. The Monte-Carlo
    // evaluation without noise is the fake-quantised accuracy, noise costs accuracy, and a seed repeats the draws.
    void noiseAwareTrainingAndNoisyEvaluation()
    {
        TrainingRecipe r;
        r.epochs = 1;
        r.trainSubset = 6000;
        r.testSubset = 1000;
        r.weightNoise = 0.05;
        r.noiseEpochs = 1;
        r.distillWeight = 0.9;
        JobContext ctx;
        const TrainResult res = m_trainer.train(network("fashion-mnist-cnn.json"), r, m_data, 1, ctx);
        QVERIFY2(res.quantizedTestAccuracy > 0.6, qPrintable(QString::number(res.quantizedTestAccuracy)));
        const TrainedModel model = deserializeTrainedModel(res.weights, "noise-aware");

        ml::NoisyEvaluation how;
        how.images = 1000;
        how.draws = 3;
        const ml::NoisyAccuracy clean = ml::noisyAccuracy(model, m_data.test, how);
        QCOMPARE(clean.std, 0.0);
        QVERIFY2(std::abs(clean.mean - res.quantizedTestAccuracy) <= 0.005,
                 qPrintable(QString("%1 vs %2").arg(clean.mean).arg(res.quantizedTestAccuracy)));
        how.eta = 0.3; // far beyond what the network was trained for
        const ml::NoisyAccuracy noisy = ml::noisyAccuracy(model, m_data.test, how);
        qInfo("eta 0: %.4f, eta 0.3: %.4f +- %.4f", clean.mean, noisy.mean, noisy.std);
        QVERIFY(noisy.mean < clean.mean - 0.05);
        QVERIFY(noisy.std > 0.0);
        QCOMPARE(ml::noisyAccuracy(model, m_data.test, how).draws, noisy.draws);
        how.eta = -0.1;
        QVERIFY_THROWS_EXCEPTION(InputError, ml::noisyAccuracy(model, m_data.test, how));

        r.noiseEpochs = 0; // distillation from scratch has no teacher
        QVERIFY_THROWS_EXCEPTION(InputError, m_trainer.train(network("fashion-mnist-cnn.json"), r, m_data, 1, ctx));
    }

    void divergenceIsReportedAsFailure()
    {
        TrainingRecipe r;
        r.epochs = 1;
        r.trainSubset = 2000;
        r.optimizer = OptimizerKind::Sgd;
        r.learningRate = 1e12;
        r.schedule = LrSchedule::Constant;
        JobContext ctx;
        try {
            m_trainer.train(network("fashion-mnist-cnn.json"), r, m_data, 1, ctx);
            QFAIL("expected divergence");
        } catch (const RuntimeError &e) {
            QVERIFY2(QString(e.what()).contains("diverged"), e.what());
        }
        // The same with weight noise in every forward pass: a NaN in noisy training is a failure with its reason
        // (the study records the trial failed and goes on), not a crash or a silently NaN model.
        r.weightNoise = 0.1;
        try {
            m_trainer.train(network("fashion-mnist-cnn.json"), r, m_data, 1, ctx);
            QFAIL("expected divergence with weight noise");
        } catch (const RuntimeError &e) {
            QVERIFY2(QString(e.what()).contains("diverged: loss is"), e.what());
        }
    }

    void cancellationIsHonouredWithinOneSecond()
    {
        TrainingRecipe r;
        r.epochs = 50;
        std::atomic<bool> started{false};
        JobContext ctx([&started](double, const std::string &) { started = true; });
        std::chrono::steady_clock::time_point cancelledAt;
        std::thread canceller([&] {
            while (!started)
                std::this_thread::yield();
            cancelledAt = std::chrono::steady_clock::now();
            ctx.cancel();
        });
        bool threw = false;
        try {
            m_trainer.train(network("fashion-mnist-cnn.json"), r, m_data, 1, ctx);
        } catch (const JobCancelled &) {
            threw = true;
        }
        const auto latency = std::chrono::steady_clock::now() - cancelledAt;
        canceller.join();
        QVERIFY(threw);
        QVERIFY2(latency < std::chrono::seconds(1),
                 qPrintable(QString::number(std::chrono::duration<double>(latency).count())));
    }
};

QTEST_APPLESS_MAIN(TestTorchTrainer)
#include "tst_torchtrainer.moc"
