// SPDX-License-Identifier: GPL-3.0-or-later
// Compression in training: batch-norm folding, post-training quantisation and QAT against the float
// network, the integer reference inference against fake quantisation, and pruning patterns on the
// weights that would be deployed.
#include "psc/compress/sparsity.h"
#include "psc/data/dataset.h"
#include "psc/jobs/jobcontext.h"
#include "psc/ml/torchtrainer.h"
#include "psc/net/networkparser.h"
#include "psc/quant/integerinference.h"
#include "psc/quant/trainedmodel.h"

#include <QTest>

#include <cmath>
#include <thread>

using namespace psc;

namespace {

/** A small CNN with batch norms (folded at deployment), as the demo's candidates have. */
NetworkDescription cnn(int weightBits, const std::string &fcSparsity = {}, const std::string &convSparsity = {})
{
    const std::string fc = fcSparsity.empty() ? "" : R"(, "sparsity": )" + fcSparsity;
    const std::string conv = convSparsity.empty() ? "" : R"(, "sparsity": )" + convSparsity;
    const std::string bits = R"(, "weight_bits": )" + std::to_string(weightBits);
    return parseNetworkJson(R"({"name": "bn-cnn", "input": {"channels": 1, "height": 28, "width": 28}, "layers": [
        {"type": "conv2d", "name": "conv1", "out_channels": 16, "kernel": 3, "stride": 2, "padding": "same", "bias": false)" +
                                bits + R"(},
        {"type": "batch_norm", "name": "bn1"},
        {"type": "relu", "name": "relu1"},
        {"type": "conv2d", "name": "conv2", "out_channels": 32, "kernel": 3, "stride": 2, "padding": "same", "bias": false)" +
                                bits + conv + R"(},
        {"type": "batch_norm", "name": "bn2"},
        {"type": "relu", "name": "relu2"},
        {"type": "flatten", "name": "flat"},
        {"type": "dense", "name": "fc1", "units": 64, "activation": "relu")" +
                                bits + fc + R"(},
        {"type": "dense", "name": "logits", "units": 10)" +
                                bits + R"(}]})",
                            "bn-cnn.json");
}

} // namespace

class TestCompression : public QObject
{
    Q_OBJECT

    Dataset m_data;
    ml::TorchTrainer m_trainer;

    struct Outcome
    {
        TrainResult result;
        TrainedModel model;
        double integerAccuracy = 0.0;
    };

    Outcome train(const NetworkDescription &net, int qatEpochs)
    {
        TrainingRecipe r;
        r.epochs = 2;
        r.trainSubset = 12000;
        r.testSubset = 2000;
        r.learningRate = 0.003;
        r.qatEpochs = qatEpochs;
        r.qatLearningRate = 3e-4;
        JobContext ctx;
        Outcome o;
        o.result = m_trainer.train(net, r, m_data, 7, ctx);
        [&] { QCOMPARE(o.result.weightsFormat, std::string(kTrainedModelFormat)); }();
        o.model = deserializeTrainedModel(o.result.weights, "trained weights");
        o.integerAccuracy = IntegerModel::quantize(o.model).accuracy(m_data.test, r.testSubset);
        qInfo("%s: float %.2f %%, fake-quantised %.2f %%, integer %.2f %%", net.name.c_str(),
              100 * o.result.testAccuracy, 100 * o.result.quantizedTestAccuracy, 100 * o.integerAccuracy);
        return o;
    }

private Q_SLOTS:
    void initTestCase()
    {
        ml::TorchTrainer::configureThreads(1); // small networks: one thread, so other tests can run beside this one
        m_data = loadFashionMnist(defaultFashionMnistDir());
    }

    void int8PostTrainingQuantisationKeepsAccuracy()
    {
        const Outcome o = train(cnn(8), 0);
        // The deployable model has no batch norms and fused relus.
        QCOMPARE(int(o.model.network.layers.size()), 5);
        QVERIFY(o.model.parameters.count("conv1") && !o.model.parameters.at("conv1").bias.values.empty());
        QVERIFY2(std::abs(o.result.quantizedTestAccuracy - o.result.testAccuracy) <= 0.01,
                 "int8 within 1 point of float");
        QVERIFY2(std::abs(o.integerAccuracy - o.result.quantizedTestAccuracy) <= 0.005,
                 "integer within 0.5 points of fake quantisation");
        QVERIFY(o.result.testAccuracy >= 0.80);
    }

    void fourBitQatWithinThreePoints()
    {
        const Outcome o = train(cnn(4), 1);
        QVERIFY2(o.result.quantizedTestAccuracy >= o.result.testAccuracy - 0.03, "4-bit within 3 points of float");
        QVERIFY2(std::abs(o.integerAccuracy - o.result.quantizedTestAccuracy) <= 0.005,
                 "integer within 0.5 points of fake quantisation");
        // Every deployed weight sits on the 4-bit grid of its channel: at most 15 distinct values.
        const IntegerModel m = IntegerModel::quantize(o.model);
        for (const LayerQuantization &l : m.layers())
            for (std::int8_t q : l.weights)
                QVERIFY(q >= -7 && q <= 7);
    }

    void pruningMeetsThePatternsInTheDeployedWeights()
    {
        const Outcome o = train(cnn(8, R"({"pattern": "unstructured", "fraction": 0.75})",
                                    R"({"pattern": "dbb", "block_size": 8, "max_nonzeros": 2})"),
                                0);
        const FloatTensor &fc = o.model.parameters.at("fc1").weight;
        std::int64_t zeros = 0;
        for (float w : fc.values)
            zeros += w == 0.0f;
        QCOMPARE(zeros, std::int64_t(std::llround(0.75 * double(fc.values.size()))));
        const FloatTensor &conv = o.model.parameters.at("conv2").weight;
        std::string why;
        const SparsitySpec dbb{SparsityPattern::Dbb, 0.75, 8, 2};
        QVERIFY2(satisfiesSparsity(conv.values.data(),
                                   WeightShape{conv.shape[0], conv.shape[1], conv.shape[2], conv.shape[3]}, dbb, &why),
                 why.c_str());
        QVERIFY(o.result.testAccuracy >= 0.75);
        QVERIFY2(std::abs(o.integerAccuracy - o.result.quantizedTestAccuracy) <= 0.005,
                 "integer within 0.5 points of fake quantisation");
    }
};

QTEST_GUILESS_MAIN(TestCompression)
#include "tst_compression.moc"
