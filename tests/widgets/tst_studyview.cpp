// SPDX-License-Identifier: GPL-3.0-or-later
// StudyView ranks the study's front off the GUI thread for the table and the plot together; the latest request wins.
#include "models/trialset.h"
#include "models/trialtablemodel.h"
#include "plot/paretoplotwidget.h"
#include "views/studyview.h"

#include "psc/study/studyspec.h"

#include "sampletrials.h"

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
