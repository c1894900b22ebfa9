// SPDX-License-Identifier: GPL-3.0-or-later
#include "psc/study/studylocation.h"

#include "psc/core/error.h"
#include "psc/core/suggestion.h"

#include <libpq-fe.h>

#include <algorithm>
#include <cctype>

namespace psc {

namespace {

constexpr std::string_view kSchemes[] = {"postgresql://", "postgres://"};

int hexDigit(char c)
{
    if (std::isdigit(static_cast<unsigned char>(c)))
        return c - '0';
    const char lower = char(std::tolower(static_cast<unsigned char>(c)));
    return lower >= 'a' && lower <= 'f' ? lower - 'a' + 10 : -1;
}

std::string decoded(std::string_view text, const std::string &url)
{
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '%') {
            out += text[i];
            continue;
        }
        const int high = i + 2 < text.size() ? hexDigit(text[i + 1]) : -1;
        const int low = i + 2 < text.size() ? hexDigit(text[i + 2]) : -1;
        if (high < 0 || low < 0)
            throw InputError(url + ": a '%' must start an escape of two hex digits (e.g. %2F for '/')");
        out += char(high * 16 + low);
        i += 2;
    }
    return out;
}

std::string encoded(std::string_view text)
{
    std::string out;
    for (const unsigned char c : text) {
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
            out += char(c);
        } else {
            static constexpr char kHex[] = "0123456789ABCDEF";
            out += '%';
            out += kHex[c >> 4];
            out += kHex[c & 15];
        }
    }
    return out;
}

/** libpq's connection keywords, for checking a URL's parameters. */
std::vector<std::string> libpqKeywords()
{
    std::vector<std::string> keywords;
    if (PQconninfoOption *options = PQconndefaults()) {
        for (const PQconninfoOption *o = options; o->keyword; ++o)
            keywords.emplace_back(o->keyword);
        PQconninfoFree(options);
    }
    return keywords;
}

bool validStudyName(std::string_view name)
{
    return !name.empty() && name.size() <= 48 && std::all_of(name.begin(), name.end(), [](unsigned char c) {
        return std::isalnum(c) || c == '_' || c == '-';
    });
}

} // namespace

bool StudyLocation::isUrl(std::string_view text)
{
    return std::any_of(std::begin(kSchemes), std::end(kSchemes),
                       [text](std::string_view scheme) { return text.substr(0, scheme.size()) == scheme; });
}

