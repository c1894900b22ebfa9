// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Private engine header: the exporters behind makeExporter().

#include "psc/export/exporter.h"

namespace psc {

std::unique_ptr<Exporter> makeCExporter();
std::unique_ptr<Exporter> makeTfliteExporter();

} // namespace psc
