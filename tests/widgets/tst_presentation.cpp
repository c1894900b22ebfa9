// SPDX-License-Identifier: GPL-3.0-or-later
// The presentation: its views kept as JSON, and the window that steps through them with the keyboard.
#include "models/presentation.h"
#include "models/shortlist.h"
#include "models/trialset.h"
#include "views/compareview.h"
#include "views/presentationwindow.h"

#include "psc/study/lineage.h"
#include "psc/study/studyspec.h"

#include "sampletrials.h"

#include <qcustomplot.h>

#include <QFrame>
#include <QLabel>
#include <QSignalSpy>
#include <QTest>

using namespace psc;

namespace {

StudySpec spec()
{
    StudySpec s;
    s.objectives = {{MetricRef{"accuracy", {}}, Direction::Maximize},
                    {MetricRef{"weight_bytes", {}}, Direction::Minimize}};
    return s;
}

Slide slide(Slide::Kind kind, QList<qint64> trials, const QString &title)
{
    Slide s;
    s.kind = kind;
    s.trials = std::move(trials);
    s.title = title;
    s.note = title + QStringLiteral(" note");
    if (kind == Slide::Kind::Front || kind == Slide::Kind::CompressionPath) {
        s.x = MetricRef{"weight_bytes", {}};
        s.y = MetricRef{"accuracy", {}};
    }
    return s;
}

} // namespace

class TestPresentation : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void keptAsJson()
    {
        Presentation p;
        QSignalSpy changed(&p, &Presentation::changed);
        p.append(slide(Slide::Kind::Front, {}, QStringLiteral("The front")));
        p.append(slide(Slide::Kind::Card, {3}, QStringLiteral("Trial 3")));
        p.append(slide(Slide::Kind::Compare, {3, 5}, QStringLiteral("3 and 5")));
        p.setDark(false);
        p.move(2, -1);
        p.setNote(0, QStringLiteral("88 % under 14 KiB"));
        QCOMPARE(changed.count(), 6);
        QCOMPARE(p.slides()[1].kind, Slide::Kind::Compare);
        Presentation back;
        QSignalSpy edits(&back, &Presentation::changed);
        QVERIFY(back.restore(p.toJson()));
        QCOMPARE(edits.count(), 0);
        QCOMPARE(back.slides(), p.slides());
        QVERIFY(!back.isDark());
        // Views this version cannot read are skipped; something that is not an object changes nothing.
        QVERIFY(back.restore(QStringLiteral(
            R"({"slides": [{"kind": "movie"}, {"kind": "card"}, {"kind": "front", "x": "Bad Metric!", "y": "accuracy"},
                           {"kind": "card", "trials": [4], "title": "ok"}]})")));
        QCOMPARE(back.size(), 1);
        QCOMPARE(back.slides()[0].trials, (QList<qint64>{4}));
        QVERIFY(back.isDark()); // the default theme
        QVERIFY(!back.restore(QStringLiteral("[]")));
        QCOMPARE(back.size(), 1);
        back.remove(0);
        QCOMPARE(back.size(), 0);
    }

    void windowStepsThroughTheViews()
    {
        TrialSet set;
        Trial parent = test::completeTrial(1, 0.9, 4000);
        Trial child = test::completeTrial(2, 0.88, 1000);
        child.parentId = 1;
        child.parametersJson = encodeCompressionLineage(R"({"name": "int4", "weight_bits": 4})", 0);
        set.reset(spec(), {parent, child, test::completeTrial(3, 0.7, 3000)});
        Presentation p;
        p.append(slide(Slide::Kind::Front, {}, QStringLiteral("The front")));
        p.append(slide(Slide::Kind::CompressionPath, {0}, QStringLiteral("Compressing trial 0")));
        p.append(slide(Slide::Kind::Card, {1}, QStringLiteral("Trial 1")));
        p.append(slide(Slide::Kind::Compare, {0, 1}, QStringLiteral("Side by side")));
        p.append(slide(Slide::Kind::Card, {42}, QStringLiteral("Gone")));
        Shortlist shortlist;
        PresentationWindow w(&set, &p, &shortlist, nullptr);
        w.resize(1280, 720);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QCOMPARE(w.title()->text(), QStringLiteral("The front"));
        QCOMPARE(w.note()->text(), QStringLiteral("The front note"));
        QVERIFY(w.position()->text().startsWith(QStringLiteral("1 / 5")));
        auto *plot = qobject_cast<QCustomPlot *>(w.content());
        QVERIFY(plot);
        int points = 0;
        for (int g = 0; g < plot->graphCount(); ++g)
            points += plot->graph(g)->dataCount();
        QCOMPARE(points, 3);
        QVERIFY(plot->xAxis->label().startsWith(QStringLiteral("Weight memory")));
        // Large type.
        QVERIFY(w.title()->font().pointSizeF() >= 24);

        QTest::keyClick(&w, Qt::Key_Right);
        QCOMPARE(w.currentSlide(), 1);
        plot = qobject_cast<QCustomPlot *>(w.content());
        QVERIFY(plot);
        QCOMPARE(plot->itemCount(), 1 + 2); // one arrow, two labels
        bool labelled = false;
        for (int i = 0; i < plot->itemCount(); ++i)
            if (auto *text = qobject_cast<QCPItemText *>(plot->item(i)))
                labelled = labelled || text->text() == QLatin1String("int4");
        QVERIFY(labelled);

        QTest::keyClick(&w, Qt::Key_Space);
        QVERIFY(w.content()->findChild<QFrame *>(QStringLiteral("candidateCard")));
        QTest::keyClick(&w, Qt::Key_PageDown);
        auto *compare = qobject_cast<CompareView *>(w.content());
        QVERIFY(compare);
        QCOMPARE(compare->trials().size(), std::size_t(2));
        // Arrows still step although the compare view has tables.
        QTest::keyClick(&w, Qt::Key_Right);
        QCOMPARE(w.currentSlide(), 4);
        auto *message = qobject_cast<QLabel *>(w.content());
        QVERIFY(message && message->text().contains(QStringLiteral("Trial 42 is not in this study")));
        QTest::keyClick(&w, Qt::Key_Right); // the last stays
        QCOMPARE(w.currentSlide(), 4);
        QTest::keyClick(&w, Qt::Key_Home);
        QCOMPARE(w.currentSlide(), 0);
        QTest::keyClick(&w, Qt::Key_Left);
        QCOMPARE(w.currentSlide(), 0);
        QTest::keyClick(&w, Qt::Key_End);
        QCOMPARE(w.currentSlide(), 4);
        QTest::keyClick(&w, Qt::Key_Up);
        QCOMPARE(w.currentSlide(), 3);

        // T switches the theme, kept with the presentation.
        QVERIFY(p.isDark());
        const QColor dark = w.palette().color(QPalette::Window);
        QTest::keyClick(&w, Qt::Key_T);
        QVERIFY(!p.isDark());
        QVERIFY(w.palette().color(QPalette::Window).lightness() > dark.lightness());
        QCOMPARE(w.currentSlide(), 3);
        QTest::keyClick(&w, Qt::Key_Escape);
        QVERIFY(!w.isVisible());
    }
};

QTEST_MAIN(TestPresentation)
#include "tst_presentation.moc"
