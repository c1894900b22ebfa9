// SPDX-License-Identifier: GPL-3.0-or-later
// Tests of TrainingRecipe::canonicalJson() (the training part of the result cache key) and its parser.

#include "psc/core/error.h"
#include "psc/study/studyspec.h"
#include "psc/train/trainingrecipe.h"

#include "testsupport.h"

#include <QTest>

#include <functional>
#include <set>
#include <string>

using namespace psc;
using psc::test::errorOf;

namespace {

/** Recipes that each differ from the default in exactly one field. */
std::vector<TrainingRecipe> oneFieldChanged()
{
    std::vector<std::function<void(TrainingRecipe &)>> changes{
        [](TrainingRecipe &r) { r.epochs = 4; },
        [](TrainingRecipe &r) { r.batchSize = 64; },
        [](TrainingRecipe &r) { r.optimizer = OptimizerKind::Sgd; },
        [](TrainingRecipe &r) { r.learningRate = 0.0020000000000000005; }, // next double after 0.002
        [](TrainingRecipe &r) { r.momentum = 0.95; },
        [](TrainingRecipe &r) { r.weightDecay = 1e-4; },
        [](TrainingRecipe &r) { r.schedule = LrSchedule::Step; },
        [](TrainingRecipe &r) { r.stepEpochs = 2; },
        [](TrainingRecipe &r) { r.stepGamma = 0.1; },
        [](TrainingRecipe &r) { r.validationSplit = 0.2; },
        [](TrainingRecipe &r) { r.trainSubset = 5000; },
        [](TrainingRecipe &r) { r.testSubset = 1000; },
        [](TrainingRecipe &r) { r.optimizer = OptimizerKind::AdamW; },
        [](TrainingRecipe &r) { r.labelSmoothing = 0.1; },
        [](TrainingRecipe &r) { r.augmentShift = 2; },
        [](TrainingRecipe &r) { r.augmentFlip = true; },
        [](TrainingRecipe &r) { r.weightNoise = 0.05; },
        [](TrainingRecipe &r) {
            r.weightNoise = 0.05; // the model and the temperature are written only with what they qualify
            r.weightNoiseModel = WeightNoiseModel::Pcm;
        },
        [](TrainingRecipe &r) { r.noiseEpochs = 2; },
        [](TrainingRecipe &r) { r.distillWeight = 0.5; },
        [](TrainingRecipe &r) {
            r.distillWeight = 0.5;
            r.distillTemperature = 2.0;
        },
        [](TrainingRecipe &r) { r.adcClip = 10.0; },
        [](TrainingRecipe &r) { r.outputNoise = 0.04; },
    };
    std::vector<TrainingRecipe> out;
    for (const auto &change : changes) {
        TrainingRecipe r;
        change(r);
        out.push_back(r);
    }
    return out;
}

} // namespace

class TestTrainingRecipe : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void defaultCanonicalJsonIsPinned();
    void everyFieldCounts();
    void roundTrip();
    void spellingDoesNotMatter();
    void defaultsForAbsentKeys();
    void badRecipes_data();
    void badRecipes();
};

void TestTrainingRecipe::defaultCanonicalJsonIsPinned()
{
    // This text is part of the cache key stored in study files: changing it silently invalidates every
    // cached result, so a change must be deliberate.
    QCOMPARE(TrainingRecipe().canonicalJson(),
             std::string(R"({"batch_size":128,"calibration_batches":16,"epochs":3,"learning_rate":0.002,)"
                         R"("momentum":0.9,"optimizer":"adam","prune_begin":0.1,"prune_end":0.7,"qat_epochs":0,)"
                         R"("qat_learning_rate":0.0001,"schedule":"cosine","step_epochs":1,"step_gamma":0.5,)"
                         R"("test_subset":0,"train_subset":0,"validation_split":0.1,"weight_decay":0.0})"));
    TrainingRecipe r;
    r.learningRate = 1e-4;
    r.weightDecay = 5e-5;
    r.momentum = 0.0;
    r.optimizer = OptimizerKind::Sgd;
    r.schedule = LrSchedule::Constant;
    const std::string text = r.canonicalJson();
    QVERIFY2(text.find(R"("learning_rate":0.0001,)") != std::string::npos, text.c_str());
    QVERIFY2(text.find(R"("weight_decay":5e-05})") != std::string::npos, text.c_str());
    QVERIFY2(text.find(R"("optimizer":"sgd")") != std::string::npos, text.c_str());
    QVERIFY2(text.find(R"("schedule":"constant")") != std::string::npos, text.c_str());
}

void TestTrainingRecipe::everyFieldCounts()
{
    std::set<std::string> texts{TrainingRecipe().canonicalJson()};
    for (const TrainingRecipe &r : oneFieldChanged()) {
        QVERIFY(!(r == TrainingRecipe()));
        texts.insert(r.canonicalJson());
    }
    QCOMPARE(texts.size(), oneFieldChanged().size() + 1);
    QCOMPARE(TrainingRecipe().canonicalJson(), TrainingRecipe().canonicalJson());
}

void TestTrainingRecipe::roundTrip()
{
    std::vector<TrainingRecipe> recipes = oneFieldChanged();
    TrainingRecipe odd;
    odd.learningRate = 0.1 + 0.2; // 0.30000000000000004: must survive exactly
    odd.validationSplit = 1.0 / 3.0;
    odd.stepGamma = 1.0;
    recipes.push_back(odd);
    for (const TrainingRecipe &r : recipes) {
        const TrainingRecipe back = parseTrainingRecipe(r.canonicalJson());
        QVERIFY2(back == r, r.canonicalJson().c_str());
        QCOMPARE(back.canonicalJson(), r.canonicalJson());
    }
}

