// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Private engine header: the cache identity of a decoded candidate.

#include "psc/net/network.h"

#include <map>
#include <string>

namespace psc {

/**
 * architectureHash(network) if `weightSparsity` is empty. Otherwise SHA-256 (lowercase hex) of that hash and
 * the sparsity of each layer by index: NetworkDescription cannot carry sparsity yet, and two candidates that
 * differ only in it must not share cached training results. Layer indices, not names, keep the key
 * independent of naming, as architectureHash() is.
 */
std::string candidateHash(const NetworkDescription &network, const std::map<std::string, double> &weightSparsity);

/**
 * `hash` (a candidateHash()) joined with the candidate's training choices (`trainingJson`, canonical JSON text of
 * the searched training settings): SHA-256 of both, or `hash` itself if `trainingJson` is empty. Two candidates of
 * one architecture trained differently are different candidates.
 */
std::string withTrainingChoices(const std::string &hash, const std::string &trainingJson);

} // namespace psc
