// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/jsonsource.h"

#include "core/jsonscanner.h"
#include "psc/core/error.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

namespace psc {

namespace {

constexpr auto npos = std::string::npos;

/** Number of edits between two short strings; used only to suggest a fix for a misspelt key or choice. */
std::size_t editDistance(std::string_view a, std::string_view b)
{
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j)
        row[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diagonal = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t above = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
            diagonal = above;
        }
    }
    return row[b.size()];
}

template <typename Words> std::string suggestion(std::string_view word, const Words &candidates)
{
    std::string_view best;
    std::size_t bestDistance = 3; // farther than two edits is not a typo but a different word
    for (std::string_view c : candidates) {
        const std::size_t d = editDistance(word, c);
        if (d < bestDistance) {
            bestDistance = d;
            best = c;
        }
    }
    return best.empty() ? std::string() : "; did you mean \"" + std::string(best) + "\"?";
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
    const std::string name = file.string();
    std::error_code ec;
    if (std::filesystem::is_directory(file, ec))
        throw InputError(name + ": cannot read: is a directory");
    std::ifstream in(file, std::ios::binary);
    if (!in)
        throw InputError(name + ": cannot read: " + std::strerror(errno));
    std::ostringstream buffer;
    buffer << in.rdbuf();
    if (in.bad())
        throw InputError(name + ": cannot read: " + std::strerror(errno));
    return fromText(std::move(buffer).str(), name);
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
        what = start == npos ? what : what.substr(start + 2);
        if (source.m_text.find_first_not_of(" \t\r\n") == npos)
            what = "the document is empty";
        throw InputError(source.m_displayName + ":" + jsonLineColumn(source.m_text, offset) +
                         ": malformed JSON: " + what);
    }
    JsonScanner scanner(source.m_text);
    scanner.skipSpace();
    if (!scanner.skipValue(true) && scanner.duplicateOffset() != npos) {
        const std::string where = scanner.duplicatePointer().empty() ? "" : scanner.duplicatePointer() + ": ";
        throw InputError(source.m_displayName + ":" + jsonLineColumn(source.m_text, scanner.duplicateOffset()) + ": " +
                         where + "duplicate key \"" + scanner.duplicateKey() + "\"");
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
        message += jsonPointer + ": ";
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
    case nlohmann::json::value_t::string: {
        std::string text = value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
        if (text.size() > 42)
            text = text.substr(0, 38) + "...\"";
        return text;
    }
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
                        "unknown key \"" + item.key() + "\"" + suggestion(item.key(), allowed) +
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
