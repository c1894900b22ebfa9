// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Networks that exercise every layer the integer inference supports, random test images and calibration, shared
// by the tests of the integer reference and of the exporters that must match it. Header-only.

#include "fakequantreference.h"
#include "testmodels.h"

#include <QByteArray>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

namespace psc::testing {

inline std::vector<std::uint8_t> randomImages(const Shape &shape, int count, std::mt19937 &rng)
{
    // Smooth blobs plus noise: structured enough that pooling and convolutions see varied statistics.
    std::vector<std::uint8_t> pixels;
    std::uniform_real_distribution<double> u(0.0, 1.0);
    for (int n = 0; n < count; ++n) {
        const double cx = u(rng) * shape.width, cy = u(rng) * shape.height, r = 1.0 + 4.0 * u(rng);
        const double gain = 255.0 * u(rng), noise = 80.0 * u(rng);
        for (int c = 0; c < shape.channels; ++c) {
            for (int y = 0; y < shape.height; ++y) {
                for (int x = 0; x < shape.width; ++x) {
                    const double d2 = ((x - cx) * (x - cx) + (y - cy) * (y - cy)) / (r * r);
                    const double v = gain * std::exp(-d2) + noise * u(rng) + (c == 1 ? 40.0 : 0.0);
                    pixels.push_back(std::uint8_t(std::clamp(v, 0.0, 255.0)));
                }
            }
        }
    }
    return pixels;
}

/** Records float ranges over calibration images, as training would. */
inline void calibrate(TrainedModel &m, std::mt19937 &rng)
{
    FakeQuantReference ref(m, false);
    const auto images = randomImages(m.network.input, 64, rng);
    for (int n = 0; n < 64; ++n)
        ref.run(images.data() + std::size_t(n) * std::size_t(m.network.input.elements()));
    m.ranges = ref.ranges;
}

/** Gives every layer with unstructured sparsity exactly its spec's fraction of zero weights, at random places, and
 *  keeps the largest n (N:M) or max_nonzeros (DBB) of every group of each reduction row, as pruning would: rows run
 *  along the input channels at each kernel position, or over the kernel window where the weights have one input
 *  channel (depthwise), as the analysis groups them. The other layers keep what randomModel() gave them. */
inline void pruneToSpec(TrainedModel &m, std::mt19937 &rng)
{
    // First every weight 0.6 to 1 times the largest, with its sign: the pattern alone decides which weights are
    // zero, and no kept weight rounds to zero, even at 2 bits.
    auto refill = [&rng](std::vector<float> &w) {
        std::uniform_real_distribution<float> magnitude(0.6f, 1.0f);
        std::bernoulli_distribution negative(0.5);
        float amplitude = 0.0f;
        for (const float v : w)
            amplitude = std::max(amplitude, std::abs(v));
        for (float &v : w)
            v = ((v < 0.0f || (v == 0.0f && negative(rng))) ? -amplitude : amplitude) * magnitude(rng);
    };
    for (const LayerSpec &l : m.network.layers) {
        const SparsityPattern pattern = l.sparsity.pattern;
        if (pattern == SparsityPattern::NM || pattern == SparsityPattern::Dbb) {
            FloatTensor &t = m.parameters.at(l.name).weight;
            refill(t.values);
            const int out = t.shape.at(0), in = t.shape.at(1);
            const int window = t.shape.size() == 4 ? t.shape[2] * t.shape[3] : 1;
            const bool windowRows = in == 1;
            const int length = windowRows ? window : in, rowsPerChannel = windowRows ? 1 : window;
            const int groupSize = pattern == SparsityPattern::NM ? l.sparsity.m : l.sparsity.blockSize;
            const int keepCount = pattern == SparsityPattern::NM ? l.sparsity.n : l.sparsity.maxNonZeros;
            for (int o = 0; o < out; ++o)
                for (int r = 0; r < rowsPerChannel; ++r)
                    for (int g = 0; g < length; g += groupSize) {
                        // Element e of row r: OIHW index o * in * window + c * window + position.
                        auto at = [&](int e) -> float & {
                            const int c = windowRows ? 0 : e, position = windowRows ? e : r;
                            return t.values[(std::size_t(o) * std::size_t(in) + std::size_t(c)) * std::size_t(window) +
                                            std::size_t(position)];
                        };
                        const int size = std::min(groupSize, length - g);
                        std::vector<float> magnitudes;
                        for (int k = 0; k < size; ++k)
                            magnitudes.push_back(std::abs(at(g + k)));
                        std::sort(magnitudes.begin(), magnitudes.end(), std::greater<>());
                        const float threshold = size > keepCount ? magnitudes[std::size_t(keepCount)] : -1.0f;
                        for (int k = 0, kept = 0; k < size; ++k)
                            if (std::abs(at(g + k)) <= threshold || kept == keepCount)
                                at(g + k) = 0.0f;
                            else
                                ++kept;
                    }
        } else if (pattern == SparsityPattern::Unstructured) {
            std::vector<float> &w = m.parameters.at(l.name).weight.values;
            refill(w);
            std::vector<std::size_t> order(w.size());
            for (std::size_t i = 0; i < order.size(); ++i)
                order[i] = i;
            std::shuffle(order.begin(), order.end(), rng);
            const auto zeros = std::size_t(std::lround(l.sparsity.fraction * double(w.size())));
            for (std::size_t i = 0; i < zeros; ++i)
                w[order[i]] = 0.0f;
        }
    }
}

/** randomModel() with a fifth of the weights pruned (sparse layers to their spec's fraction), calibrated on random
 *  images: ready to quantise. */
inline TrainedModel calibratedRandomModel(const std::string &json, std::mt19937 &rng)
{
    TrainedModel m = randomModel(json, rng, 0.2f);
    pruneToSpec(m, rng);
    calibrate(m, rng);
    return m;
}

/** `pixels` as the int8 input the exports take: q = pixel - 128. */
inline QByteArray int8Inputs(const std::vector<std::uint8_t> &pixels)
{
    QByteArray out;
    out.reserve(qsizetype(pixels.size()));
    for (const std::uint8_t p : pixels)
        out.append(char(std::int8_t(int(p) - 128)));
    return out;
}

inline const char *const kConvPoolNet =
    R"({"name": "convpool", "input": {"channels": 1, "height": 11, "width": 11}, "layers": [
    {"type": "conv2d", "name": "conv1", "out_channels": 6, "kernel": 3, "padding": "same", "activation": "relu"},
    {"type": "depthwise_conv2d", "name": "dw", "kernel": 3, "stride": 2, "padding": "same", "depth_multiplier": 2,
     "activation": "relu6"},
    {"type": "max_pool2d", "name": "mp", "kernel": 3, "stride": 2, "padding": "same"},
    {"type": "avg_pool2d", "name": "ap", "kernel": 3, "stride": 1, "padding": "same"},
    {"type": "flatten", "name": "fl"},
    {"type": "dense", "name": "fc1", "units": 16, "activation": "relu"},
    {"type": "dense", "name": "fc2", "units": 10},
    {"type": "softmax", "name": "sm"}]})";

