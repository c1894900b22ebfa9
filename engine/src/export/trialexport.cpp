// SPDX-License-Identifier: GPL-3.0-or-later
#include "psc/export/trialexport.h"

#include "psc/core/error.h"
#include "psc/net/analysis.h"
#include "psc/net/networkparser.h"
#include "psc/quant/integerinference.h"
#include "psc/quant/trainedmodel.h"
#include "psc/study/studylocation.h"
#include "psc/targets/costinput.h"
#include "psc/targets/targetlibrary.h"

#include <QByteArray>
#include <QCryptographicHash>
#include <nlohmann/json.hpp>

#include <map>
#include <optional>
#include <set>

namespace psc {

namespace fs = std::filesystem;

TrialModel loadTrialModel(const StudyStore &store, std::int64_t number, const std::string &file,
                          const std::string &verb)
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
                         "; only complete trials have a trained model to " + verb);
    const std::int64_t owner = t.cachedFrom.value_or(t.id); // a cache hit shares the weights of the trial it reused
    std::string format;
    for (const ArtifactInfo &a : store.artifacts(owner))
        if (a.kind == "weights")
            format = a.format;
    if (format.empty())
        throw InputError(what + " has no trained weights (trained with weights not kept?)");
    if (format != kTrainedModelFormat)
        throw InputError(what + ": its weights are stored as \"" + format + "\", not as a deployable model (\"" +
                         kTrainedModelFormat + "\"); train it again with this version to " + verb + " it");
    const std::optional<std::vector<std::uint8_t>> bytes = store.artifact(owner, "weights");
    return {t, deserializeTrainedModel(*bytes, what + " weights")};
}

TrialExport prepareTrialExport(const StudyStore &store, const std::string &studyLabel, std::int64_t number,
                               ExportFormat format, const fs::path &out)
{
    const std::unique_ptr<Exporter> exporter = makeExporter(format);
    const fs::path path = fs::absolute(out);
    if (path.extension() != "." + exporter->extension())
        throw InputError(path.string() + ": the " + std::string(toString(format)) + " export writes a ." +
                         exporter->extension() + " file, got \"" + path.filename().string() + "\"");
    TrialModel source = loadTrialModel(store, number, studyLabel, "export");
    const IntegerModel model = IntegerModel::quantize(source.model);
    ExportOptions options;
    options.baseName = path.stem().string();
    // The study as a reader of the file knows it: the file's name, or a server study's name (never its server).
    const std::string study = StudyLocation::isUrl(studyLabel) ? StudyLocation::parse(studyLabel).study
                                                               : fs::path(studyLabel).filename().string();
    options.source = "study " + study + ", trial " + std::to_string(number);
    TrialExport prepared;
    prepared.trial = std::move(source.trial);
    prepared.format = format;
    prepared.output = exporter->write(model, options);
    prepared.weightValues = weightValues(model);
    for (std::size_t i = 0; i < prepared.output.files.size(); ++i)
        prepared.files.push_back(
            {i == 0 ? path : path.parent_path() / prepared.output.files[i].name, prepared.output.files[i].bytes});
    return prepared;
}

