// SPDX-License-Identifier: GPL-3.0-or-later
// Tests of the study spec format: parsing, defaults, path resolution, metric references, constraints,
// error messages and the canonical JSON that the study database keeps.

#include "psc/core/error.h"
#include "psc/data/dataset.h"
#include "psc/plugins/pluginregistry.h"
#include "psc/space/searchspace.h"
#include "psc/study/metrics.h"
#include "psc/study/studyspec.h"
#include "psc/targets/targetlibrary.h"
#include "psc/targets/targetmetrics.h"

#include "testsupport.h"

#include <QTemporaryDir>
#include <QTest>

#include <sys/stat.h>

#include <nlohmann/json.hpp>

#include <cmath>
#include <filesystem>
#include <functional>
#include <set>
#include <string>

using namespace psc;
using psc::test::errorOf;

namespace {

const std::string kDemo = PSC_SOURCE_DIR "/resources/studies/fashion-mnist-demo.json";
const std::string kDemoSpace = PSC_SOURCE_DIR "/resources/spaces/fashion-mnist-demo.json";
const std::string kData = PSC_TEST_DATA_DIR;

const std::string kInlineSpace =
    R"({"name": "m", "input": {"channels": 1, "height": 28, "width": 28}, "num_classes": 10, )"
    R"("stem": {"out_channels": [4, 8]}, "blocks": {"count": [0, 1], "out_channels": 8}})";

/** A valid spec on line 1 without the keys in `omit`, and `line2` (a "key": value member) on line 2. */
std::string specWith(const std::string &line2, const std::set<std::string> &omit = {})
{
    const std::vector<std::pair<std::string, std::string>> base{
        {"name", R"("s")"},
        {"search_space", kInlineSpace},
        {"objectives", R"(["accuracy"])"},
        {"budget", R"({"trials": 2})"},
    };
    std::string text = "{";
    for (const auto &[key, value] : base) {
        if (!omit.count(key))
            text += "\"" + key + "\": " + value + ", ";
    }
    return text + "\n" + line2 + "}";
}

/** Every feature at once, for the round trip. */
const std::string kFullSpec = R"({
  "name": "full",
  "description": "all fields",
  "task": {"dataset": "fashion-mnist", "path": "/data/fm"},
  "search_space": )" + kInlineSpace +
                              R"(,
  "objectives": [{"metric": "accuracy"}, "weight_bytes", {"metric": "latency_s@stm32f746zg", "direction": "min"},
                 {"metric": "accuracy@analog-cim", "direction": "max"}],
  "constraints": ["weight_bytes <= 64KiB", "macs<5e6", "accuracy >= 0.5", "params > 100",
                  "energy_j@npu.v2 <= 1e-3"],
  "strategy": {"id": "nsga2", "options": {"population": 16, "mutation": {"rate": 0.1, "eta": 20}}},
  "budget": {"wall_time_s": 90.5},
  "training": {"epochs": 2, "optimizer": "sgd", "learning_rate": 0.05, "schedule": "step", "step_gamma": 0.3},
  "seed": 9223372036854775807
})";

} // namespace

class TestStudySpec : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void bundledDemoParses();
    void defaults();
    void relativePathsFollowTheSpecFile();
    void fromJsonUsesTheBaseDirectory();
    void inlineSpace();
    void spaceFileErrors();
    void canonicalJsonRoundTrip();
    void canonicalJsonIsSelfContained();
    void metricTable();
    void metricReferences();
    void constraintParsing_data();
    void constraintParsing();
    void badConstraints_data();
    void badConstraints();
    void constraintSatisfaction();
    void badSpecs_data();
    void badSpecs();
    void namesCheckedWhileParsing_data();
    void namesCheckedWhileParsing();
    void validateParsedSpec();
    void targetMetricNamesMatchEstimates();
    void hostileSpecs();

private:
    PluginRegistry m_registry;
    std::unique_ptr<TargetLibrary> m_targets;
    StudySpecNames names() const { return StudySpecNames{m_targets.get(), m_registry.strategyIds(), {}}; }
};

void TestStudySpec::initTestCase()
{
    m_registry.load();
    m_targets = std::make_unique<TargetLibrary>(m_registry);
    m_targets->loadDirectory(TargetLibrary::defaultDirectory());
}

