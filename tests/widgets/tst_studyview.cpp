// SPDX-License-Identifier: GPL-3.0-or-later
// StudyView ranks the study's front off the GUI thread for the table and the plot together; the latest request wins.
#include "models/trialfilter.h"
#include "models/trialset.h"
#include "models/trialsortproxymodel.h"
#include "models/trialtablemodel.h"
#include "plot/convergenceplot.h"
#include "plot/parallelcoordinates.h"
#include "plot/paretoplotwidget.h"
#include "plot/scattermatrix.h"
#include "views/frozencolumntableview.h"
#include "views/replaycontrol.h"
#include "views/studyview.h"

#include "psc/study/studyspec.h"

#include "sampletrials.h"

#include <qcustomplot.h>

#include <QClipboard>
#include <QGuiApplication>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLineEdit>
#include <QScrollBar>
#include <QSignalSpy>
#include <QSlider>
#include <QTabWidget>
#include <QTableView>
#include <QTest>

using namespace psc;

namespace {

Trial complete(qint64 id, double accuracy, double weightBytes)
{
    return psc::test::completeTrial(id, accuracy, weightBytes);
}

/** Two objectives: max accuracy, min weight_bytes. */
StudySpec twoObjectives()
{
    StudySpec spec = StudySpec::fromFile(PSC_SOURCE_DIR "/resources/studies/fashion-mnist-demo.json");
    spec.objectives = {{{"accuracy", ""}, Direction::Maximize}, {{"weight_bytes", ""}, Direction::Minimize}};
    spec.constraints.clear();
    return spec;
}

/** Ids of the rows the table marks as on the front. */
QList<qint64> tableFront(const TrialTableModel &model)
{
    QList<qint64> ids;
    for (int row = 0; row < model.rowCount(); ++row)
        if (model.isOnFront(row))
            ids << model.trialAt(row)->id;
    return ids;
}

} // namespace

