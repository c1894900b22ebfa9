// SPDX-License-Identifier: GPL-3.0-or-later
// TrialEvaluator: the metrics of a trial before and after training, the constraints on both, and the targets its
// spec names. The network is the hand-made tiny one: 4 inputs, dense 4 (relu), dense 4.
#include "psc/analog/analoginference.h"
#include "psc/core/error.h"
#include "psc/data/dataset.h"
#include "psc/net/networkparser.h"
#include "psc/plugins/pluginregistry.h"
#include "psc/study/costmodels.h"
#include "psc/study/studystore.h"
#include "psc/study/trialevaluator.h"
#include "psc/targets/targetlibrary.h"

#include "testsupport.h"
#include "tinymodel.h"

#include <QTemporaryDir>
#include <QTest>

#include <cmath>
#include <optional>

using namespace psc;
using psc::test::errorOf;

namespace {

NetworkDescription tiny()
{
    return parseNetworkJson(R"({"name": "tiny", "input": {"channels": 4, "height": 1, "width": 1}, "layers": [
        {"type": "dense", "name": "hidden", "units": 4}, {"type": "relu", "name": "act"},
        {"type": "dense", "name": "logits", "units": 4}]})",
                            "tiny.json");
}

std::optional<double> value(const std::vector<Metric> &metrics, const std::string &name, const std::string &target = {})
{
    for (const Metric &m : metrics)
        if (m.name == name && m.target == target)
            return m.value;
    return std::nullopt;
}

} // namespace

class TestTrialEvaluator : public QObject
{
    Q_OBJECT

    PluginRegistry m_registry;
    std::unique_ptr<TargetLibrary> m_targets;

    static StudySpec spec(std::vector<std::string> constraints, std::vector<std::string> objectives = {"accuracy"})
    {
        StudySpec s;
        for (const std::string &o : objectives)
            s.objectives.push_back({*parseMetricRef(o), Direction::Minimize});
        for (const std::string &c : constraints)
            s.constraints.push_back(*parseConstraint(c));
        return s;
    }

private Q_SLOTS:
    void initTestCase()
    {
        m_registry.load();
        m_targets = std::make_unique<TargetLibrary>(m_registry);
        m_targets->loadDirectory(TargetLibrary::defaultDirectory());
    }

    // Parameters 4*4 + 4 per dense layer = 40; MACs 16 per dense = 32; int8 weights 32 B plus int32 biases 32 B.
    void architectureMetricsByHand()
    {
        const StudySpec s = spec({});
        const TrialEvaluator e(s, nullptr);
        std::string why = "unset";
        const std::vector<Metric> m = e.beforeTraining(tiny(), &why);
        QCOMPARE(why, std::string());
        QCOMPARE(*value(m, "params"), 40.0);
        QCOMPARE(*value(m, "macs"), 32.0);
        QCOMPARE(*value(m, "weight_bytes"), 64.0);
        QCOMPARE(*value(m, "float_weight_bytes"), 160.0);
        QVERIFY(value(m, "peak_activation_bytes") && value(m, "arena_bytes"));
        QVERIFY(!value(m, "accuracy")); // not before training
    }

    void constraintsBeforeAndAfterTraining()
    {
        const StudySpec s = spec({"params <= 35", "accuracy >= 0.9"});
        const TrialEvaluator e(s, nullptr);
        std::string why;
        std::vector<Metric> m = e.beforeTraining(tiny(), &why);
        QCOMPARE(why, std::string("params = 40 violates params <= 35")); // accuracy is not known yet
        TrainResult r;
        r.validationAccuracy = 0.85;
        r.testAccuracy = 0.84;
        r.trainSeconds = 1.5;
        m = e.afterTraining(std::move(m), r, std::nan(""), &why);
        QCOMPARE(why, std::string("params = 40 violates params <= 35; accuracy = 0.85 violates accuracy >= 0.9"));
        QCOMPARE(*value(m, "accuracy"), 0.85);
        QCOMPARE(*value(m, "test_accuracy"), 0.84);
        QCOMPARE(*value(m, "train_seconds"), 1.5);
        QVERIFY(!value(m, "quantized_accuracy")); // NaN: the trainer did not quantise
        QVERIFY(!value(m, "deployed_accuracy"));
        r.quantizedValidationAccuracy = 0.83;
        m = e.afterTraining({}, r, 0.82);
        QCOMPARE(*value(m, "quantized_accuracy"), 0.83);
        QCOMPARE(*value(m, "deployed_accuracy"), 0.82);
    }

