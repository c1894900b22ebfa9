// SPDX-License-Identifier: GPL-3.0-or-later
// analyzeNetwork() against hand-computed MACs, parameters, bytes and peak memory.

#include "psc/net/analysis.h"
#include "psc/net/networkparser.h"
#include "psc/targets/costinput.h"

#include <QTest>

#include <nlohmann/json.hpp>

#include <filesystem>

using namespace psc;

namespace {

std::string dataFile(const char *name)
{
    return std::string(PSC_TEST_DATA_DIR) + "/networks/" + name;
}

LayerSpec layer(LayerType type, std::string name = {}, std::vector<std::string> inputs = {})
{
    LayerSpec l;
    l.type = type;
    l.name = std::move(name);
    l.inputs = std::move(inputs);
    return l;
}

LayerSpec conv(std::string name, int outChannels, int kernel, std::vector<std::string> inputs = {})
{
    LayerSpec l = layer(LayerType::Conv2d, std::move(name), std::move(inputs));
    l.outChannels = outChannels;
    l.kernelH = l.kernelW = kernel;
    return l;
}

/** Expected figures of one layer, written out by hand below. */
struct Expected
{
    const char *name;
    Shape output;
    std::int64_t macs, params;
    int weightBits;
    std::int64_t weightBytes, activationBytes;
    int lastUse;
    std::int64_t arenaOffset;
};

void addRows(const std::vector<Expected> &rows)
{
    QTest::addColumn<int>("index");
    QTest::addColumn<Expected>("expected");
    for (std::size_t i = 0; i < rows.size(); ++i)
        QTest::newRow(rows[i].name) << int(i) << rows[i];
}

void checkLayer(const ModelAnalysis &a, int index, const Expected &e)
{
    const LayerAnalysis &l = a.layers.at(std::size_t(index));
    QCOMPARE(l.index, index);
    QCOMPARE(l.name, std::string(e.name));
    QCOMPARE(toString(l.outputShape), toString(e.output));
    QCOMPARE(l.macs, e.macs);
    QCOMPARE(l.params, e.params);
    QCOMPARE(l.weightBits, e.weightBits);
    QCOMPARE(l.weightBytes, e.weightBytes);
    QCOMPARE(l.activationBytes, e.activationBytes);
    QCOMPARE(l.lastUse, e.lastUse);
    QCOMPARE(l.arenaOffset, e.arenaOffset);
}

} // namespace

Q_DECLARE_METATYPE(Expected)

class TestAnalysis : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();

    void mobileNetLayers_data();
    void mobileNetLayers();
    void mobileNetTotals();
    void residualLayers_data();
    void residualLayers();
    void residualTotals();

    void batchNormFolding();
    void factorizedLayers_data();
    void factorizedLayers();
    void factorizedTotals();
    void factorizedCostInput();
    void fusedActivationsCostNothing();
    void subByteSizesRoundUp();
    void windowShapes();
    void unresolvedDescriptions();
    void errorsNameTheLayer();
    void overflowIsAnError();
    void tableIsAlignedAndHasTotals();
    void jsonHasEveryFigure();
    void exampleNetworks();

private:
    ModelAnalysis m_mobileNet;
    ModelAnalysis m_residual;
};

void TestAnalysis::initTestCase()
{
    m_mobileNet = analyzeNetwork(parseNetwork(dataFile("mobilenet-mini.json")));
    m_residual = analyzeNetwork(parseNetwork(dataFile("residual.json")));
}

