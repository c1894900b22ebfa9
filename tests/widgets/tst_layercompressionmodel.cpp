// SPDX-License-Identifier: GPL-3.0-or-later
#include "models/layercompressionmodel.h"
#include "views/layercompressionview.h"

#include "psc/net/networkparser.h"

#include <QAbstractItemModelTester>
#include <QFont>
#include <QTableView>
#include <QTest>

using namespace psc;

namespace {

/**
 * Mixed bits and every sparsity pattern, small enough to size by hand (docs/formats/weight-encodings.md):
 *
 *   conv   1x1, 8 -> 4, 4 bits, DBB 2/8: 32 weights, one block per row; 4 rows x 2 slots = 8 values at 4 bits
 *          = 4 B + one 8-bit mask per row = 4 B -> 8 B (dense would be 16), + 4 biases x 4 B = 24 B.
 *          Float32: (32 + 4) x 4 = 144 B. Non-zeros 8 of 32: 75 % sparse.
 *   relu   no weights.
 *   pw     1x1, 4 -> 6, 8 bits, no bias, channel 25 %: 2 of 8 output channels removed, the 24 weights left are
 *          dense (0 % sparse) = 24 B; float32 96 B.
 *   flatten 6x4x4 -> 96.
 *   fc1    dense 96 -> 16, 3 bits, unstructured 75 %: 1536 weights, 384 non-zero. Dense 576 B; bitmask
 *          ceil(1536/8) = 192 + ceil(384 x 3 / 8) = 144 -> 336 B; CSR 144 + 384 x 1 (8-bit columns, 96
 *          columns) + 17 x 2 (16-bit row pointers) = 562 B. Bitmask wins: 336 + 16 x 4 = 400 B.
 *          Float32: (1536 + 16) x 4 = 6208 B.
 *   fc2    dense 16 -> 10, 8 bits, activation bits 4, 2:4: 160 weights; 10 rows x 4 groups x 2 slots = 80 values
 *          = 80 B + 80 x 2-bit positions = 20 B -> 100 B (< 160 dense), + 10 x 4 = 140 B. Float32 680 B.
 */
const char *const kMixed = R"({
  "name": "mixed",
  "input": {"channels": 8, "height": 4, "width": 4},
  "layers": [
    {"type": "conv2d", "name": "conv", "out_channels": 4, "kernel": 1, "weight_bits": 4,
     "sparsity": {"pattern": "dbb", "block_size": 8, "max_nonzeros": 2}},
    {"type": "relu"},
    {"type": "conv2d", "name": "pw", "out_channels": 6, "kernel": 1, "bias": false,
     "sparsity": {"pattern": "channel", "fraction": 0.25}},
    {"type": "flatten"},
    {"type": "dense", "name": "fc1", "units": 16, "weight_bits": 3,
     "sparsity": {"pattern": "unstructured", "fraction": 0.75}},
    {"type": "dense", "name": "fc2", "units": 10, "activation_bits": 4,
     "sparsity": {"pattern": "n:m", "n": 2, "m": 4}}
  ]
})";

QVariant raw(const LayerCompressionModel &m, int row, int column)
{
    return m.index(row, column).data(LayerCompressionModel::RawValueRole);
}

QString text(const LayerCompressionModel &m, int row, int column)
{
    return m.index(row, column).data().toString();
}

Trial trialWith(qint64 id, qint64 number, const std::string &architecture)
{
    Trial t;
    t.id = id;
    t.number = number;
    t.state = TrialState::Complete;
    t.architectureJson = architecture;
    return t;
}

} // namespace

