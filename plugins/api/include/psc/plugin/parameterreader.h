// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "psc/plugin/hardwaretarget.h"

#include <charconv>
#include <cmath>
#include <initializer_list>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

/**
 * @file
 * Helpers every target plugin uses, so that all cost models read their parameters, report bad ones and treat
 * deployment lists the same way. Header-only; plugins link nothing else.
 */
namespace psc::plugin {

/**
 * Reads a target file's flattened parameters for TargetFactory::create(). Every number has a closed, finite
 * range [min, max] that the model documents in docs/targets/<model>.md; a value outside it (or NaN, or an
 * infinity) refuses the target file, so no estimate can turn into inf or NaN. The first problem is recorded in
 * the ParameterError and later reads return their fallbacks, so a parse function stays straight-line code and
 * checks failed() once at the end. The engine turns the error's parameter name into the file's line:column
 * and JSON pointer ("/parameters/<name>/value").
 *
 * Messages all read "expected <what>, got <value>" ("expected a number of W in [1e-06, 100], got 1e+308"), a
 * missing parameter "missing parameter of the <model> model: expected <what>", an unknown one "unknown
 * parameter of the <model> model (see docs/targets/<model>.md)".
 *
 * Not thread-safe; one reader per create() call.
 */
class ParameterReader
{
public:
    ParameterReader(const Parameters &parameters, ParameterError &error, std::string model)
        : m_parameters(parameters), m_error(error), m_model(std::move(model))
    {}

    bool failed() const { return m_failed; }

    /** Records `message` about `name` unless an earlier problem was recorded. */
    void fail(const std::string &name, const std::string &message)
    {
        if (m_failed)
            return;
        m_failed = true;
        m_error.parameter = name;
        m_error.message = message;
    }

    /** True if the file gives `name` (it then counts as known). */
    bool has(const std::string &name)
    {
        m_known.insert(name);
        return m_parameters.count(name) > 0;
    }

    /** A required number in [min, max]; `unit` names it in messages ("Hz", "B", "" for plain numbers). */
    double number(const std::string &name, double min, double max, std::string_view unit)
    {
        return read(name, min, max, unit, false, std::nullopt).value_or(min);
    }
    /** An optional number in [min, max], `fallback` when absent. */
    double number(const std::string &name, double min, double max, std::string_view unit, double fallback)
    {
        return read(name, min, max, unit, false, fallback).value_or(fallback);
    }
    /** A required whole number in [min, max]. */
    std::int64_t integer(const std::string &name, std::int64_t min, std::int64_t max, std::string_view unit)
    {
        return std::int64_t(read(name, double(min), double(max), unit, true, std::nullopt).value_or(double(min)));
    }
    /** An optional whole number in [min, max], `fallback` when absent. */
    std::int64_t integer(const std::string &name, std::int64_t min, std::int64_t max, std::string_view unit,
                         std::int64_t fallback)
    {
        return std::int64_t(
            read(name, double(min), double(max), unit, true, double(fallback)).value_or(double(fallback)));
    }

    /**
     * One of `allowed`; required unless `fallback` is given, which is returned when absent. After a failure the
     * fallback (or the first allowed value) is returned.
     */
    std::string choice(const std::string &name, const std::vector<std::string> &allowed,
                       std::optional<std::string> fallback = std::nullopt)
    {
        m_known.insert(name);
        std::string list;
        for (const std::string &a : allowed)
            list += (list.empty() ? "" : ", ") + ("\"" + a + "\"");
        const std::string what = allowed.size() == 1 ? list : "one of " + list;
        const std::string otherwise = fallback ? *fallback : allowed.empty() ? std::string() : allowed.front();
        const auto it = m_parameters.find(name);
        if (it == m_parameters.end()) {
            if (!fallback)
                fail(name, "missing parameter of the " + m_model + " model: expected " + what);
            return otherwise;
        }
        if (it->second.number) {
            fail(name, "expected " + what + ", got the number " + formatNumber(*it->second.number));
            return otherwise;
        }
        for (const std::string &a : allowed)
            if (a == it->second.text)
                return a;
        fail(name, "expected " + what + ", got \"" + it->second.text + "\"");
        return otherwise;
    }

    /** Free text (a list the model parses itself); nullopt when absent. */
    std::optional<std::string> text(const std::string &name, const std::string &what)
    {
        m_known.insert(name);
        const auto it = m_parameters.find(name);
        if (it == m_parameters.end())
            return std::nullopt;
        if (it->second.number) {
            fail(name, "expected " + what + ", got the number " + formatNumber(*it->second.number));
            return std::nullopt;
        }
        return it->second.text;
    }

    /** Fails on the first parameter no read asked for: almost always a typo ("clock_mhz") hiding a default. */
    void rejectUnknown()
    {
        for (const auto &entry : m_parameters)
            if (!m_known.count(entry.first)) {
                fail(entry.first,
                     "unknown parameter of the " + m_model + " model (see docs/targets/" + m_model + ".md)");
                return;
            }
    }

    /** "1e+308", "0.5", "128": shortest round-trip text, locale-independent. */
    static std::string formatNumber(double v)
    {
        char buffer[64];
        const auto r = std::to_chars(buffer, buffer + sizeof buffer, v);
        return std::string(buffer, r.ptr);
    }

private:
    std::optional<double> read(const std::string &name, double min, double max, std::string_view unit, bool whole,
                               std::optional<double> fallback)
    {
        m_known.insert(name);
        std::string what = std::string(whole ? "a whole number" : "a number") +
                           (unit.empty() ? std::string() : " of " + std::string(unit)) + " in [" + formatNumber(min) +
                           ", " + formatNumber(max) + "]";
        const auto it = m_parameters.find(name);
        if (it == m_parameters.end()) {
            if (!fallback)
                fail(name, "missing parameter of the " + m_model + " model: expected " + what);
            return std::nullopt;
        }
        if (!it->second.number) {
            fail(name, "expected " + what + ", got the text \"" + it->second.text + "\"");
            return std::nullopt;
        }
        const double v = *it->second.number;
        if (!std::isfinite(v) || v < min || v > max || (whole && v != std::floor(v))) {
            fail(name, "expected " + what + ", got " + formatNumber(v));
            return std::nullopt;
        }
        return v;
    }

    const Parameters &m_parameters;
    ParameterError &m_error;
    std::string m_model;
    std::set<std::string> m_known;
    bool m_failed = false;
};

/**
 * The deployment-list contract of HardwareTarget::estimate() and estimateTotals(): `deployment` has exactly one
 * entry per layer of `network`, in the same order. A list of any other length is a programming error of the
 * caller (the engine builds both from one analysis), not something to paper over with defaults: every model
 * calls this first and lets the std::invalid_argument it throws propagate.
 */
inline void requireDeploymentPerLayer(const std::string &targetId, const NetworkInfo &network,
                                      const std::vector<LayerDeployment> &deployment)
{
    if (deployment.size() != network.layers.size())
        throw std::invalid_argument("target " + targetId + ": " + std::to_string(deployment.size()) +
                                    " deployment entries for " + std::to_string(network.layers.size()) +
                                    " layers of network \"" + network.name + "\"; expected one per layer");
}

/** One default entry (dense, int8 weights and activations) per layer of `network`: a valid deployment list. */
inline std::vector<LayerDeployment> denseInt8Deployment(const NetworkInfo &network)
{
    return std::vector<LayerDeployment>(network.layers.size());
}

} // namespace psc::plugin
