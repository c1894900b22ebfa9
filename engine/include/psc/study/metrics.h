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
};

/** Every model metric, in a stable order (the order of columns and axis menus). */
std::span<const MetricInfo> modelMetrics();
/** The model metric called `name`, or nullptr. */
const MetricInfo *findModelMetric(std::string_view name);
/** "accuracy, test_accuracy, ..." for error messages. */
std::string modelMetricNames();

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

/**
 * Splits "name" or "name@target". Names are [a-z0-9_]+ starting with a letter, targets [A-Za-z0-9_.-]+.
 * Only the syntax is checked: unknown model metrics and unknown targets are the caller's to reject.
 * Returns nullopt and sets `error` (if given) to what was expected.
 */
std::optional<MetricRef> parseMetricRef(std::string_view text, std::string *error = nullptr);

} // namespace psc
