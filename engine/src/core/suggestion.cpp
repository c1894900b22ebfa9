// SPDX-License-Identifier: GPL-3.0-or-later
#include "psc/core/suggestion.h"

#include <algorithm>

namespace psc {

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

std::string_view closestWord(std::string_view word, const std::vector<std::string_view> &candidates)
{
    std::string_view best;
    std::size_t bestDistance = 3; // farther than two edits is not a typo but a different word
    for (std::string_view c : candidates) {
        // The distance is at least the difference in length; skipping those keeps a huge word cheap.
        if (word.size() > c.size() + 2 || c.size() > word.size() + 2)
            continue;
        const std::size_t d = editDistance(word, c);
        if (d < bestDistance) {
            bestDistance = d;
            best = c;
        }
    }
    return best;
}

std::string didYouMean(std::string_view word, const std::vector<std::string_view> &candidates)
{
    const std::string_view best = closestWord(word, candidates);
    return best.empty() ? std::string() : "; did you mean \"" + std::string(best) + "\"?";
}

std::string didYouMean(std::string_view word, const std::vector<std::string> &candidates)
{
    return didYouMean(word, std::vector<std::string_view>(candidates.begin(), candidates.end()));
}

} // namespace psc
