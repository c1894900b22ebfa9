// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <psc/plugin/searchstrategy.h>

#include <cstdint>
#include <set>
#include <string>
#include <vector>

/**
 * @file
 * NSGA-II (Deb, Pratap, Agarwal, Meyarivan, IEEE TEC 6(2), 2002) as an ask/tell strategy on a categorical space.
 * The population is the best `population` of every trial told so far (non-dominated sorting with Deb's
 * constraint-domination: a feasible trial dominates an infeasible or failed one; then crowding distance); each new
 * candidate is the child of two binary tournaments on (rank, crowding), by uniform crossover and per-dimension
 * mutation to another choice. Until `population` trials are told, candidates are uniform random. Asking is
 * asynchronous: a child is proposed from whatever has been told, so parallel trainings never wait for a generation.
 */
namespace psc::strategies {

struct Nsga2Options
{
    int population = 16;        ///< survivors kept as parents; also the size of the random start
    double crossoverRate = 0.9; ///< probability a child mixes two parents (else it copies the first)
    double mutationRate = -1;   ///< per-dimension probability of a new choice; < 0: 1 / dimensions
};

/** Reads the options object; throws std::invalid_argument naming the option and what was expected. */
Nsga2Options parseNsga2Options(const std::string &json);

/** Non-dominated ranks (0 = the front) of `objectives` (minimised), infeasible points after every feasible one. */
std::vector<int> nondominatedRanks(const std::vector<std::vector<double>> &objectives,
                                   const std::vector<bool> &feasible);
/** Crowding distance of each point within its rank (infinite at the boundaries of every objective). */
std::vector<double> crowdingDistances(const std::vector<std::vector<double>> &objectives,
                                      const std::vector<int> &ranks);

class Nsga2Strategy : public plugin::SearchStrategy
{
public:
    void configure(const std::string &optionsJson) override;
    void initialize(const std::vector<int> &cardinalities, std::uint64_t seed) override;
    plugin::Encoding ask() override;
    std::string lastProposal() const override { return m_lastProposal; }
    void tell(const plugin::Encoding &candidate, const std::vector<double> &objectives, bool feasible) override;
    /** The random stream and what was asked; the told trials are told again by the runner on resume. */
    std::string saveState() const override;
    void loadState(const std::string &json) override;

    const Nsga2Options &options() const { return m_options; }
    /** Indices into the told trials of the current parents (after survival). */
    std::vector<std::size_t> parents() const;

private:
    struct Told
    {
        plugin::Encoding x;
        std::vector<double> f;
        bool feasible = false;
    };
    int below(int n);
    double unit();
    plugin::Encoding randomCandidate();
    Nsga2Options m_options;
    std::vector<int> m_cardinalities;
    std::uint64_t m_seed = 0, m_rng = 0, m_asked = 0;
    std::string m_lastProposal; ///< "initial", "offspring" or "random" (no new child found)
    std::set<plugin::Encoding> m_seen;
    std::vector<Told> m_told;
};

} // namespace psc::strategies
