// SPDX-License-Identifier: GPL-3.0-or-later
// low_rank and kronecker layers in the LibTorch trainer: training from scratch (flat and per-pixel), parameter
// counts against the analysis, batch-norm folding into U, export of both factors and the intermediate range, the
// integer reference inference against the fake-quantised network, exact reproduction of a dense / 1x1 conv2d by a
// full-rank factorisation, and the compress path (factorizeLayer(), then Trainer::fineTune).
#include "psc/compress/compressionconfig.h"
#include "psc/compress/compressvariant.h"
#include "psc/compress/factorization.h"
#include "psc/core/error.h"
#include "psc/data/dataset.h"
#include "psc/jobs/jobcontext.h"
#include "psc/ml/torchtrainer.h"
#include "psc/net/analysis.h"
#include "psc/net/networkparser.h"
#include "psc/quant/integerinference.h"
#include "psc/quant/trainedmodel.h"

#include <QTest>

#include <algorithm>
#include <cmath>
#include <tuple>

using namespace psc;

namespace {

/**
 * A per-pixel low_rank (no bias, then a batch norm that lowering folds into U and a new bias, then a relu it fuses)
 * and a flat low_rank hidden layer.
 */
NetworkDescription lowRankNet()
{
    return parseNetworkJson(R"({"name": "lr-net", "input": {"channels": 1, "height": 28, "width": 28}, "layers": [
        {"type": "conv2d", "name": "conv1", "out_channels": 8, "kernel": 3, "stride": 2, "padding": "same", "activation": "relu"},
        {"type": "low_rank", "name": "pw", "out_channels": 16, "rank": 4, "bias": false},
        {"type": "batch_norm", "name": "bn"}, {"type": "relu", "name": "relu"},
        {"type": "avg_pool2d", "name": "pool", "kernel": 2},
        {"type": "flatten", "name": "flat"},
        {"type": "low_rank", "name": "fc1", "out_channels": 64, "rank": 16, "activation": "relu"},
        {"type": "dense", "name": "logits", "units": 10}]})",
                            "lr-net.json");
}

/**
 * A per-pixel kronecker (8 -> 16 channels) and a flat one (784 -> 64 = (4 x 4) kron (16 x 196): A mixes groups of
 * four channels, B the 196 features of each group). 1,712 weights instead of 50,176 cost accuracy: about 70 % after
 * two epochs where a dense fc1 reaches 77 %.
 */
NetworkDescription kroneckerNet()
{
    return parseNetworkJson(R"({"name": "kron-net", "input": {"channels": 1, "height": 28, "width": 28}, "layers": [
        {"type": "conv2d", "name": "conv1", "out_channels": 8, "kernel": 3, "stride": 2, "padding": "same", "activation": "relu"},
        {"type": "kronecker", "name": "pw", "out_channels": 16, "factors": [[4, 2], [4, 4]], "activation": "relu"},
        {"type": "max_pool2d", "name": "pool", "kernel": 2},
        {"type": "flatten", "name": "flat"},
        {"type": "kronecker", "name": "fc1", "out_channels": 64, "factors": [[4, 4], [16, 196]], "activation": "relu"},
        {"type": "dense", "name": "logits", "units": 10}]})",
                            "kron-net.json");
}

/** The parent of the compress path: a 1x1 conv2d and a hidden dense layer, both factorisable. */
NetworkDescription parentNet()
{
    return parseNetworkJson(R"({"name": "parent", "input": {"channels": 1, "height": 28, "width": 28}, "layers": [
        {"type": "conv2d", "name": "conv1", "out_channels": 8, "kernel": 3, "stride": 2, "padding": "same", "activation": "relu"},
        {"type": "conv2d", "name": "pw", "out_channels": 16, "kernel": 1, "activation": "relu"},
        {"type": "max_pool2d", "name": "pool", "kernel": 2},
        {"type": "flatten", "name": "flat"},
        {"type": "dense", "name": "fc1", "units": 32, "activation": "relu"},
        {"type": "dense", "name": "logits", "units": 10}]})",
                            "parent.json");
}

