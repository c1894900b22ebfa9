// SPDX-License-Identifier: GPL-3.0-or-later
// Parsing of an Ethos-U target file's flattened parameters into an NpuConfig.
#include "npumodel.h"

#include <cmath>
#include <sstream>

namespace psc::npu {

namespace {

enum class Check
{
    Positive,
    NonNegative,
    PositiveInteger,
};

std::string formatNumber(double v)
{
    std::ostringstream s;
    s << v;
    return s.str();
}

/** Reads parameters, remembering the first error. Every accessor is a no-op once an error is set. */
class Reader
{
public:
    Reader(const plugin::Parameters &p, plugin::ParameterError &e) : m_params(p), m_error(e) {}

    bool failed() const { return m_failed; }

    std::optional<double> number(const std::string &name, Check check, const std::string &what, bool required = true)
    {
        if (m_failed)
            return std::nullopt;
        const auto it = m_params.find(name);
        if (it == m_params.end()) {
            if (required)
                fail(name, "missing parameter; expected " + what);
            return std::nullopt;
        }
        if (!it->second.number) {
            fail(name, "expected " + what + ", got the text \"" + it->second.text + "\"");
            return std::nullopt;
        }
        const double v = *it->second.number;
        const bool ok = std::isfinite(v) && (check == Check::NonNegative
                                                 ? v >= 0.0
                                                 : v > 0.0 && (check != Check::PositiveInteger || v == std::floor(v)));
        if (!ok) {
            fail(name, "expected " + what + ", got " + formatNumber(v));
            return std::nullopt;
        }
        return v;
    }

    std::optional<std::string> text(const std::string &name, const std::string &what, bool required = true)
    {
        if (m_failed)
            return std::nullopt;
        const auto it = m_params.find(name);
        if (it == m_params.end()) {
            if (required)
                fail(name, "missing parameter; expected " + what);
            return std::nullopt;
        }
        if (it->second.number) {
            fail(name, "expected " + what + ", got the number " + formatNumber(*it->second.number));
            return std::nullopt;
        }
        return it->second.text;
    }

    void fail(const std::string &name, const std::string &message)
    {
        if (m_failed)
            return;
        m_failed = true;
        m_error.parameter = name;
        m_error.message = message;
    }

private:
    const plugin::Parameters &m_params;
    plugin::ParameterError &m_error;
    bool m_failed = false;
};

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
    Reader r(parameters, error);
    NpuConfig c;
    c.accelerator = r.text("accelerator", "the accelerator name as text", false).value_or("");
    c.systemConfig = r.text("system_config", "the Vela system config name as text", false).value_or("");

    const std::string hz = "a positive frequency in Hz";
    const std::string count = "a positive whole number";
    const std::string bytes = "a positive number of bytes";
    const std::string bw = "a positive bandwidth in bytes per second";
    const std::string cyc = "a non-negative number of cycles";
    const std::string joules = "a non-negative energy in joules";

    c.clockHz = r.number("clock_hz", Check::Positive, hz).value_or(0);
    c.macsPerCycle = int(r.number("macs_per_cycle", Check::PositiveInteger, count).value_or(0));
    c.ublockWidth = int(r.number("ublock_width", Check::PositiveInteger, count).value_or(0));
    c.ublockHeight = int(r.number("ublock_height", Check::PositiveInteger, count).value_or(0));
    c.ublockDepth = int(r.number("ublock_depth", Check::PositiveInteger, count).value_or(0));
    c.cores = int(r.number("cores", Check::PositiveInteger, count).value_or(1));
    c.shramBytes = std::int64_t(r.number("shram_bytes", Check::PositiveInteger, bytes).value_or(0));
    c.outputCyclesPerElement =
        r.number("output_cycles_per_element", Check::Positive, "a positive number of cycles").value_or(0);
    c.elementwiseCyclesPerElement =
        r.number("elementwise_cycles_per_element", Check::Positive, "a positive number of cycles").value_or(0);
    // Vela's MAC count is w*h*8*d per core (dot-product width 8, cost-models.md 2.1); a file that disagrees
    // with itself is more likely a typo than a new accelerator.
    if (!r.failed() && c.macsPerCycle != c.ublockWidth * c.ublockHeight * 8 * c.ublockDepth * c.cores)
        r.fail("macs_per_cycle", "expected ublock_width * ublock_height * 8 * ublock_depth * cores = " +
                                     std::to_string(c.ublockWidth * c.ublockHeight * 8 * c.ublockDepth * c.cores) +
                                     ", got " + std::to_string(c.macsPerCycle));

    const auto mode = r.text("memory_mode", "\"sram_only\", \"shared_sram\" or \"dedicated_sram\"");
    if (mode) {
        if (*mode == "sram_only")
            c.memoryMode = MemoryMode::SramOnly;
        else if (*mode == "shared_sram")
            c.memoryMode = MemoryMode::SharedSram;
        else if (*mode == "dedicated_sram")
            c.memoryMode = MemoryMode::DedicatedSram;
        else
            r.fail("memory_mode",
                   "expected \"sram_only\", \"shared_sram\" or \"dedicated_sram\", got \"" + *mode + "\"");
    }
    c.sramBandwidth = r.number("sram_bandwidth_bytes_per_s", Check::Positive, bw).value_or(0);
    c.sramLatencyCycles = r.number("sram_latency_cycles", Check::NonNegative, cyc).value_or(0);
    c.sramBytes = std::int64_t(r.number("sram_bytes", Check::PositiveInteger, bytes).value_or(0));
    const auto offchip = r.text("offchip_memory", "\"flash\" or \"dram\"");
    if (offchip) {
        if (*offchip == "dram")
            c.offchipIsDram = true;
        else if (*offchip != "flash")
            r.fail("offchip_memory", "expected \"flash\" or \"dram\", got \"" + *offchip + "\"");
    }
    c.offchipBandwidth = r.number("offchip_bandwidth_bytes_per_s", Check::Positive, bw).value_or(0);
    c.offchipLatencyCycles = r.number("offchip_latency_cycles", Check::NonNegative, cyc).value_or(0);
    if (const auto cap = r.number("offchip_bytes", Check::PositiveInteger, bytes, false))
        c.offchipBytes = std::int64_t(*cap);

    c.scaleBiasBytesPerChannel =
        r.number("scale_bias_bytes_per_channel", Check::NonNegative, "a non-negative number of bytes").value_or(0);
    c.energyPerMacJ = r.number("energy_per_mac_j", Check::NonNegative, joules).value_or(0);
    c.sramEnergyPerByteJ = r.number("sram_energy_per_byte_j", Check::NonNegative, joules).value_or(0);
    c.offchipEnergyPerByteJ = r.number("offchip_energy_per_byte_j", Check::NonNegative, joules).value_or(0);
    c.staticPowerW = r.number("static_power_w", Check::NonNegative, "a non-negative power in watts").value_or(0);

    c.hostClockHz = r.number("host_clock_hz", Check::Positive, hz).value_or(0);
    c.hostCyclesPerMac = r.number("host_cycles_per_mac", Check::Positive, "a positive number of cycles").value_or(0);
    c.hostCyclesPerElement =
        r.number("host_cycles_per_element", Check::Positive, "a positive number of cycles").value_or(0);
    c.hostActivePowerW =
        r.number("host_active_power_w", Check::NonNegative, "a non-negative power in watts").value_or(0);

    // Comma- or space-separated operator names of the network format; "" or "none" for none.
    if (const auto ops = r.text("fallback_ops", "a comma-separated list of operator names", false)) {
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
    if (r.failed())
        return std::nullopt;
    return c;
}

} // namespace psc::npu
