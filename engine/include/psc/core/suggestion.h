// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace psc {

/** Levenshtein distance (insertions, deletions, substitutions) between two strings. Pure; any thread. */
std::size_t editDistance(std::string_view a, std::string_view b);

/**
 * The candidate closest to a misspelt `word`, if it is within two edits: the nearest wins, the first of equals.
 * Returns "" when none is that close. Cheap for a huge `word` (lengths that differ by more than two are skipped).
 */
std::string_view closestWord(std::string_view word, const std::vector<std::string_view> &candidates);

/** `; did you mean "analyze"?` for closestWord(), or "". */
std::string didYouMean(std::string_view word, const std::vector<std::string_view> &candidates);
std::string didYouMean(std::string_view word, const std::vector<std::string> &candidates);

} // namespace psc
