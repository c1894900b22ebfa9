// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/jsonsource.h"

#include "core/jsonscanner.h"
#include "psc/core/error.h"
#include "psc/core/inputfile.h"
#include "psc/core/suggestion.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <sstream>
#include <vector>

namespace psc {

namespace {

constexpr auto npos = std::string::npos;

template <typename Words> std::string suggestion(std::string_view word, const Words &candidates)
{
    return didYouMean(word, std::vector<std::string_view>(candidates.begin(), candidates.end()));
}

template <typename Words> std::string joinChoices(const Words &choices, bool quote)
{
    std::string out;
    for (std::string_view c : choices) {
        if (!out.empty())
            out += ", ";
        if (quote)
            out += '"';
        out += c;
        if (quote)
            out += '"';
    }
    return out;
}

/** Cuts the token nlohmann quotes after "last read: " to a few dozen characters: it may be megabytes long. */
std::string shortenLastRead(const std::string &what)
{
    static constexpr std::string_view marker = "last read: '";
    const auto begin = what.find(marker);
    const auto end = what.rfind('\'');
    if (begin == npos || end == npos || end < begin + marker.size())
        return what;
    const std::size_t from = begin + marker.size();
    const std::string token = what.substr(from, end - from);
    const std::string quoted = quotedInput(token);
    if (quoted.find("\xE2\x80\xA6\" (") == npos)
        return what; // short enough to keep nlohmann's own wording
    return what.substr(0, begin) + "last read: " + quoted + what.substr(end + 1);
}

/** A JSON pointer for messages: a token longer than a few dozen characters (a huge key) is cut, ending in "…". */
std::string displayPointer(const std::string &pointer)
{
    constexpr std::size_t maxToken = 40;
    std::string out;
    std::size_t tokenCharacters = 0;
    bool cut = false;
    for (const char c : pointer) {
        if (c == '/') {
            out += c;
            tokenCharacters = 0;
            cut = false;
            continue;
        }
        if (cut)
            continue;
        if ((static_cast<unsigned char>(c) & 0xC0) != 0x80 && tokenCharacters++ == maxToken) {
            out += "\xE2\x80\xA6";
            cut = true;
            continue;
        }
        out += c;
    }
    return out;
}

template <typename T> std::string rangeText(T min, T max)
{
    bool hasMin = min != std::numeric_limits<T>::lowest();
    bool hasMax = max != std::numeric_limits<T>::max();
    if constexpr (std::numeric_limits<T>::has_infinity) {
        hasMin = hasMin && min != -std::numeric_limits<T>::infinity();
        hasMax = hasMax && max != std::numeric_limits<T>::infinity();
    }
    std::ostringstream out;
    if (hasMin && hasMax)
        out << " between " << min << " and " << max;
    else if (hasMin)
        out << " >= " << min;
    else if (hasMax)
        out << " <= " << max;
    return out.str();
}

} // namespace

JsonSource JsonSource::fromFile(const std::filesystem::path &file)
{
    std::string text = readInputFile(file, kMaxInputFileBytes);
    return fromText(std::move(text), file.string());
}

JsonSource JsonSource::fromText(std::string text, std::string displayName)
{
    JsonSource source;
    source.m_text = std::move(text);
    source.m_displayName = std::move(displayName);
    try {
        source.m_root = nlohmann::json::parse(source.m_text);
    } catch (const nlohmann::json::parse_error &e) {
        // e.byte is the 1-based index of the last character read, i.e. the offending one.
        const std::size_t offset = e.byte == 0 ? 0 : e.byte - 1;
        std::string what = e.what();
        const auto start = what.find(": ", what.find("parse error"));
        what = shortenLastRead(start == npos ? what : what.substr(start + 2));
        if (source.m_text.find_first_not_of(" \t\r\n") == npos)
            what = "the document is empty";
        throw InputError(source.m_displayName + ":" + jsonLineColumn(source.m_text, offset) +
                         ": malformed JSON: " + what);
    } catch (const nlohmann::json::exception &e) {
        // Only a number beyond double's range gets here (out_of_range.406), and nlohmann gives no position:
        // the first such number in the text is the one it stopped at.
        JsonScanner scanner(source.m_text);
        scanner.skipSpace();
        scanner.skipValue(false, true);
        if (scanner.overflowOffset() == npos)
            throw InputError(source.m_displayName + ": malformed JSON: " + shortenLastRead(e.what()));
        const std::string &pointer = scanner.overflowPointer();
        throw InputError(source.m_displayName + ":" + jsonLineColumn(source.m_text, scanner.overflowOffset()) + ": " +
                         (pointer.empty() ? "" : displayPointer(pointer) + ": ") +
                         "number out of range: expected a number between -1.8e308 and 1.8e308 (a double), got " +
                         quotedInput(scanner.overflowText()));
    }
    JsonScanner scanner(source.m_text);
    scanner.skipSpace();
    if (!scanner.skipValue(true) && scanner.duplicateOffset() != npos) {
        const std::string &pointer = scanner.duplicatePointer();
        throw InputError(source.m_displayName + ":" + jsonLineColumn(source.m_text, scanner.duplicateOffset()) + ": " +
                         (pointer.empty() ? "" : displayPointer(pointer) + ": ") + "duplicate key " +
                         quotedInput(scanner.duplicateKey()));
    }
    return source;
}

JsonSource JsonSource::fromValue(nlohmann::json value, std::string displayName)
{
    JsonSource source;
    source.m_root = std::move(value);
    source.m_displayName = std::move(displayName);
    return source;
}

std::string JsonSource::location(const std::string &jsonPointer) const
{
    const auto tokens = jsonPointerTokens(jsonPointer);
    if (m_text.empty() || !tokens)
        return m_displayName;
    JsonScanner scanner(m_text);
    scanner.skipSpace();
    for (const std::string &token : *tokens) {
        bool ok = false;
        if (scanner.at('{')) {
            ok = scanner.enterMember(token);
        } else if (scanner.at('[') && !token.empty() && token.size() < 19 &&
                   token.find_first_not_of("0123456789") == npos && (token == "0" || token[0] != '0')) {
            ok = scanner.enterElement(std::stoull(token));
        }
        if (!ok)
            return m_displayName;
    }
    return m_displayName + ":" + jsonLineColumn(m_text, scanner.pos());
}

void JsonSource::fail(const std::string &jsonPointer, const std::string &what) const
{
    const std::string where = location(jsonPointer);
    std::string message = where.empty() ? std::string() : where + ": ";
    if (!jsonPointer.empty())
        message += displayPointer(jsonPointer) + ": ";
    throw InputError(message + what);
}

std::string JsonSource::child(const std::string &pointer, std::string_view key)
{
    std::string out = pointer + "/";
    for (char c : key) {
        if (c == '~')
            out += "~0";
        else if (c == '/')
            out += "~1";
        else
            out += c;
    }
    return out;
}

std::string JsonSource::child(const std::string &pointer, std::size_t index)
{
    return pointer + "/" + std::to_string(index);
}

std::string JsonSource::describe(const nlohmann::json &value)
{
    switch (value.type()) {
    case nlohmann::json::value_t::object:
        return "an object";
    case nlohmann::json::value_t::array:
        return "an array";
    case nlohmann::json::value_t::string:
        return quotedInput(value.get_ref<const std::string &>());
    default:
        return value.dump();
    }
}

std::string JsonSource::didYouMean(std::string_view word, std::initializer_list<std::string_view> candidates)
{
    return suggestion(word, candidates);
}

void JsonSource::requireObject(const nlohmann::json &value, const std::string &pointer) const
{
    if (!value.is_object())
        fail(pointer, "expected an object, got " + describe(value));
}

void JsonSource::requireArray(const nlohmann::json &value, const std::string &pointer) const
{
    if (!value.is_array())
        fail(pointer, "expected an array, got " + describe(value));
}

namespace {

template <typename Words>
void checkKeysIn(const JsonSource &source, const nlohmann::json &obj, const std::string &pointer, const Words &allowed)
{
    for (const auto &item : obj.items()) {
        if (std::find(allowed.begin(), allowed.end(), item.key()) == allowed.end())
            source.fail(JsonSource::child(pointer, item.key()),
                        "unknown key " + quotedInput(item.key()) + suggestion(item.key(), allowed) +
                            " (allowed keys: " + joinChoices(allowed, false) + ")");
    }
}

} // namespace

void JsonSource::checkKeys(const nlohmann::json &obj, const std::string &pointer,
                           std::initializer_list<std::string_view> allowed) const
{
    checkKeysIn(*this, obj, pointer, allowed);
}

void JsonSource::checkKeys(const nlohmann::json &obj, const std::string &pointer,
                           const std::vector<std::string_view> &allowed) const
{
    checkKeysIn(*this, obj, pointer, allowed);
}

const nlohmann::json &JsonSource::require(const nlohmann::json &obj, const std::string &pointer, const char *key) const
{
    const auto it = obj.find(key);
    if (it == obj.end())
        fail(pointer, std::string("missing required key \"") + key + "\"");
    return *it;
}

namespace {

/** Shared by toInt() and toInt64(); `range` describes the bounds in the caller's type. */
std::int64_t checkedInteger(const JsonSource &source, const nlohmann::json &value, const std::string &pointer,
                            std::int64_t min, std::int64_t max, const std::string &range)
{
    bool ok = value.is_number_integer();
    if (ok && value.is_number_unsigned()) {
        // nlohmann stores every non-negative literal as unsigned, so both bounds are checked in uint64.
        const auto v = value.get<std::uint64_t>();
        ok = max >= 0 && v <= std::uint64_t(max) && (min <= 0 || v >= std::uint64_t(min));
    } else if (ok) {
        ok = value.get<std::int64_t>() >= min && value.get<std::int64_t>() <= max;
    }
    if (!ok)
        source.fail(pointer, "expected an integer" + range + ", got " + JsonSource::describe(value));
    return value.get<std::int64_t>();
}

} // namespace

std::int64_t JsonSource::toInt64(const nlohmann::json &value, const std::string &pointer, std::int64_t min,
                                 std::int64_t max) const
{
    return checkedInteger(*this, value, pointer, min, max, rangeText(min, max));
}

int JsonSource::toInt(const nlohmann::json &value, const std::string &pointer, int min, int max) const
{
    return int(checkedInteger(*this, value, pointer, min, max, rangeText(min, max)));
}

double JsonSource::toDouble(const nlohmann::json &value, const std::string &pointer, double min, double max) const
{
    if (!value.is_number() || !std::isfinite(value.get<double>()) || value.get<double>() < min ||
        value.get<double>() > max)
        fail(pointer, "expected a number" + rangeText(min, max) + ", got " + describe(value));
    return value.get<double>();
}

bool JsonSource::toBool(const nlohmann::json &value, const std::string &pointer) const
{
    if (!value.is_boolean())
        fail(pointer, "expected true or false, got " + describe(value));
    return value.get<bool>();
}

std::string JsonSource::toString(const nlohmann::json &value, const std::string &pointer, bool allowEmpty) const
{
    if (!value.is_string())
        fail(pointer, std::string(allowEmpty ? "expected a string" : "expected a non-empty string") + ", got " +
                          describe(value));
    if (!allowEmpty && value.get_ref<const std::string &>().empty())
        fail(pointer, "expected a non-empty string, got \"\"");
    return value.get<std::string>();
}

int JsonSource::toChoice(const nlohmann::json &value, const std::string &pointer,
                         std::initializer_list<std::string_view> choices) const
{
    if (value.is_string()) {
        const auto &text = value.get_ref<const std::string &>();
        const auto it = std::find(choices.begin(), choices.end(), text);
        if (it != choices.end())
            return int(it - choices.begin());
        fail(pointer,
             "expected one of " + joinChoices(choices, true) + ", got " + describe(value) + suggestion(text, choices));
    }
    fail(pointer, "expected one of " + joinChoices(choices, true) + ", got " + describe(value));
}

int JsonSource::getInt(const nlohmann::json &obj, const std::string &pointer, const char *key, int def, int min,
                       int max) const
{
    const auto it = obj.find(key);
    return it == obj.end() ? def : toInt(*it, child(pointer, key), min, max);
}

std::int64_t JsonSource::getInt64(const nlohmann::json &obj, const std::string &pointer, const char *key,
                                  std::int64_t def, std::int64_t min, std::int64_t max) const
{
    const auto it = obj.find(key);
    return it == obj.end() ? def : toInt64(*it, child(pointer, key), min, max);
}

double JsonSource::getDouble(const nlohmann::json &obj, const std::string &pointer, const char *key, double def,
                             double min, double max) const
{
    const auto it = obj.find(key);
    return it == obj.end() ? def : toDouble(*it, child(pointer, key), min, max);
}

bool JsonSource::getBool(const nlohmann::json &obj, const std::string &pointer, const char *key, bool def) const
{
    const auto it = obj.find(key);
    return it == obj.end() ? def : toBool(*it, child(pointer, key));
}

std::string JsonSource::getString(const nlohmann::json &obj, const std::string &pointer, const char *key,
                                  const std::string &def, bool allowEmpty) const
{
    const auto it = obj.find(key);
    return it == obj.end() ? def : toString(*it, child(pointer, key), allowEmpty);
}

int JsonSource::getChoice(const nlohmann::json &obj, const std::string &pointer, const char *key, int def,
                          std::initializer_list<std::string_view> choices) const
{
    const auto it = obj.find(key);
    return it == obj.end() ? def : toChoice(*it, child(pointer, key), choices);
}

int JsonSource::requireInt(const nlohmann::json &obj, const std::string &pointer, const char *key, int min,
                           int max) const
{
    return toInt(require(obj, pointer, key), child(pointer, key), min, max);
}

double JsonSource::requireDouble(const nlohmann::json &obj, const std::string &pointer, const char *key, double min,
                                 double max) const
{
    return toDouble(require(obj, pointer, key), child(pointer, key), min, max);
}

std::string JsonSource::requireString(const nlohmann::json &obj, const std::string &pointer, const char *key,
                                      bool allowEmpty) const
{
    return toString(require(obj, pointer, key), child(pointer, key), allowEmpty);
}

int JsonSource::requireChoice(const nlohmann::json &obj, const std::string &pointer, const char *key,
                              std::initializer_list<std::string_view> choices) const
{
    return toChoice(require(obj, pointer, key), child(pointer, key), choices);
}

} // namespace psc
