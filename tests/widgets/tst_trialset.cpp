// SPDX-License-Identifier: GPL-3.0-or-later
// TrialSet: one copy of a study's trials with their ranks, and the signals its views rely on; LatestRequest.
#include "models/latestrequest.h"
#include "models/trialset.h"

#include "psc/study/studyspec.h"

#include "sampletrials.h"

#include <QSignalSpy>
#include <QTest>

#include <cmath>

#include <atomic>
#include <memory>
#include <thread>

using namespace psc;

namespace {

using psc::test::completeTrial;

Trial complete(qint64 id, double accuracy, double weightBytes)
{
    return completeTrial(id, accuracy, weightBytes);
}

Trial pending(qint64 id)
{
    return psc::test::sampleTrial(id, TrialState::Pending);
}

/** Two objectives: max accuracy, min weight_bytes. */
StudySpec twoObjectives()
{
    StudySpec spec;
    spec.name = "two";
    spec.objectives = {{{"accuracy", ""}, Direction::Maximize}, {{"weight_bytes", ""}, Direction::Minimize}};
    return spec;
}

} // namespace

class TestTrialSet : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    // A metric column is read once, follows added and replaced trials, and is forgotten with the trials.
    void columnsFollowTheTrials()
    {
        TrialSet set;
        set.reset(twoObjectives(), {complete(1, 0.9, 2000), pending(2)});
        const MetricRef bytes{"weight_bytes", {}};
        const std::vector<double> &column = set.column(bytes);
        QCOMPARE(column.size(), std::size_t(2));
        QCOMPARE(column[0], 2000.0);
        QVERIFY(std::isnan(column[1]));
        QVERIFY(set.facts()[1].state == TrialState::Pending);
        QCOMPARE(set.facts()[0].id, qint64(1));
        set.upsert({complete(2, 0.8, 500), complete(3, 0.7, 100)});
        QCOMPARE(set.column(bytes), (std::vector<double>{2000.0, 500.0, 100.0}));
        QCOMPARE(set.facts().size(), std::size_t(3));
        QVERIFY(set.facts()[1].state == TrialState::Complete);
        QCOMPARE(set.facts()[2].id, qint64(3));
        set.reset(twoObjectives(), {complete(7, 0.5, 42)});
        QCOMPARE(set.column(bytes), std::vector<double>{42.0});
        QCOMPARE(set.facts().size(), std::size_t(1));
        set.clear();
        QVERIFY(set.column(bytes).empty());
    }

    // By hand: trial 1 (0.9, 2000 B) dominates trial 2 (0.8, 3000 B): ranks 0 and 1; trial 3 (0.7, 1000 B) is on
    // the front too; a pending trial takes no part (-1).
    void immediateRanksOnReset()
    {
        TrialSet set;
        QSignalSpy reset(&set, &TrialSet::wasReset);
        QSignalSpy updated(&set, &TrialSet::updated);
        set.reset(twoObjectives(),
                  {complete(1, 0.9, 2000), complete(2, 0.8, 3000), complete(3, 0.7, 1000), pending(4)});
        QCOMPARE(reset.count(), 1);
        QCOMPARE(updated.count(), 1);
        QVERIFY(set.hasStudy());
        QCOMPARE(set.ranks(), (std::vector<int>{0, 1, 0, -1}));
        QCOMPARE(set.indexOf(3), 2);
        QVERIFY(set.find(4)->state == TrialState::Pending);
        QCOMPARE(set.find(99), nullptr);
        QCOMPARE(set.rank(99), -1);
    }

    // Upserting replaces known trials in place and appends new ones (a duplicate once), and reports the rows whose
    // front membership changed: trial 4 (0.95, 500 B) dominates 1 and 3, which leave the front.
    void upsertReportsAddedChangedAndFront()
    {
        TrialSet set;
        set.reset(twoObjectives(),
                  {complete(1, 0.9, 2000), complete(2, 0.8, 3000), complete(3, 0.7, 1000), pending(4)});
        QSignalSpy aboutToAdd(&set, &TrialSet::trialsAboutToBeAdded);
        QSignalSpy added(&set, &TrialSet::trialsAdded);
        QSignalSpy changed(&set, &TrialSet::trialsChanged);
        QSignalSpy front(&set, &TrialSet::frontChanged);
        QSignalSpy updated(&set, &TrialSet::updated);
        set.upsert({complete(4, 0.95, 500), complete(5, 0.1, 9000), complete(5, 0.1, 9000)});
        QCOMPARE(aboutToAdd.count(), 1);
        QCOMPARE(aboutToAdd.at(0).at(0).toInt(), 4);
        QCOMPARE(aboutToAdd.at(0).at(1).toInt(), 4);
        QCOMPARE(added.count(), 1);
        QCOMPARE(set.size(), 5);
        QCOMPARE(changed.count(), 1);
        QCOMPARE(changed.at(0).at(0).value<QList<int>>(), (QList<int>{3}));
        QCOMPARE(front.count(), 1);
        QCOMPARE(front.at(0).at(0).value<QList<int>>(), (QList<int>{0, 2, 3}));
        QCOMPARE(updated.count(), 1);
        QCOMPARE(set.ranks(), (std::vector<int>{1, 2, 1, 0, 3}));

        set.upsert({});
        QCOMPARE(updated.count(), 1); // nothing to do, nothing said
    }

    // Background ranking: the trials are there at once (rank -1), the ranks arrive later; a reset drops a ranking
    // of the old trials that is still on its way.
    void backgroundRanksArriveLater()
    {
        TrialSet set;
        set.setRanking(TrialSet::Ranking::Background);
        set.reset(twoObjectives(), {complete(1, 0.9, 2000), complete(2, 0.8, 3000)});
        QCOMPARE(set.size(), 2);
        QCOMPARE(set.ranks().size(), std::size_t(2));
        QVERIFY(set.isRanking());
        QTRY_VERIFY(!set.isRanking());
        QCOMPARE(set.ranks(), (std::vector<int>{0, 1}));

        set.upsert({complete(3, 0.99, 100)});
        QCOMPARE(set.rank(2), -1); // not ranked yet
        QTRY_COMPARE(set.ranks(), (std::vector<int>{1, 2, 0}));

        set.upsert({complete(4, 0.999, 50)});
        set.reset(twoObjectives(), {complete(7, 0.5, 5000)}); // the ranking of trials 1-4 must not land on trial 7
        QTRY_VERIFY(!set.isRanking());
        QCOMPARE(set.ranks(), (std::vector<int>{0}));
        // Every ranking has finished and every result has been delivered: the stale ones changed nothing.
        QThreadPool::globalInstance()->waitForDone();
        QCoreApplication::processEvents();
        QCOMPARE(set.ranks(), (std::vector<int>{0}));
        QCOMPARE(set.size(), 1);
    }

    void clearForgetsTheStudy()
    {
        TrialSet set;
        set.reset(twoObjectives(), {complete(1, 0.9, 2000)});
        set.clear();
        QVERIFY(!set.hasStudy());
        QCOMPARE(set.size(), 0);
        QVERIFY(set.ranks().empty());
        QCOMPARE(set.indexOf(1), -1);
    }

    // The latest of several requests is delivered, older ones are dropped, whatever order they finish in.
    void latestRequestDeliversOnlyTheLatest()
    {
        QObject receiver;
        LatestRequest request(&receiver);
        QList<int> delivered;
        std::atomic<bool> release{false};
        // The first request is held until the second has finished: it finishes last, and must still be dropped.
        request.run(
            [&release] {
                while (!release.load())
                    std::this_thread::yield();
                return 1;
            },
            [&delivered](int v) { delivered << v; });
        request.run([] { return 2; }, [&delivered](int v) { delivered << v; });
        QTRY_COMPARE(delivered, (QList<int>{2}));
        QVERIFY(!request.isBusy());
        release = true;
        QThreadPool::globalInstance()->waitForDone();
        QCoreApplication::processEvents();
        QCOMPARE(delivered, (QList<int>{2}));
    }

    // A result that arrives after its LatestRequest (and receiver) are gone goes nowhere.
    void resultsAfterDestructionAreDropped()
    {
        auto delivered = std::make_shared<int>(0);
        std::atomic<bool> release{false};
        {
            QObject receiver;
            LatestRequest request(&receiver);
            request.run(
                [&release] {
                    while (!release.load())
                        std::this_thread::yield();
                    return 1;
                },
                [delivered](int) { ++*delivered; });
        }
        release = true;
        QThreadPool::globalInstance()->waitForDone();
        QCoreApplication::processEvents();
        QCOMPARE(*delivered, 0);
    }
};

QTEST_MAIN(TestTrialSet)
#include "tst_trialset.moc"
