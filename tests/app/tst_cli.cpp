// SPDX-License-Identifier: GPL-3.0-or-later
// The command line as users and scripts see it: exit codes, messages, and a study killed with SIGKILL in
// the middle of its work and resumed.
#include "psc/export/exporter.h"
#include "psc/net/networkparser.h"
#include "psc/quant/integerinference.h"
#include "psc/quant/trainedmodel.h"
#include "psc/study/lineage.h"
#include "psc/study/studystore.h"

#include "linearmodel.h"

#include "processresult.h"
#include "testsupport.h"

#include <QCryptographicHash>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

#include <cmath>
#include <csignal>

using namespace psc;
using psc::test::runApp;
using psc::test::writeFile;
using Result = psc::test::ProcessResult;

namespace {

QByteArray fileHash(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return QCryptographicHash::hash(f.readAll(), QCryptographicHash::Sha256);
}

/**
 * A study spec that trains tiny: a few thousand images, one epoch. `fixed` makes every choice of the
 * space a single value, so all candidates are the same architecture (for the cache test).
 */
QString writeSpec(const QTemporaryDir &dir, const QString &name, int trials, bool fixed = false, int trainSubset = 1500)
{
    QFile spaceFile(QStringLiteral(PSC_SOURCE_DIR "/resources/spaces/ds-cnn-fashion-mnist.json"));
    spaceFile.open(QIODevice::ReadOnly);
    QJsonObject space = QJsonDocument::fromJson(spaceFile.readAll()).object();
    if (fixed) {
        space["stem"] =
            QJsonObject{{"out_channels", QJsonArray{8}}, {"kernel", QJsonArray{3}}, {"stride", QJsonArray{2}}};
        space["blocks"] = QJsonObject{{"count", QJsonArray{1}},         {"type", QJsonArray{"separable"}},
                                      {"out_channels", QJsonArray{16}}, {"kernel", QJsonArray{3}},
                                      {"stride", QJsonArray{2}},        {"expansion", QJsonArray{1}},
                                      {"residual", QJsonArray{false}}};
        space["head"] = QJsonObject{{"dense_units", QJsonArray{0}}};
    }
    QJsonObject spec{{"name", name},
                     {"search_space", space},
                     {"objectives", QJsonArray{QJsonObject{{"metric", "accuracy"}, {"direction", "max"}},
                                               QJsonObject{{"metric", "weight_bytes"}, {"direction", "min"}}}},
                     {"constraints", QJsonArray{"weight_bytes <= 32KiB"}},
                     {"budget", QJsonObject{{"trials", trials}}},
                     {"training", QJsonObject{{"epochs", 1}, {"train_subset", trainSubset}, {"test_subset", 300}}},
                     {"seed", 7}};
    const QString path = dir.filePath(name + ".json");
    QFile f(path);
    f.open(QIODevice::WriteOnly);
    f.write(QJsonDocument(spec).toJson());
    return path;
}

/**
 * A study file made by hand for `compress`'s refusals: trial 0 failed, trial 1 complete with weights in another
 * format, trial 2 complete without weights, trial 3 complete with a trained model (flatten, dense "logits").
 */
QString handMadeStudy(const QTemporaryDir &dir)
{
    QFile specFile(writeSpec(dir, "handmade", 1));
    specFile.open(QIODevice::ReadOnly);
    const QString db = dir.filePath("handmade.psc");
    auto store = StudyStore::create(db.toStdString(), specFile.readAll().toStdString());
    Trial t;
    t.state = TrialState::Failed;
    t.parametersJson = "{}";
    store->insertTrial(t);
    t.state = TrialState::Complete;
    store->insertTrial(t);
    store->putArtifact(t.id, "weights", "torch-archive", {1, 2, 3});
    store->insertTrial(t);
    const TrainedModel m = testing::zeroLinearModel();
    // Evaluated on an MCU target: a C export is measured on its core (Cortex-M4) beside the target's estimate.
    t.architectureJson = networkToJson(m.network);
    t.metrics = {{"stm32f446re", "latency_s", 1e-3}, {"", "weight_bytes", 100.0}};
    store->insertTrial(t);
    store->putArtifact(t.id, "weights", kTrainedModelFormat, serializeTrainedModel(m));
    return db;
}

} // namespace

