// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <psc/plugin/hardwaretarget.h>

#include <QObject>

/**
 * The Qt plugin of the "analog-cim" cost model: a thin factory over psc::targets::analogcim::AnalogCimTarget. Created
 * once by the plugin registry (main thread); create() is const and reentrant, and the returned target is
 * owned by the caller.
 */
class AnalogCimTargetPlugin : public QObject, public psc::plugin::TargetFactory
{
    Q_OBJECT
    Q_PLUGIN_METADATA(IID PSC_TARGET_FACTORY_IID FILE "plugin.json")
    Q_INTERFACES(psc::plugin::TargetFactory)
public:
    std::string modelId() const override;
    std::string modelVersion() const override;
    std::string description() const override;
    std::unique_ptr<psc::plugin::HardwareTarget> create(const std::string &targetId,
                                                        const psc::plugin::Parameters &parameters,
                                                        psc::plugin::ParameterError &error) const override;
};
