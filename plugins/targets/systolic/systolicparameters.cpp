// SPDX-License-Identifier: GPL-3.0-or-later
#include "systolicmodel.h"

#include <cmath>
#include <set>
#include <utility>

namespace psc::targets::systolic {

namespace {

using plugin::ParameterError;
using plugin::Parameters;

enum class Kind
{
    Positive,    ///< > 0
    NonNegative, ///< >= 0
};

/** Collects the first error; later reads become no-ops so parse code stays linear. */
class Reader
{
public:
    Reader(const Parameters &parameters, ParameterError &error) : m_parameters(parameters), m_error(error) {}

    bool failed() const { return m_failed; }

    void fail(const std::string &name, const std::string &message)
    {
        if (m_failed)
            return;
        m_failed = true;
        m_error.parameter = name;
        m_error.message = message;
    }

    /** A number; `what` names the expected quantity ("a positive number of bytes"). */
    std::optional<double> number(const std::string &name, Kind kind, const std::string &what, bool required)
    {
        m_known.insert(name);
        if (m_failed)
            return std::nullopt;
        auto it = m_parameters.find(name);
        if (it == m_parameters.end()) {
            if (required)
                fail(name, "missing; expected " + what);
            return std::nullopt;
        }
        if (!it->second.number) {
            fail(name, "expected " + what + ", got text \"" + it->second.text + "\"");
            return std::nullopt;
        }
        const double v = *it->second.number;
        const bool ok = std::isfinite(v) && (kind == Kind::Positive ? v > 0.0 : v >= 0.0);
        if (!ok) {
            fail(name, "expected " + what + ", got " + std::to_string(v));
            return std::nullopt;
        }
        return v;
    }

    /** A whole number >= `minimum`, or `fallback` when absent and not required. */
    int integer(const std::string &name, int minimum, const std::string &what, bool required, int fallback)
    {
        const std::optional<double> v = number(name, Kind::NonNegative, what, required);
        if (!v)
            return fallback;
        if (*v != std::floor(*v) || *v < minimum || *v > 1e6) {
            fail(name, "expected " + what + ", got " + std::to_string(*v));
            return fallback;
        }
        return int(*v);
    }

    std::optional<std::string> text(const std::string &name, const std::string &what)
    {
        m_known.insert(name);
        if (m_failed)
            return std::nullopt;
        auto it = m_parameters.find(name);
        if (it == m_parameters.end())
            return std::nullopt;
        if (it->second.number) {
            fail(name, "expected " + what + ", got a number");
            return std::nullopt;
        }
        return it->second.text;
    }

    void rejectUnknown()
    {
        for (const auto &[name, value] : m_parameters) {
            if (!m_known.count(name)) {
                fail(name, "unknown parameter of the systolic model (see docs/targets/systolic.md)");
                return;
            }
        }
    }

private:
    const Parameters &m_parameters;
    ParameterError &m_error;
    std::set<std::string> m_known;
    bool m_failed = false;
};

} // namespace

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
    Reader r(parameters, error);
    SystolicParameters p;
    const auto pos = Kind::Positive;
    const auto nonneg = Kind::NonNegative;

    p.clockHz = r.number("clock_hz", pos, "a positive clock frequency in Hz", true).value_or(0.0);
    p.rows = r.integer("array_rows", 1, "a whole number of PE rows >= 1", true, 1);
    p.cols = r.integer("array_cols", 1, "a whole number of PE columns >= 1", true, 1);

    if (auto df = r.text("dataflow", "\"os\", \"ws\" or \"is\"")) {
        if (*df == "os")
            p.dataflow = Dataflow::OutputStationary;
        else if (*df == "ws")
            p.dataflow = Dataflow::WeightStationary;
        else if (*df == "is")
            p.dataflow = Dataflow::InputStationary;
        else
            r.fail("dataflow", "expected \"os\", \"ws\" or \"is\", got \"" + *df + "\"");
    } else if (!r.failed()) {
        r.fail("dataflow", "missing; expected \"os\", \"ws\" or \"is\"");
    }