void TestStudySpec::bundledDemoParses()
{
    const StudySpec spec = StudySpec::fromFile(kDemo);
    QCOMPARE(spec.name, std::string("fashion-mnist-demo"));
    QCOMPARE(spec.task.dataset, std::string("fashion-mnist"));
    QVERIFY(spec.task.path.empty());
    QVERIFY(spec.searchSpace == SearchSpace::fromFile(kDemoSpace).definition());
    QVERIFY(spec.objectives.size() >= 2);
    QVERIFY((spec.objectives[0] == Objective{{"deployed_accuracy", ""}, Direction::Maximize}));
    QVERIFY((spec.objectives[1] == Objective{{"weight_bytes", ""}, Direction::Minimize}));
    QVERIFY(!spec.constraints.empty());
    for (const Constraint &c : spec.constraints)
        QVERIFY(!c.metric.target.empty() ||
                (findModelMetric(c.metric.name) && findModelMetric(c.metric.name)->beforeTraining));
    QCOMPARE(spec.strategy.id, std::string("mobo")); // the winner of bench_search (docs/search.md)
    QCOMPARE(spec.strategy.optionsJson, std::string(R"({"initial_trials":8})"));
    QVERIFY(spec.budget.trials && *spec.budget.trials >= 24);
    QVERIFY(spec.training.epochs >= 1);
    QCOMPARE(spec.seed, std::uint64_t(42));
}

void TestStudySpec::defaults()
{
    const StudySpec spec =
        StudySpec::fromJson(specWith(R"("objectives": ["accuracy", "macs", "macs@npu"])", {"objectives"}));
    QCOMPARE(spec.description, std::string());
    QVERIFY(spec.task == TaskSpec{});
    QCOMPARE(spec.task.dataDirectory(), defaultFashionMnistDir());
    QVERIFY(spec.constraints.empty());
    QVERIFY(spec.strategy == StrategySpec{});
    QCOMPARE(spec.strategy.id, std::string("random"));
    QVERIFY(spec.training == TrainingRecipe{});
    QCOMPARE(spec.seed, std::uint64_t(0));
    QVERIFY(spec.budget.trials == 2 && !spec.budget.wallTimeSeconds);
    // Directions default to each metric's natural sense; a target's metric keeps its base metric's sense
    // if it has one, and is a cost otherwise.
    QVERIFY(spec.objectives[0].direction == Direction::Maximize);
    QVERIFY(spec.objectives[1].direction == Direction::Minimize);
    QVERIFY((spec.objectives[2].metric == MetricRef{"macs", "npu"}));
    const StudySpec targets = StudySpec::fromJson(
        specWith(R"("objectives": ["accuracy@cim", "latency_s@mcu"], "strategy": "nsga2")", {"objectives"}));
    QVERIFY(targets.objectives[0].direction == Direction::Maximize);
    QVERIFY(targets.objectives[1].direction == Direction::Minimize);
    QCOMPARE(targets.strategy.id, std::string("nsga2"));
}

void TestStudySpec::relativePathsFollowTheSpecFile()
{
    // Run from elsewhere: paths must not depend on the working directory.
    const auto previous = std::filesystem::current_path();
    std::filesystem::current_path(std::filesystem::temp_directory_path());
    const StudySpec spec = StudySpec::fromFile(kData + "/studies/relative.json");
    std::filesystem::current_path(previous);
    QVERIFY(spec.searchSpace == SearchSpace::fromFile(kData + "/spaces/minimal.json").definition());
    QCOMPARE(spec.task.path, std::filesystem::path(kData + "/fashion-mnist-copy"));
    QCOMPARE(spec.task.dataDirectory(), spec.task.path);
}

void TestStudySpec::fromJsonUsesTheBaseDirectory()
{
    const std::string text =
        specWith(R"("search_space": "spaces/minimal.json", "task": {"path": "fm"})", {"search_space"});
    const StudySpec spec = StudySpec::fromJson(text, "inline", kData);
    QCOMPARE(spec.searchSpace.name, std::string("minimal"));
    QCOMPARE(spec.task.path, std::filesystem::path(kData + "/fm"));
    // Without a base directory, the working directory is the base.
    const auto previous = std::filesystem::current_path();
    std::filesystem::current_path(kData);
    const StudySpec fromCwd = StudySpec::fromJson(text, "inline");
    std::filesystem::current_path(previous);
    QVERIFY(fromCwd == spec);
    QVERIFY(errorOf([&] {
                StudySpec::fromJson(text, "inline", "/nonexistent");
            }).starts_with("inline:2:17: /search_space: search space file \"/nonexistent/spaces/minimal.json\""));
}

void TestStudySpec::inlineSpace()
{
    const StudySpec spec = StudySpec::fromJson(specWith(R"("seed": 7)"));
    QCOMPARE(spec.searchSpace.name, std::string("m"));
    QCOMPARE(SearchSpace(spec.searchSpace).cardinalities(), (std::vector<int>{2, 2}));
    QCOMPARE(spec.seed, std::uint64_t(7));
    // An error inside an inline space is located in the spec file.
    std::string bad = kInlineSpace;
    bad.replace(bad.find("[4, 8]"), 6, "[4, -8]");
    const std::string message =
        errorOf([&] { StudySpec::fromJson(specWith("\"search_space\": " + bad, {"search_space"}), "spec.json"); });
    QCOMPARE(message, std::string("spec.json:2:132: /search_space/stem/out_channels/1: expected an integer between 1 "
                                  "and 4096, got -8"));
}

