// SPDX-License-Identifier: GPL-3.0-or-later
// The compare view: layer-by-layer architecture differences (hand-made networks), the best value of each metric row,
// per-layer sizes that add up to the trial's own weight bytes, and the compared trials on the front.
#include "models/architecturediff.h"
#include "models/shortlist.h"
#include "models/trialset.h"
#include "views/compareview.h"

#include "psc/core/siformat.h"
#include "psc/net/analysis.h"
#include "psc/net/networkparser.h"
#include "psc/plugins/pluginregistry.h"
#include "psc/study/studyspec.h"
#include "psc/targets/targetlibrary.h"

#include "sampletrials.h"

#include <qcustomplot.h>

#include <QLabel>
#include <QTabWidget>
#include <QTableWidget>
#include <QTest>
#include <QTextBrowser>

#include <algorithm>
#include <memory>

using namespace psc;

namespace {

/** conv1 (with a batch norm and relu when `unfolded`), conv2, gap, dense; `width` channels in conv1. */
std::string cnnJson(int width, int bits, bool unfolded, bool extraConv = false)
{
    std::string layers = R"({"type": "conv2d", "name": "conv1", "out_channels": )" + std::to_string(width) +
                         R"(, "kernel": 3, "padding": "same", "weight_bits": )" + std::to_string(bits);
    if (unfolded)
        layers +=
            R"(, "bias": false}, {"type": "batch_norm", "name": "conv1_bn"}, {"type": "relu", "name": "conv1_act"},)";
    else
        layers += R"(, "bias": true, "activation": "relu"},)";
    layers += R"({"type": "conv2d", "name": "conv2", "out_channels": 8, "kernel": 3, "padding": "same"},)";
    if (extraConv)
        layers += R"({"type": "conv2d", "name": "conv3", "out_channels": 8, "kernel": 1},)";
    layers += R"({"type": "global_avg_pool", "name": "gap"}, {"type": "dense", "name": "logits", "units": 10}])";
    return R"({"name": "cnn", "input": {"channels": 1, "height": 12, "width": 12}, "layers": [)" + layers + "}";
}

Trial trialOf(qint64 id, const std::string &json, double accuracy, double weightBytes, double latency)
{
    Trial t = test::sampleTrial(
        id, TrialState::Complete,
        {{"", "accuracy", accuracy}, {"", "weight_bytes", weightBytes}, {"stm32f746zg", "latency_s", latency}});
    t.architectureJson = json;
    return t;
}

StudySpec spec()
{
    StudySpec s;
    s.objectives = {{MetricRef{"accuracy", {}}, Direction::Maximize},
                    {MetricRef{"weight_bytes", {}}, Direction::Minimize}};
    return s;
}

} // namespace

class TestCompareView : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<PluginRegistry> m_registry;
    std::unique_ptr<TargetLibrary> m_library;