// mobilenet-mini.json: MobileNetV1 stem at width 0.25 on 3x96x96 input, two depthwise-separable blocks.
void TestAnalysis::mobileNetLayers_data()
{
    addRows({
        // conv0 3x3/2 same, 3->8: out 8x48x48 (ceil(96/2) = 48).
        //   MACs 48*48 * 8 * 3 * 3*3 = 2304 * 216 = 497,664; params 8*3*3*3 = 216 weights + 8 biases = 224;
        //   bytes 216 * 8/8 + 8*4 = 248; output 8*48*48 = 18,432 B. Read by dw1 (1). Arena offset: see totals.
        {"conv0", {8, 48, 48}, 497664, 224, 8, 248, 18432, 1, 27648},
        // dw1 3x3/1 same: MACs 2304 * 8 * 9 = 165,888; params 72 + 8 = 80; bytes 72 + 32 = 104.
        {"dw1", {8, 48, 48}, 165888, 80, 8, 104, 18432, 2, 46080},
        // pw1 1x1, 8->16: MACs 2304 * 16 * 8 = 294,912; params 128 + 16 = 144; bytes 128 + 64 = 192; 36,864 B.
        {"pw1", {16, 48, 48}, 294912, 144, 8, 192, 36864, 3, 0},
        // dw2 3x3/2 same: out 16x24x24; MACs 576 * 16 * 9 = 82,944; params 144 + 16 = 160; bytes 144 + 64 = 208;
        //   4-bit output: 9,216 elements * 4/8 = 4,608 B.
        {"dw2", {16, 24, 24}, 82944, 160, 8, 208, 4608, 4, 36864},
        // pw2 1x1, 16->32, 4-bit weights: MACs 576 * 32 * 16 = 294,912; params 512 + 32 = 544;
        //   bytes 512 * 4/8 = 256 + 32*4 = 128 -> 384; output 18,432 B.
        {"pw2", {32, 24, 24}, 294912, 544, 4, 384, 18432, 5, 0},
        // global average pool: 32x1x1, no MACs, no weights; 32 B.
        {"pool", {32, 1, 1}, 0, 0, 0, 0, 32, 6, 18432},
        // dense 32->2: MACs 64; params 64 + 2 = 66; bytes 64 + 8 = 72; 2 B.
        {"logits", {2, 1, 1}, 64, 66, 8, 72, 2, 7, 0},
        {"probabilities", {2, 1, 1}, 0, 0, 0, 0, 2, 7, 16},
    });
}

void TestAnalysis::mobileNetLayers()
{
    QFETCH(int, index);
    QFETCH(Expected, expected);
    checkLayer(m_mobileNet, index, expected);
}

void TestAnalysis::mobileNetTotals()
{
    const ModelAnalysis &a = m_mobileNet;
    QCOMPARE(a.networkName, std::string("mobilenet-mini"));
    QCOMPARE(a.inputBytes, 27648); // 3 * 96 * 96
    QCOMPARE(a.inputLastUse, 0);
    // 497,664 + 165,888 + 294,912 + 82,944 + 294,912 + 64
    QCOMPARE(a.totalMacs, 1336384);
    // 224 + 80 + 144 + 160 + 544 + 66
    QCOMPARE(a.totalParams, 1218);
    // 248 + 104 + 192 + 208 + 384 + 72
    QCOMPARE(a.totalWeightBytes, 1208);
    // Other ops: bias + relu6 per output element of the four convs (2 * (18,432 + 18,432 + 36,864 + 9,216 + 18,432)),
    // the pool reads 18,432 elements, the dense adds 2 biases and the softmax touches 2 elements.
    QCOMPARE(a.totalOps, 2 * (18432 + 18432 + 36864 + 9216 + 18432) + 18432 + 2 + 2);
    QCOMPARE(a.largestTensorBytes, 36864);
    // Live tensors per step: 0: in + conv0 = 27,648 + 18,432 = 46,080; 1: conv0 + dw1 = 36,864;
    // 2: dw1 + pw1 = 18,432 + 36,864 = 55,296; 3: pw1 + dw2 = 41,472; 4: dw2 + pw2 = 23,040; then smaller.
    QCOMPARE(a.peakLiveBytes, 55296);
    QCOMPARE(a.peakLiveLayer, 2);
    // Greedy, largest first: pw1 [2,3] -> 0; in [0,0] -> 0 (not alive with pw1); conv0, dw1, pw2 (18,432 each,
    // by first use): conv0 [0,1] meets in -> 27,648; dw1 [1,2] meets pw1 (0..36,864) and conv0
    // (27,648..46,080) -> 46,080; pw2 [4,5] meets nothing placed -> 0; dw2 [3,4] meets pw1 and pw2 -> 36,864;
    // pool [5,6] meets pw2 -> 18,432; logits [6,7] -> 0; probabilities [7,7] meets logits (0..2) -> 16.
    QCOMPARE(a.inputArenaOffset, 0);
    QCOMPARE(a.arenaBytes, 46080 + 18432); // dw1's end: greedy leaves 9,216 B more than the live peak
    QVERIFY(a.arenaBytes > a.peakLiveBytes);
}

