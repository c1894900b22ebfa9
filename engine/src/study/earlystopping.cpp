// SPDX-License-Identifier: GPL-3.0-or-later
#include "psc/study/earlystopping.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>

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

void EarlyStopper::addHistory(const std::vector<double> &curve)
{
    std::lock_guard lock(m_mutex);
    for (std::size_t e = 0; e < curve.size(); ++e)
        if (std::isfinite(curve[e]))
            m_values[int(e) + 1].push_back(curve[e]);
}

bool EarlyStopper::report(std::int64_t trial, int epoch, double value)
{
    if (!std::isfinite(value))
        return true;
    std::lock_guard lock(m_mutex);
    if (!enabled() || epoch >= m_epochs) { // recorded for the trials still to come
        m_values[epoch].push_back(value);
        return true;
    }
    return decide(trial, epoch, value);
}

bool EarlyStopper::decide(std::int64_t trial, int epoch, double value)
{
    std::vector<double> &here = m_values[epoch];
    if (m_spec.type == EarlyStoppingSpec::Type::Asha) {
        here.push_back(value);
        const std::vector<int> r = rungs();
        if (std::find(r.begin(), r.end(), epoch) == r.end())
            return true;
        const std::size_t n = here.size();
        const std::size_t keep = std::max<std::size_t>(1, n / std::size_t(m_spec.reductionFactor));
        std::vector<double> sorted = here;
        std::nth_element(sorted.begin(), sorted.begin() + std::ptrdiff_t(keep - 1), sorted.end(), std::greater<>());
        const double cut = sorted[keep - 1];
        if (value >= cut)
            return true;
        m_why[trial] = "asha: " + percent(value) + " validation accuracy at epoch " + std::to_string(epoch) +
                       " is not among the best " + std::to_string(keep) + " of " + std::to_string(n) +
                       " at that rung (cut-off " + percent(cut) + ")";
        return false;
    }
    // Median rule: judged against the others' values before this one is added.
    std::vector<double> others = here;
    here.push_back(value);
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

std::string EarlyStopper::why(std::int64_t trial) const
{
    std::lock_guard lock(m_mutex);
    const auto it = m_why.find(trial);
    return it == m_why.end() ? std::string() : it->second;
}

} // namespace psc
