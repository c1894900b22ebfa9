// SPDX-License-Identifier: GPL-3.0-or-later
#include "psc/study/compressionrunner.h"

#include "psc/compress/compressvariant.h"
#include "psc/core/error.h"
#include "psc/data/dataset.h"
#include "psc/jobs/jobcontext.h"
#include "psc/net/networkparser.h"
#include "psc/study/studystore.h"
#include "psc/study/trialevaluator.h"
#include "psc/train/trainer.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <optional>

namespace psc {

namespace {

double nowSeconds()
{
    return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string label(const Trial &t)
{
    return "trial " + std::to_string(t.number);
}

/**
 * The training recipe a trial was trained with. A child fine-tuned for 0 epochs (one-shot pruning) stores
 * epochs = 0, which a study's training object does not allow; it is read through the study parser with a
 * stand-in and put back, so the parser's checks still cover every other field.
 */
TrainingRecipe recipeOf(const Trial &t)
{
    nlohmann::json j = nlohmann::json::parse(t.recipeJson, nullptr, false);
    if (j.is_discarded() || !j.is_object())
        throw InputError(label(t) + ": its training recipe is not a JSON object");
    const bool oneShot = j.contains("epochs") && j["epochs"] == 0;
    if (oneShot)
        j["epochs"] = 1;
    TrainingRecipe r = parseTrainingRecipe(j.dump(), label(t) + " recipe");
    if (oneShot)
        r.epochs = 0;
    return r;
}

/** Everything about one variant that is known before training. */
struct Planned
{
    const CompressionVariant *variant = nullptr;
    TrainedModel start;
    TrainingRecipe recipe;
    std::string parametersJson;
    std::string recipeJson;
};

} // namespace

struct CompressionRunner::Impl
{
    StudyStore &store;
    const StudySpec &spec;
    Trainer &trainer;
    const Dataset &data;
    TrialEvaluator evaluator;
    std::function<void(const CompressedChild &)> onFinished;

    Impl(StudyStore &s, const StudySpec &sp, Trainer &t, const Dataset &d, Options o)
        : store(s), spec(sp), trainer(t), data(d), evaluator(sp, o.targets)
    {}

    void report(const CompressedChild &c) const
    {
        if (onFinished)
            onFinished(c);
    }

    /**
     * An earlier child of `parent` with the same variant and recipe: a finished one (Complete or Infeasible, which
     * would only be trained again) or else one left Pending by an interrupted run. Failed ones are tried again.
     */
    std::optional<Trial> earlierChild(const Trial &parent, const Planned &p) const
    {
        std::optional<Trial> found;
        for (Trial &t : store.trials()) {
            if (t.parentId != parent.id || t.parametersJson != p.parametersJson || t.recipeJson != p.recipeJson)
                continue;
            if (t.state == TrialState::Complete || t.state == TrialState::Infeasible)
                return t;
            if (t.state == TrialState::Pending && !found)
                found = std::move(t);
        }
        return found;
    }

