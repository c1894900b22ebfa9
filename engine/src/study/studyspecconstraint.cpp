// SPDX-License-Identifier: GPL-3.0-or-later
// Constraints ("weight_bytes <= 64KiB", "latency_s@stm32f746zg < 20ms") and their canonical text.
#include "psc/study/studyspec.h"

#include "psc/core/inputfile.h"
#include "psc/study/metrics.h"

#include <array>
#include <charconv>
#include <cmath>

namespace psc {

namespace {

bool isSpace(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

std::string_view trim(std::string_view s)
{
    while (!s.empty() && isSpace(s.front()))
        s.remove_prefix(1);
    while (!s.empty() && isSpace(s.back()))
        s.remove_suffix(1);
    return s;
}

/** Strict JSON number grammar: from_chars alone would also take "inf", "nan" and "1." */
bool isJsonNumber(std::string_view s)
{
    std::size_t i = 0;
    auto digits = [&] {
        const std::size_t start = i;
        while (i < s.size() && s[i] >= '0' && s[i] <= '9')
            ++i;
        return i > start;
    };
    if (i < s.size() && s[i] == '-')
        ++i;
    if (i < s.size() && s[i] == '0')
        ++i;
    else if (!digits())
        return false;
    if (i < s.size() && s[i] == '.') {
        ++i;
        if (!digits())
            return false;
    }
    if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
        ++i;
        if (i < s.size() && (s[i] == '+' || s[i] == '-'))
            ++i;
        if (!digits())
            return false;
    }
    return i == s.size();
}

/** A unit after the number: its factor to the SI value stored, and what it measures ("B", "s", "J", "%"). */
struct Suffix
{
    std::string_view text;
    double factor;
    std::string_view unit;
};

// Longer spellings first where one ends another ("ms" before "s", "mJ" before "J").
constexpr std::array<Suffix, 16> kSuffixes{{
    {"KiB", 1024.0, "B"},
    {"MiB", 1024.0 * 1024.0, "B"},
    {"GiB", 1024.0 * 1024.0 * 1024.0, "B"},
    {"ns", 1e-9, "s"},
    {"us", 1e-6, "s"},
    {"\xc2\xb5s", 1e-6, "s"}, // µs
    {"ms", 1e-3, "s"},
    {"s", 1.0, "s"},
    {"pJ", 1e-12, "J"},
    {"nJ", 1e-9, "J"},
    {"uJ", 1e-6, "J"},
    {"\xc2\xb5J", 1e-6, "J"}, // µJ
    {"mJ", 1e-3, "J"},
    {"J", 1.0, "J"},
    {"%", 0.01, "%"},
    {"B", 1.0, "B"},
}};

std::string unitName(std::string_view unit)
{
    if (unit == "B")
        return "bytes";
    if (unit == "s")
        return "seconds";
    if (unit == "J")
        return "joules";
    if (unit == "MAC")
        return "multiply-accumulates";
    return std::string(unit);
}

/**
 * Whether a number given in `suffix` suits `metric`: the registry's unit (or, for a metric it does not list, the
 * unit its name ends in) must be the suffix's. A metric with no known unit takes any (a plugin's own metric).
 * Returns "" or what is wrong.
 */
std::string unitMismatch(const MetricRef &metric, const Suffix &suffix)
{
    const MetricDescription d = describeMetric(metric);
    const std::string unit = d.fraction ? "%" : d.unit;
    if (unit == suffix.unit || (unit.empty() && !d.known))
        return {};
    const std::string given =
        suffix.unit == "%" ? "% is a percentage" : std::string(suffix.text) + " is in " + unitName(suffix.unit);
    const std::string expected = unit == "%"    ? "is a share (a fraction, or a percentage with %)"
                                 : unit.empty() ? "is a count without a unit"
                                                : "is measured in " + unitName(unit);
    return given + ", but \"" + metric.toString() + "\" " + expected;
}

} // namespace

std::string_view toString(ComparisonOp op)
{
    switch (op) {
    case ComparisonOp::Less:
        return "<";
    case ComparisonOp::LessEqual:
        return "<=";
    case ComparisonOp::Greater:
        return ">";
    case ComparisonOp::GreaterEqual:
        return ">=";
    }
    return "?";
}

bool Constraint::isSatisfiedBy(double value) const
{
    switch (op) {
    case ComparisonOp::Less:
        return value < bound;
    case ComparisonOp::LessEqual:
        return value <= bound;
    case ComparisonOp::Greater:
        return value > bound;
    case ComparisonOp::GreaterEqual:
        return value >= bound;
    }
    return false;
}

std::string Constraint::toString() const
{
    // The shortest text that reads back to the same double, independent of the locale; plain digits
    // ("5000000", "0.001") unless they get long, where the exponent form is easier to read.
    std::array<char, 400> buffer{};
    auto result = std::to_chars(buffer.data(), buffer.data() + buffer.size(), bound, std::chars_format::fixed);
    if (result.ec != std::errc() || result.ptr - buffer.data() > 20)
        result = std::to_chars(buffer.data(), buffer.data() + buffer.size(), bound);
    return metric.toString() + " " + std::string(psc::toString(op)) + " " + std::string(buffer.data(), result.ptr);
}

std::optional<Constraint> parseConstraint(std::string_view text, std::string *error)
{
    const std::string original(text);
    auto failWith = [&](const std::string &what) -> std::optional<Constraint> {
        if (error)
            *error = what;
        return std::nullopt;
    };
    const std::string usage = "expected \"METRIC OP NUMBER\" with OP one of <=, <, >=, > (e.g. "
                              "\"weight_bytes <= 65536\"), got " +
                              quotedInput(original);
    text = trim(text);
    const std::size_t opAt = text.find_first_of("<>=!");
    if (opAt == std::string_view::npos)
        return failWith(usage);

    std::string refError;
    const auto ref = parseMetricRef(trim(text.substr(0, opAt)), &refError);
    if (!ref)
        return failWith(refError);

    Constraint c;
    c.metric = *ref;
    std::string_view rest = text.substr(opAt);
    if (rest.starts_with("<=")) {
        c.op = ComparisonOp::LessEqual;
        rest.remove_prefix(2);
    } else if (rest.starts_with(">=")) {
        c.op = ComparisonOp::GreaterEqual;
        rest.remove_prefix(2);
    } else if (rest.starts_with("<")) {
        c.op = ComparisonOp::Less;
        rest.remove_prefix(1);
    } else if (rest.starts_with(">")) {
        c.op = ComparisonOp::Greater;
        rest.remove_prefix(1);
    } else {
        return failWith(usage);
    }

    rest = trim(rest);
    double factor = 1.0;
    const Suffix *unit = nullptr;
    for (const Suffix &suffix : kSuffixes) {
        if (rest.ends_with(suffix.text)) {
            unit = &suffix;
            factor = suffix.factor;
            rest = trim(rest.substr(0, rest.size() - suffix.text.size()));
            break;
        }
    }
    if (!isJsonNumber(rest))
        return failWith("expected a number (optionally followed by a unit: KiB, MiB, GiB, B; ns, us, ms, s; pJ, nJ, "
                        "uJ, mJ, J; %) after \"" +
                        std::string(psc::toString(c.op)) + "\" in " + quotedInput(original));
    if (unit)
        if (const std::string mismatch = unitMismatch(c.metric, *unit); !mismatch.empty())
            return failWith(mismatch + " (in " + quotedInput(original) + ")");
    double value = 0.0;
    const auto parsed = std::from_chars(rest.data(), rest.data() + rest.size(), value);
    if (parsed.ec != std::errc() || !std::isfinite(value * factor))
        return failWith("the number in " + quotedInput(original) + " is out of range");
    c.bound = value * factor;
    return c;
}

} // namespace psc
