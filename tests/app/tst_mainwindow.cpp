// SPDX-License-Identifier: GPL-3.0-or-later
#include "compresscontroller.h"
#include "driftcontroller.h"
#include "exportcontroller.h"
#include "helpwindows.h"
#include "importcontroller.h"
#include "mainwindow.h"
#include "newstudycontroller.h"
#include "presentationcontroller.h"
#include "psc/export/exporter.h"
#include "psc/quant/integerinference.h"
#include "psc/study/lineage.h"
#include "recentfiles.h"
#include "reportcontroller.h"
#include "shortlistcontroller.h"
#include "studycontroller.h"

#include "models/layercompressionmodel.h"
#include "models/presentation.h"
#include "models/shortlist.h"
#include "models/trialfilter.h"
#include "models/trialsortproxymodel.h"
#include "models/trialtablemodel.h"
#include "plot/analogdriftplot.h"
#include "plot/paretoplotwidget.h"
#include "views/compareview.h"
#include "views/compressdialog.h"
#include "views/costbreakdownplot.h"
#include "views/deploymentview.h"
#include "views/drifttimecontrol.h"
#include "views/exportdialog.h"
#include "views/fitmatrix.h"
#include "views/layercompressionview.h"
#include "views/newstudydialog.h"
#include "views/studyview.h"
#include "views/trialcostview.h"
#include "views/trialinspector.h"

#include "psc/net/networkparser.h"
#include "psc/quant/trainedmodel.h"

#include "psc/study/studyspec.h"
#include "psc/study/studystore.h"
#include "psc/study/studywriter.h"

#include "linearmodel.h"
#include "testsupport.h"

#include <QAction>
#include <QApplication>
#include <QDir>
#include <QDockWidget>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QItemSelectionModel>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMessageBox>
#include <QMimeData>
#include <QProcess>
#include <QProgressBar>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QSlider>
#include <QTableView>
#include <QTableWidget>
#include <QTemporaryDir>

#include <QCheckBox>
#include <QComboBox>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QStatusBar>
#include <QSysInfo>
#include <QTest>
#include <QTextBrowser>
#include <QTreeWidget>
#include <QUrl>

#include <cmath>
#include <optional>

using namespace psc;
using psc::test::writeFile;

namespace {

const QString kDemoSpec = QStringLiteral(PSC_SOURCE_DIR "/resources/studies/fashion-mnist-demo.json");

/** The demo spec (search space inlined) with a cheaper recipe and budget, written to `path`. */
QString writeSpec(const QString &path, int trials, int trainSubset, int epochs)
{
    QJsonObject spec =
        QJsonDocument::fromJson(QByteArray::fromStdString(StudySpec::fromFile(kDemoSpec.toStdString()).toJson()))
            .object();
    QJsonObject training = spec.value(QStringLiteral("training")).toObject();
    training[QStringLiteral("epochs")] = epochs;
    training[QStringLiteral("train_subset")] = trainSubset;
    training[QStringLiteral("test_subset")] = 500;
    spec[QStringLiteral("training")] = training;
    spec[QStringLiteral("budget")] = QJsonObject{{QStringLiteral("trials"), trials}};
    spec[QStringLiteral("constraints")] = QJsonArray(); // every candidate is trained
    spec[QStringLiteral("name")] = QStringLiteral("gui-test");
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly) || f.write(QJsonDocument(spec).toJson()) <= 0)
        qFatal("cannot write %s", qPrintable(path));
    return path;
}

/** A study file with `n` finished trials, made directly through the store (no training). */
QString prepareStudy(const QString &path, int n)
{
    auto store = StudyStore::create(path.toStdString(), StudySpec::fromFile(kDemoSpec.toStdString()).toJson());
    const std::string architecture = networkToJson(parseNetwork(PSC_SOURCE_DIR "/resources/networks/ds-cnn.json"));
    for (int i = 0; i < n; ++i) {
        Trial t;
        t.architectureJson = architecture;
        t.architectureHash = "hash" + std::to_string(i);
        t.parametersJson = "{\"blocks.count\": " + std::to_string(1 + i % 4) + "}";
        store->insertTrial(t);
        if (i % 5 == 4) {
            store->finishTrial(t.id, TrialState::Infeasible, {{"", "weight_bytes", 50000.0 + i}},
                               "weight_bytes <= 32KiB violated", 1.0);
            continue;
        }
        store->finishTrial(t.id, TrialState::Complete,
                           {{"", "accuracy", 0.5 + 0.02 * i},
                            {"", "deployed_accuracy", 0.49 + 0.02 * i},
                            {"", "weight_bytes", 2000.0 + 1500.0 * ((i * 7) % 11)},
                            {"", "macs", 1e5 * (1 + (i * 3) % 13)}},
                           "", 1.0);
    }
    return path;
}

/** Adds a complete child of trial `parentId` to the study: the DS-CNN at 4 bits with a 2:4 pattern on its dense layer.
 */
qint64 addCompressedChild(const QString &path, qint64 parentId)
{
    auto store = StudyStore::open(path.toStdString(), StudyStore::Mode::ReadWrite);
    NetworkDescription net = parseNetwork(PSC_SOURCE_DIR "/resources/networks/ds-cnn.json");
    for (LayerSpec &l : net.layers) {
        l.weightBits = 4;
        if (l.type == LayerType::Dense)
            l.sparsity = {SparsityPattern::NM, 0.5, 0, 0, 2, 4};
    }
    Trial t;
    t.architectureJson = networkToJson(net);
    t.architectureHash = "child-of-" + std::to_string(parentId);
    t.parentId = parentId;
    t.parametersJson = R"({"compress": {"weight_bits": 4}, "parent": )" + std::to_string(parentId) + "}";
    store->insertTrial(t);
    store->finishTrial(t.id, TrialState::Complete,
                       {{"", "accuracy", 0.6}, {"", "weight_bytes", 1500.0}, {"", "macs", 1e5}}, "", 1.0);
    return t.id;
}

/**
 * A study made by hand for the compress action's refusals: trial 0 complete with a trained model (flatten, dense
 * "logits"), trial 1 complete without weights, trial 2 failed.
 */
QString handMadeStudy(const QString &path)
{
    auto store = StudyStore::create(path.toStdString(), StudySpec::fromFile(kDemoSpec.toStdString()).toJson());
    const TrainedModel m = testing::zeroLinearModel();
    Trial t;
    t.architectureJson = networkToJson(m.network);
    t.parametersJson = "{}";
    for (int i = 0; i < 3; ++i) {
        t.architectureHash = "hash" + std::to_string(i);
        store->insertTrial(t);
        store->finishTrial(t.id, i == 2 ? TrialState::Failed : TrialState::Complete,
                           {{"", "deployed_accuracy", 0.5},
                            {"", "weight_bytes", 7880.0},
                            {"stm32f746zg", "latency_s", 1e-3}}, // an MCU target: a C export is measured on its core
                           i == 2 ? "diverged" : "", 1.0);
        if (i == 0)
            store->putArtifact(t.id, "weights", kTrainedModelFormat, serializeTrainedModel(m));
    }
    return path;
}

/**
 * A study whose objectives include analog_accuracy@aon-cim (2 draws of 50 images): trial 0 complete with a trained
 * model and analog records at 1 h (80 % +- 2) and 1 day (70 % +- 4), trial 1 complete without weights or records.
 */
QString analogStudy(const QString &path)
{
    StudySpec spec = StudySpec::fromFile(kDemoSpec.toStdString());
    spec.objectives.push_back({{"analog_accuracy", "aon-cim"}, Direction::Maximize});
    spec.analog.repeats = 2;
    spec.analog.images = 50;
    auto store = StudyStore::create(path.toStdString(), spec.toJson());
    const TrainedModel m = testing::zeroLinearModel();
    Trial t;
    t.architectureJson = networkToJson(m.network);
    t.parametersJson = "{}";
    for (int i = 0; i < 2; ++i) {
        t.architectureHash = "hash" + std::to_string(i);
        store->insertTrial(t);
        store->finishTrial(t.id, TrialState::Complete,
                           {{"", "deployed_accuracy", 0.5},
                            {"", "weight_bytes", 7880.0 + i},
                            {"aon-cim", "energy_j", 1e-6},
                            {"aon-cim", "analog_accuracy", 0.7}},
                           "", 1.0);
        if (i == 0) {
            store->putArtifact(t.id, "weights", kTrainedModelFormat, serializeTrainedModel(m));
            std::vector<AnalogRecord> records(2);
            for (AnalogRecord &r : records) {
                r.trialId = t.id;
                r.target = "aon-cim";
                r.repeats = 2;
                r.images = 50;
            }
            records[0].seconds = 3600.0;
            records[0].mean = 0.8;
            records[0].std = 0.02;
            records[1].seconds = 86400.0;
            records[1].mean = 0.7;
            records[1].std = 0.04;
            store->putAnalogAccuracy(records);
        }
    }
    return path;
}

