// SPDX-License-Identifier: GPL-3.0-or-later
#include "psc/study/studyspec.h"

#include "core/jsonsource.h"
#include "psc/core/datapaths.h"
#include "psc/core/duration.h"
#include "psc/core/error.h"
#include "psc/core/inputfile.h"
#include "psc/core/suggestion.h"
#include "psc/data/dataset.h"
#include "psc/study/metrics.h"
#include "psc/targets/targetlibrary.h"
#include "psc/targets/targetmetrics.h"
#include "space/searchspacejson.h"
#include "train/trainingrecipejson.h"

#include <algorithm>
#include <cmath>

namespace psc {

namespace {

using nlohmann::json;

struct DatasetInfo
{
    std::string_view name;
    Shape input;
    int numClasses;
};

constexpr DatasetInfo kDatasets[] = {
    {"fashion-mnist", {1, 28, 28}, 10},
    {"tabular", {0, 0, 0}, 0}, // a tabular benchmark (task.table): its own space decides the shapes
};

const DatasetInfo *findDataset(std::string_view name)
{
    for (const DatasetInfo &info : kDatasets) {
        if (info.name == name)
            return &info;
    }
    return nullptr;
}

std::string quotedList(const std::vector<std::string> &items)
{
    std::string out;
    for (const std::string &item : items)
        out += (out.empty() ? "\"" : ", \"") + item + "\"";
    return out;
}

std::string shapeText(const Shape &s)
{
    return std::to_string(s.channels) + "x" + std::to_string(s.height) + "x" + std::to_string(s.width);
}

std::string joined(const std::vector<std::string> &items)
{
    std::string out;
    for (const std::string &item : items)
        out += (out.empty() ? "" : ", ") + item;
    return out;
}

/** Why `ref` names no metric of a loaded target; "" if it does or is a model metric. */
std::string targetMetricProblem(const MetricRef &ref, const TargetLibrary &targets)
{
    if (ref.target.empty())
        return {};
    const auto target = targets.find(ref.target) ? targets.target(ref.target) : nullptr;
    if (!target) {
        std::vector<std::string> ids;
        for (const TargetDefinition *def : targets.definitions())
            ids.push_back(def->id);
        return "unknown target " + quotedInput(ref.target) + didYouMean(ref.target, ids) +
               " (known targets: " + (ids.empty() ? std::string("none") : joined(ids)) + ")";
    }
    if (ref.name == kAnalogAccuracyMetric || ref.name == kAnalogAccuracyStdMetric) {
        const TargetDefinition *def = targets.find(ref.target);
        if (def->model == "analog-cim")
            return {};
        std::vector<std::string> analog;
        for (const TargetDefinition *d : targets.definitions())
            if (d->model == "analog-cim")
                analog.push_back(d->id);
        return ref.name +
               " needs an analog compute-in-memory target (model \"analog-cim\", a crossbar to "
               "simulate); \"" +
               ref.target + "\" uses the " + def->model +
               " model (analog targets: " + (analog.empty() ? std::string("none") : joined(analog)) + ")";
    }
    const std::vector<std::string> names = targetMetricNames(*target);
    if (std::find(names.begin(), names.end(), ref.name) != names.end())
        return {};
    return "unknown metric " + quotedInput(ref.name) + " for target \"" + ref.target + "\"" +
           didYouMean(ref.name, names) + " (its metrics: " + joined(names) + ")";
}

/** Why `id` names no available strategy; "" if it does or no list is given. */
std::string strategyProblem(const std::string &id, const std::vector<std::string> &ids)
{
    if (ids.empty() || std::find(ids.begin(), ids.end(), id) != ids.end())
        return {};
    return "unknown strategy " + quotedInput(id) + didYouMean(id, ids) + " (available: " + joined(ids) + ")";
}

/** Relative paths in a spec are relative to the spec's directory, so a study folder can be moved whole. */
std::filesystem::path resolvePath(const std::filesystem::path &base, const std::string &text)
{
    std::filesystem::path path(text);
    if (path.is_relative())
        path = (base.empty() ? std::filesystem::current_path() : std::filesystem::absolute(base)) / path;
    return path.lexically_normal();
}

class SpecParser
{
public:
    SpecParser(const JsonSource &src, std::filesystem::path base, const StudySpecNames *names = nullptr)
        : m_src(src), m_base(std::move(base)), m_names(names)
    {}