// residual.json: a stem, a residual block whose skip tensor ("stem") stays live across two convs and a batch
// norm, then a downsampling block with a 1x1 projection shortcut reading "add1" as well.
void TestAnalysis::residualLayers_data()
{
    addRows({
        // stem 3x3 same, 4->8 on 8x8: MACs 64 * 8 * 4 * 9 = 18,432; params 288 + 8 = 296; bytes 288 + 32 = 320;
        //   output 8*8*8 = 512 B; read by "a" (1) and "add1" (4).
        {"stem", {8, 8, 8}, 18432, 296, 8, 320, 512, 4, 0},
        // a 3x3 padding 1, 8->8: (8 + 2 - 3)/1 + 1 = 8; MACs 64 * 8 * 8 * 9 = 36,864; params 576 + 8; bytes 576 + 32.
        {"a", {8, 8, 8}, 36864, 584, 8, 608, 512, 2, 512},
        // b like a but without bias: params 576, bytes 576.
        {"b", {8, 8, 8}, 36864, 576, 8, 576, 512, 3, 1024},
        // bn: 2 * 8 trainable; folds into b, which has no bias, so folding adds 8 int32 biases = 32 B.
        {"bn", {8, 8, 8}, 0, 16, 32, 32, 512, 4, 512},
        {"add1", {8, 8, 8}, 0, 0, 0, 0, 512, 6, 1024},
        // down 3x3/2 same, 8->16: out 16x4x4; MACs 16 * 16 * 8 * 9 = 18,432; params 1,152 + 16 = 1,168;
        //   bytes 1,152 + 64 = 1,216; output 256 B.
        {"down", {16, 4, 4}, 18432, 1168, 8, 1216, 256, 7, 0},
        // short 1x1/2 valid, 8->16, 4-bit: (8 - 1)/2 + 1 = 4; MACs 16 * 16 * 8 = 2,048; params 128 + 16 = 144;
        //   bytes 128 * 4/8 = 64 + 64 = 128.
        {"short", {16, 4, 4}, 2048, 144, 4, 128, 256, 7, 256},
        {"add2", {16, 4, 4}, 0, 0, 0, 0, 256, 8, 512},
        {"pool", {16, 1, 1}, 0, 0, 0, 0, 16, 9, 0},
        // dense 16->4: MACs 64; params 64 + 4 = 68; bytes 64 + 16 = 80.
        {"logits", {4, 1, 1}, 64, 68, 8, 80, 4, 9, 16},
    });
}

void TestAnalysis::residualLayers()
{
    QFETCH(int, index);
    QFETCH(Expected, expected);
    checkLayer(m_residual, index, expected);
}

void TestAnalysis::residualTotals()
{
    const ModelAnalysis &a = m_residual;
    QCOMPARE(a.layers.at(3).foldedIntoProducer, true);
    QCOMPARE(a.layers.at(4).inputShapes.size(), std::size_t(2));
    QCOMPARE(a.inputBytes, 256); // 4 * 8 * 8
    // 18,432 + 36,864 + 36,864 + 18,432 + 2,048 + 64
    QCOMPARE(a.totalMacs, 112704);
    // 296 + 584 + 576 + 16 + 1,168 + 144 + 68
    QCOMPARE(a.totalParams, 2852);
    // 320 + 608 + 576 + 32 + 1,216 + 128 + 80
    QCOMPARE(a.totalWeightBytes, 2960);
    // ops: stem 512 bias + 512 relu; a the same; add1 512 adds + 512 relu; down 256 + 256; short 256 bias;
    // add2 256; pool reads 256; logits 4 biases. b and the folded bn cost nothing extra.
    QCOMPARE(a.totalOps, 1024 + 1024 + 1024 + 512 + 256 + 256 + 256 + 4);
    // Live per step (512 B per 8x8x8 tensor): 0: in 256 + stem = 768; 1: stem + a = 1,024;
    // 2: stem + a + b = 1,536 (the skip tensor is still alive); 3: stem + b + bn = 1,536; 4: stem + bn + add1;
    // 5: add1 + down = 768; 6: add1 + down + short = 1,024; 7: down + short + add2 = 768; 8: 272; 9: 20.
    QCOMPARE(a.peakLiveBytes, 1536);
    QCOMPARE(a.peakLiveLayer, 2);
    // Greedy: stem -> 0; a [1,2] -> 512; b [2,3] meets stem, a -> 1,024; bn [3,4] meets stem, b -> 512;
    // add1 [4,6] meets stem, bn -> 1,024; in [0,0] meets stem -> 512; then the 256 B tensors fit below 1,536.
    QCOMPARE(a.inputArenaOffset, 512);
    QCOMPARE(a.arenaBytes, 1536);
}

