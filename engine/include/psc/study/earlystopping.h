// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "psc/study/studyspec.h"
#include "psc/study/trial.h"

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace psc {

/**
 * Decides, after each training epoch, whether a trial goes on (docs/search.md, "Early stopping"). It judges the
 * float validation accuracy at an epoch against what the study's other trials reached at the same epoch: their
 * stored learning curves (addHistory(), from earlier runs and finished trials) and the epochs that trainings in
 * flight have reported. Larger accuracies are better.
 *
 * - asha (Li et al. 2020, asynchronous successive halving): rungs at min_epochs x reduction_factor^k epochs below
 *   the training's epochs. A trial reaching a rung goes on if it is among the best max(1, floor(n / reduction_factor))
 *   of the n trials recorded at that rung, its own included; so the first trial at a rung always goes on, and in the
 *   long run 1/reduction_factor of the trials are promoted. "Best" is multi-objective when the trials' exact costs
 *   are known (setCosts()): the rung's trials are ordered by non-dominated sorting of (costs, accuracy at the rung),
 *   then crowding distance, as MO-ASHA does (Schmucker et al. 2021); a small network with a lower accuracy can be
 *   on the front and goes on. Without costs, by accuracy alone.
 * - median (Golovin et al. 2017): from min_epochs on, a trial whose accuracy is below the median of the other
 *   trials' accuracies at the same epoch stops, once at least startup_trials of them have one.
 *
 * Thread-safe: trainings on several threads report at once. The decisions depend on the order of reports, so a
 * study with parallel trainings is reproducible only up to that order (as in Optuna).
 */
class EarlyStopper
{
public:
    /** `epochs`: the recipe's training epochs; no decision is taken at the last one. */
    EarlyStopper(EarlyStoppingSpec spec, int epochs);

    bool enabled() const { return m_spec.type != EarlyStoppingSpec::Type::None; }
    /**
     * A finished trial's learning curve and its exact costs (costsOf()): its values count at every epoch it reached.
     */
    void addHistory(const std::vector<double> &curve, const std::vector<double> &costs = {});
    /** The exact costs of trial `trial` (costsOf() of its metrics before training), before it reports. */
    void setCosts(std::int64_t trial, std::vector<double> costs);
    /**
     * The objectives of `spec` known before training, minimised (maximised ones negated), from `metrics`: every
     * objective but the model metrics measured by training (accuracies). Empty if one is missing.
     */
    static std::vector<double> costsOf(const StudySpec &spec, const std::vector<Metric> &metrics);
    /**
     * Trial `trial` reached `epoch` (1-based) with validation accuracy `value`: records it and returns false if
     * the trial should stop, with the reason in why(trial).
     */
    bool report(std::int64_t trial, int epoch, double value);
    /**
     * Why `trial` was stopped ("" if it was not), e.g. "asha: 61.27 % validation accuracy at epoch 1 is not among the
     * best 2 of 8 at that rung (cut-off 63.13 %)".
     */
    std::string why(std::int64_t trial) const;
    /** The epochs at which asha decides (its rungs); empty for the other rules. */
    std::vector<int> rungs() const;

private:
    struct Entry
    {
        std::vector<double> costs; ///< exact costs, minimised; empty if unknown
        double value = 0.0;        ///< validation accuracy at the epoch
    };
    bool decide(std::int64_t trial, int epoch, double value);
    bool promoteAtRung(std::int64_t trial, int epoch, const std::vector<Entry> &here);

    EarlyStoppingSpec m_spec;
    int m_epochs;
    mutable std::mutex m_mutex;
    std::map<int, std::vector<Entry>> m_values; ///< by epoch: every value recorded there, with its trial's costs
    std::map<std::int64_t, std::vector<double>> m_costs;
    std::map<std::int64_t, std::string> m_why;
};

} // namespace psc
