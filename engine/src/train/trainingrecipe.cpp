// SPDX-License-Identifier: GPL-3.0-or-later
#include "psc/train/trainingrecipe.h"

#include "core/jsonsource.h"
#include "psc/study/studyspec.h"
#include "train/trainingrecipejson.h"

namespace psc {

namespace {

using nlohmann::json;

constexpr int kMaxEpochs = 100000;
constexpr int kMaxBatch = 1 << 20;

/** A number in (min, max]; JsonSource's ranges are closed, and a learning rate of 0 is a likely slip. */
double openBelow(const JsonSource &src, const json &obj, const std::string &pointer, const char *key, double def,
                 double min, double max, const std::string &expected)
{
    const auto it = obj.find(key);
    if (it == obj.end())
        return def;
    const std::string p = JsonSource::child(pointer, key);
    const double v = src.toDouble(*it, p);
    if (!(v > min && v <= max))
        src.fail(p, "expected " + expected + ", got " + JsonSource::describe(*it));
    return v;
}

/** A number in [min, max). */
double openAbove(const JsonSource &src, const json &obj, const std::string &pointer, const char *key, double def,
                 double min, double max, const std::string &expected)
{
    const auto it = obj.find(key);
    if (it == obj.end())
        return def;
    const std::string p = JsonSource::child(pointer, key);
    const double v = src.toDouble(*it, p);
    if (!(v >= min && v < max))
        src.fail(p, "expected " + expected + ", got " + JsonSource::describe(*it));
    return v;
}

std::string optimizerName(OptimizerKind kind)
{
    switch (kind) {
    case OptimizerKind::Sgd:
        return "sgd";
    case OptimizerKind::AdamW:
        return "adamw";
    case OptimizerKind::Adam:
        break;
    }
    return "adam";
}

std::string scheduleName(LrSchedule schedule)
{
    switch (schedule) {
    case LrSchedule::Constant:
        return "constant";
    case LrSchedule::Step:
        return "step";
    case LrSchedule::Cosine:
        break;
    }
    return "cosine";
}

} // namespace

void readNoiseTraining(const JsonSource &src, const json &obj, const std::string &pointer, TrainingRecipe &r)
{
    r.weightNoise =
        openAbove(src, obj, pointer, "weight_noise", r.weightNoise, 0.0, 1.0,
                  "a noise level eta >= 0 and < 1, relative to each layer's weight range (0.02-0.1 is usual)");
    r.weightNoiseModel = WeightNoiseModel(
        src.getChoice(obj, pointer, "weight_noise_model", int(r.weightNoiseModel), {"additive", "pcm"}));
    r.distillWeight = src.getDouble(obj, pointer, "distill_weight", r.distillWeight, 0.0, 1.0);
    r.distillTemperature = openBelow(src, obj, pointer, "distill_temperature", r.distillTemperature, 0.0, 100.0,
                                     "a temperature > 0 and <= 100 (2-8 is usual)");
    r.adcClip = openAbove(src, obj, pointer, "adc_clip", r.adcClip, 0.0, 1e6,
                          "an output bound >= 0 in normalised crossbar units (0 = off; aon-cim's ADC bound is 10)");
    r.outputNoise = openAbove(src, obj, pointer, "output_noise", r.outputNoise, 0.0, 1.0,
                              "an output noise >= 0 and < 1 in normalised crossbar units (0 = off; aon-cim's is 0.04)");
}

TrainingRecipe parseTrainingRecipe(const JsonSource &src, const std::string &pointer)
{
    const json &obj = pointer.empty() ? src.root() : src.root().at(json::json_pointer(pointer));
    src.requireObject(obj, pointer);
    src.checkKeys(obj, pointer,
                  {"epochs",       "batch_size",         "optimizer",       "learning_rate",     "momentum",
                   "weight_decay", "schedule",           "step_epochs",     "step_gamma",        "validation_split",
                   "train_subset", "test_subset",        "qat_epochs",      "qat_learning_rate", "calibration_batches",
                   "prune_begin",  "prune_end",          "label_smoothing", "augment_shift",     "augment_hflip",
                   "weight_noise", "weight_noise_model", "noise_epochs",    "distill_weight",    "distill_temperature",
                   "adc_clip",     "output_noise"});
    TrainingRecipe r;
    r.epochs = src.getInt(obj, pointer, "epochs", r.epochs, 1, kMaxEpochs);
    r.batchSize = src.getInt(obj, pointer, "batch_size", r.batchSize, 1, kMaxBatch);
    r.optimizer = OptimizerKind(src.getChoice(obj, pointer, "optimizer", int(r.optimizer), {"adam", "sgd", "adamw"}));
    r.learningRate =
        openBelow(src, obj, pointer, "learning_rate", r.learningRate, 0.0, 10.0, "a learning rate > 0 and <= 10");
    r.momentum = openAbove(src, obj, pointer, "momentum", r.momentum, 0.0, 1.0, "a momentum >= 0 and < 1");
    r.weightDecay = src.getDouble(obj, pointer, "weight_decay", r.weightDecay, 0.0, 1.0);
    r.schedule = LrSchedule(src.getChoice(obj, pointer, "schedule", int(r.schedule), {"constant", "cosine", "step"}));
    r.stepEpochs = src.getInt(obj, pointer, "step_epochs", r.stepEpochs, 1, kMaxEpochs);
    r.stepGamma = openBelow(src, obj, pointer, "step_gamma", r.stepGamma, 0.0, 1.0, "a factor > 0 and <= 1");
    // The search optimises validation accuracy, so there must be a validation set and something to train on.
    r.validationSplit =
        openBelow(src, obj, pointer, "validation_split", r.validationSplit, 0.0, 0.5, "a fraction > 0 and <= 0.5");
    r.trainSubset = src.getInt(obj, pointer, "train_subset", r.trainSubset, 0);
    r.testSubset = src.getInt(obj, pointer, "test_subset", r.testSubset, 0);
    r.qatEpochs = src.getInt(obj, pointer, "qat_epochs", r.qatEpochs, 0, kMaxEpochs);
    r.qatLearningRate = openBelow(src, obj, pointer, "qat_learning_rate", r.qatLearningRate, 0.0, 10.0,
                                  "a learning rate > 0 and <= 10");
    r.calibrationBatches = src.getInt(obj, pointer, "calibration_batches", r.calibrationBatches, 1, 100000);
    r.pruneBegin = src.getDouble(obj, pointer, "prune_begin", r.pruneBegin, 0.0, 1.0);
    r.pruneEnd = src.getDouble(obj, pointer, "prune_end", r.pruneEnd, 0.0, 1.0);
    if (r.pruneEnd < r.pruneBegin)
        src.fail(JsonSource::child(pointer, "prune_end"),
                 "expected prune_end >= prune_begin (" + std::to_string(r.pruneBegin) + ")");
    r.labelSmoothing = openAbove(src, obj, pointer, "label_smoothing", r.labelSmoothing, 0.0, 1.0,
                                 "a fraction >= 0 and < 1 (0.1 is usual)");
    r.augmentShift = src.getInt(obj, pointer, "augment_shift", r.augmentShift, 0, 8);
    r.augmentFlip = src.getBool(obj, pointer, "augment_hflip", r.augmentFlip);
    readNoiseTraining(src, obj, pointer, r);
    r.noiseEpochs = src.getInt(obj, pointer, "noise_epochs", r.noiseEpochs, 0, kMaxEpochs);
    return r;
}

json trainingRecipeToJson(const TrainingRecipe &r)
{
    json j{
        {"epochs", r.epochs},
        {"batch_size", r.batchSize},
        {"optimizer", optimizerName(r.optimizer)},
        {"learning_rate", r.learningRate},
        {"momentum", r.momentum},
        {"weight_decay", r.weightDecay},
        {"schedule", scheduleName(r.schedule)},
        {"step_epochs", r.stepEpochs},
        {"step_gamma", r.stepGamma},
        {"validation_split", r.validationSplit},
        {"train_subset", r.trainSubset},
        {"test_subset", r.testSubset},
        {"qat_epochs", r.qatEpochs},
        {"qat_learning_rate", r.qatLearningRate},
        {"calibration_batches", r.calibrationBatches},
        {"prune_begin", r.pruneBegin},
        {"prune_end", r.pruneEnd},
    };
    // Written only when set: recipes from before these options keep their canonical text, so their cache keys.
    if (r.labelSmoothing != 0.0)
        j["label_smoothing"] = r.labelSmoothing;
    if (r.augmentShift != 0)
        j["augment_shift"] = r.augmentShift;
    if (r.augmentFlip)
        j["augment_hflip"] = true;
    if (r.weightNoise != 0.0) {
        j["weight_noise"] = r.weightNoise;
        j["weight_noise_model"] = r.weightNoiseModel == WeightNoiseModel::Pcm ? "pcm" : "additive";
    }
    if (r.noiseEpochs != 0)
        j["noise_epochs"] = r.noiseEpochs;
    if (r.distillWeight != 0.0) {
        j["distill_weight"] = r.distillWeight;
        j["distill_temperature"] = r.distillTemperature;
    }
    if (r.adcClip != 0.0)
        j["adc_clip"] = r.adcClip;
    if (r.outputNoise != 0.0)
        j["output_noise"] = r.outputNoise;
    return j;
}

std::string TrainingRecipe::canonicalJson() const
{
    // nlohmann::json keeps object keys sorted and prints doubles as the shortest text that reads back to the
    // same value (its own dtoa, not the C locale), so equal recipes give byte-equal text everywhere.
    return trainingRecipeToJson(*this).dump();
}

TrainingRecipe parseTrainingRecipe(std::string_view text, std::string_view displayName)
{
    const JsonSource source = JsonSource::fromText(std::string(text), std::string(displayName));
    return parseTrainingRecipe(source, "");
}

} // namespace psc