void TestStudySpec::spaceFileErrors()
{
    const std::string missing = kData + "/studies/missing-space.json";
    QCOMPARE(errorOf([&] { StudySpec::fromFile(missing); }),
             missing + ":3:19: /search_space: search space file \"" + kData +
                 "/studies/no-such-space.json\" does not exist or is not a file");
    // Errors in a referenced space file name that file, not the spec.
    QCOMPARE(errorOf([&] { StudySpec::fromFile(kData + "/studies/bad-space-file.json"); }),
             kData + "/spaces/bad-kernel.json:5:47: /stem/kernel/1: expected an odd kernel size between 1 and 15, "
                     "got 4");
}

void TestStudySpec::canonicalJsonRoundTrip()
{
    for (const StudySpec &spec :
         {StudySpec::fromJson(kFullSpec), StudySpec::fromFile(kDemo), StudySpec::fromJson(specWith(R"("seed": 1)"))}) {
        const std::string text = spec.toJson();
        const StudySpec back = StudySpec::fromJson(text, "canonical");
        QVERIFY(back == spec);
        QCOMPARE(back.toJson(), text);
    }
    // The analog block: written only when it is not the default (older specs keep their text), read back equal.
    QVERIFY(!nlohmann::json::parse(StudySpec::fromFile(kDemo).toJson()).contains("analog"));
    const StudySpec analog =
        StudySpec::fromJson(specWith(R"("analog": {"time": "1h", "repeats": 3, "images": 500, "seed": 7})"));
    QCOMPARE(analog.analog.seconds, 3600.0);
    QCOMPARE(analog.analog.repeats, 3);
    QCOMPARE(analog.analog.images, 500);
    QCOMPARE(analog.analog.seed, std::uint64_t(7));
    QVERIFY(StudySpec::fromJson(analog.toJson(), "canonical") == analog);
    QCOMPARE(StudySpec::fromJson(specWith(R"("analog": {"time": 60})")).analog.seconds, 60.0);
    const StudySpec full = StudySpec::fromJson(kFullSpec);
    QCOMPARE(full.seed, std::uint64_t(9223372036854775807ULL));
    QVERIFY(!full.budget.trials && full.budget.wallTimeSeconds == 90.5);
    QCOMPARE(full.strategy.optionsJson, std::string(R"({"mutation":{"eta":20,"rate":0.1},"population":16})"));
    QCOMPARE(full.constraints[0].bound, 65536.0);
    QCOMPARE(full.training.stepGamma, 0.3);
    const auto j = nlohmann::json::parse(full.toJson());
    QVERIFY(j["constraints"][0] == "weight_bytes <= 65536");
    QVERIFY(j["constraints"][1] == "macs < 5000000");
    QVERIFY(j["constraints"][4] == "energy_j@npu.v2 <= 0.001");
    QVERIFY(j["objectives"][0] == nlohmann::json({{"metric", "accuracy"}, {"direction", "max"}}));
    QVERIFY(j["objectives"][2] == nlohmann::json({{"metric", "latency_s@stm32f746zg"}, {"direction", "min"}}));
    QVERIFY(j["task"]["path"] == "/data/fm");
    QVERIFY(j["training"] == nlohmann::json::parse(full.training.canonicalJson()));
}

void TestStudySpec::canonicalJsonIsSelfContained()
{
    // The canonical form inlines the search space: it parses anywhere, with no other file around.
    const StudySpec demo = StudySpec::fromFile(kDemo);
    const auto j = nlohmann::json::parse(demo.toJson());
    QVERIFY(j["search_space"].is_object());
    QVERIFY(!j["task"].contains("path")); // the default directory is chosen where the study runs
    QVERIFY(StudySpec::fromJson(demo.toJson(), "db", "/nonexistent") == demo);
}

void TestStudySpec::metricTable()
{
    std::set<std::string> names;
    for (const MetricInfo &m : modelMetrics()) {
        names.insert(std::string(m.name));
        QVERIFY(!m.label.empty() && !m.description.empty());
        QCOMPARE(findModelMetric(m.name), &m);
    }
    QCOMPARE(names, (std::set<std::string>{"accuracy", "test_accuracy", "quantized_accuracy", "deployed_accuracy",
                                           "float_weight_bytes", "params", "macs", "weight_bytes",
                                           "peak_activation_bytes", "arena_bytes", "train_seconds"}));
    QVERIFY(findModelMetric("accuracy")->better == Direction::Maximize);
    QVERIFY(!findModelMetric("accuracy")->beforeTraining);
    QVERIFY(findModelMetric("weight_bytes")->beforeTraining);
    QCOMPARE(findModelMetric("weight_bytes")->unit, std::string_view("B"));
    QCOMPARE(findModelMetric("train_seconds")->unit, std::string_view("s"));
    QVERIFY(findModelMetric("latency_s") == nullptr);
    QCOMPARE(modelMetricNames(), std::string("accuracy, test_accuracy, quantized_accuracy, deployed_accuracy, "
                                             "float_weight_bytes, params, macs, weight_bytes, "
                                             "peak_activation_bytes, arena_bytes, train_seconds"));
    QCOMPARE(toString(Direction::Maximize), std::string_view("max"));
}

