// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "psc/net/network.h"
#include "psc/plugin/searchstrategy.h"
#include "psc/space/searchspacedefinition.h"
#include "psc/train/trainingrecipe.h"

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace psc {

using Encoding = plugin::Encoding;

/** One categorical dimension: its name (e.g. "block2.kernel") and a display label per choice ("5"). */
struct Dimension
{
    std::string name;
    std::vector<std::string> labels;

    int cardinality() const { return int(labels.size()); }
};

/** A network built from an encoding, with what the study stores alongside it. */
struct DecodedCandidate
{
    NetworkDescription network;
    /**
     * Target fraction of zero weights per layer name, for weighted layers (conv2d, depthwise_conv2d, dense)
     * whose sparsity is not zero; empty for a dense network. NetworkDescription has no sparsity field yet,
     * so the compression stage reads it from here (and from parametersJson).
     */
    std::map<std::string, double> weightSparsity;
    /** Flat JSON object {"dimension name": chosen value, ...} in dimension order; encode() inverts it. */
    std::string parametersJson;
    /**
     * Identity of the candidate for caching: architectureHash(network) when `weightSparsity` is empty,
     * otherwise a SHA-256 over that hash and the sparsity map. Encodings that differ only in choices the
     * decoder ignores (unused block slots, expansion of a conv block, ...) have equal hashes.
     */
    std::string architectureHash;
    /// Training choices of the space's "training" section, if it searches them (docs/formats/search-space.md).
    std::optional<double> weightNoise;
    std::optional<bool> distill;

    /**
     * `studyTraining` with this candidate's training choices: weight_noise = eta; distill on sets distill_weight
     * to the study's if it has one, else 0.9 (Noisy Machines), off sets it to 0.
     */
    TrainingRecipe recipe(const TrainingRecipe &studyTraining) const;
};

/**
 * A parameterised family of DS-CNN / MobileNet-like networks, seen by search strategies as a vector of
 * categorical dimensions (docs/formats/search-space.md). Immutable and cheap to copy; every member is
 * const and safe to call from several threads at once.
 *
 * Parse errors are InputError with "file:line:col: /json/pointer: what was expected".
 */
class SearchSpace
{
public:
    /** Validates `definition` and builds the dimension table. Throws InputError naming the bad field. */
    explicit SearchSpace(SearchSpaceDefinition definition);

    /** Reads a search space file. */
    static SearchSpace fromFile(const std::filesystem::path &path);
    /** Parses search space JSON text; errors name `displayName`. */
    static SearchSpace fromJson(std::string_view text, std::string_view displayName = "<search space>");

    const SearchSpaceDefinition &definition() const;
    const std::string &name() const;
    /** Canonical JSON (sorted keys, every choice as a list, defaults written out); fromJson() inverts it. */
    std::string toJson() const;

    /** The free dimensions (cardinality >= 2), in encoding order. May be empty if every choice is fixed. */
    const std::vector<Dimension> &dimensions() const;
    std::vector<int> cardinalities() const;
    std::vector<std::string> dimensionNames() const;
    /** Number of distinct encodings (as a double: it can exceed 2^64). Distinct networks may be fewer. */
    double encodingCount() const;

    /**
     * A uniformly random encoding. Uses only the raw output of `rng`, whose sequence the C++ standard
     * fixes, so a seed gives the same encodings on every platform and compiler.
     */
    Encoding sample(std::mt19937_64 &rng) const;
    /** The `index`-th encoding of the stream seeded by `seed`: independent of any other call. */
    Encoding sample(std::uint64_t seed, std::uint64_t index) const;

    /** Throws InputError unless `encoding` has one index per dimension, each within its cardinality. */
    void validate(const Encoding &encoding) const;
    /** Builds the network an encoding denotes; validates the encoding first. */
    DecodedCandidate decode(const Encoding &encoding) const;
    /**
     * Inverse of decode().parametersJson: every dimension must be present with one of its choices.
     * Throws InputError naming the key and listing the allowed values.
     */
    Encoding encode(std::string_view parametersJson) const;

    /** Spaces are equal if their definitions are. */
    bool operator==(const SearchSpace &other) const { return definition() == other.definition(); }

private:
    struct Impl;
    std::shared_ptr<const Impl> m_impl;
};

/**
 * A uniformly distributed integer in [0, n), n >= 1, by rejection sampling on raw 64-bit draws.
 * std::uniform_int_distribution is not used because its output differs between standard libraries.
 */
int uniformIndex(std::mt19937_64 &rng, int n);

} // namespace psc
