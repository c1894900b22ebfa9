// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "psc/space/searchspacedefinition.h"
#include "psc/study/metrics.h"
#include "psc/train/trainingrecipe.h"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace psc {

class TargetLibrary;

/**
 * What a study spec may name beyond itself. Given to StudySpec::fromFile()/fromJson(), every name is
 * checked while the spec is parsed, so an error names the file, line:column and JSON pointer; given to
 * StudySpec::validate(), the same checks name the JSON pointer only.
 */
struct StudySpecNames
{
    /**
     * The targets "metric@target" may name: the target must be loaded and report the metric
     * (targetMetricNames()). Null: target metrics are not checked. Not owned; used only during the call.
     */
    const TargetLibrary *targets = nullptr;
    /** The search strategies "strategy" may name (PluginRegistry::strategyIds()). Empty: not checked. */
    std::vector<std::string> strategyIds;
    /**
     * Why strategy `id` refuses `optionsJson` ("population: expected ..."), or "" if it takes them. Empty function:
     * options are not checked.
     */
    std::function<std::string(const std::string &id, const std::string &optionsJson)> strategyOptionsProblem;
};

/** What to learn: the dataset and where its files are. */
struct TaskSpec
{
    std::string dataset = "fashion-mnist"; ///< one of knownDatasets()
    /** Directory of the dataset files; empty means the default (defaultFashionMnistDir()), chosen when used. */
    std::filesystem::path path;
    /** dataset "tabular": the tabular benchmark file (TabularTable), absolute once parsed. */
    std::filesystem::path table;
    /**
     * dataset "tabular": each lookup takes this long (seconds; 0: at once), so that benchmarks and tests of many
     * workers sharing a study have trainings of a fixed, known duration (docs/database.md).
     */
    double simulatedSeconds = 0.0;

    /** `path`, or the dataset's default directory if it is empty. */
    std::filesystem::path dataDirectory() const;
    bool operator==(const TaskSpec &) const = default;
};

/** Datasets a study can name in task.dataset. */
std::vector<std::string> knownDatasets();

struct Objective
{
    MetricRef metric;
    Direction direction = Direction::Minimize;
    bool operator==(const Objective &) const = default;
};

enum class ComparisonOp
{
    Less,
    LessEqual,
    Greater,
    GreaterEqual,
};

std::string_view toString(ComparisonOp op);

/** "metric OP bound", e.g. weight_bytes <= 65536. */
struct Constraint
{
    MetricRef metric;
    ComparisonOp op = ComparisonOp::LessEqual;
    double bound = 0.0;

    bool isSatisfiedBy(double value) const;
    /** Canonical text, "weight_bytes <= 65536"; parseConstraint() reads it back to an equal constraint. */
    std::string toString() const;
    bool operator==(const Constraint &) const = default;
};

/**
 * Parses "METRIC OP NUMBER" (OP one of <=, <, >=, >; whitespace optional; NUMBER a JSON-style number,
 * optionally followed by a unit: KiB, MiB, GiB or B for bytes, ns, us, ms or s for seconds, pJ, nJ, uJ, mJ or J
 * for joules, % for shares; stored in SI). A unit must suit the metric (describeMetric(): "ms" on a byte metric is
 * an error); whether the metric exists is not checked. Returns nullopt and sets `error` (if given) to what was
 * expected.
 */
std::optional<Constraint> parseConstraint(std::string_view text, std::string *error = nullptr);

struct StrategySpec
{
    std::string id = "random";      ///< a strategy factory id; the plugin registry checks it when the study starts
    std::string optionsJson = "{}"; ///< JSON object text handed to the strategy, canonical (sorted keys)
    bool operator==(const StrategySpec &) const = default;
};

/**
 * Multi-fidelity early stopping (docs/search.md): a training is stopped after an epoch when its validation accuracy
 * is poor against the study's other trials at the same epoch; the trial ends Pruned.
 */
