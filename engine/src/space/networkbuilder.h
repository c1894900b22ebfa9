// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Private engine header: turns one set of search-space choices into a network description.

#include "psc/net/network.h"
#include "psc/space/searchspacedefinition.h"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace psc {

struct SectionCompression
{
    int weightBits = 8;
    int activationBits = 8;
    double sparsity = 0.0;
    FactorizationChoice factorization;
};

struct BlockChoice
{
    BlockType type = BlockType::Separable;
    int outChannels = 0;
    int kernel = 3;
    int stride = 1;
    int expansion = 1;
    bool residual = false;
    SectionCompression compression;
};

/** One value for every parameter of a space; block slots beyond `blockCount` are present but ignored. */
struct ArchitectureChoice
{
    bool batchNorm = true;
    Activation activation = Activation::Relu;
    int stemOutChannels = 0;
    int stemKernel = 3;
    int stemStride = 1;
    SectionCompression stemCompression;
    int blockCount = 0;
    std::vector<BlockChoice> blocks;
    int denseUnits = 0;
    SectionCompression headCompression;
    SparsitySpec sparsityPattern{SparsityPattern::Unstructured}; ///< SearchSpaceDefinition::sparsityPattern
    std::optional<double> weightNoise; ///< training choices (SearchSpaceDefinition::training), if searched
    std::optional<bool> distill;
};

/**
 * Builds the network (docs/formats/search-space.md, "Decoding"). Layer names depend only on the layers
 * built, never on unused slots, so equal architectures give equal descriptions. Every layer has explicit
 * inputs, as parseNetwork() would resolve them. Non-zero sparsities of weighted layers go to `sparsity`.
 * A section's factorisation turns its dense layer (not the classifier) and its 1x1 convolutions (a block's
 * expansion and projection) into low_rank or kronecker layers; binary layers, kronecker on a dimension that has
 * no divisor but 1 and itself, and kronecker before a batch_norm (which could not fold into it) stay unfactorised.
 */
NetworkDescription buildNetwork(const std::string &name, const Shape &input, int numClasses,
                                const ArchitectureChoice &choice, std::map<std::string, double> &sparsity);

} // namespace psc
