// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "psc/analog/analoginference.h"
#include "psc/study/studyspec.h"
#include "psc/study/studystore.h"
#include "psc/study/trial.h"
#include "psc/train/trainer.h"

#include "psc/targets/costinput.h"

#include <limits>
#include <string>
#include <utility>
#include <vector>

namespace psc {

class JobContext;
class TargetLibrary;
struct Dataset;

struct ModelAnalysis;

/** Model metrics known from the architecture alone (params, macs, weight_bytes, peak memory, arena). */
std::vector<Metric> architectureMetrics(const NetworkDescription &network);
/** The same metrics from an analysis already made. */
std::vector<Metric> architectureMetrics(const ModelAnalysis &analysis);

/**
 * The metrics every trained trial of a study gets, whether the search trained it (StudyRunner) or it was
 * derived from another trial (CompressionRunner): the architecture metrics and the cost on every hardware
 * target the study's objectives and constraints name before training; accuracies, the deployed (integer)
 * accuracy and the training time after; and the study's constraints checked on both.
 *
 * Immutable after construction; its methods may be called from several threads at once. The spec and the
 * target library must outlive it.
 */
class TrialEvaluator
{
public:
    /**
     * Throws InputError naming the objective or constraint whose "metric@target" names a target that `targets`
     * (may be null) does not have, with the known ones.
     */
    TrialEvaluator(const StudySpec &spec, const TargetLibrary *targets);

    /**
     * Architecture metrics and target costs of `network`. `rejection` (if given) is set to why the candidate
     * breaks the study before training: the violated constraints and the violated limits of targets a constraint
     * names ("" if none). Throws InputError for a network that cannot be analysed.
     */
    std::vector<Metric> beforeTraining(const NetworkDescription &network, std::string *rejection = nullptr) const;

    /**
     * The integer reference inference's accuracy on the test set (first `recipe.testSubset` images) for weights
     * in kTrainedModelFormat; NaN for other formats. Lets JobCancelled through. Throws InputError for weights
     * that do not read back or do not quantise.
     */
    static double deployedAccuracy(const TrainResult &result, const Dataset &data, const TrainingRecipe &recipe,
                                   JobContext *ctx = nullptr);

    /**
     * What deploying a trained trial measures: the integer reference's accuracy, its weight values by layer, and its
     * analog accuracy on every analog-cim target the spec names (spec.analog: time, draws, images).
     */
    struct Deployed
    {
        double accuracy = std::numeric_limits<double>::quiet_NaN();
        WeightValues weightValues;
        std::vector<AnalogRecord> analog; ///< trialId unset; one per analog target
    };
    /**
     * deployedAccuracy(), the weight histograms of the same quantised model and the analog accuracies (the
     * longest part on an analog study: repeats x images simulated inferences per analog target); only the
     * trainer's accuracy for other formats. Lets JobCancelled through.
     */
    Deployed deploy(const TrainResult &result, const Dataset &data, const TrainingRecipe &recipe,
                    JobContext *ctx = nullptr) const;

    /**
     * `metrics` with the costs of every target estimated again from the trained weights (targets whose models
     * read weight values, such as the Ethos-U weight encoder, now see the real distribution instead of a prior).
     * `rejection` (if given) gets the violated limits of the targets a constraint names ("" if none).
     */
    std::vector<Metric> withTrainedWeights(std::vector<Metric> metrics, const NetworkDescription &network,
                                           const WeightValues &values, std::string *rejection = nullptr) const;

    /**
     * `before` plus what training measured: accuracy, test_accuracy, quantized_accuracy and deployed_accuracy
     * (when finite), train_seconds and analog_accuracy@TARGET from `analog` (Deployed::analog). `rejection` (if
     * given) is set to the violated constraints ("" if none).
     */
    std::vector<Metric> afterTraining(std::vector<Metric> before, const TrainResult &result, double deployedAccuracy,
                                      std::string *rejection = nullptr,
                                      const std::vector<AnalogRecord> &analog = {}) const;

    /** The constraints `metrics` break, as one human-readable reason ("" if none or not measured yet). */
    std::string violations(const std::vector<Metric> &metrics) const;

    /** Targets named by objectives or constraints, in first-mention order, and whether a constraint names them. */
    const std::vector<std::pair<std::string, bool>> &targets() const { return m_targets; }

private:
    const StudySpec &m_spec;
    const TargetLibrary *m_library;
    std::vector<std::pair<std::string, bool>> m_targets;
    std::vector<AnalogTarget> m_analogTargets; ///< the analog-cim ones among m_targets
};

} // namespace psc
