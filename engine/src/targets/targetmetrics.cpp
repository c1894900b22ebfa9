// SPDX-License-Identifier: GPL-3.0-or-later
#include "psc/targets/targetmetrics.h"

#include "psc/net/analysis.h"
#include "psc/net/networkparser.h"
#include "psc/targets/costinput.h"

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

std::vector<std::string> targetMetricNames(const plugin::HardwareTarget &target)
{
    // Every operator class a model may treat specially (conv, depthwise, pooling, dense) and non-zero work, so
    // that extras a model reports only for real work (tops_per_w needs energy) are present.
    static const std::string probeJson =
        R"({"name": "probe", "input": {"channels": 1, "height": 8, "width": 8}, "layers": [)"
        R"({"type": "conv2d", "out_channels": 4, "kernel": 3, "padding": "same", "activation": "relu"},)"
        R"({"type": "depthwise_conv2d", "kernel": 3, "padding": "same", "activation": "relu"},)"
        R"({"type": "max_pool2d", "kernel": 2, "stride": 2}, {"type": "flatten"}, {"type": "dense", "units": 10}]})";
    static const NetworkDescription probe = parseNetworkJson(probeJson, "<target metric probe>");
    static const plugin::NetworkInfo info = toNetworkInfo(probe, analyzeNetwork(probe));
    const plugin::CostEstimate estimate = target.estimateTotals(info, defaultDeployment(probe));
    std::vector<std::string> names;
    for (const Metric &m : targetMetrics(std::string(), estimate))
        names.push_back(m.name);
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
