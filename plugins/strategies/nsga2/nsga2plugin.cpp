// SPDX-License-Identifier: GPL-3.0-or-later
#include "nsga2plugin.h"

#include "nsga2.h"

std::string Nsga2StrategyPlugin::description() const
{
    return "NSGA-II: non-dominated sorting, crowding, uniform crossover and mutation on the search space";
}

std::unique_ptr<psc::plugin::SearchStrategy> Nsga2StrategyPlugin::create() const
{
    return std::make_unique<psc::strategies::Nsga2Strategy>();
}
