// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "psc/plugin/hardwaretarget.h"

#include <string>
#include <vector>

/**
 * @file
 * Optional calibration interface of a cost model: fitting a target's latency parameters to latencies measured
 * on the device (`paretoscope calibrate`). A TargetFactory whose model can be calibrated also derives from
 * LatencyCalibration; the application finds it with latencyCalibration() and never sees the model's sources.
 */
namespace psc::plugin {

/** One measurement: a network as deployed and its measured on-device latency. */
struct LatencySample
{
    NetworkInfo network;
    std::vector<LayerDeployment> deployment; ///< one entry per layer
    double measuredLatencyS = 0.0;           ///< seconds per inference, > 0
};

/** A calibrated target file and how well the fitted model reproduces the measurements. */
struct LatencyFit
{
    std::string targetJson; ///< the complete new target file (fitted values cite the measurements as their source)
    int samples = 0;
    double rSquared = 0.0;         ///< of predicted vs measured latency
    double maxRelativeError = 0.0; ///< max |predicted - measured| / measured
};

/** Implemented by the factories of cost models that can be fitted to measured latencies. */
class LatencyCalibration
{
public:
    virtual ~LatencyCalibration() = default;
    /**
     * Fits the latency parameters of the target whose file text is `targetJson` (already validated: its
     * flattened `parameters` are given too) to `samples`, and returns the new file with id `newId`;
     * `measurementsName` names the measurements in the fitted values' sources. Throws std::invalid_argument
     * for samples that cannot be fitted (too few, non-positive latencies) and std::runtime_error if the file
     * cannot be rewritten. Pure; any thread.
     */
    virtual LatencyFit calibrateLatency(const std::string &targetJson, const Parameters &parameters,
                                        const std::vector<LatencySample> &samples, const std::string &measurementsName,
                                        const std::string &newId) const = 0;
};

/** The calibration interface of `factory`, or nullptr if its model cannot be calibrated. */
inline const LatencyCalibration *latencyCalibration(const TargetFactory *factory)
{
    return dynamic_cast<const LatencyCalibration *>(factory);
}

} // namespace psc::plugin
