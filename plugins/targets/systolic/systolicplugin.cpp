// SPDX-License-Identifier: GPL-3.0-or-later
#include "systolicplugin.h"

#include "systolicmodel.h"

namespace sys = psc::targets::systolic;

std::string SystolicTargetPlugin::modelId() const
{
    return sys::kModelId;
}

std::string SystolicTargetPlugin::modelVersion() const
{
    return sys::kModelVersion;
}

std::string SystolicTargetPlugin::description() const
{
    return "Systolic array / Systolic Tensor Array: SCALE-Sim-style folds (OS/WS/IS), DBB weight sparsity, "
           "SRAM/DRAM traffic and per-access energy";
}

std::unique_ptr<psc::plugin::HardwareTarget> SystolicTargetPlugin::create(const std::string &targetId,
                                                                          const psc::plugin::Parameters &parameters,
                                                                          psc::plugin::ParameterError &error) const
{
    std::optional<sys::SystolicParameters> p = sys::parseParameters(parameters, error);
    if (!p)
        return nullptr;
    return std::make_unique<sys::SystolicTarget>(targetId, std::move(*p));
}