CompressionVariant variant(const std::string &json)
{
    return CompressionConfig::fromJson(R"({"variants": [)" + json + "]}", "variants.json").variants.front();
}

int argmax(const float *v, int n)
{
    return int(std::max_element(v, v + n) - v);
}

} // namespace

class TestFactorized : public QObject
{
    Q_OBJECT

    Dataset m_data;
    ml::TorchTrainer m_trainer;
    TrainingRecipe m_recipe;
    TrainedModel m_parent;
    double m_parentAccuracy = 0.0;

    /**
     * Checks a trained model with factorised layers against the integer reference inference: the factors and
     * ":mid" ranges are exported, and integer and fake-quantised network classify the test images alike.
     * Sets `deployedAccuracy`.
     */
    void checkDeployment(const TrainedModel &m, double fakeQuantizedAccuracy, double &deployedAccuracy)
    {
        for (const LayerSpec &l : m.network.layers) {
            if (!isFactorized(l.type))
                continue;
            const LayerParameters &p = m.parameters.at(l.name);
            const bool kron = l.type == LayerType::Kronecker;
            const int in = kron ? l.kronA.in * l.kronB.in : int(p.factor.shape.at(1));
            QCOMPARE(p.weight.shape,
                     kron ? (std::vector<int>{l.kronA.out, l.kronA.in}) : (std::vector<int>{l.outChannels, l.rank}));
            QCOMPARE(p.factor.shape,
                     kron ? (std::vector<int>{l.kronB.out, l.kronB.in}) : (std::vector<int>{l.rank, in}));
            QVERIFY2(m.ranges.count(l.name + ":mid"), (l.name + ":mid").c_str());
            const TensorRange mid = m.ranges.at(l.name + ":mid");
            QVERIFY(mid.max > mid.min);
        }
        const IntegerModel deployed = IntegerModel::quantize(m);
        const double acc = deployedAccuracy = deployed.accuracy(m_data.test, m_recipe.testSubset);
        // Per image: the integer logits against the fake-quantised ones on the output grid, and their classes.
        const int count = m_recipe.testSubset;
        const std::vector<float> logits = ml::modelLogits(m, m_data.test, count, true);
        const int classes = int(logits.size()) / count;
        const QuantParams &out = deployed.outputParams();
        int agree = 0, within1 = 0, within2 = 0;
        for (int i = 0; i < count; ++i) {
            const float *fake = logits.data() + std::size_t(i) * std::size_t(classes);
            const std::vector<std::int8_t> q =
                deployed.run(m_data.test.pixels.data() + std::size_t(i) * m_data.test.imageSize());
            agree += int(std::max_element(q.begin(), q.end()) - q.begin()) == argmax(fake, classes);
            for (int c = 0; c < classes; ++c) {
                const double lsb =
                    std::abs(std::nearbyint(double(fake[c]) / out.scale) + out.zeroPoint - q[std::size_t(c)]);
                within1 += lsb <= 1.0;
                within2 += lsb <= 2.0;
            }
        }
        const double values = double(count) * classes;
        qInfo("%s: fake-quantised %.2f %%, deployed %.2f %%; logits within 1 LSB %.2f %%, within 2 LSB %.2f %%, same "
              "class on %d of %d images",
              m.network.name.c_str(), 100 * fakeQuantizedAccuracy, 100 * acc, 100 * within1 / values,
              100 * within2 / values, agree, count);
        // Layer by layer the integer results stay within 1 LSB of the fake quantisation (docs/quantization.md); over
        // four layers a few of these differences add up. Measured: 98-99 % of the logits within 1 LSB, all but one in
        // a few thousand within 2.
        QVERIFY2(within1 >= 0.97 * values, "97 % of the logits within 1 LSB");
        QVERIFY2(within2 >= 0.999 * values, "99.9 % of the logits within 2 LSB");
        // A 1-LSB difference changes the class only of an image whose two best logits (near) tie: measured 0.2-1.7 %
        // of these low-confidence networks' images, whose flips go both ways. Accuracies then differ by at most the
        // share of flipped images and in practice by far less (measured <= 0.2 points): 1 point (10 images) of
        // tolerance.
        QVERIFY2(agree >= count * 96 / 100, "integer and fake-quantised network agree on 96 % of the images");
        QVERIFY2(std::abs(acc - fakeQuantizedAccuracy) <= 0.01, "deployed within 1 point of fake-quantised");
    }

