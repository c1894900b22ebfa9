// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Private engine header: the text scanner behind JsonSource::location().

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace psc {

/**
 * A forgiving JSON tokenizer over text that nlohmann has already accepted. It only needs to find where
 * values start, so it never builds values; on anything unexpected it reports failure instead of throwing.
 * Iterative (explicit stack) so that deeply nested input cannot overflow the call stack.
 */
class JsonScanner
{
public:
    /** `text` must outlive the scanner. A leading UTF-8 byte order mark is skipped, as nlohmann does. */
    explicit JsonScanner(std::string_view text);

    std::size_t pos() const { return m_i; }
    void skipSpace();
    bool at(char c) const { return m_i < m_s.size() && m_s[m_i] == c; }

    /** Reads a string literal starting at the quote; decodes escapes into `out` when given. */
    bool readString(std::string *out);
    /**
     * Skips one whole value. With `checkDuplicates`, stops at the first key that repeats within its object
     * and leaves its offset in duplicateOffset() and the containing object's pointer in duplicatePointer().
     * With `checkNumbers`, stops at the first number beyond the range of a double (nlohmann refuses it
     * without saying where) and leaves its offset, pointer and text in overflowOffset() and friends.
     */
    bool skipValue(bool checkDuplicates = false, bool checkNumbers = false);
    /** Moves from an object's "{" to the value of member `key` (the last one, as nlohmann keeps the last). */
    bool enterMember(const std::string &key);
    /** Moves from an array's "[" to its element `index`. */
    bool enterElement(std::size_t index);

    std::size_t duplicateOffset() const { return m_duplicateOffset; }
    const std::string &duplicateKey() const { return m_duplicateKey; }
    const std::string &duplicatePointer() const { return m_duplicatePointer; }
    std::size_t overflowOffset() const { return m_overflowOffset; }
    const std::string &overflowPointer() const { return m_overflowPointer; }
    std::string_view overflowText() const;

private:
    bool readHex4(std::uint32_t &cp);

    std::string_view m_s;
    std::size_t m_i = 0;
    std::size_t m_duplicateOffset = std::string::npos;
    std::string m_duplicateKey;
    std::string m_duplicatePointer;
    std::size_t m_overflowOffset = std::string::npos;
    std::size_t m_overflowLength = 0;
    std::string m_overflowPointer;
};

/** "line:col" of a byte offset, 1-based; columns count characters (UTF-8 code points), as editors show them. */
std::string jsonLineColumn(std::string_view text, std::size_t offset);

/** Splits a JSON pointer (RFC 6901) into unescaped tokens; nullopt if it is not a valid pointer. */
std::optional<std::vector<std::string>> jsonPointerTokens(const std::string &pointer);

} // namespace psc
