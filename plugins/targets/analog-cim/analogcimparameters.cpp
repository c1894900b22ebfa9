// SPDX-License-Identifier: GPL-3.0-or-later
#include "analogcimmodel.h"

#include <cmath>
#include <cstdio>
#include <vector>

namespace psc::targets {

namespace {

using plugin::ParameterError;
using plugin::Parameters;

/** Collects the first error; every reader returns a harmless default once an error is set. */
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

    bool has(const std::string &name) const { return m_parameters.count(name) != 0; }

    /** A required number > 0; `what` completes "expected a positive ...". */
    double positive(const std::string &name, const std::string &what)
    {
        const plugin::ParameterValue *value = find(name, "a positive " + what);
        if (!value)
            return 0.0;
        if (!value->number) {
            fail(name, "expected a positive " + what + ", got the text \"" + value->text + "\"");
            return 0.0;
        }
        const double v = *value->number;
        if (!std::isfinite(v) || v <= 0.0) {
            fail(name, "expected a positive " + what + ", got " + formatNumber(v));
            return 0.0;
        }
        return v;
    }

    /** A required positive whole number. */
    int positiveInt(const std::string &name, const std::string &what, double maximum = 1e9)
    {
        const double v = positive(name, what);
        if (m_failed)
            return 1;
        if (v != std::floor(v) || v > maximum) {
            fail(name, "expected a positive whole " + what + " (at most " + formatNumber(maximum) + "), got " +
                           formatNumber(v));
            return 1;
        }
        return int(v);
    }

    /** Bits given as a whole number in [1, 16] or the text "activation" (follow the layer's activation bits). */
    std::optional<int> bitsOrActivation(const std::string &name)
    {
        const std::string expected = "expected a whole number of bits in [1, 16] or \"activation\"";
        const plugin::ParameterValue *value = find(name, "a whole number of bits in [1, 16] or \"activation\"");
        if (!value)
            return std::nullopt;
        if (!value->number) {
            if (value->text != "activation")
                fail(name, expected + ", got \"" + value->text + "\"");
            return std::nullopt;
        }
        const double v = *value->number;
        if (v != std::floor(v) || v < 1.0 || v > 16.0) {
            fail(name, expected + ", got " + formatNumber(v));
            return std::nullopt;
        }
        return int(v);
    }

    /** A required text out of `choices` (index returned). */
    int choice(const std::string &name, const std::vector<std::string> &choices)
    {
        std::string list;
        for (const std::string &c : choices)
            list += (list.empty() ? "\"" : ", \"") + c + "\"";
        const plugin::ParameterValue *value = find(name, "one of " + list);
        if (!value)
            return 0;
        for (std::size_t i = 0; i < choices.size(); ++i)
            if (!value->number && value->text == choices[i])
                return int(i);
        fail(name, "expected one of " + list + ", got " +
                       (value->number ? formatNumber(*value->number) : "\"" + value->text + "\""));
        return 0;
    }

private:
    const plugin::ParameterValue *find(const std::string &name, const std::string &expected)
    {
        if (m_failed)
            return nullptr;
        const auto it = m_parameters.find(name);
        if (it == m_parameters.end()) {
            fail(name, "missing parameter: expected " + expected);
            return nullptr;
        }
        return &it->second;
    }

    static std::string formatNumber(double v)
    {
        char buffer[32];
        if (v == std::floor(v) && std::abs(v) < 1e15)
            std::snprintf(buffer, sizeof buffer, "%.0f", v);
        else
            std::snprintf(buffer, sizeof buffer, "%g", v);
        return buffer;
    }

    const Parameters &m_parameters;
    ParameterError &m_error;
    bool m_failed = false;
};

} // namespace

std::optional<AnalogCimParameters> parseAnalogCimParameters(const Parameters &parameters, ParameterError &error)
{
    Reader r(parameters, error);
    AnalogCimParameters p;
    p.crossbarRows = r.positiveInt("crossbar_rows", "number of rows", 1 << 20);
    p.crossbarCols = r.positiveInt("crossbar_cols", "number of columns", 1 << 20);
    p.crossbarTiles = r.positiveInt("crossbar_tiles", "number of crossbar tiles", 1 << 20);
    p.devicesPerWeight = r.positiveInt("devices_per_weight", "number of PCM devices per weight", 64);
    p.packing = r.choice("packing", {"shared", "tiles"}) == 0 ? CimPacking::Shared : CimPacking::Tiles;
    p.residency =
        r.choice("residency", {"resident", "reprogram"}) == 0 ? CimResidency::Resident : CimResidency::Reprogram;

    p.dacBits = r.bitsOrActivation("dac_bits");
    p.dacReferenceBits = r.positive("dac_reference_bits", "number of bits");
    p.dacEnergyPerRowJ = r.positive("dac_energy_per_row_j", "energy in joules");

    p.adcBits = r.bitsOrActivation("adc_bits");
    p.adcReferenceBits = r.positive("adc_reference_bits", "number of bits");
    p.adcEnergyPerConversionJ = r.positive("adc_energy_per_conversion_j", "energy in joules");
    p.adcTimePerConversionS = r.positive("adc_time_per_conversion_s", "time in seconds");
    p.adcsPerTile = r.positiveInt("adcs_per_tile", "number of ADCs per tile", 1 << 20);

    p.crossbarReadTimeS = r.positive("crossbar_read_time_s", "time in seconds");
    p.readEnergyPerCellJ = r.positive("read_energy_per_cell_j", "energy in joules");
    p.digitalEnergyPerOutputJ = r.positive("digital_energy_per_output_j", "energy in joules");
    p.digitalTimePerOutputS = r.positive("digital_time_per_output_s", "time in seconds");

    // Programming costs matter only when layers are rewritten per inference; a resident target may omit them.
    if (p.residency == CimResidency::Reprogram || r.has("program_energy_per_cell_j"))
        p.programEnergyPerCellJ = r.positive("program_energy_per_cell_j", "energy in joules");
    if (p.residency == CimResidency::Reprogram || r.has("program_time_per_row_s"))
        p.programTimePerRowS = r.positive("program_time_per_row_s", "time in seconds");
    if (r.has("clock_hz"))
        p.clockHz = r.positive("clock_hz", "frequency in hertz");

    if (!r.failed() && p.crossbarCols < p.adcsPerTile)
        r.fail("adcs_per_tile",
               "expected at most crossbar_cols (" + std::to_string(p.crossbarCols) + ") ADCs per tile");
    if (r.failed())
        return std::nullopt;
    return p;
}

} // namespace psc::targets
