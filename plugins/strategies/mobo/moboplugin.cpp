// SPDX-License-Identifier: GPL-3.0-or-later
#include "moboplugin.h"

#include "mobo.h"

std::string MoboStrategyPlugin::description() const
{
    return "Multi-objective Bayesian optimisation: exact costs, a Gaussian process for accuracy, expected hypervolume "
           "improvement, Kriging-believer batches";
}

std::unique_ptr<psc::plugin::SearchStrategy> MoboStrategyPlugin::create() const
{
    return std::make_unique<psc::strategies::MoboStrategy>();
}