void TestStudySpec::metricReferences()
{
    QVERIFY((parseMetricRef("accuracy") == MetricRef{"accuracy", ""}));
    QVERIFY((parseMetricRef("latency_s@stm32f746zg") == MetricRef{"latency_s", "stm32f746zg"}));
    QVERIFY((parseMetricRef("energy_j@Ethos-U55.v2") == MetricRef{"energy_j", "Ethos-U55.v2"}));
    QCOMPARE((MetricRef{"latency_s", "mcu"}).toString(), std::string("latency_s@mcu"));
    std::string error;
    for (const char *bad : {"", "Accuracy", "9lives", "acc uracy", "latency_s@", "@mcu", "a@b@c", "a@b c"}) {
        error.clear();
        QVERIFY2(!parseMetricRef(bad, &error), bad);
        QVERIFY2(error.find(std::string("\"") + bad + "\"") != std::string::npos, error.c_str());
    }
}

void TestStudySpec::constraintParsing_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("metric");
    QTest::addColumn<int>("op");
    QTest::addColumn<double>("bound");
    QTest::addColumn<QString>("canonical");
    const auto row = [](const char *text, const char *metric, ComparisonOp op, double bound, const char *canonical) {
        QTest::newRow(text) << QString(text) << QString(metric) << int(op) << bound << QString(canonical);
    };
    row("weight_bytes <= 65536", "weight_bytes", ComparisonOp::LessEqual, 65536, "weight_bytes <= 65536");
    row("weight_bytes<65536", "weight_bytes", ComparisonOp::Less, 65536, "weight_bytes < 65536");
    row("  accuracy >= 0.8  ", "accuracy", ComparisonOp::GreaterEqual, 0.8, "accuracy >= 0.8");
    row("macs>5e6", "macs", ComparisonOp::Greater, 5e6, "macs > 5000000");
    row("train_seconds\t<=\t60", "train_seconds", ComparisonOp::LessEqual, 60, "train_seconds <= 60");
    row("peak_activation_bytes <= 64KiB", "peak_activation_bytes", ComparisonOp::LessEqual, 65536,
        "peak_activation_bytes <= 65536");
    row("weight_bytes <= 1.5 MiB", "weight_bytes", ComparisonOp::LessEqual, 1572864, "weight_bytes <= 1572864");
    row("arena_bytes < 1GiB", "arena_bytes", ComparisonOp::Less, 1073741824, "arena_bytes < 1073741824");
    row("latency_s@stm32f746zg <= 0.005", "latency_s@stm32f746zg", ComparisonOp::LessEqual, 0.005,
        "latency_s@stm32f746zg <= 0.005");
    row("energy_j@npu.v2<1E-3", "energy_j@npu.v2", ComparisonOp::Less, 1e-3, "energy_j@npu.v2 < 0.001");
    row("params >= -0.25", "params", ComparisonOp::GreaterEqual, -0.25, "params >= -0.25");
    row("accuracy > 0.30000000000000004", "accuracy", ComparisonOp::Greater, 0.1 + 0.2,
        "accuracy > 0.30000000000000004");
    row("macs <= 1e30", "macs", ComparisonOp::LessEqual, 1e30, "macs <= 1e+30"); // digits would be long
    row("params < 1e-12", "params", ComparisonOp::Less, 1e-12, "params < 0.000000000001");
    // Units of time, energy and shares, stored in SI (the number times the unit's factor).
    row("latency_s@stm32f746zg < 20 ms", "latency_s@stm32f746zg", ComparisonOp::Less, 20 * 1e-3,
        "latency_s@stm32f746zg < 0.02");
    row("latency_s@a <= 250us", "latency_s@a", ComparisonOp::LessEqual, 250 * 1e-6, "latency_s@a <= 0.00025");
    row("latency_s@a <= 5ns", "latency_s@a", ComparisonOp::LessEqual, 5 * 1e-9, "latency_s@a <= 0.000000005");
    row("train_seconds <= 2 s", "train_seconds", ComparisonOp::LessEqual, 2, "train_seconds <= 2");
    row("energy_j@x <= 3 uJ", "energy_j@x", ComparisonOp::LessEqual, 3 * 1e-6, "energy_j@x <= 0.000003");
    row("accuracy >= 90 %", "accuracy", ComparisonOp::GreaterEqual, 90 * 0.01, "accuracy >= 0.9");
    row("weight_bytes <= 512 B", "weight_bytes", ComparisonOp::LessEqual, 512, "weight_bytes <= 512");
}

