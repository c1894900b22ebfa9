// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/jsonscanner.h"

#include "core/jsonsource.h"

#include <algorithm>
#include <clocale>
#include <cmath>
#include <cstdlib>
#include <unordered_set>

namespace psc {

namespace {

constexpr auto npos = std::string::npos;

void appendUtf8(std::string &out, std::uint32_t cp)
{
    if (cp < 0x80) {
        out += char(cp);
    } else if (cp < 0x800) {
        out += char(0xC0 | (cp >> 6));
        out += char(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += char(0xE0 | (cp >> 12));
        out += char(0x80 | ((cp >> 6) & 0x3F));
        out += char(0x80 | (cp & 0x3F));
    } else {
        out += char(0xF0 | (cp >> 18));
        out += char(0x80 | ((cp >> 12) & 0x3F));
        out += char(0x80 | ((cp >> 6) & 0x3F));
        out += char(0x80 | (cp & 0x3F));
    }
}

/**
 * True if a number literal is beyond double's range. nlohmann reads every number that does not fit a 64-bit
 * integer with strtod, with the locale's decimal point, and refuses infinity; this repeats its test exactly.
 */
bool overflows(std::string_view literal)
{
    std::string copy(literal);
    std::replace(copy.begin(), copy.end(), '.', *std::localeconv()->decimal_point);
    return std::isinf(std::strtod(copy.c_str(), nullptr));
}

} // namespace

JsonScanner::JsonScanner(std::string_view text) : m_s(text)
{
    if (m_s.substr(0, 3) == "\xEF\xBB\xBF")
        m_i = 3; // nlohmann skips a UTF-8 byte order mark, so must we
}

void JsonScanner::skipSpace()
{
    while (m_i < m_s.size() && (m_s[m_i] == ' ' || m_s[m_i] == '\t' || m_s[m_i] == '\n' || m_s[m_i] == '\r'))
        ++m_i;
}

bool JsonScanner::readString(std::string *out)
{
    if (!at('"'))
        return false;
    ++m_i;
    while (m_i < m_s.size()) {
        const char c = m_s[m_i++];
        if (c == '"')
            return true;
        if (c != '\\') {
            if (out)
                *out += c;
            continue;
        }
        if (m_i >= m_s.size())
            return false;
        const char e = m_s[m_i++];
        if (e == 'u') {
            std::uint32_t cp = 0;
            if (!readHex4(cp))
                return false;
            // A high surrogate is followed by "\uDC00".."\uDFFF"; nlohmann rejects lone surrogates.
            if (cp >= 0xD800 && cp <= 0xDBFF && m_s.substr(m_i, 2) == "\\u") {
                m_i += 2;
                std::uint32_t low = 0;
                if (!readHex4(low))
                    return false;
                cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
            }
            if (out)
                appendUtf8(*out, cp);
        } else if (out) {
            static constexpr std::string_view from = "\"\\/bfnrt", to = "\"\\/\b\f\n\r\t";
            const auto k = from.find(e);
            *out += k == npos ? e : to[k];
        }
    }
    return false;
}

bool JsonScanner::skipValue(bool checkDuplicates, bool checkNumbers)
{
    struct Frame
    {
        bool object = false;
        std::size_t index = 0;
        std::string key;
        std::unordered_set<std::string> keys;
    };
    std::vector<Frame> stack;
    // The pointer of the container at stack[depth - 1]'s current member or element.
    auto pointerOf = [&stack](std::size_t depth) {
        std::string pointer;
        for (std::size_t k = 0; k < depth; ++k)
            pointer =
                stack[k].object ? JsonSource::child(pointer, stack[k].key) : JsonSource::child(pointer, stack[k].index);
        return pointer;
    };
    auto readKey = [&](Frame &frame) {
        skipSpace();
        const std::size_t keyAt = m_i;
        std::string key;
        if (!readString(checkDuplicates || checkNumbers ? &key : nullptr))
            return false;
        if (checkDuplicates && !frame.keys.insert(key).second) {
            m_duplicateOffset = keyAt;
            m_duplicateKey = key;
            m_duplicatePointer = pointerOf(stack.size() - 1);
            return false;
        }
        frame.key = std::move(key);
        skipSpace();
        if (!at(':'))
            return false;
        ++m_i;
        return true;
    };

    bool expectValue = true;
    for (;;) {
        skipSpace();
        if (expectValue) {
            if (m_i >= m_s.size())
                return false;
            const char c = m_s[m_i];
            if (c == '{' || c == '[') {
                ++m_i;
                skipSpace();
                if (at(c == '{' ? '}' : ']')) {
                    ++m_i; // empty container: a complete value
                } else {
                    stack.push_back(Frame{c == '{', 0, {}, {}});
                    if (c == '{' && !readKey(stack.back()))
                        return false;
                    continue;
                }
            } else if (c == '"') {
                if (!readString(nullptr))
                    return false;
            } else {
                const std::size_t start = m_i;
                while (m_i < m_s.size() && std::string_view(",]} \t\r\n").find(m_s[m_i]) == npos)
                    ++m_i;
                if (m_i == start)
                    return false;
                if (checkNumbers && (c == '-' || (c >= '0' && c <= '9')) && overflows(m_s.substr(start, m_i - start))) {
                    m_overflowOffset = start;
                    m_overflowLength = m_i - start;
                    m_overflowPointer = pointerOf(stack.size());
                    return false;
                }
            }
            expectValue = false;
        }
        if (stack.empty())
            return true;
        skipSpace();
        Frame &top = stack.back();
        if (at(',')) {
            ++m_i;
            ++top.index;
            if (top.object && !readKey(top))
                return false;
            expectValue = true;
        } else if (at(top.object ? '}' : ']')) {
            ++m_i;
            stack.pop_back();
        } else {
            return false;
        }
    }
}

std::string_view JsonScanner::overflowText() const
{
    return m_overflowOffset == npos ? std::string_view() : m_s.substr(m_overflowOffset, m_overflowLength);
}

bool JsonScanner::enterMember(const std::string &key)
{
    if (!at('{'))
        return false;
    ++m_i;
    skipSpace();
    if (at('}'))
        return false;
    std::size_t found = npos;
    for (;;) {
        skipSpace();
        std::string name;
        if (!readString(&name))
            return false;
        skipSpace();
        if (!at(':'))
            return false;
        ++m_i;
        skipSpace();
        if (name == key)
            found = m_i;
        if (!skipValue())
            return false;
        skipSpace();
        if (at(',')) {
            ++m_i;
            continue;
        }
        break;
    }
    if (found == npos)
        return false;
    m_i = found;
    return true;
}

bool JsonScanner::enterElement(std::size_t index)
{
    if (!at('['))
        return false;
    ++m_i;
    for (std::size_t k = 0;; ++k) {
        skipSpace();
        if (at(']'))
            return false;
        if (k == index)
            return true;
        if (!skipValue())
            return false;
        skipSpace();
        if (!at(','))
            return false;
        ++m_i;
    }
}

bool JsonScanner::readHex4(std::uint32_t &cp)
{
    if (m_i + 4 > m_s.size())
        return false;
    for (int k = 0; k < 4; ++k) {
        const char h = m_s[m_i++];
        cp <<= 4;
        if (h >= '0' && h <= '9')
            cp |= std::uint32_t(h - '0');
        else if (h >= 'a' && h <= 'f')
            cp |= std::uint32_t(h - 'a' + 10);
        else if (h >= 'A' && h <= 'F')
            cp |= std::uint32_t(h - 'A' + 10);
        else
            return false;
    }
    return true;
}
std::string jsonLineColumn(std::string_view text, std::size_t offset)
{
    offset = std::min(offset, text.size());
    std::size_t line = 1, column = 1;
    // A byte order mark is invisible in editors, so it takes no column.
    const std::size_t start = text.substr(0, 3) == "\xEF\xBB\xBF" ? std::min<std::size_t>(3, offset) : 0;
    for (std::size_t k = start; k < offset; ++k) {
        const auto c = static_cast<unsigned char>(text[k]);
        if (c == '\n') {
            ++line;
            column = 1;
        } else if ((c & 0xC0) != 0x80) {
            ++column;
        }
    }
    return std::to_string(line) + ":" + std::to_string(column);
}

std::optional<std::vector<std::string>> jsonPointerTokens(const std::string &pointer)
{
    std::vector<std::string> tokens;
    if (pointer.empty())
        return tokens;
    if (pointer[0] != '/')
        return std::nullopt;
    std::string token;
    for (std::size_t k = 1; k <= pointer.size(); ++k) {
        if (k == pointer.size() || pointer[k] == '/') {
            tokens.push_back(std::move(token));
            token.clear();
        } else if (pointer[k] == '~') {
            if (k + 1 >= pointer.size() || (pointer[k + 1] != '0' && pointer[k + 1] != '1'))
                return std::nullopt;
            token += pointer[++k] == '0' ? '~' : '/';
        } else {
            token += pointer[k];
        }
    }
    return tokens;
}

} // namespace psc