void TestAnalysis::batchNormFolding()
{
    NetworkDescription net;
    net.input = {4, 6, 6};
    LayerSpec withBias = conv("c1", 4, 1);
    LayerSpec withRelu = conv("c2", 4, 1);
    withRelu.activation = Activation::Relu;
    LayerSpec shared = conv("c3", 4, 1);
    net.layers = {
        withBias,
        layer(LayerType::BatchNorm, "bn1"), // folds: bias already there, 0 B
        withRelu,
        layer(LayerType::BatchNorm, "bn2"), // does not fold past a fused ReLU: 4 * 2 * 4 = 32 B
        shared,
        layer(LayerType::BatchNorm, "bn3"), // c3 is also read by "sum": cannot fold, 32 B
        layer(LayerType::Add, "sum", {"c3", "bn3"}),
        layer(LayerType::Relu, "r"),
        layer(LayerType::BatchNorm, "bn4"), // after a ReLU layer: 32 B
    };
    const ModelAnalysis a = analyzeNetwork(net);
    QCOMPARE(a.layers[1].foldedIntoProducer, true);
    QCOMPARE(a.layers[1].weightBytes, 0);
    QCOMPARE(a.layers[1].ops, 0);
    QCOMPARE(a.layers[3].foldedIntoProducer, false);
    QCOMPARE(a.layers[3].weightBytes, 32);
    QCOMPARE(a.layers[3].ops, 2 * 4 * 36); // multiply and add per element when it stays a layer
    QCOMPARE(a.layers[5].foldedIntoProducer, false);
    QCOMPARE(a.layers[5].weightBytes, 32);
    QCOMPARE(a.layers[8].foldedIntoProducer, false);
    QCOMPARE(a.layers[8].weightBytes, 32);
    for (int i : {1, 3, 5, 8})
        QCOMPARE(a.layers[std::size_t(i)].params, 8); // gamma and beta per channel
}

void TestAnalysis::factorizedLayers_data()
{
    // tests/data/networks/factorized.json, input 5x2x2 (20 B), 4 pixels for the low_rank layer.
    // lr: rank 2, 5 -> 3: MACs 4 * 2 * (5 + 3) = 64; params 2*5 + 3*2 + 3 = 19; 3-bit factors packed apart:
    //     V 10 * 3 = 30 bits -> 4 B, U 6 * 3 = 18 bits -> 3 B, + 3 * 4 B bias = 19 B.
    // bn folds into lr (which has a bias): 0 B, params 2 * 3.
    // kr: A [3, 4], B [2, 3] on 12 inputs: MACs i1*i2*o2 + o1*i1*o2 = 24 + 24; 4-bit A 6 B + B 3 B + 24 B bias.
    // Arena (16-byte aligned, largest first): input 20 [0,0] at 0; the 12-byte tensors lr [0,1] at 32, bn
    // [1,2] at 0, flat [2,3] at 16; the 8-byte intermediates lr:mid [0,0] at 48 and kr:mid [3,3] at 0; kr [3,4]
    // at 32; out [4,4] at 0.
    addRows({
        {"lr", {3, 2, 2}, 64, 19, 3, 19, 12, 1, 32},
        {"bn", {3, 2, 2}, 0, 6, 32, 0, 12, 2, 0},
        {"flat", {12, 1, 1}, 0, 0, 0, 0, 12, 3, 16},
        {"kr", {6, 1, 1}, 48, 24, 4, 33, 6, 4, 32},
        {"out", {2, 1, 1}, 12, 14, 8, 20, 2, 4, 0},
    });
}

void TestAnalysis::factorizedLayers()
{
    QFETCH(int, index);
    QFETCH(Expected, expected);
    checkLayer(analyzeNetwork(parseNetwork(dataFile("factorized.json"))), index, expected);
}

