// SPDX-License-Identifier: GPL-3.0-or-later
#include "psc/quant/quantparams.h"

#include "psc/core/error.h"

#include <algorithm>
#include <cmath>
#include <string>

namespace psc {

namespace {

void checkBits(int bits, const char *what)
{
    if (bits < 1 || bits > kMaxIntegerBits)
        throw InputError(std::string(what) + " bits must be between 1 and " + std::to_string(kMaxIntegerBits) +
                         " for integer inference, got " + std::to_string(bits));
}

} // namespace

QuantParams activationParams(TensorRange range, int bits)
{
    checkBits(bits, "activation");
    if (!std::isfinite(range.min) || !std::isfinite(range.max) || range.min > range.max)
        throw InputError("invalid activation range [" + std::to_string(range.min) + ", " + std::to_string(range.max) +
                         "]");
    const double lo = std::min(double(range.min), 0.0);
    const double hi = std::max(double(range.max), 0.0);
    QuantParams p;
    p.qmin = -(1 << (bits - 1));
    p.qmax = (1 << (bits - 1)) - 1;
    p.scale = (hi - lo) / double(p.qmax - p.qmin);
    if (p.scale == 0.0)
        p.scale = 1.0;
    const double zp = double(p.qmin) - std::nearbyint(lo / p.scale);
    p.zeroPoint = int(std::clamp(zp, double(p.qmin), double(p.qmax)));
    return p;
}

QuantParams inputParams(double mean, double std)
{
    if (!std::isfinite(mean) || !std::isfinite(std) || !(std > 0.0))
        throw InputError("invalid input normalisation: mean " + std::to_string(mean) + ", std " + std::to_string(std) +
                         " (std must be positive)");
    QuantParams p;
    p.scale = 1.0 / (255.0 * std);
    p.zeroPoint = int(std::clamp(std::nearbyint(255.0 * mean) - 128.0, -128.0, 127.0));
    return p;
}

int quantizeValue(double x, const QuantParams &params)
{
    const double q = std::nearbyint(x / params.scale) + params.zeroPoint;
    return int(std::clamp(q, double(params.qmin), double(params.qmax)));
}

QuantizedWeights quantizeWeights(const FloatTensor &weight, int bits)
{
    checkBits(bits, "weight");
    if (weight.shape.empty() || weight.elements() <= 0)
        throw InputError("empty weight tensor");
    if (std::int64_t(weight.values.size()) != weight.elements())
        throw InputError("weight tensor has " + std::to_string(weight.values.size()) + " values, its shape needs " +
                         std::to_string(weight.elements()));
    const std::size_t channels = std::size_t(weight.shape.front());
    const std::size_t perChannel = weight.values.size() / channels;
    QuantizedWeights out;
    out.values.resize(weight.values.size());
    out.scales.resize(channels);
    const int qmax = (1 << (bits - 1)) - 1;
    for (std::size_t c = 0; c < channels; ++c) {
        const float *w = weight.values.data() + c * perChannel;
        std::int8_t *q = out.values.data() + c * perChannel;
        double maxAbs = 0.0;
        double sumAbs = 0.0;
        for (std::size_t i = 0; i < perChannel; ++i) {
            if (!std::isfinite(w[i]))
                throw InputError("non-finite weight in output channel " + std::to_string(c));
            maxAbs = std::max(maxAbs, std::fabs(double(w[i])));
            sumAbs += std::fabs(double(w[i]));
        }
        if (bits == 1) {
            if (maxAbs == 0.0) {
                out.scales[c] = 1.0;
                std::fill(q, q + perChannel, std::int8_t(0));
                continue;
            }
            out.scales[c] = sumAbs / double(perChannel);
            for (std::size_t i = 0; i < perChannel; ++i)
                q[i] = w[i] >= 0.0f ? 1 : -1;
            continue;
        }
        const double scale = maxAbs == 0.0 ? 1.0 : maxAbs / double(qmax);
        out.scales[c] = scale;
        for (std::size_t i = 0; i < perChannel; ++i)
            q[i] = std::int8_t(std::clamp(std::nearbyint(double(w[i]) / scale), double(-qmax), double(qmax)));
    }
    return out;
}

QuantizedMultiplier quantizeMultiplier(double realMultiplier)
{
    if (!std::isfinite(realMultiplier) || realMultiplier < 0.0)
        throw InputError("invalid requantisation multiplier " + std::to_string(realMultiplier));
    if (realMultiplier == 0.0)
        return {};
    int shift = 0;
    const double q = std::frexp(realMultiplier, &shift); // realMultiplier = q * 2^shift, q in [0.5, 1)
    auto fixed = std::int64_t(std::round(q * double(std::int64_t(1) << 31)));
    if (fixed == (std::int64_t(1) << 31)) {
        fixed /= 2;
        ++shift;
    }
    if (shift < -31)
        return {};
    if (shift > 30)
        return {std::numeric_limits<std::int32_t>::max(), 30};
    return {std::int32_t(fixed), shift};
}

} // namespace psc
