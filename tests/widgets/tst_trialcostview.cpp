// SPDX-License-Identifier: GPL-3.0-or-later
#include "views/costbreakdownplot.h"
#include "views/fitmatrix.h"
#include "views/layercosttable.h"
#include "views/trialcostview.h"

#include "psc/core/siformat.h"
#include "psc/net/analysis.h"
#include "psc/net/networkparser.h"
#include "psc/plugins/pluginregistry.h"
#include "psc/targets/costinput.h"
#include "psc/targets/targetlibrary.h"

#include <QLabel>
#include <QLocale>
#include <QTest>

#include <cmath>
#include <memory>

using namespace psc;

namespace {

/** MobileNet v1 0.25 at 160x160: peak SRAM ~189 KiB, over the STM32F446RE's 128 KiB, within the F767ZI's 512. */
NetworkDescription bigMobileNet()
{
    NetworkDescription net = parseNetwork(PSC_SOURCE_DIR "/resources/networks/mobilenet-v1-025-96.json");
    net.input.height = 160;
    net.input.width = 160;
    return net;
}

const QStringList kStudyTargets{QStringLiteral("stm32f746zg"), QStringLiteral("ethos-u55-128"),
                                QStringLiteral("stm32f446re")};

const plugin::LimitCheck *limit(const plugin::CostEstimate &e, const std::string &name)
{
    for (const plugin::LimitCheck &l : e.limits)
        if (l.name == name)
            return &l;
    return nullptr;
}

double sum(const QVector<double> &values)
{
    double s = 0.0;
    for (double v : values)
        s += v;
    return s;
}

bool near(double a, double b)
{
    return std::abs(a - b) <= 1e-9 * std::max(std::abs(a), std::abs(b)) + 1e-18;
}

} // namespace

