// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// A deliberately simple double-precision forward pass for tst_integerinference: either plain float (to
// record activation ranges) or fake-quantised as docs/quantization.md describes (quantised input, dequantised
// weights and biases, every boundary tensor and the intermediate of factorised layers quantised). It shares no code
// with the integer kernels: only the parameter helpers (activationParams(), quantizeWeights()), which are tested on
// their own.

#include "psc/quant/quantparams.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <string>
#include <vector>

namespace psc::testing {

struct RefTensor
{
    int c = 0, h = 0, w = 0;
    std::vector<double> v; ///< real values, C x H x W
    std::vector<int> q;    ///< quantised values (fake-quant mode, boundary tensors and pass-throughs)
    QuantParams params;
    double &at(int ci, int y, int x) { return v[(std::size_t(ci) * h + y) * w + x]; }
    double at(int ci, int y, int x) const { return v[(std::size_t(ci) * h + y) * w + x]; }
};

class FakeQuantReference
{
public:
    /** quantised == false: float forward pass that records ranges; true: fake-quantised pass using them. */
    FakeQuantReference(const TrainedModel &model, bool quantised) : m_model(model), m_quantised(quantised) {}

    /**
     * Output tensor of the last non-softmax layer. With `forced` (fake-quant mode; the integer model's trace()),
     * every layer reads the integer model's outputs instead of its own, so that layerOutputs checks each layer
     * alone, without the propagation of earlier rounding differences.
     */
    RefTensor run(const std::uint8_t *image, const std::vector<std::vector<std::int8_t>> *forced = nullptr)
    {
        layerOutputs.clear();
        const NetworkDescription &net = m_model.network;
        std::map<std::string, RefTensor> t;
        RefTensor in{net.input.channels, net.input.height, net.input.width, {}, {}, {}};
        const double zp = std::nearbyint(255.0 * m_model.inputMean) - 128.0;
        in.params.scale = 1.0 / (255.0 * m_model.inputStd);
        in.params.zeroPoint = int(zp);
        for (std::size_t e = 0; e < std::size_t(net.input.elements()); ++e) {
            if (m_quantised) {
                in.q.push_back(int(image[e]) - 128);
                in.v.push_back((double(in.q.back()) - zp) * in.params.scale);
            } else {
                in.v.push_back((image[e] / 255.0 - m_model.inputMean) / m_model.inputStd);
            }
        }
        t["input"] = in;
        std::string last = "input";
        for (std::size_t i = 0; i < net.layers.size(); ++i) {
            const LayerSpec &l = net.layers[i];
            if (l.type == LayerType::Softmax) {
                t[l.name] = t[l.inputs[0]];
            } else {
                t[l.name] = layer(l, t);
                last = l.name;
            }
            RefTensor &y = t[l.name];
            layerOutputs.push_back(y.q);
            if (forced) {
                for (std::size_t e = 0; e < y.q.size(); ++e) {
                    y.q[e] = (*forced)[i][e];
                    y.v[e] = (y.q[e] - y.params.zeroPoint) * y.params.scale;
                }
            }
        }
        return t[last];
    }

    std::map<std::string, TensorRange> ranges;  ///< float mode: recorded min/max of boundary tensors
    std::vector<std::vector<int>> layerOutputs; ///< fake-quant mode: each layer's quantised output

private:
    static void padding(const LayerSpec &l, int in, int k, int s, int &out, int &before)
    {
        if (l.padding.mode == PaddingMode::Same) {
            out = (in + s - 1) / s;
            before = std::max((out - 1) * s + k - in, 0) / 2;
        } else {
            const int p = l.padding.mode == PaddingMode::Explicit ? l.padding.amount : 0;
            out = (in + 2 * p - k) / s + 1;
            before = p;
        }
    }

