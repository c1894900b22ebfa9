// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "psc/net/network.h"
#include "psc/plugin/hardwaretarget.h"
#include "psc/targets/costinput.h"

#include <QStringList>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace psc {

class TargetLibrary;

/** A network costed on hardware targets as it deploys, with what the analysis says per layer. */
struct NetworkCosts
{
    std::vector<plugin::CostEstimate> estimates;     ///< one per target, in the order asked for (targetId set)
    std::map<std::string, std::int64_t> macs;        ///< per layer
    std::map<std::string, std::int64_t> weightBytes; ///< deployed constant bytes per layer (LayerAnalysis)
};

/**
 * Costs `network` on the targets `targetIds` of `library` (every loaded target if empty; unknown ids are skipped)
 * as the study does: each layer at its own bit-widths and sparsity (defaultDeployment()), weight encodings from
 * `weights` when given (the trained values), else from the documented prior. Microseconds per target: callers on
 * the GUI thread need no pool. Throws what the analysis throws for a network it cannot analyse. Pure.
 */
NetworkCosts estimateOnTargets(const TargetLibrary &library, const NetworkDescription &network,
                               const WeightValues *weights, const QStringList &targetIds = {});

} // namespace psc
