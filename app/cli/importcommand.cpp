// SPDX-License-Identifier: GPL-3.0-or-later
// `import`: reads a model made elsewhere (docs/formats/import.md) into a network description and, for int8 models, a
// trained model the integer reference runs, so that analyze, cost and the exports work on it.
#include "cli.h"
#include "cliutil.h"

#include "psc/core/atomicfile.h"
#include "psc/core/error.h"
#include "psc/core/siformat.h"
#include "psc/export/importer.h"
#include "psc/export/trialimport.h"
#include "psc/net/analysis.h"
#include "psc/net/networkparser.h"
#include "psc/study/metrics.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <filesystem>
#include <optional>

namespace psc::cli {

namespace fs = std::filesystem;

int importCommand(const QStringList &args)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Reads a TFLite model (.tflite, int8 or float32) or an ONNX model in the QLinear form (.onnx) and writes its "
        "network description (docs/formats/"
        "network.md), so that 'analyze', 'cost' and the GUI work on models made elsewhere; for an int8 model, "
        "--weights also writes the trained model (docs/formats/trained-model.md) whose integer reference computes "
        "what the file computes. Operators outside the supported set are named with their index and the file is "
        "refused; nothing is written then. --into adds the model to a study as an external trial (marked as imported, "
        "not counted in the budget) with the study's metrics, to compare it on the plot. docs/formats/import.md "
        "describes the mapping. Exit codes: 0 written, 1 the write failed, 2 bad input."));
    parser.addPositionalArgument(QStringLiteral("MODEL"), QStringLiteral("The model file (.tflite or .onnx)."));
    parser.addOption({QStringLiteral("out"), QStringLiteral("The network description to write (.json)."),
                      QStringLiteral("NET.json")});
    parser.addOption({QStringLiteral("weights"),
                      QStringLiteral("Also write the int8 model's trained model (.pscw) for the integer reference."),
                      QStringLiteral("OUT.pscw")});
    parser.addOption({QStringLiteral("into"),
                      QStringLiteral("Add the model to this study as an external trial: the study's metrics (the "
                                     "analysis, its targets, the deployed accuracy on its task's test set) and its "
                                     "weights, for the plot, export and compression."),
                      QStringLiteral("STUDY.psc")});
    parser.addOption({QStringLiteral("force"), QStringLiteral("Replace existing files.")});
    parser.addOption({QStringLiteral("json"), QStringLiteral("Print what was imported as JSON.")});
    if (!parseArgs(parser, QStringLiteral("import"), args, 1))
        return Success;
    if (!parser.isSet(QStringLiteral("out")) && !parser.isSet(QStringLiteral("into")))
        throw UsageError{QStringLiteral("--out NET.json or --into STUDY.psc is required")};
    std::optional<fs::path> out;
    if (parser.isSet(QStringLiteral("out"))) {
        out = fs::absolute(parser.value(QStringLiteral("out")).toStdString());
        if (out->extension() != ".json")
            throw UsageError{
                QString::fromStdString("--out must end in .json, got \"" + out->filename().string() + "\"")};
    }
    std::optional<fs::path> weights;
    if (parser.isSet(QStringLiteral("weights"))) {
        weights = fs::absolute(parser.value(QStringLiteral("weights")).toStdString());
        if (weights->extension() != ".pscw")
            throw UsageError{
                QString::fromStdString("--weights must end in .pscw, got \"" + weights->filename().string() + "\"")};
    }

    const std::string file = parser.positionalArguments().front().toStdString();
    const ImportedModel imported = importModelFile(file);
    if (weights && !imported.model)
        throw InputError(file + ": has no integer model to write to " + weights->filename().string() + " (" +
                         (imported.notes.empty() ? std::string("float model") : imported.notes.back()) + ")");
    if (weights && !out)
        throw UsageError{QStringLiteral("--weights needs --out")};
    std::vector<FileToWrite> files;
    if (out)
        files.push_back({*out, networkToJson(imported.network) + "\n"});
    if (weights) {
        const std::vector<std::uint8_t> bytes = serializeTrainedModel(*imported.model);
        files.push_back({*weights, std::string(bytes.begin(), bytes.end())});
    }
    // The study first (its checks may refuse), then the files: a refusal writes nothing.
    std::optional<ImportedTrial> added;
    if (parser.isSet(QStringLiteral("into")))
        added = importIntoStudy(parser.value(QStringLiteral("into")).toStdString(), file, &imported);
    if (!files.empty())
        writeFilesAtomically(files, parser.isSet(QStringLiteral("force")));

    const ModelAnalysis analysis = analyzeNetwork(imported.network);
    if (parser.isSet(QStringLiteral("json"))) {
        QJsonArray written, notes;
        for (const FileToWrite &f : files)
            written.append(QString::fromStdString(f.path.string()));
        for (const std::string &n : imported.notes)
            notes.append(QString::fromStdString(n));
        const QJsonObject o{{QStringLiteral("model"), QString::fromStdString(file)},
                            {QStringLiteral("network"), QString::fromStdString(imported.network.name)},
                            {QStringLiteral("layers"), qint64(imported.network.layers.size())},
                            {QStringLiteral("macs"), qint64(analysis.totalMacs)},
                            {QStringLiteral("params"), qint64(analysis.totalParams)},
                            {QStringLiteral("integer_model"), imported.model.has_value()},
                            {QStringLiteral("files"), written},
                            {QStringLiteral("notes"), notes},
                            {QStringLiteral("trial"), added ? QJsonValue(qint64(added->trial.number)) : QJsonValue()}};
        printOut(QJsonDocument(o).toJson(QJsonDocument::Indented).toStdString());
        return Success;
    }
    std::string text = "imported " + file + " as network \"" + imported.network.name +
                       "\": " + std::to_string(imported.network.layers.size()) + " layers, " +
                       formatQuantity(double(analysis.totalMacs), "") + " MACs, " +
                       formatQuantity(double(analysis.totalParams), "") + " parameters, " +
                       (imported.model ? "int8 (the integer reference can run it)" : "no integer model") + "\n";
    for (const FileToWrite &f : files)
        text += "  " + f.path.string() + " (" + formatQuantity(double(f.bytes.size()), "B") + ")\n";
    if (added) {
        text += "  added to the study as trial " + std::to_string(added->trial.number) +
                " (imported: not counted in "
                "the budget)";
        if (const std::optional<double> a = metricValue(added->trial, MetricRef{"deployed_accuracy", ""}))
            text += ", deployed accuracy " + formatMetric(MetricRef{"deployed_accuracy", ""}, *a);
        text += "\n";
    }
    for (const std::string &n : added ? added->notes : imported.notes)
        text += "note: " + n + "\n";
    printOut(text);
    return Success;
}

} // namespace psc::cli
