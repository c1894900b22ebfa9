// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Test helpers shared by the engine tests: sparsity specs written out by hand and trained models with random
// parameters. Header-only; each test executable includes it once.

#include "psc/net/network.h"
#include "psc/net/networkparser.h"
#include "psc/net/shapeinference.h"
#include "psc/quant/trainedmodel.h"

#include <cmath>
#include <random>
#include <string>
#include <vector>

namespace psc::testing {

inline SparsitySpec unstructured(double fraction = 0.0)
{
    SparsitySpec s;
    s.pattern = SparsityPattern::Unstructured;
    s.fraction = fraction;
    return s;
}

/** At most `nnz` non-zeros in every block of `bz`; the fraction the bound implies. */
inline SparsitySpec dbb(int nnz, int bz)
{
    SparsitySpec s;
    s.pattern = SparsityPattern::Dbb;
    s.blockSize = bz;
    s.maxNonZeros = nnz;
    s.fraction = 1.0 - double(nnz) / bz;
    return s;
}

/** N:M with the fraction the bound implies. */
inline SparsitySpec nm(int n, int m)
{
    SparsitySpec s;
    s.pattern = SparsityPattern::NM;
    s.n = n;
    s.m = m;
    s.fraction = 1.0 - double(n) / m;
    return s;
}

/**
 * A TrainedModel for the network `json` with Fashion-MNIST normalisation and random parameters: weights uniform
 * in +-1.7/sqrt(fan-in) (factorised layers: each factor scaled by its own fan-in), biases in +-0.2. Each weight
 * of a layer wider than 1 bit is an exact zero with probability `zeroFraction` (then no value is drawn for it).
 * Ranges are left empty.
 */
inline TrainedModel randomModel(const std::string &json, std::mt19937 &rng, float zeroFraction = 0.0f)
{
    TrainedModel m;
    m.network = parseNetworkJson(json, "test network");
    m.inputMean = 0.2860;
    m.inputStd = 0.3530;
    const auto inputs = layerInputIndices(m.network);
    const auto shapes = inferShapes(m.network, inputs);
    std::uniform_real_distribution<float> unit(-1.0f, 1.0f);
    std::uniform_real_distribution<float> chance(0.0f, 1.0f);
    for (std::size_t i = 0; i < m.network.layers.size(); ++i) {
        const LayerSpec &l = m.network.layers[i];
        if (!hasWeights(l.type))
            continue;
        const int src = inputs[i].front();
        const Shape in = src == kNetworkInput ? m.network.input : shapes[std::size_t(src)];
        const int out = shapes[i].channels;
        LayerParameters p;
        if (isFactorized(l.type)) {
            // Dense factors scaled so that each stage keeps the variance of its input.
            const bool kron = l.type == LayerType::Kronecker;
            p.weight.shape = kron ? std::vector<int>{l.kronA.out, l.kronA.in} : std::vector<int>{out, l.rank};
            p.factor.shape = kron ? std::vector<int>{l.kronB.out, l.kronB.in} : std::vector<int>{l.rank, in.channels};
            for (FloatTensor *t : {&p.weight, &p.factor}) {
                const float amplitude = 1.7f / std::sqrt(float(t->shape[1]));
                for (std::int64_t e = 0; e < t->elements(); ++e)
                    t->values.push_back(amplitude * unit(rng));
            }
        } else {
            if (l.type == LayerType::Dense)
                p.weight.shape = {out, int(in.elements())};
            else
                p.weight.shape = {out, l.type == LayerType::Conv2d ? in.channels : 1, l.kernelH, l.kernelW};
            const float amplitude = 1.7f / std::sqrt(float(p.weight.elements() / out));
            for (std::int64_t e = 0; e < p.weight.elements(); ++e)
                p.weight.values.push_back(zeroFraction > 0.0f && l.weightBits > 1 && chance(rng) < zeroFraction
                                              ? 0.0f
                                              : amplitude * unit(rng));
        }
        if (l.bias) {
            p.bias.shape = {out};
            for (int c = 0; c < out; ++c)
                p.bias.values.push_back(0.2f * unit(rng));
        }
        m.parameters[l.name] = p;
    }
    return m;
}

} // namespace psc::testing
