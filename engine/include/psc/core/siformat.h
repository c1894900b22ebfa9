// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <string>
#include <string_view>

namespace psc {

/**
 * The project's one way of showing quantities (docs/design.md, "Units and formatting"): the number, one space,
 * the unit ("85.20 %", "21.4 KiB", "12.3 ms", "45.0 µs", "1.23 M"), UTF-8. The engine stores SI base units;
 * these functions are the only place they turn into display units, for the CLI (std::string) and the widgets
 * (which wrap the result in a QString). Numbers never depend on the C locale. Pure; any thread.
 *
 * Units understood:
 * - "%": a fraction in [0, 1] shown as a percentage, two decimals.
 * - "B": bytes in binary multiples: "512 B", "21.4 KiB" (one decimal), "1.50 MiB" (two).
 * - "s", "J", "W": SI prefixes 1, m, µ, n (the largest that keeps the number >= 1); 0 decimals from 100 on,
 *   1 from 10, else 2: "1.25 s", "12.3 ms", "450 µJ".
 * - anything else ("", "MAC", counts): a multiplier only, "k" from 10^4 (one decimal), "M" from 10^6 (two);
 *   smaller whole numbers as integers, others with 6 significant digits. The unit itself is not printed
 *   (a column or label names what is counted).
 */

/** The display unit for values up to `maxAbs`: shown value = SI value * factor, labelled with `unit`. */
struct DisplayScale
{
    double factor = 1.0;
    std::string unit; ///< "%", "KiB", "ms", "µs", "M", "k"; empty for plain numbers
};

/** What formatQuantity() shows for NaN and infinities (an en dash). */
inline constexpr std::string_view kNoValue = "–";

/** The scale formatQuantity() uses for a value of magnitude `maxAbs`; plots use it for a whole axis. */
DisplayScale displayScale(std::string_view unit, double maxAbs);

/** `value` (in the SI base unit `unit`) as text, e.g. formatQuantity(0.0123, "s") == "12.3 ms"; kNoValue if not finite.
 */
std::string formatQuantity(double value, std::string_view unit);

/** `value` with `decimals` digits after the point, "." as the separator whatever the locale. */
std::string formatFixed(double value, int decimals);

} // namespace psc
