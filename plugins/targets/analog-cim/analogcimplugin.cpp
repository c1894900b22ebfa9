// SPDX-License-Identifier: GPL-3.0-or-later
#include "analogcimplugin.h"

#include "analogcimmodel.h"

std::string AnalogCimTargetPlugin::modelId() const
{
    return psc::targets::analogcim::kAnalogCimModelId;
}

std::string AnalogCimTargetPlugin::modelVersion() const
{
    return psc::targets::analogcim::kAnalogCimModelVersion;
}

std::string AnalogCimTargetPlugin::description() const
{
    return "Layer-serial analog compute-in-memory on PCM crossbars (AON-CiM-like): crossbar tiling, "
           "DAC/ADC energy scaling with resolution, digital periphery, optional per-inference reprogramming";
}

std::unique_ptr<psc::plugin::HardwareTarget> AnalogCimTargetPlugin::create(const std::string &targetId,
                                                                           const psc::plugin::Parameters &parameters,
                                                                           psc::plugin::ParameterError &error) const
{
    const std::optional<psc::targets::analogcim::AnalogCimParameters> p =
        psc::targets::analogcim::parseAnalogCimParameters(parameters, error);
    if (!p)
        return nullptr;
    return std::make_unique<psc::targets::analogcim::AnalogCimTarget>(targetId, *p);
}
