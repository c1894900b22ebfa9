// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <cstdint>

/**
 * @file
 * The random numbers of the search strategies: SplitMix64 (Steele, Lea, Flood, OOPSLA 2014), a fast, well-mixed
 * generator whose whole state is one 64-bit counter, so a strategy's saved state stays one number. Header-only.
 */
namespace psc::plugin {

/** The next value of the stream whose state is `state` (advanced). */
inline std::uint64_t splitMix64(std::uint64_t &state)
{
    std::uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/** An unbiased draw in [0, n), n >= 1, by rejection. */
inline int uniformIndex(std::uint64_t &state, int n)
{
    const std::uint64_t bound = std::uint64_t(n);
    const std::uint64_t limit = UINT64_MAX - UINT64_MAX % bound;
    std::uint64_t r = 0;
    do {
        r = splitMix64(state);
    } while (r >= limit);
    return int(r % bound);
}

/** A draw in [0, 1) with 53 random bits. */
inline double uniformUnit(std::uint64_t &state)
{
    return double(splitMix64(state) >> 11) * 0x1.0p-53;
}

} // namespace psc::plugin