void TestAnalysis::factorizedTotals()
{
    const ModelAnalysis a = analyzeNetwork(parseNetwork(dataFile("factorized.json")));
    QCOMPARE(a.layers[0].intermediateBytes, 8); // r per pixel
    QCOMPARE(a.layers[3].intermediateBytes, 8); // i1 * o2
    QCOMPARE(a.layers[4].intermediateBytes, 0);
    QCOMPARE(a.layers[0].denseWeightBytes, a.layers[0].weightBytes); // factors are never sparse
    QCOMPARE(a.layers[0].nonZeroWeights, 16);
    // Weight counts without biases: V 2x5 + U 3x2; A 3x4 + B 2x3; out 2x6. Factorised layers have no single tensor.
    QCOMPARE(a.layers[0].weights, 16);
    QCOMPARE(a.layers[1].weights, 0); // batch_norm: scale and shift are not weights a sparsity applies to
    QCOMPARE(a.layers[3].weights, 18);
    QCOMPARE(a.layers[4].weights, 12);
    QVERIFY(!a.layers[0].weightShape);
    QVERIFY(!a.layers[3].weightShape);
    QCOMPARE(*a.layers[4].weightShape, (WeightShape{2, 6, 1, 1}));
    QCOMPARE(a.layers[1].foldedIntoProducer, true);
    QCOMPARE(a.layers[3].ops, 12); // bias add and relu per output
    QCOMPARE(a.totalMacs, 124);
    QCOMPARE(a.totalParams, 63);
    QCOMPARE(a.totalWeightBytes, 72);
    // Step 0 holds the input, lr's output and its intermediate: 20 + 12 + 8.
    QCOMPARE(a.peakLiveBytes, 40);
    QCOMPARE(a.peakLiveLayer, 0);
    QCOMPARE(a.arenaBytes, 56);
    const auto json = nlohmann::json::parse(analysisToJson(a));
    QCOMPARE(json["layers"][0]["intermediate_bytes"].get<std::int64_t>(), 8);
    QVERIFY(!json["layers"][4].contains("intermediate_bytes"));
}

void TestAnalysis::fusedActivationsCostNothing()
{
    // What deployment removes is marked for the cost models: the batch norm folds into the conv, the ReLU after it
    // becomes the conv's activation; the ReLU after the add stays (an add is not a linear producer to fuse into).
    const NetworkDescription net = parseNetworkJson(R"({"name": "n", "input": {"channels": 2, "height": 4, "width": 4},
        "layers": [{"type": "conv2d", "name": "c", "out_channels": 2, "kernel": 3, "padding": "same"},
                   {"type": "batch_norm", "name": "bn"}, {"type": "relu", "name": "r"},
                   {"type": "add", "name": "a", "inputs": ["r", "input"]}, {"type": "relu6", "name": "r2"}]})",
                                                    "n.json");
    const plugin::NetworkInfo info = toNetworkInfo(net, analyzeNetwork(net));
    QCOMPARE(info.layers.size(), std::size_t(5));
    QVERIFY(info.layers[0].activation == plugin::FusedActivation::Relu);
    QVERIFY(!info.layers[0].foldedIntoProducer);
    QVERIFY(info.layers[1].foldedIntoProducer && info.layers[2].foldedIntoProducer);
    QVERIFY(!info.layers[3].foldedIntoProducer && !info.layers[4].foldedIntoProducer);
}

