// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "psc/plugin/searchstrategy.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QJsonValue>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

/**
 * @file
 * What the strategies' options and saved states have in common, header-only: quoting a JSON value in a message,
 * shortening long input, encodings as JSON arrays, and the random-stream header of a state.
 */
namespace psc::plugin {

/** `text` itself, or its first 40 characters and its length, for messages about input that may be long. */
inline std::string shortenedText(const std::string &text)
{
    return text.size() > 40 ? text.substr(0, 40) + "... (" + std::to_string(text.size()) + " characters)" : text;
}

/** A JSON value as a message quotes it: 2, 0.5, "text", true, [1], null. */
inline std::string describeJson(const QJsonValue &v)
{
    if (v.isDouble())
        return QString::number(v.toDouble(), 'g', 10).toStdString();
    if (v.isString())
        return "\"" + v.toString().toStdString() + "\"";
    if (v.isBool())
        return v.toBool() ? "true" : "false";
    if (v.isNull() || v.isUndefined())
        return "null";
    const QJsonDocument doc = v.isArray() ? QJsonDocument(v.toArray()) : QJsonDocument(v.toObject());
    return doc.toJson(QJsonDocument::Compact).toStdString();
}

/** Encodings as an array of arrays of choice indices. */
template <class Range> QJsonArray encodingsToJson(const Range &encodings)
{
    QJsonArray out;
    for (const Encoding &x : encodings) {
        QJsonArray a;
        for (int v : x)
            a.push_back(v);
        out.push_back(a);
    }
    return out;
}

/** The inverse of encodingsToJson(); a non-integer choice reads as -1 (out of range for the caller to refuse). */
inline std::vector<Encoding> encodingsFromJson(const QJsonValue &value)
{
    std::vector<Encoding> out;
    for (const QJsonValue &v : value.toArray()) {
        Encoding x;
        for (const QJsonValue &c : v.toArray())
            x.push_back(c.toInt(-1));
        out.push_back(std::move(x));
    }
    return out;
}

/** The header every learning strategy's state starts with: which strategy, its seed, its stream and asks. */
struct StreamState
{
    std::uint64_t seed = 0, rng = 0, asked = 0;
};

/** Writes the header into `o` ({"strategy": ..., "seed": "...", "rng": "...", "asked": "..."}, numbers as text). */
inline QJsonObject streamStateJson(const char *strategy, const StreamState &s)
{
    return QJsonObject{{"strategy", strategy},
                       {"seed", QString::number(s.seed)},
                       {"rng", QString::number(s.rng)},
                       {"asked", QString::number(s.asked)}};
}

/** Reads the header; nullopt if `o` is not a state of `strategy` or a number does not read. */
inline std::optional<StreamState> readStreamState(const QJsonObject &o, const char *strategy)
{
    bool okSeed = false, okRng = false, okAsked = false;
    StreamState s;
    s.seed = o.value("seed").toString().toULongLong(&okSeed);
    s.rng = o.value("rng").toString().toULongLong(&okRng);
    s.asked = o.value("asked").toString().toULongLong(&okAsked);
    if (o.value("strategy").toString() != QLatin1String(strategy) || !okSeed || !okRng || !okAsked)
        return std::nullopt;
    return s;
}

} // namespace psc::plugin
