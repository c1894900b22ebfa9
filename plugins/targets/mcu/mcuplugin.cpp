// SPDX-License-Identifier: GPL-3.0-or-later
#include "mcuplugin.h"

#include "mcumodel.h"

std::string McuTargetPlugin::modelId() const
{
    return psc::mcu::kModelId;
}

std::string McuTargetPlugin::modelVersion() const
{
    return psc::mcu::kModelVersion;
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
    std::optional<psc::mcu::McuParameters> p = psc::mcu::parseMcuParameters(parameters, error);
    if (!p)
        return nullptr;
    return std::make_unique<psc::mcu::McuTarget>(targetId, std::move(*p));
}
