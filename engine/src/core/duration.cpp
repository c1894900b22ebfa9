// SPDX-License-Identifier: GPL-3.0-or-later
#include "psc/core/duration.h"

#include <array>
#include <charconv>
#include <cmath>

namespace psc {

namespace {

struct Unit
{
    std::string_view name;
    double seconds;
};

constexpr double kDay = 86400.0;
/** Largest first, as formatDuration() tries them. */
constexpr std::array<Unit, 7> kUnits{{{"y", 365.0 * kDay},
                                      {"mo", 30.0 * kDay},
                                      {"w", 7.0 * kDay},
                                      {"d", kDay},
                                      {"h", 3600.0},
                                      {"min", 60.0},
                                      {"s", 1.0}}};

std::string trimmedNumber(double v)
{
    char buffer[32];
    const auto r = std::to_chars(buffer, buffer + sizeof buffer, v, std::chars_format::general, 3);
    return std::string(buffer, r.ptr);
}

} // namespace

std::optional<double> parseDuration(std::string_view text)
{
    while (!text.empty() && text.front() == ' ')
        text.remove_prefix(1);
    while (!text.empty() && text.back() == ' ')
        text.remove_suffix(1);
    double value = 0.0;
    const auto r = std::from_chars(text.data(), text.data() + text.size(), value);
    if (r.ec != std::errc() || r.ptr == text.data())
        return std::nullopt;
    std::string_view unit = text.substr(std::size_t(r.ptr - text.data()));
    while (!unit.empty() && unit.front() == ' ')
        unit.remove_prefix(1);
    double scale = unit.empty() ? 1.0 : 0.0;
    for (const Unit &u : kUnits)
        if (unit == u.name)
            scale = u.seconds;
    if (scale == 0.0 || !std::isfinite(value * scale))
        return std::nullopt;
    return value * scale;
}

std::string formatDuration(double seconds)
{
    for (const Unit &u : kUnits) {
        const double v = seconds / u.seconds;
        if (std::abs(v) < 1.0 && u.seconds > 1.0)
            continue;
        const std::string text = trimmedNumber(v);
        const std::optional<double> back = parseDuration(text + std::string(u.name));
        if (u.seconds == 1.0 || (back && std::abs(*back - seconds) <= 1e-3 * std::abs(seconds)))
            return text + " " + std::string(u.name);
    }
    return trimmedNumber(seconds) + " s";
}

std::string durationUnits()
{
    return "s, min, h, d, w, mo, y";
}

} // namespace psc