    // Each target an objective or constraint names is estimated once per candidate; a constraint on a target also
    // applies that target's own limits. Unknown targets are refused with the known ones listed.
    void targetsNamedBySpec()
    {
        const StudySpec s = spec({"latency_s@stm32f746zg <= 1"}, {"accuracy", "energy_j@ethos-u55-128"});
        const TrialEvaluator e(s, m_targets.get());
        QCOMPARE(int(e.targets().size()), 2);
        QCOMPARE(e.targets()[0].first, std::string("ethos-u55-128"));
        QVERIFY(!e.targets()[0].second);
        QCOMPARE(e.targets()[1].first, std::string("stm32f746zg"));
        QVERIFY(e.targets()[1].second);
        const std::vector<Metric> m = e.beforeTraining(tiny());
        QVERIFY(*value(m, "latency_s", "stm32f746zg") > 0.0);
        QVERIFY(*value(m, "energy_j", "ethos-u55-128") > 0.0);
        QVERIFY(!value(m, "latency_s", "sa-16x16-os"));

        const StudySpec unknown = spec({}, {"latency_s@no-such-board"});
        const std::string error = errorOf([&] { TrialEvaluator(unknown, m_targets.get()); });
        QVERIFY2(error.find("unknown target \"no-such-board\"") != std::string::npos &&
                     error.find("stm32f746zg") != std::string::npos,
                 error.c_str());
        QVERIFY(errorOf([&] { TrialEvaluator(unknown, nullptr); }).find("(known: none)") != std::string::npos);
    }

