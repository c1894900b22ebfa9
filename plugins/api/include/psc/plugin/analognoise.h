// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "psc/plugin/parameterreader.h"

#include <optional>
#include <string>

/**
 * @file
 * The non-ideality parameters of an analog compute-in-memory target (docs/analog.md): how weights become PCM
 * conductances, how those conductances are programmed, drift and read, and what the converters around the
 * crossbar do. They live in the analog target files beside the cost parameters; the analog-cim plugin reads
 * them to validate the file, the engine's analog inference reads them to simulate the device. Defaults are the
 * published values of cost-models.md 4.2 / 4.3 (IBM aihwkit's PCMLikeNoiseModel and its standard
 * hardware-aware training preset), so a target file that omits one gets the reference behaviour.
 * Header-only plain data.
 */
namespace psc::plugin {

/** How a layer's weights are scaled onto [-g_max, g_max]. */
enum class AnalogWeightMapping
{
    PerColumn, ///< each output column's largest |w| maps to g_max
    PerLayer,  ///< the layer's largest |w| maps to g_max
};

/** How the DAC's input range is chosen for each input vector (aihwkit "noise management"). */
enum class AnalogNoiseManagement
{
    AbsMax, ///< divide by the vector's largest |x| (aihwkit ABS_MAX, its default)
    Range,  ///< divide by the calibrated int8 activation range (a constant, like learned input ranges)
};

/** Digital correction of the conductance drift, measured with one-hot probe reads (aihwkit drift compensation). */
enum class AnalogDriftCompensation
{
    None,
    Global,    ///< one factor per layer (aihwkit GlobalDriftCompensation, its default)
    PerColumn, ///< one factor per output column (aihwkit PerColumnDriftCompensation)
};

struct AnalogNoiseParameters
{
    double gMaxMicroSiemens = 25.0; ///< g_max_us: conductance of the largest |w|
    AnalogWeightMapping mapping = AnalogWeightMapping::PerColumn;
    /// prog_noise_c0..c2: sigma_prog = max(c0 + c1 g_T + c2 g_T^2, 0) * g_max / 25, in microsiemens.
    double progCoefficients[3] = {0.26348, 1.9650, -1.1731};
    double progNoiseScale = 1.0;  ///< prog_noise_scale
    double readNoiseScale = 1.0;  ///< read_noise_scale
    double driftScale = 1.0;      ///< drift_scale: multiplies every sampled drift exponent
    double t0Seconds = 20.0;      ///< drift_t0_s: time of the first read after programming
    double tReadSeconds = 250e-9; ///< read_noise_t_read_s: duration of one read in the 1/f noise integral
    double inputBound = 1.0;      ///< dac_input_bound, in units of the noise-management scale
    double outputBound = 10.0;    ///< adc_output_bound, in units of a full-scale weight times a full-scale input
    double outputNoise = 0.04;    ///< adc_output_noise: Gaussian noise added to every analog output, same units
    AnalogNoiseManagement noiseManagement = AnalogNoiseManagement::AbsMax;
    AnalogDriftCompensation compensation = AnalogDriftCompensation::Global;
};

/**
 * Reads the non-ideality parameters (all optional, defaults above) into `p`. Ranges keep every simulation
 * finite: g_max in [0.1, 1000] uS, scales in [0, 100], t0 in [1e-6, 1e6] s, t_read in [1e-12, 1] s, bounds in
 * [0.01, 1e4], output noise in [0, 100].
 */
inline void readAnalogNoiseParameters(ParameterReader &r, AnalogNoiseParameters &p)
{
    p.gMaxMicroSiemens = r.number("g_max_us", 0.1, 1000.0, "uS", p.gMaxMicroSiemens);
    p.mapping = r.choice("weight_mapping", {"per_column", "per_layer"}, "per_column") == "per_layer"
                    ? AnalogWeightMapping::PerLayer
                    : AnalogWeightMapping::PerColumn;
    p.progCoefficients[0] = r.number("prog_noise_c0", -100.0, 100.0, "uS", p.progCoefficients[0]);
    p.progCoefficients[1] = r.number("prog_noise_c1", -100.0, 100.0, "uS", p.progCoefficients[1]);
    p.progCoefficients[2] = r.number("prog_noise_c2", -100.0, 100.0, "uS", p.progCoefficients[2]);
    p.progNoiseScale = r.number("prog_noise_scale", 0.0, 100.0, "", p.progNoiseScale);
    p.readNoiseScale = r.number("read_noise_scale", 0.0, 100.0, "", p.readNoiseScale);
    p.driftScale = r.number("drift_scale", 0.0, 100.0, "", p.driftScale);
    p.t0Seconds = r.number("drift_t0_s", 1e-6, 1e6, "s", p.t0Seconds);
    p.tReadSeconds = r.number("read_noise_t_read_s", 1e-12, 1.0, "s", p.tReadSeconds);
    p.inputBound = r.number("dac_input_bound", 0.01, 1e4, "", p.inputBound);
    p.outputBound = r.number("adc_output_bound", 0.01, 1e4, "", p.outputBound);
    p.outputNoise = r.number("adc_output_noise", 0.0, 100.0, "", p.outputNoise);
    p.noiseManagement = r.choice("noise_management", {"abs_max", "range"}, "abs_max") == "range"
                            ? AnalogNoiseManagement::Range
                            : AnalogNoiseManagement::AbsMax;
    const std::string compensation = r.choice("drift_compensation", {"global", "per_column", "none"}, "global");
    p.compensation = compensation == "none"         ? AnalogDriftCompensation::None
                     : compensation == "per_column" ? AnalogDriftCompensation::PerColumn
                                                    : AnalogDriftCompensation::Global;
}

} // namespace psc::plugin
