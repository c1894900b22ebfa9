// SPDX-License-Identifier: GPL-3.0-or-later
#include "psc/study/metrics.h"

#include "psc/core/inputfile.h"
#include "psc/core/siformat.h"

#include <array>

namespace psc {

namespace {

// The order is the order users see in axis menus: what is optimised first, costs after.
constexpr std::array<MetricInfo, 11> kModelMetrics{{
    {"accuracy", "Validation accuracy", "",
     "Top-1 accuracy on the validation split held out of the training set, in [0, 1]; this is what the search "
     "optimises, so the test set stays unseen.",
     Direction::Maximize, false, true},
    {"test_accuracy", "Test accuracy", "",
     "Top-1 accuracy on the test set, in [0, 1]; reported for the final choice, not meant to steer the search.",
     Direction::Maximize, false, true},
    {"quantized_accuracy", "Quantised accuracy", "",
     "Validation accuracy of the deployable network (batch norms folded) with fake quantisation at its "
     "bit-widths, after quantisation-aware training or calibration, in [0, 1].",
     Direction::Maximize, false, true},
    {"deployed_accuracy", "Deployed accuracy", "",
     "Test accuracy of the integer network as it would be deployed, computed by the integer reference "
     "inference (int8/narrower weights and activations, int32 accumulators), in [0, 1].",
     Direction::Maximize, false, true},
    {"float_weight_bytes", "Float weight memory", "B",
     "Bytes of the weights and biases as 32-bit floats: the size before compression.", Direction::Minimize, true},
    {"params", "Parameters", "", "Number of trainable parameters (weights, biases, batch-norm scales and shifts).",
     Direction::Minimize, true},
    {"macs", "MACs", "MAC", "Multiply-accumulate operations for one inference.", Direction::Minimize, true},
    {"weight_bytes", "Weight memory", "B",
     "Bytes of weights and biases as deployed: packed at their bit-widths, sparse layers in their encoding "
     "(bitmask, CSR, DBB or N:M; docs/formats/weight-encodings.md), int32 biases (flash / ROM footprint).",
     Direction::Minimize, true},
    {"peak_activation_bytes", "Peak activation memory", "B",
     "Largest sum of the tensors alive at once during one inference, at the chosen activation bit-widths.",
     Direction::Minimize, true},
    {"arena_bytes", "Tensor arena", "B",
     "Size of the activation arena laid out by the greedy memory planner (RAM footprint).", Direction::Minimize, true},
    {"train_seconds", "Training time", "s", "Wall time of the training loop for this candidate.", Direction::Minimize,
     false},
}};

// Every target reports these (CostEstimate's totals, psc/targets/targetmetrics.h); all follow from the architecture.
constexpr std::array<MetricInfo, 7> kTargetMetrics{{
    {"latency_s", "Latency", "s", "Time for one inference, as the target's cost model estimates it.",
     Direction::Minimize, true},
    {"energy_j", "Energy", "J", "Energy for one inference.", Direction::Minimize, true},
    {"cycles", "Cycles", "", "Clock cycles for one inference.", Direction::Minimize, true},
    {"peak_sram_bytes", "Peak SRAM", "B", "Peak working memory (activations and scratch) during one inference.",
     Direction::Minimize, true},
    {"weight_storage_bytes", "Weight storage", "B", "Bytes the deployed weights take in the target's storage.",
     Direction::Minimize, true},
    {"utilization", "Utilisation", "", "Achieved over peak compute throughput, in [0, 1].", Direction::Maximize, true,
     true},
    {"feasible", "Feasible", "", "1 if the model fits every limit of the target, else 0.", Direction::Maximize, true},
}};

constexpr MetricInfo kAnalogAccuracy{
    kAnalogAccuracyMetric,
    "Analog accuracy",
    "",
    "Test accuracy of the deployed network on the simulated PCM crossbar (programming noise, drift, read noise, "
    "converters) at the study's time after programming, mean over device draws, in [0, 1].",
    Direction::Maximize,
    false,
    true};

constexpr MetricInfo kAnalogAccuracyStd{
    kAnalogAccuracyStdMetric,
    "Analog accuracy spread",
    "",
    "Sample standard deviation of the analog accuracy over the device draws (chip-to-chip spread), in [0, 1]; "
    "the plot draws it as error bars.",
    Direction::Minimize,
    false,
    true};

/** Unit suffixes of metric names, checked in this order. */
struct Suffix
{
    std::string_view suffix;
    std::string_view unit;
};
constexpr Suffix kSuffixes[] = {{"_bytes", "B"}, {"_macs", "MAC"}, {"_s", "s"}, {"_j", "J"}, {"_w", "W"}};

bool isNameChar(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

bool isTargetChar(char c)
{
    return isNameChar(c) || (c >= 'A' && c <= 'Z') || c == '-' || c == '.';
}

} // namespace

std::string_view toString(Direction direction)
{
    return direction == Direction::Maximize ? "max" : "min";
}

std::span<const MetricInfo> modelMetrics()
{
    return kModelMetrics;
}

const MetricInfo *findModelMetric(std::string_view name)
{
    for (const MetricInfo &info : kModelMetrics) {
        if (info.name == name)
            return &info;
    }
    return nullptr;
}

std::string modelMetricNames()
{
    std::string out;
    for (const MetricInfo &info : kModelMetrics) {
        if (!out.empty())
            out += ", ";
        out += info.name;
    }
    return out;
}

std::span<const MetricInfo> standardTargetMetrics()
{
    return kTargetMetrics;
}

const MetricInfo *findStandardTargetMetric(std::string_view name)
{
    for (const MetricInfo &info : kTargetMetrics) {
        if (info.name == name)
            return &info;
    }
    return nullptr;
}

MetricDescription describeMetric(const MetricRef &metric)
{
    MetricDescription d;
    const MetricInfo *info = metric.target.empty() ? findModelMetric(metric.name) : nullptr;
    if (!info)
        info = findStandardTargetMetric(metric.name);
    if (!info && !metric.target.empty() && metric.name == kAnalogAccuracyMetric)
        info = &kAnalogAccuracy;
    if (!info && !metric.target.empty() && metric.name == kAnalogAccuracyStdMetric)
        info = &kAnalogAccuracyStd;
    if (info) {
        d.label = info->label;
        d.unit = info->unit;
        d.description = info->description;
        d.better = info->better;
        d.fraction = info->fraction;
        d.known = true;
    } else {
        const std::string_view name = metric.name;
        std::string_view base = name;
        if (name.find("_per_") == std::string_view::npos) {
            for (const Suffix &s : kSuffixes)
                if (name.size() > s.suffix.size() && name.ends_with(s.suffix)) {
                    d.unit = s.unit;
                    base = name.substr(0, name.size() - s.suffix.size());
                    break;
                }
        } else {
            d.better = Direction::Maximize; // tops_per_w, macs_per_cycle: efficiency and throughput
        }
        if (name.find("accuracy") != std::string_view::npos) {
            d.fraction = true;
            d.better = Direction::Maximize;
        }
        d.label = std::string(base);
        for (char &c : d.label)
            if (c == '_')
                c = ' ';
        if (!d.label.empty() && d.label[0] >= 'a' && d.label[0] <= 'z')
            d.label[0] = char(d.label[0] - 'a' + 'A');
    }
    if (!metric.target.empty()) {
        d.label += " (" + metric.target + ")";
        d.description += (d.description.empty() ? "" : " ") +
                         std::string(metric.name == kAnalogAccuracyMetric || metric.name == kAnalogAccuracyStdMetric
                                         ? "Simulated for the hardware target "
                                         : "Estimated by the hardware target ") +
                         metric.target + ".";
    }
    return d;
}

std::string formatMetric(const MetricRef &metric, double value)
{
    return formatQuantity(value, describeMetric(metric).displayUnit());
}

MetricRef spreadMetric(const MetricRef &metric)
{
    if (metric.name == kAnalogAccuracyMetric && !metric.target.empty())
        return {std::string(kAnalogAccuracyStdMetric), metric.target};
    return {};
}

std::string MetricRef::toString() const
{
    return target.empty() ? name : name + "@" + target;
}

std::optional<MetricRef> parseMetricRef(std::string_view text, std::string *error)
{
    auto failWith = [&](std::string what) -> std::optional<MetricRef> {
        if (error)
            *error = std::move(what);
        return std::nullopt;
    };
    const auto at = text.find('@');
    const std::string_view name = text.substr(0, at);
    const std::string_view target = at == std::string_view::npos ? std::string_view() : text.substr(at + 1);
    bool nameOk = !name.empty() && name[0] >= 'a' && name[0] <= 'z';
    for (char c : name)
        nameOk = nameOk && isNameChar(c);
    if (!nameOk)
        return failWith("expected a metric name of lowercase letters, digits and '_' starting with a letter, "
                        "optionally followed by \"@target\", got " +
                        quotedInput(text));
    if (at != std::string_view::npos) {
        bool targetOk = !target.empty();
        for (char c : target)
            targetOk = targetOk && isTargetChar(c);
        if (!targetOk)
            return failWith("expected a target id of letters, digits, '_', '-' or '.' after '@', got " +
                            quotedInput(text));
    }
    return MetricRef{std::string(name), std::string(target)};
}

} // namespace psc
