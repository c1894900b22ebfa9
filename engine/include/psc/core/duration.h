// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace psc {

/**
 * A time span as users write it: a number with an optional unit, "s" (the default), "min", "h", "d", "w", "mo" (30
 * days) or "y" (365 days), e.g. "1s", "1h", "1.5d", "10y", "3600". nullopt for anything else, or a span that is not
 * finite. Locale-independent.
 */
std::optional<double> parseDuration(std::string_view text);

/** The shortest of those forms that reads back within 0.1 %: "1 s", "1 h", "1 d", "1 mo", "10 y", "90 min". */
std::string formatDuration(double seconds);

/** The units parseDuration() takes, for error messages: "s, min, h, d, w, mo, y". */
std::string durationUnits();

} // namespace psc