std::optional<double> analogAccuracyOf(const MainWindow &w, int trial)
{
    for (const Metric &m : w.view()->trialSet()->trials().at(std::size_t(trial)).metrics)
        if (m.name == "analog_accuracy" && m.target == "aon-cim")
            return m.value;
    return std::nullopt;
}

qint64 selectedRowTrial(const StudyView &view)
{
    const QModelIndexList rows = view.table()->selectionModel()->selectedRows();
    return rows.isEmpty() ? -1 : rows.front().data(TrialTableModel::TrialIdRole).toLongLong();
}

} // namespace

class TestMainWindow : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;

private Q_SLOTS:
    void openPreparedStudy()
    {
        const QString path = prepareStudy(m_dir.filePath(QStringLiteral("prepared.psc")), 12);
        MainWindow w;
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QVERIFY(w.openStudy(path));
        StudyView *view = w.view();
        QCOMPARE(view->model()->rowCount(), 12);
        QVERIFY(w.windowTitle().contains(QStringLiteral("fashion-mnist-demo")));
        QVERIFY(w.recentFiles()->files().contains(QFileInfo(path).absoluteFilePath()));
        QVERIFY(w.runAction()->isEnabled());
        QCOMPARE(w.runAction()->text(), QStringLiteral("&Resume"));
        QVERIFY(!w.cancelAction()->isEnabled());
        QCOMPARE(view->plot()->plottedTrialIds().size(), 10); // the infeasible ones have no accuracy
        // The study records no cost model versions: its stored costs are labelled as from earlier models.
        const auto *status = w.findChild<QLabel *>(QStringLiteral("statusText"));
        QVERIFY(status && status->text().contains(QStringLiteral("other cost model versions")));
        QVERIFY2(status->toolTip().contains(QStringLiteral("stm32f746zg: mcu before 1.1.0")),
                 qPrintable(status->toolTip()));
        // `paretoscope STUDY.psc --trial N` with a number the study does not have says so.
        QVERIFY(!w.selectTrialNumber(99));
        QCOMPARE(status->text(), QStringLiteral("No trial 99 in this study: its trials are numbered 0 to 11"));
        QVERIFY(w.selectTrialNumber(3));
        QCOMPARE(view->model()->trialAt(view->model()->rowOfTrial(view->selectedTrial()))->number, 3);
        // An infeasible trial says why first thing in the inspector (its Summary tab, the first).
        QVERIFY(w.selectTrialNumber(4));
        QCOMPARE(w.inspector()->currentIndex(), 0);
        const QString summary = w.inspector()->summaryHtml();
        QVERIFY2(summary.contains(QStringLiteral("Infeasible:")) &&
                     summary.contains(QStringLiteral("weight_bytes &lt;= 32KiB violated")),
                 qPrintable(summary));

        // Table -> plot.
        const qint64 id = view->model()->trials().at(5).id;
        const QModelIndex proxyIndex = view->proxy()->mapFromSource(view->model()->index(5, 0));
        view->table()->selectRow(proxyIndex.row());
        QCOMPARE(view->plot()->selectedTrial(), id);
        QCOMPARE(view->selectedTrial(), id);

        // The inspector costs the selected trial on every bundled target; the bars show the study's first target.
        TrialCostView *cost = w.costView();
        QVERIFY2(cost->message().isEmpty(), qPrintable(cost->message()));
        QVERIFY(cost->estimates().size() >= 3);
        QCOMPARE(cost->fitMatrix()->rowCount(), int(cost->estimates().size()));
        QCOMPARE(cost->breakdownTarget(), view->plot()->targets().front());
        QCOMPARE(view->plot()->targets().size(), 3);

        // These trials carry no target metrics: choosing a target metric, even for all targets, draws nothing.
        QVERIFY(view->plot()->setAxes(MetricRef{"latency_s", "stm32f746zg"}, MetricRef{"accuracy", {}}));
        QVERIFY(view->plot()->setTarget(QString()));
        QVERIFY(view->plot()->plottedTrialIds().isEmpty());
        QVERIFY(view->plot()->setAxes(MetricRef{"weight_bytes", {}}, MetricRef{"accuracy", {}}));

        // Plot -> table.
        const qint64 other = view->plot()->frontTrialIds().front();
        const QPointF pos = view->plot()->trialPosition(other);
        QVERIFY(pos.x() >= 0);
        QTest::mouseClick(view->plot()->canvas(), Qt::LeftButton, {}, pos.toPoint());
        QCOMPARE(selectedRowTrial(*view), other);
        QCOMPARE(view->plot()->selectedTrial(), other);

        // Save plot through the window.
        QVERIFY(w.savePlot(m_dir.filePath(QStringLiteral("window.svg"))));
        QVERIFY(QFile(m_dir.filePath(QStringLiteral("window.svg"))).size() > 0);
    }

    void compressedTrialInInspector()
    {
        const QString path = prepareStudy(m_dir.filePath(QStringLiteral("compressed.psc")), 4);
        qint64 parentId = 0;
        {
            auto store = StudyStore::open(path.toStdString(), StudyStore::Mode::ReadOnly);
            parentId = store->trials().at(1).id; // trial 1: complete
        }
        const qint64 childId = addCompressedChild(path, parentId);
        MainWindow w;
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QVERIFY(w.openStudy(path));
        StudyView *view = w.view();
        QCOMPARE(w.costDock()->windowTitle(), QStringLiteral("Trial inspector"));

        // The plot draws the compression path from the parent to the child (these trials have no target metrics).
        QVERIFY(view->plot()->setAxes(MetricRef{"weight_bytes", {}}, MetricRef{"accuracy", {}}));
        QCOMPARE(view->plot()->compressionArrows().size(), std::size_t(1));
        QCOMPARE(view->plot()->compressionArrows().front().parentId, parentId);
        QCOMPARE(view->plot()->compressionArrows().front().childId, childId);

        // Selecting the child shows its layers, with the parent and the variant above them.
        view->selectTrial(childId);
        LayerCompressionView *layers = w.inspector()->layerView();
        QVERIFY2(layers->message().isEmpty(), qPrintable(layers->message()));
        const LayerCompressionModel *model = layers->model();
        QCOMPARE(model->rowCount(), int(model->network().layers.size()) + 1);
        QVERIFY2(layers->headerText().contains(QStringLiteral("Compressed from trial 1")),
                 qPrintable(layers->headerText()));
        QVERIFY(layers->headerText().contains(QStringLiteral("weight_bits = 4")));
        bool sawPattern = false;
        for (int r = 0; r < model->totalsRow(); ++r)
            sawPattern |=
                model->index(r, LayerCompressionModel::PatternColumn).data().toString() == QStringLiteral("2:4");
        QVERIFY(sawPattern);
        QCOMPARE(model->index(model->totalsRow(), LayerCompressionModel::SizeAfterColumn)
                     .data(LayerCompressionModel::RawValueRole)
                     .toLongLong(),
                 model->analysis().totalWeightBytes);
        // The cost tab prices the same trial.
        QVERIFY(w.costView()->message().isEmpty());

        // Selecting the parent: no lineage line.
        view->selectTrial(parentId);
        QVERIFY(!layers->headerText().contains(QStringLiteral("Compressed")));
        view->selectTrial(-1);
        QVERIFY(!layers->message().isEmpty());
    }

    // Compress Trial…: the dialog starts from the bundled example; a one-variant config runs as a job whose child
    // appears in the table and the plot (with its arrow) while the job is still running.
    void compressTrainedTrial()
    {
        const QString spec = writeSpec(m_dir.filePath(QStringLiteral("compress.json")), 1, 1200, 1);
        const QString db = m_dir.filePath(QStringLiteral("compress.psc"));
        MainWindow w;
        w.show();
        StudyController *controller = w.controller();
        QAction *compress = w.compressor()->action();
        QSignalSpy finished(controller, &StudyController::runFinished);
        QVERIFY(w.newStudy(spec, db));
        QVERIFY(!compress->isEnabled()); // the study is running
        QVERIFY(finished.wait(240000));
        QCOMPARE(finished.at(0).at(0).value<JobStatus>(), JobStatus::Succeeded);
        QVERIFY(!compress->isEnabled()); // nothing selected
        QVERIFY2(compress->toolTip().contains(QStringLiteral("Select")), qPrintable(compress->toolTip()));
        const Trial parent = w.view()->model()->trials().at(0);
        QVERIFY2(parent.state == TrialState::Complete, parent.error.c_str());
        w.view()->selectTrial(parent.id);
        QVERIFY2(compress->isEnabled(), qPrintable(compress->toolTip()));
        // The same action is in the table's context menu and on the inspector's tab bar.
        QVERIFY(w.view()->table()->actions().contains(compress));
        QVERIFY(w.inspector()->cornerWidget(Qt::TopRightCorner));

        compress->trigger();
        CompressDialog *dialog = w.compressor()->dialog();
        QVERIFY(dialog);
        QVERIFY(dialog->isVisible());
        QCOMPARE(dialog->configFile(), CompressController::bundledExample());
        QTRY_VERIFY(!dialog->isChecking()); // the check against the trial runs off the GUI thread
        // (The example's channel-pruning variants refuse a parent the search made sparse; the dialog says which.)
        QVERIFY2(dialog->errorText().isEmpty() || dialog->errorText().contains(QStringLiteral("/variants/3")),
                 qPrintable(dialog->errorText()));
        QCOMPARE(dialog->variantTable()->rowCount(),
                 6); // int4, prune-75, dbb-2of8, channels-25, stem-channels-50-int4, low-rank-50
        QCOMPARE(dialog->variantTable()->item(1, 0)->text(), QStringLiteral("prune-75"));
        QCOMPARE(dialog->variantTable()->item(1, 1)->text(), QStringLiteral("75 % unstructured sparsity"));
        QVERIFY2(dialog->fineTuneText().startsWith(QStringLiteral("1 epoch, 1 QAT epoch, learning rate 0.001")),
                 qPrintable(dialog->fineTuneText()));
        QVERIFY(dialog->trialText().contains(QStringLiteral("Trial 0")));
        compress->trigger(); // a second trigger while the dialog is open does not open another
        QCOMPARE(w.findChildren<CompressDialog *>().size(), 1);

        const QString config = writeFile(m_dir.filePath(QStringLiteral("int4.json")),
                                         R"({"fine_tune": {"epochs": 0, "qat_epochs": 0},
                                             "variants": [{"name": "int4", "weight_bits": 4}]})");
        dialog->setConfigFile(config);
        QTRY_VERIFY(!dialog->isChecking());
        QCOMPARE(dialog->variantTable()->rowCount(), 1);
        QCOMPARE(dialog->fineTuneText(),
                 QStringLiteral("no float epochs (one-shot pruning), no QAT (ranges calibrated); the rest as the "
                                "parent was trained"));
        QVERIFY(dialog->startButton()->isEnabled());

        // The child must reach the views while the job still runs (the study run's refresh path), not at the end.
        bool childWhileRunning = false;
        connect(controller, &StudyController::trialsChanged, this, [&](const std::vector<Trial> &changed) {
            for (const Trial &t : changed)
                childWhileRunning |= t.parentId == parent.id && t.state == TrialState::Complete &&
                                     controller->isRunning() && w.view()->model()->rowOfTrial(t.id) >= 0;
        });
        QSignalSpy compressed(controller, &StudyController::compressionFinished);
        finished.clear();
        QTest::mouseClick(dialog->startButton(), Qt::LeftButton);
        QVERIFY(controller->isCompressing());
        QVERIFY(w.progressBar()->isVisible());
        QVERIFY(w.cancelAction()->isEnabled());
        QVERIFY(!w.runAction()->isEnabled());
        QVERIFY(!compress->isEnabled());
        QVERIFY2(compress->toolTip().contains(QStringLiteral("compression is running")),
                 qPrintable(compress->toolTip()));

        QVERIFY(finished.wait(120000));
        const QString message = finished.at(0).at(1).toString();
        qInfo("%s", qPrintable(message));
        QCOMPARE(finished.at(0).at(0).value<JobStatus>(), JobStatus::Succeeded);
        QCOMPARE(compressed.size(), 1);
        const auto summary = compressed.at(0).at(1).value<CompressionSummary>();
        QCOMPARE(summary.children.size(), std::size_t(1));
        const Trial &child = summary.children.front().trial;
        QVERIFY2(child.state == TrialState::Complete, child.error.c_str());
        QVERIFY(childWhileRunning);
        QVERIFY2(message.startsWith(QStringLiteral("1 variant of trial 0: best deployed ")) &&
                     message.endsWith(QStringLiteral(" (int4, trial 1)")),
                 qPrintable(message));
        QVERIFY(!w.progressBar()->isVisible());
        QVERIFY(compress->isEnabled());                     // the parent is still selected
        QVERIFY(w.findChildren<QMessageBox *>().isEmpty()); // nothing failed

        // In the store, the table and the plot, with one arrow from the parent.
        {
            auto store = StudyStore::open(db.toStdString(), StudyStore::Mode::ReadOnly);
            const auto stored = store->trial(child.id);
            QVERIFY(stored && stored->parentId == parent.id);
            QCOMPARE(store->artifacts(child.id).size(), std::size_t(1));
        }
        QCOMPARE(w.view()->model()->rowCount(), 2);
        QVERIFY(w.view()->model()->rowOfTrial(child.id) >= 0);
        ParetoPlotWidget *plot = w.view()->plot();
        QVERIFY(plot->plottedTrialIds().contains(child.id));
        QCOMPARE(plot->compressionArrows().size(), std::size_t(1));
        QCOMPARE(plot->compressionArrows().front().parentId, parent.id);
        QCOMPARE(plot->compressionArrows().front().childId, child.id);
        // The next dialog starts from the config used last.
        QCOMPARE(CompressController::defaultConfigFile(), QFileInfo(config).absoluteFilePath());

        // Cancel: a long fine-tuning stops at its next batch; the child in flight goes back to pending.
        const QString slow = writeFile(m_dir.filePath(QStringLiteral("slow.json")),
                                       R"({"fine_tune": {"epochs": 200},
                                           "variants": [{"name": "half", "sparsity": {"pattern": "unstructured", "fraction": 0.5}}]})");
        compress->trigger();
        dialog = w.compressor()->dialog();
        QVERIFY(dialog);
        dialog->setConfigFile(slow);
        QTRY_VERIFY(!dialog->isChecking());
        QVERIFY2(dialog->startButton()->isEnabled(), qPrintable(dialog->errorText()));
        QSignalSpy progress(controller, &StudyController::runProgress);
        finished.clear();
        compressed.clear();
        static_cast<QDialog *>(dialog)->accept(); // QFileDialog::accept(), as the Save button
        while (progress.isEmpty() ||
               !progress.last().at(1).toString().startsWith(QStringLiteral("compressing trial 0: child 1/1 (half)")))
            QVERIFY(progress.wait(60000));
        w.cancelAction()->trigger();
        QVERIFY(finished.wait(30000));
        QCOMPARE(finished.at(0).at(0).value<JobStatus>(), JobStatus::Cancelled);
        QVERIFY2(
            finished.at(0).at(1).toString().startsWith(QStringLiteral("Cancelled after 0 of 1 variant of trial 0")),
            qPrintable(finished.at(0).at(1).toString()));
        QCOMPARE(compressed.size(), 1);
        const auto cancelled = compressed.at(0).at(1).value<CompressionSummary>();
        QVERIFY(cancelled.cancelled);
        QCOMPARE(cancelled.children.size(), std::size_t(1));
        QVERIFY(cancelled.children.front().trial.state == TrialState::Pending);
        QCOMPARE(cancelled.children.front().trial.interruptions, 0);
        QCOMPARE(w.view()->model()->rowCount(), 3);
        QVERIFY(compress->isEnabled());
        auto store = StudyStore::open(db.toStdString(), StudyStore::Mode::ReadOnly);
        QCOMPARE(store->integrityCheck(), std::string("ok"));
    }

    // Trials that cannot be compressed disable the action with the reason; a config that does not parse or does
    // not fit the trial shows the engine's message in the dialog, disables Start and starts nothing.
    // The drift-time slider re-scores analog accuracy live: interpolated in log time between stored times, computed
    // in the background (and stored in the study) where nothing brackets the chosen time; a study without analog
    // targets has no slider.
    void driftTimeRescoresAnalogAccuracy()
    {
        const QString db = analogStudy(m_dir.filePath(QStringLiteral("analog.psc")));
        MainWindow w;
        w.show();
        QVERIFY(w.openStudy(db));
        DriftTimeControl *control = w.view()->driftControl();
        QVERIFY(control->isVisible());
        QCOMPARE(control->seconds(), 86400.0); // the spec's time
        QCOMPARE(control->timeLabel()->text(), QStringLiteral("1 d"));
        QTRY_COMPARE(w.view()->trialSet()->size(), 2);
        QCOMPARE(*analogAccuracyOf(w, 0), 0.7);

        // Halfway between 1 h and 1 day in log time: 75 %, the front and the table follow.
        control->setSeconds(std::sqrt(3600.0 * 86400.0));
        QTRY_VERIFY(std::abs(analogAccuracyOf(w, 0).value_or(0.0) - 0.75) < 1e-9);
        QVERIFY(!analogAccuracyOf(w, 1)); // no records, no model: unknown at this time

        // One minute: nothing brackets it, so the grid is computed for trial 0 off the GUI thread and stored.
        control->slider()->setValue(178); // 10^1.78 s = 60.3 s
        QTRY_VERIFY(w.drift()->isComputing());
        QTRY_VERIFY_WITH_TIMEOUT(analogAccuracyOf(w, 0).has_value() && !w.drift()->isComputing(), 120000);
        const QString status = w.findChild<QLabel *>(QStringLiteral("statusText"))->text();
        const auto a = analogAccuracyOf(w, 0);
        QVERIFY2(a && *a >= 0.0 && *a <= 1.0, qPrintable(status));
        auto store = StudyStore::open(db.toStdString(), StudyStore::Mode::ReadOnly);
        QCOMPARE(int(store->analogAccuracy().size()), 8); // the grid of trial 0 (1 h and 1 d replaced)
        QVERIFY2(status.startsWith(QStringLiteral("Computed the analog accuracy of 1 trial(s) from 1 s to 10 years; "
                                                  "stored in the study")),
                 qPrintable(status));

        // The inspector's "Analog drift" tab: trial 0 against time with the target's compensation and without, the
        // uncompensated curve computed in the background.
        w.view()->selectTrial(w.view()->trialSet()->trials().at(0).id);
        AnalogDriftPlot *curves = w.findChild<AnalogDriftPlot *>(QStringLiteral("analogDriftPlot"));
        QVERIFY(curves);
        QTRY_COMPARE_WITH_TIMEOUT(curves->curves(), (QStringList{"global", "none"}), 120000);
        QVERIFY2(curves->summary().startsWith(QStringLiteral("Trial 0 on aon-cim")), qPrintable(curves->summary()));

        // A trial that finishes while the slider is at one minute (here: written by another process) is computed too.
        {
            auto writer = StudyStore::open(db.toStdString(), StudyStore::Mode::ReadWrite);
            Trial t;
            t.architectureJson = writer->trials().at(0).architectureJson;
            t.parametersJson = "{}";
            t.architectureHash = "hash2";
            writer->insertTrial(t);
            writer->finishTrial(t.id, TrialState::Complete,
                                {{"", "deployed_accuracy", 0.5}, {"aon-cim", "analog_accuracy", 0.7}}, "", 2.0);
            writer->putArtifact(t.id, "weights", kTrainedModelFormat,
                                serializeTrainedModel(testing::zeroLinearModel()));
        }
        QTRY_COMPARE_WITH_TIMEOUT(w.view()->trialSet()->size(), 3, 30000);
        QTRY_VERIFY_WITH_TIMEOUT(analogAccuracyOf(w, 2).has_value() && !w.drift()->isComputing(), 120000);

        // A study without analog targets has no drift time.
        QVERIFY(w.openStudy(handMadeStudy(m_dir.filePath(QStringLiteral("digital.psc")))));
        QVERIFY(!control->isVisible());
    }

    // Export Trial…: disabled with the reason for trials without a model; the dialog previews the files and figures
    // off the GUI thread, refuses to replace a file until told to, and writes and records the export.
    void exportTrial()
    {
        const QString db = handMadeStudy(m_dir.filePath(QStringLiteral("exported.psc")));
        MainWindow w;
        w.show();
        QVERIFY(w.openStudy(db));
        QAction *action = w.exporter()->action();
        QVERIFY(w.view()->table()->actions().contains(action));
        const std::vector<Trial> trials = w.view()->model()->trials();
        w.view()->selectTrial(trials.at(2).id);
        QVERIFY(!action->isEnabled());
        QCOMPARE(action->toolTip(),
                 QStringLiteral("Trial 2 is failed: only complete (trained) trials can be exported"));
        w.view()->selectTrial(trials.at(0).id);
        QVERIFY(action->isEnabled());

        action->trigger();
        ExportDialog *dialog = w.exporter()->dialog();
        QVERIFY(dialog);
        const QString out = m_dir.filePath(QStringLiteral("gui-export.c"));
        dialog->setOutputPath(out);
        QVERIFY(!dialog->exportButton()->isEnabled()); // until the preview is ready
        QTRY_VERIFY(!dialog->isPreparing());
        QVERIFY2(dialog->errorText().isEmpty(), qPrintable(dialog->errorText()));
        QVERIFY(dialog->exportButton()->isEnabled());
        QCOMPARE(dialog->fileList()->topLevelItem(0)->text(0), QStringLiteral("gui-export.c"));
        QCOMPARE(dialog->fileList()->topLevelItem(0)->toolTip(0), out);
        QCOMPARE(dialog->fileList()->topLevelItem(1)->text(0), QStringLiteral("gui-export.h"));
        QVERIFY(dialog->warningList()->count() >= 1);
        QVERIFY2(dialog->measureText().contains(QStringLiteral("stm32f746zg (cortex-m7)")),
                 qPrintable(dialog->measureText()));

        // A file in the way: Export waits for "Replace existing files".
        writeFile(out, "mine");
        dialog->setOutputPath(m_dir.filePath(QStringLiteral("x.c")));
        dialog->setOutputPath(out);
        QTRY_VERIFY(!dialog->isPreparing());
        QVERIFY(!dialog->exportButton()->isEnabled());
        QVERIFY2(dialog->errorText().contains(QStringLiteral("exists")), qPrintable(dialog->errorText()));
        dialog->findChild<QCheckBox *>(QStringLiteral("exportOverwrite"))->setChecked(true);
        QVERIFY(dialog->exportButton()->isEnabled());
        QTest::mouseClick(dialog->exportButton(), Qt::LeftButton);
        QVERIFY(!w.exporter()->dialog());
        // The C export is measured on the Cortex-M7 of stm32f746zg off the GUI thread, then written and recorded.
        QVERIFY(w.exporter()->isMeasuring());
        QVERIFY(!action->isEnabled());
        QTRY_VERIFY_WITH_TIMEOUT(!w.exporter()->isMeasuring(), 60000);
        QVERIFY(action->isEnabled());
        QVERIFY(QFile(out).size() > 1000);
        QVERIFY(w.statusBar()->findChildren<QLabel *>().size() >= 1);
        auto store = StudyStore::open(db.toStdString(), StudyStore::Mode::ReadOnly);
        const std::vector<ExportRecord> records = store->exports(trials.at(0).id);
        QCOMPARE(records.size(), std::size_t(1));
        QCOMPARE(QString::fromStdString(records[0].path), out);
        QCOMPARE(records[0].bytes, QFile(out).size());
        // The inspector's Deployments tab shows it with flash, SRAM and instructions measured beside estimated.
        const QTreeWidget *tree = w.inspector()->deploymentView()->tree();
        QCOMPARE(tree->topLevelItemCount(), 1);
        QCOMPARE(tree->topLevelItem(0)->text(0), QStringLiteral("C  gui-export.c"));
        QCOMPARE(tree->topLevelItem(0)->childCount(), 3);
        QCOMPARE(tree->topLevelItem(0)->child(0)->text(0), QStringLiteral("flash"));
        QVERIFY2(tree->topLevelItem(0)->child(0)->text(4).contains(QStringLiteral("c_flash_bytes@stm32f746zg vs")),
                 qPrintable(tree->topLevelItem(0)->child(0)->text(4)));
        QCOMPARE(tree->topLevelItem(0)->child(1)->text(3), QStringLiteral("+0.00 %")); // SRAM: the planned arena
    }

    // File ▸ Import Model…: a TFLite model becomes an external trial of the open study, with the study's metrics and
    // its deployed accuracy on the test set, marked as imported and selected; a bad file is a message, nothing added.
    void importModel()
    {
        const QString db = handMadeStudy(m_dir.filePath(QStringLiteral("import.psc")));
        const QString model = m_dir.filePath(QStringLiteral("linear.tflite"));
        writeFile(model, QByteArray::fromStdString(
                             makeExporter(ExportFormat::Tflite)
                                 ->write(IntegerModel::quantize(testing::zeroLinearModel()), {"linear", ""})
                                 .files[0]
                                 .bytes));
        MainWindow w;
        w.show();
        QAction *action = w.importer()->action();
        QVERIFY(!action->isEnabled()); // no study
        QVERIFY(w.openStudy(db));
        QVERIFY(action->isEnabled());
        const std::size_t before = w.view()->model()->trials().size();
        w.importer()->importModel(model);
        QVERIFY(w.importer()->isImporting());
        QVERIFY(!action->isEnabled());
        QTRY_VERIFY_WITH_TIMEOUT(!w.importer()->isImporting(), 60000);
        QTRY_COMPARE(w.view()->model()->trials().size(), before + 1);
        const Trial added = w.view()->model()->trials().back();
        QVERIFY(isImported(added));
        QCOMPARE(decodeLineage(added)->importedFile, model.toStdString());
        QCOMPARE(w.view()->selectedTrial(), added.id);
        // The zero model predicts class 0 for every image: a tenth of Fashion-MNIST's balanced test set.
        QCOMPARE(metricValue(added, MetricRef{"deployed_accuracy", ""}).value_or(-1.0), 0.1);
        QVERIFY(metricValue(added, MetricRef{"latency_s", "stm32f746zg"}).has_value());
        QVERIFY(w.statusBar()->findChild<QLabel *>() != nullptr);

        const QString bad = m_dir.filePath(QStringLiteral("bad.onnx"));
        writeFile(bad, "not a model");
        w.importer()->importModel(bad);
        QTRY_VERIFY_WITH_TIMEOUT(!w.importer()->isImporting(), 60000);
        QTRY_VERIFY(w.findChild<QMessageBox *>(QStringLiteral("importMessage")));
        QVERIFY(w.findChild<QMessageBox *>(QStringLiteral("importMessage"))->text().contains("bad.onnx: not an ONNX"));
        QCOMPARE(w.view()->model()->trials().size(), before + 1);
    }

    void compressRefusesBadInput()
    {
        const QString db = handMadeStudy(m_dir.filePath(QStringLiteral("handmade.psc")));
        MainWindow w;
        w.show();
        QVERIFY(w.openStudy(db));
        QAction *compress = w.compressor()->action();
        const std::vector<Trial> trials = w.view()->model()->trials();
        w.view()->selectTrial(trials.at(1).id);
        QVERIFY(!compress->isEnabled());
        QCOMPARE(compress->toolTip(), QStringLiteral("Trial 1 has no trained weights stored"));
        w.view()->selectTrial(trials.at(2).id);
        QVERIFY(!compress->isEnabled());
        QCOMPARE(compress->toolTip(),
                 QStringLiteral("Trial 2 is failed: only complete (trained) trials can be compressed"));
        w.view()->selectTrial(trials.at(0).id);
        QVERIFY(compress->isEnabled());

        compress->trigger();
        CompressDialog *dialog = w.compressor()->dialog();
        QVERIFY(dialog);
        const QString bad = writeFile(m_dir.filePath(QStringLiteral("bad.json")),
                                      "{\"variants\": [\n  {\"name\": \"x\", \"weight_bit\": 4}\n]}");
        dialog->setConfigFile(bad);
        QVERIFY2(dialog->errorText().startsWith(
                     bad + QStringLiteral(R"(:2:31: /variants/0/weight_bit: unknown key "weight_bit"; did you mean )"
                                          R"("weight_bits"?)")),
                 qPrintable(dialog->errorText()));
        QVERIFY(!dialog->startButton()->isEnabled());
        QCOMPARE(dialog->variantTable()->rowCount(), 0);

        const QString layer =
            writeFile(m_dir.filePath(QStringLiteral("layer.json")),
                      "{\"variants\": [\n  {\"name\": \"x\", \"weight_bits\": 4, \"layers\": [\"logit\"]}\n]}");
        dialog->setConfigFile(layer);
        QVERIFY(!dialog->startButton()->isEnabled()); // until the check has run
        QTRY_VERIFY(!dialog->isChecking());
        QVERIFY2(dialog->errorText().startsWith(layer + QStringLiteral(R"(:2:46: /variants/0/layers/0: unknown layer )"
                                                                       R"("logit" in network "linear")")),
                 qPrintable(dialog->errorText()));
        QVERIFY(!dialog->startButton()->isEnabled());
        QCOMPARE(dialog->variantTable()->rowCount(), 1); // parsed: shown next to the message

        dialog->setConfigFile(m_dir.filePath(QStringLiteral("missing.json")));
        QVERIFY2(dialog->errorText().contains(QStringLiteral("missing.json: cannot read")),
                 qPrintable(dialog->errorText()));
        QVERIFY(!dialog->startButton()->isEnabled());

        // Accepting anyway (Enter, a script) starts nothing and writes nothing.
        dialog->setConfigFile(layer);
        QSignalSpy started(w.controller(), &StudyController::runStarted);
        static_cast<QDialog *>(dialog)->accept(); // QFileDialog::accept(), as the Save button
        QVERIFY(started.isEmpty());
        QVERIFY(!w.controller()->isRunning());
        QVERIFY(compress->isEnabled());
        auto store = StudyStore::open(db.toStdString(), StudyStore::Mode::ReadOnly);
        QCOMPARE(int(store->trialCounts().total()), 3);
    }

    // F1 opens the documentation (docs/gui.md rendered from Markdown), Help lists the shortcuts, F11 is full screen.
    void helpAndFullScreen()
    {
        MainWindow w;
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        auto *docs = w.findChild<QAction *>(QStringLiteral("documentationAction"));
        QVERIFY(docs && !docs->shortcut().isEmpty());
        docs->trigger();
        auto *documentation = w.findChild<DocumentationWindow *>();
        QVERIFY(documentation && documentation->isVisible());
        QVERIFY2(documentation->browser()->toPlainText().contains(QStringLiteral("Pareto plot")),
                 qPrintable(documentation->browser()->toPlainText().left(200)));
        documentation->close();

        w.findChild<QAction *>(QStringLiteral("shortcutsAction"))->trigger();
        auto *shortcuts = w.findChild<ShortcutsDialog *>();
        QVERIFY(shortcuts);
        const QStringList rows = shortcuts->rows();
        for (const QString &row : {QStringLiteral("Run\tF5"), QStringLiteral("Full Screen\tF11"),
                                   QStringLiteral("Copy Rows\tCtrl+C"), QStringLiteral("Documentation\tF1")})
            QVERIFY2(rows.contains(row), qPrintable(rows.join(QLatin1Char('|'))));
        shortcuts->close();

        auto *fullScreen = w.findChild<QAction *>(QStringLiteral("fullScreenAction"));
        fullScreen->trigger();
        QTRY_VERIFY(w.isFullScreen());
        fullScreen->trigger();
        QTRY_VERIFY(!w.isFullScreen());
    }

    void newStudiesAreNotSavedIntoTheBundledData()
    {
        MainWindow w;
        // Choosing a bundled spec made its folder the last one; the study still goes where the user's files go.
        QSettings().setValue(QStringLiteral("dialogs/lastDirectory"),
                             QStringLiteral(PSC_SOURCE_DIR "/resources/studies"));
        const QString suggested = w.suggestedStudyPath(kDemoSpec);
        QVERIFY2(!suggested.startsWith(QStringLiteral(PSC_SOURCE_DIR "/resources")), qPrintable(suggested));
        QCOMPARE(QFileInfo(suggested).fileName(), QStringLiteral("fashion-mnist-demo.psc"));
        QSettings().setValue(QStringLiteral("dialogs/lastDirectory"), m_dir.path());
        QCOMPARE(w.suggestedStudyPath(kDemoSpec), m_dir.filePath(QStringLiteral("fashion-mnist-demo.psc")));
    }

    void runIsOffOnceTheWallTimeBudgetIsUsedUp()
    {
        // The demo spec allows 24 trials or 570 s; 3 trials in, earlier runs used up the time.
        const QString path = prepareStudy(m_dir.filePath(QStringLiteral("timed-out.psc")), 3);
        MainWindow w;
        w.show();
        QVERIFY(w.openStudy(path));
        QVERIFY(w.runAction()->isEnabled());
        w.openStudy(prepareStudy(m_dir.filePath(QStringLiteral("other.psc")), 1));
        StudyStore::open(path.toStdString(), StudyStore::Mode::ReadWrite)->setMeta("elapsed_seconds", "571.5");
        QVERIFY(w.openStudy(path));
        QVERIFY(!w.runAction()->isEnabled());
        QVERIFY2(w.runAction()->toolTip().contains(QStringLiteral("the wall-time budget of 9.5 min is used up")),
                 qPrintable(w.runAction()->toolTip()));
    }

    void badFileShowsMessage()
    {
        const QString bad = m_dir.filePath(QStringLiteral("bad.psc"));
        QFile f(bad);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("this is not a study");
        f.close();
        MainWindow w;
        w.show();
        // A study is open: the failed open leaves it open, its trials on screen.
        const QString good = prepareStudy(m_dir.filePath(QStringLiteral("kept.psc")), 2);
        QVERIFY(w.openStudy(good));
        QCOMPARE(w.view()->model()->rowCount(), 2);
        QVERIFY(!w.openStudy(bad));
        auto *box = w.findChild<QMessageBox *>();
        QVERIFY(box);
        QVERIFY2(box->text().contains(QStringLiteral("bad.psc")), qPrintable(box->text()));
        box->close();
        QCOMPARE(w.controller()->studyPath(), QFileInfo(good).absoluteFilePath());
        QVERIFY(w.controller()->hasStudy());
        QCOMPARE(w.view()->model()->rowCount(), 2);

        QVERIFY(!w.newStudy(PSC_TEST_DATA_DIR "/studies/missing-space.json", m_dir.filePath(QStringLiteral("x.psc"))));
        QVERIFY(!QFile::exists(m_dir.filePath(QStringLiteral("x.psc"))));
    }

    void dropAStudyOrASpec()
    {
        MainWindow w;
        w.show();
        QVERIFY(w.acceptDrops());
        // A study file dropped on the window opens, through the real drag-enter and drop events.
        const QString path = prepareStudy(m_dir.filePath(QStringLiteral("dropped.psc")), 3);
        QMimeData data;
        data.setUrls({QUrl::fromLocalFile(path)});
        QDragEnterEvent enter(QPoint(50, 50), Qt::CopyAction, &data, Qt::LeftButton, Qt::NoModifier);
        QApplication::sendEvent(&w, &enter);
        QVERIFY(enter.isAccepted());
        QDropEvent drop(QPointF(50, 50), Qt::CopyAction, &data, Qt::LeftButton, Qt::NoModifier);
        QApplication::sendEvent(&w, &drop);
        QTRY_COMPARE(w.controller()->studyPath(), QFileInfo(path).absoluteFilePath());
        QCOMPARE(w.view()->model()->rowCount(), 3);
        // Two files at once, or a web address, are refused at the door.
        QMimeData two;
        two.setUrls({QUrl::fromLocalFile(path), QUrl::fromLocalFile(path)});
        QDragEnterEvent enterTwo(QPoint(50, 50), Qt::CopyAction, &two, Qt::LeftButton, Qt::NoModifier);
        QApplication::sendEvent(&w, &enterTwo);
        QVERIFY(!enterTwo.isAccepted());

        // A spec starts a new study: the save dialog proposes "<name>.psc" and creating it starts the run.
        QSettings().setValue(QStringLiteral("dialogs/lastDirectory"), m_dir.path());
        const QString spec = writeSpec(m_dir.filePath(QStringLiteral("drop-spec.json")), 1, 200, 1);
        QSignalSpy finished(w.controller(), &StudyController::runFinished);
        QVERIFY(w.openDroppedFile(spec));
        auto *dialog = w.findChild<QFileDialog *>(QStringLiteral("newStudySaveDialog"));
        QVERIFY(dialog);
        QCOMPARE(QFileInfo(dialog->selectedFiles().value(0)).fileName(), QStringLiteral("gui-test.psc"));
        dialog->selectFile(m_dir.filePath(QStringLiteral("from-drop")));
        static_cast<QDialog *>(dialog)->accept(); // QFileDialog::accept(), as the Save button
        QVERIFY(w.controller()->isRunning());     // the study is created and opened by the run, in the background
        QTRY_COMPARE_WITH_TIMEOUT(w.controller()->studyPath(), m_dir.filePath(QStringLiteral("from-drop.psc")), 60000);
        if (w.controller()->isRunning())
            w.cancelAction()->trigger();
        QTRY_VERIFY_WITH_TIMEOUT(!finished.isEmpty(), 60000);

        // Neither a study nor a spec: the message names the file, the open study stays.
        const QString text = m_dir.filePath(QStringLiteral("notes.txt"));
        QFile f(text);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("hello");
        f.close();
        QVERIFY(!w.openDroppedFile(text));
        auto *box = w.findChild<QMessageBox *>();
        QVERIFY(box);
        QVERIFY2(box->text().contains(QStringLiteral("notes.txt")), qPrintable(box->text()));
        QCOMPARE(w.controller()->studyPath(), m_dir.filePath(QStringLiteral("from-drop.psc")));
    }

    // The trial filter (a typed expression and brushed ranges) is kept with the study and comes back when it is
    // opened again, in another window; a study whose storage cannot be written says so and keeps the filter on screen.
    void filterIsKeptWithTheStudy()
    {
        const QString path = prepareStudy(m_dir.filePath(QStringLiteral("filtered.psc")), 6);
        {
            MainWindow w;
            w.show();
            QVERIFY(w.openStudy(path));
            QCOMPARE(w.view()->model()->rowCount(), 6);
            w.view()->filterEdit()->setText(QStringLiteral("state = complete"));
            QTest::keyClick(w.view()->filterEdit(), Qt::Key_Return);
            w.view()->filter()->setRange(MetricRef{"accuracy", {}}, 0.0, 2.0);
            QVERIFY(w.view()->proxy()->rowCount() < 6);
        }
        const auto kept = StudyStore::open(path.toStdString(), StudyStore::Mode::ReadOnly)->meta("gui_filter");
        QVERIFY(kept);
        QVERIFY2(kept->find("state = complete") != std::string::npos && kept->find("\"accuracy\"") != std::string::npos,
                 kept->c_str());
        MainWindow again;
        again.show();
        QVERIFY(again.openStudy(path));
        QCOMPARE(again.view()->filter()->expression(), QStringLiteral("state = complete"));
        QVERIFY(again.view()->filter()->range(MetricRef{"accuracy", {}}));
        QCOMPARE(again.view()->filterEdit()->text(), QStringLiteral("state = complete"));
        // Clearing it is kept too.
        again.view()->filter()->clear();
        const auto cleared = StudyStore::open(path.toStdString(), StudyStore::Mode::ReadOnly)->meta("gui_filter");
        QVERIFY(cleared && cleared->find("state = complete") == std::string::npos);
    }

    // Stars and notes are kept with the study (study_meta "gui_shortlist") and come back in another window; Compare
    // puts the shortlist side by side when fewer than two rows are selected; opening another study keeps them.
    void shortlistAndNotesAreKeptWithTheStudy()
    {
        const QString path = prepareStudy(m_dir.filePath(QStringLiteral("shortlisted.psc")), 6);
        const QString other = prepareStudy(m_dir.filePath(QStringLiteral("other-shortlist.psc")), 2);
        {
            MainWindow w;
            w.show();
            QVERIFY(w.openStudy(path));
            QAction *star = w.shortlist()->starAction();
            QVERIFY(!star->isEnabled()); // nothing selected
            QVERIFY(w.selectTrialNumber(1));
            QVERIFY(star->isEnabled() && !star->isChecked());
            star->trigger();
            QVERIFY(star->isChecked());
            QVERIFY(w.selectTrialNumber(3));
            star->trigger();
            w.view()->shortlist()->setNote(3, QStringLiteral("fits the M4"));
            QCOMPARE(w.shortlist()->compareCandidates().size(), 2);
            w.shortlist()->compareAction()->trigger();
            QVERIFY(w.shortlist()->lastCompare());
            QCOMPARE(w.shortlist()->lastCompare()->trials().size(), std::size_t(2));
            QCOMPARE(w.shortlist()->lastCompare()->trials()[1].number, std::int64_t(3));
            QVERIFY(w.shortlist()->lastCompare()->metricTable()->rowCount() > 3);
            // One trial is not a comparison: the status bar says what to do.
            w.view()->shortlist()->setStarred(1, false);
            w.shortlist()->compareAction()->trigger();
            QVERIFY(
                w.findChild<QLabel *>(QStringLiteral("statusText"))->text().contains(QStringLiteral("two to four")));
            w.view()->shortlist()->setStarred(1, true);
            // Another study: its own (empty) shortlist, and the first study's is not overwritten.
            QVERIFY(w.openStudy(other));
            QVERIFY(w.view()->shortlist()->isEmpty());
        }
        const auto kept = StudyStore::open(path.toStdString(), StudyStore::Mode::ReadOnly)->meta("gui_shortlist");
        QVERIFY(kept);
        QCOMPARE(QString::fromStdString(*kept), QStringLiteral(R"({"notes":{"3":"fits the M4"},"starred":[3,1]})"));
        QVERIFY(!StudyStore::open(other.toStdString(), StudyStore::Mode::ReadOnly)->meta("gui_shortlist"));
        MainWindow again;
        again.show();
        QVERIFY(again.openStudy(path));
        QCOMPARE(again.view()->shortlist()->starred(), (QList<qint64>{3, 1}));
        QCOMPARE(again.view()->shortlist()->note(3), QStringLiteral("fits the M4"));
        const TrialTableModel *model = again.view()->model();
        int row = -1;
        for (int r = 0; r < model->rowCount(); ++r)
            if (model->trialAt(r)->number == 3)
                row = r;
        QCOMPARE(model->index(row, TrialTableModel::StarColumn).data().toString(), QStringLiteral("★"));
        QCOMPARE(model->index(row, model->noteColumn()).data().toString(), QStringLiteral("fits the M4"));
    }

    // File > Export Report writes the open study as HTML or PDF; an unwritable path is said, nothing is written.
    void reportIsExportedFromTheWindow()
    {
        const QString path = prepareStudy(m_dir.filePath(QStringLiteral("reported.psc")), 4);
        MainWindow w;
        w.show();
        QVERIFY(!w.report()->action()->isEnabled());
        QVERIFY(w.openStudy(path));
        QVERIFY(w.report()->action()->isEnabled());
        w.view()->shortlist()->setStarred(2, true);
        const QString html = m_dir.filePath(QStringLiteral("window-report.html"));
        QCOMPARE(w.report()->exportTo(html), QString());
        QFile file(html);
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QString text = QString::fromUtf8(file.readAll());
        QVERIFY(text.contains(QStringLiteral("<b>Trial 2</b>")));
        QVERIFY(text.contains(QStringLiteral("data:image/png;base64,")));
        const QString pdf = m_dir.filePath(QStringLiteral("window-report.pdf"));
        QCOMPARE(w.report()->exportTo(pdf), QString());
        QFile pdfFile(pdf);
        QVERIFY(pdfFile.open(QIODevice::ReadOnly));
        QCOMPARE(pdfFile.read(5), QByteArray("%PDF-"));
        const QString error = w.report()->exportTo(QStringLiteral("/proc/window-report.html"));
        QVERIFY2(error.contains(QStringLiteral("/proc/window-report.html")), qPrintable(error));
        QVERIFY(!QFile::exists(QStringLiteral("/proc/window-report.html")));
    }

    // Views prepared from the window (front on the plot's axes, a card, a compare, a compression path) are kept with
    // the study and come back in another window; Present opens them, F9 too.
    void presentationIsPreparedAndKept()
    {
        const QString path = prepareStudy(m_dir.filePath(QStringLiteral("presented.psc")), 5);
        addCompressedChild(path, 1); // of trial 0 (database id 1)
        {
            MainWindow w;
            w.show();
            QVERIFY(w.openStudy(path));
            PresentationController *p = w.presentation();
            QVERIFY(p->addFront());
            QVERIFY(!p->addCard()); // nothing selected: says so
            QVERIFY(w.selectTrialNumber(1));
            QVERIFY(p->addCard());
            QVERIFY(!p->addCompressionPath()); // trial 1 has no children
            QVERIFY(w.selectTrialNumber(0));
            QVERIFY(p->addCompressionPath());
            w.view()->shortlist()->setStarred(0, true);
            w.view()->shortlist()->setStarred(1, true);
            QVERIFY(p->addCompare());
            QCOMPARE(p->presentation()->size(), 4);
            p->presentation()->setNote(0, QStringLiteral("the whole study"));
            PresentationWindow *window = p->present(false);
            QVERIFY(window);
            QVERIFY(QTest::qWaitForWindowExposed(window));
            QCOMPARE(window->title()->text(), p->presentation()->slides()[0].title);
            QTest::keyClick(window, Qt::Key_Right);
            QCOMPARE(window->currentSlide(), 1);
            window->close();
        }
        const auto kept = StudyStore::open(path.toStdString(), StudyStore::Mode::ReadOnly)->meta("gui_presentation");
        QVERIFY(kept);
        MainWindow again;
        again.show();
        QVERIFY(again.openStudy(path));
        const std::vector<Slide> &slides = again.presentation()->presentation()->slides();
        QCOMPARE(slides.size(), std::size_t(4));
        QCOMPARE(slides[0].kind, Slide::Kind::Front);
        QCOMPARE(slides[0].note, QStringLiteral("the whole study"));
        QCOMPARE(slides[1].trials, (QList<qint64>{1}));
        QCOMPARE(slides[2].kind, Slide::Kind::CompressionPath);
        QCOMPARE(slides[3].trials, (QList<qint64>{0, 1}));
        QVERIFY(again.presentation()->presentAction()->isEnabled());
        QCOMPARE(again.presentation()->presentAction()->shortcut(), QKeySequence(Qt::Key_F9));
    }

    // File > New Study opens the form filled from the engine's registries and checked by them; Create saves the spec
    // (atomically, where the user says) and goes on to the study file; a spec that cannot be written is said.
    void newStudyFormSavesItsSpec()
    {
        MainWindow w;
        w.show();
        w.newStudyForm()->formAction()->trigger();
        NewStudyDialog *form = w.newStudyForm()->form();
        QVERIFY(form);
        QVERIFY(form->isVisible());
        QCOMPARE(form->problem(), QString());
        QVERIFY(form->strategyMenu()->count() >= 4); // random, evolution, mobo, ... from the plugins
        form->addObjective(QStringLiteral("energy_j@ethos-u55-128"), QStringLiteral("min"));
        QCOMPARE(form->problem(), QString());
        form->addObjective(QStringLiteral("energy_j@no-such-board"), QStringLiteral("min"));
        QVERIFY2(form->problem().contains(QStringLiteral("no-such-board")), qPrintable(form->problem()));
        form->close();

        QStringList created;
        NewStudyController controller(w.controller(), &w, [&created](const QString &spec) { created << spec; });
        const QString spec = m_dir.filePath(QStringLiteral("from-form.json"));
        NewStudyDialog *again = controller.openForm();
        again->nameEdit()->setText(QStringLiteral("from-form"));
        QCOMPARE(controller.saveSpecAndCreate(again->specJson(), spec), QString());
        QCOMPARE(created, QStringList{spec});
        QCOMPARE(StudySpec::fromFile(spec.toStdString()).name, std::string("from-form"));
        const QString error = controller.saveSpecAndCreate(again->specJson(), QStringLiteral("/proc/from-form.json"));
        QVERIFY2(error.contains(QStringLiteral("/proc/from-form.json")), qPrintable(error));
        QCOMPARE(created.size(), 1);
        again->close();
    }

    // A study another process is writing (its lock file names a live process) cannot be run from the window, and the
    // Run tooltip says who runs it; once that process is gone, Run comes back by itself.
    void runIsOffWhileAnotherProcessWritesTheStudy()
    {
        const QString path = prepareStudy(m_dir.filePath(QStringLiteral("elsewhere.psc")), 2);
        QProcess other;
        other.start(QStringLiteral("sleep"), {QStringLiteral("60")});
        QVERIFY(other.waitForStarted());
        const auto writeLock = [&](qint64 pid) {
            QFile lock(path + QStringLiteral(".lock"));
            QVERIFY(lock.open(QIODevice::WriteOnly | QIODevice::Truncate));
            lock.write(QStringLiteral("%1\nparetoscope\n%2\n").arg(pid).arg(QSysInfo::machineHostName()).toUtf8());
        };
        writeLock(other.processId());
        QCOMPARE(QString::fromStdString(studyWriter(path.toStdString())),
                 QStringLiteral("paretoscope (pid %1 on %2)").arg(other.processId()).arg(QSysInfo::machineHostName()));
        MainWindow w;
        w.show();
        QVERIFY(w.openStudy(path));
        QVERIFY(!w.runAction()->isEnabled());
        QVERIFY2(w.runAction()->toolTip().contains(
                     QStringLiteral("being run by paretoscope (pid %1").arg(other.processId())),
                 qPrintable(w.runAction()->toolTip()));
        // The process ends without removing its lock file (killed): the file names a pid that is gone.
        other.kill();
        QVERIFY(other.waitForFinished());
        QCOMPARE(QString::fromStdString(studyWriter(path.toStdString())), QString());
        QTRY_VERIFY_WITH_TIMEOUT(w.runAction()->isEnabled(), 5000);
        // This process's own writer is not "another process".
        QFile::remove(path + QStringLiteral(".lock"));
        auto own = StudyStore::open(path.toStdString(), StudyStore::Mode::ReadWrite);
        QVERIFY(QFile::exists(path + QStringLiteral(".lock")));
        QCOMPARE(QString::fromStdString(studyWriter(path.toStdString())), QString());
    }

    void recentFilesPruned()
    {
        MainWindow w;
        RecentFiles *recent = w.recentFiles();
        recent->clear();
        const QString a = prepareStudy(m_dir.filePath(QStringLiteral("recent-a.psc")), 1);
        const QString b = prepareStudy(m_dir.filePath(QStringLiteral("recent-b.psc")), 1);
        recent->add(a);
        recent->add(b);
        recent->add(a);
        QCOMPARE(recent->files(), (QStringList{a, b}));
        // Other spellings of the same file (".", "..", a symbolic link) are the same entry.
        recent->add(m_dir.filePath(QStringLiteral("./sub/../recent-b.psc")));
        QVERIFY(QFile::link(b, m_dir.filePath(QStringLiteral("link-to-b.psc"))));
        recent->add(m_dir.filePath(QStringLiteral("link-to-b.psc")));
        QCOMPARE(recent->files(), (QStringList{QFileInfo(b).canonicalFilePath(), QFileInfo(a).canonicalFilePath()}));
        QVERIFY(QFile::remove(m_dir.filePath(QStringLiteral("link-to-b.psc"))));
        recent->add(a);
        QFile::remove(b);
        QCOMPARE(recent->files(), QStringList{a});
        for (int i = 0; i < 10; ++i)
            recent->add(prepareStudy(m_dir.filePath(QStringLiteral("recent-%1.psc").arg(i)), 0));
        QCOMPARE(recent->files().size(), RecentFiles::maxFiles());
    }

    void runTinyStudy()
    {
        const QString spec = writeSpec(m_dir.filePath(QStringLiteral("tiny.json")), 2, 1200, 1);
        const QString db = m_dir.filePath(QStringLiteral("tiny.psc"));
        MainWindow w;
        w.show();
        StudyController *controller = w.controller();
        QSignalSpy finished(controller, &StudyController::runFinished);
        QSignalSpy changed(controller, &StudyController::trialsChanged);
        QSignalSpy opened(controller, &StudyController::studyOpened);
        QVERIFY(w.newStudy(spec, db));
        QVERIFY(controller->isRunning());
        QVERIFY(w.progressBar()->isVisible());
        QVERIFY(w.cancelAction()->isEnabled());
        QVERIFY(!w.runAction()->isEnabled());

        QVERIFY(finished.wait(240000));
        qInfo("%s", qPrintable(finished.at(0).at(1).toString()));
        QCOMPARE(finished.at(0).at(0).value<JobStatus>(), JobStatus::Succeeded);
        QCOMPARE(opened.size(), 1);
        QVERIFY(changed.size() >= 1); // the table was filled while the study ran, not reloaded at the end
        QCOMPARE(w.view()->model()->rowCount(), 2);
        for (const Trial &t : w.view()->model()->trials())
            QVERIFY2(t.state == TrialState::Complete, t.error.c_str());
        QVERIFY(!w.progressBar()->isVisible());
        QVERIFY(!w.runAction()->isEnabled()); // budget reached
        QCOMPARE(w.view()->plot()->plottedTrialIds().size(), 2);
    }

    void cancelAndClose()
    {
        const QString spec = writeSpec(m_dir.filePath(QStringLiteral("big.json")), 50, 0, 3);
        const QString db = m_dir.filePath(QStringLiteral("big.psc"));
        MainWindow w;
        w.show();
        StudyController *controller = w.controller();
        QSignalSpy finished(controller, &StudyController::runFinished);
        QSignalSpy progress(controller, &StudyController::runProgress);
        QVERIFY(w.newStudy(spec, db));
        // Wait until trainings are under way.
        auto training = [&] {
            return !progress.isEmpty() && progress.last().at(1).toString().contains(QStringLiteral(" training")) &&
                   !progress.last().at(1).toString().contains(QStringLiteral(" 0 training"));
        };
        while (!training())
            QVERIFY(progress.wait(60000));

        w.cancelAction()->trigger();
        QVERIFY(finished.wait(15000));
        qInfo("%s", qPrintable(finished.at(0).at(1).toString()));
        QCOMPARE(finished.at(0).at(0).value<JobStatus>(), JobStatus::Cancelled);
        QVERIFY(w.runAction()->isEnabled());
        {
            // Cancel stops a training at its next batch instead of letting it finish: the trials that were training
            // went back to pending (3 epochs each; none could have finished since training was seen to start).
            auto store = StudyStore::open(db.toStdString(), StudyStore::Mode::ReadOnly);
            QCOMPARE(store->integrityCheck(), std::string("ok"));
            const TrialCounts counts = store->trialCounts();
            QCOMPARE(int(counts.running), 0);
            QVERIFY2(counts.pending >= 1, qPrintable(QString::number(counts.pending)));
        }

        // Resume, then close the window mid-run (Ctrl+Q): the close does not block the GUI thread; the window
        // stays up while the run stops, then closes by itself. The trials in flight went back to pending, and the
        // study file alone (copied without its -wal, as a user would send it) holds every trial.
        progress.clear();
        finished.clear();
        w.runAction()->trigger();
        QVERIFY(controller->isRunning());
        while (!training())
            QVERIFY(progress.wait(60000));
        w.quitAction()->trigger();
        QVERIFY(w.isVisible());
        QVERIFY(controller->isRunning() || !finished.isEmpty());
        if (finished.isEmpty())
            QVERIFY(finished.wait(30000));
        QCOMPARE(finished.at(0).at(0).value<JobStatus>(), JobStatus::Cancelled);
        QTRY_VERIFY(!w.isVisible());
        const QString copy = m_dir.filePath(QStringLiteral("sent/big.psc"));
        QVERIFY(QDir().mkpath(QFileInfo(copy).path()));
        QVERIFY(QFile::copy(db, copy));
        auto store = StudyStore::open(db.toStdString(), StudyStore::Mode::ReadOnly);
        QCOMPARE(store->integrityCheck(), std::string("ok"));
        QCOMPARE(int(store->trialCounts().running), 0);
        auto sent = StudyStore::open(copy.toStdString(), StudyStore::Mode::ReadOnly);
        QCOMPARE(sent->trialCounts().total(), store->trialCounts().total());
        QCOMPARE(sent->trialCounts().complete, store->trialCounts().complete);
    }
};

int main(int argc, char *argv[])
{
    // Keep the user's settings (recent files, window state) out of the test.
    QTemporaryDir config;
    qputenv("XDG_CONFIG_HOME", config.path().toLocal8Bit());
    QApplication app(argc, argv);
    QCoreApplication::setOrganizationName(QStringLiteral("ParetoscopeTest"));
    QCoreApplication::setApplicationName(QStringLiteral("tst_mainwindow"));
    TestMainWindow test;
    return QTest::qExec(&test, argc, argv);
}

#include "tst_mainwindow.moc"