void TestAnalysis::factorizedCostInput()
{
    const NetworkDescription net = parseNetwork(dataFile("factorized.json"));
    const plugin::NetworkInfo info = toNetworkInfo(net, analyzeNetwork(net));
    std::vector<std::string> names;
    for (const plugin::LayerInfo &l : info.layers)
        names.push_back(l.name);
    QCOMPARE(names, (std::vector<std::string>{"lr:v", "lr", "bn", "flat", "kr:b", "kr", "out"}));

    // lr as two 1x1 convolutions over the 2x2 input: V (5 -> 2), then U (2 -> 3) with the bias.
    const plugin::LayerInfo &v = info.layers[0], &u = info.layers[1];
    QVERIFY(v.op == plugin::OpKind::Conv2d && u.op == plugin::OpKind::Conv2d);
    QCOMPARE((std::vector<int>{v.inC, v.inH, v.inW, v.outC, v.outH, v.outW}), (std::vector<int>{5, 2, 2, 2, 2, 2}));
    QCOMPARE((std::vector<int>{u.inC, u.outC, u.kernelH, u.strideH}), (std::vector<int>{2, 3, 1, 1}));
    QCOMPARE(v.macs, 40);
    QCOMPARE(u.macs, 24);
    QCOMPARE(v.weights, 10);
    QCOMPARE(v.biases, 0);
    QCOMPARE(u.weights, 6);
    QCOMPARE(u.biases, 3);
    QCOMPARE(v.outputBytes, 8);
    QCOMPARE(u.inputBytes, 8);
    QCOMPARE(u.outputBytes, 12);
    // Live at step 0: input 20 + lr 12. V runs with the input and the intermediate; U with the intermediate and
    // lr's output, the input being read for the last time by V.
    QCOMPARE(v.liveBytes, 20 + 8);
    QCOMPARE(u.liveBytes, 8 + 12);

    // kr: X is [i1 = 4, i2 = 3]: B (3 -> 2) over 4 rows, then A (4 -> 3) over o2 = 2 rows, with bias and relu.
    const plugin::LayerInfo &b = info.layers[4], &a = info.layers[5];
    QCOMPARE((std::vector<int>{b.inC, b.inH, b.inW, b.outC, b.outH}), (std::vector<int>{3, 4, 1, 2, 4}));
    QCOMPARE((std::vector<int>{a.inC, a.inH, a.outC, a.outH}), (std::vector<int>{4, 2, 3, 2}));
    QCOMPARE(b.macs, 24);
    QCOMPARE(a.macs, 24);
    QCOMPARE(b.weights, 6);
    QCOMPARE(a.weights, 12);
    QCOMPARE(a.biases, 6);
    QVERIFY(b.activation == plugin::FusedActivation::None);
    QVERIFY(a.activation == plugin::FusedActivation::Relu);
    QCOMPARE(b.liveBytes, 12 + 8);
    QCOMPARE(a.liveBytes, 8 + 6);
    // The dense classifier on a flat input stays one dense layer.
    QVERIFY(info.layers[6].op == plugin::OpKind::Dense);

    const auto deployment = defaultDeployment(net);
    QCOMPARE(deployment.size(), info.layers.size());
    QCOMPARE(deployment[0].weightBits, 3);
    QCOMPARE(deployment[0].activationBits, 8); // the int8 intermediate
    QCOMPARE(deployment[1].weightBits, 3);
    QCOMPARE(deployment[4].weightBits, 4);
    QCOMPARE(deployment[5].weightBits, 4);
    QCOMPARE(deployment[6].weightBits, 8);

    // A factorised dense on a flat input is priced as two dense layers.
    NetworkDescription flat;
    flat.input = {12, 1, 1};
    LayerSpec lr = layer(LayerType::LowRank, "lr");
    lr.outChannels = 4;
    lr.rank = 3;
    flat.layers = {lr};
    const plugin::NetworkInfo flatInfo = toNetworkInfo(flat, analyzeNetwork(flat));
    QCOMPARE(flatInfo.layers.size(), std::size_t(2));
    QVERIFY(flatInfo.layers[0].op == plugin::OpKind::Dense);
    QCOMPARE(flatInfo.layers[0].macs, 36);
    QCOMPARE(flatInfo.layers[1].macs, 12);
}

void TestAnalysis::subByteSizesRoundUp()
{
    NetworkDescription net;
    net.input = {5, 1, 1};
    net.inputBits = 3; // 5 * 3 = 15 bits -> 2 B
    LayerSpec dense = layer(LayerType::Dense, "fc");
    dense.outChannels = 3;
    dense.weightBits = 3;     // 15 weights * 3 = 45 bits -> 6 B, plus 3 int32 biases = 18 B
    dense.activationBits = 4; // 3 * 4 = 12 bits -> 2 B
    LayerSpec wide = layer(LayerType::Relu, "wide");
    wide.activationBits = 32; // 3 * 4 B
    net.layers = {dense, wide};
    const ModelAnalysis a = analyzeNetwork(net);
    QCOMPARE(a.inputBytes, 2);
    QCOMPARE(a.layers[0].weightBytes, 6 + 12);
    QCOMPARE(a.layers[0].activationBytes, 2);
    QCOMPARE(a.layers[1].activationBytes, 12);
    QCOMPARE(a.totalWeightBytes, 18);
}

