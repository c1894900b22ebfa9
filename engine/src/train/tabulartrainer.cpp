// SPDX-License-Identifier: GPL-3.0-or-later
#include "psc/train/tabulartrainer.h"

#include "core/jsonsource.h"
#include "psc/core/error.h"
#include "psc/jobs/jobcontext.h"
#include "psc/net/networkparser.h"
#include "psc/study/lineage.h"
#include "psc/study/studystore.h"
#include "psc/study/trial.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cmath>
#include <set>
#include <thread>

namespace psc {

namespace {

using nlohmann::json;

constexpr const char *kFormat = "paretoscope-tabular-1";

double metricOr(const Trial &t, const char *name, double fallback)
{
    return metricValue(t, MetricRef{name, {}}).value_or(fallback);
}

} // namespace

TabularTable tabulate(const StudyStore &store)
{
    const json spec = json::parse(store.specJson());
    TabularTable table;
    table.name = spec.value("name", "");
    table.spaceJson = spec.at("search_space").dump();
    table.recipeJson = spec.at("training").dump();
    table.epochs = spec.at("training").value("epochs", 0);
    std::set<std::string> hashes;
    for (const Trial &t : store.trials(TrialState::Complete)) {
        if (t.parentId || t.cachedFrom || isImported(t))
            continue; // derived, reused and imported trials are not the space's own trainings
        const std::string where = store.path().string() + ": trial " + std::to_string(t.number);
        if (int(t.learningCurve.size()) != table.epochs)
            throw InputError(where + " has a learning curve of " + std::to_string(t.learningCurve.size()) +
                             " epoch(s), expected " + std::to_string(table.epochs) +
                             " (a study from before learning curves were recorded cannot be tabulated)");
        TabularTable::Row row;
        row.parametersJson = t.parametersJson;
        row.architectureHash = architectureHash(parseNetworkJson(t.architectureJson, where));
        if (!hashes.insert(row.architectureHash).second)
            continue; // the same network trained again (e.g. with another recipe): the first one answers
        row.curve = t.learningCurve;
        row.accuracy = metricOr(t, "accuracy", NAN);
        row.testAccuracy = metricOr(t, "test_accuracy", NAN);
        row.quantizedAccuracy = metricOr(t, "quantized_accuracy", NAN);
        row.deployedAccuracy = metricOr(t, "deployed_accuracy", NAN);
        row.trainSeconds = metricOr(t, "train_seconds", 0.0);
        for (const double v : {row.accuracy, row.testAccuracy, row.quantizedAccuracy, row.deployedAccuracy})
            if (!(v >= 0.0 && v <= 1.0))
                throw InputError(where + " lacks one of accuracy, test_accuracy, quantized_accuracy and "
                                         "deployed_accuracy; a tabular benchmark needs all four");
        for (const Metric &m : t.metrics) // the model metrics known before training; the trained ones are above
            if (m.target.empty() && m.name != "accuracy" && m.name != "test_accuracy" &&
                m.name != "quantized_accuracy" && m.name != "deployed_accuracy" && m.name != "train_seconds")
                row.metrics[m.name] = m.value;
        table.rows.push_back(std::move(row));
    }
    if (table.rows.empty())
        throw InputError(store.path().string() + ": no complete search trial to tabulate");
    return table;
}

std::string TabularTable::toJson() const
{
    json rowsJson = json::array();
    for (const Row &r : rows)
        rowsJson.push_back({{"parameters", json::parse(r.parametersJson)},
                            {"architecture_hash", r.architectureHash},
                            {"curve", r.curve},
                            {"accuracy", r.accuracy},
                            {"test_accuracy", r.testAccuracy},
                            {"quantized_accuracy", r.quantizedAccuracy},
                            {"deployed_accuracy", r.deployedAccuracy},
                            {"train_seconds", r.trainSeconds},
                            {"metrics", r.metrics}});
    const json out{{"format", kFormat},
                   {"name", name},
                   {"search_space", json::parse(spaceJson)},
                   {"training", json::parse(recipeJson)},
                   {"epochs", epochs},
                   {"rows", rowsJson}};
    // One row per line: the file diffs well and stays readable.
    std::string text = "{\n";
    bool first = true;
    for (const auto &[key, value] : out.items()) {
        text += std::string(first ? "" : ",\n") + "  " + json(key).dump() + ": ";
        first = false;
        if (key != "rows") {
            text += value.dump();
            continue;
        }
        text += "[\n";
        for (std::size_t i = 0; i < value.size(); ++i)
            text += "    " + value[i].dump() + (i + 1 < value.size() ? ",\n" : "\n");
        text += "  ]";
    }
    return text + "\n}\n";
}

TabularTable TabularTable::fromFile(const std::filesystem::path &file)
{
    const JsonSource src = JsonSource::fromFile(file);
    const json &root = src.root();
    src.requireObject(root, "");
    src.checkKeys(root, "", {"format", "name", "search_space", "training", "epochs", "rows"});
    if (const std::string format = src.requireString(root, "", "format"); format != kFormat)
        src.fail("/format", "expected \"" + std::string(kFormat) + "\", got \"" + format + "\"");
    TabularTable t;
    t.name = src.getString(root, "", "name", "");
    src.requireObject(src.require(root, "", "search_space"), "/search_space");
    t.spaceJson = root.at("search_space").dump();
    src.requireObject(src.require(root, "", "training"), "/training");
    t.recipeJson = root.at("training").dump();
    t.epochs = src.requireInt(root, "", "epochs", 1, 100000);
    const json &rows = src.require(root, "", "rows");
    src.requireArray(rows, "/rows");
    std::map<std::string, std::size_t> seen;
    for (std::size_t i = 0; i < rows.size(); ++i) {
        const std::string p = "/rows/" + std::to_string(i);
        const json &r = rows[i];
        src.requireObject(r, p);
        src.checkKeys(r, p,
                      {"parameters", "architecture_hash", "curve", "accuracy", "test_accuracy", "quantized_accuracy",
                       "deployed_accuracy", "train_seconds", "metrics"});
        Row row;
        src.requireObject(src.require(r, p, "parameters"), p + "/parameters");
        row.parametersJson = r.at("parameters").dump();
        row.architectureHash = src.requireString(r, p, "architecture_hash");
        if (const auto [it, fresh] = seen.emplace(row.architectureHash, i); !fresh)
            src.fail(p + "/architecture_hash",
                     "the same network as /rows/" + std::to_string(it->second) + "; each network has one row");
        const json &curve = src.require(r, p, "curve");
        src.requireArray(curve, p + "/curve");
        if (int(curve.size()) != t.epochs)
            src.fail(p + "/curve", "expected " + std::to_string(t.epochs) + " values (\"epochs\"), got " +
                                       std::to_string(curve.size()));
        for (std::size_t e = 0; e < curve.size(); ++e)
            row.curve.push_back(src.toDouble(curve[e], p + "/curve/" + std::to_string(e), 0.0, 1.0));
        row.accuracy = src.requireDouble(r, p, "accuracy", 0.0, 1.0);
        row.testAccuracy = src.requireDouble(r, p, "test_accuracy", 0.0, 1.0);
        row.quantizedAccuracy = src.requireDouble(r, p, "quantized_accuracy", 0.0, 1.0);
        row.deployedAccuracy = src.requireDouble(r, p, "deployed_accuracy", 0.0, 1.0);
        row.trainSeconds = src.requireDouble(r, p, "train_seconds", 0.0);
        if (const auto it = r.find("metrics"); it != r.end()) {
            src.requireObject(*it, p + "/metrics");
            for (const auto &[k, v] : it->items())
                row.metrics[k] = src.toDouble(v, p + "/metrics/" + k);
        }
        t.rows.push_back(std::move(row));
    }
    return t;
}

TabularTrainer::TabularTrainer(TabularTable table) : m_table(std::move(table))
{
    for (std::size_t i = 0; i < m_table.rows.size(); ++i)
        m_index.emplace(m_table.rows[i].architectureHash, i);
}

TrainResult TabularTrainer::train(const NetworkDescription &network, const TrainingRecipe &recipe, const Dataset &,
                                  std::uint64_t, JobContext &ctx, const EpochObserver &onEpoch)
{
    ctx.checkpoint();
    if (recipe.epochs != m_table.epochs)
        throw InputError("the tabular benchmark \"" + m_table.name + "\" was trained for " +
                         std::to_string(m_table.epochs) + " epochs; set the study's training epochs to " +
                         std::to_string(m_table.epochs));
    const auto it = m_index.find(architectureHash(network));
    if (it == m_index.end())
        throw InputError("network \"" + network.name + "\" is not in the tabular benchmark \"" + m_table.name +
                         "\" (its search space has " + std::to_string(m_table.rows.size()) + " networks)");
    const TabularTable::Row &row = m_table.rows[it->second];
    if (m_simulatedSeconds > 0.0) {
        using namespace std::chrono;
        const auto until =
            steady_clock::now() + duration_cast<steady_clock::duration>(duration<double>(m_simulatedSeconds));
        while (steady_clock::now() < until) {
            ctx.checkpoint();
            std::this_thread::sleep_for(
                std::min<steady_clock::duration>(until - steady_clock::now(), milliseconds(50)));
        }
    }
    TrainResult r;
    const double perEpoch = row.trainSeconds / double(std::max(1, m_table.epochs));
    for (int e = 1; e <= m_table.epochs; ++e) {
        r.validationCurve.push_back(row.curve[std::size_t(e - 1)]);
        if (onEpoch && !onEpoch(e, row.curve[std::size_t(e - 1)]) && e < m_table.epochs) {
            r.stoppedEarly = true;
            r.epochs = e;
            r.validationAccuracy = row.curve[std::size_t(e - 1)];
            r.testAccuracy = NAN;
            r.trainSeconds = perEpoch * e;
            return r;
        }
    }
    r.epochs = m_table.epochs;
    r.validationAccuracy = row.accuracy;
    r.testAccuracy = row.testAccuracy;
    r.quantizedValidationAccuracy = row.quantizedAccuracy;
    r.deployedTestAccuracy = row.deployedAccuracy;
    r.trainSeconds = row.trainSeconds;
    return r;
}

TrainResult TabularTrainer::fineTune(const TrainedModel &, const TrainingRecipe &, const Dataset &, std::uint64_t,
                                     JobContext &)
{
    throw InputError("a tabular benchmark holds no weights: compression needs a study trained on a real dataset");
}

} // namespace psc
