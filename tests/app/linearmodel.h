// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// A trained model small enough to write by hand, for the app tests' hand-made study files.

#include "psc/quant/trainedmodel.h"

#include <vector>

namespace psc::testing {

/**
 * The deployable network "linear" for 1x28x28 images: flatten, then dense "logits" with 10 units whose weights
 * and biases are all zero, with input range [0, 1] and logits range [-1, 1].
 */
inline TrainedModel zeroLinearModel()
{
    TrainedModel m;
    m.network.name = "linear";
    m.network.input = Shape{1, 28, 28};
    LayerSpec flatten;
    flatten.type = LayerType::Flatten;
    flatten.name = "flatten";
    flatten.inputs = {"input"};
    LayerSpec logits;
    logits.type = LayerType::Dense;
    logits.name = "logits";
    logits.inputs = {"flatten"};
    logits.outChannels = 10;
    m.network.layers = {flatten, logits};
    m.parameters["logits"].weight = {{10, 784}, std::vector<float>(7840, 0.0f)};
    m.parameters["logits"].bias = {{10}, std::vector<float>(10, 0.0f)};
    m.ranges = {{"input", {0.0f, 1.0f}}, {"logits", {-1.0f, 1.0f}}};
    return m;
}

} // namespace psc::testing