    /** Fine-tunes and measures one child; returns false if cancelled (the child stays Running). */
    bool derive(const Trial &parent, const Planned &p, std::size_t index, std::size_t count, JobContext &ctx,
                CompressedChild &out)
    {
        out.variant = p.variant->name;
        if (auto earlier = earlierChild(parent, p); earlier && earlier->state != TrialState::Pending) {
            out.trial = *earlier;
            out.reused = true;
            report(out);
            return true;
        } else if (earlier) {
            out.trial = *earlier; // left Pending by an interrupted run: finish it instead of starting another
        } else {
            Trial &t = out.trial;
            t.architectureJson = networkToJson(p.start.network, false);
            t.architectureHash = architectureHash(p.start.network);
            t.parametersJson = p.parametersJson;
            t.recipeJson = p.recipeJson;
            t.parentId = parent.id;
            t.createdAt = nowSeconds();
            std::string why;
            try {
                t.metrics = evaluator.beforeTraining(p.start.network, &why);
            } catch (const InputError &e) {
                t.state = TrialState::Failed;
                t.error = std::string("invalid architecture: ") + e.what();
            }
            if (t.state == TrialState::Pending && !why.empty()) {
                t.state = TrialState::Infeasible; // like a search candidate: not worth fine-tuning
                t.error = why;
            }
            if (t.state != TrialState::Pending)
                t.finishedAt = nowSeconds();
            store.insertTrial(t);
            if (t.state != TrialState::Pending) {
                report(out);
                return true;
            }
        }

        Trial &t = out.trial;
        std::vector<Metric> before = t.metrics;
        try {
            before = evaluator.beforeTraining(p.start.network);
        } catch (const std::exception &) {
            // keep what was stored at insertion
        }
        t.startedAt = nowSeconds();
        store.markRunning(t.id, t.startedAt);
        t.state = TrialState::Running;
        const std::uint64_t seed = spec.seed * 0x9E3779B97F4A7C15ULL + std::uint64_t(t.number) + 1;
        const std::string prefix =
            "child " + std::to_string(index + 1) + "/" + std::to_string(count) + " (" + p.variant->name + ")";
        JobContext child(&ctx, [&](double f, const std::string &text) {
            ctx.progress((double(index) + std::clamp(f, 0.0, 1.0)) / double(count), prefix + ": " + text);
        });
        child.progress(0.0, "fine-tuning");

        std::optional<TrainResult> result;
        double deployed = std::nan("");
        std::string error;
        try {
            result = trainer.fineTune(p.start, p.recipe, data, seed, child);
            child.progress(1.0, "integer inference");
            deployed = TrialEvaluator::deployedAccuracy(*result, data, p.recipe, &child);
        } catch (const JobCancelled &) {
            return false; // stays Running; a later run with the same variant finishes it once recovered
        } catch (const std::exception &e) {
            error = e.what();
            result.reset();
        }

        TrialState state = TrialState::Failed;
        std::vector<Metric> metrics = before;
        if (result) {
            std::string why;
            metrics = evaluator.afterTraining(std::move(metrics), *result, deployed, &why);
            state = why.empty() ? TrialState::Complete : TrialState::Infeasible;
            error = why;
        }
        store.writeBatch([&] {
            if (result && !result->weights.empty())
                store.putArtifact(t.id, "weights", result->weightsFormat, result->weights);
            store.finishTrial(t.id, state, metrics, error, nowSeconds());
        });
        if (auto committed = store.trial(t.id))
            t = std::move(*committed);
        report(out);
        return true;
    }
};

CompressionRunner::CompressionRunner(StudyStore &store, const StudySpec &spec, Trainer &trainer, const Dataset &data,
                                     Options options)
    : d(std::make_unique<Impl>(store, spec, trainer, data, options))
{}

CompressionRunner::~CompressionRunner() = default;

void CompressionRunner::setChildFinishedCallback(std::function<void(const CompressedChild &)> callback)
{
    d->onFinished = std::move(callback);
}

TrainedModel CompressionRunner::loadParent(const StudyStore &store, std::int64_t parentNumber, Trial *parent)
{
    const std::vector<Trial> trials = store.trials();
    const Trial *found = nullptr;
    for (const Trial &t : trials)
        if (t.number == parentNumber)
            found = &t;
    if (!found) {
        const std::string range = trials.empty()
                                      ? "it has no trials yet"
                                      : "its trials are numbered 0 to " + std::to_string(trials.back().number);
        throw InputError("trial " + std::to_string(parentNumber) + " does not exist in " + store.path().string() +
                         " (" + range + ")");
    }
    const Trial &t = *found;
    if (t.state != TrialState::Complete)
        throw InputError(label(t) + " is " + std::string(toString(t.state)) +
                         ": only complete (trained) trials can be compressed");
    // A cache hit has no weights of its own: they are its original's.
    const std::int64_t weightsOf = t.cachedFrom.value_or(t.id);
    std::string format;
    for (const ArtifactInfo &a : store.artifacts(weightsOf))
        if (a.kind == "weights")
            format = a.format;
    if (format.empty())
        throw InputError(label(t) + " has no trained weights stored, so there is nothing to compress");
    if (format != kTrainedModelFormat)
        throw InputError(label(t) + " has weights in format \"" + format + "\", not " + kTrainedModelFormat +
                         ": it was trained by an older Paretoscope or another trainer; train it again to compress it");
    const auto bytes = store.artifact(weightsOf, "weights");
    TrainedModel model = deserializeTrainedModel(bytes ? *bytes : std::vector<std::uint8_t>{}, label(t) + " weights");
    if (parent)
        *parent = t;
    return model;
}

CompressionSummary CompressionRunner::run(std::int64_t parentNumber, const CompressionConfig &config, JobContext &ctx)
{
    CompressionSummary summary;
    const TrainedModel parentModel = loadParent(d->store, parentNumber, &summary.parent);
    const Trial &parent = summary.parent;
    const TrainingRecipe recipe = config.fineTune.applyTo(recipeOf(parent));

    // Every variant is applied before anything is written: a config that does not fit the parent changes nothing.
    std::vector<Planned> plans;
    for (const CompressionVariant &v : config.variants) {
        Planned p;
        p.variant = &v;
        p.start = applyCompressionVariant(parentModel, v);
        p.recipe = recipe;
        p.recipeJson = recipe.canonicalJson();
        p.parametersJson =
            nlohmann::json{{"compress", nlohmann::json::parse(v.canonicalJson())}, {"parent", parent.number}}.dump();
        plans.push_back(std::move(p));
    }

    try {
        for (std::size_t i = 0; i < plans.size(); ++i) {
            ctx.checkpoint();
            CompressedChild child;
            const bool done = d->derive(parent, plans[i], i, plans.size(), ctx, child);
            summary.children.push_back(std::move(child));
            if (!done) {
                summary.cancelled = true;
                break;
            }
        }
    } catch (const JobCancelled &) {
        summary.cancelled = true;
    }
    if (!summary.cancelled)
        ctx.progress(1.0, "compressed " + label(parent) + " into " + std::to_string(summary.children.size()) +
                              " variant(s)");
    return summary;
}

} // namespace psc
