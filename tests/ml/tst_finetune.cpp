// SPDX-License-Identifier: GPL-3.0-or-later
// TorchTrainer::fineTune, as the compression runner uses it: a trained deployable model with a variant applied
// (4-bit weights, 50 % unstructured sparsity, a quarter of the channels removed) is fine-tuned, and the result meets
// the variant in the weights that would be deployed while staying within a few points of its parent.
#include "psc/compress/compressionconfig.h"
#include "psc/compress/compressvariant.h"
#include "psc/compress/sparsity.h"
#include "psc/core/error.h"
#include "psc/data/dataset.h"
#include "psc/jobs/jobcontext.h"
#include "psc/ml/torchtrainer.h"
#include "psc/net/networkparser.h"
#include "psc/quant/integerinference.h"
#include "psc/quant/trainedmodel.h"

#include <QTest>

#include <cmath>

using namespace psc;

namespace {

/** A small CNN with batch norms, folded away in the deployable parent. */
NetworkDescription cnn()
{
    return parseNetworkJson(R"({"name": "ft-cnn", "input": {"channels": 1, "height": 28, "width": 28}, "layers": [
        {"type": "conv2d", "name": "conv1", "out_channels": 8, "kernel": 3, "stride": 2, "padding": "same", "bias": false},
        {"type": "batch_norm", "name": "bn1"}, {"type": "relu", "name": "relu1"},
        {"type": "conv2d", "name": "conv2", "out_channels": 16, "kernel": 3, "stride": 2, "padding": "same", "bias": false},
        {"type": "batch_norm", "name": "bn2"}, {"type": "relu", "name": "relu2"},
        {"type": "flatten", "name": "flat"},
        {"type": "dense", "name": "fc1", "units": 32, "activation": "relu"},
        {"type": "dense", "name": "logits", "units": 10}]})",
                            "ft-cnn.json");
}

CompressionVariant variant(const std::string &json)
{
    return CompressionConfig::fromJson(R"({"variants": [)" + json + "]}", "variants.json").variants.front();
}

} // namespace

class TestFineTune : public QObject
{
    Q_OBJECT

    Dataset m_data;
    ml::TorchTrainer m_trainer;
    TrainingRecipe m_recipe;
    TrainedModel m_parent;
    double m_parentAccuracy = 0.0;

    double deployedAccuracy(const TrainedModel &m) const
    {
        return IntegerModel::quantize(m).accuracy(m_data.test, m_recipe.testSubset);
    }

    /** Fine-tunes the parent with `v` applied; returns the child's trained model and its deployed accuracy. */
    std::pair<TrainedModel, double> derive(const CompressionVariant &v, int epochs, int qatEpochs,
                                           TrainResult *out = nullptr)
    {
        TrainingRecipe r = m_recipe;
        r.epochs = epochs;
        r.qatEpochs = qatEpochs;
        r.learningRate = 0.001;
        r.qatLearningRate = 3e-4;
        JobContext ctx;
        const TrainResult res = m_trainer.fineTune(applyCompressionVariant(m_parent, v), r, m_data, 11, ctx);
        if (out)
            *out = res;
        TrainedModel child = deserializeTrainedModel(res.weights, "child weights");
        const double acc = deployedAccuracy(child);
        qInfo("%s: float %.2f %%, fake-quantised %.2f %%, deployed %.2f %% (parent %.2f %%)",
              child.network.name.c_str(), 100 * res.testAccuracy, 100 * res.quantizedTestAccuracy, 100 * acc,
              100 * m_parentAccuracy);
        return {std::move(child), acc};
    }

private Q_SLOTS:
    void initTestCase()
    {
        // One torch thread: the network is tiny, and spinning OpenMP workers cost far more than they gain on a
        // machine whose other cores are busy.
        ml::TorchTrainer::configureThreads(1);
        m_data = loadFashionMnist(defaultFashionMnistDir());
        m_recipe.epochs = 2;
        m_recipe.trainSubset = 8000;
        m_recipe.testSubset = 1000;
        m_recipe.learningRate = 0.003;
        JobContext ctx;
        const TrainResult parent = m_trainer.train(cnn(), m_recipe, m_data, 5, ctx);
        m_parent = deserializeTrainedModel(parent.weights, "parent weights");
        m_parentAccuracy = deployedAccuracy(m_parent);
        qInfo("parent: deployed %.2f %%", 100 * m_parentAccuracy);
        QVERIFY(m_parentAccuracy >= 0.70);
    }

    void fourBitChildWithQatOnly()
    {
        // No float epochs: QAT at 4 bits starts from the parent's weights and ranges.
        TrainResult res;
        const auto [child, acc] = derive(variant(R"({"name": "int4", "weight_bits": 4})"), 0, 1, &res);
        QCOMPARE(res.epochs, 0);
        for (const LayerSpec &l : child.network.layers)
            if (l.type == LayerType::Conv2d || l.type == LayerType::Dense)
                QCOMPARE(l.weightBits, 4);
        const IntegerModel deployed = IntegerModel::quantize(child); // layers() refers into it
        for (const LayerQuantization &l : deployed.layers())
            for (std::int8_t q : l.weights)
                QVERIFY(q >= -7 && q <= 7);
        QVERIFY2(acc >= m_parentAccuracy - 0.03, "4-bit child within 3 points of its 8-bit parent");
        QVERIFY2(std::abs(acc - res.quantizedTestAccuracy) <= 0.01, "integer within 1 point of fake quantisation");
    }

    void halfPrunedChildMeetsItsSparsity()
    {
        const auto [child, acc] =
            derive(variant(R"({"name": "prune-50", "sparsity": {"pattern": "unstructured", "fraction": 0.5}})"), 2, 0);
        for (const LayerSpec &l : child.network.layers) {
            if (l.type != LayerType::Conv2d && l.type != LayerType::Dense)
                continue;
            const FloatTensor &w = child.parameters.at(l.name).weight;
            std::int64_t zeros = 0;
            for (float x : w.values)
                zeros += x == 0.0f;
            // pruneMask() removes exactly round(fraction * count) weights.
            QCOMPARE(zeros, std::int64_t(std::llround(0.5 * double(w.values.size()))));
        }
        QVERIFY2(acc >= m_parentAccuracy - 0.04, "50 % pruned child within 4 points of its parent");
    }

    void channelPrunedChildLoadsItsSmallerShapes()
    {
        // Calibration only (no epochs at all): the loader must take the narrower conv1 and the shrunken readers.
        const auto [child, acc] = derive(
            variant(R"({"name": "ch", "sparsity": {"pattern": "channel", "fraction": 0.25}, "layers": ["conv1"]})"), 0,
            0);
        QCOMPARE(child.parameters.at("conv1").weight.shape, (std::vector<int>{6, 1, 3, 3}));
        QCOMPARE(child.parameters.at("conv2").weight.shape, (std::vector<int>{16, 6, 3, 3}));
        QVERIFY2(acc >= m_parentAccuracy - 0.10, "a quarter of the first layer's channels costs at most 10 points");
    }

    void fineTuneRefusesANetworkThatIsNotDeployable()
    {
        TrainedModel withBn = m_parent;
        withBn.network = cnn();
        JobContext ctx;
        try {
            m_trainer.fineTune(withBn, m_recipe, m_data, 1, ctx);
            QFAIL("expected an InputError");
        } catch (const InputError &e) {
            QVERIFY2(QString(e.what()).contains("layer \"bn1\": fine-tuning needs a deployable network"), e.what());
        }
    }
};

QTEST_GUILESS_MAIN(TestFineTune)
#include "tst_finetune.moc"
