// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "psc/net/network.h"

#include <string>
#include <string_view>
#include <vector>

namespace psc {

/** How a block slot is built (docs/formats/search-space.md, "Decoding"). */
enum class BlockType
{
    Separable, ///< [1x1 expansion] + depthwise kxk + 1x1 projection (DS-CNN / MobileNetV2 block)
    Conv,      ///< one full kxk convolution
};

std::string_view toString(BlockType type);

/**
 * A factorisation choice (docs/formats/search-space.md, "Factorisation"): "none", {"low_rank": F} with rank
 * max(1, round(F * min(in, out))), or "kronecker" with balanced factor shapes.
 */
struct FactorizationChoice
{
    enum class Kind
    {
        None,
        LowRank,
        Kronecker,
    };
    Kind kind = Kind::None;
    double rankFraction = 0.0; ///< LowRank: F in (0, 1]

    bool operator==(const FactorizationChoice &) const = default;
};

/**
 * Bit-width, sparsity and factorisation choices of one section. In a section (stem, blocks, head) an empty list means
 * "use the space-wide list"; in SearchSpaceDefinition::compression every list is non-empty.
 */
struct CompressionChoices
{
    std::vector<int> weightBits;     ///< each in {1, 2, 4, 8}
    std::vector<int> activationBits; ///< each in {1, 2, 4, 8}
    std::vector<double> sparsity;    ///< target fraction of zero weights, each in [0, 1)
    /// Dense layers and 1x1 convolutions of the head and the blocks (never the stem or the classifier).
    std::vector<FactorizationChoice> factorization;

    bool operator==(const CompressionChoices &) const = default;
};

/** The first convolution. */
struct StemChoices
{
    std::vector<int> outChannels;
    std::vector<int> kernel{3};
    std::vector<int> stride{1};
    CompressionChoices compression;

    bool operator==(const StemChoices &) const = default;
};

/**
 * The repeated blocks. Every list except `count` is chosen independently for each block slot up to the
 * largest count, so a space with count [1, 2, 3] has three slots and a sampled count of 2 ignores slot 3.
 */
struct BlockChoices
{
    std::vector<int> count;
    std::vector<BlockType> type{BlockType::Separable};
    std::vector<int> outChannels;
    std::vector<int> kernel{3};
    std::vector<int> stride{1};
    std::vector<int> expansion{1};
    std::vector<bool> residual{false};
    CompressionChoices compression;

    bool operator==(const BlockChoices &) const = default;
};

/** The classifier after global average pooling; a dense width of 0 means no hidden layer. */
struct HeadChoices
{
    std::vector<int> denseUnits{0};
    CompressionChoices compression;

    bool operator==(const HeadChoices &) const = default;
};

/**
 * Training choices searched with the architecture (docs/formats/search-space.md, "training"): noise-robust training
 * for analog hardware. An empty list keeps the study's training recipe.
 */
struct TrainingChoices
{
    std::vector<double> weightNoise; ///< the recipe's weight_noise (eta), each in [0, 1)
    std::vector<bool> distill;       ///< distillation from the noise-free network in the noise epochs on / off

    bool operator==(const TrainingChoices &) const = default;
};

/**
 * A search space file as plain data (docs/formats/search-space.md). Every std::vector is a list of
 * choices; a list of one element is a fixed value and does not become a search dimension. Produced by
 * SearchSpace's parsers, which validate it; SearchSpace's constructor validates it again for definitions
 * built in code.
 */
struct SearchSpaceDefinition
{
    std::string name;
    std::string description;
    Shape input; ///< channels x height x width of one sample
    int numClasses = 0;

    StemChoices stem;
    BlockChoices blocks;
    HeadChoices head;

    std::vector<bool> batchNorm{true};
    std::vector<Activation> activation{Activation::Relu}; ///< Relu or Relu6
    /// Space-wide defaults, inherited by the sections without their own lists.
    CompressionChoices compression{{8}, {8}, {0.0}, {FactorizationChoice{}}};
    /**
     * How a chosen sparsity fraction f is laid out, fixed for the space: unstructured (default), DBB with
     * `blockSize` (NNZ = round((1 - f) * BZ), at least 1) or N:M with `m` (N = round((1 - f) * M)).
     */
    SparsitySpec sparsityPattern{SparsityPattern::Unstructured};
    TrainingChoices training;

    bool operator==(const SearchSpaceDefinition &) const = default;
};

} // namespace psc
