// SPDX-License-Identifier: GPL-3.0-or-later
#include "npuplugin.h"

#include "npumodel.h"

std::string NpuTargetPlugin::modelId() const
{
    return psc::targets::npu::kModelId;
}

std::string NpuTargetPlugin::modelVersion() const
{
    return psc::targets::npu::kModelVersion;
}

std::string NpuTargetPlugin::description() const
{
    return "Arm Ethos-U55/U65 microNPU: Vela 3.10's cycles, SRAM use and weight encoding; host fallback for "
           "unsupported operators";
}

std::unique_ptr<psc::plugin::HardwareTarget> NpuTargetPlugin::create(const std::string &targetId,
                                                                     const psc::plugin::Parameters &parameters,
                                                                     psc::plugin::ParameterError &error) const
{
    auto config = psc::targets::npu::parseConfig(parameters, error);
    if (!config)
        return nullptr;
    return std::make_unique<psc::targets::npu::NpuTarget>(targetId, std::move(*config));
}
