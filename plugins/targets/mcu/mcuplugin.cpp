// SPDX-License-Identifier: GPL-3.0-or-later
#include "mcuplugin.h"

#include "mcucalibration.h"
#include "mcumodel.h"

#include <stdexcept>

std::string McuTargetPlugin::modelId() const
{
    return psc::targets::mcu::kModelId;
}

std::string McuTargetPlugin::modelVersion() const
{
    return psc::targets::mcu::kModelVersion;
}

std::string McuTargetPlugin::description() const
{
    return "Cortex-M MCU with TFLite Micro + CMSIS-NN: per-operator linear latency plus per-layer overhead, "
           "TFLM arena SRAM with im2col scratch, flash, energy = active power x latency";
}

std::unique_ptr<psc::plugin::HardwareTarget> McuTargetPlugin::create(const std::string &targetId,
                                                                     const psc::plugin::Parameters &parameters,
                                                                     psc::plugin::ParameterError &error) const
{
    std::optional<psc::targets::mcu::McuParameters> p = psc::targets::mcu::parseMcuParameters(parameters, error);
    if (!p)
        return nullptr;
    return std::make_unique<psc::targets::mcu::McuTarget>(targetId, std::move(*p));
}

psc::plugin::LatencyFit McuTargetPlugin::calibrateLatency(const std::string &targetJson,
                                                          const psc::plugin::Parameters &parameters,
                                                          const std::vector<psc::plugin::LatencySample> &samples,
                                                          const std::string &measurementsName,
                                                          const std::string &newId) const
{
    psc::plugin::ParameterError parameterError;
    const std::optional<psc::targets::mcu::McuParameters> p =
        psc::targets::mcu::parseMcuParameters(parameters, parameterError);
    if (!p)
        throw std::invalid_argument("parameter \"" + parameterError.parameter + "\": " + parameterError.message);
    std::vector<psc::targets::mcu::McuSample> mcuSamples;
    mcuSamples.reserve(samples.size());
    for (const psc::plugin::LatencySample &s : samples)
        mcuSamples.push_back({s.network, s.deployment, s.measuredLatencyS});
    const psc::targets::mcu::McuCalibration fit = psc::targets::mcu::fitMcuLatency(mcuSamples, p->clockHz);
    std::string error;
    psc::plugin::LatencyFit out;
    out.targetJson = psc::targets::mcu::calibratedTargetJson(targetJson, fit, measurementsName, newId, error);
    if (out.targetJson.empty())
        throw std::runtime_error(error);
    out.samples = fit.samples;
    out.rSquared = fit.rSquared;
    out.maxRelativeError = fit.maxRelativeError;
    return out;
}
