// SPDX-License-Identifier: GPL-3.0-or-later
#include "psc/study/earlystopping.h"

#include "psc/pareto/pareto.h"
#include "psc/study/metrics.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <numeric>

namespace psc {

namespace {

std::string percent(double v)
{
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2f %%", 100.0 * v);
    return buf;
}

} // namespace

EarlyStopper::EarlyStopper(EarlyStoppingSpec spec, int epochs) : m_spec(spec), m_epochs(epochs) {}

std::vector<int> EarlyStopper::rungs() const
{
    std::vector<int> out;
    if (m_spec.type != EarlyStoppingSpec::Type::Asha)
        return out;
    for (long long r = m_spec.minEpochs; r < m_epochs; r *= m_spec.reductionFactor)
        out.push_back(int(r));
    return out;
}

std::vector<double> EarlyStopper::costsOf(const StudySpec &spec, const std::vector<Metric> &metrics)
{
    std::vector<double> costs;
    for (const Objective &o : spec.objectives) {
        if (o.metric.target.empty())
            if (const MetricInfo *info = findModelMetric(o.metric.name); info && !info->beforeTraining)
                continue; // learned: judged by the rung's accuracy
        const auto v = metricValue(metrics, o.metric);
        if (!v || !std::isfinite(*v))
            return {};
        costs.push_back(o.direction == Direction::Maximize ? -*v : *v);
    }
    return costs;
}

void EarlyStopper::addHistory(const std::vector<double> &curve, const std::vector<double> &costs)
{
    std::lock_guard lock(m_mutex);
    for (std::size_t e = 0; e < curve.size(); ++e)
        if (std::isfinite(curve[e]))
            m_values[int(e) + 1].push_back({costs, curve[e]});
}

void EarlyStopper::setCosts(std::int64_t trial, std::vector<double> costs)
{
    std::lock_guard lock(m_mutex);
    m_costs[trial] = std::move(costs);
}

bool EarlyStopper::report(std::int64_t trial, int epoch, double value)
{
    if (!std::isfinite(value))
        return true;
    std::lock_guard lock(m_mutex);
    if (!enabled() || epoch >= m_epochs) { // recorded for the trials still to come
        const auto c = m_costs.find(trial);
        m_values[epoch].push_back({c == m_costs.end() ? std::vector<double>{} : c->second, value});
        return true;
    }
    return decide(trial, epoch, value);
}

bool EarlyStopper::decide(std::int64_t trial, int epoch, double value)
{
    std::vector<Entry> &here = m_values[epoch];
    const auto c = m_costs.find(trial);
    const Entry entry{c == m_costs.end() ? std::vector<double>{} : c->second, value};
    if (m_spec.type == EarlyStoppingSpec::Type::Asha) {
        here.push_back(entry);
        const std::vector<int> r = rungs();
        if (std::find(r.begin(), r.end(), epoch) == r.end())
            return true;
        return promoteAtRung(trial, epoch, here);
    }
    // Median rule: judged against the others' values before this one is added.
    std::vector<double> others;
    for (const Entry &e : here)
        others.push_back(e.value);
    here.push_back(entry);
    if (epoch < m_spec.minEpochs || int(others.size()) < m_spec.startupTrials)
        return true;
    const std::size_t mid = others.size() / 2;
    std::nth_element(others.begin(), others.begin() + std::ptrdiff_t(mid), others.end());
    double median = others[mid];
    if (others.size() % 2 == 0) {
        const double below = *std::max_element(others.begin(), others.begin() + std::ptrdiff_t(mid));
        median = 0.5 * (median + below);
    }
    if (value >= median)
        return true;
    m_why[trial] = "median: " + percent(value) + " validation accuracy at epoch " + std::to_string(epoch) +
                   " is below the median " + percent(median) + " of " + std::to_string(others.size()) +
                   " other trials at that epoch";
    return false;
}

bool EarlyStopper::promoteAtRung(std::int64_t trial, int epoch, const std::vector<Entry> &here)
{
    const Entry &mine = here.back();
    if (mine.costs.empty()) {
        // Accuracy alone: the keep-th best value is the cut-off.
        const std::size_t n = here.size();
        const std::size_t keep = std::max<std::size_t>(1, n / std::size_t(m_spec.reductionFactor));
        std::vector<double> sorted;
        for (const Entry &e : here)
            sorted.push_back(e.value);
        std::nth_element(sorted.begin(), sorted.begin() + std::ptrdiff_t(keep - 1), sorted.end(), std::greater<>());
        const double cut = sorted[keep - 1];
        if (mine.value >= cut)
            return true;
        m_why[trial] = "asha: " + percent(mine.value) + " validation accuracy at epoch " + std::to_string(epoch) +
                       " is not among the best " + std::to_string(keep) + " of " + std::to_string(n) +
                       " at that rung (cut-off " + percent(cut) + ")";
        return false;
    }
    // The trials comparable with this one: those with costs of the same objectives (every trial of a study whose costs
    // were all measured); one without costs takes no part.
    std::vector<const Entry *> members;
    for (const Entry &e : here)
        if (e.costs.size() == mine.costs.size())
            members.push_back(&e);
    const std::size_t n = members.size();
    const std::size_t keep = std::max<std::size_t>(1, n / std::size_t(m_spec.reductionFactor));
    // Costs and accuracy together: non-dominated sorting, then crowding distance within a front (MO-ASHA).
    const std::size_t m = mine.costs.size() + 1;
    std::vector<double> points;
    for (const Entry *e : members) {
        points.insert(points.end(), e->costs.begin(), e->costs.end());
        points.push_back(-e->value);
    }
    const std::vector<Direction> directions(m, Direction::Minimize);
    const std::vector<Front> fronts = nondominatedSort(points, directions);
    std::vector<std::size_t> order; // best first
    std::size_t myRank = 0;
    for (std::size_t k = 0; k < fronts.size(); ++k) {
        const std::vector<double> crowd = crowdingDistance(points, fronts[k], directions);
        std::vector<std::size_t> byCrowd(fronts[k].size());
        std::iota(byCrowd.begin(), byCrowd.end(), 0);
        // Ties go to the trial being judged, as a value equal to the cut-off goes on by accuracy alone.
        const std::vector<std::size_t> &front = fronts[k];
        std::stable_sort(byCrowd.begin(), byCrowd.end(), [&](std::size_t a, std::size_t b) {
            return crowd[a] > crowd[b] || (crowd[a] == crowd[b] && front[a] == n - 1 && front[b] != n - 1);
        });
        for (std::size_t i : byCrowd) {
            order.push_back(fronts[k][i]);
            if (fronts[k][i] == n - 1)
                myRank = k;
        }
    }
    const auto at = std::size_t(std::find(order.begin(), order.end(), n - 1) - order.begin());
    if (at < keep)
        return true;
    m_why[trial] = "asha: at epoch " + std::to_string(epoch) + ", " + percent(mine.value) +
                   " validation accuracy with its costs is on Pareto front " + std::to_string(myRank + 1) + " of the " +
                   std::to_string(n) + " trials at that rung, not among the best " + std::to_string(keep);
    return false;
}

std::string EarlyStopper::why(std::int64_t trial) const
{
    std::lock_guard lock(m_mutex);
    const auto it = m_why.find(trial);
    return it == m_why.end() ? std::string() : it->second;
}

} // namespace psc
