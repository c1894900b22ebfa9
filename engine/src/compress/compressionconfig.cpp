// SPDX-License-Identifier: GPL-3.0-or-later
#include "psc/compress/compressionconfig.h"

#include "core/jsonsource.h"
#include "train/trainingrecipejson.h"

#include <set>

namespace psc {

namespace {

using nlohmann::json;

constexpr int kMaxEpochs = 100000;

/** A number in (0, max]: a learning rate of 0 is a likely slip. */
double positive(const JsonSource &src, const json &value, const std::string &pointer, double max, const char *what)
{
    const double v = src.toDouble(value, pointer);
    if (!(v > 0.0 && v <= max))
        src.fail(pointer, std::string("expected ") + what + " > 0 and <= " + std::to_string(int(max)) + ", got " +
                              JsonSource::describe(value));
    return v;
}

FineTuneOverrides readFineTune(const JsonSource &src, const json &obj, const std::string &pointer)
{
    src.requireObject(obj, pointer);
    // The data split is the parent's on purpose: a child evaluated on other images would not compare.
    for (const char *fixed : {"validation_split", "train_subset", "test_subset"})
        if (obj.contains(fixed))
            src.fail(JsonSource::child(pointer, fixed),
                     std::string("\"") + fixed +
                         "\" cannot be changed for fine-tuning: children use their parent's data split so that "
                         "accuracies compare");
    src.checkKeys(obj, pointer,
                  {"epochs", "qat_epochs", "learning_rate", "qat_learning_rate", "batch_size", "weight_decay",
                   "schedule", "calibration_batches", "prune_begin", "prune_end"});
    FineTuneOverrides f;
    auto intKey = [&](const char *key, int min, int max) -> std::optional<int> {
        if (!obj.contains(key))
            return std::nullopt;
        return src.toInt(obj.at(key), JsonSource::child(pointer, key), min, max);
    };
    auto rateKey = [&](const char *key) -> std::optional<double> {
        if (!obj.contains(key))
            return std::nullopt;
        return positive(src, obj.at(key), JsonSource::child(pointer, key), 10.0, "a learning rate");
    };
    auto fractionKey = [&](const char *key) -> std::optional<double> {
        if (!obj.contains(key))
            return std::nullopt;
        return src.toDouble(obj.at(key), JsonSource::child(pointer, key), 0.0, 1.0);
    };
    f.epochs = intKey("epochs", 0, kMaxEpochs);
    f.qatEpochs = intKey("qat_epochs", 0, kMaxEpochs);
    f.learningRate = rateKey("learning_rate");
    f.qatLearningRate = rateKey("qat_learning_rate");
    f.batchSize = intKey("batch_size", 1, 1 << 20);
    if (obj.contains("weight_decay"))
        f.weightDecay = src.toDouble(obj.at("weight_decay"), JsonSource::child(pointer, "weight_decay"), 0.0, 1.0);
    if (obj.contains("schedule"))
        f.schedule = LrSchedule(
            src.toChoice(obj.at("schedule"), JsonSource::child(pointer, "schedule"), {"constant", "cosine", "step"}));
    f.calibrationBatches = intKey("calibration_batches", 1, 100000);
    f.pruneBegin = fractionKey("prune_begin");
    f.pruneEnd = fractionKey("prune_end");
    if (f.pruneBegin && f.pruneEnd && *f.pruneEnd < *f.pruneBegin)
        src.fail(JsonSource::child(pointer, "prune_end"),
                 "expected prune_end >= prune_begin (" + json(*f.pruneBegin).dump() + ")");
    return f;
}

/** The network format's sparsity object, without "none" (a variant that removes sparsity is not compression). */
SparsitySpec readSparsity(const JsonSource &src, const json &obj, const std::string &pointer)
{
    src.requireObject(obj, pointer);
    SparsitySpec s;
    const int pattern = src.requireChoice(obj, pointer, "pattern", {"unstructured", "channel", "dbb", "n:m"});
    switch (pattern) {
    case 0:
    case 1: {
        s.pattern = pattern == 0 ? SparsityPattern::Unstructured : SparsityPattern::ChannelStructured;
        src.checkKeys(obj, pointer, {"pattern", "fraction"});
        const std::string p = JsonSource::child(pointer, "fraction");
        s.fraction = src.toDouble(src.require(obj, pointer, "fraction"), p);
        if (!(s.fraction > 0.0 && s.fraction < 1.0))
            src.fail(p, "expected a fraction of zero weights > 0 and < 1, got " +
                            JsonSource::describe(obj.at("fraction")));
        break;
    }
    case 2:
        s.pattern = SparsityPattern::Dbb;
        src.checkKeys(obj, pointer, {"pattern", "block_size", "max_nonzeros"});
        s.blockSize = src.requireInt(obj, pointer, "block_size", 2, 256);
        s.maxNonZeros = src.requireInt(obj, pointer, "max_nonzeros", 1, s.blockSize);
        s.fraction = 1.0 - double(s.maxNonZeros) / s.blockSize;
        break;
    default:
        s.pattern = SparsityPattern::NM;
        src.checkKeys(obj, pointer, {"pattern", "n", "m"});
        s.m = src.requireInt(obj, pointer, "m", 2, 256);
        s.n = src.requireInt(obj, pointer, "n", 1, s.m);
        s.fraction = 1.0 - double(s.n) / s.m;
        break;
    }
    return s;
}

/**
 * "kronecker" | {"low_rank": RANK} (an integer >= 1, or a fraction of the full rank in (0, 1)) |
 * {"kronecker": {"a_out": A, "a_in": B}}.
 */
FactorizationSpec readFactorization(const JsonSource &src, const json &value, const std::string &pointer)
{
    FactorizationSpec f;
    if (value.is_string()) {
        const std::string kind = value.get<std::string>();
        if (kind == "kronecker") {
            f.kind = FactorizationSpec::Kind::Kronecker;
            return f;
        }
        if (kind == "low_rank")
            src.fail(pointer, "\"low_rank\" needs a rank: write {\"low_rank\": 8} or a fraction of the full rank, "
                              "{\"low_rank\": 0.25}");
        src.fail(pointer,
                 "expected \"kronecker\", {\"low_rank\": RANK} or {\"kronecker\": {\"a_out\": A, \"a_in\": B}}, "
                 "got " +
                     JsonSource::describe(value) + JsonSource::didYouMean(kind, {"kronecker", "low_rank"}));
    }
    if (!value.is_object())
        src.fail(pointer, "expected \"kronecker\", {\"low_rank\": RANK} or {\"kronecker\": {...}}, got " +
                              JsonSource::describe(value));
    src.checkKeys(value, pointer, {"low_rank", "kronecker"});
    if (value.size() != 1)
        src.fail(pointer, "expected exactly one of \"low_rank\" and \"kronecker\"");
    if (value.contains("low_rank")) {
        const std::string p = JsonSource::child(pointer, "low_rank");
        const json &r = value.at("low_rank");
        f.kind = FactorizationSpec::Kind::LowRank;
        if (r.is_number_integer()) {
            f.rank = src.toInt(r, p, 1, 1 << 20);
        } else {
            f.rankFraction = src.toDouble(r, p);
            if (!(f.rankFraction > 0.0 && f.rankFraction < 1.0))
                src.fail(p, "expected a rank (an integer >= 1) or a fraction of the full rank > 0 and < 1, got " +
                                JsonSource::describe(r));
        }
        return f;
    }
    const std::string p = JsonSource::child(pointer, "kronecker");
    const json &k = value.at("kronecker");
    src.requireObject(k, p);
    src.checkKeys(k, p, {"a_out", "a_in"});
    f.kind = FactorizationSpec::Kind::Kronecker;
    f.aOut = src.requireInt(k, p, "a_out", 1, 1 << 16);
    f.aIn = src.requireInt(k, p, "a_in", 1, 1 << 16);
    return f;
}

/** {"weight_noise": ETA, "weight_noise_model": ..., "distill_weight": A, "distill_temperature": T, "adc_clip": C,
 *  "output_noise": S}. */
NoiseAwareSpec readNoiseAware(const JsonSource &src, const json &obj, const std::string &pointer)
{
    src.requireObject(obj, pointer);
    src.checkKeys(
        obj, pointer,
        {"weight_noise", "weight_noise_model", "distill_weight", "distill_temperature", "adc_clip", "output_noise"});
    src.require(obj, pointer, "weight_noise");
    TrainingRecipe r;
    readNoiseTraining(src, obj, pointer, r);
    if (r.weightNoise <= 0.0)
        src.fail(JsonSource::child(pointer, "weight_noise"),
                 "expected a noise level eta > 0 and < 1 for noise-aware fine-tuning (0.02-0.1 is usual), got " +
                     JsonSource::describe(obj.at("weight_noise")));
    return {r.weightNoise, r.weightNoiseModel, r.distillWeight, r.distillTemperature, r.adcClip, r.outputNoise};
}

CompressionVariant readVariant(const JsonSource &src, const json &obj, const std::string &pointer)
{
    src.requireObject(obj, pointer);
    src.checkKeys(obj, pointer,
                  {"name", "weight_bits", "activation_bits", "sparsity", "factorization", "noise_aware", "layers"});
    CompressionVariant v;
    v.origin = src.location(pointer) + ": " + pointer;
    v.name = src.requireString(obj, pointer, "name");
    if (obj.contains("weight_bits"))
        v.weightBits = src.toInt(obj.at("weight_bits"), JsonSource::child(pointer, "weight_bits"), 1, 8);
    if (obj.contains("activation_bits"))
        v.activationBits = src.toInt(obj.at("activation_bits"), JsonSource::child(pointer, "activation_bits"), 2, 8);
    if (obj.contains("sparsity"))
        v.sparsity = readSparsity(src, obj.at("sparsity"), JsonSource::child(pointer, "sparsity"));
    if (obj.contains("factorization")) {
        if (v.sparsity)
            src.fail(JsonSource::child(pointer, "factorization"),
                     "a variant either prunes or factorises; derive a second child from the first for both");
        v.factorization = readFactorization(src, obj.at("factorization"), JsonSource::child(pointer, "factorization"));
    }
    if (obj.contains("noise_aware"))
        v.noiseAware = readNoiseAware(src, obj.at("noise_aware"), JsonSource::child(pointer, "noise_aware"));
    if (obj.contains("layers")) {
        const std::string p = JsonSource::child(pointer, "layers");
        const json &layers = obj.at("layers");
        src.requireArray(layers, p);
        if (layers.empty())
            src.fail(p, "expected at least one layer name (leave \"layers\" out for every weighted layer)");
        for (std::size_t i = 0; i < layers.size(); ++i) {
            const std::string lp = JsonSource::child(p, i);
            std::string name = src.toString(layers[i], lp, false);
            for (const std::string &seen : v.layers)
                if (seen == name)
                    src.fail(lp, "layer \"" + name + "\" is listed twice");
            v.layers.push_back(std::move(name));
            v.layerOrigins.push_back(src.location(lp) + ": " + lp);
        }
    }
    const bool changesLayers =
        v.weightBits || v.activationBits || v.sparsity || v.factorization.kind != FactorizationSpec::Kind::None;
    if (v.noiseAware && !changesLayers && !v.layers.empty())
        src.fail(JsonSource::child(pointer, "layers"),
                 "noise_aware fine-tunes with noise on every weighted layer (the whole network runs on the crossbar); "
                 "\"layers\" only selects the layers that weight_bits, activation_bits, sparsity or factorization "
                 "change");
    if (!changesLayers && !v.noiseAware)
        src.fail(pointer, "variant \"" + v.name +
                              "\" changes nothing: give weight_bits, activation_bits, sparsity, factorization or "
                              "noise_aware");
    return v;
}

CompressionConfig parseConfig(const JsonSource &src)
{
    const json &root = src.root();
    src.requireObject(root, "");
    src.checkKeys(root, "", {"fine_tune", "variants"});
    CompressionConfig config;
    if (root.contains("fine_tune"))
        config.fineTune = readFineTune(src, root.at("fine_tune"), "/fine_tune");
    const json &variants = src.require(root, "", "variants");
    src.requireArray(variants, "/variants");
    if (variants.empty())
        src.fail("/variants", "expected at least one variant");
    std::set<std::string> names;
    for (std::size_t i = 0; i < variants.size(); ++i) {
        const std::string p = JsonSource::child("/variants", i);
        CompressionVariant v = readVariant(src, variants[i], p);
        if (!names.insert(v.name).second)
            src.fail(JsonSource::child(p, "name"), "duplicate variant name \"" + v.name + "\"");
        config.variants.push_back(std::move(v));
    }
    return config;
}

json sparsityJson(const SparsitySpec &s)
{
    switch (s.pattern) {
    case SparsityPattern::Dbb:
        return {{"pattern", "dbb"}, {"block_size", s.blockSize}, {"max_nonzeros", s.maxNonZeros}};
    case SparsityPattern::NM:
        return {{"pattern", "n:m"}, {"n", s.n}, {"m", s.m}};
    default:
        return {{"pattern", std::string(toString(s.pattern))}, {"fraction", s.fraction}};
    }
}

} // namespace

std::string CompressionVariant::canonicalJson() const
{
    json j{{"name", name}};
    if (weightBits)
        j["weight_bits"] = *weightBits;
    if (activationBits)
        j["activation_bits"] = *activationBits;
    if (sparsity)
        j["sparsity"] = sparsityJson(*sparsity);
    switch (factorization.kind) {
    case FactorizationSpec::Kind::None:
        break;
    case FactorizationSpec::Kind::LowRank:
        j["factorization"] = {
            {"low_rank", factorization.rank > 0 ? json(factorization.rank) : json(factorization.rankFraction)}};
        break;
    case FactorizationSpec::Kind::Kronecker:
        j["factorization"] = factorization.aOut > 0
                                 ? json{{"kronecker", {{"a_out", factorization.aOut}, {"a_in", factorization.aIn}}}}
                                 : json("kronecker");
        break;
    }
    if (noiseAware) {
        TrainingRecipe r = noiseAware->applyTo(TrainingRecipe{});
        json n = trainingRecipeToJson(r);
        json noise{{"weight_noise", n.at("weight_noise")}, {"weight_noise_model", n.at("weight_noise_model")}};
        for (const char *key : {"distill_weight", "distill_temperature", "adc_clip", "output_noise"})
            if (n.contains(key))
                noise[key] = n.at(key);
        j["noise_aware"] = noise;
    }
    if (!layers.empty())
        j["layers"] = layers;
    return j.dump();
}

TrainingRecipe FineTuneOverrides::applyTo(TrainingRecipe r) const
{
    r.epochs = epochs.value_or(r.epochs);
    r.qatEpochs = qatEpochs.value_or(r.qatEpochs);
    r.learningRate = learningRate.value_or(r.learningRate);
    r.qatLearningRate = qatLearningRate.value_or(r.qatLearningRate);
    r.batchSize = batchSize.value_or(r.batchSize);
    r.weightDecay = weightDecay.value_or(r.weightDecay);
    r.schedule = schedule.value_or(r.schedule);
    r.calibrationBatches = calibrationBatches.value_or(r.calibrationBatches);
    r.pruneBegin = pruneBegin.value_or(r.pruneBegin);
    r.pruneEnd = std::max(pruneEnd.value_or(r.pruneEnd), r.pruneBegin);
    return r;
}

TrainingRecipe NoiseAwareSpec::applyTo(TrainingRecipe r) const
{
    r.weightNoise = weightNoise;
    r.weightNoiseModel = model;
    r.distillWeight = distillWeight;
    r.distillTemperature = distillTemperature;
    r.adcClip = adcClip;
    r.outputNoise = outputNoise;
    return r;
}

CompressionConfig CompressionConfig::fromFile(const std::filesystem::path &path)
{
    return parseConfig(JsonSource::fromFile(path));
}

CompressionConfig CompressionConfig::fromJson(std::string_view text, std::string_view displayName)
{
    return parseConfig(JsonSource::fromText(std::string(text), std::string(displayName)));
}

} // namespace psc