void TestStudySpec::constraintParsing()
{
    QFETCH(QString, text);
    QFETCH(QString, metric);
    QFETCH(int, op);
    QFETCH(double, bound);
    QFETCH(QString, canonical);
    std::string error;
    const auto c = parseConstraint(text.toStdString(), &error);
    QVERIFY2(c.has_value(), error.c_str());
    QCOMPARE(c->metric.toString(), metric.toStdString());
    QCOMPARE(int(c->op), op);
    QCOMPARE(c->bound, bound); // exact: the same double as the literal
    QCOMPARE(c->toString(), canonical.toStdString());
    QVERIFY(parseConstraint(c->toString()) == c);
}

void TestStudySpec::badConstraints_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("expected");
    const char *usage = "expected \"METRIC OP NUMBER\" with OP one of <=, <, >=, >";
    const char *number = "expected a number (optionally followed by a unit: KiB, MiB, GiB, B; ns, us, ms, s; pJ, nJ, "
                         "uJ, mJ, J; %) after";
    const auto row = [](const char *text, const char *expected) {
        QTest::newRow(text) << QString(text) << QString(expected);
    };
    row("", usage);
    row("weight_bytes", usage);
    row("weight_bytes == 5", usage);
    row("weight_bytes => 5", usage);
    row("weight_bytes != 5", usage);
    row("weight_bytes <= ", number);
    row("weight_bytes <= abc", number);
    row("weight_bytes <= 5 6", number);
    row("weight_bytes <= 0x10", number);
    row("weight_bytes <= 5KB", number);
    row("weight_bytes <= .5", number);
    row("weight_bytes <= 5.", number);
    row("weight_bytes <= nan", number);
    row("weight_bytes <= inf", number);
    row("weight_bytes < < 5", number);
    row("weight_bytes <= 1e999", "the number in \"weight_bytes <= 1e999\" is out of range");
    row("<= 5", "expected a metric name");
    row("Weight <= 5", "expected a metric name");
    row("latency@ <= 5", "expected a target id");
    // Units must suit the metric.
    row("weight_bytes <= 5ms", "ms is in seconds, but \"weight_bytes\" is measured in bytes");
    row("latency_s@stm32f746zg < 20KiB", "KiB is in bytes, but \"latency_s@stm32f746zg\" is measured in seconds");
    row("accuracy >= 1KiB", "KiB is in bytes, but \"accuracy\" is a share (a fraction, or a percentage with %)");
    row("macs <= 3 J", "J is in joules, but \"macs\" is measured in multiply-accumulates");
    row("params <= 3 ms", "ms is in seconds, but \"params\" is a count without a unit");
    row("energy_j@x <= 5 %", "% is a percentage, but \"energy_j@x\" is measured in joules");
}

void TestStudySpec::badConstraints()
{
    QFETCH(QString, text);
    QFETCH(QString, expected);
    std::string error;
    QVERIFY(!parseConstraint(text.toStdString(), &error));
    QVERIFY2(error.starts_with(expected.toStdString()), error.c_str());
}

void TestStudySpec::constraintSatisfaction()
{
    const auto check = [](const char *text, double value) { return parseConstraint(text)->isSatisfiedBy(value); };
    QVERIFY(check("macs <= 10", 10) && check("macs <= 10", 9) && !check("macs <= 10", 10.5));
    QVERIFY(!check("macs < 10", 10) && check("macs < 10", 9.99));
    QVERIFY(check("accuracy >= 0.5", 0.5) && !check("accuracy >= 0.5", 0.49));
    QVERIFY(!check("accuracy > 0.5", 0.5) && check("accuracy > 0.5", 0.51));
    QVERIFY(!check("accuracy > 0.5", std::nan(""))); // an unmeasured value satisfies nothing
}

