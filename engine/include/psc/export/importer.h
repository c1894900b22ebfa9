// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "psc/net/network.h"
#include "psc/quant/trainedmodel.h"

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace psc {

/**
 * A model made elsewhere, read into the engine's vocabulary: its network description and, for an int8 model whose
 * quantisation the integer reference can reproduce, a TrainedModel (float weights and ranges that quantise back to
 * the file's integers, scales and zero points) so that the integer reference, the exporters and the cost models
 * work on it. docs/formats/import.md describes the mapping and its limits.
 */
struct ImportedModel
{
    NetworkDescription network;
    std::optional<TrainedModel> model; ///< empty for a float model, or quantisation the reference cannot reproduce
    std::vector<std::string> notes;    ///< what the import changed or could not keep, one line each
};

/**
 * Reads a .tflite flatbuffer (schema version 3) from `bytes`. Every operator must be one of ADD, AVERAGE_POOL_2D,
 * CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED, MAX_POOL_2D, MEAN (over height and width), RELU, RELU6, RESHAPE,
 * SOFTMAX; the first other one is named with its index and the import refused. InputError naming `displayName` and
 * what is wrong for anything else (not a flatbuffer, a failed verification, an index out of range, a buffer of the
 * wrong size, a shape that does not chain). Never reads outside `bytes`. Pure; any thread.
 */
ImportedModel importTflite(const std::string &bytes, const std::string &displayName);

/**
 * Reads an ONNX model (ModelProto) from `bytes` in the QLinear form Paretoscope exports: QuantizeLinear of a float
 * [1, C, H, W] input, QLinearConv (conv2d, depthwise, dense, low_rank as two), com.microsoft QLinearAdd, int8 MaxPool
 * and Reshape/Flatten, and float islands (DequantizeLinear, then AveragePool, GlobalAveragePool, Relu or Softmax,
 * then QuantizeLinear); a Relu island right after a layer is its fused activation. InputError naming `displayName`
 * and the node (index, operator, name) otherwise. Pure; any thread.
 */
ImportedModel importOnnx(const std::string &bytes, const std::string &displayName);

/**
 * Reads `file` (.tflite or .onnx, by extension) and imports it; the network is named after the file's stem.
 * InputError for an unreadable file, another extension, or what the format's importer refuses.
 */
ImportedModel importModelFile(const std::filesystem::path &file);

} // namespace psc