    RefTensor layer(const LayerSpec &l, std::map<std::string, RefTensor> &t)
    {
        const RefTensor &x = t.at(l.inputs[0]);
        RefTensor y;
        switch (l.type) {
        case LayerType::Conv2d:
        case LayerType::DepthwiseConv2d:
        case LayerType::Dense:
            y = weighted(l, x);
            break;
        case LayerType::LowRank:
        case LayerType::Kronecker:
            y = factorized(l, x);
            break;
        case LayerType::Add:
            y = x;
            for (std::size_t k = 1; k < l.inputs.size(); ++k) {
                for (std::size_t e = 0; e < y.v.size(); ++e)
                    y.v[e] += t.at(l.inputs[k]).v[e];
            }
            boundary(l, y);
            break;
        case LayerType::MaxPool2d:
        case LayerType::AvgPool2d:
        case LayerType::GlobalAvgPool:
            y = pool(l, x);
            break;
        case LayerType::Flatten:
            y = x;
            y.c = x.c * x.h * x.w;
            y.h = y.w = 1;
            break;
        case LayerType::Relu:
        case LayerType::Relu6:
            y = x;
            if (m_quantised) {
                const auto [lo, hi] =
                    bounds(x.params, l.type == LayerType::Relu ? Activation::Relu : Activation::Relu6);
                for (std::size_t e = 0; e < y.v.size(); ++e) {
                    y.q[e] = std::clamp(y.q[e], lo, hi);
                    y.v[e] = (y.q[e] - y.params.zeroPoint) * y.params.scale;
                }
            } else {
                for (double &v : y.v)
                    v = std::max(v, 0.0);
                if (l.type == LayerType::Relu6)
                    for (double &v : y.v)
                        v = std::min(v, 6.0);
            }
            break;
        default:
            break;
        }
        return y;
    }

    static std::pair<int, int> bounds(const QuantParams &p, Activation a)
    {
        int lo = p.qmin, hi = p.qmax;
        if (a == Activation::Relu || a == Activation::Relu6)
            lo = std::max(lo, p.zeroPoint);
        if (a == Activation::Relu6)
            hi = std::min(hi, p.zeroPoint + int(std::nearbyint(6.0 / p.scale)));
        return {lo, hi};
    }

    /** Applies the layer's activation and, in fake-quant mode, quantises to the layer's own parameters. */
    void boundary(const LayerSpec &l, RefTensor &y)
    {
        if (!m_quantised) {
            for (double &v : y.v) {
                if (l.activation == Activation::Relu || l.activation == Activation::Relu6)
                    v = std::max(v, 0.0);
                if (l.activation == Activation::Relu6)
                    v = std::min(v, 6.0);
            }
            TensorRange &r = ranges.try_emplace(l.name, TensorRange{1e30f, -1e30f}).first->second;
            for (double v : y.v) {
                r.min = std::min(r.min, float(v));
                r.max = std::max(r.max, float(v));
            }
            return;
        }
        y.params = activationParams(m_model.ranges.at(l.name), l.activationBits);
        const auto [lo, hi] = bounds(y.params, l.activation);
        y.q.resize(y.v.size());
        for (std::size_t e = 0; e < y.v.size(); ++e) {
            const double q = std::nearbyint(y.v[e] / y.params.scale) + y.params.zeroPoint;
            y.q[e] = int(std::clamp(q, double(lo), double(hi)));
            y.v[e] = (y.q[e] - y.params.zeroPoint) * y.params.scale;
        }
    }

    RefTensor weighted(const LayerSpec &l, const RefTensor &x)
    {
        const LayerParameters &p = m_model.parameters.at(l.name);
        const int oc = p.weight.shape[0];
        std::vector<double> w(p.weight.values.begin(), p.weight.values.end());
        std::vector<double> b(std::size_t(oc), 0.0);
        if (!p.bias.values.empty())
            b.assign(p.bias.values.begin(), p.bias.values.end());
        if (m_quantised) {
            const QuantizedWeights qw = quantizeWeights(p.weight, l.weightBits);
            const std::size_t per = w.size() / std::size_t(oc);
            for (std::size_t e = 0; e < w.size(); ++e)
                w[e] = qw.values[e] * qw.scales[e / per];
            for (int c = 0; c < oc; ++c) {
                const double s = x.params.scale * qw.scales[std::size_t(c)];
                b[std::size_t(c)] = std::nearbyint(b[std::size_t(c)] / s) * s;
            }
        }
        RefTensor y;
        if (l.type == LayerType::Dense) {
            y.c = oc;
            y.h = y.w = 1;
            const std::size_t n = x.v.size();
            for (int o = 0; o < oc; ++o) {
                double acc = b[std::size_t(o)];
                for (std::size_t i = 0; i < n; ++i)
                    acc += w[std::size_t(o) * n + i] * x.v[i];
                y.v.push_back(acc);
            }
            boundary(l, y);
            return y;
        }
        int padTop = 0, padLeft = 0;
        padding(l, x.h, l.kernelH, l.strideH, y.h, padTop);
        padding(l, x.w, l.kernelW, l.strideW, y.w, padLeft);
        y.c = oc;
        y.v.assign(std::size_t(y.c) * y.h * y.w, 0.0);
        const bool dw = l.type == LayerType::DepthwiseConv2d;
        const int icCount = dw ? 1 : x.c;
        for (int o = 0; o < oc; ++o) {
            for (int oy = 0; oy < y.h; ++oy) {
                for (int ox = 0; ox < y.w; ++ox) {
                    double acc = b[std::size_t(o)];
                    for (int ic = 0; ic < icCount; ++ic) {
                        const int src = dw ? o / l.depthMultiplier : ic;
                        for (int ky = 0; ky < l.kernelH; ++ky) {
                            for (int kx = 0; kx < l.kernelW; ++kx) {
                                const int iy = oy * l.strideH - padTop + ky;
                                const int ix = ox * l.strideW - padLeft + kx;
                                if (iy < 0 || ix < 0 || iy >= x.h || ix >= x.w)
                                    continue; // real zero padding
                                acc += w[((std::size_t(o) * icCount + ic) * l.kernelH + ky) * l.kernelW + kx] *
                                       x.at(src, iy, ix);
                            }
                        }
                    }
                    y.at(o, oy, ox) = acc;
                }
            }
        }
        boundary(l, y);
        return y;
    }