    /** Trains `network` with QAT (the intermediate's range a moving average) or calibration (min/max). */
    void trainFromScratch(const NetworkDescription &network, double minimumAccuracy, int qatEpochs, TrainedModel &m)
    {
        QCOMPARE(ml::torchParameterCount(network), analyzeNetwork(network).totalParams);
        TrainingRecipe r = m_recipe;
        r.qatEpochs = qatEpochs;
        JobContext ctx;
        const TrainResult res = m_trainer.train(network, r, m_data, 3, ctx);
        m = deserializeTrainedModel(res.weights, "weights");
        qInfo("%s: float %.2f %%", network.name.c_str(), 100 * res.testAccuracy);
        QVERIFY2(res.testAccuracy >= minimumAccuracy, "well above chance (10 %)");
        QVERIFY2(res.quantizedTestAccuracy >= minimumAccuracy, "well above chance (10 %)");
        QCOMPARE(ml::torchParameterCount(m.network), analyzeNetwork(m.network).totalParams);
        // Without QAT the deployable network is the float one with folded batch norms, quantised: a wrong fold
        // into U (lr-net) would cost far more than quantisation does.
        if (qatEpochs == 0)
            QVERIFY2(std::abs(res.quantizedTestAccuracy - res.testAccuracy) <= 0.02,
                     "calibrated network within 2 points of the float one");
        double deployed = 0.0;
        checkDeployment(m, res.quantizedTestAccuracy, deployed);
    }

    /** The parent's float logits on the test subset, and those with `layer` factorised by `f`. */
    double largestLogitDifference(const TrainedModel &parent, const std::string &layer, const Factorization &f)
    {
        const TrainedModel child = factorizeLayer(parent, layer, f);
        const std::vector<float> a = ml::modelLogits(parent, m_data.test, 200);
        const std::vector<float> b = ml::modelLogits(child, m_data.test, 200);
        if (a.size() != b.size() || a.empty())
            return INFINITY;
        double worst = 0.0, largest = 0.0;
        for (std::size_t i = 0; i < a.size(); ++i) {
            worst = std::max(worst, double(std::abs(a[i] - b[i])));
            largest = std::max(largest, double(std::abs(a[i])));
        }
        qInfo("%s factorised: largest logit difference %.3g (largest logit %.3g)", layer.c_str(), worst, largest);
        return worst;
    }

