// SPDX-License-Identifier: GPL-3.0-or-later
#include "plot/axischooser.h"
#include "plot/encodedpoints.h"
#include "plot/flowlayout.h"
#include "plot/paretoplotwidget.h"

#include "psc/study/metrics.h"
#include "psc/study/studyfront.h"
#include "psc/study/studyspec.h"

#include "sampletrials.h"

#include <qcustomplot.h>

#include <QCheckBox>
#include <QComboBox>
#include <QFile>
#include <QImage>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QToolTip>

#include <algorithm>
#include <random>

using namespace psc;

namespace {

/** The demo study as shipped: objectives on three hardware targets (stm32f746zg, ethos-u55-128 and, through a
 * constraint, stm32f446re). */
StudySpec targetSpec()
{
    return StudySpec::fromFile(PSC_SOURCE_DIR "/resources/studies/fashion-mnist-demo.json");
}

/** The demo study with model objectives only: max accuracy, min weight_bytes, min macs. */
StudySpec demoSpec()
{
    StudySpec spec = targetSpec();
    spec.objectives = {Objective{MetricRef{"accuracy", {}}, Direction::Maximize},
                       Objective{MetricRef{"weight_bytes", {}}, Direction::Minimize},
                       Objective{MetricRef{"macs", {}}, Direction::Minimize}};
    return spec;
}

Trial trial(qint64 id, TrialState state, std::vector<Metric> metrics)
{
    return psc::test::sampleTrial(id, state, std::move(metrics));
}

Trial complete(qint64 id, double accuracy, double weightBytes, double macs)
{
    return trial(id, TrialState::Complete,
                 {{"", "accuracy", accuracy}, {"", "macs", macs}, {"", "weight_bytes", weightBytes}});
}

std::vector<Trial> trials()
{
    return {
        complete(1, 0.80, 10000, 1.0e6),
        complete(2, 0.85, 20000, 3.0e6),
        complete(3, 0.78, 15000, 0.5e6), // dominated on (weight, accuracy), but the cheapest in MACs
        complete(4, 0.90, 30000, 2.0e6),
        complete(5, 0.84, 25000, 4.0e6), // dominated by 2 in every objective
        trial(6, TrialState::Infeasible, {{"", "macs", 5.0e6}, {"", "weight_bytes", 40000}}),
        trial(7, TrialState::Pending, {}),
    };
}

const MetricRef kAccuracy{"accuracy", {}};
const MetricRef kWeights{"weight_bytes", {}};
const MetricRef kMacs{"macs", {}};
const QStringList kTargets{QStringLiteral("stm32f746zg"), QStringLiteral("ethos-u55-128"),
                           QStringLiteral("stm32f446re")};

/** Latencies on the demo's three targets for the complete trials; trial 5 was never costed on the Ethos-U55. */
std::vector<Trial> withLatencies(std::vector<Trial> out)
{
    for (Trial &t : out) {
        if (t.state != TrialState::Complete)
            continue;
        const double macs = *metricValue(t, kMacs);
        for (int i = 0; i < kTargets.size(); ++i)
            if (!(t.id == 5 && i == 1))
                t.metrics.push_back({kTargets[i].toStdString(), "latency_s", macs * 1e-8 * (i + 1)});
    }
    return out;
}

std::vector<Trial> trialsWithLatencies()
{
    return withLatencies(trials());
}

Trial child(Trial t, qint64 parent)
{
    t.parentId = parent;
    t.parametersJson = R"({"compress": {"weight_bits": 4}, "parent": )" + std::to_string(parent) + "}";
    return t;
}

/** trials() and three compressed children: 8 of 1, 9 of 4, and 10 of the pending trial 7 (not drawn). */
std::vector<Trial> trialsWithChildren()
{
    std::vector<Trial> out = trials();
    out.push_back(child(complete(8, 0.79, 4000, 1.0e6), 1));
    out.push_back(child(complete(9, 0.89, 12000, 2.0e6), 4));
    out.push_back(child(complete(10, 0.70, 3000, 0.5e6), 7));
    return out;
}

QByteArray head(const QString &path, int bytes)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.read(bytes) : QByteArray();
}

} // namespace