void TestAnalysis::windowShapes()
{
    NetworkDescription net;
    net.input = {2, 11, 7};
    LayerSpec same = conv("same", 3, 3);
    same.strideH = 2;
    same.strideW = 3;
    same.padding = {PaddingMode::Same, 0}; // ceil(11/2) = 6, ceil(7/3) = 3
    LayerSpec valid = conv("valid", 3, 1);
    valid.kernelH = 3;
    valid.kernelW = 2; // (6 - 3)/1 + 1 = 4, (3 - 2)/1 + 1 = 2
    LayerSpec pool = layer(LayerType::AvgPool2d, "pool");
    pool.kernelH = pool.kernelW = 2;
    pool.strideH = pool.strideW = 2; // 2x1
    LayerSpec padded = layer(LayerType::DepthwiseConv2d, "dw");
    padded.kernelH = padded.kernelW = 3;
    padded.padding = {PaddingMode::Explicit, 2}; // (2 + 4 - 3) + 1 = 4, (1 + 4 - 3) + 1 = 3
    padded.depthMultiplier = 2;                  // 3 * 2 channels
    net.layers = {same, valid, pool, padded, layer(LayerType::Flatten, "flat")};
    const ModelAnalysis a = analyzeNetwork(net);
    QCOMPARE(toString(a.layers[0].outputShape), std::string("3x6x3"));
    QCOMPARE(toString(a.layers[1].outputShape), std::string("3x4x2"));
    QCOMPARE(toString(a.layers[2].outputShape), std::string("3x2x1"));
    QCOMPARE(toString(a.layers[3].outputShape), std::string("6x4x3"));
    QCOMPARE(toString(a.layers[4].outputShape), std::string("72x1x1"));
    // Depthwise MACs: 4 * 3 * 3 channels * 2 multiplier * 9 = 648; pool ops: 3 * 2 * 1 outputs * 4 = 24.
    QCOMPARE(a.layers[3].macs, 648);
    QCOMPARE(a.layers[2].ops, 24);
    // Weight tensors: conv OIHW, depthwise [channels x multiplier, 1, kH, kW]; pools have none.
    QCOMPARE(*a.layers[0].weightShape, (WeightShape{3, 2, 3, 3}));
    QCOMPARE(*a.layers[3].weightShape, (WeightShape{6, 1, 3, 3}));
    QCOMPARE(a.layers[3].weights, 54);
    QVERIFY(!a.layers[2].weightShape);
}

void TestAnalysis::unresolvedDescriptions()
{
    // Hand-built descriptions (as a search-space decoder makes them) may leave names and inputs empty.
    NetworkDescription net;
    net.input = {1, 4, 4};
    net.layers = {conv({}, 2, 3), layer(LayerType::Relu), layer(LayerType::Flatten)};
    const ModelAnalysis a = analyzeNetwork(net);
    QCOMPARE(a.layers[0].name, std::string("conv2d_0"));
    QCOMPARE(a.layers[1].inputs, std::vector<std::string>{"conv2d_0"});
    QCOMPARE(a.layers[2].name, std::string("flatten_2"));
    QCOMPARE(toString(a.layers[2].outputShape), std::string("8x1x1"));
}

void TestAnalysis::errorsNameTheLayer()
{
    NetworkDescription net;
    net.input = {1, 3, 3};
    net.layers = {layer(LayerType::Relu, "r"), conv("big", 2, 5)};
    try {
        analyzeNetwork(net);
        QFAIL("a 5x5 kernel on a 3x3 input must be rejected");
    } catch (const NetworkError &e) {
        QCOMPARE(e.pointer(), std::string("/layers/1"));
        QCOMPARE(std::string(e.what()),
                 std::string("/layers/1: layer \"big\": kernel 5x5 larger than its padded input 3x3"));
    }
    net.layers = {layer(LayerType::Relu, "r"), layer(LayerType::Add, "sum", {"r", "missing"})};
    try {
        analyzeNetwork(net);
        QFAIL("a dangling input must be rejected");
    } catch (const NetworkError &e) {
        QCOMPARE(e.pointer(), std::string("/layers/1/inputs/1"));
    }
    net.layers.clear();
    QVERIFY_THROWS_EXCEPTION(InputError, analyzeNetwork(net));
}

void TestAnalysis::overflowIsAnError()
{
    NetworkDescription net;
    net.input = {1 << 20, 1 << 20, 1 << 20};
    net.layers = {conv("huge", 1 << 20, 1)}; // 2^20 * 2^20 outputs * 2^20 * 2^20 MACs each: 2^80
    try {
        analyzeNetwork(net);
        QFAIL("MACs beyond 64 bits must be rejected");
    } catch (const NetworkError &e) {
        QVERIFY2(std::string(e.what()).find("does not fit in 64 bits") != std::string::npos, e.what());
    }
}