    /**
     * Fine-tunes the parent with `v` applied, as `paretoscope compress` does; checks that the child learns (from
     * its calibrated starting point to at least `minimumAccuracy`) and deploys, and sets `child`.
     */
    void derive(const CompressionVariant &v, double minimumAccuracy, TrainedModel &child)
    {
        TrainingRecipe r = m_recipe;
        r.epochs = 2;
        r.qatEpochs = 1;
        r.qatLearningRate = 3e-4;
        JobContext ctx;
        const TrainedModel start = applyCompressionVariant(m_parent, v);
        for (const std::string layer : {"pw", "fc1"})
            QVERIFY2(!start.ranges.count(layer + ":mid"), "factorizeLayer() leaves the intermediate range unset");
        TrainingRecipe calibrateOnly = r;
        calibrateOnly.epochs = calibrateOnly.qatEpochs = 0;
        const double before = m_trainer.fineTune(start, calibrateOnly, m_data, 11, ctx).quantizedTestAccuracy;
        const TrainResult res = m_trainer.fineTune(start, r, m_data, 11, ctx);
        child = deserializeTrainedModel(res.weights, "child weights");
        qInfo("%s: fake-quantised %.2f %% before fine-tuning, float %.2f %% after (parent deployed %.2f %%)",
              v.name.c_str(), 100 * before, 100 * res.testAccuracy, 100 * m_parentAccuracy);
        for (const std::string layer : {"pw", "fc1"}) {
            const auto l = std::find_if(child.network.layers.begin(), child.network.layers.end(),
                                        [&](const LayerSpec &s) { return s.name == layer; });
            QVERIFY(l != child.network.layers.end() && isFactorized(l->type));
            QVERIFY(!child.parameters.at(layer).factor.values.empty());
        }
        QCOMPARE(ml::torchParameterCount(child.network), analyzeNetwork(child.network).totalParams);
        double acc = 0.0;
        checkDeployment(child, res.quantizedTestAccuracy, acc);
        QVERIFY2(acc >= minimumAccuracy, "the fine-tuned child is well above chance");
        QVERIFY2(acc >= before + 0.05, "fine-tuning improves on the factorised start");
    }

private Q_SLOTS:
    void initTestCase()
    {
        ml::TorchTrainer::configureThreads(1); // tiny networks: one torch thread (see tst_finetune)
        m_data = loadFashionMnist(defaultFashionMnistDir());
        m_recipe.epochs = 2;
        m_recipe.trainSubset = 6000;
        m_recipe.testSubset = 1000;
        m_recipe.learningRate = 0.003;
        JobContext ctx;
        const TrainResult parent = m_trainer.train(parentNet(), m_recipe, m_data, 5, ctx);
        m_parent = deserializeTrainedModel(parent.weights, "parent weights");
        m_parentAccuracy = IntegerModel::quantize(m_parent).accuracy(m_data.test, m_recipe.testSubset);
        qInfo("parent: deployed %.2f %%", 100 * m_parentAccuracy);
        QVERIFY(m_parentAccuracy >= 0.70);
    }

    void lowRankNetworkTrains()
    {
        TrainedModel m;
        trainFromScratch(lowRankNet(), 0.70, 0, m);
        if (QTest::currentTestFailed())
            return;
        // The batch norm folded into pw, giving it a bias and its relu; the intermediate stays [4] per pixel.
        QVERIFY(m.network.layers.at(1).name == "pw" && m.network.layers.at(1).activation == Activation::Relu);
        QCOMPARE(m.parameters.at("pw").bias.shape, std::vector<int>{16});
        QCOMPARE(m.parameters.at("pw").factor.shape, (std::vector<int>{4, 8}));
    }

    void kroneckerNetworkTrains()
    {
        TrainedModel m;
        trainFromScratch(kroneckerNet(), 0.60, 1, m);
    }

    void fullRankLowRankReproducesTheDenseLayer()
    {
        // rank = min(in, out): U V = W up to the SVD's rounding, so the float network computes the same logits.
        QVERIFY(largestLogitDifference(m_parent, "fc1", {Factorization::Kind::LowRank, 32, 0, 0}) <= 1e-4);
        // Per pixel: the 1x1 conv2d 8 -> 16.
        QVERIFY(largestLogitDifference(m_parent, "pw", {Factorization::Kind::LowRank, 8, 0, 0}) <= 1e-4);
    }

    void kroneckerComputesTheDenseLayerOfTheKroneckerProduct()
    {
        // The parent with `layer` replaced by its nearest Kronecker product A kron B, once as a kronecker layer and
        // once as the original dense / 1x1 conv2d holding W[p*o2 + q][s*i2 + t] = A[p][s] B[q][t] (network.md).
        for (const auto &[layer, aOut, aIn] : {std::tuple{"fc1", 4, 28}, std::tuple{"pw", 4, 2}}) {
            const TrainedModel kron = factorizeLayer(m_parent, layer, {Factorization::Kind::Kronecker, 0, aOut, aIn});
            const FloatTensor &a = kron.parameters.at(layer).weight, &b = kron.parameters.at(layer).factor;
            const int o2 = b.shape.at(0), i2 = b.shape.at(1), in = aIn * i2;
            TrainedModel dense = m_parent;
            FloatTensor &w = dense.parameters.at(layer).weight;
            QCOMPARE(int(w.values.size()), aOut * o2 * in);
            for (int p = 0; p < aOut; ++p)
                for (int q = 0; q < o2; ++q)
                    for (int s = 0; s < aIn; ++s)
                        for (int t = 0; t < i2; ++t)
                            w.values[std::size_t((p * o2 + q) * in + s * i2 + t)] =
                                a.values[std::size_t(p * aIn + s)] * b.values[std::size_t(q * i2 + t)];
            const std::vector<float> x = ml::modelLogits(kron, m_data.test, 200);
            const std::vector<float> y = ml::modelLogits(dense, m_data.test, 200);
            QCOMPARE(x.size(), y.size());
            double worst = 0.0;
            for (std::size_t i = 0; i < x.size(); ++i)
                worst = std::max(worst, double(std::abs(x[i] - y[i])));
            qInfo("%s as kronecker and as the dense A kron B: largest logit difference %.3g", layer, worst);
            QVERIFY(worst <= 1e-4);
        }
    }