    StudySpec parse()
    {
        const json &root = m_src.root();
        m_src.requireObject(root, "");
        m_src.checkKeys(root, "",
                        {"name", "description", "task", "search_space", "objectives", "constraints", "strategy",
                         "early_stopping", "budget", "training", "analog", "seed"});
        StudySpec spec;
        spec.name = m_src.requireString(root, "", "name");
        spec.description = m_src.getString(root, "", "description", "");
        if (const auto it = root.find("task"); it != root.end())
            spec.task = parseTask(*it);
        spec.searchSpace = parseSpace(m_src.require(root, "", "search_space"), spec.task);
        spec.objectives = parseObjectives(m_src.require(root, "", "objectives"));
        if (const auto it = root.find("constraints"); it != root.end())
            spec.constraints = parseConstraints(*it);
        if (const auto it = root.find("strategy"); it != root.end())
            spec.strategy = parseStrategy(*it);
        spec.budget = parseBudget(m_src.require(root, "", "budget"));
        if (root.contains("training"))
            spec.training = parseTrainingRecipe(m_src, "/training");
        // A search trial is trained from scratch: its only teacher is the network itself trained without noise.
        if (spec.training.distillWeight > 0 && spec.training.noiseEpochs == 0)
            m_src.fail("/training/distill_weight",
                       "distillation needs a teacher: set noise_epochs > 0 (the network trained without noise for "
                       "`epochs` teaches the noisy fine-tuning), or distil in a noise_aware compression (the parent "
                       "teaches)");
        const std::vector<bool> &distill = spec.searchSpace.training.distill;
        if (std::find(distill.begin(), distill.end(), true) != distill.end() && spec.training.noiseEpochs == 0)
            m_src.fail(root.contains("training") ? "/training" : "",
                       "the search space searches distillation (training.distill), which needs noise_epochs > 0: the "
                       "network trained without noise for `epochs` teaches the noisy fine-tuning");
        if (const auto it = root.find("early_stopping"); it != root.end())
            spec.earlyStopping = parseEarlyStopping(*it, spec.training);
        if (const auto it = root.find("analog"); it != root.end())
            spec.analog = parseAnalog(*it);
        spec.seed = std::uint64_t(m_src.getInt64(root, "", "seed", 0, 0));
        return spec;
    }

private:
    TaskSpec parseTask(const json &task)
    {
        const std::string p = "/task";
        m_src.requireObject(task, p);
        m_src.checkKeys(task, p, {"dataset", "path", "table", "simulated_seconds"});
        TaskSpec out;
        out.dataset = m_src.getString(task, p, "dataset", out.dataset, false);
        if (!findDataset(out.dataset))
            m_src.fail(p + "/dataset", "unknown dataset " + quotedInput(out.dataset) +
                                           " (known datasets: " + quotedList(knownDatasets()) + ")");
        if (task.contains("path"))
            out.path = resolvePath(m_base, m_src.getString(task, p, "path", "", false));
        const bool tabular = out.dataset == "tabular";
        if (tabular != task.contains("table"))
            m_src.fail(tabular ? p : p + "/table",
                       tabular ? "the \"tabular\" dataset needs \"table\": the file of a tabular benchmark"
                               : "\"table\" belongs to the \"tabular\" dataset only");
        if (tabular) {
            out.table = resolvePath(m_base, m_src.getString(task, p, "table", "", false));
            std::error_code ec;
            if (!std::filesystem::is_regular_file(out.table, ec))
                m_src.fail(p + "/table",
                           "tabular benchmark \"" + out.table.string() + "\" does not exist or is not a file");
        }
        if (task.contains("simulated_seconds")) {
            if (!tabular)
                m_src.fail(p + "/simulated_seconds", "\"simulated_seconds\" belongs to the \"tabular\" dataset only");
            out.simulatedSeconds = m_src.getDouble(task, p, "simulated_seconds", 0.0, 0.0, 3600.0);
        }
        return out;
    }

