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
 *  keeps the n largest of every m consecutive inputs of an n:m dense layer, as pruning would (the other layers keep
 *  what randomModel() gave them). */
inline void pruneToSpec(TrainedModel &m, std::mt19937 &rng)
{
    // First no zero at all: the pattern alone decides which weights are zero.
    auto refill = [&rng](std::vector<float> &w) {
        std::uniform_real_distribution<float> magnitude(0.5f, 1.0f);
        std::bernoulli_distribution negative(0.5);
        float amplitude = 0.0f;
        for (const float v : w)
            amplitude = std::max(amplitude, std::abs(v));
        for (float &v : w)
            if (v == 0.0f)
                v = (negative(rng) ? -amplitude : amplitude) * magnitude(rng);
    };
    for (const LayerSpec &l : m.network.layers) {
        if (l.sparsity.pattern == SparsityPattern::NM && l.type == LayerType::Dense) {
            FloatTensor &t = m.parameters.at(l.name).weight;
            refill(t.values);
            const int in = t.shape.at(1), n = l.sparsity.n, groupSize = l.sparsity.m;
            for (int o = 0; o < t.shape.at(0); ++o)
                for (int g = 0; g < in; g += groupSize) {
                    float *group = t.values.data() + std::size_t(o) * std::size_t(in) + std::size_t(g);
                    const int size = std::min(groupSize, in - g);
                    std::vector<float> magnitudes(group, group + size);
                    for (float &v : magnitudes)
                        v = std::abs(v);
                    std::sort(magnitudes.begin(), magnitudes.end(), std::greater<>());
                    const float keep = size > n ? magnitudes[std::size_t(n)] : -1.0f;
                    for (int k = 0, kept = 0; k < size; ++k)
                        if (std::abs(group[k]) <= keep || kept == n)
                            group[k] = 0.0f;
                        else
                            ++kept;
                }
        } else if (l.sparsity.pattern == SparsityPattern::Unstructured) {
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
