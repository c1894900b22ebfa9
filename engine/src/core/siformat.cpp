// SPDX-License-Identifier: GPL-3.0-or-later
#include "psc/core/siformat.h"

#include <charconv>
#include <cmath>
#include <cstdint>

namespace psc {
namespace {

constexpr double kKiB = 1024.0;
constexpr double kMiB = 1024.0 * 1024.0;

bool isSiUnit(std::string_view unit)
{
    return unit == "s" || unit == "J" || unit == "W";
}

std::string formatGeneral(double value)
{
    char buffer[64];
    const auto r = std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::general, 6);
    return std::string(buffer, r.ptr);
}

} // namespace

std::string formatFixed(double value, int decimals)
{
    char buffer[400]; // 1e308 in fixed notation needs 309 digits
    const auto r = std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::fixed, decimals);
    return r.ec == std::errc() ? std::string(buffer, r.ptr) : formatGeneral(value);
}

DisplayScale displayScale(std::string_view unit, double maxAbs)
{
    maxAbs = std::abs(maxAbs);
    if (unit == "%")
        return {100.0, "%"};
    if (unit == "B") {
        if (maxAbs >= kMiB)
            return {1.0 / kMiB, "MiB"};
        if (maxAbs >= kKiB)
            return {1.0 / kKiB, "KiB"};
        return {1.0, "B"};
    }
    if (isSiUnit(unit)) {
        const std::string u(unit);
        if (maxAbs >= 1.0 || maxAbs == 0.0 || !std::isfinite(maxAbs))
            return {1.0, u};
        if (maxAbs >= 1e-3)
            return {1e3, "m" + u};
        if (maxAbs >= 1e-6)
            return {1e6, "µ" + u};
        return {1e9, "n" + u};
    }
    if (maxAbs >= 1e6)
        return {1e-6, "M"};
    if (maxAbs >= 1e4)
        return {1e-3, "k"};
    return {1.0, {}};
}

std::string formatQuantity(double value, std::string_view unit)
{
    if (!std::isfinite(value))
        return std::string(kNoValue);
    const DisplayScale s = displayScale(unit, value);
    const double v = value * s.factor;
    if (unit == "%")
        return formatFixed(v, 2) + " %";
    if (unit == "B")
        return formatFixed(v, s.unit == "B" ? 0 : s.unit == "KiB" ? 1 : 2) + " " + s.unit;
    if (isSiUnit(unit)) {
        const double a = std::abs(v);
        return formatFixed(v, a >= 100.0 ? 0 : a >= 10.0 ? 1 : 2) + " " + s.unit;
    }
    if (s.unit == "M")
        return formatFixed(v, 2) + " M";
    if (s.unit == "k")
        return formatFixed(v, 1) + " k";
    if (v == std::round(v))
        return std::to_string(std::int64_t(v));
    return formatGeneral(v);
}

} // namespace psc