void TestTrainingRecipe::spellingDoesNotMatter()
{
    const TrainingRecipe a = parseTrainingRecipe(R"({"epochs": 2, "learning_rate": 0.0020, "weight_decay": 0,
                                                     "optimizer": "sgd", "momentum": 9e-1})");
    const TrainingRecipe b = parseTrainingRecipe(R"({"momentum": 0.9, "optimizer": "sgd", "weight_decay": 0.0,
                                                     "learning_rate": 2e-3, "epochs": 2})");
    QVERIFY(a == b);
    QCOMPARE(a.canonicalJson(), b.canonicalJson());
}

void TestTrainingRecipe::defaultsForAbsentKeys()
{
    QVERIFY(parseTrainingRecipe("{}") == TrainingRecipe());
    const TrainingRecipe r = parseTrainingRecipe(R"({"schedule": "step", "step_epochs": 3, "step_gamma": 0.2})");
    QVERIFY(r.schedule == LrSchedule::Step);
    QCOMPARE(r.stepEpochs, 3);
    QCOMPARE(r.stepGamma, 0.2);
    QCOMPARE(r.epochs, TrainingRecipe().epochs);
}

void TestTrainingRecipe::badRecipes_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("expected");
    const auto row = [](const char *name, const char *text, const char *expected) {
        QTest::newRow(name) << QString(text) << QString(expected);
    };
    row("epochs 0", R"({"epochs": 0})", "recipe.json:1:12: /epochs: expected an integer between 1 and 100000, got 0");
    row("epochs float", R"({"epochs": 2.5})", "recipe.json:1:12: /epochs: expected an integer");
    row("typo", R"({"epoch": 3})", "recipe.json:1:11: /epoch: unknown key \"epoch\"; did you mean \"epochs\"?");
    row("optimizer", R"({"optimizer": "rmsprop"})",
        "recipe.json:1:15: /optimizer: expected one of \"adam\", \"sgd\", \"adamw\", got \"rmsprop\"");
    row("schedule", R"({"schedule": "cos"})",
        "recipe.json:1:14: /schedule: expected one of \"constant\", \"cosine\", \"step\", got \"cos\"");
    row("learning rate 0", R"({"learning_rate": 0})",
        "recipe.json:1:19: /learning_rate: expected a learning rate > 0 and <= 10, got 0");
    row("momentum 1", "{\n  \"momentum\": 1}", "recipe.json:2:15: /momentum: expected a momentum >= 0 and < 1, got 1");
    row("no validation", R"({"validation_split": 0})",
        "recipe.json:1:22: /validation_split: expected a fraction > 0 and <= 0.5, got 0");
    row("negative subset", R"({"train_subset": -1})",
        "recipe.json:1:18: /train_subset: expected an integer >= 0, got -1");
    row("gamma", R"({"step_gamma": 1.5})", "recipe.json:1:16: /step_gamma: expected a factor > 0 and <= 1, got 1.5");
    row("decay string", R"({"weight_decay": "0"})",
        "recipe.json:1:18: /weight_decay: expected a number between 0 and 1, got \"0\"");
    row("not an object", R"([])", "recipe.json:1:1: expected an object, got an array");
    row("label smoothing 1", R"({"label_smoothing": 1})",
        "recipe.json:1:21: /label_smoothing: expected a fraction >= 0 and < 1 (0.1 is usual), got 1");
    row("shift 9", R"({"augment_shift": 9})",
        "recipe.json:1:19: /augment_shift: expected an integer between 0 and 8, got 9");
    row("flip string", R"({"augment_hflip": "yes"})",
        "recipe.json:1:19: /augment_hflip: expected true or false, got \"yes\"");
    row("negative eta", R"({"weight_noise": -0.02})",
        "recipe.json:1:18: /weight_noise: expected a noise level eta >= 0 and < 1, relative to each layer's weight "
        "range (0.02-0.1 is usual), got -0.02");
    row("noise model", R"({"weight_noise_model": "pcn"})",
        "recipe.json:1:24: /weight_noise_model: expected one of \"additive\", \"pcm\", got \"pcn\"");
    row("temperature 0", R"({"distill_temperature": 0})",
        "recipe.json:1:25: /distill_temperature: expected a temperature > 0 and <= 100 (2-8 is usual), got 0");
    row("distill weight 2", R"({"distill_weight": 2})",
        "recipe.json:1:20: /distill_weight: expected a number between 0 and 1, got 2");
    row("adc clip", R"({"adc_clip": -1})",
        "recipe.json:1:14: /adc_clip: expected an output bound >= 0 in normalised crossbar units");
    row("output noise", R"({"output_noise": 1})",
        "recipe.json:1:18: /output_noise: expected an output noise >= 0 and < 1 in normalised crossbar units");
}

void TestTrainingRecipe::badRecipes()
{
    QFETCH(QString, text);
    QFETCH(QString, expected);
    const std::string message = errorOf([&] { parseTrainingRecipe(text.toStdString(), "recipe.json"); });
    QVERIFY2(message.starts_with(expected.toStdString()), message.c_str());
}

QTEST_APPLESS_MAIN(TestTrainingRecipe)
#include "tst_trainingrecipe.moc"
