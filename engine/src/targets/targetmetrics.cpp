// SPDX-License-Identifier: GPL-3.0-or-later
#include "psc/targets/targetmetrics.h"

namespace psc {

const std::vector<std::string> &standardTargetMetricNames()
{
    static const std::vector<std::string> names = [] {
        std::vector<std::string> out;
        for (const MetricInfo &info : standardTargetMetrics())
            out.emplace_back(info.name);
        return out;
    }();
    return names;
}

std::vector<Metric> targetMetrics(const std::string &targetId, const plugin::CostEstimate &e)
{
    std::vector<Metric> m{{targetId, "latency_s", e.latencyS},
                          {targetId, "energy_j", e.energyJ},
                          {targetId, "cycles", e.cycles},
                          {targetId, "peak_sram_bytes", double(e.peakMemoryBytes)},
                          {targetId, "weight_storage_bytes", double(e.weightStorageBytes)},
                          {targetId, "utilization", e.utilization},
                          {targetId, "feasible", e.feasible() ? 1.0 : 0.0}};
    for (const auto &[name, value] : e.extra) {
        bool standard = false;
        for (const Metric &s : m)
            standard |= s.name == name;
        if (!standard)
            m.push_back({targetId, std::string(name), value});
    }
    return m;
}

std::string limitViolations(const std::string &targetId, const plugin::CostEstimate &e)
{
    std::string out;
    for (const plugin::LimitCheck &l : e.limits)
        if (!l.ok)
            out += (out.empty() ? "" : "; ") + targetId + ": " + l.message;
    return out;
}

} // namespace psc
