// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// A trained model and a data set small enough to check by hand, for tests of what happens after training
// (compression, deployment, analog accuracy).

#include "psc/data/dataset.h"
#include "psc/net/networkparser.h"
#include "psc/quant/trainedmodel.h"

namespace psc::test {

/**
 * Input 4 values; dense "hidden" with weights diag(1, 2, 3, 4), relu "act", dense "logits" with identity weights
 * and biases (0, 0.1, 0.1, 0.1). Image k (value 1 at k, 0 elsewhere) gives logits (k + 1) e_k + bias: class k,
 * always right. Without hidden channel 0 (the smallest L1 norm, what channel pruning removes first) image 0 gives
 * the bare biases and is classified 1: 3 of 4 right.
 */
inline TrainedModel tinyModel()
{
    TrainedModel m;
    m.network = parseNetworkJson(R"({"name": "tiny", "input": {"channels": 4, "height": 1, "width": 1}, "layers": [
        {"type": "dense", "name": "hidden", "units": 4}, {"type": "relu", "name": "act"},
        {"type": "dense", "name": "logits", "units": 4}]})",
                                 "tiny.json");
    m.parameters["hidden"].weight = {{4, 4}, {1, 0, 0, 0, 0, 2, 0, 0, 0, 0, 3, 0, 0, 0, 0, 4}};
    m.parameters["hidden"].bias = {{4}, {0, 0, 0, 0}};
    m.parameters["logits"].weight = {{4, 4}, {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1}};
    m.parameters["logits"].bias = {{4}, {0.0f, 0.1f, 0.1f, 0.1f}};
    m.ranges = {{"input", {0.0f, 1.0f}}, {"hidden", {0.0f, 4.0f}}, {"logits", {0.0f, 4.1f}}};
    return m;
}

/** Two copies of the four one-hot images, labelled with the position of their bright value. */
inline Dataset oneHotData()
{
    Dataset d;
    d.name = "one-hot";
    d.numClasses = 4;
    ImageSet s;
    s.count = 8;
    s.channels = 4;
    s.height = s.width = 1;
    for (int i = 0; i < 8; ++i) {
        for (int k = 0; k < 4; ++k)
            s.pixels.push_back(k == i % 4 ? 255 : 0);
        s.labels.push_back(std::uint8_t(i % 4));
    }
    d.train = s;
    d.test = s;
    return d;
}

} // namespace psc::test
