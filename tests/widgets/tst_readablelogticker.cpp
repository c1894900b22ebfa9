// SPDX-License-Identifier: GPL-3.0-or-later
// Log axes label short ranges: 1-2-5 or 1..9 ticks instead of powers of ten only (cases worked by hand).
#include "plot/readablelogticker.h"

#include <QTest>

#include <qcustomplot.h>

using namespace psc;

class TestReadableLogTicker : public QObject
{
    Q_OBJECT

    static void compareTicks(const QVector<double> &got, const QVector<double> &expected)
    {
        QCOMPARE(got.size(), expected.size());
        for (int i = 0; i < got.size(); ++i)
            QVERIFY2(qFuzzyCompare(got[i], expected[i]), qPrintable(QString::number(got[i])));
    }

private Q_SLOTS:
    void shortRangesGetMoreTicks()
    {
        // 2 ms to 40 ms, 1.3 decades: 1-2-5, one tick beyond each end.
        compareTicks(readableLogTicks(2e-3, 4e-2), {1e-3, 2e-3, 5e-3, 1e-2, 2e-2, 5e-2});
        // Within a decade: every digit.
        compareTicks(readableLogTicks(3, 7), {2, 3, 4, 5, 6, 7, 8});
        // 2.5 decades: 1 and 3.
        compareTicks(readableLogTicks(2, 500), {1, 3, 10, 30, 100, 300, 1000});
        // Three decades or more, or a range that is not positive: QCustomPlot's own decades.
        QVERIFY(readableLogTicks(1, 1000).isEmpty());
        QVERIFY(readableLogTicks(0, 5).isEmpty());
    }

    void theTickerLabelsThem()
    {
        QCustomPlot plot;
        plot.xAxis->setScaleType(QCPAxis::stLogarithmic);
        plot.xAxis->setTicker(createReadableLogTicker());
        plot.xAxis->setRange(2e-3, 4e-2);
        plot.resize(600, 400);
        plot.replot();
        // The axis keeps the ticks inside its range: 2, 5, 10 and 20 ms, each labelled.
        QCOMPARE(plot.xAxis->tickVector().size(), 4);
        QCOMPARE(plot.xAxis->tickVectorLabels().size(), 4);
        QCOMPARE(plot.xAxis->subTicks(), true); // the axis keeps its setting; the ticker gives none for short ranges
        plot.xAxis->setRange(1e-3, 10);
        plot.replot();
        QCOMPARE(plot.xAxis->tickVector().first(), 1e-3); // decades again
        QVERIFY(plot.xAxis->tickVector().size() <= 6);
    }
};

QTEST_MAIN(TestReadableLogTicker)
#include "tst_readablelogticker.moc"
