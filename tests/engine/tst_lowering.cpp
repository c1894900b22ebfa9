// SPDX-License-Identifier: GPL-3.0-or-later
// lowerForDeployment(): batch norms fold into their producers, relus fuse, the graph stays valid.
#include "psc/net/networkparser.h"
#include "psc/net/shapeinference.h"
#include "psc/quant/trainedmodel.h"

#include <QTest>

using namespace psc;

class TestLowering : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void dsCnnFoldsEveryBatchNormAndFusesEveryRelu()
    {
        const auto net = parseNetwork(PSC_SOURCE_DIR "/resources/networks/ds-cnn.json");
        std::map<std::string, std::string> renamed;
        const auto low = lowerForDeployment(net, &renamed);
        // 9 conv/dw layers each lose a batch norm and a relu: 30 - 18 = 12 layers.
        QCOMPARE(int(low.layers.size()), 12);
        for (const LayerSpec &l : low.layers) {
            QVERIFY(l.type != LayerType::BatchNorm && l.type != LayerType::Relu);
            if (l.type == LayerType::Conv2d || l.type == LayerType::DepthwiseConv2d) {
                QVERIFY2(l.activation == Activation::Relu, l.name.c_str());
                QVERIFY2(l.bias, l.name.c_str()); // the folded batch-norm shift
            }
        }
        QCOMPARE(renamed.at("bn0"), std::string("conv0"));
        QCOMPARE(renamed.at("relu0"), std::string("conv0"));
        QCOMPARE(low.layers[1].inputs, std::vector<std::string>{"conv0"});
        QCOMPARE(low.layers.back().name, std::string("probabilities"));
        // Output shape unchanged.
        QVERIFY(inferShapes(low).back() == inferShapes(net).back());
    }

    void residualBranchesAreNotFused()
    {
        // conv1's output is read by relu1 and by the add: the relu must stay a layer of its own.
        const auto net = parseNetworkJson(R"({"name": "res", "input": {"channels": 2, "height": 4, "width": 4},
            "layers": [
              {"type": "conv2d", "name": "conv1", "out_channels": 2, "kernel": 3, "padding": "same"},
              {"type": "relu", "name": "relu1"},
              {"type": "add", "name": "sum", "inputs": ["relu1", "conv1"]},
              {"type": "batch_norm", "name": "bn"},
              {"type": "flatten", "name": "flat"},
              {"type": "dense", "name": "fc", "units": 3},
              {"type": "relu", "name": "out"}]})",
                                          "res.json");
        std::map<std::string, std::string> renamed;
        const auto low = lowerForDeployment(net, &renamed);
        QCOMPARE(int(low.layers.size()), 6); // only the final relu fuses into fc
        QCOMPARE(low.layers[1].name, std::string("relu1"));
        QVERIFY(low.layers[0].activation == Activation::None);
        QCOMPARE(low.layers[3].name, std::string("bn")); // after an add: not foldable
        QCOMPARE(low.layers.back().name, std::string("fc"));
        QVERIFY(low.layers.back().activation == Activation::Relu);
        QCOMPARE(renamed.size(), std::size_t(1));
    }

    void aFusedActivationBlocksFolding()
    {
        // A conv with its own relu cannot absorb a batch norm after it (the norm acts after the relu).
        const auto net = parseNetworkJson(R"({"name": "n", "input": {"channels": 1, "height": 4, "width": 4},
            "layers": [
              {"type": "conv2d", "name": "c", "out_channels": 2, "kernel": 1, "activation": "relu"},
              {"type": "batch_norm", "name": "bn"},
              {"type": "global_avg_pool", "name": "p"}]})",
                                          "n.json");
        const auto low = lowerForDeployment(net);
        QCOMPARE(int(low.layers.size()), 3);
    }

    void factorizedLayersFoldAndFuse()
    {
        // A batch_norm folds into low_rank (per output channel: into U and the bias); relus fuse into both types.
        const auto net = parseNetworkJson(R"({"name": "f", "input": {"channels": 6, "height": 2, "width": 2},
            "layers": [
              {"type": "low_rank", "name": "lr", "out_channels": 4, "rank": 2, "bias": false},
              {"type": "batch_norm", "name": "bn"},
              {"type": "relu6", "name": "r1"},
              {"type": "kronecker", "name": "kr", "out_channels": 6, "factors": [[3, 2], [2, 2]]},
              {"type": "relu", "name": "r2"}]})",
                                          "f.json");
        std::map<std::string, std::string> renamed;
        const auto low = lowerForDeployment(net, &renamed);
        QCOMPARE(int(low.layers.size()), 2);
        QVERIFY(low.layers[0].type == LayerType::LowRank);
        QVERIFY(low.layers[0].bias); // the folded shift
        QVERIFY(low.layers[0].activation == Activation::Relu6);
        QCOMPARE(low.layers[0].rank, 2);
        QVERIFY(low.layers[1].type == LayerType::Kronecker);
        QVERIFY(low.layers[1].activation == Activation::Relu);
        QCOMPARE(low.layers[1].inputs, std::vector<std::string>{"lr"});
        QVERIFY(low.layers[1].kronA == (FactorShape{3, 2}));
        QCOMPARE(renamed.at("bn"), std::string("lr"));
        QCOMPARE(renamed.at("r2"), std::string("kr"));
    }
};

QTEST_GUILESS_MAIN(TestLowering)
#include "tst_lowering.moc"