void TestAnalysis::tableIsAlignedAndHasTotals()
{
    const std::string table = formatAnalysisTable(m_mobileNet);
    QVERIFY(table.find("Network \"mobilenet-mini\": input 3x96x96 at 8 bits (27.0 KiB), 8 layers") == 0);
    QVERIFY(table.find("Total MACs:        1,336,384\n") != std::string::npos);
    QVERIFY(table.find("Peak live tensors: 54.0 KiB (55,296 B) at layer \"pw1\"\n") != std::string::npos);
    QVERIFY(table.find("Arena (greedy):    63.0 KiB (64,512 B, 16-byte aligned)\n") != std::string::npos);
    // Every row of the table proper starts its MACs column at the same character.
    std::vector<std::string> lines;
    std::size_t start = 0;
    for (std::size_t end; (end = table.find('\n', start)) != std::string::npos; start = end + 1)
        lines.push_back(table.substr(start, end - start));
    const std::string &header = lines.at(2);
    const std::size_t macsAt = header.find("MACs");
    QVERIFY(macsAt != std::string::npos);
    const std::size_t macsEnd = macsAt + 4;
    int rows = 0;
    for (std::size_t i = 4; i < lines.size() && !lines[i].empty(); ++i, ++rows)
        QVERIFY2(lines[i][macsEnd - 1] != ' ' && (lines[i].size() <= macsEnd || lines[i][macsEnd] == ' '),
                 lines[i].c_str());
    QCOMPARE(rows, 8);
    QVERIFY(table.find("  pw2  ") != std::string::npos);
}

void TestAnalysis::jsonHasEveryFigure()
{
    const auto json = nlohmann::json::parse(analysisToJson(m_residual));
    QCOMPARE(json["network"].get<std::string>(), std::string("residual"));
    QCOMPARE(json["input"]["bytes"].get<std::int64_t>(), 256);
    QCOMPARE(json["totals"]["macs"].get<std::int64_t>(), 112704);
    QCOMPARE(json["totals"]["params"].get<std::int64_t>(), 2852);
    QCOMPARE(json["totals"]["weight_bytes"].get<std::int64_t>(), 2960);
    QCOMPARE(json["totals"]["peak_live_bytes"].get<std::int64_t>(), 1536);
    QCOMPARE(json["totals"]["arena_bytes"].get<std::int64_t>(), 1536);
    QCOMPARE(json["layers"].size(), std::size_t(10));
    const auto &add1 = json["layers"][4];
    QCOMPARE(add1["name"].get<std::string>(), std::string("add1"));
    QVERIFY(add1["inputs"] == nlohmann::json({"stem", "bn"}));
    QCOMPARE(add1["input_shapes"][1]["channels"].get<int>(), 8);
    QCOMPARE(add1["last_use"].get<int>(), 6);
    QCOMPARE(json["layers"][3]["folded"].get<bool>(), true);
    QCOMPARE(json["layers"][6]["weight_bytes"].get<std::int64_t>(), 128);
    QVERIFY(!json["layers"][5].contains("folded"));
    // Compact output carries the same figures.
    QVERIFY(nlohmann::json::parse(analysisToJson(m_residual, false)) == json);
}

void TestAnalysis::exampleNetworks()
{
    // The shipped examples must parse and analyse; their totals pin down regressions in the counting rules.
    struct Example
    {
        const char *file;
        std::int64_t macs, params;
    };
    // ResNet-8 (MLPerf Tiny): 12.5 M MACs and 78 k parameters, as published for that model.
    for (const Example &e :
         {Example{"resnet8.json", 12501632, 77706}, Example{"mobilenet-v1-025-96.json", 7489664, 210850},
          Example{"ds-cnn.json", 2656768, 23180}, Example{"fashion-mnist-cnn.json", 1117056, 105866}}) {
        const ModelAnalysis a =
            analyzeNetwork(parseNetwork(std::filesystem::path(PSC_SOURCE_DIR) / "resources/networks" / e.file));
        QVERIFY2(a.totalMacs == e.macs, e.file);
        QVERIFY2(a.totalParams == e.params, e.file);
        QVERIFY2(a.arenaBytes >= a.peakLiveBytes, e.file);
        QVERIFY2(a.peakLiveBytes >= a.largestTensorBytes, e.file);
    }
}

QTEST_APPLESS_MAIN(TestAnalysis)
#include "tst_analysis.moc"
