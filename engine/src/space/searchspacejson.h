// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Private engine header: JSON (de)serialisation of search space definitions, shared with the study spec
// parser so that an inline "search_space" object reports errors at its place in the study file.

#include "psc/space/searchspacedefinition.h"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>

namespace psc {

class JsonSource;

/** A problem found in a definition: the JSON pointer (relative to the space object) and what was expected. */
struct DefinitionProblem
{
    std::string pointer;
    std::string what;
};

/**
 * Parses the search space object at `pointer` of `source` and validates it. Throws InputError
 * ("file:line:col: /pointer: what").
 */
SearchSpaceDefinition parseSearchSpaceDefinition(const JsonSource &source, const std::string &pointer);

/** The first semantic problem of a definition (empty lists, values out of range, duplicates), if any. */
std::optional<DefinitionProblem> findDefinitionProblem(const SearchSpaceDefinition &definition);

/** Canonical JSON value: every field written, every choice as a list; keys sorted by nlohmann::json. */
nlohmann::json searchSpaceDefinitionToJson(const SearchSpaceDefinition &definition);

/** A choice as it is written in search space files and parameter objects. */
inline nlohmann::json choiceToJson(int value)
{
    return value;
}
inline nlohmann::json choiceToJson(double value)
{
    return value;
}
inline nlohmann::json choiceToJson(bool value)
{
    return value;
}
inline nlohmann::json choiceToJson(BlockType value)
{
    return std::string(toString(value));
}
inline nlohmann::json choiceToJson(Activation value)
{
    return std::string(toString(value));
}
/** "none", {"low_rank": F} or "kronecker". */
inline nlohmann::json choiceToJson(const FactorizationChoice &value)
{
    switch (value.kind) {
    case FactorizationChoice::Kind::LowRank:
        return nlohmann::json{{"low_rank", value.rankFraction}};
    case FactorizationChoice::Kind::Kronecker:
        return "kronecker";
    case FactorizationChoice::Kind::None:
        break;
    }
    return "none";
}

} // namespace psc
