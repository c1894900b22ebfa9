// SPDX-License-Identifier: GPL-3.0-or-later
#include "plot/paretoplotwidget.h"

#include "psc/study/metrics.h"
#include "psc/study/studyfront.h"
#include "psc/study/studyspec.h"

#include <QFile>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QToolTip>

#include <algorithm>

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
    Trial t;
    t.id = id;
    t.number = id - 1;
    t.state = state;
    t.metrics = std::move(metrics);
    return t;
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

/** Trials 1-5 with latencies on the demo's three targets; trial 5 was never costed on the Ethos-U55. */
std::vector<Trial> trialsWithLatencies()
{
    std::vector<Trial> out = trials();
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

        // Clicking empty space clears.
        QTest::mouseClick(plot.canvas(), Qt::LeftButton, {}, QPoint(5, 5));
        QCOMPARE(clicked.size(), 2);
        QCOMPARE(clicked.at(1).at(0).toLongLong(), -1);
        QCOMPARE(plot.selectedTrial(), -1);
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