void TestStudySpec::badSpecs_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("expected");
    const auto row = [](const char *name, const std::string &text, const std::string &expected) {
        QTest::newRow(name) << QString::fromStdString(text) << QString::fromStdString(expected);
    };
    std::string badKernel = kInlineSpace;
    badKernel.replace(badKernel.find("\"blocks\""), 0, R"("stem": {"out_channels": 4, "kernel": 2}, )");
    badKernel.erase(badKernel.find(R"("stem": {"out_channels": [4, 8]}, )"), 34);
    std::string fiveClasses = kInlineSpace;
    fiveClasses.replace(fiveClasses.find("\"num_classes\": 10"), 17, "\"num_classes\": 5");

    row("unknown key", specWith(R"("objective": ["accuracy"])"),
        "bad.json:2:14: /objective: unknown key \"objective\"; did you mean \"objectives\"?");
    row("empty name", specWith(R"("name": "")", {"name"}),
        "bad.json:2:9: /name: expected a non-empty string, got \"\"");
    row("missing name", specWith(R"("seed": 1)", {"name"}), "bad.json:1:1: missing required key \"name\"");
    row("missing budget", specWith(R"("seed": 1)", {"budget"}), "bad.json:1:1: missing required key \"budget\"");
    row("dataset", specWith(R"("task": {"dataset": "mnist"})"),
        "bad.json:2:21: /task/dataset: unknown dataset \"mnist\" (known datasets: \"fashion-mnist\", \"tabular\")");
    row("tabular without table", specWith(R"("task": {"dataset": "tabular"})", {"task"}),
        "bad.json:2:9: /task: the \"tabular\" dataset needs \"table\": the file of a tabular benchmark");
    row("table without tabular", specWith(R"("task": {"table": "t.json"})", {"task"}),
        "bad.json:2:19: /task/table: \"table\" belongs to the \"tabular\" dataset only");
    row("empty path", specWith(R"("task": {"path": ""})"), "bad.json:2:18: /task/path: expected a non-empty string");
    row("space type", specWith(R"("search_space": 5)", {"search_space"}),
        "bad.json:2:17: /search_space: expected the path of a search space file or a search space object, got 5");
    row("space kernel", specWith("\"search_space\": " + badKernel, {"search_space"}),
        "bad.json:2:141: /search_space/stem/kernel: expected an odd kernel size between 1 and 15, got 2");
    row("space vs dataset", specWith("\"search_space\": " + fiveClasses, {"search_space"}),
        "bad.json:2:17: /search_space: search space \"m\" takes 1x28x28 inputs and 5 classes, but dataset "
        "\"fashion-mnist\" has 1x28x28 and 10");
    row("no objectives", specWith(R"("objectives": [])", {"objectives"}),
        "bad.json:2:15: /objectives: expected at least one objective");
    row("objectives object", specWith(R"("objectives": {"metric": "accuracy"})", {"objectives"}),
        "bad.json:2:15: /objectives: expected an array, got an object");
    row("unknown metric", specWith(R"("objectives": ["acc"])", {"objectives"}),
        "bad.json:2:16: /objectives/0: unknown metric \"acc\"; did you mean \"macs\"? (model metrics: accuracy, "
        "test_accuracy, "
        "quantized_accuracy, deployed_accuracy, float_weight_bytes, params, macs, "
        "weight_bytes, peak_activation_bytes, arena_bytes, train_seconds; a target's metric is written "
        "\"name@target\")");
    row("metric syntax", specWith(R"("objectives": [{"metric": "Latency@mcu"}])", {"objectives"}),
        "bad.json:2:27: /objectives/0/metric: expected a metric name of lowercase letters");
    row("direction", specWith(R"("objectives": [{"metric": "macs", "direction": "down"}])", {"objectives"}),
        "bad.json:2:48: /objectives/0/direction: expected one of \"min\", \"max\", got \"down\"");
    row("duplicate objective",
        specWith(R"("objectives": ["macs", {"metric": "macs", "direction": "max"}])", {"objectives"}),
        "bad.json:2:24: /objectives/1: duplicate objective \"macs\"");
    row("constraint syntax", specWith(R"("constraints": ["macs < 5", "weight_bytes = 5"])"),
        "bad.json:2:29: /constraints/1: expected \"METRIC OP NUMBER\"");
    row("constraint metric", specWith(R"("constraints": ["flash <= 5"])"),
        "bad.json:2:17: /constraints/0: unknown metric \"flash\"");
    row("constraint unit", specWith(R"("constraints": ["accuracy >= 1KiB"])"),
        "bad.json:2:17: /constraints/0: KiB is in bytes, but \"accuracy\" is a share (a fraction, or a percentage "
        "with %)");
    row("constraints string", specWith(R"("constraints": "macs < 5")"),
        "bad.json:2:16: /constraints: expected an array, got \"macs < 5\"");
    row("empty budget", specWith(R"("budget": {})", {"budget"}),
        "bad.json:2:11: /budget: expected \"trials\", \"wall_time_s\" or both, so that the study ends");
    row("zero trials", specWith(R"("budget": {"trials": 0})", {"budget"}),
        "bad.json:2:22: /budget/trials: expected an integer >= 1, got 0");
    row("zero time", specWith(R"("budget": {"wall_time_s": 0})", {"budget"}),
        "bad.json:2:27: /budget/wall_time_s: expected a number of seconds > 0, got 0");
    row("budget key", specWith(R"("budget": {"trials": 3, "hours": 1})", {"budget"}),
        "bad.json:2:34: /budget/hours: unknown key \"hours\"");
    row("strategy id", specWith(R"("strategy": {"id": ""})"),
        "bad.json:2:20: /strategy/id: expected a non-empty string, got \"\"");
    row("strategy options", specWith(R"("strategy": {"id": "random", "options": [1]})"),
        "bad.json:2:41: /strategy/options: expected an object, got an array");
    row("strategy type", specWith(R"("strategy": 3)"), "bad.json:2:13: /strategy: expected an object, got 3");
    row("training", specWith(R"("training": {"epochs": 0})"),
        "bad.json:2:24: /training/epochs: expected an integer between 1 and 100000, got 0");
    row("seed", specWith(R"("seed": -1)"), "bad.json:2:9: /seed: expected an integer >= 0, got -1");
    const std::string distillSpace =
        R"("search_space": {"name": "m", "input": {"channels": 1, "height": 28, "width": 28}, "num_classes": 10, )"
        R"("stem": {"out_channels": 4}, "blocks": {"count": 0, "out_channels": 8}, "training": {"distill": [false, true]}}, )";
    row("space distils without noise epochs",
        specWith(distillSpace + R"("training": {"weight_noise": 0.05})", {"search_space"}),
        "bad.json:2:228: /training: the search space searches distillation (training.distill), which needs "
        "noise_epochs > 0");
    row("analog time 0", specWith(R"("analog": {"time": 0})"),
        "bad.json:2:20: /analog/time: expected a time after programming > 0, as seconds or a duration such as "
        "\"1h\" or \"1d\" (units s, min, h, d, w, mo, y), got 0");
    row("analog time unit", specWith(R"("analog": {"time": "1 fortnight"})"),
        "bad.json:2:20: /analog/time: expected a time after programming > 0");
    row("analog repeats 0", specWith(R"("analog": {"repeats": 0})"),
        "bad.json:2:23: /analog/repeats: expected an integer between 1 and 10000, got 0");
    row("analog key", specWith(R"("analog": {"tme": "1d"})"),
        "bad.json:2:19: /analog/tme: unknown key \"tme\"; did you mean \"time\"?");
    row("not an object", "[]", "bad.json:1:1: expected an object, got an array");
    row("malformed", "{\"name\": \"x\",\n}", "bad.json:2:1: malformed JSON");
}

