// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "psc/net/network.h"

#include <string>

namespace psc {

/**
 * The C99 kernels the layers of `net` call, with the helpers they need, as one block of text for the generated
 * source (engine/src/export/cexporter.cpp): only what the network uses, since static functions never called are
 * warnings and flash. `sparse` / `dense`: whether some conv2d, depthwise or dense layer stores its weights in a
 * sparse encoding / dense. Plain C99, no CMSIS-NN (not packaged for Debian); the calls in psc_model_invoke() are
 * where optimised kernels would be swapped in. Pure.
 */
std::string cKernelsFor(const NetworkDescription &net, bool sparse, bool dense);

} // namespace psc