    SearchSpaceDefinition parseSpace(const json &value, const TaskSpec &task)
    {
        const std::string p = "/search_space";
        SearchSpaceDefinition def;
        if (value.is_string()) {
            const std::string text = m_src.toString(value, p, false);
            std::filesystem::path file = resolvePath(m_base, text);
            std::error_code ec;
            // A bare name ("fashion-mnist-demo") that is no file here is a space of the user's or a bundled one.
            if (!std::filesystem::exists(file, ec) && !text.empty() && text.find('/') == std::string::npos &&
                !text.ends_with(".json")) {
                try {
                    file = paths::findSpace(text);
                } catch (const InputError &e) {
                    m_src.fail(p, e.what());
                }
            }
            if (!std::filesystem::is_regular_file(file, ec))
                m_src.fail(p, "search space file \"" + file.string() + "\" does not exist or is not a file");
            def = parseSearchSpaceDefinition(JsonSource::fromFile(file), "");
        } else if (value.is_object()) {
            def = parseSearchSpaceDefinition(m_src, p);
        } else {
            m_src.fail(p, "expected the path of a search space file or a search space object, got " +
                              JsonSource::describe(value));
        }
        const DatasetInfo &data = *findDataset(task.dataset);
        if (data.numClasses > 0 && (def.input != data.input || def.numClasses != data.numClasses))
            m_src.fail(p, "search space \"" + def.name + "\" takes " + shapeText(def.input) + " inputs and " +
                              std::to_string(def.numClasses) + " classes, but dataset \"" + task.dataset + "\" has " +
                              shapeText(data.input) + " and " + std::to_string(data.numClasses));
        return def;
    }

    /** Checks that a metric reference names a known model metric or has a target (checked later). */
    MetricRef metricRef(const json &value, const std::string &p)
    {
        const std::string text = m_src.toString(value, p, false);
        std::string error;
        const auto ref = parseMetricRef(text, &error);
        if (!ref)
            m_src.fail(p, error);
        checkMetric(*ref, p);
        return *ref;
    }

    void checkMetric(const MetricRef &ref, const std::string &p)
    {
        if (ref.target.empty() && !findModelMetric(ref.name)) {
            std::vector<std::string_view> names;
            for (const MetricInfo &info : modelMetrics())
                names.push_back(info.name);
            m_src.fail(p, "unknown metric " + quotedInput(ref.name) + didYouMean(ref.name, names) +
                              " (model metrics: " + modelMetricNames() +
                              "; a target's metric is written \"name@target\")");
        }
        if (m_names && m_names->targets)
            if (const std::string problem = targetMetricProblem(ref, *m_names->targets); !problem.empty())
                m_src.fail(p, problem);
    }

    static Direction naturalDirection(const MetricRef &ref)
    {
        // Hardware metrics (latency, energy, memory) are costs; a target's accuracy keeps accuracy's sense.
        if (const MetricInfo *info = findModelMetric(ref.name))
            return info->better;
        return ref.name == kAnalogAccuracyMetric ? Direction::Maximize : Direction::Minimize;
    }

