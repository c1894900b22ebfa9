// SPDX-License-Identifier: GPL-3.0-or-later
// The shortlist and notes: kept as JSON, shown and edited in the trial table, and the candidate cards built from
// the shortlist and the front, filtered, sorted, with a fit mark per target.
#include "models/shortlist.h"
#include "models/trialfilter.h"
#include "models/trialset.h"
#include "models/trialsortproxymodel.h"
#include "models/trialtablemodel.h"
#include "views/candidatecards.h"
#include "views/studyview.h"

#include "psc/study/studyspec.h"

#include "sampletrials.h"

#include <QCheckBox>
#include <QFrame>
#include <QLabel>
#include <QPushButton>
#include <QSignalSpy>
#include <QTableView>
#include <QTest>

using namespace psc;

namespace {

StudySpec twoObjectives()
{
    StudySpec s;
    s.objectives = {{MetricRef{"accuracy", {}}, Direction::Maximize},
                    {MetricRef{"weight_bytes", {}}, Direction::Minimize}};
    s.constraints = {Constraint{MetricRef{"latency_s", "stm32f746zg"}, ComparisonOp::LessEqual, 0.02}};
    return s;
}

/** A complete trial (number id - 1) that fits stm32f746zg or not. */
Trial candidate(qint64 id, double accuracy, double bytes, bool fits)
{
    Trial t = test::completeTrial(id, accuracy, bytes);
    t.metrics.push_back({"stm32f746zg", "latency_s", fits ? 0.010 : 0.030});
    t.metrics.push_back({"stm32f746zg", "feasible", fits ? 1.0 : 0.0});
    t.metrics.push_back({"stm32f746zg", "sram_bytes", 20480});
    return t;
}

QLabel *fitMark(QFrame *card)
{
    return card ? card->findChild<QLabel *>(QStringLiteral("cardFit")) : nullptr;
}

} // namespace