    // After training, target costs are estimated again from the trained weights: the Ethos-U weight encoder codes
    // a peaked distribution (here all zero but one weight per output channel) in far fewer bytes than its prior.
    void costsFromTrainedWeights()
    {
        const NetworkDescription net = parseNetworkJson(
            R"({"name": "fc", "input": {"channels": 256, "height": 1, "width": 1}, "layers": [
                {"type": "dense", "name": "fc", "units": 64}]})",
            "fc.json");
        const TrialEvaluator e(spec({"weight_storage_bytes@ethos-u55-128 <= 100000"}), m_targets.get());
        const std::vector<Metric> before = e.beforeTraining(net);
        auto peaked = std::make_shared<plugin::WeightHistogram>();
        peaked->counts[128] = 256 * 64 - 64;
        peaked->counts[128 + 127] = 64;
        std::string limits = "unset";
        const std::vector<Metric> after = e.withTrainedWeights(before, net, {{"fc", peaked}}, &limits);
        QVERIFY(limits.empty());
        const double prior = *value(before, "weight_storage_bytes", "ethos-u55-128");
        const double trained = *value(after, "weight_storage_bytes", "ethos-u55-128");
        QVERIFY2(trained < prior / 4, qPrintable(QStringLiteral("%1 vs %2").arg(trained).arg(prior)));
        // Every target metric was replaced, none duplicated; the model's own metrics are kept.
        QCOMPARE(after.size(), before.size());
        QCOMPARE(*value(after, "params"), *value(before, "params"));
        // Without values nothing changes.
        QCOMPARE(*value(e.withTrainedWeights(before, net, {}), "weight_storage_bytes", "ethos-u55-128"), prior);
    }

    // A study records which model version costed its trials on each target; an older record keeps its label and
    // `show` says when this build's model differs.
    void costModelRecords()
    {
        QTemporaryDir dir;
        auto store = StudyStore::create(dir.filePath(QStringLiteral("s.psc")).toStdString(), R"({"name": "s"})");
        QVERIFY(readCostModels(*store).empty());
        const std::string version = m_targets->find("ethos-u55-128")->modelVersion;
        recordCostModels(*store, {"ethos-u55-128", "no-such-board"}, *m_targets, 0);
        const std::vector<CostModelRecord> first = readCostModels(*store);
        QCOMPARE(first.size(), std::size_t(1));
        QVERIFY((first[0] == CostModelRecord{"ethos-u55-128", "npu", version, 0}));
        recordCostModels(*store, {"ethos-u55-128"}, *m_targets, 0); // unchanged: nothing appended
        QCOMPARE(readCostModels(*store).size(), std::size_t(1));
        // A study costed by an older model: its record stays, the new version is appended from the next trial.
        store->setMeta("cost_models",
                       R"([{"target": "ethos-u55-128", "model": "npu", "version": "1.1", "from_trial": 0}])");
        Trial t;
        t.architectureJson = "{}";
        t.architectureHash = "h";
        store->insertTrial(t);
        recordCostModels(*store, {"ethos-u55-128"}, *m_targets, std::int64_t(store->trials().size()));
        const std::vector<CostModelRecord> two = readCostModels(*store);
        QCOMPARE(two.size(), std::size_t(2));
        QVERIFY((two[1] == CostModelRecord{"ethos-u55-128", "npu", version, 1}));
        const auto lines = describeCostModels(two, {"ethos-u55-128", "stm32f746zg"}, m_targets.get());
        QCOMPARE(lines.size(), std::size_t(2));
        QVERIFY2(lines[0].find("npu 1.1 from trial 0; npu " + version + " from trial 1") != std::string::npos,
                 lines[0].c_str());
        // No record: the study predates recording, so an earlier version than the first recorded one made its costs.
        QVERIFY2(lines[1].find("mcu before 1.1.0") != std::string::npos, lines[1].c_str());
        // Malformed records read as none: the study still opens.
        store->setMeta("cost_models", "{not json");
        QVERIFY(readCostModels(*store).empty());
    }

    // Every analog-cim target the spec names gets analog_accuracy after training: the simulator's mean over the
    // spec's draws at the spec's time, the same numbers as running the simulator directly with its seed.
    void analogAccuracyOnTheAnalogTargetsTheSpecNames()
    {
        StudySpec s = spec({"analog_accuracy@aon-cim >= 0.5"}, {"accuracy", "latency_s@stm32f746zg"});
        s.analog.seconds = 3600.0;
        s.analog.repeats = 3;
        const TrialEvaluator e(s, m_targets.get());
        TrainResult r;
        r.weights = serializeTrainedModel(psc::test::tinyModel());
        r.weightsFormat = kTrainedModelFormat;
        const Dataset data = psc::test::oneHotData();
        const TrialEvaluator::Deployed d = e.deploy(r, data, TrainingRecipe{});
        QCOMPARE(d.accuracy, 1.0);
        QCOMPARE(int(d.analog.size()), 1); // the Cortex-M target is digital
        const AnalogRecord &a = d.analog[0];
        QCOMPARE(a.target, std::string("aon-cim"));
        QCOMPARE(a.seconds, 3600.0);
        QCOMPARE(a.repeats, 3);
        QCOMPARE(a.images, 8);
        QCOMPARE(a.compensation, std::string("global"));
        QCOMPARE(int(a.draws.size()), 3);
        AnalogOptions o;
        o.repeats = 3;
        o.seed = s.analog.seed;
        const AnalogAccuracy direct =
            AnalogSimulator(IntegerModel::quantize(psc::test::tinyModel()), analogTarget(*m_targets->find("aon-cim")))
                .evaluate(data.test, {3600.0}, o)
                .front();
        QCOMPARE(a.mean, direct.mean);
        QCOMPARE(a.draws, direct.draws);

        // The metric, and constraints on it, after training.
        AnalogRecord low = a;
        low.mean = 0.375;
        std::string why;
        const std::vector<Metric> m = e.afterTraining({}, r, d.accuracy, &why, {low});
        QCOMPARE(*value(m, "analog_accuracy", "aon-cim"), 0.375);
        QCOMPARE(*value(m, "analog_accuracy_std", "aon-cim"), a.std);
        QCOMPARE(why, std::string("analog_accuracy@aon-cim = 0.375 violates analog_accuracy@aon-cim >= 0.5"));

        // A digital target has no crossbar to simulate.
        const StudySpec digital = spec({}, {"analog_accuracy@stm32f746zg"});
        QCOMPARE(errorOf([&] { TrialEvaluator(digital, m_targets.get()); }),
                 std::string("objective analog_accuracy@stm32f746zg: target \"stm32f746zg\" uses the mcu model; "
                             "analog_accuracy needs an analog-cim target"));
    }

    void deployedAccuracyNeedsATrainedModel()
    {
        TrainResult r;
        r.weights = {1, 2, 3};
        r.weightsFormat = "torch-archive";
        QVERIFY(std::isnan(TrialEvaluator::deployedAccuracy(r, Dataset{}, TrainingRecipe{})));
        const StudySpec s = spec({});
        const TrialEvaluator::Deployed d = TrialEvaluator(s, nullptr).deploy(r, Dataset{}, TrainingRecipe{});
        QVERIFY(std::isnan(d.accuracy));
        QVERIFY(d.weightValues.empty());
    }
};

QTEST_GUILESS_MAIN(TestTrialEvaluator)
#include "tst_trialevaluator.moc"