    std::vector<Objective> parseObjectives(const json &list)
    {
        const std::string p = "/objectives";
        m_src.requireArray(list, p);
        if (list.empty())
            m_src.fail(p, "expected at least one objective");
        std::vector<Objective> out;
        for (std::size_t i = 0; i < list.size(); ++i) {
            const std::string ip = JsonSource::child(p, i);
            const json &item = list[i];
            Objective objective;
            if (item.is_string()) {
                objective.metric = metricRef(item, ip);
                objective.direction = naturalDirection(objective.metric);
            } else {
                m_src.requireObject(item, ip);
                m_src.checkKeys(item, ip, {"metric", "direction"});
                objective.metric = metricRef(m_src.require(item, ip, "metric"), ip + "/metric");
                objective.direction = Direction(
                    m_src.getChoice(item, ip, "direction", int(naturalDirection(objective.metric)), {"min", "max"}));
            }
            for (const Objective &earlier : out) {
                if (earlier.metric == objective.metric)
                    m_src.fail(ip, "duplicate objective \"" + objective.metric.toString() + "\"");
            }
            out.push_back(objective);
        }
        return out;
    }

    std::vector<Constraint> parseConstraints(const json &list)
    {
        const std::string p = "/constraints";
        m_src.requireArray(list, p);
        std::vector<Constraint> out;
        for (std::size_t i = 0; i < list.size(); ++i) {
            const std::string ip = JsonSource::child(p, i);
            const std::string text = m_src.toString(list[i], ip, false);
            std::string error;
            const auto constraint = parseConstraint(text, &error);
            if (!constraint)
                m_src.fail(ip, error);
            checkMetric(constraint->metric, ip);
            out.push_back(*constraint);
        }
        return out;
    }

    StrategySpec parseStrategy(const json &value)
    {
        const std::string p = "/strategy";
        StrategySpec out;
        if (value.is_string()) {
            out.id = m_src.toString(value, p, false);
            checkStrategy(out.id, p);
            return out;
        }
        m_src.requireObject(value, p);
        m_src.checkKeys(value, p, {"id", "options"});
        out.id = m_src.requireString(value, p, "id");
        checkStrategy(out.id, p + "/id");
        if (const auto it = value.find("options"); it != value.end()) {
            m_src.requireObject(*it, p + "/options");
            out.optionsJson = it->dump(); // sorted keys: equal options give equal text
            if (m_names && m_names->strategyOptionsProblem)
                if (const std::string problem = m_names->strategyOptionsProblem(out.id, out.optionsJson);
                    !problem.empty()) {
                    // "population: expected ..." points at the option itself.
                    const std::string key = problem.substr(0, problem.find(':'));
                    const bool named = problem.find(':') != std::string::npos && it->contains(key);
                    m_src.fail(named ? p + "/options/" + key : p + "/options",
                               named ? problem.substr(key.size() + 2) : problem);
                }
        }
        return out;
    }

    void checkStrategy(const std::string &id, const std::string &p)
    {
        if (m_names)
            if (const std::string problem = strategyProblem(id, m_names->strategyIds); !problem.empty())
                m_src.fail(p, problem);
    }

    EarlyStoppingSpec parseEarlyStopping(const json &value, const TrainingRecipe &training)
    {
        const std::string p = "/early_stopping";
        m_src.requireObject(value, p);
        m_src.checkKeys(value, p, {"type", "min_epochs", "reduction_factor", "startup_trials"});
        EarlyStoppingSpec out;
        out.type = EarlyStoppingSpec::Type(m_src.getChoice(value, p, "type", 0, {"none", "asha", "median"}));
        const bool asha = out.type == EarlyStoppingSpec::Type::Asha;
        if (!asha && value.contains("reduction_factor"))
            m_src.fail(p + "/reduction_factor", "only the \"asha\" rule has a reduction factor");
        if (out.type != EarlyStoppingSpec::Type::Median && value.contains("startup_trials"))
            m_src.fail(p + "/startup_trials", "only the \"median\" rule has startup trials");
        out.minEpochs = m_src.getInt(value, p, "min_epochs", out.minEpochs, 1, 100000);
        out.reductionFactor = m_src.getInt(value, p, "reduction_factor", out.reductionFactor, 2, 100);
        out.startupTrials = m_src.getInt(value, p, "startup_trials", out.startupTrials, 1, 100000);
        if (out.type != EarlyStoppingSpec::Type::None && out.minEpochs >= training.epochs)
            m_src.fail(value.contains("min_epochs") ? p + "/min_epochs" : p,
                       "early stopping needs epochs to stop: min_epochs " + std::to_string(out.minEpochs) +
                           " is not below the training's " + std::to_string(training.epochs) +
                           " epoch(s) (/training/epochs)");
        return out;
    }