std::vector<CortexMCheck> checkOnCortexM(const TrialExport &prepared, const TargetLibrary &library,
                                         const CortexMTools &tools, std::vector<std::string> *notes)
{
    std::vector<CortexMCheck> checks;
    if (prepared.format != ExportFormat::C)
        return checks;
    auto note = [notes](const std::string &text) {
        if (notes)
            notes->push_back(text);
    };
    // The MCU targets the trial was evaluated on, in the order its metrics name them.
    std::vector<std::string> targets;
    for (const Metric &m : prepared.trial.metrics)
        if (!m.target.empty() && std::find(targets.begin(), targets.end(), m.target) == targets.end())
            if (const TargetDefinition *def = library.find(m.target); def && def->model == "mcu")
                targets.push_back(m.target);
    if (targets.empty())
        return checks;
    if (!tools.usable()) {
        note("not measured on Cortex-M: missing " + tools.missing);
        return checks;
    }
    const NetworkDescription net = parseNetworkJson(prepared.trial.architectureJson, "the trial's network");
    const plugin::NetworkInfo info = toNetworkInfo(net, analyzeNetwork(net));
    // With the trained weights' values, as the trial's own estimates were made (TrialEvaluator): the zeros decide
    // which layers the export stores as bitmasks.
    auto deployment = defaultDeployment(net);
    attachWeightValues(deployment, info, prepared.weightValues);
    std::map<std::string, CBuildMeasurement> byCore;
    for (const std::string &id : targets) {
        const TargetDefinition &def = *library.find(id);
        std::string core;
        for (const TargetParameter &p : def.parameters)
            if (p.name == "core")
                core = p.value.text;
        if (!qemuMachineForCore(core)) {
            note("target " + id + ": not measured, QEMU has no " + core + " board");
            continue;
        }
        auto at = byCore.find(core);
        if (at == byCore.end())
            at = byCore.emplace(core, measureCExport(tools, prepared.files, core)).first;
        const plugin::CostEstimate e = library.target(id)->estimateTotals(info, deployment);
        CortexMCheck check;
        check.targetId = id;
        check.measured = at->second;
        check.flashEstimate = e.extra.value("c_flash_bytes").value_or(0.0);
        check.sramEstimate = e.extra.value("c_sram_bytes").value_or(0.0);
        check.instructionsEstimate = e.extra.value("c_instructions").value_or(0.0);
        checks.push_back(std::move(check));
    }
    return checks;
}

ExportRecord writeTrialExport(StudyStore &store, const TrialExport &prepared, bool overwrite,
                              const std::vector<CortexMCheck> &checks)
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
    if (!checks.empty()) {
        nlohmann::json list = nlohmann::json::array();
        for (const CortexMCheck &c : checks) {
            const CBuildMeasurement &m = c.measured;
            list.push_back({{"target", c.targetId},
                            {"core", m.core},
                            {"machine", m.machine},
                            {"text_bytes", m.textBytes},
                            {"rodata_bytes", m.rodataBytes},
                            {"data_bytes", m.dataBytes},
                            {"bss_bytes", m.bssBytes},
                            {"instructions", m.instructions},
                            {"c_flash_bytes", c.flashEstimate},
                            {"c_sram_bytes", c.sramEstimate},
                            {"c_instructions", c.instructionsEstimate}});
        }
        figures["cortex_m"] = std::move(list);
    }
    record.figuresJson = figures.dump();
    record.id = store.addExport(record);
    return record;
}

std::vector<ExportComparison> compareExport(const ExportRecord &record, const Trial &trial)
{
    std::vector<ExportComparison> rows;
    const nlohmann::json figures = nlohmann::json::parse(record.figuresJson, nullptr, false);
    if (record.format != "c") {
        if (const std::optional<double> weights = metricValue(trial, MetricRef{"weight_bytes", ""}))
            rows.push_back({"file", "weight_bytes", record.format + " file", "B", *weights, double(record.bytes)});
        return rows;
    }
    if (!figures.is_object() || !figures.contains("cortex_m") || !figures["cortex_m"].is_array())
        return rows;
    for (const nlohmann::json &c : figures["cortex_m"]) {
        if (!c.is_object())
            continue;
        auto number = [&c](const char *key) {
            return c.contains(key) && c[key].is_number() ? c[key].get<double>() : 0.0;
        };
        auto text = [&c](const char *key) {
            return c.contains(key) && c[key].is_string() ? c[key].get<std::string>() : std::string();
        };
        const std::string target = text("target");
        const std::string on = " on " + text("core") + " (QEMU " + text("machine") + ")";
        rows.push_back({"flash", "c_flash_bytes@" + target, ".text + .rodata + .data" + on, "B",
                        number("c_flash_bytes"), number("text_bytes") + number("rodata_bytes") + number("data_bytes")});
        rows.push_back({"SRAM", "c_sram_bytes@" + target, ".bss + .data" + on, "B", number("c_sram_bytes"),
                        number("bss_bytes") + number("data_bytes")});
        rows.push_back({"instructions", "c_instructions@" + target, "instructions of one inference" + on, "",
                        number("c_instructions"), number("instructions")});
    }
    return rows;
}

std::string sha256Hex(const std::string &bytes)
{
    return QCryptographicHash::hash(QByteArray::fromStdString(bytes), QCryptographicHash::Sha256).toHex().toStdString();
}

} // namespace psc
