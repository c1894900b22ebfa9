// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "gp.h"

#include <psc/plugin/searchstrategy.h>

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

/**
 * @file
 * Multi-objective Bayesian optimisation for studies whose objectives are partly exact before training (size, MACs,
 * hardware costs: the engine's cost oracle answers them) and partly known only after it (accuracy). Only the latter
 * get a surrogate: one Gaussian process each (gp.h). A candidate's acquisition is its expected hypervolume
 * improvement (EHVI) over the current front, with its exact costs and the predicted distribution of its trained
 * objectives; with one trained objective it is computed in closed form (see ehviOneUncertain()), with several by a
 * fixed set of Monte Carlo draws. It is maximised over a pool of random feasible candidates plus every one-choice
 * neighbour of the front. Candidates asked but not yet told (trainings in flight) are Kriging-believer fantasies:
 * their predicted mean joins the GP's data and the front, so a batch of parallel asks spreads out instead of
 * proposing the same candidate (Ginsbourger et al. 2010). Until `initial_trials` are told, candidates are random.
 */
namespace psc::strategies {

struct MoboOptions
{
    int initialTrials = 10; ///< random feasible candidates before the surrogate is used
    int candidates = 2000;  ///< random candidates scored per ask (plus the front's neighbours)
    int samples = 64;       ///< Monte Carlo draws of EHVI with two or more trained objectives
};

/** Reads the options object; throws std::invalid_argument naming the option and what was expected. */
MoboOptions parseMoboOptions(const std::string &json);

/**
 * Hypervolume dominated by `points` (minimised, each of the reference's size) within the box below `reference`;
 * points not below the reference in every objective add nothing. Exact, by slicing along the last objective.
 */
double hypervolume(std::vector<std::vector<double>> points, const std::vector<double> &reference);

/**
 * Expected hypervolume improvement of a candidate whose objectives are `known` (the exact ones) and one uncertain
 * objective ~ N(mean, sd^2), over `front` (points with the known objectives first and the uncertain one last), all
 * minimised, within the box below `reference` (same layout). Closed form: the improvement at value y is the integral
 * over t from y to the reference of A(t), the volume of the known-objective box [known, reference) not covered by
 * the front points whose uncertain objective is <= t; A is a step function, so E = sum_k A_k sd [psi(z_k+1) -
 * psi(z_k)] with psi(z) = z Phi(z) + phi(z).
 */
double ehviOneUncertain(const std::vector<double> &known, double mean, double sd,
                        const std::vector<std::vector<double>> &front, const std::vector<double> &reference);

class MoboStrategy : public plugin::SearchStrategy
{
public:
    void configure(const std::string &optionsJson) override;
    void initialize(const std::vector<int> &cardinalities, std::uint64_t seed) override;
    void setCostOracle(plugin::CostOracle oracle) override;
    plugin::Encoding ask() override;
    std::string lastProposal() const override { return m_lastProposal; }
    void tell(const plugin::Encoding &candidate, const std::vector<double> &objectives, bool feasible) override;
    void tellPruned(const plugin::Encoding &candidate, const std::vector<double> &objectives) override;
    /** The random stream, the count asked and the candidates in flight; told trials are told again on resume. */
    std::string saveState() const override;
    void loadState(const std::string &json) override;

    const MoboOptions &options() const { return m_options; }

private:
    struct Told
    {
        plugin::Encoding x;
        std::vector<double> f; ///< minimised objectives as told
        bool feasible = false; ///< complete and within every constraint
    };
    const plugin::CandidateCosts &costs(const plugin::Encoding &x);
    std::vector<double> features(const plugin::Encoding &x) const;
    plugin::Encoding randomCandidate();
    bool usable(const plugin::Encoding &x);
    plugin::Encoding bestByAcquisition();
    void record(const plugin::Encoding &x, const std::vector<double> &f, bool feasible);

    MoboOptions m_options;
    std::vector<int> m_cardinalities;
    std::uint64_t m_seed = 0, m_rng = 0, m_asked = 0;
    std::string m_lastProposal; ///< "initial", "model" or "random" (the surrogate had nothing)
    plugin::CostOracle m_oracle;
    std::map<plugin::Encoding, plugin::CandidateCosts> m_costCache;
    std::set<std::string> m_identities;                ///< of every candidate asked or told
    std::map<std::string, plugin::Encoding> m_pending; ///< asked, not told: by identity
    std::vector<Told> m_told;
    struct Fit
    {
        std::size_t points = 0; ///< data size of the last hyper-parameter search
        GpHyperparameters hyper;
    };
    std::vector<Fit> m_fits; ///< per learned objective; rebuilt from the told trials' order, so resumes agree
};

} // namespace psc::strategies