    /** A weight tensor as doubles, dequantised per row in fake-quant mode; `scales` gets the row scales. */
    std::vector<double> weightValues(const FloatTensor &t, int bits, std::vector<double> &scales) const
    {
        std::vector<double> w(t.values.begin(), t.values.end());
        scales.assign(std::size_t(t.shape[0]), 1.0);
        if (m_quantised) {
            const QuantizedWeights qw = quantizeWeights(t, bits);
            const std::size_t per = w.size() / std::size_t(t.shape[0]);
            for (std::size_t e = 0; e < w.size(); ++e)
                w[e] = qw.values[e] * qw.scales[e / per];
            scales = qw.scales;
        }
        return w;
    }

    /**
     * low_rank: mid = V x, y = U mid + b; kronecker: X [i1, i2] per pixel, mid = T = X B^T [i1, o2], y = A T
     * [o1, o2] row-major. In fake-quant mode the intermediate is quantised to int8 with the "<layer>:mid" range
     * and the bias is rounded to the grid scale_mid * scale_w of its row; in float mode that range is recorded.
     */
    RefTensor factorized(const LayerSpec &l, const RefTensor &x)
    {
        const LayerParameters &p = m_model.parameters.at(l.name);
        const bool kron = l.type == LayerType::Kronecker;
        std::vector<double> secondScales, firstScales;
        const std::vector<double> second = weightValues(p.weight, l.weightBits, secondScales); // U or A
        const std::vector<double> first = weightValues(p.factor, l.weightBits, firstScales);   // V or B
        const QuantizedWeights firstQuantised =
            m_quantised ? quantizeWeights(p.factor, l.weightBits) : QuantizedWeights{};
        const int out = l.outChannels;
        const int i1 = l.kronA.in, o2 = l.kronB.out, i2 = l.kronB.in;
        const int r = l.rank, in = x.c;
        const std::string midName = l.name + ":mid";
        QuantParams midParams;
        if (m_quantised)
            midParams = activationParams(m_model.ranges.at(midName), 8);
        std::vector<double> b(std::size_t(out), 0.0);
        if (!p.bias.values.empty())
            b.assign(p.bias.values.begin(), p.bias.values.end());
        if (m_quantised) {
            for (int c = 0; c < out; ++c) {
                const double s = midParams.scale * secondScales[std::size_t(kron ? c / o2 : c)];
                b[std::size_t(c)] = std::nearbyint(b[std::size_t(c)] / s) * s;
            }
        }
        RefTensor y;
        y.c = out;
        y.h = x.h;
        y.w = x.w;
        y.v.assign(std::size_t(out) * y.h * y.w, 0.0);
        const std::size_t pixels = std::size_t(x.h) * x.w;
        std::vector<double> mid(kron ? std::size_t(i1 * o2) : std::size_t(r));
        for (std::size_t pixel = 0; pixel < pixels; ++pixel) {
            const auto in_ = [&](int c) { return x.v[std::size_t(c) * pixels + pixel]; };
            if (kron) {
                for (int s = 0; s < i1; ++s)
                    for (int q = 0; q < o2; ++q) {
                        double acc = 0.0;
                        for (int t = 0; t < i2; ++t)
                            acc += in_(s * i2 + t) * first[std::size_t(q * i2 + t)];
                        mid[std::size_t(s * o2 + q)] = acc;
                    }
            } else {
                for (int j = 0; j < r; ++j) {
                    double acc = 0.0;
                    for (int c = 0; c < in; ++c)
                        acc += in_(c) * first[std::size_t(j * in + c)];
                    mid[std::size_t(j)] = acc;
                }
            }
            if (m_quantised) {
                // The intermediate is requantised with the documented fixed-point rule (TFLite's, tested alone in
                // fixedPointPrimitives) from the exact integer accumulator, not by exact rounding: U or A amplifies
                // every 1-LSB difference of the intermediate, which would hide whether stage two is within 1 LSB.
                for (std::size_t k = 0; k < mid.size(); ++k) {
                    const int row = kron ? int(k) % o2 : int(k);
                    std::int64_t acc = 0;
                    for (int t = 0; t < (kron ? i2 : in); ++t) {
                        const int c = kron ? int(k) / o2 * i2 + t : t;
                        const int w = firstQuantised.values[std::size_t(row * (kron ? i2 : in) + t)];
                        acc += std::int64_t(x.q[std::size_t(c) * pixels + pixel] - x.params.zeroPoint) * w;
                    }
                    const QuantizedMultiplier m =
                        quantizeMultiplier(x.params.scale * firstScales[std::size_t(row)] / midParams.scale);
                    const int q = std::clamp(
                        midParams.zeroPoint + multiplyByQuantizedMultiplier(std::int32_t(acc), m.multiplier, m.shift),
                        -128, 127);
                    mid[k] = (q - midParams.zeroPoint) * midParams.scale;
                }
            } else {
                TensorRange &range = ranges.try_emplace(midName, TensorRange{1e30f, -1e30f}).first->second;
                for (double v : mid) {
                    range.min = std::min(range.min, float(v));
                    range.max = std::max(range.max, float(v));
                }
            }
            for (int c = 0; c < out; ++c) {
                double acc = b[std::size_t(c)];
                if (kron) {
                    const int pa = c / o2, q = c % o2;
                    for (int s = 0; s < i1; ++s)
                        acc += second[std::size_t(pa * i1 + s)] * mid[std::size_t(s * o2 + q)];
                } else {
                    for (int j = 0; j < r; ++j)
                        acc += second[std::size_t(c * r + j)] * mid[std::size_t(j)];
                }
                y.v[std::size_t(c) * pixels + pixel] = acc;
            }
        }
        boundary(l, y);
        return y;
    }

