// SPDX-License-Identifier: GPL-3.0-or-later
// Formulas and constants: cost-models.md 4.2 (aihwkit src/aihwkit/inference/noise/pcm.py).

#include "psc/analog/pcmdevice.h"

#include <algorithm>
#include <cmath>

namespace psc::pcm {

namespace {

/** g_max the programming-noise coefficients were fitted at, uS. */
constexpr double kProgrammingReferenceGMax = 25.0;

} // namespace

double programmingSigma(const plugin::AnalogNoiseParameters &p, double gT)
{
    const double *c = p.progCoefficients;
    const double sigma = std::max(c[0] + c[1] * gT + c[2] * gT * gT, 0.0);
    return sigma * p.gMaxMicroSiemens / kProgrammingReferenceGMax * p.progNoiseScale;
}

double driftExponentMean(double gT)
{
    const double g = std::max(gT, kMinNormalisedConductance);
    return std::clamp(-0.0155 * std::log(g) + 0.0244, 0.049, 0.1);
}

double driftExponentStd(double gT)
{
    const double g = std::max(gT, kMinNormalisedConductance);
    return std::clamp(-0.0125 * std::log(g) - 0.0059, 0.008, 0.045);
}

double driftFactor(const plugin::AnalogNoiseParameters &p, double nu, double seconds)
{
    if (seconds <= 0.0)
        return 1.0;
    return std::pow((seconds + p.t0Seconds) / p.t0Seconds, -nu);
}

double readNoiseTimeFactor(const plugin::AnalogNoiseParameters &p, double seconds)
{
    const double t = std::max(seconds, 0.0) + p.t0Seconds;
    return std::sqrt(std::log((t + p.tReadSeconds) / (2.0 * p.tReadSeconds)));
}

double readNoiseRelative(const plugin::AnalogNoiseParameters &p, double gProgNormalised, double seconds)
{
    const double qs = std::min(0.0088 / std::max(std::pow(std::abs(gProgNormalised), 0.65), 1e-3), 0.2);
    return qs * readNoiseTimeFactor(p, seconds) * p.readNoiseScale;
}

} // namespace psc::pcm
