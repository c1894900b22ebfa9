// SPDX-License-Identifier: GPL-3.0-or-later
// pruneChannels(): channels are removed physically, downstream layers shrink with them, and a network whose
// pruned channels were already dead computes what it computed before.
#include "psc/compress/channelpruning.h"
#include "psc/compress/sparsity.h"
#include "psc/core/error.h"
#include "psc/net/analysis.h"
#include "psc/net/networkparser.h"
#include "psc/net/shapeinference.h"
#include "psc/quant/integerinference.h"

#include "fakequantreference.h"
#include "quantizedmodels.h"
#include "testmodels.h"

#include "testsupport.h"

#include <QTest>

#include <functional>
#include <random>

using namespace psc;
using psc::test::errorOf;

namespace {

// testing::kConvPoolNet: conv1 (6 ch) -> depthwise x2 (12 ch) -> pools -> flatten (12 x 3 x 3) -> fc1 -> fc2: pruning
// conv1 must shrink the depthwise by two channels per removed channel and fc1 by nine inputs per depthwise channel.
const char *const kChainNet = testing::kConvPoolNet;

// c1, c3 and c2b meet in adds: one residual group of 8 channels.
const char *kResidualNet = R"({"name": "residual", "input": {"channels": 2, "height": 9, "width": 9}, "layers": [
    {"type": "conv2d", "name": "c1", "out_channels": 8, "kernel": 3, "activation": "relu"},
    {"type": "conv2d", "name": "c2", "inputs": ["input"], "out_channels": 8, "kernel": 3},
    {"type": "conv2d", "name": "c2b", "out_channels": 8, "kernel": 3, "padding": 1},
    {"type": "relu6", "name": "r2"},
    {"type": "conv2d", "name": "c3", "inputs": ["c1"], "out_channels": 8, "kernel": [1, 3], "padding": "same"},
    {"type": "add", "name": "add1", "inputs": ["c1", "c3"], "activation": "relu"},
    {"type": "add", "name": "add2", "inputs": ["add1", "c1", "r2"]},
    {"type": "global_avg_pool", "name": "gap"},
    {"type": "dense", "name": "fc", "units": 5, "bias": false}]})";

// A residual connection straight from the network input: its group cannot shrink.
const char *kInputResidualNet = R"({"name": "inres", "input": {"channels": 4, "height": 5, "width": 5}, "layers": [
    {"type": "conv2d", "name": "c1", "out_channels": 4, "kernel": 3, "padding": "same", "activation": "relu"},
    {"type": "add", "name": "add", "inputs": ["input", "c1"]},
    {"type": "conv2d", "name": "c2", "out_channels": 6, "kernel": 1, "activation": "relu"},
    {"type": "global_avg_pool", "name": "gap"},
    {"type": "dense", "name": "fc", "units": 3}]})";

using testing::randomModel;

std::vector<std::uint8_t> randomImages(const Shape &shape, int count, std::mt19937 &rng)
{
    std::uniform_int_distribution<int> pixel(0, 255);
    std::vector<std::uint8_t> pixels(std::size_t(shape.elements() * count));
    for (auto &p : pixels)
        p = std::uint8_t(pixel(rng));
    return pixels;
}

void calibrate(TrainedModel &m, const std::vector<std::uint8_t> &images, int count)
{
    testing::FakeQuantReference ref(m, false);
    for (int n = 0; n < count; ++n)
        ref.run(images.data() + std::size_t(n) * std::size_t(m.network.input.elements()));
    m.ranges = ref.ranges;
}

/** Zeroes output rows `rows` (weights and bias) of a layer: channels that contribute nothing downstream. */
void kill(TrainedModel &m, const std::string &layer, const std::vector<int> &rows)
{
    LayerParameters &p = m.parameters.at(layer);
    const std::int64_t rowSize = p.weight.elements() / p.weight.shape[0];
    for (int r : rows) {
        std::fill_n(p.weight.values.begin() + r * rowSize, rowSize, 0.0f);
        if (!p.bias.values.empty())
            p.bias.values[std::size_t(r)] = 0.0f;
    }
}