class TestParetoPlotWidget : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void defaultAxesAndFront()
    {
        ParetoPlotWidget plot;
        plot.setStudy(demoSpec(), trials());
        QCOMPARE(plot.xMetric(), kWeights);
        QCOMPARE(plot.yMetric(), kAccuracy);
        QCOMPARE(plot.frontTrialIds(), (QList<qint64>{1, 2, 4}));
        // The infeasible trial has no accuracy and the pending one nothing: neither is drawn.
        QCOMPARE(plot.plottedTrialIds(), (QList<qint64>{1, 2, 3, 4, 5}));
        QCOMPARE(plot.studyFrontTrialIds(), (QList<qint64>{1, 2, 3, 4}));
        // Model metrics, then six target metrics (latency, energy, cycles, SRAM, weight storage,
        // utilisation) on the one target a constraint names.
        const auto &metrics = plot.availableMetrics();
        QCOMPARE(metrics.size(), modelMetrics().size() + 6);
        QVERIFY(std::find(metrics.begin(), metrics.end(), MetricRef{"energy_j", "stm32f446re"}) != metrics.end());
        QCOMPARE(plot.targets(), QStringList{QStringLiteral("stm32f446re")});
        QVERIFY(!plot.showsAllTargets());
        // Axis labels say which way is better, in full where they fit and with an arrow where they would be cut.
        plot.resize(900, 600);
        plot.show();
        QTRY_VERIFY(plot.axisLabel(Qt::Vertical).endsWith(QStringLiteral("— higher is better")));
        QVERIFY(plot.axisLabel(Qt::Horizontal).endsWith(QStringLiteral("— lower is better")));
        plot.resize(900, 260);
        QTRY_VERIFY(plot.axisLabel(Qt::Vertical).endsWith(QStringLiteral(" ↑")));
        QVERIFY(plot.axisLabel(Qt::Horizontal).endsWith(QStringLiteral("— lower is better")));
    }

    // A third metric as colour (a colour bar appears beside the axes) and a fourth as size (three sizes in the legend).
    // By hand, MACs of the complete trials: 1.0e6 (1), 3.0e6 (2), 0.5e6 (3), 2.0e6 (4), 4.0e6 (5): a range of 8x, read
    // linearly, so trial 3 is at 0, trial 5 at 1 and trial 1 at (1.0 - 0.5) / 3.5 = 1/7.
    void colourAndSizeEncodeMoreMetrics()
    {
        ParetoPlotWidget plot;
        plot.setStudy(demoSpec(), trials());
        plot.resize(900, 600);
        plot.show();
        QVERIFY(plot.encodedPoints().empty());
        QVERIFY(!plot.colourScale());
        QVERIFY(!plot.setColourMetric(MetricRef{"no_such_metric", {}}));
        QVERIFY(plot.setColourMetric(kMacs));
        QCOMPARE(plot.colourMetric(), kMacs);
        auto place = [&plot](qint64 id) {
            for (const EncodedPoint &p : plot.encodedPoints())
                if (p.id == id)
                    return p;
            return EncodedPoint{-1, 0, 0, NAN, 0, false};
        };
        QCOMPARE(int(plot.encodedPoints().size()), 5); // the complete trials; the infeasible one keeps its cross
        QCOMPARE(place(3).colour, 0.0);
        QCOMPARE(place(5).colour, 1.0);
        QVERIFY(qFuzzyCompare(place(1).colour, 1.0 / 7.0));
        QVERIFY(place(4).front && place(1).front && !place(5).front);
        QCPColorScale *bar = plot.colourScale();
        QVERIFY(bar);
        QCOMPARE(bar->dataScaleType(), QCPAxis::stLinear);
        // In the bar's display unit (millions of MACs): 0.5 to 4.
        QVERIFY2(qFuzzyCompare(bar->dataRange().lower, 0.5) && qFuzzyCompare(bar->dataRange().upper, 4.0),
                 qPrintable(QStringLiteral("%1 %2").arg(bar->dataRange().lower).arg(bar->dataRange().upper)));
        QVERIFY2(bar->label().startsWith(QStringLiteral("MACs")), qPrintable(bar->label()));
        // The fronts are unchanged by the encoding.
        QCOMPARE(plot.frontTrialIds(), (QList<qint64>{1, 2, 4}));

        // Size by accuracy: 0.78 (3) smallest, 0.90 (4) largest, the area linear in between.
        QVERIFY(plot.setSizeMetric(kAccuracy));
        QCOMPARE(place(3).diameter, encodedDiameter(0.0));
        QCOMPARE(place(4).diameter, encodedDiameter(1.0));
        QVERIFY(place(1).diameter > place(3).diameter && place(1).diameter < place(2).diameter);
        const QStringList legend = plot.legendEntries();
        QVERIFY2(legend.contains(QStringLiteral("Validation accuracy 78.00 %")) &&
                     legend.contains(QStringLiteral("84.00 %")) && legend.contains(QStringLiteral("90.00 %")),
                 qPrintable(legend.join(QLatin1Char('|'))));

        // Weight bytes span 3x: linear; a span of 100x or more is read on a log scale.
        EncodingScale wide = EncodingScale::of({1.0, 10.0, 100.0, NAN});
        QVERIFY(wide.log && wide.valid);
        QCOMPARE(wide.normalise(10.0), 0.5);
        QCOMPARE(wide.valueAt(0.5), 10.0);
        QVERIFY(std::isnan(wide.normalise(NAN)));
        QCOMPARE(EncodingScale::of({3.0, 3.0}).normalise(3.0), 0.5);

        // None removes both, the bar and the size entries.
        QVERIFY(plot.setColourMetric(MetricRef{}));
        QVERIFY(!plot.colourScale());
        QVERIFY(plot.setSizeMetric(MetricRef{}));
        QVERIFY(plot.encodedPoints().empty());
        QVERIFY(!plot.legendEntries().contains(QStringLiteral("90.00 %")));
    }

    // The controls above the plot wrap onto a second line on a narrow plot instead of cutting the menus' entries.
    void controlsWrapInsteadOfCutting()
    {
        ParetoPlotWidget plot;
        plot.setStudy(targetSpec(), withLatencies(trials()));
        auto *chooser = plot.findChild<AxisChooser *>();
        QVERIFY(chooser);
        auto *flow = qobject_cast<FlowLayout *>(chooser->layout());
        QVERIFY(flow);
        QCOMPARE(flow->lineCount(4000), 1);
        QVERIFY(flow->lineCount(560) >= 2);
        QVERIFY(flow->heightForWidth(560) > flow->heightForWidth(4000));
        plot.resize(560, 500);
        plot.show();
        QVERIFY(QTest::qWaitForWindowExposed(&plot));
        for (QComboBox *menu : chooser->findChildren<QComboBox *>()) {
            QVERIFY2(menu->width() >= menu->sizeHint().width(), qPrintable(menu->objectName()));
            QVERIFY2(chooser->rect().contains(menu->geometry().translated(menu->parentWidget()->pos())),
                     qPrintable(menu->objectName()));
        }
    }

    void axisChange()
    {
        ParetoPlotWidget plot;
        plot.setStudy(demoSpec(), trials());
        QSignalSpy axes(&plot, &ParetoPlotWidget::axesChanged);
        QVERIFY(plot.setAxes(kMacs, kAccuracy));
        QCOMPARE(axes.size(), 1);
        QCOMPARE(plot.frontTrialIds(), (QList<qint64>{3, 1, 4}));

        // Two minimised costs: the infeasible trial has both and is drawn, but never on the front.
        QVERIFY(plot.setAxes(kWeights, kMacs));
        QCOMPARE(plot.frontTrialIds(), (QList<qint64>{1, 3}));
        QVERIFY(plot.plottedTrialIds().contains(6));

        QVERIFY(!plot.setAxes(MetricRef{"latency_s", "mcu"}, kAccuracy));
        QCOMPARE(plot.xMetric(), kWeights);

        plot.setLogScale(Qt::Horizontal, true);
        QVERIFY(plot.isLogScale(Qt::Horizontal));
        QVERIFY(plot.setAxes(kWeights, kAccuracy));
        plot.setLogScale(Qt::Vertical, true); // accuracy can be 0: no log axis
        QVERIFY(!plot.isLogScale(Qt::Vertical));
        QCOMPARE(plot.frontTrialIds(), (QList<qint64>{1, 2, 4}));
    }

    void targetChoice()
    {
        ParetoPlotWidget plot;
        plot.resize(900, 600);
        plot.setStudy(targetSpec(), trialsWithLatencies());
        QCOMPARE(plot.targets(), kTargets);
        QCOMPARE(plot.availableMetrics().size(), modelMetrics().size() + 6 * 3);
        plot.show();
        QVERIFY(QTest::qWaitForWindowExposed(&plot));
        QSignalSpy axes(&plot, &ParetoPlotWidget::axesChanged);
        const MetricRef latency446{"latency_s", "stm32f446re"};
        QVERIFY(plot.setAxes(latency446, kAccuracy));
        QCOMPARE(plot.xMetric(), latency446);
        QCOMPARE(plot.plottedTrialIds(), (QList<qint64>{1, 2, 3, 4, 5}));
        // Two target metrics must share a target.
        QVERIFY(!plot.setAxes(latency446, MetricRef{"energy_j", "stm32f746zg"}));

        // All targets: one legend entry and one colour per target; a trial without a target's metrics is
        // skipped for that target only.
        QVERIFY(plot.setTarget(QString()));
        QVERIFY(plot.showsAllTargets());
        QCOMPARE(axes.size(), 2);
        QCOMPARE(plot.legendEntries(), kTargets);
        QCOMPARE(plot.plottedTrialIds(kTargets[0]), (QList<qint64>{1, 2, 3, 4, 5}));
        QCOMPARE(plot.plottedTrialIds(kTargets[1]), (QList<qint64>{1, 2, 3, 4}));
        QCOMPARE(plot.plottedTrialIds(kTargets[2]), (QList<qint64>{1, 2, 3, 4, 5}));
        QCOMPARE(plot.plottedTrialIds().size(), 14);

        // Hovering a point names its target; clicking selects its trial; saving works.
        QSignalSpy clicked(&plot, &ParetoPlotWidget::trialClicked);
        const QPointF pos = plot.trialPosition(4); // the first of trial 4's points: its stm32f746zg one
        QTest::mouseMove(plot.canvas(), pos.toPoint());
        QTRY_VERIFY(QToolTip::isVisible());
        QVERIFY2(QToolTip::text().contains(QStringLiteral("target <b>stm32f746zg</b>")), qPrintable(QToolTip::text()));
        QTest::mouseClick(plot.canvas(), Qt::LeftButton, {}, pos.toPoint());
        QCOMPARE(clicked.size(), 1);
        QCOMPARE(plot.selectedTrial(), 4);
        QTemporaryDir dir;
        QVERIFY(plot.save(dir.filePath(QStringLiteral("all.png"))));

        // Model metrics on both axes: the target choice does not apply.
        QVERIFY(plot.setAxes(kWeights, kAccuracy));
        QVERIFY(!plot.showsAllTargets());
        QVERIFY(!plot.legendEntries().contains(kTargets[0]));

        // Back to one target.
        QVERIFY(plot.setAxes(MetricRef{"latency_s", "stm32f746zg"}, kAccuracy));
        QVERIFY(!plot.showsAllTargets());
        QCOMPARE(plot.xMetric().target, std::string("stm32f746zg"));
        QVERIFY(plot.setTarget(kTargets[1]));
        QCOMPARE(plot.xMetric(), (MetricRef{"latency_s", "ethos-u55-128"}));
        QCOMPARE(plot.plottedTrialIds(), (QList<qint64>{1, 2, 3, 4}));
        QVERIFY(!plot.legendEntries().contains(kTargets[1]));
        QVERIFY(!plot.setTarget(QStringLiteral("no-such-target")));
    }

    void liveUpdates()
    {
        ParetoPlotWidget plot;
        plot.setStudy(demoSpec(), trials());
        Trial finished = complete(7, 0.95, 35000, 2.5e6);
        plot.upsertTrials({finished, complete(8, 0.99, 9000, 0.4e6)});
        // Trial 8 dominates everything on these two axes.
        QCOMPARE(plot.frontTrialIds(), (QList<qint64>{8}));
        QCOMPARE(plot.plottedTrialIds().size(), 7);
    }

    void selectionRoundTrip()
    {
        ParetoPlotWidget plot;
        plot.resize(900, 600);
        plot.setStudy(demoSpec(), trials());
        plot.show();
        QVERIFY(QTest::qWaitForWindowExposed(&plot));
        QSignalSpy clicked(&plot, &ParetoPlotWidget::trialClicked);

        const QPointF pos = plot.trialPosition(4);
        QVERIFY(pos.x() >= 0 && pos.y() >= 0);
        QCOMPARE(plot.trialAt(pos), 4);
        QTest::mouseClick(plot.canvas(), Qt::LeftButton, {}, pos.toPoint());
        QCOMPARE(clicked.size(), 1);
        QCOMPARE(clicked.at(0).at(0).toLongLong(), 4);
        QCOMPARE(plot.selectedTrial(), 4);

        // Hovering shows the trial's details.
        const QPointF other = plot.trialPosition(3);
        QTest::mouseMove(plot.canvas(), other.toPoint());
        QTRY_VERIFY(QToolTip::isVisible());
        QVERIFY2(QToolTip::text().contains(QStringLiteral("Trial 2")), qPrintable(QToolTip::text()));
        QVERIFY(QToolTip::text().contains(QStringLiteral("78.00 %")));

        // A selection made elsewhere is shown without echoing a signal back.
        plot.setSelectedTrial(2);
        QCOMPARE(plot.selectedTrial(), 2);
        QCOMPARE(clicked.size(), 1);

        // Clicking empty space keeps the selection and says nothing.
        QTest::mouseClick(plot.canvas(), Qt::LeftButton, {}, QPoint(5, 5));
        QCOMPARE(clicked.size(), 1);
        QCOMPARE(plot.selectedTrial(), 2);
    }

    void compressionPaths()
    {
        ParetoPlotWidget plot;
        plot.resize(900, 600);
        plot.setStudy(demoSpec(), trialsWithChildren());
        auto *toggle = plot.findChild<QCheckBox *>(QStringLiteral("compressionPathsToggle"));
        QVERIFY(toggle && toggle->isChecked() && !toggle->isHidden() && !toggle->toolTip().isEmpty());
        QVERIFY(plot.showsCompressionPaths());

        // Weight memory in KiB against accuracy in %: one arrow per child whose parent is drawn. Trial 10's
        // parent is pending, so it has none.
        QCOMPARE(plot.xMetric(), kWeights);
        const auto &arrows = plot.compressionArrows();
        QCOMPARE(arrows.size(), std::size_t(2));
        QCOMPARE(arrows[0].parentId, 1);
        QCOMPARE(arrows[0].childId, 8);
        QCOMPARE(arrows[0].from, QPointF(10000 / 1024.0, 80.0));
        QCOMPARE(arrows[0].to, QPointF(4000 / 1024.0, 79.0));
        QCOMPARE(arrows[1].parentId, 4);
        QCOMPARE(arrows[1].childId, 9);
        QCOMPARE(arrows[1].from, QPointF(30000 / 1024.0, 90.0));
        QCOMPARE(arrows[1].to, QPointF(12000 / 1024.0, 89.0));
        QVERIFY(plot.plottedTrialIds().contains(10));

        // The arrows follow the axes: MACs (millions) against accuracy.
        QVERIFY(plot.setAxes(kMacs, kAccuracy));
        QCOMPARE(plot.compressionArrows().size(), std::size_t(2));
        QCOMPARE(plot.compressionArrows()[0].from, QPointF(1.0, 80.0));
        QCOMPARE(plot.compressionArrows()[1].to, QPointF(2.0, 89.0));

        // Toggling off removes them, on brings them back.
        toggle->setChecked(false);
        QVERIFY(!plot.showsCompressionPaths());
        QVERIFY(plot.compressionArrows().empty());
        plot.setShowCompressionPaths(true);
        QCOMPARE(plot.compressionArrows().size(), std::size_t(2));

        // A parent that is filtered out leaves its child without an arrow: trial 4 loses its accuracy.
        Trial noAccuracy = complete(4, 0.0, 30000, 2.0e6);
        noAccuracy.metrics.erase(noAccuracy.metrics.begin());
        plot.upsertTrials({noAccuracy});
        QVERIFY(!plot.plottedTrialIds().contains(4));
        QCOMPARE(plot.compressionArrows().size(), std::size_t(1));
        QCOMPARE(plot.compressionArrows()[0].childId, 8);

        // Live updates: a child arriving later gets its arrow.
        plot.upsertTrials({child(complete(11, 0.81, 8000, 0.9e6), 2)});
        QCOMPARE(plot.compressionArrows().size(), std::size_t(2));
        QCOMPARE(plot.compressionArrows()[1].parentId, 2);

        // A study without any parent links: nothing to draw, and no toggle.
        plot.setStudy(demoSpec(), trials());
        QVERIFY(plot.compressionArrows().empty());
        QVERIFY(toggle->isHidden());
    }

    void compressionPathsOnScreen()
    {
        ParetoPlotWidget plot;
        plot.resize(900, 600);
        plot.setStudy(demoSpec(), trialsWithChildren());
        plot.show();
        QVERIFY(QTest::qWaitForWindowExposed(&plot));

        // The arrows take no clicks: the child's point still selects the child, and shows its lineage.
        QSignalSpy clicked(&plot, &ParetoPlotWidget::trialClicked);
        const QPointF childPos = plot.trialPosition(8);
        QTest::mouseMove(plot.canvas(), childPos.toPoint());
        QTRY_VERIFY(QToolTip::isVisible());
        QVERIFY2(QToolTip::text().contains(QStringLiteral("Compressed from <b>trial 0</b>: weight_bits = 4")),
                 qPrintable(QToolTip::text()));
        QTest::mouseClick(plot.canvas(), Qt::LeftButton, {}, childPos.toPoint());
        QCOMPARE(clicked.size(), 1);
        QCOMPARE(clicked.at(0).at(0).toLongLong(), 8);
        QCOMPARE(plot.selectedTrial(), 8);

        // Saved plots include the arrows: the middle of the arrow from trial 1 to 8 is drawn only with them.
        QTemporaryDir dir;
        const QString with = dir.filePath(QStringLiteral("with.png"));
        const QString without = dir.filePath(QStringLiteral("without.png"));
        const QSize size = plot.canvas()->size();
        QVERIFY(plot.save(with, size));
        plot.setShowCompressionPaths(false);
        QVERIFY(plot.save(without, size));
        const QPointF mid = (plot.trialPosition(1) + childPos) / 2.0 * 2.0; // PNGs are written at 2x
        const QImage a(with), b(without);
        QCOMPARE(a.size(), size * 2);
        const QColor arrow = a.pixelColor(mid.toPoint());
        QVERIFY(b.pixelColor(mid.toPoint()) != arrow);
        QVERIFY2(arrow.blue() > arrow.green() + 40 && arrow.red() > arrow.green() + 20, qPrintable(arrow.name()));
        QVERIFY(plot.save(dir.filePath(QStringLiteral("paths.svg"))));
        QVERIFY(plot.save(dir.filePath(QStringLiteral("paths.pdf"))));

        // A narrow plot wraps its legend into rows (four entries do not fit 480 pixels); wrapping back, with the
        // wrapped grid's empty cells, and resizing keep every entry.
        plot.setShowCompressionPaths(true);
        const QStringList legend = plot.legendEntries();
        QVERIFY(plot.save(dir.filePath(QStringLiteral("narrow.png")), QSize(480, 420)));
        QVERIFY(plot.save(dir.filePath(QStringLiteral("wide.png")), QSize(1200, 600)));
        plot.resize(420, 500);
        QCoreApplication::sendPostedEvents();
        plot.resize(1000, 600);
        QCoreApplication::sendPostedEvents();
        QCOMPARE(plot.legendEntries(), legend);
        QCOMPARE(plot.compressionArrows().size(), std::size_t(2));
    }

    void compressionPathsAllTargets()
    {
        // With all targets each trial has a point per target; arrows join points of the same target.
        ParetoPlotWidget plot;
        plot.setStudy(targetSpec(), withLatencies(trialsWithChildren()));
        QVERIFY(plot.setAxes(MetricRef{"latency_s", "stm32f746zg"}, kAccuracy));
        QVERIFY(plot.setTarget(QString()));
        QVERIFY(plot.showsAllTargets());
        std::vector<int> perTarget(3, 0);
        for (const CompressionArrow &a : plot.compressionArrows()) {
            QVERIFY(a.series >= 0 && a.series < 3);
            ++perTarget[std::size_t(a.series)];
            QCOMPARE(a.from.y(), a.parentId == 1 ? 80.0 : 90.0);
        }
        // 1 -> 8 on every target; 4 -> 9 on every target (the children have latencies everywhere).
        QCOMPARE(perTarget, (std::vector<int>{2, 2, 2}));
    }

    // Past 20,000 dominated points they are drawn as one image under the graphs: still there on screen and in a PNG
    // at twice the pixels, where each trial is, and still found by a hover.
    void manyPointsAreDrawnAsAnImage()
    {
        std::vector<Trial> many;
        std::mt19937 rng(3);
        std::uniform_real_distribution<double> u(0.0, 1.0);
        for (int i = 1; i <= 25000; ++i) {
            const double bytes = 1000.0 + 60000.0 * u(rng);
            many.push_back(complete(i, 0.5 + 0.3 * u(rng) * bytes / 61000.0, bytes, 1e5));
        }
        ParetoPlotWidget plot;
        plot.resize(800, 600);
        plot.show();
        QVERIFY(QTest::qWaitForWindowExposed(&plot));
        plot.setStudy(demoSpec(), many);
        QVERIFY(plot.setAxes(MetricRef{"weight_bytes", {}}, MetricRef{"accuracy", {}}));
        auto *canvas = qobject_cast<QCustomPlot *>(plot.canvas());
        QVERIFY(canvas && canvas->layer(QStringLiteral("raster")));
        QCOMPARE(canvas->layer(QStringLiteral("raster"))->children().size(), 1);
        canvas->replot();
        const QImage shot = canvas->toPixmap().toImage();
        // A dominated trial's place is painted in the dominated blue (a point alone may sit under others, so look at
        // a few).
        int blue = 0;
        for (qint64 id = 1; id <= 40; ++id) {
            const QPointF at = plot.trialPosition(id);
            if (at.x() < 0)
                continue;
            const QColor c = shot.pixelColor(at.toPoint());
            blue += c.blue() > c.red() + 40 ? 1 : 0;
        }
        QVERIFY2(blue >= 30, qPrintable(QString::number(blue)));
        QCOMPARE(plot.trialAt(plot.trialPosition(5)), qint64(5));
        QTemporaryDir dir;
        const QString png = dir.filePath(QStringLiteral("many.png"));
        QVERIFY(plot.save(png, QSize(400, 300)));
        const QImage saved(png);
        QCOMPARE(saved.size(), QSize(800, 600)); // twice the pixels
        int painted = 0;
        for (int y = 0; y < saved.height(); y += 4)
            for (int x = 0; x < saved.width(); x += 4)
                painted += saved.pixelColor(x, y).blue() > saved.pixelColor(x, y).red() + 40 ? 1 : 0;
        QVERIFY2(painted > 1000, qPrintable(QString::number(painted)));
    }

    void saveFormats()
    {
        QTemporaryDir dir;
        ParetoPlotWidget plot;
        plot.setStudy(demoSpec(), trials());
        const QString png = dir.filePath(QStringLiteral("plot.png"));
        const QString svg = dir.filePath(QStringLiteral("plot.svg"));
        const QString pdf = dir.filePath(QStringLiteral("plot.PDF"));
        QVERIFY(plot.save(png));
        QVERIFY(plot.save(svg, QSize(640, 480)));
        QVERIFY(plot.save(pdf));
        QCOMPARE(head(png, 8), QByteArray("\x89PNG\r\n\x1a\n"));
        QVERIFY(head(svg, 400).contains("<svg"));
        QCOMPARE(head(pdf, 5), QByteArray("%PDF-"));
        QVERIFY(QFile(svg).size() > 1000);

        QString error;
        QVERIFY(!plot.save(dir.filePath(QStringLiteral("plot.gif")), {}, &error));
        QVERIFY(error.contains(QStringLiteral("gif")));
        QVERIFY(!plot.save(dir.filePath(QStringLiteral("missing/dir/plot.png")), {}, &error));
        QVERIFY(!QFile::exists(dir.filePath(QStringLiteral("missing/dir/plot.png"))));
    }

    void emptyStudy()
    {
        ParetoPlotWidget plot;
        QVERIFY(plot.plottedTrialIds().isEmpty());
        QCOMPARE(plot.selectedTrial(), -1);
        plot.setStudy(demoSpec(), {});
        QVERIFY(plot.frontTrialIds().isEmpty());
        QTemporaryDir dir;
        QVERIFY(plot.save(dir.filePath(QStringLiteral("empty.png"))));
    }
};

QTEST_MAIN(TestParetoPlotWidget)
#include "tst_paretoplotwidget.moc"