struct EarlyStoppingSpec
{
    enum class Type
    {
        None,
        Asha,   ///< asynchronous successive halving (Li et al. 2020): rungs at min_epochs x reduction_factor^k
        Median, ///< median stopping rule (Golovin et al. 2017): below the median of earlier trials at that epoch
    };
    Type type = Type::None;
    int minEpochs = 1;       ///< asha: the first rung; median: no stop before this epoch
    int reductionFactor = 3; ///< asha: keep the best 1/reduction_factor at each rung (>= 2)
    int startupTrials = 5;   ///< median: trials with a value at an epoch before the rule judges that epoch
    bool operator==(const EarlyStoppingSpec &) const = default;
};

std::string_view toString(EarlyStoppingSpec::Type type);

/** When to stop; at least one limit is set. */
struct Budget
{
    std::optional<int> trials;
    std::optional<double> wallTimeSeconds;
    bool operator==(const Budget &) const = default;
};

/**
 * How a study measures `analog_accuracy@TARGET` after training, on every analog-cim target its objectives and
 * constraints name (docs/formats/study-spec.md "analog"; docs/analog.md): the deployed model on the simulated
 * crossbar at `seconds` after programming, the mean over `repeats` device draws.
 */
struct AnalogSpec
{
    double seconds = 86400.0; ///< time since programming, > 0 (default one day)
    int repeats = 5;          ///< device draws, >= 1
    int images = 0;         ///< first test images per draw; 0: those deployed_accuracy uses (the recipe's test_subset)
    std::uint64_t seed = 1; ///< of the device draws; the same for every trial so that trials compare
    bool operator==(const AnalogSpec &) const = default;
};

/**
 * A study: what to search, how to judge candidates and when to stop (docs/formats/study-spec.md).
 * Plain data; the search space is held inline, so a spec written with toJson() needs no other file.
 */
struct StudySpec
{
    std::string name;
    std::string description;
    TaskSpec task;
    SearchSpaceDefinition searchSpace;
    std::vector<Objective> objectives;
    std::vector<Constraint> constraints;
    StrategySpec strategy;
    EarlyStoppingSpec earlyStopping;
    Budget budget;
    TrainingRecipe training;
    AnalogSpec analog;
    std::uint64_t seed = 0;

    /**
     * Reads a study spec file. A relative "search_space" path or task path is relative to the file's directory.
     * Throws InputError ("file:line:col: /json/pointer: what was expected").
     */
    static StudySpec fromFile(const std::filesystem::path &path);
    /**
     * Reads a study spec file and checks its targets, target metrics and strategy against `names`, e.g.
     * `study.json:9:5: /objectives/1: unknown metric "latncy_s" for target "stm32f746zg"; did you mean
     * "latency_s"? (its metrics: ...)`. Call it before creating anything for the study.
     */
    static StudySpec fromFile(const std::filesystem::path &path, const StudySpecNames &names);
    /** Parses spec text; relative paths are resolved against `baseDirectory` (the working directory if empty). */
    static StudySpec fromJson(std::string_view text, std::string_view displayName = "<study spec>",
                              const std::filesystem::path &baseDirectory = {});
    /** fromJson() with the checks of fromFile(path, names). */
    static StudySpec fromJson(std::string_view text, std::string_view displayName,
                              const std::filesystem::path &baseDirectory, const StudySpecNames &names);

    /**
     * The checks of fromFile(path, names) on a parsed spec, for a spec that has no text at hand. Throws
     * InputError("<displayName>: /objectives/1/metric: unknown target ...") on the first problem.
     */
    void validate(const StudySpecNames &names, std::string_view displayName) const;
    /** Canonical JSON with the search space inlined: fromJson(toJson()) == *this. Thread-safe. */
    std::string toJson() const;

    bool operator==(const StudySpec &) const = default;
};

/**
 * Parses a training object (a study spec's "training", or TrainingRecipe::canonicalJson()); absent keys
 * keep TrainingRecipe's defaults. Throws InputError naming `displayName`.
 */
TrainingRecipe parseTrainingRecipe(std::string_view json, std::string_view displayName = "<training recipe>");

} // namespace psc
