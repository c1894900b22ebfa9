// SPDX-License-Identifier: GPL-3.0-or-later
#include "psc/study/trialevaluator.h"

#include "psc/analog/analoginference.h"
#include "psc/core/error.h"
#include "psc/data/dataset.h"
#include "psc/jobs/jobcontext.h"
#include "psc/net/analysis.h"
#include "psc/quant/integerinference.h"
#include "psc/quant/trainedmodel.h"
#include "psc/study/analogdrift.h"
#include "psc/study/metrics.h"
#include "psc/targets/costinput.h"
#include "psc/targets/targetlibrary.h"
#include "psc/targets/targetmetrics.h"

#include <cmath>
#include <cstdio>
#include <optional>

namespace psc {

std::vector<Metric> architectureMetrics(const ModelAnalysis &a)
{
    return {{"", "params", double(a.totalParams)},
            {"", "macs", double(a.totalMacs)},
            {"", "weight_bytes", double(a.totalWeightBytes)},
            {"", "float_weight_bytes", 4.0 * double(a.totalParams)},
            {"", "peak_activation_bytes", double(a.peakLiveBytes)},
            {"", "arena_bytes", double(a.arenaBytes)}};
}

std::vector<Metric> architectureMetrics(const NetworkDescription &network)
{
    return architectureMetrics(analyzeNetwork(network));
}

TrialEvaluator::TrialEvaluator(const StudySpec &spec, const TargetLibrary *targets) : m_spec(spec), m_library(targets)
{
    auto addTarget = [this](const MetricRef &m, bool constrained, const std::string &what) {
        if (m.target.empty())
            return;
        if (!m_library || !m_library->find(m.target)) {
            std::string known;
            if (m_library)
                for (const TargetDefinition *def : m_library->definitions())
                    known += (known.empty() ? "" : ", ") + def->id;
            throw InputError(what + ": unknown target \"" + m.target +
                             "\" (known: " + (known.empty() ? "none" : known) + ")");
        }
        for (auto &[id, c] : m_targets)
            if (id == m.target) {
                c = c || constrained;
                return;
            }
        m_targets.emplace_back(m.target, constrained);
    };
    for (const Objective &o : spec.objectives)
        addTarget(o.metric, false, "objective " + o.metric.toString());
    for (const Constraint &c : spec.constraints)
        addTarget(c.metric, true, "constraint " + c.toString());
    for (const auto &[id, constrained] : m_targets) {
        const TargetDefinition *def = m_library->find(id);
        if (def->model == "analog-cim")
            m_analogTargets.push_back(analogTarget(*def));
        else
            for (const Objective &o : spec.objectives)
                if (o.metric.target == id && o.metric.name == kAnalogAccuracyMetric)
                    throw InputError("objective " + o.metric.toString() + ": target \"" + id + "\" uses the " +
                                     def->model + " model; analog_accuracy needs an analog-cim target");
    }
}

std::vector<Metric> TrialEvaluator::beforeTraining(const NetworkDescription &network, std::string *rejection) const
{
    // One analysis serves the model metrics and every target.
    const ModelAnalysis analysis = analyzeNetwork(network);
    std::vector<Metric> metrics = architectureMetrics(analysis);
    std::string limits;
    if (!m_targets.empty()) {
        const plugin::NetworkInfo info = toNetworkInfo(network, analysis);
        const auto deployment = defaultDeployment(network);
        for (const auto &[id, constrained] : m_targets) {
            const plugin::CostEstimate e = m_library->target(id)->estimateTotals(info, deployment);
            const auto tm = targetMetrics(id, e);
            metrics.insert(metrics.end(), tm.begin(), tm.end());
            if (constrained)
                if (std::string v = limitViolations(id, e); !v.empty())
                    limits += (limits.empty() ? "" : "; ") + v;
        }
    }
    if (rejection) {
        *rejection = violations(metrics);
        if (!limits.empty())
            *rejection += (rejection->empty() ? "" : "; ") + limits;
    }
    return metrics;
}

double TrialEvaluator::deployedAccuracy(const TrainResult &result, const Dataset &data, const TrainingRecipe &recipe,
                                        JobContext *ctx)
{
    if (result.weightsFormat != kTrainedModelFormat)
        return std::nan("");
    const TrainedModel trained = deserializeTrainedModel(result.weights, "trained weights");
    return IntegerModel::quantize(trained).accuracy(data.test, recipe.testSubset, ctx);
}

TrialEvaluator::Deployed TrialEvaluator::deploy(const TrainResult &result, const Dataset &data,
                                                const TrainingRecipe &recipe, JobContext *ctx) const
{
    Deployed d;
    if (result.weightsFormat != kTrainedModelFormat) {
        d.accuracy = result.deployedTestAccuracy; // measured by the trainer (a tabular benchmark) or NaN
        return d;
    }
    const IntegerModel model = IntegerModel::quantize(deserializeTrainedModel(result.weights, "trained weights"));
    d.accuracy = model.accuracy(data.test, recipe.testSubset, ctx);
    d.weightValues = weightValues(model);
    if (m_analogTargets.empty())
        return d;
    const int images = m_spec.analog.images > 0 ? m_spec.analog.images : recipe.testSubset;
    AnalogOptions options;
    options.repeats = m_spec.analog.repeats;
    options.seed = m_spec.analog.seed;
    options.images = images;
    for (const AnalogTarget &target : m_analogTargets) {
        options.compensation = target.noise.compensation;
        const AnalogSimulator simulator(model, target);
        // The trial's bar stays full (training is done); the text says how far the simulation is.
        JobContext step(ctx, [ctx, &target](double f, const std::string &) {
            if (ctx)
                ctx->progress(1.0, "analog inference on " + target.id + " " + std::to_string(int(100.0 * f)) + " %");
        });
        const AnalogAccuracy a = simulator.evaluate(data.test, {m_spec.analog.seconds}, options, &step).front();
        d.analog.push_back(
            analogRecord(0, target.id, a, options, images > 0 ? std::min(images, data.test.count) : data.test.count));
    }
    return d;
}

std::vector<Metric> TrialEvaluator::withTrainedWeights(std::vector<Metric> metrics, const NetworkDescription &network,
                                                       const WeightValues &values, std::string *rejection) const
{
    std::string limits;
    if (!m_targets.empty() && !values.empty()) {
        const plugin::NetworkInfo info = toNetworkInfo(network, analyzeNetwork(network));
        auto deployment = defaultDeployment(network);
        attachWeightValues(deployment, info, values);
        for (const auto &[id, constrained] : m_targets) {
            const plugin::CostEstimate e = m_library->target(id)->estimateTotals(info, deployment);
            std::erase_if(metrics, [&id = id](const Metric &m) { return m.target == id; });
            const auto tm = targetMetrics(id, e);
            metrics.insert(metrics.end(), tm.begin(), tm.end());
            if (constrained)
                if (std::string v = limitViolations(id, e); !v.empty())
                    limits += (limits.empty() ? "" : "; ") + v;
        }
    }
    if (rejection)
        *rejection = limits;
    return metrics;
}

std::vector<Metric> TrialEvaluator::afterTraining(std::vector<Metric> metrics, const TrainResult &result,
                                                  double deployed, std::string *rejection,
                                                  const std::vector<AnalogRecord> &analog) const
{
    for (const AnalogRecord &a : analog) {
        metrics.push_back({a.target, std::string(kAnalogAccuracyMetric), a.mean});
        metrics.push_back({a.target, std::string(kAnalogAccuracyStdMetric), a.std});
    }
    metrics.push_back({"", "accuracy", result.validationAccuracy});
    metrics.push_back({"", "test_accuracy", result.testAccuracy});
    if (std::isfinite(result.quantizedValidationAccuracy))
        metrics.push_back({"", "quantized_accuracy", result.quantizedValidationAccuracy});
    if (std::isfinite(deployed))
        metrics.push_back({"", "deployed_accuracy", deployed});
    metrics.push_back({"", "train_seconds", result.trainSeconds});
    if (rejection)
        *rejection = violations(metrics);
    return metrics;
}

std::string TrialEvaluator::violations(const std::vector<Metric> &metrics) const
{
    std::string reasons;
    for (const Constraint &c : m_spec.constraints) {
        const auto v = metricValue(metrics, c.metric);
        if (!v || c.isSatisfiedBy(*v))
            continue;
        char value[64];
        // Counts and byte sizes read best as whole numbers; fractions and seconds with 6 significant digits.
        if (std::abs(*v) < 1e15 && *v == std::floor(*v))
            std::snprintf(value, sizeof value, "%.0f", *v);
        else
            std::snprintf(value, sizeof value, "%.6g", *v);
        reasons += (reasons.empty() ? "" : "; ") + c.metric.toString() + " = " + value + " violates " + c.toString();
    }
    return reasons;
}

} // namespace psc
