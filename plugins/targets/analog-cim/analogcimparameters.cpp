// SPDX-License-Identifier: GPL-3.0-or-later
#include "analogcimmodel.h"

#include <psc/plugin/parameterreader.h>

#include <cmath>
#include <cstdio>
#include <vector>

namespace psc::targets::analogcim {

namespace {

using plugin::ParameterError;
using plugin::Parameters;

/** Bits as a whole number in [1, 16] or the text "activation" (follow the layer's activation bits). */
std::optional<int> bitsOrActivation(plugin::ParameterReader &r, const Parameters &parameters, const std::string &name)
{
    const auto it = parameters.find(name);
    if (r.has(name) && !it->second.number) {
        if (it->second.text != "activation")
            r.fail(name,
                   "expected a whole number of bits in [1, 16] or \"activation\", got \"" + it->second.text + "\"");
        return std::nullopt;
    }
    return int(r.integer(name, 1, 16, "bits"));
}

} // namespace

std::optional<AnalogCimParameters> parseAnalogCimParameters(const Parameters &parameters, ParameterError &error)
{
    // Ranges: docs/targets/analog-cim.md, "Parameters". Wide enough for any real device, finite so no estimate
    // overflows; energies and times are strictly positive.
    constexpr double kMinJ = 1e-18, kMaxJ = 1e-6, kMinS = 1e-15, kMaxS = 1.0;
    plugin::ParameterReader r(parameters, error, kAnalogCimModelId);
    AnalogCimParameters p;
    p.crossbarRows = int(r.integer("crossbar_rows", 1, 1 << 20, "rows"));
    p.crossbarCols = int(r.integer("crossbar_cols", 1, 1 << 20, "columns"));
    p.crossbarTiles = int(r.integer("crossbar_tiles", 1, 1 << 20, "tiles"));
    p.devicesPerWeight = int(r.integer("devices_per_weight", 1, 64, "PCM devices per weight"));
    p.packing = r.choice("packing", {"shared", "tiles"}) == "shared" ? CimPacking::Shared : CimPacking::Tiles;
    p.residency = r.choice("residency", {"resident", "reprogram"}) == "resident" ? CimResidency::Resident
                                                                                 : CimResidency::Reprogram;

    p.dacBits = bitsOrActivation(r, parameters, "dac_bits");
    p.dacReferenceBits = r.number("dac_reference_bits", 1.0, 32.0, "bits");
    p.dacEnergyPerRowJ = r.number("dac_energy_per_row_j", kMinJ, kMaxJ, "J");

    p.adcBits = bitsOrActivation(r, parameters, "adc_bits");
    p.adcReferenceBits = r.number("adc_reference_bits", 1.0, 32.0, "bits");
    p.adcEnergyPerConversionJ = r.number("adc_energy_per_conversion_j", kMinJ, kMaxJ, "J");
    p.adcTimePerConversionS = r.number("adc_time_per_conversion_s", kMinS, kMaxS, "s");
    p.adcsPerTile = int(r.integer("adcs_per_tile", 1, 1 << 20, "ADCs per tile"));

    p.crossbarReadTimeS = r.number("crossbar_read_time_s", kMinS, kMaxS, "s");
    p.readEnergyPerCellJ = r.number("read_energy_per_cell_j", kMinJ, kMaxJ, "J");
    p.digitalEnergyPerOutputJ = r.number("digital_energy_per_output_j", kMinJ, kMaxJ, "J");
    p.digitalTimePerOutputS = r.number("digital_time_per_output_s", kMinS, kMaxS, "s");

    // Programming costs matter only when layers are rewritten per inference; a resident target may omit them.
    if (p.residency == CimResidency::Reprogram || r.has("program_energy_per_cell_j"))
        p.programEnergyPerCellJ = r.number("program_energy_per_cell_j", kMinJ, kMaxJ, "J");
    if (p.residency == CimResidency::Reprogram || r.has("program_time_per_row_s"))
        p.programTimePerRowS = r.number("program_time_per_row_s", kMinS, kMaxS, "s");
    if (r.has("clock_hz"))
        p.clockHz = r.number("clock_hz", 1e3, 1e10, "Hz");
    plugin::readAnalogNoiseParameters(r, p.noise);

    if (!r.failed() && p.crossbarCols < p.adcsPerTile)
        r.fail("adcs_per_tile",
               "expected at most crossbar_cols (" + std::to_string(p.crossbarCols) + ") ADCs per tile");
    r.rejectUnknown();
    if (r.failed())
        return std::nullopt;
    return p;
}

} // namespace psc::targets::analogcim
