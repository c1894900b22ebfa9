// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "psc/net/network.h"

#include <filesystem>
#include <string>

namespace psc {

/**
 * Reads a network description file (format: docs/formats/network.md). The result is resolved (every
 * layer named, every `inputs` explicit, see resolveNetwork()) and valid: its shapes infer without error.
 * Throws InputError with "FILE:LINE:COL: /json/pointer: what" for anything wrong with the file. Reentrant.
 */
NetworkDescription parseNetwork(const std::filesystem::path &file);

/** As parseNetwork(), from text; messages name `displayName` instead of a file. */
NetworkDescription parseNetworkJson(const std::string &text, const std::string &displayName);

/**
 * Writes the canonical JSON of a network: every field that applies to a layer's type is written, defaults
 * included, in a fixed key order, so equal descriptions give equal text and parseNetworkJson() gives back
 * an equal description. An unresolved description is resolved first (throws NetworkError if that fails);
 * shapes are not checked. Pretty output puts each layer on one line; compact output has no spaces.
 */
std::string networkToJson(const NetworkDescription &network, bool pretty = true);

/**
 * The text that architectureHash() hashes: compact canonical JSON without the network name and without
 * layer names, inputs given as layer indices (-1 is the network input). Two descriptions that differ only
 * in their names, or in whether `inputs` were implicit, give the same text. Throws like networkToJson().
 */
std::string canonicalArchitectureJson(const NetworkDescription &network);

/**
 * SHA-256 (lowercase hex) of canonicalArchitectureJson(): the study cache key of an architecture.
 * Everything that changes the trained model counts (types, sizes, strides, padding, bias, activations,
 * weight and activation bits, input shape and bits, topology); names do not. Stable across releases: a
 * change to the canonical form must bump its "format" tag and invalidates cached results.
 */
std::string architectureHash(const NetworkDescription &network);

} // namespace psc
