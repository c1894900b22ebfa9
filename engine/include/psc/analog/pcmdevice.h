// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <psc/plugin/analognoise.h>

/**
 * @file
 * The statistical PCM device model of IBM's aihwkit (PCMLikeNoiseModel; Nandakumar et al., ICECS 2019, calibrated
 * on a million-device PCM array, Joshi et al., Nat. Commun. 2020), as cost-models.md 4.2 gives it. Conductances are
 * in microsiemens; g_T is the target conductance normalised to g_max, in [0, 1]. Pure functions.
 */
namespace psc::pcm {

/** Smallest g_T the drift-exponent formulas take the logarithm of (aihwkit clips at 1e-7). */
inline constexpr double kMinNormalisedConductance = 1e-7;

/** Standard deviation of the write-verify residual, uS: max(c0 + c1 g_T + c2 g_T^2, 0) * g_max / 25 * scale. */
double programmingSigma(const plugin::AnalogNoiseParameters &p, double gT);

/** Mean of the drift exponent: clip(-0.0155 ln g_T + 0.0244, 0.049, 0.1). */
double driftExponentMean(double gT);
/** Spread of the drift exponent: clip(-0.0125 ln g_T - 0.0059, 0.008, 0.045). */
double driftExponentStd(double gT);

/** Conductance factor after `seconds` since programming for exponent nu: ((t + t0) / t0)^-nu. */
double driftFactor(const plugin::AnalogNoiseParameters &p, double nu, double seconds);

/**
 * Relative standard deviation of the accumulated 1/f read noise `seconds` after programming, for a device
 * programmed to g_prog / g_max = `gProgNormalised`: Q_s sqrt(ln((t + t0 + t_read) / (2 t_read))) * scale with
 * Q_s = min(0.0088 / max(g^0.65, 1e-3), 0.2). Multiply by |g_drift| for the absolute sigma.
 */
double readNoiseRelative(const plugin::AnalogNoiseParameters &p, double gProgNormalised, double seconds);

/** The time-only part of the read noise: sqrt(ln((t + t0 + t_read) / (2 t_read))). */
double readNoiseTimeFactor(const plugin::AnalogNoiseParameters &p, double seconds);

} // namespace psc::pcm
