// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// What the TFLite and ONNX importers share: turning a file's integers, scales and zero points into a TrainedModel
// that the integer reference quantises back to the same integers, and checking the description they built.

#include "psc/core/error.h"
#include "psc/export/importer.h"

#include <cstdint>
#include <set>
#include <string>
#include <vector>

namespace psc {

/** An int8 weight tensor with one scale per output channel (its first dimension) and zero points of 0. */
struct IntWeights
{
    std::vector<int> shape; ///< the network's layout (OIHW; depthwise [C*m, 1, kh, kw]; dense [out, in])
    std::vector<std::int8_t> values;
    std::vector<double> scales;
};

/**
 * The weight bits the values need under the integer reference's per-channel rule: 1 when every value is +-1,
 * else the least b in 2..8 with every |q| <= 2^(b-1) - 1.
 */
int weightBitsOf(const std::vector<std::int8_t> &values);

/**
 * Builds the TrainedModel of an imported int8 network. Each tensor's float range is the one activationParams()
 * turns back into the file's scale and zero point; weights are scale x q (per channel), biases q_b x s_in x s_w.
 */
class TrainedModelBuilder
{
public:
    /** The input's int8 parameters: inputParams(mean, std) reproduces them. */
    void input(double scale, std::int64_t zeroPoint);
    /** The range of tensor `name` ("<layer>" or "<layer>:mid") with int8 parameters (scale, zeroPoint). */
    void range(const std::string &name, double scale, std::int64_t zeroPoint);
    /** Weights (and `factor`, for low_rank) of layer `name`, with int32 biases at input scale x weight scale. */
    void weights(const std::string &name, const IntWeights &weight, const std::vector<std::int32_t> &bias,
                 double inputScale, const IntWeights *factor = nullptr);
    /** The model is not reproducible: `why` becomes a note and no TrainedModel is returned. */
    void refuse(const std::string &why);

    bool refused() const { return !m_refused.empty(); }
    const std::string &whyRefused() const { return m_refused; }
    TrainedModel take(const NetworkDescription &network);

private:
    TrainedModel m_model;
    std::string m_refused;
};

/** A unique, valid layer name from `wanted` (letters, digits, '_', '-', '.'; others become '_'). */
std::string uniqueLayerName(const std::string &wanted, std::set<std::string> &taken);

/**
 * Checks the imported description (parses its canonical JSON, which validates names, inputs and shapes) and that
 * every layer's inferred output shape is the file's (`fileShapes`, by layer index; empty shapes are not checked).
 * InputError naming `displayName` otherwise.
 */
void checkImportedNetwork(const NetworkDescription &network, const std::vector<Shape> &fileShapes,
                          const std::string &displayName);

/**
 * The result of an import: checkImportedNetwork(), then the description with `notes`, and the builder's TrainedModel
 * unless the model is float or the builder refused (a note says which).
 */
ImportedModel finishImport(const NetworkDescription &network, const std::vector<Shape> &fileShapes,
                           std::vector<std::string> notes, TrainedModelBuilder &builder, bool isFloat,
                           const std::string &displayName);

} // namespace psc