    RefTensor pool(const LayerSpec &l, const RefTensor &x)
    {
        const bool global = l.type == LayerType::GlobalAvgPool;
        const bool max = l.type == LayerType::MaxPool2d;
        const int kh = global ? x.h : l.kernelH, kw = global ? x.w : l.kernelW;
        const int sh = global ? 1 : l.strideH, sw = global ? 1 : l.strideW;
        RefTensor y;
        y.c = x.c;
        int padTop = 0, padLeft = 0;
        if (global) {
            y.h = y.w = 1;
        } else {
            padding(l, x.h, kh, sh, y.h, padTop);
            padding(l, x.w, kw, sw, y.w, padLeft);
        }
        y.params = x.params;
        y.v.assign(std::size_t(y.c) * y.h * y.w, 0.0);
        for (int c = 0; c < y.c; ++c) {
            for (int oy = 0; oy < y.h; ++oy) {
                for (int ox = 0; ox < y.w; ++ox) {
                    double acc = max ? -1e300 : 0.0;
                    double qsum = 0.0; // fake-quant mode: the stored integers
                    int count = 0;
                    for (int ky = 0; ky < kh; ++ky) {
                        for (int kx = 0; kx < kw; ++kx) {
                            const int iy = oy * sh - padTop + ky, ix = ox * sw - padLeft + kx;
                            if (iy < 0 || ix < 0 || iy >= x.h || ix >= x.w)
                                continue;
                            acc = max ? std::max(acc, x.at(c, iy, ix)) : acc + x.at(c, iy, ix);
                            if (m_quantised)
                                qsum += x.q[(std::size_t(c) * x.h + iy) * x.w + ix];
                            ++count;
                        }
                    }
                    y.at(c, oy, ox) = max ? acc : acc / count;
                    if (m_quantised && !global) {
                        // Same parameters as the input. The max is exact; the mean of the stored integers is
                        // rounded half away from zero relative to the zero point (std::round of the real mean in
                        // steps), as docs/quantization.md specifies (and ArmNN and OpenCV compute).
                        const int zp = y.params.zeroPoint;
                        const int q = max ? quantizeValue(acc, y.params)
                                          : zp + int(std::round((qsum - double(count) * zp) / count));
                        y.q.push_back(q);
                        y.at(c, oy, ox) = (q - y.params.zeroPoint) * y.params.scale;
                    }
                }
            }
        }
        if (global) // the mean of the dequantised inputs, quantised to its own parameters (TFLite's MEAN)
            boundary(l, y);
        return y;
    }

    const TrainedModel &m_model;
    bool m_quantised;
};

} // namespace psc::testing