class TestStudyView : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    // Ctrl+C in the table copies the selected rows as tab-separated text with the column titles; with several rows
    // selected, the trial shown elsewhere is the one clicked last.
    void copyingRowsGivesTabSeparatedText()
    {
        StudyView view;
        view.setStudy(twoObjectives(), {complete(1, 0.8, 100), complete(2, 0.9, 300), complete(3, 0.7, 50)});
        view.show();
        QVERIFY(QTest::qWaitForWindowExposed(&view));
        QCOMPARE(view.selectedRowsAsTsv(), QString());
        QTableView *table = view.table();
        auto rowOf = [&](qint64 id) {
            return view.proxy()->mapFromSource(view.model()->index(view.model()->rowOfTrial(id), 0));
        };
        table->selectionModel()->setCurrentIndex(rowOf(3),
                                                 QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
        table->selectionModel()->setCurrentIndex(rowOf(1), QItemSelectionModel::Select | QItemSelectionModel::Rows);
        QCOMPARE(view.selectedTrial(), qint64(1));
        const QStringList lines = view.selectedRowsAsTsv().split(QLatin1Char('\n'), Qt::SkipEmptyParts);
        QCOMPARE(lines.size(), 3);
        QStringList titles;
        for (int c = 0; c < view.proxy()->columnCount(); ++c)
            titles << view.proxy()->headerData(c, Qt::Horizontal).toString();
        QCOMPARE(lines[0], titles.join(QLatin1Char('\t')));
        // In table order (sorted by number), each as displayed.
        const QStringList first = lines[1].split(QLatin1Char('\t'));
        QCOMPARE(first.size(), titles.size());
        QCOMPARE(first[TrialTableModel::NumberColumn],
                 view.model()->index(view.model()->rowOfTrial(1), TrialTableModel::NumberColumn).data().toString());
        QCOMPARE(lines[2].split(QLatin1Char('\t'))[TrialTableModel::NumberColumn],
                 view.model()->index(view.model()->rowOfTrial(3), TrialTableModel::NumberColumn).data().toString());
        // Hidden columns (the header's context menu) are left out, and stay hidden for the next study.
        view.setColumnShown(TrialTableModel::StateColumn, false);
        QVERIFY(table->isColumnHidden(TrialTableModel::StateColumn));
        QVERIFY(!view.selectedRowsAsTsv().split(QLatin1Char('\n')).first().contains(QStringLiteral("State")));
        view.setColumnShown(TrialTableModel::NumberColumn, false); // always shown
        QVERIFY(!table->isColumnHidden(TrialTableModel::NumberColumn));
        StudyView other;
        other.setStudy(twoObjectives(), {complete(1, 0.8, 100)});
        QVERIFY(other.table()->isColumnHidden(TrialTableModel::StateColumn));
        view.setColumnShown(TrialTableModel::StateColumn, true);
        QCOMPARE(view.selectedRowsAsTsv().split(QLatin1Char('\n')).first(), titles.join(QLatin1Char('\t')));
        // The keyboard shortcut puts the same text on the clipboard.
        QGuiApplication::clipboard()->clear();
        table->setFocus();
        QTest::keySequence(table, QKeySequence::Copy);
        QCOMPARE(QGuiApplication::clipboard()->text(), view.selectedRowsAsTsv());
    }

    // The # column is frozen: it stays at the left edge when the table scrolls sideways, and clicks and sorting on it
    // act on the table.
    void numberColumnStaysInView()
    {
        StudyView view;
        view.setStudy(twoObjectives(), {complete(1, 0.8, 100), complete(2, 0.9, 300), complete(3, 0.7, 50)});
        view.resize(500, 300);
        view.show();
        QVERIFY(QTest::qWaitForWindowExposed(&view));
        auto *table = qobject_cast<FrozenColumnTableView *>(view.table());
        QVERIFY(table);
        QTableView *frozen = table->frozenView();
        QVERIFY(frozen->isVisible());
        QCOMPARE(frozen->columnWidth(0), table->columnWidth(0));
        for (int c = 1; c < view.proxy()->columnCount(); ++c)
            QVERIFY(frozen->isColumnHidden(c));
        const int left = frozen->geometry().left();
        QVERIFY(table->horizontalScrollBar()->maximum() > 0); // more columns than fit
        table->horizontalScrollBar()->setValue(table->horizontalScrollBar()->maximum());
        QCOMPARE(frozen->geometry().left(), left);
        QVERIFY(frozen->isVisible());
        // A click on a frozen cell selects its row in the table (one selection model).
        const QModelIndex second = frozen->model()->index(1, 0);
        QTest::mouseClick(frozen->viewport(), Qt::LeftButton, {}, frozen->visualRect(second).center());
        QCOMPARE(view.selectedTrial(), second.data(TrialTableModel::TrialIdRole).toLongLong());
        QVERIFY(table->selectionModel()->isRowSelected(1, {}));
        // Its header sorts the table, and the # column cannot be moved away from the left.
        QCOMPARE(table->horizontalHeader()->sortIndicatorOrder(), Qt::AscendingOrder);
        emit frozen->horizontalHeader()->sectionClicked(0);
        QCOMPARE(table->horizontalHeader()->sortIndicatorSection(), 0);
        QCOMPARE(table->horizontalHeader()->sortIndicatorOrder(), Qt::DescendingOrder);
        QCOMPARE(frozen->model()->index(0, 0).data(TrialTableModel::TrialIdRole).toLongLong(), qint64(3));
        table->horizontalHeader()->moveSection(0, 2);
        QCOMPARE(table->horizontalHeader()->visualIndex(0), 0);
    }

    // Brushing an axis of the parallel coordinates filters the table and the Pareto plot too; a click on the axis
    // clears it, a click on a line selects its trial. Axes: accuracy (max), weight_bytes (min).
    void brushFiltersEveryView()
    {
        StudyView view;
        view.setStudy(twoObjectives(),
                      {complete(1, 0.8, 100), complete(2, 0.9, 300), complete(3, 0.7, 50), complete(4, 0.95, 40)});
        view.resize(1000, 500);
        view.show();
        QVERIFY(QTest::qWaitForWindowExposed(&view));
        ParallelCoordinates *pc = view.parallelCoordinates();
        view.plotTabs()->setCurrentWidget(pc);
        QCOMPARE(pc->axes(), (std::vector<MetricRef>{{"accuracy", {}}, {"weight_bytes", {}}}));
        QCOMPARE(pc->drawnTrialIds(), (QList<qint64>{1, 2, 3, 4}));
        QVERIFY(!view.filterLabel()->isVisible());

        // Drag along the accuracy axis from 92 % down to 75 %: trials 1 (80 %) and 2 (90 %) stay.
        const QPoint from = pc->pointOn(0, 0.92).toPoint(), to = pc->pointOn(0, 0.75).toPoint();
        QTest::mousePress(pc, Qt::LeftButton, {}, from);
        QTest::mouseMove(pc, to);
        QTest::mouseRelease(pc, Qt::LeftButton, {}, to);
        const TrialFilter::Range *range = view.filter()->range(MetricRef{"accuracy", {}});
        QVERIFY(range);
        QVERIFY2(range->low > 0.74 && range->low < 0.76 && range->high > 0.91 && range->high < 0.93,
                 qPrintable(QStringLiteral("%1 %2").arg(range->low).arg(range->high)));
        QCOMPARE(pc->acceptedTrialIds(), (QList<qint64>{1, 2}));
        QCOMPARE(view.proxy()->rowCount(), 2);
        QCOMPARE(view.plot()->plottedTrialIds(), (QList<qint64>{1, 2}));
        QVERIFY(view.filterLabel()->isVisible());
        QVERIFY2(view.filterLabel()->text().contains(QStringLiteral("2 of 4 trials")),
                 qPrintable(view.filterLabel()->text()));
        // A trial arriving that the range rejects stays out; the count follows.
        view.upsertTrials({complete(5, 0.6, 20)});
        QCOMPARE(view.proxy()->rowCount(), 2);
        QVERIFY(view.filterLabel()->text().contains(QStringLiteral("2 of 5 trials")));

        // A click on a line selects its trial (3 is filtered out: its line stays as context and is still clickable).
        const QPointF a = pc->pointOn(0, 0.8), b = pc->pointOn(1, 100);
        QTest::mouseClick(pc, Qt::LeftButton, {}, ((a + b) / 2).toPoint());
        QCOMPARE(view.selectedTrial(), qint64(1));
        QCOMPARE(pc->selectedTrial(), qint64(1));

        // A typed expression joins the brush; a mistake is said under the field and changes nothing.
        view.filterEdit()->setText(QStringLiteral("weight_bytes <= 200 B"));
        QTest::keyClick(view.filterEdit(), Qt::Key_Return);
        QCOMPARE(view.proxy()->rowCount(), 1); // 80 %, 100 B
        QVERIFY(view.filterError()->isHidden());
        QVERIFY(view.filterLabel()->text().contains(QStringLiteral("weight_bytes &lt;= 200 B")));
        view.filterEdit()->setText(QStringLiteral("weight_byte <= 200 B"));
        QTest::keyClick(view.filterEdit(), Qt::Key_Return);
        QVERIFY(!view.filterError()->isHidden());
        QVERIFY2(view.filterError()->text().contains(QStringLiteral("did you mean \"weight_bytes\"?")),
                 qPrintable(view.filterError()->text()));
        QCOMPARE(view.proxy()->rowCount(), 1);
        view.filterEdit()->clear(); // the field's clear button: the expression goes, the brush stays
        QCOMPARE(view.filter()->expression(), QString());
        QCOMPARE(view.proxy()->rowCount(), 2);

        // A click on the axis clears its range: every trial is back.
        QTest::mouseClick(pc, Qt::LeftButton, {}, pc->pointOn(0, 0.85).toPoint());
        QVERIFY(!view.filter()->isActive());
        QCOMPARE(view.proxy()->rowCount(), 5);
        QCOMPARE(view.plot()->plottedTrialIds().size(), 5);
        QVERIFY(!view.filterLabel()->isVisible());
    }

    // The scatter matrix: every pair of objectives; it follows the filter and the selection, and a click on a point
    // selects its trial.
    void scatterMatrixIsLinked()
    {
        StudyView view;
        view.setStudy(twoObjectives(),
                      {complete(1, 0.8, 100), complete(2, 0.9, 300), complete(3, 0.7, 50), complete(4, 0.95, 40)});
        view.resize(1000, 600);
        view.show();
        QVERIFY(QTest::qWaitForWindowExposed(&view));
        ScatterMatrix *matrix = view.scatterMatrix();
        view.plotTabs()->setCurrentWidget(matrix);
        QCOMPARE(matrix->metrics(), (std::vector<MetricRef>{{"accuracy", {}}, {"weight_bytes", {}}}));
        QCOMPARE(matrix->drawnTrialIds(), (QList<qint64>{1, 2, 3, 4}));
        view.filter()->setRange(MetricRef{"weight_bytes", {}}, 0, 120);
        QCOMPARE(matrix->acceptedTrialIds(), (QList<qint64>{1, 3, 4}));
        // Cell (row 1, column 0): accuracy across, weight bytes up; a click on trial 3's point selects it.
        QTRY_VERIFY(matrix->trialPosition(3, 1, 0).x() > 0);
        const QPointF at = matrix->trialPosition(3, 1, 0);
        QTest::mouseClick(matrix->canvas(), Qt::LeftButton, {}, at.toPoint());
        QCOMPARE(view.selectedTrial(), qint64(3));
        QCOMPARE(matrix->selectedTrial(), qint64(3));
        view.selectTrial(1);
        QCOMPARE(matrix->selectedTrial(), qint64(1));
        QCOMPARE(matrix->trialPosition(3, 0, 0), QPointF(-1, -1)); // the diagonal names the metric
    }

    // The convergence tab: the study's hypervolume after each trial (as the engine computes it), computed off the
    // GUI thread once the tab is shown and again when trials arrive; the strategy is named above it.
    void convergenceFollowsTheStudy()
    {
        StudyView view;
        StudySpec spec = twoObjectives();
        spec.strategy.id = "nsga2";
        spec.strategy.optionsJson = R"({"population":4})";
        const std::vector<Trial> trials{complete(1, 0.8, 100), complete(2, 0.9, 300), complete(3, 0.7, 50)};
        view.setStudy(spec, trials);
        view.show();
        view.plotTabs()->setCurrentWidget(view.convergence());
        ConvergencePlot *c = view.convergence();
        QTRY_VERIFY(!c->isBusy() && c->curve().values.size() == 3);
        const HypervolumeCurve expected = hypervolumeCurve(trials, spec.objectives);
        for (std::size_t i = 0; i < expected.values.size(); ++i)
            QCOMPARE(c->curve().values[i], expected.values[i]);
        QVERIFY2(c->summary().contains(QStringLiteral("nsga2")) && c->summary().contains(QStringLiteral("population")),
                 qPrintable(c->summary()));
        QVERIFY(c->summary().contains(QStringLiteral("after 3 trials")));
        // A better trial arrives: the curve grows to 1 (it dominates every other point at the best of both).
        view.upsertTrials({complete(4, 0.95, 40)});
        QTRY_VERIFY(!c->isBusy() && c->curve().values.size() == 4);
        QVERIFY(qFuzzyCompare(c->curve().values.back(), 1.0));
        QVERIFY(c->curve().values[2] < 1.0);
    }

    // The timeline replays the study: trials appear in number order, the fronts are those of the trials so far, the
    // axes stay those of the whole study, and the hypervolume so far shows beside the plot with a marker.
    void replayShowsTheStudyGrowing()
    {
        StudyView view;
        // Numbers 0..3 (id - 1); trial 4 (number 3) dominates the others.
        view.setStudy(twoObjectives(),
                      {complete(1, 0.8, 100), complete(2, 0.9, 300), complete(3, 0.7, 50), complete(4, 0.95, 40)});
        view.show();
        QVERIFY(QTest::qWaitForWindowExposed(&view));
        ReplayControl *replay = view.replay();
        ParetoPlotWidget *plot = view.plot();
        QCOMPARE(replay->limit(), qint64(-1)); // live end: everything
        QCOMPARE(replay->label()->text(), QStringLiteral("All 4 trials"));
        QCOMPARE(plot->plottedTrialIds().size(), 4);
        QCOMPARE(plot->frontTrialIds(), QList<qint64>{4});
        QVERIFY(!view.replayConvergence()->isVisible());
        auto *canvas = qobject_cast<QCustomPlot *>(plot->canvas());
        QVERIFY(canvas);
        const QCPRange wholeX = canvas->xAxis->range(), wholeY = canvas->yAxis->range();

        QSignalSpy limits(replay, &ReplayControl::limitChanged);
        replay->setPosition(1);
        QCOMPARE(replay->limit(), qint64(1));
        QCOMPARE(limits.size(), 1);
        QCOMPARE(replay->label()->text(), QStringLiteral("Up to trial 1 (2 of 4)"));
        QCOMPARE(plot->trialLimit(), qint64(1));
        QCOMPARE(plot->plottedTrialIds(), (QList<qint64>{1, 2}));
        // Between 1 (0.8, 100 B) and 2 (0.9, 300 B) neither dominates: both are on the front so far.
        QCOMPARE(plot->frontTrialIds(), (QList<qint64>{1, 2}));
        QCOMPARE(canvas->xAxis->range(), wholeX);
        QCOMPARE(canvas->yAxis->range(), wholeY);
        QVERIFY(view.replayConvergence()->isVisible());
        QCOMPARE(view.replayConvergence()->marker(), qint64(1));
        QCOMPARE(view.convergence()->marker(), qint64(1));
        QTRY_VERIFY(!view.replayConvergence()->isBusy() && view.replayConvergence()->curve().values.size() == 4);
        const HypervolumeCurve curve = hypervolumeCurve(view.trialSet()->trials(), twoObjectives().objectives);
        QCOMPARE(view.replayConvergence()->hypervolumeAt(1), curve.values[1]);

        // A trial arriving during a replay does not move it; the end shows it.
        view.upsertTrials({complete(5, 0.6, 20)});
        QCOMPARE(replay->limit(), qint64(1));
        QCOMPARE(plot->plottedTrialIds(), (QList<qint64>{1, 2}));
        replay->setPosition(replay->slider()->maximum());
        QCOMPARE(replay->limit(), qint64(-1));
        QCOMPARE(plot->plottedTrialIds().size(), 5);
        QVERIFY(!view.replayConvergence()->isVisible());

        // Play from the end starts at the first trial and steps to the end, one trial at a time.
        limits.clear();
        replay->play();
        QVERIFY(replay->isPlaying());
        QCOMPARE(replay->limit(), qint64(0));
        QTRY_VERIFY_WITH_TIMEOUT(!replay->isPlaying(), 5 * 5 * replay->stepMs() + 2000);
        QList<qint64> seen;
        for (const QList<QVariant> &signal : limits)
            seen << signal.at(0).toLongLong();
        QCOMPARE(seen, (QList<qint64>{0, 1, 2, 3, -1}));
        QCOMPARE(plot->plottedTrialIds().size(), 5);
    }

    // By hand: trial 1 (0.9, 2000 B) dominates trial 2 (0.8, 3000 B); trial 3 (0.7, 1000 B) is on the front too.
    // Trial 4 (0.95, 500 B) then dominates all three.
    void frontArrivesForTableAndPlotTogether()
    {
        StudyView view;
        view.resize(900, 600);
        view.setStudy(twoObjectives(), {complete(1, 0.9, 2000), complete(2, 0.8, 3000), complete(3, 0.7, 1000)});
        QTRY_COMPARE(tableFront(*view.model()), (QList<qint64>{1, 3}));
        QTRY_COMPARE(view.plot()->studyFrontTrialIds().size(), 2);
        QVERIFY(view.plot()->studyFrontTrialIds().contains(1) && view.plot()->studyFrontTrialIds().contains(3));

        view.upsertTrials({complete(4, 0.95, 500)});
        QTRY_COMPARE(tableFront(*view.model()), (QList<qint64>{4}));
        QTRY_COMPARE(view.plot()->studyFrontTrialIds(), (QList<qint64>{4}));
    }

    // Several changes in a row: whatever order the rankings finish in, the front shown is that of the last change.
    void latestRequestWins()
    {
        StudyView view;
        view.setStudy(twoObjectives(), {complete(1, 0.5, 1000)});
        for (int i = 2; i <= 30; ++i)
            view.upsertTrials({complete(i, 0.5 + 0.01 * i, 1000.0 + i)}); // each new one is on the front
        view.upsertTrials({complete(31, 0.99, 10)});                      // dominates every other
        QTRY_COMPARE(tableFront(*view.model()), (QList<qint64>{31}));
        QTRY_COMPARE(view.plot()->studyFrontTrialIds(), (QList<qint64>{31}));
    }

    // The table and the plot read one copy of the trials: the trial the table shows is the object the plot shows.
    void tableAndPlotShareOneCopy()
    {
        StudyView view;
        view.setStudy(twoObjectives(), {complete(1, 0.9, 2000)});
        view.upsertTrials({complete(2, 0.8, 1000)});
        QCOMPARE(view.model()->trialSet(), view.trialSet());
        QCOMPARE(view.plot()->trialSet(), view.trialSet());
        QCOMPARE(view.model()->trialAt(1), &view.trialSet()->trials()[1]);
        QCOMPARE(view.model()->trials().data(), view.trialSet()->trials().data());
        QCOMPARE(view.model()->rowCount(), 2);
        QCOMPARE(view.plot()->plottedTrialIds().size(), 2);
    }
};

QTEST_MAIN(TestStudyView)
#include "tst_studyview.moc"
