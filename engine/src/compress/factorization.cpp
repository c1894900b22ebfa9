// SPDX-License-Identifier: GPL-3.0-or-later
#include "psc/compress/factorization.h"

#include "compress/svd.h"
#include "psc/net/shapeinference.h"

#include <algorithm>
#include <cmath>

namespace psc {

namespace {

[[noreturn]] void fail(const std::string &layer, const std::string &detail)
{
    throw InputError("factorising layer \"" + layer + "\": " + detail);
}

std::string shapeText(const std::vector<int> &shape)
{
    std::string out;
    for (int d : shape)
        out += (out.empty() ? "" : "x") + std::to_string(d);
    return out.empty() ? "(empty)" : out;
}

/** W [rows, cols] row-major in double precision. */
std::vector<double> toDouble(const FloatTensor &t)
{
    return std::vector<double>(t.values.begin(), t.values.end());
}

FloatTensor tensor(std::vector<int> shape, const std::vector<double> &values)
{
    FloatTensor t;
    t.shape = std::move(shape);
    t.values.assign(values.begin(), values.end());
    return t;
}

/** U_r S_r^1/2 [out, r] and S_r^1/2 V_r^T [r, in]: the balanced split keeps both factors at similar scales. */
void lowRank(const std::vector<double> &w, int out, int in, int rank, LayerParameters &p)
{
    const SingularValueDecomposition d = singularValueDecomposition(w, out, in);
    std::vector<double> u(std::size_t(out) * std::size_t(rank)), v(std::size_t(rank) * std::size_t(in));
    for (int j = 0; j < rank; ++j) {
        const double root = std::sqrt(d.s[std::size_t(j)]);
        for (int o = 0; o < out; ++o)
            u[std::size_t(o) * std::size_t(rank) + std::size_t(j)] =
                d.u[std::size_t(o) * std::size_t(d.k) + std::size_t(j)] * root;
        for (int i = 0; i < in; ++i)
            v[std::size_t(j) * std::size_t(in) + std::size_t(i)] =
                d.v[std::size_t(i) * std::size_t(d.k) + std::size_t(j)] * root;
    }
    p.weight = tensor({out, rank}, u);
    p.factor = tensor({rank, in}, v);
}

/**
 * Van Loan and Pitsianis: with W[p*o2 + q][s*i2 + t] = A[p][s] B[q][t], the rearranged R[p*i1 + s][q*i2 + t] =
 * W[p*o2 + q][s*i2 + t] equals vec(A) vec(B)^T, so the nearest Kronecker product is the best rank-one
 * approximation of R.
 */
void kronecker(const std::vector<double> &w, int in, FactorShape a, FactorShape b, LayerParameters &p)
{
    const int rows = a.out * a.in, cols = b.out * b.in;
    std::vector<double> r(std::size_t(rows) * std::size_t(cols));
    for (int pa = 0; pa < a.out; ++pa)
        for (int s = 0; s < a.in; ++s)
            for (int q = 0; q < b.out; ++q)
                for (int t = 0; t < b.in; ++t)
                    r[std::size_t(pa * a.in + s) * std::size_t(cols) + std::size_t(q * b.in + t)] =
                        w[std::size_t(pa * b.out + q) * std::size_t(in) + std::size_t(s * b.in + t)];
    const SingularValueDecomposition d = singularValueDecomposition(r, rows, cols);
    const double root = std::sqrt(d.s.front());
    std::vector<double> av(static_cast<std::size_t>(rows)), bv(static_cast<std::size_t>(cols));
    for (int i = 0; i < rows; ++i)
        av[std::size_t(i)] = d.u[std::size_t(i) * std::size_t(d.k)] * root;
    for (int i = 0; i < cols; ++i)
        bv[std::size_t(i)] = d.v[std::size_t(i) * std::size_t(d.k)] * root;
    // The singular vectors' sign is arbitrary; make A's largest entry positive so results do not flip between
    // runs of equivalent inputs.
    const auto largest =
        std::max_element(av.begin(), av.end(), [](double x, double y) { return std::abs(x) < std::abs(y); });
    if (largest != av.end() && *largest < 0) {
        for (double &x : av)
            x = -x;
        for (double &x : bv)
            x = -x;
    }
    p.weight = tensor({a.out, a.in}, av);
    p.factor = tensor({b.out, b.in}, bv);
}

} // namespace

TrainedModel factorizeLayer(const TrainedModel &model, const std::string &layer, const Factorization &f)
{
    if (f.kind == Factorization::Kind::None)
        return model;
    TrainedModel result = model;
    NetworkDescription &net = result.network;
    resolveNetwork(net);
    const auto at =
        std::find_if(net.layers.begin(), net.layers.end(), [&](const LayerSpec &l) { return l.name == layer; });
    if (at == net.layers.end())
        fail(layer, "no layer of that name in network \"" + net.name + "\"");
    const auto index = std::size_t(at - net.layers.begin());
    const std::vector<Shape> shapes = inferShapes(net);
    LayerSpec &l = *at;
    const bool pointwise = l.type == LayerType::Conv2d && l.kernelH == 1 && l.kernelW == 1 && l.strideH == 1 &&
                           l.strideW == 1 && !(l.padding.mode == PaddingMode::Explicit && l.padding.amount > 0);
    if (l.type != LayerType::Dense && !pointwise)
        fail(layer,
             "it is a " + std::string(toString(l.type)) +
                 (l.type == LayerType::Conv2d ? " with a kernel, stride or padding other than 1x1, 1, none" : "") +
                 "; only dense and 1x1, stride-1 conv2d layers can be factorised");
    if (l.weightBits == 1)
        fail(layer, "binary (1-bit) weights cannot be factorised");
    const int out = shapes[index].channels;
    const int producer = layerInputIndices(net)[index].front();
    const int in = producer == kNetworkInput ? net.input.channels : shapes[std::size_t(producer)].channels;
    const auto found = result.parameters.find(layer);
    if (found == result.parameters.end())
        fail(layer, "no trained parameters");
    LayerParameters &p = found->second;
    const std::vector<int> expected =
        l.type == LayerType::Dense ? std::vector<int>{out, in} : std::vector<int>{out, in, 1, 1};
    if (p.weight.shape != expected || std::int64_t(p.weight.values.size()) != p.weight.elements())
        fail(layer, "weight shape " + shapeText(p.weight.shape) + " does not match the layer, expected " +
                        shapeText(expected));
    for (float x : p.weight.values)
        if (!std::isfinite(x))
            fail(layer, "non-finite weight");

    LayerSpec replacement;
    replacement.name = l.name;
    replacement.inputs = l.inputs;
    replacement.outChannels = out;
    replacement.bias = l.bias;
    replacement.activation = l.activation;
    replacement.weightBits = l.weightBits;
    replacement.activationBits = l.activationBits;
    const std::vector<double> w = toDouble(p.weight);
    if (f.kind == Factorization::Kind::LowRank) {
        const int maxRank = std::min(in, out);
        if (f.rank < 1 || f.rank > maxRank)
            fail(layer,
                 "rank " + std::to_string(f.rank) + " must be between 1 and min(in, out) = " + std::to_string(maxRank));
        replacement.type = LayerType::LowRank;
        replacement.rank = f.rank;
        lowRank(w, out, in, f.rank, p);
    } else {
        if (f.aOut < 1 || f.aIn < 1 || out % f.aOut != 0 || in % f.aIn != 0)
            fail(layer, "Kronecker factor A [" + std::to_string(f.aOut) + ", " + std::to_string(f.aIn) +
                            "] must divide the weight shape [" + std::to_string(out) + ", " + std::to_string(in) + "]");
        replacement.type = LayerType::Kronecker;
        replacement.kronA = {f.aOut, f.aIn};
        replacement.kronB = {out / f.aOut, in / f.aIn};
        kronecker(w, in, replacement.kronA, replacement.kronB, p);
    }
    l = std::move(replacement);
    result.ranges.erase(layer + ":mid");
    try {
        inferShapes(net); // e.g. a batch_norm after a new kronecker layer
    } catch (const NetworkError &e) {
        fail(layer, e.what());
    }
    return result;
}

} // namespace psc
