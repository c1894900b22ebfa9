// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <psc/plugin/calibration.h>
#include <psc/plugin/hardwaretarget.h>

#include <QObject>

/**
 * The Qt plugin of the "mcu" cost model: a thin factory over psc::targets::mcu::McuTarget, and its latency calibration
 * (psc::plugin::LatencyCalibration). Stateless; create() and calibrateLatency() may be called from any thread
 * and the returned target is owned by the caller.
 */
class McuTargetPlugin : public QObject, public psc::plugin::TargetFactory, public psc::plugin::LatencyCalibration
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
    psc::plugin::LatencyFit calibrateLatency(const std::string &targetJson, const psc::plugin::Parameters &parameters,
                                             const std::vector<psc::plugin::LatencySample> &samples,
                                             const std::string &measurementsName,
                                             const std::string &newId) const override;
};
