// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "psc/compress/compressionconfig.h"
#include "psc/quant/trainedmodel.h"
#include "psc/study/studyspec.h"
#include "psc/study/trial.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace psc {

class JobContext;
class StudyStore;
class TargetLibrary;
class Trainer;
struct Dataset;

/** One child of a compression run. */
struct CompressedChild
{
    std::string variant; ///< the variant's name
    /// The child as committed: Complete, Failed (error says why), Infeasible (a constraint of the study, before or
    /// after fine-tuning), or Pending if the run was cancelled while fine-tuning it (the same request finishes it).
    Trial trial;
    /// True if the same variant (same parent, variant and fine-tune recipe) was derived before (Complete,
    /// Infeasible, or Failed after the process died kMaxInterruptions times while fine-tuning it): it was reported,
    /// not trained again. A child whose fine-tuning failed (diverged) is tried again as a new child.
    bool reused = false;
};

/** What CompressionRunner::run() did. */
struct CompressionSummary
{
    Trial parent;
    std::vector<CompressedChild> children; ///< in the config's variant order; fewer if cancelled
    bool cancelled = false;
};

/**
 * Derives compressed trials from a trained one (`paretoscope compress`, the GUI's Compress action): for each
 * variant of a CompressionConfig, the parent's trained model with the variant applied
 * (applyCompressionVariant()) is fine-tuned (Trainer::fineTune()) with the parent's recipe plus the config's
 * overrides, and measured like a search trial (TrialEvaluator: architecture metrics, every target the study's
 * objectives and constraints name, accuracy, quantized_accuracy, deployed_accuracy by the integer reference
 * inference). So a child's size, cost and accuracy are those of the model that would be deployed.
 *
 * Each child is a trial with `parentId` = the parent's id, `architectureJson` = its deployable network,
 * `parametersJson` = {"compress": VARIANT, "parent": PARENT_NUMBER}, `recipeJson` = the fine-tune recipe, and its
 * trained model as the "weights" artifact; every state change is committed before the next step. A child can be
 * a parent in turn. Children never count toward the study's budget and are never cache hits for the search.
 *
 * Threads: run() blocks its calling thread (a heavy-pool job or the CLI's main thread) and fine-tunes one child at
 * a time; it needs no event loop. The store, spec, trainer, dataset and target library must outlive the runner.
 * Every child goes through the TrialPipeline, like a search trial. The runner does not call
 * StudyStore::recoverInterrupted(): a caller that owns the study alone (the CLI) calls it first, so that children
 * a killed run left Running become Pending and are finished by the next run that asks for the same variant; a child
 * given up after StudyStore::kMaxInterruptions deaths is reported, never derived a second time.
 */
class CompressionRunner
{
public:
    struct Options
    {
        /** Hardware targets for "metric@target" objectives and constraints; may be null if none are used. */
        const TargetLibrary *targets = nullptr;
    };

    /** Throws InputError if an objective or constraint names a target `options.targets` does not have. */
    CompressionRunner(StudyStore &store, const StudySpec &spec, Trainer &trainer, const Dataset &data, Options options);
    ~CompressionRunner();

    /**
     * The trained model of trial number `parentNumber` (the number `show` and the GUI display), with the trial in
     * `parent` if given. A cache hit's model is its original's. Throws InputError naming the trial if it does not
     * exist, is not Complete, or has no "weights" artifact in kTrainedModelFormat (or one that does not read back).
     */
    static TrainedModel loadParent(const StudyStore &store, std::int64_t parentNumber, Trial *parent = nullptr);

    /**
     * Everything about compressing trial number `parentNumber` with `config` that can be checked without training or
     * writing: loadParent(), every variant applied to the parent's model, and every variant's fine-tune recipe (a
     * noise_aware variant needs epochs or qat_epochs). Throws InputError naming the trial, or
     * the config's file and line:column of a variant that does not fit. Returns the parent as stored.
     */
    static Trial check(const StudyStore &store, std::int64_t parentNumber, const CompressionConfig &config);

    /** Called on run()'s thread after each child is committed (and for reused ones). */
    void setChildFinishedCallback(std::function<void(const CompressedChild &)> callback);

    /**
     * Derives one child per variant of `config` from trial number `parentNumber`. Everything that can be checked
     * without training is checked before the first child is inserted: the parent (as loadParent()) and every
     * variant against the parent's network, so a bad config or parent throws InputError and leaves the study
     * unchanged. A variant that fails later (training diverges, the model does not quantise) is recorded Failed
     * with the reason and the next one runs. Cancelling ctx stops after the current step: the child in flight
     * goes back to Pending (no interruption counted) and summary.cancelled is set (no exception). Progress goes to ctx
     * per child and batch.
     */
    CompressionSummary run(std::int64_t parentNumber, const CompressionConfig &config, JobContext &ctx);

private:
    struct Impl;
    std::unique_ptr<Impl> d;
};

} // namespace psc
