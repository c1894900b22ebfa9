// SPDX-License-Identifier: GPL-3.0-or-later
// The compression runner's bookkeeping: children linked to their parent with the metrics of the model that would
// be deployed, failures recorded, bad parents and configs refused before anything is written, reuse, cancellation
// and children of children. Fine-tuning is scripted (it hands the start model back), so the deployed accuracies
// below are those of hand-made weights on a hand-made test set and can be computed by hand.
#include "psc/compress/compressionconfig.h"
#include "psc/core/error.h"
#include "psc/data/dataset.h"
#include "psc/jobs/jobcontext.h"
#include "psc/net/networkparser.h"
#include "psc/plugins/pluginregistry.h"
#include "psc/quant/trainedmodel.h"
#include "psc/study/compressionrunner.h"
#include "psc/study/studystore.h"
#include "psc/targets/targetlibrary.h"
#include "psc/train/trainer.h"

#include "testsupport.h"
#include "tinymodel.h"

#include <QTemporaryDir>
#include <QTest>

#include <functional>
#include <optional>

using namespace psc;
using psc::test::errorOf;

namespace {

/**
 * Test double: "fine-tunes" by handing the start model back, with fixed accuracies. A start network with 2-bit
 * weights diverges. Records what it was given.
 */
class ScriptedFineTuner : public Trainer
{
public:
    using Trainer::train;
    TrainResult train(const NetworkDescription &, const TrainingRecipe &, const Dataset &, std::uint64_t, JobContext &,
                      const EpochObserver &) override
    {
        throw RuntimeError("the compression runner never trains from scratch");
    }
    TrainResult fineTune(const TrainedModel &start, const TrainingRecipe &recipe, const Dataset &, std::uint64_t seed,
                         JobContext &ctx) override
    {
        ctx.checkpoint();
        if (beforeFineTune)
            beforeFineTune();
        ctx.checkpoint();
        starts.push_back(start);
        recipes.push_back(recipe);
        seeds.push_back(seed);
        for (const LayerSpec &l : start.network.layers)
            if (l.weightBits == 2)
                throw RuntimeError("fine-tuning diverged: loss is nan at epoch 1, batch 1");
        TrainResult r;
        r.validationAccuracy = 0.9;
        r.testAccuracy = 0.89;
        r.quantizedValidationAccuracy = 0.88;
        r.trainSeconds = 0.5;
        r.weights = serializeTrainedModel(start);
        r.weightsFormat = kTrainedModelFormat;
        return r;
    }
    std::function<void()> beforeFineTune;
    std::vector<TrainedModel> starts;
    std::vector<TrainingRecipe> recipes;
    std::vector<std::uint64_t> seeds;
};

std::optional<double> metric(const Trial &t, const std::string &name, const std::string &target = {})
{
    for (const Metric &m : t.metrics)
        if (m.name == name && m.target == target)
            return m.value;
    return std::nullopt;
}

const char *kConfig = R"({"fine_tune": {"epochs": 0, "qat_epochs": 2},
    "variants": [
      {"name": "int4", "weight_bits": 4},
      {"name": "int2", "weight_bits": 2},
      {"name": "prune-50", "sparsity": {"pattern": "unstructured", "fraction": 0.5}},
      {"name": "channels-25", "sparsity": {"pattern": "channel", "fraction": 0.25}}]})";

} // namespace

class TestCompressionRunner : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;
    PluginRegistry m_registry;
    std::unique_ptr<TargetLibrary> m_targets;
    StudySpec m_spec; // the bundled demo: objectives on two hardware targets, a constraint on a third
    Dataset m_data = psc::test::oneHotData();

    /** A study whose trial 0 is the complete tiny model with its weights, trial 1 failed, trial 2 scripted weights. */
    std::unique_ptr<StudyStore> makeStudy(const char *name, const StudySpec &spec)
    {
        auto store = StudyStore::create(m_dir.filePath(name).toStdString(), spec.toJson());
        const TrainedModel model = psc::test::tinyModel();
        Trial parent;
        parent.state = TrialState::Complete;
        parent.architectureJson = networkToJson(model.network, false);
        parent.architectureHash = architectureHash(model.network);
        parent.parametersJson = "{}";
        parent.recipeJson = spec.training.canonicalJson();
        parent.metrics = {{"", "deployed_accuracy", 1.0}};
        store->insertTrial(parent);
        store->putArtifact(parent.id, "weights", kTrainedModelFormat, serializeTrainedModel(model));
        Trial failed = parent;
        failed.state = TrialState::Failed;
        failed.error = "training diverged";
        store->insertTrial(failed);
        Trial scripted = parent;
        store->insertTrial(scripted);
        store->putArtifact(scripted.id, "weights", "scripted", {1, 2, 3});
        return store;
    }

    CompressionSummary compress(StudyStore &store, const StudySpec &spec, Trainer &trainer, std::int64_t parent,
                                const char *config, JobContext *context = nullptr)
    {
        CompressionRunner runner(store, spec, trainer, m_data, {m_targets.get()});
        JobContext ctx;
        return runner.run(parent, CompressionConfig::fromJson(config, "c.json"), context ? *context : ctx);
    }

