// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Private engine header: the network format on nlohmann values, for files that embed a network
// (e.g. a study spec's base network).

#include "core/jsonsource.h"
#include "psc/net/network.h"

namespace psc {

/**
 * Parses the network object `value` found at `pointer` inside `source` (pointer "" for a whole file).
 * Errors, including shape errors, are located in `source` ("file:line:col: /pointer/layers/3: ...").
 * Returns a resolved, shape-valid description.
 */
NetworkDescription parseNetworkValue(const JsonSource &source, const nlohmann::json &value, const std::string &pointer);

/** The canonical JSON value of a resolved network (key order fixed; see networkToJson()). */
nlohmann::ordered_json networkToValue(const NetworkDescription &resolvedNetwork);

} // namespace psc
