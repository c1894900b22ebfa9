// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Private engine header: the exporters behind makeExporter().

#include "psc/export/exporter.h"
#include "psc/net/network.h"
#include "psc/quant/integerinference.h"

#include <cstdint>
#include <string>
#include <vector>

namespace psc {

std::unique_ptr<Exporter> makeCExporter();
std::unique_ptr<Exporter> makeTfliteExporter();
std::unique_ptr<Exporter> makeOnnxExporter();

/**
 * A kronecker layer written as its dense product W = A kron B (formats without a Kronecker operator): W's real
 * values re-quantised per output channel to int8 (symmetric, 127), the bias re-expressed for the layer's input
 * scale. Not the reference's two-stage arithmetic: outputs may differ; `warning` says so with both sizes.
 */
struct ExpandedKronecker
{
    std::vector<std::int8_t> weights; ///< [out, in]
    std::vector<double> scales;       ///< per output channel
    std::vector<std::int32_t> bias;   ///< scale: input scale x scales[c]
    std::string warning;
};
ExpandedKronecker expandKronecker(const LayerSpec &l, const LayerQuantization &q);

/**
 * The name under which every export keeps its warnings in the file itself: TFLite `Model.metadata` (a buffer of
 * UTF-8 lines), ONNX `metadata_props`, and a comment block in the C header. Empty files have no entry.
 */
inline constexpr const char *kWarningsMetadataName = "paretoscope_warnings";

/** The warnings as one text, a line each (what the file's metadata holds). */
std::string joinedWarnings(const std::vector<std::string> &warnings);

} // namespace psc