StudyLocation StudyLocation::parse(std::string_view text)
{
    std::string_view rest;
    for (std::string_view scheme : kSchemes)
        if (text.substr(0, scheme.size()) == scheme)
            rest = text.substr(scheme.size());
    if (!isUrl(text))
        throw InputError(std::string(text) + ": not a study URL (expected postgresql://user@host:port/database"
                                             "?study=NAME)");
    StudyLocation location;
    // What messages may show before the URL is understood: never a password, so cut the user info.
    const std::size_t at = rest.substr(0, rest.find_first_of("/?")).rfind('@');
    std::string shown = "postgresql://";
    if (at != std::string_view::npos)
        shown += std::string(rest.substr(0, std::min(at, rest.find(':')))) + "@";
    shown += std::string(at == std::string_view::npos ? rest : rest.substr(at + 1));
    std::string_view query;
    if (const std::size_t q = rest.find('?'); q != std::string_view::npos) {
        query = rest.substr(q + 1);
        rest = rest.substr(0, q);
    }
    std::string_view authority = rest.substr(0, rest.find('/'));
    if (const std::size_t slash = rest.find('/'); slash != std::string_view::npos)
        location.database = decoded(rest.substr(slash + 1), shown);
    if (at != std::string_view::npos) {
        const std::string_view userInfo = authority.substr(0, at);
        authority = authority.substr(at + 1);
        if (userInfo.find(':') != std::string_view::npos)
            throw InputError(shown + ": the URL holds a password; passwords never go on the command line (they "
                                     "would show in `ps`, shell history and logs): put it in ~/.pgpass or "
                                     "PGPASSWORD, or name a service file entry with ?service=NAME "
                                     "(docs/database.md)");
        location.user = decoded(userInfo, shown);
    }
    if (!authority.empty() && authority.front() == '[') { // [IPv6]:port
        const std::size_t close = authority.find(']');
        if (close == std::string_view::npos)
            throw InputError(shown + ": an IPv6 host needs its closing ']'");
        location.host = std::string(authority.substr(1, close - 1));
        authority = authority.substr(close + 1);
        if (!authority.empty() && authority.front() == ':')
            location.port = std::string(authority.substr(1));
    } else if (const std::size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
        location.host = decoded(authority.substr(0, colon), shown);
        location.port = std::string(authority.substr(colon + 1));
    } else {
        location.host = decoded(authority, shown);
    }
    if (!location.port.empty() &&
        (!std::all_of(location.port.begin(), location.port.end(), [](unsigned char c) { return std::isdigit(c); }) ||
         location.port.size() > 5 || std::stoi(location.port) > 65535 || std::stoi(location.port) == 0))
        throw InputError(shown + ": port \"" + location.port + "\" is not a port number (1-65535)");

    const std::vector<std::string> keywords = libpqKeywords();
    while (!query.empty()) {
        const std::string_view pair = query.substr(0, query.find('&'));
        query = pair.size() < query.size() ? query.substr(pair.size() + 1) : std::string_view();
        if (pair.empty())
            continue;
        const std::size_t equals = pair.find('=');
        const std::string key = decoded(pair.substr(0, equals), shown);
        const std::string value =
            equals == std::string_view::npos ? std::string() : decoded(pair.substr(equals + 1), shown);
        if (key == "password")
            throw InputError(shown.substr(0, shown.find('?')) +
                             ": the URL holds a password; passwords never go on the command line: put it in "
                             "~/.pgpass or PGPASSWORD, or name a service file entry with ?service=NAME "
                             "(docs/database.md)");
        if (key == "study") {
            location.study = value;
            continue;
        }
        if (std::find(keywords.begin(), keywords.end(), key) == keywords.end()) {
            std::vector<std::string> known = keywords;
            known.push_back("study");
            throw InputError(shown + ": unknown URL parameter \"" + key + "\"" + didYouMean(key, known) +
                             " (expected study=NAME or a libpq connection parameter such as sslmode)");
        }
        location.options.emplace_back(key, value);
    }
    if (location.study.empty())
        throw InputError(shown + ": the URL names no study: add ?study=NAME (the study's name in the database)");
    if (!validStudyName(location.study))
        throw InputError(shown + ": study name \"" + location.study + "\" must be 1-48 letters, digits, '_' or '-'");
    return location;
}

std::string StudyLocation::url() const
{
    std::string out = "postgresql://";
    if (!user.empty())
        out += encoded(user) + "@";
    out += host.find(':') != std::string::npos ? "[" + host + "]" : encoded(host);
    if (!port.empty())
        out += ":" + port;
    if (!database.empty())
        out += "/" + encoded(database);
    out += "?study=" + study;
    for (const auto &[key, value] : options)
        out += "&" + encoded(key) + "=" + encoded(value);
    return out;
}

std::vector<std::pair<std::string, std::string>> StudyLocation::connectionParameters() const
{
    std::vector<std::pair<std::string, std::string>> parameters;
    bool named = false, timeout = false;
    for (const auto &[key, value] : options) {
        named = named || key == "application_name";
        timeout = timeout || key == "connect_timeout";
    }
    if (!user.empty())
        parameters.emplace_back("user", user);
    if (!host.empty())
        parameters.emplace_back("host", host);
    if (!port.empty())
        parameters.emplace_back("port", port);
    if (!database.empty())
        parameters.emplace_back("dbname", database);
    if (!named)
        parameters.emplace_back("application_name", "paretoscope");
    if (!timeout)
        parameters.emplace_back("connect_timeout", "10");
    parameters.insert(parameters.end(), options.begin(), options.end());
    return parameters;
}

} // namespace psc