private Q_SLOTS:
    void initTestCase()
    {
        m_registry.load();
        m_targets = std::make_unique<TargetLibrary>(m_registry);
        m_targets->loadDirectory(TargetLibrary::defaultDirectory());
        m_spec = StudySpec::fromFile(PSC_SOURCE_DIR "/resources/studies/fashion-mnist-demo.json");
    }

    void childrenAreLinkedToTheParentWithDeployedMetrics()
    {
        auto store = makeStudy("children.psc", m_spec);
        ScriptedFineTuner trainer;
        std::vector<std::string> reported;
        CompressionRunner runner(*store, m_spec, trainer, m_data, {m_targets.get()});
        runner.setChildFinishedCallback([&](const CompressedChild &c) { reported.push_back(c.variant); });
        JobContext ctx;
        const CompressionSummary s = runner.run(0, CompressionConfig::fromJson(kConfig, "c.json"), ctx);
        QVERIFY(!s.cancelled);
        QCOMPARE(s.parent.number, std::int64_t(0));
        QCOMPARE(reported, (std::vector<std::string>{"int4", "int2", "prune-50", "channels-25"}));
        QCOMPARE(int(s.children.size()), 4);
        const Trial parent = *store->trial(s.parent.id);

        for (const CompressedChild &c : s.children) {
            const Trial &t = c.trial;
            QVERIFY(!c.reused);
            QVERIFY(t.parentId && *t.parentId == parent.id);
            QCOMPARE(t.number, std::int64_t(3 + (&c - s.children.data())));
            QVERIFY2(t.parametersJson.find(R"("parent":0)") != std::string::npos, t.parametersJson.c_str());
            QVERIFY2(t.parametersJson.find("\"name\":\"" + c.variant + "\"") != std::string::npos,
                     t.parametersJson.c_str());
            // The fine-tune recipe is the parent's with the config's overrides.
            TrainingRecipe expected = m_spec.training;
            expected.epochs = 0;
            expected.qatEpochs = 2;
            QCOMPARE(t.recipeJson, expected.canonicalJson());
            QVERIFY(metric(t, "params") && metric(t, "weight_bytes") && metric(t, "float_weight_bytes"));
            // Every target the study's objectives and constraints name is priced.
            for (const char *target : {"stm32f746zg", "ethos-u55-128", "stm32f446re"})
                QVERIFY2(std::any_of(t.metrics.begin(), t.metrics.end(),
                                     [&](const Metric &m) { return m.target == target; }),
                         target);
        }
        const Trial &int4 = s.children[0].trial;
        QVERIFY(int4.state == TrialState::Complete);
        QCOMPARE(*metric(int4, "deployed_accuracy"), 1.0);
        QCOMPARE(*metric(int4, "accuracy"), 0.9);
        QCOMPARE(*metric(int4, "quantized_accuracy"), 0.88);
        QCOMPARE(*metric(int4, "train_seconds"), 0.5);
        // 32 weights at 4 bits and 8 int32 biases: 16 + 32 bytes.
        QCOMPARE(*metric(int4, "weight_bytes"), 48.0);
        QCOMPARE(*metric(int4, "float_weight_bytes"), 4.0 * 40);
        const TrainedModel stored = deserializeTrainedModel(*store->artifact(int4.id, "weights"), "int4 weights");
        QCOMPARE(stored.network.layers[0].weightBits, 4);
        QCOMPARE(networkToJson(stored.network, false), int4.architectureJson);

        const Trial &int2 = s.children[1].trial;
        QVERIFY(int2.state == TrialState::Failed);
        QCOMPARE(int2.error, std::string("fine-tuning diverged: loss is nan at epoch 1, batch 1"));
        QVERIFY(!store->artifact(int2.id, "weights"));

        const Trial &pruned = s.children[2].trial;
        QVERIFY(pruned.state == TrialState::Complete);
        QVERIFY2(pruned.architectureJson.find(R"("pattern":"unstructured")") != std::string::npos,
                 pruned.architectureJson.c_str());

        // Image 0 loses its hidden channel: 6 of 8 test images right.
        const Trial &channels = s.children[3].trial;
        QVERIFY(channels.state == TrialState::Complete);
        QCOMPARE(*metric(channels, "deployed_accuracy"), 0.75);
        QCOMPARE(*metric(channels, "params"), 31.0);

        // The trainer got the variant applied to the parent, and each child's seed.
        QCOMPARE(int(trainer.starts.size()), 4);
        QCOMPARE(trainer.starts[3].network.layers[0].outChannels, 3);
        QCOMPARE(trainer.seeds[0], m_spec.seed * 0x9E3779B97F4A7C15ULL + 3 + 1);
        QCOMPARE(trainer.recipes[0].epochs, 0);
        QCOMPARE(int(store->trialCounts(StudyStore::TrialKind::Derived).total()), 4);
    }

    void constraintsJudgeTheDeployedChild()
    {
        StudySpec spec = m_spec;
        spec.constraints.push_back(*parseConstraint("deployed_accuracy >= 0.8"));
        auto store = makeStudy("constraint.psc", spec);
        ScriptedFineTuner trainer;
        const CompressionSummary s = compress(*store, spec, trainer, 0, kConfig);
        QVERIFY(s.children[0].trial.state == TrialState::Complete);
        QVERIFY(s.children[3].trial.state == TrialState::Infeasible);
        QCOMPARE(s.children[3].trial.error, std::string("deployed_accuracy = 0.75 violates deployed_accuracy >= 0.8"));
        // Asking again reports the infeasible child as it is rather than training it again.
        const CompressionSummary again = compress(*store, spec, trainer, 0, kConfig);
        QVERIFY(again.children[3].reused);
        QCOMPARE(again.children[3].trial.id, s.children[3].trial.id);
        // Before fine-tuning: a child that breaks a size constraint is not worth training.
        spec.constraints = {*parseConstraint("params <= 35")};
        auto small = makeStudy("small.psc", spec);
        ScriptedFineTuner counting;
        const CompressionSummary t = compress(*small, spec, counting, 0, kConfig);
        QVERIFY(t.children[0].trial.state == TrialState::Infeasible);
        QCOMPARE(t.children[0].trial.error, std::string("params = 40 violates params <= 35"));
        QVERIFY(t.children[3].trial.state == TrialState::Complete);
        QCOMPARE(int(counting.starts.size()), 1);
    }

    void badParentsAndConfigsChangeNothing()
    {
        auto store = makeStudy("refused.psc", m_spec);
        ScriptedFineTuner trainer;
        const auto path = store->path().string();
        QCOMPARE(errorOf([&] { compress(*store, m_spec, trainer, 7, kConfig); }),
                 "trial 7 does not exist in " + path + " (its trials are numbered 0 to 2)");
        QCOMPARE(errorOf([&] { compress(*store, m_spec, trainer, 1, kConfig); }),
                 std::string("trial 1 is failed: only complete (trained) trials can be compressed"));
        QCOMPARE(errorOf([&] { compress(*store, m_spec, trainer, 2, kConfig); }),
                 std::string("trial 2 has weights in format \"scripted\", not psc-trained-model-v1: it was trained by "
                             "an older Paretoscope or another trainer; train it again to compress it"));
        // The second variant names a layer the parent does not have: the first is not derived either.
        const std::string e = errorOf([&] {
            compress(*store, m_spec, trainer, 0,
                     "{\"variants\": [{\"name\": \"a\", \"weight_bits\": 4},\n"
                     "  {\"name\": \"b\", \"weight_bits\": 4, \"layers\": [\"fc\"]}]}");
        });
        QCOMPARE(e, std::string(R"(c.json:2:46: /variants/1/layers/0: unknown layer "fc" in network "tiny" )"
                                R"((weighted layers: hidden, logits))"));
        QCOMPARE(int(store->trialCounts().total()), 3);
        QVERIFY(trainer.starts.empty());
    }

    void aNoiseAwareChildIsFineTunedWithNoiseAndDistillation()
    {
        auto store = makeStudy("noise.psc", m_spec);
        ScriptedFineTuner trainer;
        const CompressionSummary s = compress(*store, m_spec, trainer, 0, R"({"fine_tune": {"epochs": 1},
            "variants": [
              {"name": "na", "noise_aware": {"weight_noise": 0.05, "weight_noise_model": "pcm", "distill_weight": 0.9}},
              {"name": "int4", "weight_bits": 4}]})");
        QCOMPARE(int(trainer.recipes.size()), 2);
        QCOMPARE(trainer.recipes[0].weightNoise, 0.05);
        QVERIFY(trainer.recipes[0].weightNoiseModel == WeightNoiseModel::Pcm);
        QCOMPARE(trainer.recipes[0].distillWeight, 0.9);
        QCOMPARE(trainer.recipes[0].epochs, 1);
        QCOMPARE(trainer.recipes[1].weightNoise, 0.0); // the other variant keeps the parent's (noise-free) recipe
        // The noise-aware child starts from the parent's weights unchanged (fineTune distils from that start).
        TrainedModel parentModel = CompressionRunner::loadParent(*store, 0);
        parentModel.network.name += "-na";
        QCOMPARE(serializeTrainedModel(trainer.starts[0]), serializeTrainedModel(parentModel));
        const Trial &child = s.children[0].trial;
        QVERIFY(child.recipeJson.find(R"("weight_noise":0.05)") != std::string::npos);
        QVERIFY(child.parametersJson.find(R"("noise_aware")") != std::string::npos);

        // A child of the noise-aware child keeps its noise settings.
        const std::int64_t naNumber = child.number;
        compress(*store, m_spec, trainer, naNumber, R"({"variants": [{"name": "int4", "weight_bits": 4}]})");
        QCOMPARE(trainer.recipes.back().weightNoise, 0.05);
        QCOMPARE(trainer.recipes.back().distillWeight, 0.9);

        // Noise without any training to learn from it is refused before anything is written.
        const int before = int(store->trialCounts().total());
        QCOMPARE(errorOf([&] {
                     compress(*store, m_spec, trainer, 0,
                              "{\"fine_tune\": {\"epochs\": 0, \"qat_epochs\": 0},\n \"variants\": [\n"
                              "  {\"name\": \"na\", \"noise_aware\": {\"weight_noise\": 0.05}}]}");
                 }),
                 std::string("c.json:3:3: /variants/0: noise_aware needs fine-tuning to learn from the noise, but "
                             "fine_tune has epochs 0 and qat_epochs 0 (calibration only): give epochs or qat_epochs "
                             "> 0"));
        QCOMPARE(int(store->trialCounts().total()), before);
    }

    void aCacheHitIsCompressedFromItsOriginalsWeights()
    {
        auto store = makeStudy("cached.psc", m_spec);
        Trial hit = store->trials()[1];
        hit.state = TrialState::Complete;
        hit.cachedFrom = store->trials().front().id;
        store->insertTrial(hit); // trial 3, no weights of its own
        ScriptedFineTuner trainer;
        const CompressionSummary s =
            compress(*store, m_spec, trainer, 3, R"({"variants": [{"name": "a", "weight_bits": 4}]})");
        QVERIFY(s.children[0].trial.state == TrialState::Complete);
        QCOMPARE(*s.children[0].trial.parentId, hit.id);
    }

    void sameVariantIsNotTrainedTwice()
    {
        auto store = makeStudy("reuse.psc", m_spec);
        ScriptedFineTuner trainer;
        compress(*store, m_spec, trainer, 0, kConfig);
        const int before = int(store->trialCounts().total());
        const CompressionSummary again = compress(*store, m_spec, trainer, 0, kConfig);
        // Complete children are reported again; the failed one is tried again as a new trial.
        QVERIFY(again.children[0].reused && again.children[2].reused && again.children[3].reused);
        QVERIFY(!again.children[1].reused);
        QCOMPARE(int(store->trialCounts().total()), before + 1);
        QCOMPARE(int(trainer.starts.size()), 5);
        // Other fine-tune settings are another child.
        compress(*store, m_spec, trainer, 0,
                 R"({"fine_tune": {"epochs": 1}, "variants": [{"name": "int4", "weight_bits": 4}]})");
        QCOMPARE(int(store->trialCounts().total()), before + 2);
    }

    void cancellingReturnsTheChildInFlightForTheNextRun()
    {
        auto store = makeStudy("cancel.psc", m_spec);
        ScriptedFineTuner trainer;
        JobContext ctx;
        trainer.beforeFineTune = [&] { ctx.cancel(); };
        const CompressionSummary s = compress(*store, m_spec, trainer, 0, kConfig, &ctx);
        QVERIFY(s.cancelled);
        QCOMPARE(int(s.children.size()), 1);
        // A clean stop: the child goes back to Pending at once, with no interruption counted.
        QVERIFY(s.children[0].trial.state == TrialState::Pending);
        QCOMPARE(s.children[0].trial.interruptions, 0);
        QCOMPARE(int(store->trialCounts().running), 0);
        // The next run that asks for the same variant finishes it instead of making a new child.
        trainer.beforeFineTune = nullptr;
        const CompressionSummary next = compress(*store, m_spec, trainer, 0, kConfig);
        QCOMPARE(next.children[0].trial.id, s.children[0].trial.id);
        QVERIFY(next.children[0].trial.state == TrialState::Complete);
        QCOMPARE(int(store->trialCounts(StudyStore::TrialKind::Derived).total()), 4);
    }

    // A process killed while fine-tuning the same child again and again (kill -9; recoverInterrupted() counts each
    // death) resumes that child each time and, once it has given up on it, reports it: never a second child of
    // the same variant.
    void aKilledChildIsResumedNeverDuplicated()
    {
        auto store = makeStudy("killed.psc", m_spec);
        ScriptedFineTuner trainer;
        const char *config = R"({"fine_tune": {"epochs": 0}, "variants": [{"name": "int4", "weight_bits": 4}]})";
        JobContext stop;
        trainer.beforeFineTune = [&] { stop.cancel(); };
        const std::int64_t id = compress(*store, m_spec, trainer, 0, config, &stop).children[0].trial.id;
        for (int death = 1; death < StudyStore::kMaxInterruptions; ++death) {
            // What a kill -9 while fine-tuning leaves, then what the next `compress` does first.
            store->markRunning(id, 1.0);
            store->recoverInterrupted();
            const auto t = store->trial(id);
            QCOMPARE(t->interruptions, death);
            JobContext again;
            trainer.beforeFineTune = [&] { again.cancel(); };
            const CompressionSummary s = compress(*store, m_spec, trainer, 0, config, &again);
            QCOMPARE(s.children[0].trial.id, id);
            QCOMPARE(int(store->trialCounts(StudyStore::TrialKind::Derived).total()), 1);
        }
        QVERIFY(store->trial(id)->state == TrialState::Pending);
        store->markRunning(id, 1.0);
        store->recoverInterrupted(); // the last death: given up
        QVERIFY(store->trial(id)->state == TrialState::Failed);
        trainer.beforeFineTune = nullptr;
        const std::size_t fineTunes = trainer.starts.size();
        const CompressionSummary last = compress(*store, m_spec, trainer, 0, config);
        QVERIFY(last.children[0].reused);
        QCOMPARE(last.children[0].trial.id, id);
        QCOMPARE(trainer.starts.size(), fineTunes);
        QCOMPARE(int(store->trialCounts(StudyStore::TrialKind::Derived).total()), 1);
    }

    void childrenOfChildren()
    {
        auto store = makeStudy("grandchildren.psc", m_spec);
        ScriptedFineTuner trainer;
        const CompressionSummary first =
            compress(*store, m_spec, trainer, 0,
                     R"({"fine_tune": {"epochs": 0}, "variants": [{"name": "int4", "weight_bits": 4}]})");
        const Trial &child = first.children[0].trial;
        const CompressionSummary second =
            compress(*store, m_spec, trainer, child.number,
                     R"({"variants": [{"name": "channels", "sparsity": {"pattern": "channel", "fraction": 0.25}}]})");
        const Trial &grandchild = second.children[0].trial;
        QVERIFY(grandchild.state == TrialState::Complete);
        QCOMPARE(*grandchild.parentId, child.id);
        QVERIFY2(grandchild.parametersJson.find("\"parent\":" + std::to_string(child.number)) != std::string::npos,
                 grandchild.parametersJson.c_str());
        // Fine-tuned for 0 epochs like its parent (whose recipe it inherits), with 4-bit weights and 3 channels.
        QCOMPARE(trainer.recipes.back().epochs, 0);
        QCOMPARE(trainer.starts.back().network.layers[0].weightBits, 4);
        QCOMPARE(trainer.starts.back().network.layers[0].outChannels, 3);
        QCOMPARE(trainer.starts.back().network.name, std::string("tiny-int4-channels"));
    }
};

QTEST_GUILESS_MAIN(TestCompressionRunner)
#include "tst_compressionrunner.moc"