void TestStudySpec::badSpecs()
{
    QFETCH(QString, text);
    QFETCH(QString, expected);
    const std::string message = errorOf([&] { StudySpec::fromJson(text.toStdString(), "bad.json"); });
    QVERIFY2(message.starts_with(expected.toStdString()), message.c_str());
}

void TestStudySpec::namesCheckedWhileParsing_data()
{
    QTest::addColumn<QString>("line2");
    QTest::addColumn<QString>("expected");
    const auto row = [](const char *name, const std::string &line2, const std::string &expected) {
        QTest::newRow(name) << QString::fromStdString(line2) << QString::fromStdString(expected);
    };
    const std::string mcuMetrics =
        "latency_s, energy_j, cycles, peak_sram_bytes, weight_storage_bytes, utilization, feasible, sram_bytes, "
        "flash_bytes, arena_bytes, scratch_bytes, persistent_bytes, model_flash_bytes, macs, macs_per_cycle, "
        "c_flash_bytes, c_sram_bytes, c_instructions";
    row("good", R"("objectives": ["accuracy", "latency_s@stm32f746zg", "tops_per_w@sa-8x8-os"], "strategy": "random")",
        "<no InputError>");
    row("unknown metric of a known target", R"("objectives": ["accuracy", {"metric": "latncy_s@stm32f746zg"}])",
        "bad.json:2:39: /objectives/1/metric: unknown metric \"latncy_s\" for target \"stm32f746zg\"; did you mean "
        "\"latency_s\"? (its metrics: " +
            mcuMetrics + ")");
    // Another model's extra is not this target's metric.
    row("other model's metric", R"("objectives": ["accuracy", "tops_per_w@stm32f746zg"])",
        "bad.json:2:28: /objectives/1: unknown metric \"tops_per_w\" for target \"stm32f746zg\" (its metrics: " +
            mcuMetrics + ")");
    row("unknown target", R"("objectives": ["latency_s@stm32f746"])",
        "bad.json:2:16: /objectives/0: unknown target \"stm32f746\"; did you mean \"stm32f746zg\"? (known targets: ");
    row("constraint metric", R"("constraints": ["macs <= 5", "sram_byte@stm32f446re <= 128KiB"])",
        "bad.json:2:30: /constraints/1: unknown metric \"sram_byte\" for target \"stm32f446re\"; did you mean "
        "\"sram_bytes\"?");
    row("constraint target", R"("constraints": ["latency_s@nosuch <= 1"])",
        "bad.json:2:17: /constraints/0: unknown target \"nosuch\" (known targets: ");
    row("analog accuracy", R"("objectives": ["analog_accuracy@aon-cim", "energy_j@aon-cim"])", "<no InputError>");
    row("analog accuracy of a digital target", R"("objectives": ["analog_accuracy@stm32f746zg"])",
        "bad.json:2:16: /objectives/0: analog_accuracy needs an analog compute-in-memory target (model "
        "\"analog-cim\", a crossbar to simulate); \"stm32f746zg\" uses the mcu model (analog targets: "
        "aon-cim-512x128-reprogram, "
        "aon-cim, pcm-cim-64x256)");
    row("strategy string", R"("strategy": "randon")",
        "bad.json:2:13: /strategy: unknown strategy \"randon\"; did you mean \"random\"? (available: random");
    row("strategy id", R"("strategy": {"id": "hyperband", "options": {}})",
        "bad.json:2:20: /strategy/id: unknown strategy \"hyperband\" (available: random");
}