class TestLayerCompressionModel : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void handComputedSizes()
    {
        LayerCompressionModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        QCOMPARE(model.rowCount(), 0);
        model.setNetwork(parseNetworkJson(kMixed, "mixed"));
        QCOMPARE(model.rowCount(), 7); // six layers and the totals
        QCOMPARE(model.columnCount(), int(LayerCompressionModel::ColumnCount));
        QCOMPARE(model.totalsRow(), 6);

        using M = LayerCompressionModel;
        struct Row
        {
            const char *name;
            const char *type;
            qint64 bits, params, before, after;
            double sparsity;
            const char *pattern;
        };
        const Row rows[] = {
            {"conv", "conv2d", 4, 36, 144, 24, 0.75, "DBB 2/8"},
            {"pw", "conv2d", 8, 24, 96, 24, 0.0, "6 of 8 channels"},
            {"fc1", "dense", 3, 1552, 6208, 400, 0.75, "unstructured"},
            {"fc2", "dense", 8, 170, 680, 140, 0.5, "2:4"},
        };
        const int rowOf[] = {0, 2, 4, 5};
        for (int i = 0; i < 4; ++i) {
            const Row &r = rows[i];
            const int row = rowOf[i];
            QCOMPARE(text(model, row, M::LayerColumn), QString::fromLatin1(r.name));
            QCOMPARE(text(model, row, M::TypeColumn), QString::fromLatin1(r.type));
            QCOMPARE(raw(model, row, M::WeightBitsColumn).toLongLong(), r.bits);
            QCOMPARE(raw(model, row, M::ParamsColumn).toLongLong(), r.params);
            QCOMPARE(raw(model, row, M::SizeBeforeColumn).toLongLong(), r.before);
            QCOMPARE(raw(model, row, M::SizeAfterColumn).toLongLong(), r.after);
            QCOMPARE(raw(model, row, M::SparsityColumn).toDouble(), r.sparsity);
            QCOMPARE(text(model, row, M::PatternColumn), QString::fromLatin1(r.pattern));
            QCOMPARE(raw(model, row, M::RatioColumn).toDouble(), double(r.before) / double(r.after));
        }
        // The analysis agrees with the hand-computed deployed sizes, layer by layer.
        QCOMPARE(model.analysis().layers[4].weightBytes, 400);
        QCOMPARE(model.analysis().layers[4].denseWeightBytes, 576 + 64);

        // Formatted with the project's metric formatting.
        QCOMPARE(text(model, 0, M::SparsityColumn), QStringLiteral("75 %"));
        QCOMPARE(text(model, 4, M::SizeBeforeColumn), QStringLiteral("6.1 KiB"));
        QCOMPARE(text(model, 4, M::SizeAfterColumn), QStringLiteral("400 B"));
        QCOMPARE(text(model, 0, M::RatioColumn), QStringLiteral("6.0×"));
        QCOMPARE(text(model, 5, M::ActivationBitsColumn), QStringLiteral("4"));
        QVERIFY(
            model.index(4, M::SizeAfterColumn).data(Qt::ToolTipRole).toString().contains(QStringLiteral("bitmask")));
        QVERIFY2(
            model.index(2, M::SparsityColumn)
                .data(Qt::ToolTipRole)
                .toString()
                .contains(QStringLiteral("24 of 24 weights are non-zero; 2 of the 8 output channels were removed")),
            qPrintable(model.index(2, M::SparsityColumn).data(Qt::ToolTipRole).toString()));

        // Layers without weights leave the weight columns empty but show their activation bits.
        QCOMPARE(text(model, 1, M::LayerColumn), QStringLiteral("relu_1"));
        QVERIFY(!model.index(1, M::SizeAfterColumn).data().isValid());
        QVERIFY(!model.index(1, M::PatternColumn).data().isValid());
        QCOMPARE(raw(model, 1, M::ActivationBitsColumn).toLongLong(), 8);

        // Totals: 1782 parameters, 4 x 1782 = 7128 B as float32, 24 + 24 + 400 + 140 = 588 B deployed.
        const int t = model.totalsRow();
        QCOMPARE(text(model, t, M::LayerColumn), QStringLiteral("Total"));
        QCOMPARE(raw(model, t, M::ParamsColumn).toLongLong(), 1782);
        QCOMPARE(raw(model, t, M::SizeBeforeColumn).toLongLong(), 7128);
        QCOMPARE(raw(model, t, M::SizeAfterColumn).toLongLong(), 588);
        // Zeros among the weights the layers have, the removed channels not counted: 24 + 0 + 1152 + 80 of 1752.
        QCOMPARE(raw(model, t, M::SparsityColumn).toDouble(), 1256.0 / 1752.0);
        QCOMPARE(text(model, t, M::PatternColumn), QStringLiteral("2 of 8 channels removed"));
        QCOMPARE(raw(model, t, M::SizeAfterColumn).toLongLong(), model.analysis().totalWeightBytes);
        QCOMPARE(text(model, t, M::SizeBeforeColumn), QStringLiteral("7.0 KiB"));
        // Zero weights: (32 - 8) + 0 + (1536 - 384) + (160 - 80) of 32 + 24 + 1536 + 160 weights.
        QCOMPARE(raw(model, t, M::SparsityColumn).toDouble(), 1.0 - (8.0 + 24 + 384 + 80) / (32 + 24 + 1536 + 160));
        // Mean bits per weight, weighted by the weight counts.
        QCOMPARE(raw(model, t, M::WeightBitsColumn).toDouble(), (32 * 4.0 + 24 * 8 + 1536 * 3 + 160 * 8) / 1752.0);
        QVERIFY(model.index(t, 0).data(Qt::FontRole).value<QFont>().bold());

        model.clear();
        QCOMPARE(model.rowCount(), 0);
        QCOMPARE(model.totalsRow(), -1);
    }

    void denseAndFoldedBatchNorm()
    {
        // 2-bit dense packing rounds up per layer: 3x3x1x5 = 45 weights x 2 bits = 90 bits -> 12 B, + 5 x 4 B.
        LayerCompressionModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setNetwork(parseNetworkJson(R"({"input": {"channels": 1, "height": 6, "width": 6}, "layers": [
            {"type": "conv2d", "name": "c", "out_channels": 5, "kernel": 3, "weight_bits": 2},
            {"type": "batch_norm", "name": "bn"},
            {"type": "relu"}]})",
                                          "small"));
        using M = LayerCompressionModel;
        QCOMPARE(raw(model, 0, M::SizeAfterColumn).toLongLong(), 12 + 20);
        QCOMPARE(raw(model, 0, M::SizeBeforeColumn).toLongLong(), (45 + 5) * 4);
        QCOMPARE(raw(model, 0, M::SparsityColumn).toDouble(), 0.0);
        QCOMPARE(text(model, 0, M::PatternColumn), QStringLiteral("none"));
        // The batch norm folds into the conv, which has a bias: nothing more to store.
        QCOMPARE(text(model, 1, M::TypeColumn), QStringLiteral("batch_norm (folded)"));
        QCOMPARE(raw(model, 1, M::SizeAfterColumn).toLongLong(), 0);
        QCOMPARE(raw(model, 1, M::SizeBeforeColumn).toLongLong(), 2 * 5 * 4);
        QVERIFY(!model.index(1, M::RatioColumn).data().isValid());
        QVERIFY(!model.index(1, M::SparsityColumn).data().isValid());
        QCOMPARE(raw(model, model.totalsRow(), M::SizeAfterColumn).toLongLong(), 32);
    }

    void factorisedLayersCountBothFactors()
    {
        /*
         * flatten 4x2x2 -> 16.
         * lr  low_rank 16 -> 16, rank 4, 8 bits: V [4, 16] = 64 and U [16, 4] = 64 weights, all non-zero (0 %);
         *     params 128 + 16 biases = 144; deployed 64 B + 64 B + 16 x 4 B = 192 B; float32 144 x 4 = 576 B.
         * kr  kronecker 16 -> 8, A [2, 4], B [4, 4], 4 bits: 8 + 16 = 24 weights; params 24 + 8 = 32; deployed
         *     ceil(8 x 4 / 8) = 4 B + ceil(16 x 4 / 8) = 8 B + 8 x 4 B = 44 B; float32 128 B.
         * fc  dense 8 -> 10, 8 bits: 80 weights; params 90; deployed 80 + 40 = 120 B; float32 360 B.
         * Totals: params 266, float32 1064 B, deployed 356 B; 232 weights, none zero (0 %); mean bits
         * (128 x 8 + 24 x 4 + 80 x 8) / 232 = 1760 / 232.
         */
        LayerCompressionModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setNetwork(parseNetworkJson(R"({"input": {"channels": 4, "height": 2, "width": 2}, "layers": [
            {"type": "flatten"},
            {"type": "low_rank", "name": "lr", "out_channels": 16, "rank": 4},
            {"type": "kronecker", "name": "kr", "out_channels": 8, "factors": [[2, 4], [4, 4]], "weight_bits": 4},
            {"type": "dense", "name": "fc", "units": 10}]})",
                                          "factorised"));
        using M = LayerCompressionModel;
        QCOMPARE(model.rowCount(), 5);
        struct Row
        {
            int row;
            qint64 weights, params, before, after;
        };
        const Row rows[] = {{1, 128, 144, 576, 192}, {2, 24, 32, 128, 44}, {3, 80, 90, 360, 120}};
        for (const Row &r : rows) {
            QCOMPARE(model.analysis().layers[std::size_t(r.row)].weights, r.weights);
            QCOMPARE(raw(model, r.row, M::ParamsColumn).toLongLong(), r.params);
            QCOMPARE(raw(model, r.row, M::SizeBeforeColumn).toLongLong(), r.before);
            QCOMPARE(raw(model, r.row, M::SizeAfterColumn).toLongLong(), r.after);
            QCOMPARE(raw(model, r.row, M::SparsityColumn).toDouble(), 0.0);
            QCOMPARE(text(model, r.row, M::SparsityColumn), QStringLiteral("0 %"));
            QCOMPARE(text(model, r.row, M::PatternColumn), QStringLiteral("none"));
        }
        QCOMPARE(text(model, 2, M::TypeColumn), QStringLiteral("kronecker"));
        QVERIFY2(model.index(1, M::SparsityColumn).data(Qt::ToolTipRole).toString() ==
                     QStringLiteral("128 of 128 weights are non-zero"),
                 qPrintable(model.index(1, M::SparsityColumn).data(Qt::ToolTipRole).toString()));
        const int t = model.totalsRow();
        QCOMPARE(raw(model, t, M::ParamsColumn).toLongLong(), 266);
        QCOMPARE(raw(model, t, M::SizeBeforeColumn).toLongLong(), 1064);
        QCOMPARE(raw(model, t, M::SizeAfterColumn).toLongLong(), 356);
        QCOMPARE(raw(model, t, M::SparsityColumn).toDouble(), 0.0);
        QCOMPARE(text(model, t, M::SparsityColumn), QStringLiteral("0 %"));
        QCOMPARE(raw(model, t, M::WeightBitsColumn).toDouble(), 1760.0 / 232.0);
        QCOMPARE(text(model, t, M::WeightBitsColumn), QStringLiteral("7.6 avg"));
    }

    void channelsRemovedFromASparseLayerShowAgainstTheParent()
    {
        // Channel removal keeps an already sparse layer's pattern; against its parent the shape tells.
        const NetworkDescription parent = parseNetworkJson(R"({"input": {"channels": 1, "height": 6, "width": 6},
            "layers": [{"type": "conv2d", "name": "c", "out_channels": 8, "kernel": 3},
                       {"type": "global_avg_pool", "name": "g"}, {"type": "dense", "name": "fc", "units": 4}]})",
                                                           "parent");
        const NetworkDescription child = parseNetworkJson(R"({"input": {"channels": 1, "height": 6, "width": 6},
            "layers": [{"type": "conv2d", "name": "c", "out_channels": 6, "kernel": 3,
                        "sparsity": {"pattern": "unstructured", "fraction": 0.5}},
                       {"type": "global_avg_pool", "name": "g"}, {"type": "dense", "name": "fc", "units": 4}]})",
                                                          "child");
        LayerCompressionModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setNetwork(child, &parent);
        using M = LayerCompressionModel;
        QCOMPARE(text(model, 0, M::PatternColumn), QStringLiteral("unstructured, 6 of 8 channels"));
        QCOMPARE(text(model, 2, M::PatternColumn), QStringLiteral("none")); // fc has as many units as before
        QVERIFY(model.index(0, M::PatternColumn)
                    .data(Qt::ToolTipRole)
                    .toString()
                    .contains(QStringLiteral("2 of the 8 output channels were removed")));
        model.setNetwork(child);
        QCOMPARE(text(model, 0, M::PatternColumn), QStringLiteral("unstructured"));
    }

    void patternTexts()
    {
        SparsitySpec s;
        QCOMPARE(LayerCompressionModel::patternText(s), QStringLiteral("none"));
        s = {SparsityPattern::Dbb, 0.5, 8, 4, 0, 0};
        QCOMPARE(LayerCompressionModel::patternText(s), QStringLiteral("DBB 4/8"));
        s = {SparsityPattern::NM, 0.5, 0, 0, 2, 4};
        QCOMPARE(LayerCompressionModel::patternText(s), QStringLiteral("2:4"));
        s = {SparsityPattern::ChannelStructured, 0.5, 0, 0, 0, 0};
        QCOMPARE(LayerCompressionModel::patternText(s), QStringLiteral("channel"));
        s = {SparsityPattern::Unstructured, 0.0, 0, 0, 0, 0}; // a zero fraction is dense
        QCOMPARE(LayerCompressionModel::patternText(s), QStringLiteral("none"));
    }

    void viewNamesParentAndVariant()
    {
        NetworkDescription parentNet = parseNetworkJson(kMixed, "mixed");
        for (LayerSpec &l : parentNet.layers) {
            l.weightBits = 8;
            l.sparsity = {};
        }
        // Dense int8: 32 + 24 + 1536 + 160 = 1752 weight bytes and (4 + 16 + 10) x 4 = 120 bias bytes: 1872 B.
        const Trial parent = trialWith(7, 3, networkToJson(parentNet));
        Trial child = trialWith(9, 5, kMixed);
        child.parentId = parent.id;
        child.parametersJson = R"({"compress": {"weight_bits": 4, "sparsity": {"pattern": "dbb"}}, "parent": 7})";

        LayerCompressionView view;
        QVERIFY(!view.message().isEmpty());
        view.setTrial(child, &parent);
        QVERIFY(view.message().isEmpty());
        QCOMPARE(view.model()->rowCount(), 7);
        const QString header = view.headerText();
        QVERIFY2(header.contains(QStringLiteral("Trial 5")), qPrintable(header));
        QVERIFY2(header.contains(QStringLiteral("7.0 KiB as float32, 588 B deployed")), qPrintable(header));
        // The variant's keys come in JSON object order (alphabetical), nested ones joined with dots.
        QVERIFY2(header.contains(QStringLiteral("Compressed from trial 3 (1.8 KiB deployed) with sparsity.pattern = "
                                                "dbb, weight_bits = 4")),
                 qPrintable(header));

        // The parent itself has no lineage line; a child whose parent is not loaded names its id.
        view.setTrial(parent);
        QVERIFY(!view.headerText().contains(QStringLiteral("Compressed")));
        view.setTrial(child, nullptr);
        QVERIFY2(view.headerText().contains(QStringLiteral("Compressed from trial id 7")),
                 qPrintable(view.headerText()));

        Trial broken = trialWith(10, 6, "{\"input\": 3}");
        view.setTrial(broken);
        QCOMPARE(view.model()->rowCount(), 0);
        QVERIFY2(view.message().contains(QStringLiteral("Trial 6")), qPrintable(view.message()));
        QVERIFY(!view.headerText().contains(QStringLiteral("Compressed")));
    }
};

QTEST_MAIN(TestLayerCompressionModel)
#include "tst_layercompressionmodel.moc"
