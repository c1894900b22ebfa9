// SPDX-License-Identifier: GPL-3.0-or-later
#include "models/trialsortproxymodel.h"
#include "models/trialsummary.h"
#include "models/trialtablemodel.h"

#include "psc/study/lineage.h"
#include "psc/study/studyspec.h"

#include "sampletrials.h"

#include <QAbstractItemModelTester>
#include <QSignalSpy>
#include <QTest>

#include <memory>

using namespace psc;

namespace {

Trial pending(qint64 id)
{
    return psc::test::sampleTrial(id, TrialState::Pending);
}

/** The demo study with model-metric objectives only: max accuracy, min weight_bytes, min macs. */
StudySpec demoSpec()
{
    StudySpec spec = StudySpec::fromFile(PSC_SOURCE_DIR "/resources/studies/fashion-mnist-demo.json");
    spec.objectives = {{{"accuracy", ""}, Direction::Maximize},
                       {{"weight_bytes", ""}, Direction::Minimize},
                       {{"macs", ""}, Direction::Minimize}};
    spec.constraints.clear();
    return spec;
}

Trial complete(qint64 id, double accuracy, double weightBytes, double macs)
{
    return psc::test::sampleTrial(id, TrialState::Complete,
                                  {{"", "accuracy", accuracy}, {"", "macs", macs}, {"", "weight_bytes", weightBytes}});
}

} // namespace

class TestTrialTableModel : public QObject
{
    Q_OBJECT

private:
    int column(const TrialTableModel &model, const std::string &metric)
    {
        for (int c = 0; c < model.columnCount(); ++c)
            if (const MetricRef *ref = model.metricAt(c); ref && ref->name == metric)
                return c;
        return -1;
    }
    QStringList columnText(const QAbstractItemModel &model, int col, int role = Qt::DisplayRole)
    {
        QStringList out;
        for (int r = 0; r < model.rowCount(); ++r)
            out << model.index(r, col).data(role).toString();
        return out;
    }

private Q_SLOTS:
    void columnsAndValues()
    {
        TrialTableModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::Fatal);
        model.setStudy(demoSpec(), {complete(1, 0.8512, 21913, 2.2e6), pending(2)});
        QCOMPARE(model.rowCount(), 2);
        // #, shortlist, state, front, origin, the 11 model metrics (objectives first), error, note
        QCOMPARE(model.columnCount(), 5 + 11 + 2);
        QCOMPARE(model.metricAt(TrialTableModel::FirstMetricColumn)->name, std::string("accuracy"));
        QCOMPARE(model.metricAt(TrialTableModel::FirstMetricColumn + 1)->name, std::string("weight_bytes"));
        QCOMPARE(model.metricAt(TrialTableModel::FirstMetricColumn + 2)->name, std::string("macs"));
        QCOMPARE(model.headerData(TrialTableModel::FirstMetricColumn, Qt::Horizontal).toString(),
                 QStringLiteral("Validation accuracy ↑"));
        QVERIFY(!model.headerData(TrialTableModel::FirstMetricColumn, Qt::Horizontal, Qt::ToolTipRole)
                     .toString()
                     .isEmpty());

