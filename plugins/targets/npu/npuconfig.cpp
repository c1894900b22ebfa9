// SPDX-License-Identifier: GPL-3.0-or-later
// Parsing of an Ethos-U target file's flattened parameters into an NpuConfig.
#include "npumodel.h"

#include <psc/plugin/parameterreader.h>

#include <cmath>
#include <sstream>

namespace psc::targets::npu {

namespace {

const std::set<std::string> &knownOps()
{
    static const std::set<std::string> ops{
        "conv2d", "depthwise_conv2d", "dense",      "avg_pool2d", "max_pool2d", "global_avg_pool",
        "add",    "flatten",          "batch_norm", "relu",       "relu6",      "softmax"};
    return ops;
}

} // namespace

std::optional<NpuConfig> parseConfig(const plugin::Parameters &parameters, plugin::ParameterError &error)
{
    // Ranges: docs/targets/npu.md, "Parameters". Wide enough for any real part, finite so no estimate overflows.
    constexpr std::int64_t kMaxBytes = std::int64_t(1) << 40; // 1 TiB
    plugin::ParameterReader r(parameters, error, kModelId);
    NpuConfig c;
    c.accelerator = r.text("accelerator", "the accelerator name as text").value_or("");
    c.systemConfig = r.text("system_config", "the Vela system config name as text").value_or("");

    c.clockHz = r.number("clock_hz", 1e3, 1e10, "Hz");
    c.macsPerCycle = int(r.integer("macs_per_cycle", 1, 1 << 20, "MACs per cycle"));
    c.ublockWidth = int(r.integer("ublock_width", 1, 1024, ""));
    c.ublockHeight = int(r.integer("ublock_height", 1, 1024, ""));
    c.ublockDepth = int(r.integer("ublock_depth", 1, 1024, ""));
    c.cores = int(r.integer("cores", 1, 64, ""));
    c.shramBytes = r.integer("shram_bytes", 1, kMaxBytes, "B");
    // Vela's MAC count is w*h*8*d per core (dot-product width 8, cost-models.md 2.1); a file that disagrees
    // with itself is more likely a typo than a new accelerator.
    if (!r.failed() && c.macsPerCycle != c.ublockWidth * c.ublockHeight * 8 * c.ublockDepth * c.cores)
        r.fail("macs_per_cycle", "expected ublock_width * ublock_height * 8 * ublock_depth * cores = " +
                                     std::to_string(c.ublockWidth * c.ublockHeight * 8 * c.ublockDepth * c.cores) +
                                     ", got " + std::to_string(c.macsPerCycle));

    if (!r.failed()) {
        const NpuArch *arch = findArch(c.accelerator);
        if (arch)
            c.arch = *arch;
        else
            r.fail("accelerator", "expected one of Vela 3.10's configurations (" + knownAccelerators() + "), got \"" +
                                      c.accelerator + "\"");
    }
    if (!r.failed()) {
        const NpuArch &a = c.arch;
        const auto expect = [&r](const char *name, std::int64_t got, std::int64_t want) {
            if (!r.failed() && got != want)
                r.fail(name, "expected " + std::to_string(want) + " for this accelerator (Vela's " +
                                 "architecture_features), got " + std::to_string(got));
        };
        expect("ublock_width", c.ublockWidth, a.ofmUblock.w);
        expect("ublock_height", c.ublockHeight, a.ofmUblock.h);
        expect("ublock_depth", c.ublockDepth, a.ofmUblock.d);
        expect("cores", c.cores, a.cores);
        expect("shram_bytes", c.shramBytes, std::int64_t(a.shramBanks) * 1024);
        // Vela's tables give the output-stage rates per accelerator; a file may override the two main ones.
        if (r.has("output_cycles_per_element"))
            c.arch.outputCycles[std::size_t(OutputRate::Default)] =
                r.number("output_cycles_per_element", 1e-6, 1e4, "cycles");
        if (r.has("elementwise_cycles_per_element"))
            c.arch.outputCycles[std::size_t(OutputRate::AddSub)] =
                r.number("elementwise_cycles_per_element", 1e-6, 1e4, "cycles");
    }

    const std::string mode = r.choice("memory_mode", {"sram_only", "shared_sram", "dedicated_sram"});
    c.memoryMode = mode == "sram_only"     ? MemoryMode::SramOnly
                   : mode == "shared_sram" ? MemoryMode::SharedSram
                                           : MemoryMode::DedicatedSram;
    c.sramBandwidth = r.number("sram_bandwidth_bytes_per_s", 1.0, 1e13, "B/s");
    c.sramLatencyCycles = r.number("sram_latency_cycles", 0.0, 1e6, "cycles");
    c.sramBurstBytes = int(r.integer("sram_burst_bytes", 1, 4096, "B"));
    c.sramBytes = r.integer("sram_bytes", 1, kMaxBytes, "B");
    c.offchipIsDram = r.choice("offchip_memory", {"flash", "dram"}) == "dram";
    c.offchipBandwidth = r.number("offchip_bandwidth_bytes_per_s", 1.0, 1e13, "B/s");
    c.offchipLatencyCycles = r.number("offchip_latency_cycles", 0.0, 1e6, "cycles");
    c.offchipWriteLatencyCycles = r.number("offchip_write_latency_cycles", 0.0, 1e6, "cycles");
    c.offchipBurstBytes = int(r.integer("offchip_burst_bytes", 1, 4096, "B"));
    if (r.has("offchip_bytes"))
        c.offchipBytes = r.integer("offchip_bytes", 1, kMaxBytes, "B");

    c.scaleBiasBytesPerChannel = r.number("scale_bias_bytes_per_channel", 0.0, 1024.0, "B");
    c.energyPerMacJ = r.number("energy_per_mac_j", 0.0, 1e-6, "J");
    c.sramEnergyPerByteJ = r.number("sram_energy_per_byte_j", 0.0, 1e-6, "J");
    c.offchipEnergyPerByteJ = r.number("offchip_energy_per_byte_j", 0.0, 1e-6, "J");
    c.staticPowerW = r.number("static_power_w", 0.0, 100.0, "W");

    c.hostClockHz = r.number("host_clock_hz", 1e3, 1e10, "Hz");
    c.hostCyclesPerMac = r.number("host_cycles_per_mac", 1e-3, 1e4, "cycles");
    c.hostCyclesPerElement = r.number("host_cycles_per_element", 1e-3, 1e4, "cycles");
    c.hostActivePowerW = r.number("host_active_power_w", 0.0, 100.0, "W");

    // Comma- or space-separated operator names of the network format; "" or "none" for none.
    if (const auto ops = r.text("fallback_ops", "a comma-separated list of operator names")) {
        std::string list = *ops;
        for (char &ch : list)
            if (ch == ',')
                ch = ' ';
        std::istringstream in(list);
        std::string op;
        while (in >> op) {
            if (op == "none")
                continue;
            if (!knownOps().count(op)) {
                r.fail("fallback_ops", "expected operator names such as \"softmax\" or \"add\", got \"" + op + "\"");
                break;
            }
            c.fallbackOps.insert(op);
        }
    }
    r.rejectUnknown();
    if (r.failed())
        return std::nullopt;
    return c;
}

} // namespace psc::targets::npu