inline const char *const kResidualNet =
    R"({"name": "residual", "input": {"channels": 2, "height": 9, "width": 9}, "layers": [
    {"type": "conv2d", "name": "c1", "out_channels": 8, "kernel": 3, "activation": "relu"},
    {"type": "conv2d", "name": "c2", "inputs": ["input"], "out_channels": 8, "kernel": 3, "stride": [1, 1],
     "padding": 0},
    {"type": "conv2d", "name": "c2b", "out_channels": 8, "kernel": 3, "padding": 1},
    {"type": "relu6", "name": "r2"},
    {"type": "conv2d", "name": "c3", "out_channels": 8, "kernel": [1, 3], "padding": "same"},
    {"type": "add", "name": "add1", "inputs": ["c1", "c3"], "activation": "relu"},
    {"type": "add", "name": "add2", "inputs": ["add1", "c1", "r2"]},
    {"type": "avg_pool2d", "name": "ap", "kernel": 2, "stride": 2, "padding": "same"},
    {"type": "max_pool2d", "name": "mp", "kernel": 3, "stride": 1, "padding": 1},
    {"type": "global_avg_pool", "name": "gap"},
    {"type": "dense", "name": "fc", "units": 5, "bias": false},
    {"type": "softmax", "name": "sm"}]})";

inline const char *const kNarrowNet =
    R"({"name": "narrow", "input": {"channels": 1, "height": 10, "width": 10}, "layers": [
    {"type": "conv2d", "name": "conv1", "out_channels": 8, "kernel": 3, "stride": 2, "padding": "same",
     "activation": "relu", "weight_bits": 4, "activation_bits": 6},
    {"type": "depthwise_conv2d", "name": "dw", "kernel": 3, "padding": "same", "activation": "relu6",
     "weight_bits": 2, "activation_bits": 4},
    {"type": "conv2d", "name": "pw", "out_channels": 12, "kernel": 3, "stride": 2, "padding": "same",
     "weight_bits": 3, "activation_bits": 5},
    {"type": "avg_pool2d", "name": "ap", "kernel": 2, "stride": 1},
    {"type": "flatten", "name": "fl"},
    {"type": "dense", "name": "fc1", "units": 24, "activation": "relu", "weight_bits": 1},
    {"type": "dense", "name": "fc2", "units": 7, "activation": "softmax"}]})";

