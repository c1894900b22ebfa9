// SPDX-License-Identifier: GPL-3.0-or-later
#include "views/compressdialog.h"

#include "psc/core/error.h"

#include "testsupport.h"

#include <QApplication>
#include <QFile>
#include <QLabel>
#include <QPushButton>
#include <QSignalSpy>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include <atomic>

using namespace psc;
using psc::test::writeFile;

namespace {

const QString kExample = QStringLiteral(PSC_SOURCE_DIR "/resources/compress/fashion-mnist-demo.json");

CompressionVariant variant(const char *json)
{
    return CompressionConfig::fromJson(std::string(R"({"variants": [)") + json + "]}").variants.front();
}

} // namespace

class TestCompressDialog : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;

private Q_SLOTS:
    void describesVariants()
    {
        QCOMPARE(CompressDialog::describeVariant(variant(R"({"name": "a", "weight_bits": 4})")),
                 QStringLiteral("weights 4 bit"));
        QCOMPARE(CompressDialog::describeVariant(
                     variant(R"({"name": "a", "activation_bits": 6, "sparsity": {"pattern": "dbb", "block_size": 8,
                                 "max_nonzeros": 2}, "weight_bits": 8})")),
                 QStringLiteral("weights 8 bit, activations 6 bit, DBB 2/8 sparsity"));
        QCOMPARE(CompressDialog::describeVariant(
                     variant(R"({"name": "a", "sparsity": {"pattern": "channel", "fraction": 0.25}})")),
                 QStringLiteral("remove 25 % of channels"));
        QCOMPARE(CompressDialog::describeVariant(variant(R"({"name": "a", "sparsity": {"pattern": "n:m", "n": 2,
                                                            "m": 4}})")),
                 QStringLiteral("2:4 sparsity"));
        QCOMPARE(CompressDialog::describeVariant(variant(R"({"name": "a", "factorization": {"low_rank": 8}})")),
                 QStringLiteral("low-rank factors (rank 8)"));
        QCOMPARE(CompressDialog::describeVariant(variant(R"({"name": "a", "factorization": {"low_rank": 0.5}})")),
                 QStringLiteral("low-rank factors (50 % of full rank)"));
        QCOMPARE(CompressDialog::describeVariant(variant(R"({"name": "a", "factorization": "kronecker"})")),
                 QStringLiteral("Kronecker factors"));
    }

    void describesFineTuning()
    {
        QCOMPARE(CompressDialog::describeFineTune({}), QStringLiteral("as the parent was trained"));
        const CompressionConfig c = CompressionConfig::fromJson(
            R"({"fine_tune": {"epochs": 3, "qat_epochs": 0, "batch_size": 64, "schedule": "step", "prune_end": 0.8},
                "variants": [{"name": "a", "weight_bits": 4}]})");
        QCOMPARE(CompressDialog::describeFineTune(c.fineTune),
                 QStringLiteral("3 epochs, no QAT (ranges calibrated), batch size 64, step schedule, pruning from the "
                                "parent's start to 80 % of the steps; the rest as the parent was trained"));
    }

    void showsTheBundledExample()
    {
        CompressDialog dialog;
        dialog.setConfigFile(kExample);
        QVERIFY2(dialog.errorText().isEmpty(), qPrintable(dialog.errorText()));
        QVERIFY(dialog.config().has_value());
        QVERIFY(dialog.startButton()->isEnabled());
        QTableWidget *table = dialog.variantTable();
        QCOMPARE(table->rowCount(), 6);
        QCOMPARE(table->item(0, 0)->text(), QStringLiteral("int4"));
        QCOMPARE(table->item(0, 1)->text(), QStringLiteral("weights 4 bit"));
        QCOMPARE(table->item(0, 2)->text(), QStringLiteral("all it can change"));
        QCOMPARE(table->item(4, 0)->text(), QStringLiteral("stem-channels-50-int4"));
        QCOMPARE(table->item(4, 1)->text(), QStringLiteral("weights 4 bit, remove 50 % of channels"));
        QCOMPARE(table->item(4, 2)->text(), QStringLiteral("stem"));
        QCOMPARE(table->item(5, 1)->text(), QStringLiteral("low-rank factors (50 % of full rank)"));
        QCOMPARE(dialog.fineTuneText(), QStringLiteral("1 epoch, 1 QAT epoch, learning rate 0.001, QAT learning rate "
                                                       "0.0003; the rest as the parent was trained"));
    }

    void parseErrorDisablesStart()
    {
        CompressDialog dialog;
        dialog.show();
        const QString bad = writeFile(m_dir, QStringLiteral("bad.json"),
                                      "{\"fine_tune\": {\"epochs\": 1},\n \"variants\": [{\"name\": \"a\"}]}");
        dialog.setConfigFile(bad);
        QVERIFY2(dialog.errorText().startsWith(bad + QStringLiteral(":2:15: /variants/0: ")),
                 qPrintable(dialog.errorText()));
        QVERIFY(!dialog.config());
        QVERIFY(!dialog.startButton()->isEnabled());
        QCOMPARE(dialog.variantTable()->rowCount(), 0);
        QVERIFY(dialog.findChild<QLabel *>(QStringLiteral("compressError"))->isVisible());

        // Fixing the file and choosing it again clears the message.
        writeFile(m_dir, QStringLiteral("bad.json"), R"({"variants": [{"name": "a", "weight_bits": 2}]})");
        dialog.setConfigFile(bad);
        QVERIFY2(dialog.errorText().isEmpty(), qPrintable(dialog.errorText()));
        QVERIFY(!dialog.findChild<QLabel *>(QStringLiteral("compressError"))->isVisible());
        QVERIFY(dialog.startButton()->isEnabled());

        dialog.setConfigFile(QString());
        QVERIFY(!dialog.errorText().isEmpty());
        QVERIFY(!dialog.startButton()->isEnabled());
    }

    void checkRejectsConfig()
    {
        CompressDialog dialog;
        std::atomic<int> checked = 0;
        std::atomic<bool> onGuiThread = false;
        QThread *gui = QThread::currentThread();
        dialog.setCheck([&checked, &onGuiThread, gui](const CompressionConfig &c) {
            ++checked;
            onGuiThread = onGuiThread || QThread::currentThread() == gui;
            if (c.variants.size() > 1)
                throw InputError("c.json:3:7: /variants/1/layers/0: unknown layer");
        });
        dialog.setConfigFile(kExample);
        // The check runs on a pool thread; until it has passed, Start stays disabled.
        QVERIFY(dialog.isChecking());
        QVERIFY(!dialog.startButton()->isEnabled());
        QVERIFY(!dialog.config()); // nothing to start until the check has passed
        QTRY_VERIFY(!dialog.isChecking());
        QVERIFY(checked >= 1);
        QVERIFY(!onGuiThread);
        QCOMPARE(dialog.errorText(), QStringLiteral("c.json:3:7: /variants/1/layers/0: unknown layer"));
        QVERIFY(!dialog.config());
        QVERIFY(!dialog.startButton()->isEnabled());
        QCOMPARE(dialog.variantTable()->rowCount(), 6); // still shown, so the message can be matched to a row
        // The row the message points at (/variants/1) is drawn in the message's colour, the others are not.
        const QColor red =
            dialog.findChild<QLabel *>(QStringLiteral("compressError"))->palette().color(QPalette::WindowText);
        QCOMPARE(dialog.variantTable()->item(1, 0)->foreground().color(), red);
        QCOMPARE(dialog.variantTable()->item(1, 2)->foreground().color(), red);
        QVERIFY(dialog.variantTable()->item(0, 0)->foreground().color() != red);
        QVERIFY(dialog.variantTable()->item(2, 0)->foreground().color() != red);

        const QString one =
            writeFile(m_dir, QStringLiteral("one.json"), R"({"variants": [{"name": "a", "weight_bits": 2}]})");
        dialog.setConfigFile(one);
        QTRY_VERIFY(!dialog.isChecking());
        QVERIFY(dialog.errorText().isEmpty());
        QVERIFY(dialog.config().has_value());
        QCOMPARE(dialog.config()->variants.front().weightBits, std::optional<int>(2));

        QSignalSpy accepted(&dialog, &QDialog::accepted);
        dialog.show();
        QTest::mouseClick(dialog.startButton(), Qt::LeftButton);
        QCOMPARE(accepted.size(), 1);
    }
};

QTEST_MAIN(TestCompressDialog)

#include "tst_compressdialog.moc"
