// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Private engine header: it exposes nlohmann::json, which public headers must not.

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

namespace psc {

/**
 * A parsed JSON document that remembers its text, so that errors can name "file:line:col" of any value.
 *
 * nlohmann::json does not record where values came from; location() re-scans the raw text along a JSON
 * pointer instead, which costs nothing until an error is reported. Duplicate object keys are rejected at
 * load time (nlohmann would silently keep the last one, hiding a likely typo).
 *
 * Every error is an InputError whose message is complete: "FILE:LINE:COL: /json/pointer: what". The
 * typed getters below take the object, the object's JSON pointer and a key; they produce messages such
 * as `net.json:12:17: /layers/2/kernel: expected an integer >= 1, got "three"`.
 *
 * Immutable after construction; safe to read from several threads.
 */
class JsonSource
{
public:
    /** Reads and parses a file; the display name is the path as given. Throws InputError. */
    static JsonSource fromFile(const std::filesystem::path &file);
    /** Parses text; errors name `displayName` (e.g. "study.json" or "<command line>"). Throws InputError. */
    static JsonSource fromText(std::string text, std::string displayName);
    /** Wraps an already-parsed value (e.g. read from the database); locations are just the display name. */
    static JsonSource fromValue(nlohmann::json value, std::string displayName);

    const nlohmann::json &root() const { return m_root; }
    const std::string &displayName() const { return m_displayName; }
    const std::string &text() const { return m_text; }

    /** "file:line:col" of the value at a JSON pointer ("/layers/3/type"), or "file" if it cannot be located. */
    std::string location(const std::string &jsonPointer) const;
    /** Throws InputError("file:line:col: /layers/3/type: <what>"); the root pointer "" prints no pointer. */
    [[noreturn]] void fail(const std::string &jsonPointer, const std::string &what) const;

    /** `pointer` + "/" + key with the pointer escapes applied ("~" -> "~0", "/" -> "~1"). */
    static std::string child(const std::string &pointer, std::string_view key);
    static std::string child(const std::string &pointer, std::size_t index);
    /** A short description of a value for messages: `"three"`, `3.5`, `true`, `an object`, `an array`. */
    static std::string describe(const nlohmann::json &value);

    /** `; did you mean "conv2d"?` for a word within two edits of a candidate, else "". */
    static std::string didYouMean(std::string_view word, std::initializer_list<std::string_view> candidates);

    /** Fails unless `value` is an object. */
    void requireObject(const nlohmann::json &value, const std::string &pointer) const;
    /** Fails unless `value` is an array. */
    void requireArray(const nlohmann::json &value, const std::string &pointer) const;
    /** Fails on the first key of `obj` not in `allowed`, naming it and listing the allowed keys. */
    void checkKeys(const nlohmann::json &obj, const std::string &pointer,
                   std::initializer_list<std::string_view> allowed) const;
    void checkKeys(const nlohmann::json &obj, const std::string &pointer,
                   const std::vector<std::string_view> &allowed) const;
    /** Fails with `missing required key "key"` unless `obj` has it. Returns the value. */
    const nlohmann::json &require(const nlohmann::json &obj, const std::string &pointer, const char *key) const;

    /** An integer in [min, max]; non-integral numbers, strings etc. are errors. */
    int toInt(const nlohmann::json &value, const std::string &pointer, int min = std::numeric_limits<int>::min(),
              int max = std::numeric_limits<int>::max()) const;
    std::int64_t toInt64(const nlohmann::json &value, const std::string &pointer,
                         std::int64_t min = std::numeric_limits<std::int64_t>::min(),
                         std::int64_t max = std::numeric_limits<std::int64_t>::max()) const;
    /** Any finite number in [min, max] (integers are accepted). */
    double toDouble(const nlohmann::json &value, const std::string &pointer,
                    double min = -std::numeric_limits<double>::infinity(),
                    double max = std::numeric_limits<double>::infinity()) const;
    bool toBool(const nlohmann::json &value, const std::string &pointer) const;
    std::string toString(const nlohmann::json &value, const std::string &pointer, bool allowEmpty = true) const;
    /** A string that must be one of `choices`; returns its index. The message lists the choices. */
    int toChoice(const nlohmann::json &value, const std::string &pointer,
                 std::initializer_list<std::string_view> choices) const;

    /** obj[key] as in toInt(), or `def` if the key is absent. */
    int getInt(const nlohmann::json &obj, const std::string &pointer, const char *key, int def,
               int min = std::numeric_limits<int>::min(), int max = std::numeric_limits<int>::max()) const;
    std::int64_t getInt64(const nlohmann::json &obj, const std::string &pointer, const char *key, std::int64_t def,
                          std::int64_t min = std::numeric_limits<std::int64_t>::min(),
                          std::int64_t max = std::numeric_limits<std::int64_t>::max()) const;
    double getDouble(const nlohmann::json &obj, const std::string &pointer, const char *key, double def,
                     double min = -std::numeric_limits<double>::infinity(),
                     double max = std::numeric_limits<double>::infinity()) const;
    bool getBool(const nlohmann::json &obj, const std::string &pointer, const char *key, bool def) const;
    std::string getString(const nlohmann::json &obj, const std::string &pointer, const char *key,
                          const std::string &def, bool allowEmpty = true) const;
    int getChoice(const nlohmann::json &obj, const std::string &pointer, const char *key, int def,
                  std::initializer_list<std::string_view> choices) const;

    /** Required variants: fail with `missing required key` if absent. */
    int requireInt(const nlohmann::json &obj, const std::string &pointer, const char *key,
                   int min = std::numeric_limits<int>::min(), int max = std::numeric_limits<int>::max()) const;
    double requireDouble(const nlohmann::json &obj, const std::string &pointer, const char *key,
                         double min = -std::numeric_limits<double>::infinity(),
                         double max = std::numeric_limits<double>::infinity()) const;
    std::string requireString(const nlohmann::json &obj, const std::string &pointer, const char *key,
                              bool allowEmpty = false) const;
    int requireChoice(const nlohmann::json &obj, const std::string &pointer, const char *key,
                      std::initializer_list<std::string_view> choices) const;

private:
    JsonSource() = default;

    std::string m_text; ///< empty for fromValue(): nothing to locate in
    std::string m_displayName;
    nlohmann::json m_root;
};

} // namespace psc