void TestStudySpec::namesCheckedWhileParsing()
{
    QFETCH(QString, line2);
    QFETCH(QString, expected);
    const std::string text = specWith(line2.toStdString(), {"objectives"});
    const std::string fullText = line2.contains("\"objectives\"") ? text : specWith(line2.toStdString());
    const std::string message = errorOf([&] { StudySpec::fromJson(fullText, "bad.json", {}, names()); });
    QVERIFY2(message.starts_with(expected.toStdString()), message.c_str());
    // Without names, only the syntax is checked (as before): the same text parses.
    QCOMPARE(errorOf([&] { StudySpec::fromJson(fullText, "bad.json"); }), std::string("<no InputError>"));
}

void TestStudySpec::validateParsedSpec()
{
    StudySpec spec = StudySpec::fromJson(specWith(R"("strategy": "random")"), "ok.json", {}, names());
    QCOMPARE(errorOf([&] { spec.validate(names(), "study \"s\""); }), std::string("<no InputError>"));
    spec.constraints.push_back(*parseConstraint("energy_j@ethos-u55-128 <= 1"));
    spec.objectives.push_back({{"latency_ms", "stm32f746zg"}, Direction::Minimize});
    QVERIFY2(errorOf([&] { spec.validate(names(), "study \"s\""); })
                 .starts_with("study \"s\": /objectives/1/metric: unknown metric \"latency_ms\" for target "
                              "\"stm32f746zg\"; did you mean \"latency_s\"?"),
             errorOf([&] { spec.validate(names(), "study \"s\""); }).c_str());
    spec.objectives.pop_back();
    spec.strategy.id = "nsga3";
    QVERIFY(errorOf([&] { spec.validate(names(), "x"); }).starts_with("x: /strategy/id: unknown strategy \"nsga3\""));
    QCOMPARE(errorOf([&] { spec.validate(StudySpecNames{}, "x"); }), std::string("<no InputError>"));
}

void TestStudySpec::targetMetricNamesMatchEstimates()
{
    // The listed names are what a study can refer to; they must be what the targets really report.
    for (const TargetDefinition *def : m_targets->definitions()) {
        const auto names = targetMetricNames(*m_targets->target(def->id));
        QVERIFY2(names.size() >= standardTargetMetricNames().size(), def->id.c_str());
        QVERIFY(std::equal(standardTargetMetricNames().begin(), standardTargetMetricNames().end(), names.begin()));
        QCOMPARE(std::set<std::string>(names.begin(), names.end()).size(), names.size());
    }
    QVERIFY(!m_targets->definitions().empty());
}

void TestStudySpec::hostileSpecs()
{
    // A number beyond double anywhere in a spec, and a huge metric name, are located and cut.
    const std::string over = errorOf([] { StudySpec::fromJson(specWith("\"seed\": 1e999"), "h.json"); });
    QVERIFY2(over.starts_with("h.json:2:9: /seed: number out of range"), over.c_str());
    const std::string huge(1024 * 1024, 'a');
    const std::string metric =
        errorOf([&] { StudySpec::fromJson(specWith("\"objectives\": [\"" + huge + "\"]", {"objectives"}), "h.json"); });
    QVERIFY2(metric.size() < 400 && metric.starts_with("h.json:2:16: /objectives/0: unknown metric \"aaaa") &&
                 metric.find("(1048576 characters)") != std::string::npos,
             metric.substr(0, 400).c_str());
    const std::string constraint =
        errorOf([&] { StudySpec::fromJson(specWith("\"constraints\": [\"" + huge + " = 3\"]"), "h.json"); });
    QVERIFY2(constraint.size() < 400 && constraint.find("(1048580 characters)") != std::string::npos,
             constraint.substr(0, 400).c_str());
    // A search space "file" that is a FIFO is refused without blocking.
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const std::string fifo = dir.filePath(QStringLiteral("space.json")).toStdString();
    QCOMPARE(::mkfifo(fifo.c_str(), 0600), 0);
    const std::string spaceError = errorOf(
        [&] { StudySpec::fromJson(specWith("\"search_space\": \"" + fifo + "\"", {"search_space"}), "f.json"); });
    QVERIFY2(spaceError.starts_with("f.json:2:17: /search_space: search space file"), spaceError.c_str());
}

QTEST_APPLESS_MAIN(TestStudySpec)
#include "tst_studyspec.moc"
