// SPDX-License-Identifier: GPL-3.0-or-later
// `export`: writes a trial's deployable integer model as a deployment file (docs/formats/export-c.md).
#include "cli.h"
#include "cliutil.h"

#include "psc/core/error.h"
#include "psc/core/siformat.h"
#include "psc/core/suggestion.h"
#include "psc/export/exporter.h"
#include "psc/export/trialexport.h"
#include "psc/study/studyspec.h"
#include "psc/study/studystore.h"
#include "psc/targets/targetlibrary.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <filesystem>

namespace psc::cli {

namespace fs = std::filesystem;

int exportCommand(const QStringList &args)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Writes a trial's deployable integer model (the weights, scales and zero points the deployed accuracy was "
        "measured with) as a deployment file: 'c' is one C99 source and header for Cortex-M and other "
        "microcontrollers (docs/formats/export-c.md), 'tflite' an int8 TensorFlow Lite flatbuffer "
        "(docs/formats/export-tflite.md), 'onnx' an int8 ONNX model (docs/formats/export-onnx.md). The files are "
        "written atomically, and the export is recorded "
        "in the study with the file's size, SHA-256 and warnings: gains the plot shows that the file does not "
        "realise (e.g. sparsity stored dense). Exit codes: 0 written, 1 the write failed, 2 bad input."));
    addStudyTrialArguments(parser, QStringLiteral("export"));
    parser.addOption({QStringLiteral("format"),
                      QStringLiteral("Deployment format: %1.").arg(QString::fromStdString(exportFormatNames())),
                      QStringLiteral("F")});
    parser.addOption({QStringLiteral("out"),
                      QStringLiteral("The file to write; its extension is the format's (.c writes the header beside "
                                     "it)."),
                      QStringLiteral("PATH")});
    parser.addOption({QStringLiteral("force"), QStringLiteral("Replace existing files.")});
    parser.addOption({QStringLiteral("no-measure"),
                      QStringLiteral("C only: do not build the export for the study's Cortex-M targets and run it on "
                                     "QEMU to measure it beside their estimates (needs arm-none-eabi-gcc and "
                                     "qemu-system-arm).")});
    parser.addOption({QStringLiteral("json"), QStringLiteral("Print the export record as JSON.")});
    if (!parseArgs(parser, QStringLiteral("export"), args, 1))
        return Success;
    for (const char *required : {"trial", "format", "out"})
        if (!parser.isSet(QString::fromLatin1(required)))
            throw UsageError{QStringLiteral("--%1 is required").arg(QString::fromLatin1(required))};
    const std::int64_t given = parseTrialOption(parser.value(QStringLiteral("trial")));
    const std::string formatName = parser.value(QStringLiteral("format")).toStdString();
    const std::optional<ExportFormat> format = exportFormatFromString(formatName);
    if (!format)
        throw UsageError{
            QString::fromStdString("--format expects one of " + exportFormatNames() + ", got \"" + formatName + "\"" +
                                   didYouMean(formatName, std::vector<std::string_view>{"tflite", "onnx", "c"}))};
    const std::unique_ptr<Exporter> exporter = makeExporter(*format);
    const fs::path out = fs::absolute(parser.value(QStringLiteral("out")).toStdString());
    if (out.extension() != "." + exporter->extension())
        throw UsageError{QString::fromStdString("--out must end in ." + exporter->extension() + " for --format " +
                                                formatName + ", got \"" + out.filename().string() + "\"")};

    // Everything is checked before anything is written: the study (opened as its only writer, to record the
    // export), the trial and its model, the format's support for every layer, the output files.
    const std::string file = parser.positionalArguments().front().toStdString();
    const std::unique_ptr<StudyStore> store = StudyStore::open(file, StudyStore::Mode::ReadWrite);
    const StudySpec spec = StudySpec::fromJson(store->specJson(), file + " (stored spec)");
    const std::int64_t number = given == kBestTrial ? bestTrialNumber(*store, spec, file) : given;
    const TrialExport prepared = prepareTrialExport(*store, file, number, *format, out);
    // A C export is measured on the cores of the study's MCU targets before it is written, so the record holds the
    // measurement; a tool that fails makes a warning, not a failed export.
    std::vector<CortexMCheck> checks;
    std::vector<std::string> notes;
    if (*format == ExportFormat::C && !parser.isSet(QStringLiteral("no-measure"))) {
        const BundledTargets targets;
        try {
            checks = checkOnCortexM(prepared, targets.library, CortexMTools::locate(), &notes);
        } catch (const RuntimeError &e) {
            notes.push_back(std::string("not measured on Cortex-M: ") + e.what());
        }
    }
    const ExportRecord record = writeTrialExport(*store, prepared, parser.isSet(QStringLiteral("force")), checks);
    const std::vector<ExportComparison> comparison = compareExport(record, prepared.trial);
    const std::vector<FileToWrite> &files = prepared.files;
    const ExportOutput &output = prepared.output;

    if (parser.isSet(QStringLiteral("json"))) {
        QJsonObject o{{QStringLiteral("trial"), qint64(number)},
                      {QStringLiteral("format"), QString::fromStdString(record.format)},
                      {QStringLiteral("path"), QString::fromStdString(record.path)},
                      {QStringLiteral("bytes"), qint64(record.bytes)},
                      {QStringLiteral("sha256"), QString::fromStdString(record.sha256)}};
        QJsonArray written, warnings;
        for (const FileToWrite &f : files)
            written.append(QString::fromStdString(f.path.string()));
        for (const std::string &w : record.warnings)
            warnings.append(QString::fromStdString(w));
        o[QStringLiteral("files")] = written;
        o[QStringLiteral("warnings")] = warnings;
        o[QStringLiteral("figures")] = QJsonDocument::fromJson(QByteArray::fromStdString(record.figuresJson)).object();
        o[QStringLiteral("measured_beside_estimated")] = comparisonToJson(comparison);
        QJsonArray noteList;
        for (const std::string &n : notes)
            noteList.append(QString::fromStdString(n));
        o[QStringLiteral("notes")] = noteList;
        printOut(QJsonDocument(o).toJson(QJsonDocument::Indented).toStdString());
        return Success;
    }
    std::string text =
        "exported trial " + std::to_string(number) + " of study " + spec.name + " as " + record.format + ":\n";
    for (const FileToWrite &f : files)
        text += "  " + f.path.string() + " (" + formatQuantity(double(f.bytes.size()), "B") + ")\n";
    text += "  sha256 " + record.sha256 + "\n";
    for (const auto &[name, value] : output.figures)
        text += "  " + name + " " + formatQuantity(value, "B") + "\n";
    text += formatComparison(comparison);
    for (const std::string &n : notes)
        text += "note: " + n + "\n";
    for (const std::string &w : record.warnings)
        text += "warning: " + w + "\n";
    printOut(text);
    return Success;
}

} // namespace psc::cli