class TestTrialCostView : public QObject
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
        QVERIFY(m_library->definitions().size() >= 3);
        QVERIFY(m_library->find("stm32f446re") && m_library->find("stm32f767zi"));
    }

    void fitMatrixColoursAndMargins()
    {
        TrialCostView view;
        view.setTargetLibrary(m_library.get());
        view.setStudyTargets(kStudyTargets);
        view.setNetwork(bigMobileNet(), QStringLiteral("MobileNet 160"));
        QVERIFY(view.message().isEmpty());
        QCOMPARE(view.estimates().size(), m_library->definitions().size());

        FitMatrix *fit = view.fitMatrix();
        QCOMPARE(fit->rowCount(), int(m_library->definitions().size()));
        const int sram = fit->limitColumn(QStringLiteral("sram"));
        QVERIFY(sram > 0);

        // Breaks the F446RE's SRAM: red, the excess and how far over.
        const plugin::CostEstimate *f446 = view.estimate(QStringLiteral("stm32f446re"));
        QVERIFY(f446);
        const plugin::LimitCheck *over = limit(*f446, "sram");
        QVERIFY(over && !over->ok);
        const int r446 = fit->targetRow(QStringLiteral("stm32f446re"));
        QVERIFY(r446 >= 0);
        QTableWidgetItem *bad = fit->item(r446, sram);
        QCOMPARE(bad->background().color(), FitMatrix::violatedColour());
        QVERIFY2(bad->text().startsWith(QLatin1Char('-')) && bad->text().contains(QStringLiteral("% over")),
                 qPrintable(bad->text()));
        const int percent = int(std::lround(100.0 * (over->value - over->limit) / over->limit));
        QVERIFY2(bad->text().contains(QStringLiteral("%1 % over").arg(percent)), qPrintable(bad->text()));
        QVERIFY(!bad->toolTip().isEmpty());
        QCOMPARE(fit->item(r446, 0)->text(), QStringLiteral("✗"));

        // Fits the F767ZI: green with the headroom in KiB.
        const plugin::CostEstimate *f767 = view.estimate(QStringLiteral("stm32f767zi"));
        QVERIFY(f767);
        const plugin::LimitCheck *ok = limit(*f767, "sram");
        QVERIFY(ok && ok->ok);
        const int r767 = fit->targetRow(QStringLiteral("stm32f767zi"));
        QTableWidgetItem *good = fit->item(r767, sram);
        QCOMPARE(good->background().color(), FitMatrix::okColour());
        QCOMPARE(good->text(), FitMatrix::marginText(*ok));
        QCOMPARE(good->text(), QStringLiteral("+%1 KiB").arg((ok->limit - ok->value) / 1024.0, 0, 'f', 1));
        QCOMPARE(fit->item(r767, 0)->text(), QStringLiteral("✓"));

        // A target without an SRAM limit leaves the cell blank; every limit a row has is coloured.
        for (int r = 0; r < fit->rowCount(); ++r) {
            const plugin::CostEstimate &e = view.estimates()[std::size_t(r)];
            for (const plugin::LimitCheck &l : e.limits) {
                QTableWidgetItem *cell = fit->item(r, fit->limitColumn(QString::fromStdString(l.name)));
                QCOMPARE(cell->background().color(), l.ok ? FitMatrix::okColour() : FitMatrix::violatedColour());
            }
            if (!limit(e, "sram"))
                QVERIFY(fit->item(r, sram)->text().isEmpty());
        }
    }

    void marginText()
    {
        plugin::LimitCheck l{"sram", 100.0 * 1024, 128.0 * 1024, "B", true, {}};
        QCOMPARE(FitMatrix::marginText(l), QStringLiteral("+28.0 KiB"));
        l = {"sram", 150.0 * 1024, 128.0 * 1024, "B", false, {}};
        QCOMPARE(FitMatrix::marginText(l), QStringLiteral("-22.0 KiB, 17 % over"));
        l = {"latency", 0.012, 0.010, "s", false, {}};
        QCOMPARE(FitMatrix::marginText(l), QStringLiteral("-2.00 ms, 20 % over"));
        QCOMPARE(FitMatrix::limitLabel(QStringLiteral("crossbar_cells")), QStringLiteral("Crossbar cells"));
    }

    void oneTargetsBreakdownAddsUpToItsTotal()
    {
        TrialCostView view;
        view.setTargetLibrary(m_library.get());
        view.setStudyTargets(kStudyTargets);
        const NetworkDescription net = bigMobileNet();
        view.setNetwork(net, QStringLiteral("MobileNet 160"));
        CostBreakdownPlot *bars = view.breakdown();
        QCOMPARE(view.breakdownTarget(), kStudyTargets.front()); // the study's first target by default
        QCOMPARE(bars->target(), kStudyTargets.front());
        QVERIFY(bars->quantity() == CostBreakdownPlot::Quantity::Latency);
        QVERIFY(bars->layerNames().contains(QStringLiteral("conv0")));
        QCOMPARE(bars->values().size(), bars->layerNames().size());
        QCOMPARE(bars->boundClasses().size(), bars->layerNames().size());
        QVERIFY(near(sum(bars->values()), view.estimate(kStudyTargets.front())->latencyS));

        // Switching to energy re-plots the same target in joules.
        view.setQuantity(CostBreakdownPlot::Quantity::Energy);
        QVERIFY(bars->quantity() == CostBreakdownPlot::Quantity::Energy);
        QVERIFY(near(sum(bars->values()), view.estimate(kStudyTargets.front())->energyJ));

        // Every target, one at a time: its bars add up to its own total and each bar's colour says its bound (the host
        // for a fallback layer).
        for (const plugin::CostEstimate &e : view.estimates()) {
            const QString id = QString::fromStdString(e.targetId);
            QVERIFY(view.setBreakdownTarget(id));
            QCOMPARE(bars->target(), id);
            QVERIFY2(near(sum(bars->values()), e.energyJ), qPrintable(id));
            for (const plugin::LayerCost &c : e.layers) {
                const qsizetype bar = bars->layerNames().indexOf(QString::fromStdString(c.layer));
                if (c.energyJ <= 0) {
                    QCOMPARE(bar, qsizetype(-1)); // free layers are left out
                    continue;
                }
                QVERIFY2(bar >= 0, c.layer.c_str());
                QCOMPARE(bars->boundClasses()[bar],
                         c.fallback ? QStringLiteral("Host") : CostBreakdownPlot::boundClass(c.bound));
                QCOMPARE(bars->fallbackLayers().contains(QString::fromStdString(c.layer)), c.fallback);
            }
        }
        QVERIFY(!view.setBreakdownTarget(QStringLiteral("no-such-target")));

        // A click on a row of the fit matrix shows that target.
        FitMatrix *fit = view.fitMatrix();
        const int row = fit->targetRow(QStringLiteral("stm32f767zi"));
        QVERIFY(row >= 0);
        emit fit->cellClicked(row, 1);
        QCOMPARE(view.breakdownTarget(), QStringLiteral("stm32f767zi"));
        QVERIFY(fit->verticalHeaderItem(row)->font().bold());
        QVERIFY(!fit->verticalHeaderItem(fit->targetRow(kStudyTargets.front()))->font().bold());
    }

    void perLayerTableAsVelasReport()
    {
        TrialCostView view;
        view.setTargetLibrary(m_library.get());
        view.setStudyTargets(kStudyTargets);
        const NetworkDescription net = bigMobileNet();
        view.setNetwork(net, QStringLiteral("MobileNet 160"));
        QVERIFY(view.setBreakdownTarget(QStringLiteral("stm32f746zg")));
        const plugin::CostEstimate &e = *view.estimate(QStringLiteral("stm32f746zg"));
        LayerCostTable *table = view.layerTable();
        QCOMPARE(table->rowCount(), int(e.layers.size()) + 1);
        const ModelAnalysis analysis = analyzeNetwork(net);
        const QLocale locale;
        // Free layers (folded batch norms, activations) leave their zeros blank, so the layers that cost stand out.
        auto shown = [&locale](double v) { return v != 0.0 ? locale.toString(v, 'f', 0) : QString(); };
        for (const LayerAnalysis &l : analysis.layers) {
            const int r = table->layerRow(QString::fromStdString(l.name));
            QVERIFY2(r >= 0, l.name.c_str());
            QCOMPARE(table->item(r, LayerCostTable::MacsColumn)->text(), shown(double(l.macs)));
            const plugin::LayerCost &c = e.layers[std::size_t(r)];
            QCOMPARE(QString::fromStdString(c.layer), QString::fromStdString(l.name));
            QCOMPARE(table->item(r, LayerCostTable::LatencyColumn)->text(),
                     c.latencyS != 0.0 ? QString::fromStdString(formatQuantity(c.latencyS, "s")) : QString());
            if (std::isfinite(c.cycles))
                QCOMPARE(table->item(r, LayerCostTable::CyclesColumn)->text(), shown(c.cycles));
        }
        // The conv0 row by hand: 3x3 conv, 3 -> 8 channels, stride 2 on 160x160: 80 * 80 * 8 * 27 MACs.
        QCOMPARE(table->item(table->layerRow(QStringLiteral("conv0")), LayerCostTable::MacsColumn)->text(),
                 locale.toString(80.0 * 80 * 8 * 27, 'f', 0));
        // The total row carries the estimate's own totals.
        const int total = table->rowCount() - 1;
        QCOMPARE(table->item(total, LayerCostTable::LayerColumn)->text(), QStringLiteral("Total"));
        QCOMPARE(table->item(total, LayerCostTable::LatencyColumn)->text(),
                 QString::fromStdString(formatQuantity(e.latencyS, "s")));
        QCOMPARE(table->item(total, LayerCostTable::MacsColumn)->text(),
                 locale.toString(double(analysis.totalMacs), 'f', 0));
        // Copy gives a header line and one line per row.
        const QStringList lines = table->toTsv().split(QLatin1Char('\n'), Qt::SkipEmptyParts);
        QCOMPARE(lines.size(), table->rowCount() + 1);
        QVERIFY(lines.front().startsWith(QStringLiteral("Layer\tMACs\tCycles")));
    }

    void costsTheTrialsOwnCompression()
    {
        // A compressed trial: 4-bit weights, and its pointwise convolutions 90 % unstructured-sparse.
        NetworkDescription compressed = bigMobileNet();
        NetworkDescription dense4 = compressed;
        for (std::size_t i = 0; i < compressed.layers.size(); ++i) {
            LayerSpec &l = compressed.layers[i];
            if (!hasWeights(l.type) || l.type == LayerType::BatchNorm)
                continue;
            l.weightBits = dense4.layers[i].weightBits = 4;
            if (l.type == LayerType::Conv2d && l.kernelH == 1)
                l.sparsity = {SparsityPattern::Unstructured, 0.9, 0, 0, 0, 0};
        }
        Trial trial;
        trial.number = 12;
        trial.architectureJson = networkToJson(compressed);
        TrialCostView view;
        view.setTargetLibrary(m_library.get());
        view.setTrial(trial);
        QVERIFY(view.message().isEmpty());

        // Every estimate is the target's own for the trial's network as it deploys (bits and sparsity) ...
        auto estimateFor = [this](const NetworkDescription &net, const std::string &target) {
            const ModelAnalysis a = analyzeNetwork(net);
            return m_library->target(target)->estimate(toNetworkInfo(net, a), defaultDeployment(net));
        };
        int sparsityCounted = 0;
        for (const plugin::CostEstimate &e : view.estimates()) {
            const plugin::CostEstimate own = estimateFor(compressed, e.targetId);
            QCOMPARE(e.weightStorageBytes, own.weightStorageBytes);
            QCOMPARE(e.latencyS, own.latencyS);
            QCOMPARE(e.energyJ, own.energyJ);
            // ... not a dense int8 default: 4-bit weights take fewer bytes,
            QVERIFY2(e.weightStorageBytes < estimateFor(bigMobileNet(), e.targetId).weightStorageBytes,
                     e.targetId.c_str());
            // and sparsity moves at least some targets' figures.
            const plugin::CostEstimate dense = estimateFor(dense4, e.targetId);
            sparsityCounted += e.weightStorageBytes != dense.weightStorageBytes || e.latencyS != dense.latencyS;
        }
        QVERIFY(sparsityCounted > 0);

        // With the trial's trained weights (here: all zero) the Ethos-U encoder codes them in far fewer bytes than its
        // prior, and the title says which the view used.
        WeightValues zeros;
        const plugin::NetworkInfo info = toNetworkInfo(compressed, analyzeNetwork(compressed));
        for (const plugin::LayerInfo &l : info.layers)
            if (l.weights > 0) {
                auto h = std::make_shared<plugin::WeightHistogram>();
                h->counts[128] = l.weights;
                zeros[l.name] = h;
            }
        const double prior = view.estimate(QStringLiteral("ethos-u55-128"))->weightStorageBytes;
        view.setTrial(trial, &zeros);
        QVERIFY(view.estimate(QStringLiteral("ethos-u55-128"))->weightStorageBytes < prior);
        bool said = false;
        for (const QLabel *label : view.findChildren<QLabel *>())
            said = said || label->text().contains(QStringLiteral("weights as trained"));
        QVERIFY(said);
    }

    // A channel-pruned child is costed on its own, smaller shapes in every view: the breakdown, the table and the fit
    // matrix's crossbar cells (whose "largest layer" may rightly stay the same when the pruned layers are not the
    // largest).
    void channelPrunedChildUsesItsOwnShapes()
    {
        NetworkDescription child = bigMobileNet();
        NetworkDescription parent = child;
        for (LayerSpec &l : child.layers)
            if (l.name == "conv0")
                l.outChannels /= 2; // 8 -> 4: the depthwise layer after it and the next pointwise input follow
        Trial trial;
        trial.number = 7;
        trial.architectureJson = networkToJson(child);
        TrialCostView view;
        view.setTargetLibrary(m_library.get());
        view.setTrial(trial);
        const QString target = QStringLiteral("aon-cim-512x128-reprogram");
        QVERIFY(view.setBreakdownTarget(target));
        const plugin::CostEstimate *shown = view.estimate(target);
        QVERIFY(shown);
        const plugin::CostEstimate own =
            m_library->target(target.toStdString())
                ->estimate(toNetworkInfo(child, analyzeNetwork(child)), defaultDeployment(child));
        const plugin::CostEstimate before =
            m_library->target(target.toStdString())
                ->estimate(toNetworkInfo(parent, analyzeNetwork(parent)), defaultDeployment(parent));
        QCOMPARE(shown->energyJ, own.energyJ);
        QVERIFY(shown->energyJ < before.energyJ);
        const int conv0 = view.layerTable()->layerRow(QStringLiteral("conv0"));
        QVERIFY(conv0 >= 0);
        QCOMPARE(view.layerTable()->item(conv0, LayerCostTable::MacsColumn)->text(),
                 QLocale().toString(80.0 * 80 * 4 * 27, 'f', 0)); // half of the parent's conv0
        FitMatrix *fit = view.fitMatrix();
        const int cells = fit->limitColumn(QStringLiteral("crossbar_cells"));
        QVERIFY(cells > 0);
        QCOMPARE(fit->item(fit->targetRow(target), cells)->text(),
                 FitMatrix::marginText(*limit(own, "crossbar_cells")));
    }

    void trialsWithoutNetwork()
    {
        TrialCostView view;
        view.setTargetLibrary(m_library.get());
        Trial pending;
        pending.number = 3;
        view.setTrial(pending);
        QVERIFY(view.estimates().empty());
        QVERIFY(view.message().contains(QStringLiteral("Trial 3")));
        QCOMPARE(view.fitMatrix()->rowCount(), 0);

        Trial broken;
        broken.number = 4;
        broken.architectureJson = "{not json";
        view.setTrial(broken);
        QVERIFY(view.estimates().empty());
        QVERIFY2(view.message().contains(QStringLiteral("cannot read")), qPrintable(view.message()));

        Trial good;
        good.number = 5;
        good.architectureJson = networkToJson(bigMobileNet());
        view.setTrial(good);
        QVERIFY(view.message().isEmpty());
        QCOMPARE(view.estimates().size(), m_library->definitions().size());

        TrialCostView noTargets;
        noTargets.setTrial(good);
        QVERIFY(noTargets.estimates().empty());
        QVERIFY(!noTargets.message().isEmpty());
    }
};

QTEST_MAIN(TestTrialCostView)
#include "tst_trialcostview.moc"