    if (auto timing = r.text("fold_timing", "\"first-order\" or \"per-dataflow\"")) {
        if (*timing == "first-order")
            p.foldTiming = FoldTiming::FirstOrder;
        else if (*timing == "per-dataflow")
            p.foldTiming = FoldTiming::PerDataflow;
        else
            r.fail("fold_timing", "expected \"first-order\" or \"per-dataflow\", got \"" + *timing + "\"");
    }

    p.tensorA = r.integer("tensor_a", 1, "a whole number >= 1 (output pixels per tensor PE)", false, 1);
    p.tensorB = r.integer("tensor_b", 1, "a whole number >= 1 (reduction elements per tensor PE)", false, 1);
    p.tensorC = r.integer("tensor_c", 1, "a whole number >= 1 (filters per tensor PE)", false, 1);
    p.dbbBlockSize = r.integer("dbb_block_size", 2, "a whole block size >= 2", false, 0);
    p.dbbMaxNonZeros = r.integer("dbb_max_nonzeros", 1, "a whole number of non-zeros >= 1", false, 0);
    if (!r.failed() && (p.dbbBlockSize == 0) != (p.dbbMaxNonZeros == 0))
        r.fail(p.dbbBlockSize == 0 ? "dbb_block_size" : "dbb_max_nonzeros",
               "missing; DBB support needs both dbb_block_size and dbb_max_nonzeros");
    if (!r.failed() && p.dbbBlockSize > 0 && p.dbbMaxNonZeros >= p.dbbBlockSize)
        r.fail("dbb_max_nonzeros",
               "expected fewer non-zeros than dbb_block_size (" + std::to_string(p.dbbBlockSize) + ")");
    p.peBits = r.integer("pe_bits", 1, "a whole operand width in bits >= 1", false, 8);

    p.ifmapSramBytes = r.number("ifmap_sram_bytes", pos, "a positive number of bytes", true).value_or(0.0);
    p.filterSramBytes = r.number("filter_sram_bytes", pos, "a positive number of bytes", true).value_or(0.0);
    p.ofmapSramBytes = r.number("ofmap_sram_bytes", pos, "a positive number of bytes", true).value_or(0.0);
    p.dramBandwidthBytesPerS =
        r.number("dram_bandwidth_bytes_per_s", pos, "a positive bandwidth in bytes per second", true).value_or(0.0);
    p.vectorElementsPerCycle =
        r.number("vector_elements_per_cycle", pos, "a positive number of elements per cycle", true).value_or(0.0);
    p.energyPerMacJ = r.number("energy_per_mac_j", nonneg, "a non-negative energy in joules", true).value_or(0.0);
    p.sramEnergyPerByteJ =
        r.number("sram_energy_per_byte_j", nonneg, "a non-negative energy in joules", true).value_or(0.0);
    p.dramEnergyPerByteJ =
        r.number("dram_energy_per_byte_j", nonneg, "a non-negative energy in joules", true).value_or(0.0);
    p.vectorEnergyPerElementJ =
        r.number("vector_energy_per_element_j", nonneg, "a non-negative energy in joules", true).value_or(0.0);
    for (auto [name, field] :
         {std::pair{"activation_storage", &p.activationStorage}, std::pair{"weight_storage", &p.weightStorage}}) {
        if (auto where = r.text(name, "\"dram\" or \"on-chip\"")) {
            if (*where == "dram")
                *field = Storage::Dram;
            else if (*where == "on-chip")
                *field = Storage::OnChip;
            else
                r.fail(name, "expected \"dram\" or \"on-chip\", got \"" + *where + "\"");
        }
    }
    p.staticPowerW = r.number("static_power_w", nonneg, "a non-negative power in watts", false).value_or(0.0);
    p.latencyBudgetS = r.number("latency_budget_s", pos, "a positive latency in seconds", false);

    r.rejectUnknown();
    if (r.failed())
        return std::nullopt;
    return p;
}

} // namespace psc::targets::systolic
