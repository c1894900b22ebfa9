// SPDX-License-Identifier: GPL-3.0-or-later
// DeploymentView: a trial's exports, newest first, each with what was measured beside what was estimated.
#include "views/deploymentview.h"

#include <QLabel>
#include <QTest>
#include <QTreeWidget>

using namespace psc;

namespace {

ExportRecord record(const std::string &format, const std::string &path, std::int64_t bytes, const std::string &figures)
{
    ExportRecord e;
    e.format = format;
    e.path = path;
    e.bytes = bytes;
    e.sha256 = std::string(64, 'a');
    e.figuresJson = figures;
    e.createdAt = 1796000000.0;
    return e;
}

} // namespace

class TestDeploymentView : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void showsMeasuredBesideEstimated()
    {
        Trial trial;
        trial.id = 7;
        trial.number = 4;
        trial.metrics = {{"", "weight_bytes", 1000.0}};
        const ExportRecord c =
            record("c", "/tmp/m.c", 90000,
                   R"({"arena_bytes": 2048, "cortex_m": [{"target": "stm32f746zg", "core": "cortex-m7",
                                          "machine": "mps2-an500", "text_bytes": 1000, "rodata_bytes": 3000,
                                          "data_bytes": 0, "bss_bytes": 2048, "instructions": 200000,
                                          "c_flash_bytes": 4040, "c_sram_bytes": 2048, "c_instructions": 190000}]})");
        ExportRecord tflite = record("tflite", "/tmp/m.tflite", 4000, "{}");
        tflite.warnings = {"layer a: 4-bit weights stored as int8"};
        const ExportRecord old = record("c", "/tmp/old.c", 80000, R"({"arena_bytes": 2048})");
        DeploymentView view;
        view.setExports(trial, {old, c, tflite});
        const QTreeWidget *tree = view.tree();
        QCOMPARE(tree->topLevelItemCount(), 3);
        // Newest (last recorded) first.
        QCOMPARE(tree->topLevelItem(0)->text(0), QStringLiteral("TFLITE  m.tflite"));
        QVERIFY(tree->topLevelItem(0)->text(4).endsWith(QStringLiteral("1 warning(s)")));
        QVERIFY(tree->topLevelItem(0)->toolTip(4).contains(QStringLiteral("4-bit weights stored as int8")));
        const QTreeWidgetItem *file = tree->topLevelItem(0)->child(0);
        QCOMPARE(file->text(0), QStringLiteral("file"));
        QCOMPARE(file->text(3), QStringLiteral("-75.00 %")); // (1000 - 4000) / 4000
        QVERIFY(!file->toolTip(3).isEmpty());

        const QTreeWidgetItem *measured = tree->topLevelItem(1);
        QCOMPARE(measured->text(0), QStringLiteral("C  m.c"));
        QCOMPARE(measured->childCount(), 3);
        QCOMPARE(measured->child(0)->text(0), QStringLiteral("flash"));
        QCOMPARE(measured->child(0)->text(3), QStringLiteral("+1.00 %")); // 4040 vs 1000 + 3000
        QCOMPARE(measured->child(1)->text(3), QStringLiteral("+0.00 %"));
        QCOMPARE(measured->child(2)->text(0), QStringLiteral("instructions"));
        QCOMPARE(measured->child(2)->text(3), QStringLiteral("-5.00 %"));
        QVERIFY(measured->child(2)->text(4).startsWith(QStringLiteral("c_instructions@stm32f746zg vs ")));
        QVERIFY(measured->child(2)->text(4).contains(QStringLiteral("cortex-m7 (QEMU mps2-an500)")));

        QCOMPARE(tree->topLevelItem(2)->childCount(), 1);
        QCOMPARE(tree->topLevelItem(2)->child(0)->text(0), QStringLiteral("not measured"));
    }

    void emptyAndCleared()
    {
        Trial trial;
        trial.number = 3;
        DeploymentView view;
        view.setExports(trial, {});
        QCOMPARE(view.tree()->topLevelItemCount(), 0);
        QVERIFY(view.findChild<QLabel *>(QStringLiteral("deploymentHeader"))->text().contains("has not been exported"));
        view.setExports(trial, {record("onnx", "/tmp/x.onnx", 10, "{}")});
        QCOMPARE(view.tree()->topLevelItemCount(), 1);
        QCOMPARE(view.tree()->topLevelItem(0)->childCount(), 0); // no weight_bytes metric to compare with
        view.clear();
        QCOMPARE(view.tree()->topLevelItemCount(), 0);
    }
};

QTEST_MAIN(TestDeploymentView)
#include "tst_deploymentview.moc"
