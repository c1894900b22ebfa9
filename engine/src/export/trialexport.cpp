// SPDX-License-Identifier: GPL-3.0-or-later
#include "psc/export/trialexport.h"

#include "psc/core/error.h"
#include "psc/quant/integerinference.h"
#include "psc/quant/trainedmodel.h"

#include <QByteArray>
#include <QCryptographicHash>
#include <nlohmann/json.hpp>

#include <optional>

namespace psc {

namespace fs = std::filesystem;

namespace {

struct Source
{
    Trial trial;
    TrainedModel model;
};

Source loadSource(const StudyStore &store, std::int64_t number, const std::string &file)
{
    std::optional<Trial> found;
    std::int64_t count = 0;
    for (Trial &t : store.trials()) {
        ++count;
        if (t.number == number)
            found = std::move(t);
    }
    if (!found)
        throw InputError(file + ": no trial " + std::to_string(number) + " (the study has " + std::to_string(count) +
                         " trials, numbered from 0)");
    const Trial &t = *found;
    const std::string what = file + ": trial " + std::to_string(number);
    if (t.state != TrialState::Complete)
        throw InputError(what + " is " + std::string(toString(t.state)) +
                         "; only complete trials have a trained model to export");
    const std::int64_t owner = t.cachedFrom.value_or(t.id); // a cache hit shares the weights of the trial it reused
    std::string format;
    for (const ArtifactInfo &a : store.artifacts(owner))
        if (a.kind == "weights")
            format = a.format;
    if (format.empty())
        throw InputError(what + " has no trained weights (trained with weights not kept?)");
    if (format != kTrainedModelFormat)
        throw InputError(what + ": its weights are stored as \"" + format + "\", not as a deployable model (\"" +
                         kTrainedModelFormat + "\"); train it again with this version to export it");
    const std::optional<std::vector<std::uint8_t>> bytes = store.artifact(owner, "weights");
    return {t, deserializeTrainedModel(*bytes, what + " weights")};
}

} // namespace

TrialExport prepareTrialExport(const StudyStore &store, const std::string &studyLabel, std::int64_t number,
                               ExportFormat format, const fs::path &out)
{
    const std::unique_ptr<Exporter> exporter = makeExporter(format);
    const fs::path path = fs::absolute(out);
    if (path.extension() != "." + exporter->extension())
        throw InputError(path.string() + ": the " + std::string(toString(format)) + " export writes a ." +
                         exporter->extension() + " file, got \"" + path.filename().string() + "\"");
    Source source = loadSource(store, number, studyLabel);
    const IntegerModel model = IntegerModel::quantize(source.model);
    ExportOptions options;
    options.baseName = path.stem().string();
    options.source = "study " + fs::path(studyLabel).filename().string() + ", trial " + std::to_string(number);
    TrialExport prepared;
    prepared.trial = std::move(source.trial);
    prepared.format = format;
    prepared.output = exporter->write(model, options);
    for (std::size_t i = 0; i < prepared.output.files.size(); ++i)
        prepared.files.push_back(
            {i == 0 ? path : path.parent_path() / prepared.output.files[i].name, prepared.output.files[i].bytes});
    return prepared;
}

ExportRecord writeTrialExport(StudyStore &store, const TrialExport &prepared, bool overwrite)
{
    writeFilesAtomically(prepared.files, overwrite);
    ExportRecord record;
    record.trialId = prepared.trial.id;
    record.format = std::string(toString(prepared.format));
    record.path = prepared.files.front().path.string();
    record.bytes = std::int64_t(prepared.files.front().bytes.size());
    record.sha256 = sha256Hex(prepared.files.front().bytes);
    record.warnings = prepared.output.warnings;
    nlohmann::json figures = nlohmann::json::object();
    for (const auto &[name, value] : prepared.output.figures)
        figures[name] = value;
    for (std::size_t i = 1; i < prepared.files.size(); ++i)
        figures["file_bytes:" + prepared.files[i].path.filename().string()] = prepared.files[i].bytes.size();
    record.figuresJson = figures.dump();
    record.id = store.addExport(record);
    return record;
}

std::string sha256Hex(const std::string &bytes)
{
    return QCryptographicHash::hash(QByteArray::fromStdString(bytes), QCryptographicHash::Sha256).toHex().toStdString();
}

} // namespace psc
