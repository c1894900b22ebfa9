// SPDX-License-Identifier: GPL-3.0-or-later
#include "plot/paretoplotwidget.h"

#include "psc/study/studyspec.h"

#include <QFile>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QToolTip>

using namespace psc;

namespace {

StudySpec demoSpec()
{
    // Objectives: max accuracy, min weight_bytes, min macs.
    return StudySpec::fromFile(PSC_SOURCE_DIR "/resources/studies/fashion-mnist-demo.json");
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
        QCOMPARE(plot.availableMetrics().size(), std::size_t(8));
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
