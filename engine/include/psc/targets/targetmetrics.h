// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "psc/study/trial.h"

#include <psc/plugin/hardwaretarget.h>

#include <string>
#include <vector>

namespace psc {

/**
 * Metrics every target reports, usable as "name@target" in study objectives and constraints:
 * latency_s, energy_j, cycles, peak_sram_bytes (peak working memory), weight_storage_bytes, utilization
 * and feasible (1 or 0). A target's model-specific extras (e.g. tops_per_w, flash_bytes) are added under
 * their own names.
 */
const std::vector<std::string> &standardTargetMetricNames();

/**
 * The metric names a configured target reports, in targetMetrics() order: the standard ones, then its
 * model's extras. The plugin interface has no listing, so they are read from one estimate of a small fixed
 * probe network (a convolution, a pooling and a dense layer); a model's extras are fixed per configured
 * target, not per network. Pure; any thread.
 */
std::vector<std::string> targetMetricNames(const plugin::HardwareTarget &target);

/** The metrics of one estimate, each tagged with `targetId`. */
std::vector<Metric> targetMetrics(const std::string &targetId, const plugin::CostEstimate &estimate);

/** "; "-joined messages of the target's violated limits, prefixed with the target id; "" if it fits. */
std::string limitViolations(const std::string &targetId, const plugin::CostEstimate &estimate);

} // namespace psc
