// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <psc/plugin/searchstrategy.h>

#include <QObject>

namespace psc::strategies {

/**
 * Exhaustive search: candidate k is k written in the mixed radix of the dimensions' cardinalities, the last
 * dimension counting fastest, so the whole space is asked once in its product size and then again from the start.
 * The state is the count asked. Useful to enumerate a small space (the tabular benchmark is made this way) and as
 * the baseline that cannot miss anything.
 */
class GridStrategy : public plugin::SearchStrategy
{
public:
    void initialize(const std::vector<int> &cardinalities, std::uint64_t seed) override;
    plugin::Encoding ask() override;
    std::string lastProposal() const override { return "grid"; }
    void tell(const plugin::Encoding &, const std::vector<double> &, bool) override {}
    std::string saveState() const override;
    void loadState(const std::string &json) override;

private:
    std::vector<int> m_cardinalities;
    std::uint64_t m_asked = 0;
};

} // namespace psc::strategies

class GridStrategyPlugin : public QObject, public psc::plugin::StrategyFactory
{
    Q_OBJECT
    Q_PLUGIN_METADATA(IID PSC_STRATEGY_FACTORY_IID FILE "plugin.json")
    Q_INTERFACES(psc::plugin::StrategyFactory)
public:
    std::string id() const override { return "grid"; }
    std::string description() const override { return "Every point of the search space in order"; }
    std::unique_ptr<psc::plugin::SearchStrategy> create() const override;
};
