// SPDX-License-Identifier: GPL-3.0-or-later
#include "systolicmodel.h"

#include <psc/plugin/parameterreader.h>

#include <cmath>
#include <set>
#include <utility>

namespace psc::targets::systolic {

const char *toString(Dataflow dataflow)
{
    switch (dataflow) {
    case Dataflow::OutputStationary:
        return "os";
    case Dataflow::WeightStationary:
        return "ws";
    case Dataflow::InputStationary:
        return "is";
    }
    return "?";
}

std::optional<SystolicParameters> parseParameters(const plugin::Parameters &parameters, plugin::ParameterError &error)
{
    // Ranges: docs/targets/systolic.md, "Parameters". Wide enough for any real design, finite so no estimate
    // overflows.
    constexpr double kMaxBytes = 1099511627776.0; // 1 TiB
    plugin::ParameterReader r(parameters, error, kModelId);
    SystolicParameters p;
    p.clockHz = r.number("clock_hz", 1e3, 1e10, "Hz");
    p.rows = int(r.integer("array_rows", 1, 4096, "PE rows"));
    p.cols = int(r.integer("array_cols", 1, 4096, "PE columns"));
    const std::string dataflow = r.choice("dataflow", {"os", "ws", "is"});
    p.dataflow = dataflow == "os"   ? Dataflow::OutputStationary
                 : dataflow == "ws" ? Dataflow::WeightStationary
                                    : Dataflow::InputStationary;
    if (r.has("fold_timing")) {
        const std::string timing = r.choice("fold_timing", {"first-order", "per-dataflow", "scale-sim-v2"});
        p.foldTiming = timing == "first-order"    ? FoldTiming::FirstOrder
                       : timing == "per-dataflow" ? FoldTiming::PerDataflow
                                                  : FoldTiming::ScaleSimV2;
    }

    p.tensorA = int(r.integer("tensor_a", 1, 1024, "output pixels per tensor PE", 1));
    p.tensorB = int(r.integer("tensor_b", 1, 1024, "reduction elements per tensor PE", 1));
    p.tensorC = int(r.integer("tensor_c", 1, 1024, "filters per tensor PE", 1));
    p.dbbBlockSize = r.has("dbb_block_size") ? int(r.integer("dbb_block_size", 2, 1024, "weights")) : 0;
    p.dbbMaxNonZeros = r.has("dbb_max_nonzeros") ? int(r.integer("dbb_max_nonzeros", 1, 1024, "non-zeros")) : 0;
    if (!r.failed() && (p.dbbBlockSize == 0) != (p.dbbMaxNonZeros == 0))
        r.fail(p.dbbBlockSize == 0 ? "dbb_block_size" : "dbb_max_nonzeros",
               "missing; DBB support needs both dbb_block_size and dbb_max_nonzeros");
    if (!r.failed() && p.dbbBlockSize > 0 && p.dbbMaxNonZeros >= p.dbbBlockSize)
        r.fail("dbb_max_nonzeros",
               "expected fewer non-zeros than dbb_block_size (" + std::to_string(p.dbbBlockSize) + ")");
    p.peBits = int(r.integer("pe_bits", 1, 32, "bits", 8));

    p.ifmapSramBytes = r.number("ifmap_sram_bytes", 1.0, kMaxBytes, "B");
    p.filterSramBytes = r.number("filter_sram_bytes", 1.0, kMaxBytes, "B");
    p.ofmapSramBytes = r.number("ofmap_sram_bytes", 1.0, kMaxBytes, "B");
    p.dramBandwidthBytesPerS = r.number("dram_bandwidth_bytes_per_s", 1.0, 1e13, "B/s");
    p.vectorElementsPerCycle = r.number("vector_elements_per_cycle", 1e-3, 1e6, "elements per cycle");
    p.energyPerMacJ = r.number("energy_per_mac_j", 0.0, 1e-6, "J");
    p.sramEnergyPerByteJ = r.number("sram_energy_per_byte_j", 0.0, 1e-6, "J");
    p.dramEnergyPerByteJ = r.number("dram_energy_per_byte_j", 0.0, 1e-6, "J");
    p.vectorEnergyPerElementJ = r.number("vector_energy_per_element_j", 0.0, 1e-6, "J");
    for (auto [name, field] :
         {std::pair{"activation_storage", &p.activationStorage}, std::pair{"weight_storage", &p.weightStorage}})
        if (r.has(name))
            *field = r.choice(name, {"dram", "on-chip"}) == "dram" ? Storage::Dram : Storage::OnChip;
    p.staticPowerW = r.number("static_power_w", 0.0, 100.0, "W", 0.0);
    if (r.has("latency_budget_s"))
        p.latencyBudgetS = r.number("latency_budget_s", 1e-9, 1e6, "s");

    r.rejectUnknown();
    if (r.failed())
        return std::nullopt;
    return p;
}

} // namespace psc::targets::systolic
