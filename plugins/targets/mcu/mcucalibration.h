// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "mcumodel.h"

#include <array>
#include <string>
#include <vector>

/**
 * @file
 * Fitting the MCU latency model to measured latencies (for `paretoscope calibrate`), and writing the fitted
 * slopes back into a target file. Pure functions; any thread.
 */
namespace psc::targets::mcu {

/** One measurement: a network as deployed and its measured on-device latency (seconds per inference). */
struct McuSample
{
    plugin::NetworkInfo network;
    std::vector<plugin::LayerDeployment> deployment; ///< kept for the record: MCU kernels ignore it for latency
    double measuredLatencyS = 0.0;
};

/** The regressors of one network: total work per WorkClass and the number of operator invocations. */
struct McuFeatures
{
    std::array<double, kWorkClasses> work{};
    double invocations = 0.0;
};

McuFeatures networkFeatures(const plugin::NetworkInfo &network);

/** Fitted latency parameters with their goodness of fit. */
struct McuCalibration
{
    std::array<double, kWorkClasses> slopes{}; ///< cycles per unit of work, indexed by WorkClass
    double overheadCyclesPerLayer = 0.0;
    /// False for a counter no sample exercised (its slope cannot be fitted; keep the prior).
    std::array<bool, kWorkClasses> slopeIdentified{};
    bool overheadIdentified = false;
    double clockHz = 0.0;
    int samples = 0;
    double rSquared = 0.0;         ///< of predicted vs measured latency
    double maxRelativeError = 0.0; ///< max |predicted - measured| / measured
};

/**
 * Fits the non-negative slopes and the per-layer overhead by non-negative least squares on relative errors
 * (measured latencies span orders of magnitude; relative weighting keeps small networks from being ignored).
 * Exact NNLS: every support set is tried, which is cheap for six unknowns. Throws std::invalid_argument for a
 * non-positive clock or latency, or fewer samples than identifiable parameters.
 */
McuCalibration fitMcuLatency(const std::vector<McuSample> &samples, double clockHz);

/**
 * Returns `targetJson` (the text of a target file of model "mcu") with the identified latency parameters replaced
 * by the fitted values (a slope fitted to 0 keeps its prior), their sources saying "calibrated from N measurements
 * (measurementsName)". If `newId` is not empty it becomes the file's id. On invalid input returns "" and fills `error`.
 */
std::string calibratedTargetJson(const std::string &targetJson, const McuCalibration &fit,
                                 const std::string &measurementsName, const std::string &newId, std::string &error);

} // namespace psc::targets::mcu