const LayerSpec &layerNamed(const NetworkDescription &n, const std::string &name)
{
    for (const LayerSpec &l : n.layers)
        if (l.name == name)
            return l;
    throw std::logic_error("no layer " + name);
}

} // namespace

class TestChannelPruning : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void shrinksEveryReaderDownstream()
    {
        std::mt19937 rng(7);
        TrainedModel m = randomModel(kChainNet, rng);
        const TrainedModel p = pruneChannels(m, {{"conv1", 0.34}}); // round(0.34 * 6) = 2 channels
        QCOMPARE(p.parameters.at("conv1").weight.shape, (std::vector<int>{4, 1, 3, 3}));
        QCOMPARE(p.parameters.at("conv1").bias.shape, (std::vector<int>{4}));
        QCOMPARE(p.parameters.at("dw").weight.shape, (std::vector<int>{8, 1, 3, 3}));
        QCOMPARE(p.parameters.at("fc1").weight.shape, (std::vector<int>{16, 72})); // 8 channels x 3 x 3
        QCOMPARE(p.parameters.at("fc2").weight.shape, m.parameters.at("fc2").weight.shape);
        const LayerSpec &conv1 = layerNamed(p.network, "conv1");
        QCOMPARE(conv1.outChannels, 4);
        QVERIFY(conv1.sparsity.pattern == SparsityPattern::ChannelStructured);
        QCOMPARE(conv1.sparsity.fraction, 2.0 / 6.0);

        // The survivors are those keptChannels() ranks highest, and their rows are copied unchanged.
        const FloatTensor &w = m.parameters.at("conv1").weight;
        const auto kept = keptChannels(w.values.data(), WeightShape{6, 1, 3, 3}, 2.0 / 6.0);
        QCOMPARE(int(kept.size()), 4);
        for (int k = 0; k < 4; ++k)
            for (int e = 0; e < 9; ++e)
                QCOMPARE(p.parameters.at("conv1").weight.values[std::size_t(k * 9 + e)],
                         w.values[std::size_t(kept[std::size_t(k)] * 9 + e)]);
        // fc1 keeps the 9 columns of each surviving depthwise channel (2 per kept conv1 channel), in order.
        const FloatTensor &fc1 = m.parameters.at("fc1").weight;
        const FloatTensor &fc1p = p.parameters.at("fc1").weight;
        for (int r = 0; r < 16; ++r)
            for (int k = 0; k < 4; ++k)
                for (int j = 0; j < 18; ++j)
                    QCOMPARE(fc1p.values[std::size_t(r * 72 + k * 18 + j)],
                             fc1.values[std::size_t(r * 108 + kept[std::size_t(k)] * 18 + j)]);
    }

    void reducesMacsAsTheAnalysisSays()
    {
        std::mt19937 rng(3);
        TrainedModel m = randomModel(kChainNet, rng);
        // conv1 11x11x6 taps 9; dw 6x6x12 taps 9; fc1 108x16; fc2 16x10.
        QCOMPARE(analyzeNetwork(m.network).totalMacs, std::int64_t(6534 + 3888 + 1728 + 160));
        const TrainedModel p = pruneChannels(m, {{"conv1", 0.34}});
        const ModelAnalysis a = analyzeNetwork(p.network);
        QCOMPARE(a.totalMacs, std::int64_t(4356 + 2592 + 1152 + 160));
        // Parameters: conv1 4*9+4, dw 8*9+8, fc1 72*16+16, fc2 16*10+10.
        QCOMPARE(a.totalParams, std::int64_t(40 + 80 + 1168 + 170));
        std::int64_t stored = 0;
        for (const auto &[name, params] : p.parameters)
            stored += params.weight.elements() + params.bias.elements();
        QCOMPARE(stored, a.totalParams);
    }

    void deadChannelsLeaveTheOutputUnchanged_data()
    {
        QTest::addColumn<QString>("json");
        QTest::addColumn<QString>("layer");
        QTest::addColumn<QStringList>("dead"); // layer names whose rows 1 and 4 are zeroed
        QTest::newRow("chain") << kChainNet << "conv1" << QStringList{"conv1", "dw"};
        QTest::newRow("residual group") << kResidualNet << "c3" << QStringList{"c1", "c2b", "c3"};
    }

    void deadChannelsLeaveTheOutputUnchanged()
    {
        QFETCH(QString, json);
        QFETCH(QString, layer);
        QFETCH(QStringList, dead);
        std::mt19937 rng(11);
        TrainedModel m = randomModel(json.toStdString(), rng);
        const int channels = layerNamed(m.network, layer.toStdString()).outChannels;
        for (const QString &d : dead) {
            const bool depthwise = layerNamed(m.network, d.toStdString()).type == LayerType::DepthwiseConv2d;
            kill(m, d.toStdString(), depthwise ? std::vector<int>{2, 3, 8, 9} : std::vector<int>{1, 4});
        }
        const auto images = randomImages(m.network.input, 40, rng);
        calibrate(m, images, 40);
        const TrainedModel p = pruneChannels(m, {{layer.toStdString(), 2.0 / channels}});
        for (const QString &d : dead)
            if (layerNamed(m.network, d.toStdString()).type != LayerType::DepthwiseConv2d)
                QCOMPARE(layerNamed(p.network, d.toStdString()).outChannels, channels - 2);

        // In float the pruned network computes exactly the same function.
        testing::FakeQuantReference floatBefore(m, false), floatAfter(p, false);
        // In integers, a consumer's per-channel weight scale may change when its largest weight was in a removed
        // column, so its outputs may move by one step; nothing else changes.
        const IntegerModel before = IntegerModel::quantize(m);
        const IntegerModel after = IntegerModel::quantize(p);
        for (int n = 0; n < 40; ++n) {
            const std::uint8_t *image = images.data() + std::size_t(n) * std::size_t(m.network.input.elements());
            const auto x = floatBefore.run(image).v, y = floatAfter.run(image).v;
            QCOMPARE(y.size(), x.size());
            for (std::size_t k = 0; k < x.size(); ++k)
                QVERIFY2(std::abs(x[k] - y[k]) <= 1e-9 * (1.0 + std::abs(x[k])), qPrintable(QString::number(k)));
            const auto qa = after.run(image), qb = before.run(image);
            for (std::size_t k = 0; k < qa.size(); ++k)
                QVERIFY(std::abs(int(qa[k]) - int(qb[k])) <= 2);
        }
    }

    void residualGroupIsRankedTogether()
    {
        std::mt19937 rng(5);
        TrainedModel m = randomModel(kResidualNet, rng);
        // Channel 6 is tiny in c3 but large in c1: the group's summed L1 keeps it; channels 0 and 2 are small in all.
        for (const char *name : {"c1", "c2b", "c3"}) {
            LayerParameters &p = m.parameters.at(name);
            const std::int64_t row = p.weight.elements() / 8;
            for (std::int64_t e = 0; e < row; ++e) {
                p.weight.values[std::size_t(0 * row + e)] *= 0.01f;
                p.weight.values[std::size_t(2 * row + e)] *= 0.02f;
                p.weight.values[std::size_t(6 * row + e)] *= std::string(name) == "c3" ? 0.001f : 10.0f;
            }
        }
        const TrainedModel p = pruneChannels(m, {{"c1", 0.25}});
        for (const char *name : {"c1", "c2b", "c3"})
            QCOMPARE(p.parameters.at(name).weight.shape[0], 6);
        QCOMPARE(p.parameters.at("c3").weight.shape[1], 6);  // c3 reads c1
        QCOMPARE(p.parameters.at("c2b").weight.shape[1], 8); // c2b reads c2, which is not in the group
        QCOMPARE(p.parameters.at("fc").weight.shape, (std::vector<int>{5, 6}));
        // Row 6 of c1 survives at position 4 (rows 0 and 2 removed).
        const std::int64_t row = m.parameters.at("c1").weight.elements() / 8;
        QCOMPARE(p.parameters.at("c1").weight.values[std::size_t(4 * row)],
                 m.parameters.at("c1").weight.values[std::size_t(6 * row)]);
    }

    void prunableLayers()
    {
        QCOMPARE(channelPrunableLayers(parseNetworkJson(kChainNet, "chain")),
                 (std::vector<std::string>{"conv1", "fc1"}));
        QCOMPARE(channelPrunableLayers(parseNetworkJson(kResidualNet, "residual")),
                 (std::vector<std::string>{"c1", "c2", "c2b", "c3"}));
        QCOMPARE(channelPrunableLayers(parseNetworkJson(kInputResidualNet, "inres")), (std::vector<std::string>{"c2"}));
        // A factorised reader cannot lose inputs (its factors would need refactoring): c1 feeds one, c2 does not.
        const char *factorised = R"({"name": "f", "input": {"channels": 2, "height": 4, "width": 4}, "layers": [
            {"type": "conv2d", "name": "c1", "out_channels": 8, "kernel": 3, "padding": "same"},
            {"type": "low_rank", "name": "lr", "out_channels": 8, "rank": 2},
            {"type": "conv2d", "name": "c2", "out_channels": 6, "kernel": 1},
            {"type": "global_avg_pool", "name": "gap"},
            {"type": "dense", "name": "fc", "units": 3}]})";
        QCOMPARE(channelPrunableLayers(parseNetworkJson(factorised, "f")), (std::vector<std::string>{"c2"}));
        std::mt19937 rng(2);
        const std::string e = errorOf([&] { pruneChannels(randomModel(factorised, rng), {{"c1", 0.5}}); });
        QVERIFY2(e.find("layer \"lr\": cannot shrink the input of a low_rank layer") != std::string::npos, e.c_str());
    }

    void clearErrors()
    {
        std::mt19937 rng(1);
        const TrainedModel chain = randomModel(kChainNet, rng);
        const TrainedModel inres = randomModel(kInputResidualNet, rng);
        auto contains = [](const std::string &text, const std::string &part) {
            return text.find(part) != std::string::npos;
        };
        std::string e = errorOf([&] { pruneChannels(chain, {{"conv9", 0.5}}); });
        QVERIFY2(contains(e, "no layer \"conv9\""), e.c_str());
        e = errorOf([&] { pruneChannels(chain, {{"dw", 0.5}}); });
        QVERIFY2(contains(e, "layer \"dw\": applies to conv2d and dense layers, not depthwise_conv2d"), e.c_str());
        e = errorOf([&] { pruneChannels(chain, {{"fc2", 0.5}}); });
        QVERIFY2(contains(e, "network's outputs"), e.c_str());
        e = errorOf([&] { pruneChannels(chain, {{"conv1", 1.0}}); });
        QVERIFY2(contains(e, "[0, 1)"), e.c_str());
        e = errorOf([&] { pruneChannels(inres, {{"c1", 0.5}}); });
        QVERIFY2(contains(e, "network input"), e.c_str());
        // An already sparse layer keeps its pattern for the weights that remain.
        TrainedModel sparse = chain;
        sparse.network.layers[0].sparsity = SparsitySpec{SparsityPattern::Unstructured, 0.5};
        const LayerSpec pruned = layerNamed(pruneChannels(sparse, {{"conv1", 0.5}}).network, "conv1");
        QCOMPARE(pruned.outChannels, 3);
        QVERIFY(pruned.sparsity == sparse.network.layers[0].sparsity);
        // Nothing is ever pruned to zero channels.
        QCOMPARE(layerNamed(pruneChannels(chain, {{"conv1", 0.99}}).network, "conv1").outChannels, 1);
    }
};

QTEST_GUILESS_MAIN(TestChannelPruning)
#include "tst_channelpruning.moc"
