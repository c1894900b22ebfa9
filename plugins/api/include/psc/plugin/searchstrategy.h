// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QtPlugin>

#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace psc::plugin {

/**
 * Version of the plugin API; plugin.json's "apiVersion" must match its major number. 2: LayerCost reports compute,
 * stall and host cycles, LayerDeployment carries trained weight values, strategies take options. 3: strategies get a
 * cost oracle (the exact objectives known before training) and are told about trials stopped early. 4: strategies say
 * what proposed each candidate (SearchStrategy::lastProposal()).
 */
inline constexpr int kApiMajorVersion = 4;

/** A point of the search space: one choice index per dimension, each in [0, cardinality). */
using Encoding = std::vector<int>;

/** What the engine knows about a candidate before training it (SearchStrategy::setCostOracle()). */
struct CandidateCosts
{
    /// One value per objective, minimised as tell() gets them; NaN for those known only after training (accuracy).
    std::vector<double> objectives;
    /// False if the candidate breaks a constraint known before training (the engine would not train it) or cannot
    /// be built at all.
    bool feasible = true;
    /// Equal for encodings that make the same network (choices a network does not use, e.g. the third block's when
    /// it has two): the engine trains one of them only.
    std::string identity;
};

/** The engine's exact pre-training evaluation of a candidate: architecture analysis and hardware costs. */
using CostOracle = std::function<CandidateCosts(const Encoding &)>;

/**
 * An ask/tell search strategy over a categorical space. Objectives passed to tell() are all to be
 * minimised (the engine negates maximised ones). An instance is used from one thread at a time; it holds
 * no global state, so several studies can each have their own. saveState()/loadState() round-trip the
 * whole state as JSON text so that a resumed study continues the same sequence.
 */
class SearchStrategy
{
public:
    virtual ~SearchStrategy() = default;
    /**
     * The spec's "strategy": {"options": {...}} as JSON text, before initialize(). Throws std::invalid_argument naming
     * the option and what was expected ("population: expected a whole number in [4, 10000], got 2"). The default
     * takes no options.
     */
    virtual void configure(const std::string &optionsJson)
    {
        if (optionsJson.find_first_not_of(" \t\r\n{}") != std::string::npos)
            throw std::invalid_argument("this strategy takes no options, got " + optionsJson);
    }
    /** Called once before ask(): the number of choices per dimension and the study's seed. */
    virtual void initialize(const std::vector<int> &cardinalities, std::uint64_t seed) = 0;
    /** Proposes the next candidate. */
    virtual Encoding ask() = 0;
    /**
     * What made the candidate the last ask() returned, in a word: "initial" (a starting design), "model" (a surrogate's
     * choice), "offspring" (crossover and mutation), "random", ... The study records it with the trial
     * (Trial::proposedBy, "<strategy id>:<word>") and the GUI filters on it. Empty if the strategy does not say.
     */
    virtual std::string lastProposal() const { return {}; }
    /** Reports a finished candidate; `feasible` is false for failed or infeasible trials. */
    virtual void tell(const Encoding &candidate, const std::vector<double> &objectives, bool feasible) = 0;
    /**
     * Reports a candidate whose training the study's early-stopping rule stopped: `objectives` hold its exact costs
     * and its trained objectives as of the last epoch it ran (a pessimistic value). The default tells it as
     * infeasible, i.e. dominated.
     */
    virtual void tellPruned(const Encoding &candidate, const std::vector<double> &objectives)
    {
        tell(candidate, objectives, false);
    }
    /**
     * Given once after initialize(), before the first ask(): the exact pre-training objectives of any candidate, so a
     * strategy can judge many candidates without training them. Called on the ask() thread; about 20-50 us per call.
     * Ignored by default.
     */
    virtual void setCostOracle(CostOracle oracle) { (void)oracle; }
    virtual std::string saveState() const = 0;
    /** Restores a state written by saveState(); throws std::invalid_argument if it is not one. */
    virtual void loadState(const std::string &json) = 0;
};

/** The Qt plugin interface: a factory per strategy. */
class StrategyFactory
{
public:
    virtual ~StrategyFactory() = default;
    virtual std::string id() const = 0;          ///< e.g. "random"; used in study specs
    virtual std::string description() const = 0; ///< one line for `--help` and the GUI
    virtual std::unique_ptr<SearchStrategy> create() const = 0;
};

} // namespace psc::plugin

#define PSC_STRATEGY_FACTORY_IID "org.paretoscope.SearchStrategy/4.0"
Q_DECLARE_INTERFACE(psc::plugin::StrategyFactory, PSC_STRATEGY_FACTORY_IID)