private Q_SLOTS:
    void initTestCase()
    {
        m_registry = std::make_unique<PluginRegistry>();
        m_registry->load();
        m_library = std::make_unique<TargetLibrary>(*m_registry);
        m_library->loadDirectory(TargetLibrary::defaultDirectory());
        QVERIFY(m_library->find("stm32f746zg"));
    }

    // Folded children compare with their unfolded parents layer by layer: narrower and 4-bit conv1 is "changed",
    // batch norms are not "removed", an extra layer is "added".
    void architectureDifferences()
    {
        const NetworkDescription parent = parseNetworkJson(cnnJson(16, 8, true), "parent");
        const NetworkDescription child = parseNetworkJson(cnnJson(8, 4, false), "child");
        ArchitectureDiff diff = diffArchitectures(parent, child);
        QVERIFY(diff.folded);
        QCOMPARE(diff.changed(LayerChange::Kind::Removed), 0);
        QCOMPARE(diff.changed(LayerChange::Kind::Added), 0);
        QCOMPARE(diff.changes.size(), std::size_t(1));
        const LayerChange &c = diff.changes.front();
        QCOMPARE(c.layer, QStringLiteral("conv1"));
        QCOMPARE(c.kind, LayerChange::Kind::Changed);
        QCOMPARE(c.details, (QStringList{QStringLiteral("out_channels 16 → 8"), QStringLiteral("weight_bits 8 → 4")}));
        // The same network: nothing differs.
        QVERIFY(diffArchitectures(parent, parent).changes.empty());
        // A layer added (and the reader of its output changed), then removed the other way round.
        const NetworkDescription deeper = parseNetworkJson(cnnJson(16, 8, true, true), "deeper");
        diff = diffArchitectures(parent, deeper);
        QCOMPARE(diff.changed(LayerChange::Kind::Added), 1);
        QCOMPARE(diff.changes.back().layer, QStringLiteral("conv3"));
        QCOMPARE(diff.changes.back().type, QStringLiteral("conv2d"));
        QVERIFY(std::any_of(diff.changes.begin(), diff.changes.end(), [](const LayerChange &x) {
            return x.layer == QLatin1String("gap") && x.details.join(';').contains(QStringLiteral("inputs"));
        }));
        QCOMPARE(diffArchitectures(deeper, parent).changed(LayerChange::Kind::Removed), 1);
        // Another kind of layer: the type, its new settings and the old ones gone.
        std::string factorised = cnnJson(16, 8, false);
        factorised.replace(
            factorised.find(
                R"({"type": "conv2d", "name": "conv2", "out_channels": 8, "kernel": 3, "padding": "same"})"),
            std::string(R"({"type": "conv2d", "name": "conv2", "out_channels": 8, "kernel": 3, "padding": "same"})")
                .size(),
            R"({"type": "flatten", "name": "conv2"})");
        diff = diffArchitectures(parseNetworkJson(cnnJson(16, 8, false), "a"), parseNetworkJson(factorised, "b"));
        const auto conv2 = std::find_if(diff.changes.begin(), diff.changes.end(),
                                        [](const LayerChange &x) { return x.layer == QLatin1String("conv2"); });
        QVERIFY(conv2 != diff.changes.end());
        QCOMPARE(conv2->details.front(), QStringLiteral("type conv2d → flatten"));
        QVERIFY(conv2->details.back().startsWith(QStringLiteral("no ")));
        QVERIFY(conv2->details.back().contains(QStringLiteral("out_channels")));
    }

    void metricsLayersAndFront()
    {
        TrialSet set;
        const Trial a = trialOf(1, cnnJson(16, 8, true), 0.90, 3000, 0.004);
        const Trial b = trialOf(2, cnnJson(8, 4, false), 0.85, 1000, 0.006);
        const Trial c = trialOf(3, cnnJson(16, 8, true), 0.80, 4000, 0.008); // dominated by a
        set.reset(spec(), {a, b, c});
        Shortlist shortlist;
        shortlist.setNote(1, QStringLiteral("the small one"));
        CompareView view;
        view.setContext(&set, m_library.get(), &shortlist);
        view.setTrials({a, b});
        QVERIFY(view.title()->text().contains(QStringLiteral("trial 0")));
        QVERIFY(view.title()->text().contains(QStringLiteral("trial 1")));

        // Metrics: one column per trial; the best of each row is bold (accuracy up and latency down: a; bytes down: b).
        QTableWidget *m = view.metricTable();
        QCOMPARE(m->columnCount(), 2);
        auto row = [m](const QString &label) {
            for (int r = 0; r < m->rowCount(); ++r)
                if (m->verticalHeaderItem(r) && m->verticalHeaderItem(r)->text().startsWith(label))
                    return r;
            return -1;
        };
        const int acc = row(QStringLiteral("Validation accuracy"));
        const int bytes = row(QStringLiteral("Weight memory"));
        const int latency = row(QStringLiteral("Latency (stm32f746zg)"));
        QVERIFY(acc >= 0 && bytes >= 0 && latency >= 0);
        QVERIFY(m->item(acc, 0)->font().bold() && !m->item(acc, 1)->font().bold());
        QVERIFY(!m->item(bytes, 0)->font().bold() && m->item(bytes, 1)->font().bold());
        QVERIFY(m->item(latency, 0)->font().bold() && !m->item(latency, 1)->font().bold());
        QCOMPARE(m->item(acc, 0)->text(), QStringLiteral("90.00 %"));
        QCOMPARE(m->item(row(QStringLiteral("Pareto rank")), 0)->text(), QStringLiteral("on the front"));
        QCOMPARE(m->item(row(QStringLiteral("Note")), 1)->text(), QStringLiteral("the small one"));
        // The same value in every column is nobody's best.
        view.setTrials({a, c});
        const int accAgain = row(QStringLiteral("Validation accuracy"));
        QVERIFY(m->item(accAgain, 0)->font().bold());
        QCOMPARE(m->item(row(QStringLiteral("Pareto rank")), 1)->text(), QStringLiteral("rank 1 (behind the front)"));

        // Layers: the weights column sums to the analysis' total, layer by layer matched by name.
        view.setTrials({a, b});
        QVERIFY(view.setLayerTarget(QStringLiteral("stm32f746zg")));
        view.setLayerQuantity(CompareView::Quantity::Cycles);
        QTableWidget *l = view.layerTable();
        QCOMPARE(l->columnCount(), 5);
        const int total = l->rowCount() - 1;
        QCOMPARE(l->item(total, 0)->text(), QStringLiteral("Total"));
        const ModelAnalysis analysisB = analyzeNetwork(parseNetworkJson(b.architectureJson, "b"));
        std::int64_t sumB = 0;
        for (const LayerAnalysis &x : analysisB.layers)
            sumB += x.weightBytes;
        QCOMPARE(l->item(total, 3)->text(), QString::fromStdString(formatQuantity(double(sumB), "B")));
        int conv1 = -1;
        for (int r = 0; r < total; ++r)
            if (l->item(r, 0)->text() == QLatin1String("conv1"))
                conv1 = r;
        QVERIFY(conv1 >= 0);
        // 8 channels at 4 bits against 16 at 8: a quarter of the weight bytes (+ 4 bytes per bias).
        const auto conv1B = std::find_if(analysisB.layers.begin(), analysisB.layers.end(),
                                         [](const LayerAnalysis &x) { return x.name == "conv1"; });
        QCOMPARE(l->item(conv1, 3)->text(), QString::fromStdString(formatQuantity(double(conv1B->weightBytes), "B")));
        QCOMPARE(conv1B->weightBytes, std::int64_t(9 * 8 / 2 + 4 * 8));
        // Total cycles = the sum of the layers' cycles.
        double cyclesA = 0.0;
        for (int r = 0; r < total; ++r)
            if (const QTableWidgetItem *x = l->item(r, 2); x && !x->text().isEmpty())
                cyclesA += x->text().toDouble();
        QCOMPARE(l->item(total, 2)->text().toDouble(), cyclesA);
        QVERIFY(cyclesA > 0);

        // Architecture: trial 1 against trial 0.
        const QString arch = view.architecture()->toPlainText();
        QVERIFY2(arch.contains(QStringLiteral("1 changed, 0 added, 0 removed")), qPrintable(arch));
        QVERIFY(arch.contains(QStringLiteral("out_channels 16 → 8")));

        // On the front: every complete trial is drawn, the compared ones ringed.
        QCustomPlot *front = view.frontPlot();
        int drawn = 0;
        for (int g = 0; g < front->graphCount(); ++g)
            drawn += front->graph(g)->dataCount();
        QCOMPARE(drawn, 3 + 2);
        QCOMPARE(front->graph(front->graphCount() - 1)->name(), QStringLiteral("trial 1"));
        QCOMPARE(front->itemCount(), 2); // the labels
    }

    void moreThanFourAreCut()
    {
        TrialSet set;
        std::vector<Trial> trials;
        for (int i = 1; i <= 5; ++i)
            trials.push_back(trialOf(i, cnnJson(8, 8, false), 0.8 + 0.01 * i, 1000.0 * i, 0.001 * i));
        set.reset(spec(), trials);
        CompareView view;
        view.setContext(&set, m_library.get(), nullptr);
        view.setTrials(trials);
        QCOMPARE(view.trials().size(), std::size_t(4));
        QCOMPARE(view.metricTable()->columnCount(), 4);
        QVERIFY(view.title()->text().contains(QStringLiteral("the first 4 of the 5")));
    }
};

QTEST_MAIN(TestCompareView)
#include "tst_compareview.moc"