class TestCli : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void helpAndUsage()
    {
        const Result help = runApp({"--help"});
        QCOMPARE(help.exitCode, 0);
        QVERIFY(help.out.contains("analyze") && help.out.contains("resume"));
        for (const char *cmd : {"analyze", "run", "resume", "show", "plot"}) {
            const Result r = runApp({cmd, "--help"});
            QCOMPARE(r.exitCode, 0);
            QVERIFY2(r.out.contains("Usage:"), cmd);
        }
        QCOMPARE(runApp({"analyze"}).exitCode, 2);                  // missing argument
        QCOMPARE(runApp({"show", "--bogus", "x.psc"}).exitCode, 2); // unknown option
        const Result noDb = runApp({"run", "spec.json"});
        QCOMPARE(noDb.exitCode, 2);
        QVERIFY(noDb.err.contains("--db"));
    }

    void analyzeTableAndJson()
    {
        const QString net = QStringLiteral(PSC_SOURCE_DIR "/resources/networks/fashion-mnist-cnn.json");
        const Result table = runApp({"analyze", net});
        QCOMPARE(table.exitCode, 0);
        QVERIFY(table.out.contains("1,117,056")); // total MACs of the reference CNN
        const Result json = runApp({"analyze", net, "--json"});
        QCOMPARE(json.exitCode, 0);
        const QJsonObject o = QJsonDocument::fromJson(json.out.toUtf8()).object();
        QVERIFY(!o.isEmpty());
        QVERIFY(json.out.contains("1117056"));
    }

    void analyzeBadInputNamesFileAndPosition()
    {
        const QString bad = QStringLiteral(PSC_TEST_DATA_DIR "/networks/bad-malformed.json");
        const Result r = runApp({"analyze", bad});
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains("bad-malformed.json:"), qPrintable(r.err));
        QVERIFY(r.err.count('\n') == 1); // one message
        const Result missing = runApp({"analyze", "/nonexistent/net.json"});
        QCOMPARE(missing.exitCode, 2);
        QVERIFY(missing.err.contains("/nonexistent/net.json"));
    }

    void runRefusesBadInputAndLeavesNothing()
    {
        QTemporaryDir dir;
        const QString spec = writeSpec(dir, "refuse", 1);
        // An existing --db is never overwritten.
        const QString existing = dir.filePath("existing.psc");
        QFile f(existing);
        f.open(QIODevice::WriteOnly);
        f.write("precious");
        f.close();
        const QByteArray before = fileHash(existing);
        QCOMPARE(runApp({"run", spec, "--db", existing}).exitCode, 2);
        QCOMPARE(fileHash(existing), before);
        // A dataset that is not there: clear error, no study file left behind.
        QFile specFile(spec);
        specFile.open(QIODevice::ReadOnly);
        QJsonObject o = QJsonDocument::fromJson(specFile.readAll()).object();
        specFile.close();
        o["task"] = QJsonObject{{"dataset", "fashion-mnist"}, {"path", dir.filePath("no-such-dir")}};
        const QString badTask = dir.filePath("badtask.json");
        QFile out(badTask);
        out.open(QIODevice::WriteOnly);
        out.write(QJsonDocument(o).toJson());
        out.close();
        const Result r = runApp({"run", badTask, "--db", dir.filePath("new.psc")});
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains("no-such-dir"), qPrintable(r.err));
        QVERIFY(!QFile::exists(dir.filePath("new.psc")));
        // A strategy option out of range: the file, line:column and pointer of the option, before anything is made.
        QFile again(spec);
        QVERIFY(again.open(QIODevice::ReadOnly));
        o = QJsonDocument::fromJson(again.readAll()).object();
        o["strategy"] = QJsonObject{{"id", "nsga2"}, {"options", QJsonObject{{"population", 2}}}};
        const QString badOption = writeFile(dir, "badoption.json", QJsonDocument(o).toJson());
        const Result opt = runApp({"run", badOption, "--db", dir.filePath("opt.psc")});
        QCOMPARE(opt.exitCode, 2);
        QVERIFY2(QRegularExpression(QStringLiteral("badoption.json:\\d+:\\d+: /strategy/options/population: expected a "
                                                   "whole number in \\[4, 10000\\], got 2"))
                     .match(opt.err)
                     .hasMatch(),
                 qPrintable(opt.err));
        QVERIFY(!QFile::exists(dir.filePath("opt.psc")));
        // mobo options and early stopping are checked the same way, before anything is created.
        const struct
        {
            QJsonObject strategy, earlyStopping;
            const char *pattern;
        } bad[] = {
            {QJsonObject{{"id", "mobo"}, {"options", QJsonObject{{"initial_trials", 1}}}},
             {},
             "/strategy/options/initial_trials: expected a whole number in \\[2, 10000\\], got 1"},
            {QJsonObject{{"id", "random"}}, QJsonObject{{"type", "asha"}, {"reduction_factor", 1}},
             "/early_stopping/reduction_factor: expected an integer between 2 and 100, got 1"},
            {QJsonObject{{"id", "random"}}, QJsonObject{{"type", "asha"}, {"min_epochs", 3}},
             "/early_stopping/min_epochs: early stopping needs epochs to stop: min_epochs 3 is not below the "
             "training's \\d+ epoch"},
        };
        for (const auto &b : bad) {
            o["strategy"] = b.strategy;
            if (b.earlyStopping.isEmpty())
                o.remove("early_stopping");
            else
                o["early_stopping"] = b.earlyStopping;
            const QString file = writeFile(dir, "bad-search.json", QJsonDocument(o).toJson());
            const Result refused = runApp({"run", file, "--db", dir.filePath("bad-search.psc")});
            QCOMPARE(refused.exitCode, 2);
            QVERIFY2(QRegularExpression(QStringLiteral("bad-search.json:\\d+:\\d+: ") + QString::fromUtf8(b.pattern))
                         .match(refused.err)
                         .hasMatch(),
                     qPrintable(refused.err));
            QVERIFY(!QFile::exists(dir.filePath("bad-search.psc")));
        }
        // show/resume on something that is not a study: exit 2, file unchanged.
        QCOMPARE(runApp({"show", existing}).exitCode, 2);
        QCOMPARE(runApp({"resume", existing}).exitCode, 2);
        QCOMPARE(fileHash(existing), before);
    }

    // The bundled tabular study runs through the real runner in about a second; tabulate writes a study that trained
    // a space as a table, and refuses a study without learning curves.
    void tabularStudyAndTabulate()
    {
        QTemporaryDir dir;
        const QString db = dir.filePath("tabular.psc");
        const Result run = runApp(
            {"run", PSC_SOURCE_DIR "/resources/studies/fashion-mnist-tabular.json", "--db", db, "--trials", "15"});
        QCOMPARE(run.exitCode, 0);
        QVERIFY2(run.out.contains("15 trials finished, budget reached"), qPrintable(run.out + run.err));
        const Result shown = runApp({"show", db});
        QCOMPARE(shown.exitCode, 0);
        QVERIFY2(shown.out.contains("Strategy: mobo"), qPrintable(shown.out));
        const Result table = runApp({"tabulate", db, "--out", dir.filePath("t.json")});
        QCOMPARE(table.exitCode, 0);
        QVERIFY2(table.out.contains("networks, 4 epochs each"), qPrintable(table.out));
        const Result again = runApp({"tabulate", db, "--out", dir.filePath("t.json")});
        QCOMPARE(again.exitCode, 2);
        QVERIFY2(again.err.contains("exists; give --force to replace it"), qPrintable(again.err));
        const Result notStudy = runApp({"tabulate", dir.filePath("t.json"), "--out", dir.filePath("u.json")});
        QCOMPARE(notStudy.exitCode, 2);
    }

    void cacheTrainsAnArchitectureOnce()
    {
        QTemporaryDir dir;
        const QString db = dir.filePath("cache.psc");
        const Result r = runApp({"run", writeSpec(dir, "cache", 3, true), "--db", db});
        QCOMPARE(r.exitCode, 0);
        QVERIFY2(r.out.contains("1 trained, 2 cached"), qPrintable(r.out));
        const Result show = runApp({"show", db, "--json"});
        QCOMPARE(show.exitCode, 0);
        const QJsonArray trials = QJsonDocument::fromJson(show.out.toUtf8()).object()["trials"].toArray();
        QCOMPARE(trials.size(), 3);
        const double acc = trials[0].toObject()["metrics"].toObject()["accuracy"].toDouble();
        for (int i = 1; i < 3; ++i) {
            QCOMPARE(trials[i].toObject()["cached_from"].toInt(), trials[0].toObject()["id"].toInt());
            QCOMPARE(trials[i].toObject()["metrics"].toObject()["accuracy"].toDouble(), acc);
        }
        // Each search trial says what proposed it (the random strategy, at random).
        for (const QJsonValue &t : trials)
            QCOMPARE(t.toObject()["proposed_by"].toString(), QStringLiteral("random:random"));
        // The strategy and the front's growth: one hypervolume per trial, never falling, in [0, 1].
        const QJsonObject study = QJsonDocument::fromJson(show.out.toUtf8()).object();
        QCOMPARE(study["strategy"].toObject()["id"].toString(), QStringLiteral("random"));
        const QJsonArray curve = study["hypervolume"].toObject()["curve"].toArray();
        QCOMPARE(curve.size(), 3);
        double previous = 0;
        for (const QJsonValue &v : curve) {
            const double hv = v.toObject()["hypervolume"].toDouble();
            QVERIFY(hv >= previous && hv <= 1.0);
            previous = hv;
        }
        const Result text = runApp({"show", db});
        QVERIFY2(text.out.contains("Strategy: random") && text.out.contains("Hypervolume: "), qPrintable(text.out));
    }

    // `compress` refuses bad input with exit code 2 and one message naming what is wrong, before loading the
    // dataset, and leaves the study unchanged.
    // export: the files are written and recorded with their size and SHA-256; every refusal is exit 2 with the reason
    // and leaves the study file as it was; the written C compiles with -Werror and runs.
    // import: a TFLite export of a trained model comes back as a description and weights that analyze and cost
    // read; damaged files, unsupported files and existing outputs are refused with exit 2 and nothing written.
    void importWritesAndRefuses()
    {
        QTemporaryDir dir;
        const TrainedModel m = testing::zeroLinearModel();
        const QString model = writeFile(
            dir, "linear.tflite",
            QByteArray::fromStdString(
                makeExporter(ExportFormat::Tflite)->write(IntegerModel::quantize(m), {"linear", ""}).files[0].bytes));
        const QString net = dir.filePath("linear.json"), weights = dir.filePath("linear.pscw");
        const Result r = runApp({"import", model, "--out", net, "--weights", weights});
        QCOMPARE(r.exitCode, 0);
        QVERIFY2(r.out.startsWith("imported " + model + " as network \"linear\": 2 layers"), qPrintable(r.out));
        QVERIFY(r.out.contains("int8 (the integer reference can run it)"));
        QCOMPARE(runApp({"analyze", net}).exitCode, 0);
        QCOMPARE(runApp({"cost", net, "--target", "stm32f746zg"}).exitCode, 0);
        // cost --weights encodes the trained weights (all zero here) instead of the prior: fewer Ethos-U weight bytes.
        auto weightBytes = [](const Result &c) {
            return QJsonDocument::fromJson(c.out.toUtf8())
                .object()["totals"]
                .toObject()["weight_storage_bytes"]
                .toDouble();
        };
        const Result priorCost = runApp({"cost", net, "--target", "ethos-u55-128", "--json"});
        const Result trainedCost = runApp({"cost", net, "--target", "ethos-u55-128", "--weights", weights, "--json"});
        QCOMPARE(trainedCost.exitCode, 0);
        QVERIFY2(weightBytes(trainedCost) < weightBytes(priorCost),
                 qPrintable(QStringLiteral("%1 vs %2").arg(weightBytes(trainedCost)).arg(weightBytes(priorCost))));
        const Result notPscw = runApp({"cost", net, "--target", "ethos-u55-128", "--weights", model});
        QCOMPARE(notPscw.exitCode, 2);
        QVERIFY2(notPscw.err.contains("linear.tflite"), qPrintable(notPscw.err));
        // The weights hold the same network, with the integers' scales.
        QFile w(weights), n(net);
        QVERIFY(w.open(QIODevice::ReadOnly) && n.open(QIODevice::ReadOnly));
        const QByteArray stored = w.readAll();
        const TrainedModel back =
            deserializeTrainedModel(std::vector<std::uint8_t>(stored.begin(), stored.end()), "linear.pscw");
        QCOMPARE(QByteArray::fromStdString(networkToJson(back.network)).trimmed(), n.readAll().trimmed());
        QCOMPARE(back.parameters.size(), m.parameters.size());

        const QByteArray before = fileHash(net);
        QFile whole(model);
        QVERIFY(whole.open(QIODevice::ReadOnly));
        const QByteArray bytes = whole.readAll();
        const QString truncated = writeFile(dir, "cut.tflite", bytes.left(bytes.size() / 2));
        // An operator outside the supported set, as another tool could write: the ONNX export with its first QLinear
        // operator renamed in place (same length, so the protobuf stays well-formed).
        QByteArray onnx = QByteArray::fromStdString(
            makeExporter(ExportFormat::Onnx)->write(IntegerModel::quantize(m), {"linear", ""}).files[0].bytes);
        const qsizetype op = std::max(onnx.indexOf("QLinearConv"), onnx.indexOf("QLinearMatMul"));
        QVERIFY(op >= 0);
        onnx[op + 7] = 'Z'; // "QLinearZonv" / "QLinearZatMul"
        const QString odd = writeFile(dir, "odd.onnx", onnx);
        const struct
        {
            QStringList args;
            const char *message;
        } refusals[] = {
            {{"import", truncated, "--out", dir.filePath("x.json")}, "cut.tflite: the TFLite flatbuffer is damaged"},
            {{"import", writeFile(dir, "text.tflite", "hello"), "--out", dir.filePath("x.json")},
             "text.tflite: not a TFLite model"},
            {{"import", dir.filePath("none.tflite"), "--out", dir.filePath("x.json")}, "cannot be read"},
            {{"import", model, "--out", net}, "linear.json: exists; give --force to replace it"},
            {{"import", model, "--out", dir.filePath("x.txt")}, "--out must end in .json"},
            {{"import", model}, "--out NET.json or --into STUDY.psc is required"},
            {{"import", writeFile(dir, "m.pb", "x"), "--out", dir.filePath("x.json")}, "expected a .tflite or .onnx"},
            {{"import", odd, "--out", dir.filePath("x.json")}, "is not supported"},
        };
        for (const auto &[args, message] : refusals) {
            const Result bad = runApp(args);
            QCOMPARE(bad.exitCode, 2);
            QVERIFY2(bad.err.contains(message), qPrintable(bad.err));
        }
        QCOMPARE(fileHash(net), before);
        QVERIFY(!QFile::exists(dir.filePath("x.json")));

        // --into: an external trial of a study, with its metrics and weights, not counted in the budget.
        const QString db = handMadeStudy(dir);
        const std::int64_t searchBefore = [&] {
            auto store = StudyStore::open(db.toStdString(), StudyStore::Mode::ReadOnly);
            return store->trialCounts(StudyStore::TrialKind::Search).complete;
        }();
        const Result into = runApp({"import", model, "--into", db});
        QCOMPARE(into.exitCode, 0);
        QVERIFY2(into.out.contains("added to the study as trial 4 (imported: not counted in the budget), deployed "
                                   "accuracy "),
                 qPrintable(into.out));
        auto store = StudyStore::open(db.toStdString(), StudyStore::Mode::ReadOnly);
        const Trial added = store->trials().back();
        QVERIFY(isImported(added));
        QVERIFY(store->artifact(added.id, "weights").has_value());
        QCOMPARE(store->trialCounts(StudyStore::TrialKind::Search).complete, searchBefore);
        QCOMPARE(store->trialCounts(StudyStore::TrialKind::Imported).complete, std::int64_t(1));
        const Result shown = runApp({"show", db, "--json"});
        QCOMPARE(QJsonDocument::fromJson(shown.out.toUtf8())
                     .object()["trials"]
                     .toArray()[4]
                     .toObject()["imported_from"]
                     .toString(),
                 QFileInfo(model).absoluteFilePath());
    }

    void exportWritesAndRecords()
    {
        QTemporaryDir dir;
        const QString db = handMadeStudy(dir);
        const QString out = dir.filePath("m.c");
        const Result r = runApp({"export", db, "--trial", "3", "--format", "c", "--out", out});
        QCOMPARE(r.exitCode, 0);
        QVERIFY2(r.out.startsWith("exported trial 3 of study handmade as c:\n"), qPrintable(r.out));
        QVERIFY(QFile::exists(dir.filePath("m.h")));
        {
            auto store = StudyStore::open(db.toStdString(), StudyStore::Mode::ReadOnly);
            const std::vector<ExportRecord> records = store->exports(store->trials().at(3).id);
            QCOMPARE(records.size(), std::size_t(1));
            QCOMPARE(records[0].format, std::string("c"));
            QCOMPARE(QString::fromStdString(records[0].path), out);
            QCOMPARE(records[0].bytes, QFileInfo(out).size());
            QCOMPARE(QByteArray::fromStdString(records[0].sha256), fileHash(out).toHex());
            QVERIFY2(records[0].figuresJson.find("\"arena_bytes\"") != std::string::npos,
                     records[0].figuresJson.c_str());
        }

        const QByteArray before = fileHash(db);
        const QByteArray written = fileHash(out);
        const struct
        {
            QStringList args;
            const char *message;
        } refusals[] = {
            {{"--trial", "3", "--format", "c", "--out", out}, "m.c: exists; give --force to replace it"},
            {{"--trial", "0", "--format", "c", "--out", dir.filePath("f.c")}, "trial 0 is failed"},
            {{"--trial", "1", "--format", "c", "--out", dir.filePath("f.c")}, "stored as \"torch-archive\""},
            {{"--trial", "2", "--format", "c", "--out", dir.filePath("f.c")}, "trial 2 has no trained weights"},
            {{"--trial", "9", "--format", "c", "--out", dir.filePath("f.c")}, "no trial 9 (the study has 4 trials"},
            {{"--trial", "3", "--format", "c", "--out", dir.filePath("no/f.c")}, "does not exist"},
            {{"--trial", "3", "--format", "c", "--out", "/proc/f.c"}, "/proc/f.c: cannot write: "},
            {{"--trial", "3", "--format", "c", "--out", dir.filePath("f.h")}, "--out must end in .c"},
            {{"--trial", "3", "--format", "cc", "--out", dir.filePath("f.c")}, "did you mean \"c\"?"},
            {{"--trial", "3", "--format", "c"}, "--out is required"},
        };
        for (const auto &[args, message] : refusals) {
            const Result bad = runApp(QStringList{"export", db} + args);
            QCOMPARE(bad.exitCode, 2);
            QVERIFY2(bad.err.contains(message), qPrintable(bad.err));
        }
        QCOMPARE(fileHash(db), before);
        QCOMPARE(fileHash(out), written);
        QVERIFY(!QFile::exists(dir.filePath("f.c")));

        const Result json = runApp({"export", db, "--trial", "3", "--format", "c", "--out", out, "--force", "--json"});
        QCOMPARE(json.exitCode, 0);
        const QJsonObject o = QJsonDocument::fromJson(json.out.toUtf8()).object();
        QCOMPARE(o["trial"].toInt(), 3);
        QCOMPARE(o["sha256"].toString().toUtf8(), fileHash(out).toHex());
        QCOMPARE(o["files"].toArray().size(), 2);
        QVERIFY(o["figures"].toObject()["arena_bytes"].toDouble() > 0);
        // Measured on QEMU's Cortex-M4 beside stm32f446re's estimates: flash, SRAM and instructions.
        const QJsonArray rows = o["measured_beside_estimated"].toArray();
        QCOMPARE(rows.size(), 3);
        for (const QJsonValue &row : rows) {
            const QJsonObject c = row.toObject();
            QVERIFY2(c["measured_as"].toString().contains("cortex-m4f (QEMU mps2-an386)"), qPrintable(json.out));
            QVERIFY(c["estimate_metric"].toString().endsWith("@stm32f446re"));
            QVERIFY(c["measured"].toDouble() > 0);
            const double bound = c["quantity"] == "instructions" ? 0.15 : 0.03;
            QVERIFY2(std::abs(c["relative_error"].toDouble()) <= bound, qPrintable(json.out));
        }
        QCOMPARE(rows[1].toObject()["quantity"].toString(), QString("SRAM"));
        QCOMPARE(rows[1].toObject()["relative_error"].toDouble(), 0.0);
        // show --json lists the trial's exports with the same lines.
        const Result shown = runApp({"show", db, "--json"});
        QCOMPARE(shown.exitCode, 0);
        const QJsonArray exports =
            QJsonDocument::fromJson(shown.out.toUtf8()).object()["trials"].toArray()[3].toObject()["exports"].toArray();
        QCOMPARE(exports.size(), 2);
        QCOMPARE(exports[0].toObject()["measured_beside_estimated"].toArray().size(), 3);
        QCOMPARE(exports[1].toObject()["measured_beside_estimated"].toArray(), rows);
        // --no-measure writes and records without building for Cortex-M.
        const Result quick =
            runApp({"export", db, "--trial", "3", "--format", "c", "--out", out, "--force", "--json", "--no-measure"});
        QCOMPARE(quick.exitCode, 0);
        QVERIFY(QJsonDocument::fromJson(quick.out.toUtf8()).object()["measured_beside_estimated"].toArray().isEmpty());

        // The written model compiles cleanly and runs: zero weights and biases give the logits' zero point.
        writeFile(dir, "main.c", R"c(#include "m.h"
#include <stdio.h>
int main(void)
{
    static int8_t in[PSC_MODEL_INPUT_SIZE], out[PSC_MODEL_OUTPUT_SIZE];
    int k;
    if (psc_model_invoke(in, out) != 0)
        return 1;
    for (k = 0; k < PSC_MODEL_OUTPUT_SIZE; ++k)
        if (out[k] != PSC_MODEL_OUTPUT_ZERO_POINT)
            return 2;
    return 0;
}
)c");
        QProcess cc;
        cc.setWorkingDirectory(dir.path());
        cc.start("cc", {"-std=c99", "-Wall", "-Wextra", "-Werror", "m.c", "main.c", "-o", "m"});
        QVERIFY(cc.waitForFinished(60000));
        QVERIFY2(cc.exitCode() == 0, cc.readAllStandardError().constData());
        QProcess run;
        run.start(dir.filePath("m"), {});
        QVERIFY(run.waitForFinished(60000));
        QCOMPARE(run.exitCode(), 0);
    }

    void evaluateStoresAnalogAccuracy()
    {
        QTemporaryDir dir;
        const QString db = handMadeStudy(dir);
        const QByteArray before = fileHash(db);
        const struct
        {
            QStringList args;
            const char *message;
        } refusals[] = {
            {{"--trial", "3", "--target", "aon-cim", "--times", "1h,0s"}, "--times expects positive durations"},
            {{"--trial", "3", "--target", "aon-cim", "--times", "1 fortnight"}, "units s, min, h, d, w, mo, y"},
            {{"--trial", "3", "--target", "aon-cim", "--repeats", "0"},
             "--repeats expects a whole number of at least 1"},
            {{"--trial", "3", "--target", "aon-cim", "--compensation", "globl"}, "did you mean \"global\"?"},
            {{"--trial", "3", "--target", "stm32f446re"}, "analog accuracy needs an analog-cim target"},
            {{"--trial", "0", "--target", "aon-cim"},
             "trial 0 is failed; only complete trials have a trained model "
             "to evaluate"},
            {{"--trial", "2", "--target", "aon-cim"}, "trial 2 has no trained weights"},
            {{"--target", "aon-cim"}, "--trial is required"},
            {{"--trial", "all", "--target", "aon-cim", "--children"}, "--children goes with one trial"},
        };
        for (const auto &[args, message] : refusals) {
            const Result bad = runApp(QStringList{"evaluate", db} + args);
            QCOMPARE(bad.exitCode, 2);
            QVERIFY2(bad.err.contains(message), qPrintable(bad.err));
        }
        QCOMPARE(fileHash(db), before);

        const Result r = runApp({"evaluate", db, "--trial", "3", "--target", "aon-cim", "--times", "1h,1d", "--repeats",
                                 "2", "--images", "40", "--json"});
        QCOMPARE(r.exitCode, 0);
        const QJsonObject o = QJsonDocument::fromJson(r.out.toUtf8()).object();
        QCOMPARE(o["target"].toString(), QString("aon-cim"));
        QCOMPARE(o["compensation"].toString(), QString("global"));
        const QJsonArray times = o["trials"].toArray().at(0).toObject()["times"].toArray();
        QCOMPARE(times.size(), 2);
        QCOMPARE(times[1].toObject()["seconds"].toDouble(), 86400.0);
        QCOMPARE(times[1].toObject()["draws"].toArray().size(), 2);
        auto store = StudyStore::open(db.toStdString(), StudyStore::Mode::ReadOnly);
        const std::vector<AnalogRecord> stored = store->analogAccuracy();
        QCOMPARE(stored.size(), std::size_t(2));
        QCOMPARE(stored[0].trialId, store->trials().at(3).id);
        QCOMPARE(stored[0].seconds, 3600.0);
        QCOMPARE(stored[1].repeats, 2);
        QCOMPARE(stored[1].images, 40);
        QCOMPARE(stored[1].mean, times[1].toObject()["mean"].toDouble());
    }

    void compressRefusesBadInput()
    {
        QTemporaryDir dir;
        const QString db = handMadeStudy(dir);
        const QString good = writeFile(dir, "good.json", R"({"variants": [{"name": "int4", "weight_bits": 4}]})");
        const QString bad = writeFile(dir, "bad.json", "{\"variants\": [\n  {\"name\": \"x\", \"weight_bit\": 4}\n]}");
        const QString badLayer =
            writeFile(dir, "layer.json",
                      "{\"variants\": [\n  {\"name\": \"x\", \"weight_bits\": 4, \"layers\": [\"logit\"]}\n]}");
        const QByteArray before = fileHash(db);

        const Result help = runApp({"compress", "--help"});
        QCOMPARE(help.exitCode, 0);
        QVERIFY(help.out.contains("Usage:") && help.out.contains("--config"));
        QCOMPARE(runApp({"compress", db, "--config", good}).exitCode, 2); // no --trial
        QCOMPARE(runApp({"compress", db, "--trial", "3"}).exitCode, 2);   // no --config
        QCOMPARE(runApp({"compress", db, "--trial", "x", "--config", good}).exitCode, 2);

        auto expectError = [&](const QStringList &args, const QString &message) {
            const Result r = runApp(args);
            QCOMPARE(r.exitCode, 2);
            QVERIFY2(r.err.contains(message), qPrintable(r.err));
            QCOMPARE(r.err.count('\n'), 1);
            QVERIFY(r.out.isEmpty());
        };
        expectError({"compress", db, "--trial", "3", "--config", bad},
                    bad + R"(:2:31: /variants/0/weight_bit: unknown key "weight_bit"; did you mean "weight_bits"?)");
        expectError({"compress", db, "--trial", "9", "--config", good}, "trial 9 does not exist in " + db);
        expectError({"compress", db, "--trial", "0", "--config", good},
                    "trial 0 is failed: only complete (trained) trials can be compressed");
        expectError({"compress", db, "--trial", "1", "--config", good},
                    "trial 1 has weights in format \"torch-archive\"");
        expectError({"compress", db, "--trial", "2", "--config", good}, "trial 2 has no trained weights stored");
        // No trial of the hand-made study has a value of the objective.
        expectError({"compress", db, "--trial", "best", "--config", good}, "no complete search trial has a value of");
        expectError({"compress", db, "--trial", "3", "--config", badLayer},
                    badLayer + R"(:2:46: /variants/0/layers/0: unknown layer "logit" in network "linear"; did you )"
                               R"(mean "logits"?)");
        QCOMPARE(fileHash(db), before);
    }

    // A trained trial is compressed into children linked to it; asking again reports them without training.
    void compressDerivesLinkedChildren()
    {
        QTemporaryDir dir;
        const QString db = dir.filePath("compress.psc");
        QCOMPARE(runApp({"run", writeSpec(dir, "compress", 1, true), "--db", db}).exitCode, 0);
        const QString config = writeFile(dir, "c.json", R"({"fine_tune": {"epochs": 0, "qat_epochs": 0},
            "variants": [{"name": "int4", "weight_bits": 4}, {"name": "half", "sparsity": {"pattern": "unstructured", "fraction": 0.5}}]})");
        const Result r = runApp({"compress", db, "--trial", "best", "--config", config}); // the only trial, 0
        QCOMPARE(r.exitCode, 0);
        QVERIFY2(r.out.contains("trial 1 (int4) complete: deployed_accuracy ") && r.out.contains("(parent "),
                 qPrintable(r.out));
        QVERIFY2(r.out.contains("trial 2 (half) complete: "), qPrintable(r.out));
        QCOMPARE(r.out.count('\n'), 2);
        QVERIFY(r.err.contains("compressing trial 0"));

        const Result show = runApp({"show", db, "--json"});
        const QJsonArray trials = QJsonDocument::fromJson(show.out.toUtf8()).object()["trials"].toArray();
        QCOMPARE(trials.size(), 3);
        for (int i : {1, 2}) {
            const QJsonObject child = trials[i].toObject();
            QCOMPARE(child["parent_id"].toInt(), trials[0].toObject()["id"].toInt());
            QCOMPARE(child["parameters"].toObject()["parent"].toInt(), 0);
            QVERIFY(child["metrics"].toObject().contains("deployed_accuracy"));
            QVERIFY(child["metrics"].toObject()["weight_bytes"].toDouble() <
                    trials[0].toObject()["metrics"].toObject()["weight_bytes"].toDouble());
        }
        const Result again = runApp({"compress", db, "--trial", "0", "--config", config});
        QCOMPARE(again.exitCode, 0);
        QCOMPARE(again.out.count("derived before, not trained again"), 2);
        auto store = StudyStore::open(db.toStdString(), StudyStore::Mode::ReadOnly);
        QCOMPARE(int(store->trialCounts().total()), 3);
    }

    // kill -9 while trials are in flight loses at most those trials; resume reaches the budget.
    void killAndResume()
    {
        QTemporaryDir dir;
        const QString db = dir.filePath("killed.psc");
        const int budget = 4;
        QProcess p;
        p.setProcessChannelMode(QProcess::SeparateChannels);
        p.setReadChannel(QProcess::StandardError); // progress and trial lines; results come on stdout at the end
        p.start(QStringLiteral(PSC_APP_EXECUTABLE), {"run", writeSpec(dir, "killed", budget, false, 4000), "--db", db});
        QVERIFY(p.waitForStarted());
        // Wait for the first finished trial to be reported (it is committed before it is printed), then
        // kill while the next ones are in flight.
        QByteArray err;
        while (!err.contains("complete") && !err.contains("infeasible")) {
            QVERIFY2(p.waitForReadyRead(120000), err.constData());
            err += p.readAllStandardError();
        }
        ::kill(pid_t(p.processId()), SIGKILL);
        p.waitForFinished();
        QCOMPARE(p.exitStatus(), QProcess::CrashExit);

        int finishedBefore = 0;
        {
            auto store = StudyStore::open(db.toStdString(), StudyStore::Mode::ReadOnly);
            QCOMPARE(QString::fromStdString(store->integrityCheck()), QStringLiteral("ok"));
            finishedBefore = int(store->trialCounts().finished());
            QVERIFY(finishedBefore >= 1);
            QVERIFY(finishedBefore < budget);
        }
        const Result resumed = runApp({"resume", db});
        QCOMPARE(resumed.exitCode, 0);
        auto store = StudyStore::open(db.toStdString(), StudyStore::Mode::ReadOnly);
        QCOMPARE(QString::fromStdString(store->integrityCheck()), QStringLiteral("ok"));
        const TrialCounts counts = store->trialCounts();
        QCOMPARE(int(counts.finished()), budget);
        QCOMPARE(int(counts.running + counts.pending), 0);
        const auto trials = store->trials();
        for (std::size_t i = 0; i < trials.size(); ++i)
            QCOMPARE(trials[i].number, std::int64_t(i));
        for (const Trial &t : trials)
            if (t.state == TrialState::Complete) {
                bool hasAccuracy = false;
                for (const Metric &m : t.metrics)
                    hasAccuracy |= m.name == "accuracy";
                QVERIFY(hasAccuracy);
            }
    }
};

QTEST_APPLESS_MAIN(TestCli)
#include "tst_cli.moc"
