// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "psc/net/network.h"

#include <QString>
#include <QStringList>

#include <vector>

namespace psc {

/** One layer that differs between two networks. */
struct LayerChange
{
    enum class Kind
    {
        Added,   ///< only in the second network
        Removed, ///< only in the first
        Changed, ///< in both, with other settings
    };
    Kind kind = Kind::Changed;
    QString layer;       ///< its name
    QString type;        ///< "conv2d" (the second network's type when it changed)
    QStringList details; ///< Changed: "out_channels 24 → 16", "weight_bits 8 → 4", one per setting that differs
};

/** What changed from one network to another, layer by layer. */
struct ArchitectureDiff
{
    std::vector<LayerChange> changes; ///< removed and changed in the first network's order, then added in the second's
    /// True if either network had batch norms or activations that fold into their producers when deployed: both
    /// were compared in that deployed form (lowerForDeployment()), so a compressed child, whose stored network is
    /// already folded, is compared layer by layer with its parent rather than as "batch norms removed".
    bool folded = false;
    int changed(LayerChange::Kind kind) const;
};

/**
 * The layers added, removed and changed from `from` to `to`, matched by layer name, each compared in its deployed
 * form (see ArchitectureDiff::folded). Every setting of a layer counts (type, channels, kernel, stride, bits,
 * sparsity, factorisation, inputs); a value reads as the network JSON writes it. Pure; any thread.
 */
ArchitectureDiff diffArchitectures(const NetworkDescription &from, const NetworkDescription &to);

} // namespace psc