// Sparse layers: unstructured pruning at 8, 4 and 2 bits stored as presence bitmasks (strided and padded conv2d,
// depthwise with a multiplier, dense), and one at 10 %, whose mask would not pay for itself (stored dense).
inline const char *const kSparseNet =
    R"({"name": "sparse", "input": {"channels": 2, "height": 10, "width": 10}, "layers": [
    {"type": "conv2d", "name": "c1", "out_channels": 6, "kernel": 3, "stride": 2, "padding": "same",
     "activation": "relu", "sparsity": {"pattern": "unstructured", "fraction": 0.7}},
    {"type": "depthwise_conv2d", "name": "dw", "kernel": 3, "padding": 1, "depth_multiplier": 2,
     "activation": "relu6", "weight_bits": 4, "sparsity": {"pattern": "unstructured", "fraction": 0.6}},
    {"type": "conv2d", "name": "c2", "out_channels": 5, "kernel": [1, 3], "padding": "same",
     "sparsity": {"pattern": "unstructured", "fraction": 0.1}},
    {"type": "flatten", "name": "fl"},
    {"type": "dense", "name": "fc", "units": 10, "weight_bits": 2,
     "sparsity": {"pattern": "unstructured", "fraction": 0.8}},
    {"type": "softmax", "name": "sm"}]})";

// Each sparse encoding the analysis charges, as the C export stores it: presence bits (unstructured conv on one
// input channel), N:M 1:4 over a depthwise window (groups of 4, 4 and 1), DBB 1-of-4 blocks along 8 input channels
// of a 4-bit strided conv, CSR for a 95 %-pruned dense layer (432 of 8640 weights), N:M 2:4 on 2-bit dense weights.
inline const char *const kEncodingsNet =
    R"({"name": "encodings", "input": {"channels": 1, "height": 12, "width": 12}, "layers": [
    {"type": "conv2d", "name": "c1", "out_channels": 8, "kernel": 3, "padding": "same", "activation": "relu",
     "sparsity": {"pattern": "unstructured", "fraction": 0.6}},
    {"type": "depthwise_conv2d", "name": "dw", "kernel": 3, "padding": "same", "activation": "relu6",
     "sparsity": {"pattern": "n:m", "n": 1, "m": 4}},
    {"type": "conv2d", "name": "c2", "out_channels": 6, "kernel": 3, "stride": 2, "padding": "same",
     "activation": "relu", "weight_bits": 4, "sparsity": {"pattern": "dbb", "block_size": 4, "max_nonzeros": 1}},
    {"type": "flatten", "name": "fl"},
    {"type": "dense", "name": "fc1", "units": 40, "activation": "relu",
     "sparsity": {"pattern": "unstructured", "fraction": 0.95}},
    {"type": "dense", "name": "fc2", "units": 10, "weight_bits": 2, "sparsity": {"pattern": "n:m", "n": 2, "m": 4}},
    {"type": "softmax", "name": "sm"}]})";

// Factorised layers on a spatial input (per pixel) and on flat inputs, with fused activations and narrow weights.
inline const char *const kFactorNet =
    R"({"name": "factor", "input": {"channels": 3, "height": 8, "width": 8}, "layers": [
    {"type": "conv2d", "name": "c1", "out_channels": 8, "kernel": 3, "stride": 2, "padding": "same",
     "activation": "relu"},
    {"type": "low_rank", "name": "lr", "out_channels": 12, "rank": 4, "activation": "relu"},
    {"type": "kronecker", "name": "kr", "out_channels": 6, "factors": [[2, 4], [3, 3]], "activation": "relu6",
     "weight_bits": 6},
    {"type": "global_avg_pool", "name": "gap"},
    {"type": "low_rank", "name": "lr2", "out_channels": 20, "rank": 5, "bias": false, "activation": "relu",
     "weight_bits": 4},
    {"type": "kronecker", "name": "kr2", "out_channels": 10, "factors": [[5, 4], [2, 5]]},
    {"type": "softmax", "name": "sm"}]})";

} // namespace psc::testing