class TestShortlist : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void keptAsJson()
    {
        Shortlist list;
        QSignalSpy changed(&list, &Shortlist::changed);
        list.setStarred(12, true);
        list.setStarred(3, true);
        list.setStarred(12, true); // already: nothing happens
        QCOMPARE(changed.count(), 2);
        QCOMPARE(list.starred(), (QList<qint64>{12, 3}));
        list.setNote(3, QStringLiteral("  fits the M4  "));
        list.setNote(7, QStringLiteral("too slow"));
        list.setNote(7, QString()); // removes it
        QCOMPARE(list.note(3), QStringLiteral("fits the M4"));
        QCOMPARE(list.note(7), QString());
        QCOMPARE(list.toJson(), QStringLiteral(R"({"notes":{"3":"fits the M4"},"starred":[12,3]})"));

        Shortlist back;
        QSignalSpy restored(&back, &Shortlist::restored);
        QSignalSpy edits(&back, &Shortlist::changed);
        QVERIFY(back.restore(list.toJson()));
        QCOMPARE(restored.count(), 1);
        QCOMPARE(edits.count(), 0); // a restore is not an edit: nothing to save
        QCOMPARE(back.starred(), list.starred());
        QCOMPARE(back.note(3), list.note(3));
        // Entries this version cannot read are skipped; a value that is not an object changes nothing.
        QVERIFY(back.restore(
            QStringLiteral(R"({"starred": [1, -2, 2.5, "x", 1, 4], "notes": {"a": "b", "5": 3, "6": "ok"}})")));
        QCOMPARE(back.starred(), (QList<qint64>{1, 4}));
        QCOMPARE(back.notes().size(), std::size_t(1));
        QCOMPARE(back.note(6), QStringLiteral("ok"));
        QVERIFY(!back.restore(QStringLiteral("[1, 2]")));
        QVERIFY(!back.restore(QStringLiteral("{broken")));
        QCOMPARE(back.starred(), (QList<qint64>{1, 4}));
    }

    // The table's ★ column shows the shortlist and a click toggles it; the Note column edits notes in place.
    void tableStarAndNote()
    {
        StudyView view;
        view.setStudy(twoObjectives(),
                      {candidate(1, 0.8, 100, true), candidate(2, 0.9, 300, true), candidate(3, 0.7, 50, false)});
        view.resize(900, 400);
        view.show();
        QVERIFY(QTest::qWaitForWindowExposed(&view));
        TrialTableModel *model = view.model();
        QCOMPARE(model->headerData(TrialTableModel::StarColumn, Qt::Horizontal).toString(), QStringLiteral("★"));
        QCOMPARE(model->headerData(model->noteColumn(), Qt::Horizontal).toString(), QStringLiteral("Note"));
        QTableView *table = view.table();
        const QModelIndex star =
            view.proxy()->mapFromSource(model->index(model->rowOfTrial(2), TrialTableModel::StarColumn));
        QTest::mouseClick(table->viewport(), Qt::LeftButton, {}, table->visualRect(star).center());
        QVERIFY(view.shortlist()->isStarred(1)); // trial id 2 is number 1
        QCOMPARE(star.data().toString(), QStringLiteral("★"));
        QCOMPARE(star.data(TrialTableModel::RawValueRole).toInt(), 1);
        QTest::mouseClick(table->viewport(), Qt::LeftButton, {}, table->visualRect(star).center());
        QVERIFY(!view.shortlist()->isStarred(1));
        QCOMPARE(star.data().toString(), QString());
        // Notes: editable only in the Note column, kept in the shortlist.
        const QModelIndex note = model->index(model->rowOfTrial(3), model->noteColumn());
        QVERIFY(model->flags(note) & Qt::ItemIsEditable);
        QVERIFY(!(model->flags(model->index(0, TrialTableModel::StateColumn)) & Qt::ItemIsEditable));
        QVERIFY(model->setData(note, QStringLiteral("broke latency")));
        QCOMPARE(view.shortlist()->note(2), QStringLiteral("broke latency"));
        QCOMPARE(note.data().toString(), QStringLiteral("broke latency"));
        // A shortlist restored from the study file shows at once.
        view.shortlist()->restore(QStringLiteral(R"({"starred": [0, 2]})"));
        QCOMPARE(model->index(model->rowOfTrial(1), TrialTableModel::StarColumn).data().toString(),
                 QStringLiteral("★"));
        QCOMPARE(model->index(model->rowOfTrial(3), TrialTableModel::StarColumn).data().toString(),
                 QStringLiteral("★"));
        // Another study starts with an empty shortlist.
        view.setStudy(twoObjectives(), {candidate(1, 0.8, 100, true)});
        QVERIFY(view.shortlist()->isEmpty());
    }

    void cardsOfShortlistAndFront()
    {
        TrialSet set;
        // Front (accuracy up, bytes down): 2 (0.9, 300), 1 (0.8, 100), 4 (0.6, 40); 3 is dominated by 1.
        set.reset(twoObjectives(), {candidate(1, 0.8, 100, true), candidate(2, 0.9, 300, false),
                                    candidate(3, 0.7, 150, true), candidate(4, 0.6, 40, true)});
        Shortlist shortlist;
        TrialFilter filter;
        filter.setTrialSet(&set);
        CandidateCards cards(&set);
        cards.setShortlist(&shortlist);
        cards.setTrialFilter(&filter);
        cards.resize(900, 600);
        cards.show();
        QVERIFY(QTest::qWaitForWindowExposed(&cards));
        // The front, best accuracy first.
        QCOMPARE(cards.cardTrials(), (QList<qint64>{2, 1, 4}));
        QCOMPARE(cards.studyTargets(), QStringList{QStringLiteral("stm32f746zg")});
        // A starred trial off the front joins; "Shortlist" alone shows only it.
        shortlist.setStarred(2, true); // number 2 = id 3
        QCOMPARE(cards.cardTrials(), (QList<qint64>{2, 1, 3, 4}));
        QVERIFY(cards.summary()->text().contains(QStringLiteral("4 candidates: 1 starred, 3 on the front")));
        cards.setShow(CandidateCards::Show::Shortlist);
        QCOMPARE(cards.cardTrials(), (QList<qint64>{3}));
        cards.setShow(CandidateCards::Show::ShortlistAndFront);
        // Sorted by size, smallest first; reversed, largest first.
        QVERIFY(cards.setSortMetric(MetricRef{"weight_bytes", {}}));
        QCOMPARE(cards.cardTrials(), (QList<qint64>{4, 1, 3, 2}));
        QVERIFY(cards.setSortMetric(MetricRef{"weight_bytes", {}}, true));
        QCOMPARE(cards.cardTrials(), (QList<qint64>{2, 3, 1, 4}));
        // The fit mark per target follows the stored feasibility; without targets shown there is none.
        QCOMPARE(fitMark(cards.card(1))->text(), QStringLiteral("✔"));
        QCOMPARE(fitMark(cards.card(2))->text(), QStringLiteral("✘"));
        cards.setShownTargets({});
        QCOMPARE(cards.cardTrials().size(), 4);
        QVERIFY(!fitMark(cards.card(1)));
        cards.setShownTargets({QStringLiteral("stm32f746zg")});
        // The study's filter applies to the cards too.
        QVERIFY(filter.setExpression(
            QStringLiteral("latency_s@stm32f746zg < 20 ms"),
            {MetricRef{"accuracy", {}}, MetricRef{"weight_bytes", {}}, MetricRef{"latency_s", "stm32f746zg"}}));
        QCOMPARE(cards.cardTrials(), (QList<qint64>{3, 1, 4}));
        filter.clear();
        // A card's star toggles the shortlist; a click on a card selects its trial.
        QSignalSpy clicked(&cards, &CandidateCards::trialClicked);
        QTest::mouseClick(cards.card(4), Qt::LeftButton, {}, QPoint(5, 5));
        QCOMPARE(clicked.count(), 1);
        QCOMPARE(clicked.front().front().toLongLong(), qint64(4));
        // Compare needs two to four ticked cards.
        QSignalSpy compare(&cards, &CandidateCards::compareRequested);
        cards.card(1)->findChild<QCheckBox *>(QStringLiteral("cardCompare"))->setChecked(true);
        QVERIFY(!cards.compareButton()->isEnabled());
        cards.card(4)->findChild<QCheckBox *>(QStringLiteral("cardCompare"))->setChecked(true);
        QVERIFY(cards.compareButton()->isEnabled());
        QTest::mouseClick(cards.compareButton(), Qt::LeftButton);
        QCOMPARE(compare.count(), 1);
        QCOMPARE(compare.front().front().value<QList<qint64>>(), (QList<qint64>{1, 4})); // in card order (size, desc)
    }
};

QTEST_MAIN(TestShortlist)
#include "tst_shortlist.moc"
