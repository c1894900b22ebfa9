// SPDX-License-Identifier: GPL-3.0-or-later
#include "psc/study/compressionrunner.h"

#include "psc/compress/compressvariant.h"
#include "psc/core/error.h"
#include "psc/data/dataset.h"
#include "psc/jobs/jobcontext.h"
#include "psc/net/networkparser.h"
#include "psc/study/costmodels.h"
#include "psc/study/lineage.h"
#include "psc/study/studystore.h"
#include "psc/study/trialevaluator.h"
#include "psc/study/trialpipeline.h"
#include "psc/train/trainer.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <optional>

namespace psc {

namespace {

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

/**
 * The fine-tune recipe of `v`'s child: a noise-aware variant replaces the noise settings; any other variant keeps
 * its parent's (a child of a noise-aware child stays noise-aware). Throws InputError for noise without training.
 */
TrainingRecipe childRecipe(const TrainingRecipe &fineTune, const CompressionVariant &v)
{
    if (!v.noiseAware)
        return fineTune;
    if (fineTune.epochs == 0 && fineTune.qatEpochs == 0)
        throw InputError(v.origin + ": noise_aware needs fine-tuning to learn from the noise, but fine_tune has "
                                    "epochs 0 and qat_epochs 0 (calibration only): give epochs or qat_epochs > 0");
    return v.noiseAware->applyTo(fineTune);
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
    Options options;
    std::function<void(const CompressedChild &)> onFinished;

    Impl(StudyStore &s, const StudySpec &sp, Trainer &t, const Dataset &d, Options o)
        : store(s), spec(sp), trainer(t), data(d), options(o)
    {
        TrialEvaluator(sp, o.targets); // refuses a spec naming an unknown target before anything runs
    }

    void report(const CompressedChild &c) const
    {
        if (onFinished)
            onFinished(c);
    }

    /**
     * An earlier child of `parent` with the same variant and recipe, in the order: finished (Complete or
     * Infeasible, which would only be trained again), left Pending by an interrupted run (finished now instead of
     * starting another), Failed because the process died while it ran StudyStore::kMaxInterruptions times (like a
     * search trial, it is not tried again). A child whose training failed (diverged, did not quantise) is
     * derived again.
     */
    std::optional<Trial> earlierChild(const Trial &parent, const Planned &p) const
    {
        std::optional<Trial> pending, gaveUp;
        for (Trial &t : store.trials()) {
            if (t.parentId != parent.id || t.parametersJson != p.parametersJson || t.recipeJson != p.recipeJson)
                continue;
            if (t.state == TrialState::Complete || t.state == TrialState::Infeasible)
                return t;
            if (t.state == TrialState::Pending && !pending)
                pending = std::move(t);
            else if (t.state == TrialState::Failed && t.interruptions >= StudyStore::kMaxInterruptions && !gaveUp)
                gaveUp = std::move(t);
        }
        return pending ? pending : gaveUp;
    }

    /** Fine-tunes and measures one child; returns false if cancelled (the child goes back to Pending). */
    bool derive(TrialPipeline &pipeline, const Trial &parent, const Planned &p, std::size_t index, std::size_t count,
                JobContext &ctx, CompressedChild &out)
    {
        out.variant = p.variant->name;
        std::int64_t id = 0;
        if (auto earlier = earlierChild(parent, p); earlier && earlier->state != TrialState::Pending) {
            out.trial = *earlier;
            out.reused = true;
            report(out);
            return true;
        } else if (earlier) {
            id = earlier->id; // left Pending by an interrupted run: finish it instead of starting another
            pipeline.adopt(*earlier, p.recipe, p.start);
        } else {
            TrialCandidate c;
            c.network = p.start.network;
            c.architectureHash = architectureHash(p.start.network);
            c.parametersJson = p.parametersJson;
            c.recipe = p.recipe;
            c.parentId = parent.id;
            c.start = p.start;
            c.useCache = false;
            out.trial = pipeline.admit(std::move(c));
            if (out.trial.state != TrialState::Pending) {
                report(out); // infeasible before fine-tuning, like a search candidate: not worth training
                return true;
            }
            id = out.trial.id;
        }

        const std::string prefix =
            "child " + std::to_string(index + 1) + "/" + std::to_string(count) + " (" + p.variant->name + ")";
        ctx.progress(double(index) / double(count), prefix + ": fine-tuning");
        pipeline.start(id, [&](double f, const std::string &text) {
            ctx.progress((double(index) + std::clamp(f, 0.0, 1.0)) / double(count), prefix + ": " + text);
        });
        const std::vector<Trial> finished = pipeline.finishAll();
        if (finished.empty()) {
            if (auto stored = store.trial(id))
                out.trial = std::move(*stored);
            return false; // cancelled: back to Pending; the same request finishes it
        }
        out.trial = finished.front();
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

Trial CompressionRunner::check(const StudyStore &store, std::int64_t parentNumber, const CompressionConfig &config)
{
    Trial parent;
    const TrainedModel model = loadParent(store, parentNumber, &parent);
    for (const CompressionVariant &v : config.variants)
        applyCompressionVariant(model, v);
    for (const CompressionVariant &v : config.variants)
        if (v.noiseAware)
            childRecipe(config.fineTune.applyTo(recipeOf(parent)), v);
    return parent;
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
        p.recipe = childRecipe(recipe, v);
        p.recipeJson = p.recipe.canonicalJson();
        p.parametersJson = encodeCompressionLineage(v.canonicalJson(), parent.number);
        plans.push_back(std::move(p));
    }

    if (d->options.targets) // the models that cost the children, so that stored costs keep their label
        recordCostModels(d->store, specTargets(d->spec), *d->options.targets, std::int64_t(d->store.trials().size()));
    TrialPipeline pipeline(d->store, d->spec, d->trainer, d->data, ctx, {d->options.targets, nullptr});
    try {
        for (std::size_t i = 0; i < plans.size(); ++i) {
            ctx.checkpoint();
            CompressedChild child;
            const bool done = d->derive(pipeline, parent, plans[i], i, plans.size(), ctx, child);
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