    void kroneckerWithOneFactorOfOnesReproducesTheLayer()
    {
        // A [1, 1] kron B = B: the nearest Kronecker product is W itself.
        QVERIFY(largestLogitDifference(m_parent, "fc1", {Factorization::Kind::Kronecker, 0, 1, 1}) <= 1e-4);
        QVERIFY(largestLogitDifference(m_parent, "pw", {Factorization::Kind::Kronecker, 0, 1, 1}) <= 1e-4);
    }

    void lowRankQuarterChildFineTunes()
    {
        TrainedModel child;
        derive(variant(R"({"name": "lr-25", "factorization": {"low_rank": 0.25}})"), 0.70, child);
        if (QTest::currentTestFailed())
            return;
        // A quarter of min(in, out): pw min(8, 16) = 8 -> rank 2, fc1 min(784, 32) = 32 -> rank 8.
        QCOMPARE(child.parameters.at("pw").factor.shape, (std::vector<int>{2, 8}));
        QCOMPARE(child.parameters.at("fc1").weight.shape, (std::vector<int>{32, 8}));
    }

    void kroneckerChildFineTunes()
    {
        TrainedModel child;
        // The nearest Kronecker product of a trained layer keeps little of it (the start is near chance): the
        // child has to re-learn, and reaches about 55 % in two epochs.
        derive(variant(R"({"name": "kron", "factorization": "kronecker"})"), 0.45, child);
        if (QTest::currentTestFailed())
            return;
        // The factoriser's balanced shapes: pw 16 x 8 = (4 x 2) kron (4 x 4), fc1 32 x 784 = (4 x 28) kron (8 x 28).
        QCOMPARE(child.parameters.at("pw").weight.shape, (std::vector<int>{4, 2}));
        QCOMPARE(child.parameters.at("fc1").factor.shape, (std::vector<int>{8, 28}));
    }

    void missingFactorIsAnInputError()
    {
        TrainedModel m = factorizeLayer(m_parent, "fc1", {Factorization::Kind::LowRank, 4, 0, 0});
        m.parameters.at("fc1").factor = FloatTensor{};
        JobContext ctx;
        try {
            m_trainer.fineTune(m, m_recipe, m_data, 1, ctx);
            QFAIL("expected an InputError");
        } catch (const InputError &e) {
            QVERIFY2(QString(e.what()).contains("layer \"fc1\": no trained factor"), e.what());
        }
    }

    void impossibleFactorShapesAreAnInputError()
    {
        // Not through the parser, which refuses it first: the trainer itself names the layer.
        NetworkDescription n = kroneckerNet();
        n.layers[1].kronB = FactorShape{4, 3};
        try {
            ml::torchParameterCount(n);
            QFAIL("expected an InputError");
        } catch (const InputError &e) {
            QVERIFY2(QString(e.what()).contains("layer \"pw\" (kronecker): factors [[4, 2], [4, 3]] do not multiply"),
                     e.what());
        }
        n = lowRankNet();
        n.layers[1].rank = 9;
        try {
            ml::torchParameterCount(n);
            QFAIL("expected an InputError");
        } catch (const InputError &e) {
            QVERIFY2(QString(e.what()).contains("layer \"pw\" (low_rank): rank 9 outside 1..8"), e.what());
        }
    }
};

QTEST_GUILESS_MAIN(TestFactorized)
#include "tst_factorized.moc"