    /** {"time": "1d" or seconds, "repeats": R, "images": N, "seed": S}. */
    AnalogSpec parseAnalog(const json &value)
    {
        const std::string p = "/analog";
        m_src.requireObject(value, p);
        m_src.checkKeys(value, p, {"time", "repeats", "images", "seed"});
        AnalogSpec out;
        if (const auto it = value.find("time"); it != value.end()) {
            const std::string tp = p + "/time";
            std::optional<double> seconds;
            if (it->is_string())
                seconds = parseDuration(it->get<std::string>());
            else if (it->is_number())
                seconds = it->get<double>();
            if (!seconds || !(*seconds > 0.0) || !std::isfinite(*seconds))
                m_src.fail(tp, "expected a time after programming > 0, as seconds or a duration such as \"1h\" or "
                               "\"1d\" (units " +
                                   durationUnits() + "), got " + JsonSource::describe(*it));
            out.seconds = *seconds;
        }
        out.repeats = m_src.getInt(value, p, "repeats", out.repeats, 1, 10000);
        out.images = m_src.getInt(value, p, "images", out.images, 0);
        out.seed = std::uint64_t(m_src.getInt64(value, p, "seed", std::int64_t(out.seed), 0));
        return out;
    }

    Budget parseBudget(const json &value)
    {
        const std::string p = "/budget";
        m_src.requireObject(value, p);
        m_src.checkKeys(value, p, {"trials", "wall_time_s"});
        Budget out;
        if (value.contains("trials"))
            out.trials = m_src.getInt(value, p, "trials", 0, 1);
        if (const auto it = value.find("wall_time_s"); it != value.end()) {
            const double seconds = m_src.toDouble(*it, p + "/wall_time_s", 0.0);
            if (seconds <= 0.0)
                m_src.fail(p + "/wall_time_s", "expected a number of seconds > 0, got " + JsonSource::describe(*it));
            out.wallTimeSeconds = seconds;
        }
        if (!out.trials && !out.wallTimeSeconds)
            m_src.fail(p, "expected \"trials\", \"wall_time_s\" or both, so that the study ends");
        return out;
    }