        const int acc = column(model, "accuracy");
        const int wb = column(model, "weight_bytes");
        const int macs = column(model, "macs");
        QCOMPARE(model.index(0, acc).data().toString(), QStringLiteral("85.12 %"));
        QCOMPARE(model.index(0, wb).data().toString(), QStringLiteral("21.4 KiB"));
        QCOMPARE(model.index(0, macs).data().toString(), QStringLiteral("2.20 M"));
        QCOMPARE(model.index(0, acc).data(TrialTableModel::RawValueRole).toDouble(), 0.8512);
        QCOMPARE(model.index(0, TrialTableModel::StateColumn).data().toString(), QStringLiteral("complete"));
        QCOMPARE(model.index(0, TrialTableModel::FrontColumn).data().toString(), QStringLiteral("◆"));
        QCOMPARE(model.index(1, TrialTableModel::StateColumn).data().toString(), QStringLiteral("pending"));
        QVERIFY(!model.index(1, acc).data(TrialTableModel::RawValueRole).isValid());
        QCOMPARE(model.index(1, acc).data().toString(), QString());
        QCOMPARE(model.index(1, 0).data(TrialTableModel::TrialIdRole).toLongLong(), 2);
        const QString tip = model.index(0, acc).data(Qt::ToolTipRole).toString();
        QVERIFY2(tip.contains(QStringLiteral("Trial 0")) && tip.contains(QStringLiteral("85.12 %")) &&
                     tip.contains(QStringLiteral("Pareto front")),
                 qPrintable(tip));
    }

    // The Origin column tells search trials from compressed children (with their parent and variant) and imports.
    void originColumn()
    {
        TrialTableModel model;
        Trial parent = complete(1, 0.85, 20000, 2e6);
        Trial child = complete(2, 0.84, 10000, 2e6);
        child.parentId = 1;
        child.parametersJson = encodeCompressionLineage(R"({"name": "int4", "weight_bits": 4})", parent.number);
        Trial imported = complete(3, 0.80, 5000, 1e6);
        imported.parametersJson = encodeImportLineage("model.tflite", "tflite", "00");
        model.setStudy(demoSpec(), {parent, child, imported});
        const auto origin = [&](int row) { return model.index(row, TrialTableModel::OriginColumn).data().toString(); };
        QCOMPARE(origin(0), QStringLiteral("search"));
        QCOMPARE(origin(1), QStringLiteral("from 0: int4"));
        QCOMPARE(origin(2), QStringLiteral("imported (tflite)"));
        QCOMPARE(model.headerData(TrialTableModel::OriginColumn, Qt::Horizontal).toString(), QStringLiteral("Origin"));
        QCOMPARE(model.columnKey(TrialTableModel::OriginColumn), QStringLiteral("origin"));
        QCOMPARE(model.columnKey(TrialTableModel::FirstMetricColumn), QStringLiteral("accuracy"));
    }

    // A hover shows a few lines: the study's metrics only; the rest is counted and left to the inspector, which
    // shows every metric.
    void tooltipsStayShort()
    {
        TrialTableModel model;
        Trial t = complete(1, 0.8512, 21913, 2.2e6);
        for (int i = 0; i < 40; ++i)
            t.metrics.push_back({"board" + std::to_string(i), "utilization", 0.213148});
        model.setStudy(demoSpec(), {t});
        const QString tip = model.index(0, TrialTableModel::StateColumn).data(Qt::ToolTipRole).toString();
        QVERIFY2(!tip.contains(QStringLiteral("board")) && tip.count(QStringLiteral("<tr>")) == 3 &&
                     tip.contains(QStringLiteral("40 more metrics")),
                 qPrintable(tip));
        const QString details = trialDetailsHtml(t, demoSpec(), true, {t});
        QCOMPARE(details.count(QStringLiteral("<tr>")), 3 + 1 + 40); // the study's, a heading, the others
        QVERIFY(details.contains(QStringLiteral("@board39")) || details.contains(QStringLiteral("board39")));
    }

    void incrementalUpserts()
    {
        TrialTableModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::Fatal);
        model.setStudy(demoSpec(), {complete(1, 0.80, 20000, 2e6)});
        QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
        QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
        QSignalSpy reset(&model, &QAbstractItemModel::modelReset);

        model.upsertTrials({pending(2), pending(3)});
        QCOMPARE(model.rowCount(), 3);
        QCOMPARE(inserted.size(), 1);
        QCOMPARE(inserted.at(0).at(1).toInt(), 1);
        QCOMPARE(inserted.at(0).at(2).toInt(), 2);

        // Trial 2 finishes and dominates trial 1: its row changes, and trial 1 leaves the front.
        Trial better = complete(2, 0.90, 10000, 1e6);
        model.upsertTrials({better});
        QCOMPARE(model.rowCount(), 3);
        QCOMPARE(inserted.size(), 1);
        QCOMPARE(reset.size(), 0);
        QVERIFY(changed.size() >= 1);
        QCOMPARE(model.index(1, TrialTableModel::StateColumn).data().toString(), QStringLiteral("complete"));
        QVERIFY(model.isOnFront(1));
        QVERIFY(!model.isOnFront(0));
        bool row0Reported = false;
        for (const auto &args : changed) {
            const auto topLeft = args.at(0).value<QModelIndex>();
            const auto bottomRight = args.at(1).value<QModelIndex>();
            row0Reported |= topLeft.row() <= 0 && bottomRight.row() >= 0;
        }
        QVERIFY2(row0Reported, "the row that left the front must be reported as changed");

        // Mixed batch: one update, one insert, a duplicate of the insert.
        Trial failed = pending(3);
        failed.state = TrialState::Failed;
        failed.error = "loss became NaN";
        model.upsertTrials({failed, pending(4), pending(4)});
        QCOMPARE(model.rowCount(), 4);
        QCOMPARE(model.index(2, model.errorColumn()).data().toString(), QStringLiteral("loss became NaN"));
        QCOMPARE(model.rowOfTrial(4), 3);
        QCOMPARE(model.rowOfTrial(99), -1);

        model.clear();
        QCOMPARE(model.rowCount(), 0);
    }

    void sorting()
    {
        TrialTableModel model;
        TrialSortProxyModel proxy;
        proxy.setSourceModel(&model);
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::Fatal);
        QAbstractItemModelTester proxyTester(&proxy, QAbstractItemModelTester::FailureReportingMode::Fatal);
        // 9.8 KiB < 12.0 KiB < 100.0 KiB numerically, but not as text.
        model.setStudy(demoSpec(), {complete(1, 0.70, 12 * 1024, 3e6), complete(2, 0.85, 100 * 1024, 5e6), pending(3),
                                    complete(4, 0.60, 9.8 * 1024, 1e6)});
        const int wb = column(model, "weight_bytes");
        const int acc = column(model, "accuracy");

        proxy.sort(wb, Qt::AscendingOrder);
        QCOMPARE(columnText(proxy, TrialTableModel::NumberColumn), (QStringList{"3", "0", "1", "2"}));
        QCOMPARE(columnText(proxy, wb), (QStringList{"9.8 KiB", "12.0 KiB", "100.0 KiB", ""}));
        proxy.sort(wb, Qt::DescendingOrder);
        QCOMPARE(columnText(proxy, wb), (QStringList{"100.0 KiB", "12.0 KiB", "9.8 KiB", ""}));

        proxy.sort(acc, Qt::DescendingOrder);
        QCOMPARE(columnText(proxy, TrialTableModel::NumberColumn), (QStringList{"1", "0", "3", "2"}));

        // Live updates keep the order: the pending trial finishes with the best accuracy.
        model.upsertTrials({complete(3, 0.95, 8 * 1024, 1e6), complete(5, 0.75, 30000, 2e6)});
        QCOMPARE(columnText(proxy, TrialTableModel::NumberColumn), (QStringList{"2", "1", "4", "0", "3"}));

        proxy.sort(TrialTableModel::NumberColumn, Qt::AscendingOrder);
        QCOMPARE(columnText(proxy, TrialTableModel::NumberColumn), (QStringList{"0", "1", "2", "3", "4"}));
        proxy.sort(TrialTableModel::StateColumn, Qt::AscendingOrder);
        proxy.sort(TrialTableModel::FrontColumn, Qt::DescendingOrder);
        QCOMPARE(proxy.index(0, TrialTableModel::FrontColumn).data().toString(), QStringLiteral("◆"));
    }
};

QTEST_MAIN(TestTrialTableModel)
#include "tst_trialtablemodel.moc"
