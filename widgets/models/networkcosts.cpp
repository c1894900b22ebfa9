// SPDX-License-Identifier: GPL-3.0-or-later
#include "models/networkcosts.h"

#include "psc/net/analysis.h"
#include "psc/targets/targetlibrary.h"

namespace psc {

NetworkCosts estimateOnTargets(const TargetLibrary &library, const NetworkDescription &network,
                               const WeightValues *weights, const QStringList &targetIds)
{
    NetworkCosts costs;
    const ModelAnalysis analysis = analyzeNetwork(network);
    for (const LayerAnalysis &l : analysis.layers) {
        costs.macs[l.name] = l.macs;
        costs.weightBytes[l.name] = l.weightBytes;
    }
    const plugin::NetworkInfo info = toNetworkInfo(network, analysis);
    std::vector<plugin::LayerDeployment> deployment = defaultDeployment(network);
    if (weights)
        attachWeightValues(deployment, info, *weights);
    std::vector<std::string> ids;
    if (targetIds.isEmpty())
        for (const TargetDefinition *d : library.definitions())
            ids.push_back(d->id);
    else
        for (const QString &id : targetIds)
            ids.push_back(id.toStdString());
    for (const std::string &id : ids)
        if (const auto target = library.target(id)) {
            costs.estimates.push_back(target->estimate(info, deployment));
            costs.estimates.back().targetId = id;
        }
    return costs;
}

} // namespace psc