    const JsonSource &m_src;
    std::filesystem::path m_base;
    const StudySpecNames *m_names = nullptr; ///< null: names outside the spec are not checked
};

} // namespace

std::string_view toString(EarlyStoppingSpec::Type type)
{
    switch (type) {
    case EarlyStoppingSpec::Type::Asha:
        return "asha";
    case EarlyStoppingSpec::Type::Median:
        return "median";
    case EarlyStoppingSpec::Type::None:
        break;
    }
    return "none";
}

std::vector<std::string> knownDatasets()
{
    std::vector<std::string> out;
    for (const DatasetInfo &info : kDatasets)
        out.emplace_back(info.name);
    return out;
}

std::filesystem::path TaskSpec::dataDirectory() const
{
    return path.empty() ? defaultFashionMnistDir() : path;
}

StudySpec StudySpec::fromFile(const std::filesystem::path &path)
{
    const JsonSource source = JsonSource::fromFile(path);
    return SpecParser(source, std::filesystem::absolute(path).parent_path()).parse();
}

StudySpec StudySpec::fromFile(const std::filesystem::path &path, const StudySpecNames &names)
{
    const JsonSource source = JsonSource::fromFile(path);
    return SpecParser(source, std::filesystem::absolute(path).parent_path(), &names).parse();
}

StudySpec StudySpec::fromJson(std::string_view text, std::string_view displayName,
                              const std::filesystem::path &baseDirectory)
{
    const JsonSource source = JsonSource::fromText(std::string(text), std::string(displayName));
    return SpecParser(source, baseDirectory).parse();
}

StudySpec StudySpec::fromJson(std::string_view text, std::string_view displayName,
                              const std::filesystem::path &baseDirectory, const StudySpecNames &names)
{
    const JsonSource source = JsonSource::fromText(std::string(text), std::string(displayName));
    return SpecParser(source, baseDirectory, &names).parse();
}

void StudySpec::validate(const StudySpecNames &names, std::string_view displayName) const
{
    // The pointers are those of toJson(), where objectives are objects and the strategy has an "id".
    auto fail = [displayName](const std::string &pointer, const std::string &what) {
        throw InputError(std::string(displayName) + ": " + pointer + ": " + what);
    };
    if (names.targets) {
        for (std::size_t i = 0; i < objectives.size(); ++i)
            if (const std::string problem = targetMetricProblem(objectives[i].metric, *names.targets); !problem.empty())
                fail("/objectives/" + std::to_string(i) + "/metric", problem);
        for (std::size_t i = 0; i < constraints.size(); ++i)
            if (const std::string problem = targetMetricProblem(constraints[i].metric, *names.targets);
                !problem.empty())
                fail("/constraints/" + std::to_string(i), problem);
    }
    if (const std::string problem = strategyProblem(strategy.id, names.strategyIds); !problem.empty())
        fail("/strategy/id", problem);
    if (names.strategyOptionsProblem)
        if (const std::string problem =
                names.strategyOptionsProblem(strategy.id, strategy.optionsJson.empty() ? "{}" : strategy.optionsJson);
            !problem.empty())
            fail("/strategy/options", problem);
}

std::string StudySpec::toJson() const
{
    json taskJson{{"dataset", task.dataset}};
    if (!task.path.empty())
        taskJson["path"] = task.path.string();
    if (!task.table.empty())
        taskJson["table"] = task.table.string();
    if (task.simulatedSeconds > 0.0)
        taskJson["simulated_seconds"] = task.simulatedSeconds;
    json objectiveList = json::array();
    for (const Objective &o : objectives)
        objectiveList.push_back(
            {{"metric", o.metric.toString()}, {"direction", std::string(psc::toString(o.direction))}});
    json constraintList = json::array();
    for (const Constraint &c : constraints)
        constraintList.push_back(c.toString());
    json budgetJson = json::object();
    if (budget.trials)
        budgetJson["trials"] = *budget.trials;
    if (budget.wallTimeSeconds)
        budgetJson["wall_time_s"] = *budget.wallTimeSeconds;
    const json options = json::parse(strategy.optionsJson.empty() ? "{}" : strategy.optionsJson);
    json earlyStoppingJson{{"type", std::string(psc::toString(earlyStopping.type))},
                           {"min_epochs", earlyStopping.minEpochs}};
    if (earlyStopping.type == EarlyStoppingSpec::Type::Asha)
        earlyStoppingJson["reduction_factor"] = earlyStopping.reductionFactor;
    if (earlyStopping.type == EarlyStoppingSpec::Type::Median)
        earlyStoppingJson["startup_trials"] = earlyStopping.startupTrials;
    const json out{
        {"name", name},
        {"description", description},
        {"task", taskJson},
        {"search_space", searchSpaceDefinitionToJson(searchSpace)},
        {"objectives", objectiveList},
        {"constraints", constraintList},
        {"strategy", {{"id", strategy.id}, {"options", options}}},
        {"budget", budgetJson},
        {"early_stopping", earlyStoppingJson},
        {"training", trainingRecipeToJson(training)},
        {"seed", seed},
    };
    // Written only when not the default, so that specs from before it keep their text.
    if (!(analog == AnalogSpec{})) {
        json j = out;
        j["analog"] = {
            {"time", analog.seconds}, {"repeats", analog.repeats}, {"images", analog.images}, {"seed", analog.seed}};
        return j.dump(2) + "\n";
    }
    return out.dump(2) + "\n";
}

} // namespace psc
