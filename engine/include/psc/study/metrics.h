// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "psc/core/direction.h"

#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace psc {

/** "min" or "max", as written in study specs. */
std::string_view toString(Direction direction);

/**
 * A model metric: a number measured on the candidate network itself, independent of any hardware target.
 * Units are SI base units ("B" bytes, "s" seconds); an empty unit means a plain count or a fraction.
 */
struct MetricInfo
{
    std::string_view name;                  ///< identifier used in study specs and the database, e.g. "weight_bytes"
    std::string_view label;                 ///< short axis label, e.g. "Weight memory"
    std::string_view unit;                  ///< "B", "s", "MAC" or "" (fractions and counts)
    std::string_view description;           ///< one sentence for tooltips and `--help`
    Direction better = Direction::Minimize; ///< the natural direction, used when an objective omits it
    /** True if known from the architecture alone, so a constraint on it can reject a candidate untrained. */
    bool beforeTraining = true;
    bool fraction = false; ///< a share in [0, 1] (accuracies, utilisation), shown as a percentage
};

/** Every model metric, in a stable order (the order of columns and axis menus). */
std::span<const MetricInfo> modelMetrics();
/** The model metric called `name`, or nullptr. */
const MetricInfo *findModelMetric(std::string_view name);
/** "accuracy, test_accuracy, ..." for error messages. */
std::string modelMetricNames();

/**
 * The metrics every hardware target reports (usable as "name@target"), in a stable order: latency_s, energy_j,
 * cycles, peak_sram_bytes, weight_storage_bytes, utilization, feasible. A target's own extras (e.g. tops_per_w,
 * flash_bytes) are not listed; describeMetric() describes them from their names.
 */
std::span<const MetricInfo> standardTargetMetrics();
/** The standard target metric called `name`, or nullptr. */
const MetricInfo *findStandardTargetMetric(std::string_view name);

/**
 * The accuracy an analog compute-in-memory target ("analog-cim" model) gets from the simulated crossbar after
 * training ("analog_accuracy@aon-cim"; docs/analog.md): not a cost estimate, so not among the standard target
 * metrics, and not known before training.
 */
inline constexpr std::string_view kAnalogAccuracyMetric = "analog_accuracy";
/** The sample standard deviation of analog_accuracy over the device draws (the plot's error bars). */
inline constexpr std::string_view kAnalogAccuracyStdMetric = "analog_accuracy_std";

/**
 * A reference to a metric, as written in objectives and constraints: "name" for a model metric or
 * "name@target" for a metric a hardware target estimates (e.g. "latency_s@stm32f746zg").
 */
struct MetricRef
{
    std::string name;
    std::string target; ///< empty for model metrics

    /** "name" or "name@target". */
    std::string toString() const;
    bool operator==(const MetricRef &) const = default;
};

/** The error-bar metric belonging to `metric` (analog_accuracy@T -> analog_accuracy_std@T); empty name if none. */
MetricRef spreadMetric(const MetricRef &metric);

/**
 * Splits "name" or "name@target". Names are [a-z0-9_]+ starting with a letter, targets [A-Za-z0-9_.-]+.
 * Only the syntax is checked: unknown model metrics and unknown targets are the caller's to reject.
 * Returns nullopt and sets `error` (if given) to what was expected.
 */
std::optional<MetricRef> parseMetricRef(std::string_view text, std::string *error = nullptr);

/** What a metric is and how to show it: describeMetric(). */
struct MetricDescription
{
    std::string label;       ///< "Weight memory"; a target metric names its target: "Latency (stm32f746zg)"
    std::string unit;        ///< the SI unit values are stored in: "B", "s", "J", "W", "MAC" or "" (counts)
    std::string description; ///< one sentence for tooltips; a target metric adds which target estimates it
    Direction better = Direction::Minimize; ///< the natural direction when an objective does not give one
    bool fraction = false;                  ///< a share in [0, 1], shown as a percentage
    bool known = false; ///< in the registry (a model or standard target metric), not described from its name alone
    /** The unit formatQuantity() takes: "%" for fractions, else `unit`. */
    std::string displayUnit() const { return fraction ? std::string("%") : unit; }
};

/**
 * The one registry lookup for any metric reference. A model metric ("weight_bytes") and a standard target
 * metric ("latency_s@mcu", or "latency_s" alone) come from the tables above. Any other name, such as a target's
 * extra metric, is described from its name: the unit from its suffix (_bytes B, _s s, _j J, _w W, _macs MAC;
 * rates named "x_per_y" have none and are better larger), a name containing "accuracy" is a fraction to
 * maximise, the label is the name without the unit suffix, spaced and capitalised ("sram_read_bytes" ->
 * "Sram read"). A target's id is appended to the label in parentheses. Pure; any thread.
 */
MetricDescription describeMetric(const MetricRef &metric);

/** `value` of `metric` with its unit as docs/design.md fixes it: formatQuantity(value, displayUnit()). */
std::string formatMetric(const MetricRef &metric, double value);

} // namespace psc
