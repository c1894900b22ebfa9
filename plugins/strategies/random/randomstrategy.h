// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <psc/plugin/searchstrategy.h>

#include <QObject>

namespace psc::strategies {

/**
 * Uniform random search. Candidate k is a pure function of (seed, k), so the whole state is two numbers
 * and a resumed study continues exactly the sequence it would have produced uninterrupted.
 */
class RandomStrategy : public plugin::SearchStrategy
{
public:
    void initialize(const std::vector<int> &cardinalities, std::uint64_t seed) override;
    plugin::Encoding ask() override;
    std::string lastProposal() const override { return "random"; }
    void tell(const plugin::Encoding &, const std::vector<double> &, bool) override {}
    std::string saveState() const override;
    void loadState(const std::string &json) override;

private:
    std::vector<int> m_cardinalities;
    std::uint64_t m_seed = 0;
    std::uint64_t m_asked = 0;
};

} // namespace psc::strategies

class RandomStrategyPlugin : public QObject, public psc::plugin::StrategyFactory
{
    Q_OBJECT
    Q_PLUGIN_METADATA(IID PSC_STRATEGY_FACTORY_IID FILE "plugin.json")
    Q_INTERFACES(psc::plugin::StrategyFactory)
public:
    std::string id() const override { return "random"; }
    std::string description() const override { return "Uniform random sampling of the search space"; }
    std::unique_ptr<psc::plugin::SearchStrategy> create() const override;
};
