// SPDX-License-Identifier: GPL-3.0-or-later
// AnalogSimulator: the integer plan with every weighted layer run on a simulated PCM crossbar (docs/analog.md).
// Device statistics: pcmdevice.cpp; converter and drift-compensation rules: cost-models.md 4.3.

#include "psc/analog/analoginference.h"
#include "psc/core/statistics.h"

#include "psc/analog/pcmdevice.h"
#include "psc/core/error.h"
#include "psc/data/dataset.h"
#include "psc/jobs/jobcontext.h"
#include "psc/targets/targetlibrary.h"
#include "quant/integerkernels.h"

#include <psc/plugin/parameterreader.h>
#include <psc/plugin/splitmix.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <cmath>
#include <exception>
#include <mutex>
#include <thread>

namespace psc {

namespace {

using plugin::AnalogDriftCompensation;
using plugin::AnalogNoiseManagement;
using plugin::AnalogNoiseParameters;

constexpr int kCheckpointInterval = 100;

/** Standard normal draws: SplitMix64 uniforms through Marsaglia's polar method. */
class NormalStream
{
public:
    explicit NormalStream(std::uint64_t seed) : m_state(seed) {}
    double next()
    {
        if (m_hasSpare) {
            m_hasSpare = false;
            return m_spare;
        }
        double u = 0.0, v = 0.0, s = 0.0;
        do {
            u = 2.0 * plugin::uniformUnit(m_state) - 1.0;
            v = 2.0 * plugin::uniformUnit(m_state) - 1.0;
            s = u * u + v * v;
        } while (s >= 1.0 || s == 0.0);
        const double f = std::sqrt(-2.0 * std::log(s) / s);
        m_spare = v * f;
        m_hasSpare = true;
        return u * f;
    }

private:
    std::uint64_t m_state;
    double m_spare = 0.0;
    bool m_hasSpare = false;
};

/** An independent stream for (seed, draw, purpose, time index): the same numbers whatever thread runs the draw. */
std::uint64_t streamSeed(std::uint64_t seed, std::uint64_t draw, std::uint64_t purpose, std::uint64_t time)
{
    std::uint64_t s = seed;
    for (const std::uint64_t part : {draw, purpose, time}) {
        s = plugin::splitMix64(s) ^ (part + 0x632BE59BD9B4E019ULL);
    }
    return plugin::splitMix64(s);
}

enum StreamPurpose : std::uint64_t
{
    kProgramming = 1,
    kReading = 2,
    kConverting = 3,
};

int activationBits(const QuantParams &q)
{
    return int(std::lround(std::log2(double(q.qmax - q.qmin + 1))));
}

/** Round to the grid of a symmetric converter with `bits` (2^bits - 2 steps over [-bound, bound]), then clip. */
inline float convert(float v, int bits, float bound)
{
    if (bits <= 0)
        return std::clamp(v, -bound, bound);
    const float step = 2.0f * bound / float((1 << bits) - 2);
    return std::clamp(std::nearbyint(v / step) * step, -bound, bound);
}

/** Eight independent partial sums, so that the compiler vectorises without reassociating. */
inline float dot(const float *a, const float *b, int n)
{
    float acc[8] = {};
    int i = 0;
    for (; i + 8 <= n; i += 8)
        for (int k = 0; k < 8; ++k)
            acc[k] += a[i + k] * b[i + k];
    float sum = 0.0f;
    for (; i < n; ++i)
        sum += a[i] * b[i];
    for (float v : acc)
        sum += v;
    return sum;
}

/**
 * One weight matrix on the crossbar. Output o reads `length` consecutive entries of the input vector starting at
 * rowBegin[o] (all of it for dense and conv2d; its own channel's window for depthwise, whose matrix is block
 * diagonal). `target` holds the signed normalised weights w / scale[o] in [-1, 1], `scale` the integer weight
 * units of one normalised unit (the column's or the layer's largest |w|).
 */
struct AnalogMatrix
{
    int outputs = 0;
    int inputs = 0;
    int length = 0;
    std::vector<int> rowBegin;
    std::vector<float> target;
    std::vector<float> scale;
};

/** Converter settings of one matrix-vector product. 0 bits: an ideal converter (tests only). */
struct Converters
{
    int dacBits = 8;
    int adcBits = 8;
    float inputRange = 128.0f; ///< largest |q - zero point| of the input tensor (noise management "range")
};

/** A weighted plan step and the matrices that run it (factor: stage one of low_rank / kronecker). */
struct AnalogStep
{
    int matrix = -1;
    int factor = -1;
    std::vector<std::int32_t> bias; ///< per output, in units of scale_in * scale_w (zero points not folded in)
    Converters io;
    Converters mid;
};

/** The devices of one matrix after programming: conductances (uS) and drift exponents of each pair. */
struct ProgrammedMatrix
{
    std::vector<float> gPlus, gMinus, nuPlus, nuMinus;
    std::vector<double> referenceColumn; ///< per output: sum of |w| right after programming
    double reference = 0.0;
};

/** What one read of a matrix at time t gives: effective normalised weights and the digital output factor. */
struct ReadMatrix
{
    std::vector<float> weights;   ///< [o][k]
    std::vector<float> outFactor; ///< per output: scale x drift compensation
};

AnalogMatrix buildMatrix(const std::vector<std::int8_t> &w, int outputs, int length, int inputs,
                         std::vector<int> rowBegin, plugin::AnalogWeightMapping mapping)
{
    AnalogMatrix m;
    m.outputs = outputs;
    m.inputs = inputs;
    m.length = length;
    m.rowBegin = std::move(rowBegin);
    m.scale.assign(std::size_t(outputs), 1.0f);
    int layerMax = 0;
    for (const std::int8_t v : w)
        layerMax = std::max(layerMax, std::abs(int(v)));
    m.target.resize(w.size());
    for (int o = 0; o < outputs; ++o) {
        const std::int8_t *row = w.data() + std::size_t(o) * std::size_t(length);
        int columnMax = 0;
        for (int k = 0; k < length; ++k)
            columnMax = std::max(columnMax, std::abs(int(row[k])));
        const int max = mapping == plugin::AnalogWeightMapping::PerLayer ? layerMax : columnMax;
        m.scale[std::size_t(o)] = float(std::max(max, 1));
        for (int k = 0; k < length; ++k)
            m.target[std::size_t(o) * std::size_t(length) + std::size_t(k)] = float(row[k]) / m.scale[std::size_t(o)];
    }
    return m;
}

ProgrammedMatrix program(const AnalogMatrix &m, const AnalogNoiseParameters &p, NormalStream &rng)
{
    ProgrammedMatrix pm;
    const std::size_t n = m.target.size();
    pm.gPlus.resize(n);
    pm.gMinus.resize(n);
    pm.nuPlus.resize(n);
    pm.nuMinus.resize(n);
    const double gMax = p.gMaxMicroSiemens;
    auto device = [&](double gT, float &g, float &nu) {
        g = float(std::max(gT * gMax + pcm::programmingSigma(p, gT) * rng.next(), 0.0));
        nu = float(std::abs(pcm::driftExponentMean(gT) + pcm::driftExponentStd(gT) * rng.next()) * p.driftScale);
    };
    pm.referenceColumn.assign(std::size_t(m.outputs), 0.0);
    for (std::size_t i = 0; i < n; ++i) {
        const double t = m.target[i];
        device(t > 0.0 ? t : 0.0, pm.gPlus[i], pm.nuPlus[i]);
        device(t < 0.0 ? -t : 0.0, pm.gMinus[i], pm.nuMinus[i]);
        pm.referenceColumn[i / std::size_t(m.length)] += std::abs(double(pm.gPlus[i]) - pm.gMinus[i]) / gMax;
    }
    for (double v : pm.referenceColumn)
        pm.reference += v;
    return pm;
}

ReadMatrix read(const AnalogMatrix &m, const ProgrammedMatrix &pm, const AnalogNoiseParameters &p,
                AnalogDriftCompensation compensation, double seconds, NormalStream &rng)
{
    ReadMatrix r;
    const std::size_t n = m.target.size();
    r.weights.resize(n);
    const double gMax = p.gMaxMicroSiemens;
    auto device = [&](float g, float nu) {
        const double drifted = g * pcm::driftFactor(p, nu, seconds);
        const double sigma = std::abs(drifted) * pcm::readNoiseRelative(p, g / gMax, seconds);
        return std::max(drifted + sigma * rng.next(), 0.0);
    };
    std::vector<double> column(std::size_t(m.outputs), 0.0);
    for (std::size_t i = 0; i < n; ++i) {
        const double w = (device(pm.gPlus[i], pm.nuPlus[i]) - device(pm.gMinus[i], pm.nuMinus[i])) / gMax;
        r.weights[i] = float(w);
        column[i / std::size_t(m.length)] += std::abs(w);
    }
    // One-hot probe reads return the columns of the matrix, so the mean |output| is proportional to sum |w|.
    double total = 0.0;
    for (double v : column)
        total += v;
    r.outFactor.resize(std::size_t(m.outputs));
    for (std::size_t o = 0; o < std::size_t(m.outputs); ++o) {
        double alpha = 1.0;
        if (compensation == AnalogDriftCompensation::Global && total > 0.0)
            alpha = pm.reference / total;
        else if (compensation == AnalogDriftCompensation::PerColumn && column[o] > 0.0)
            alpha = pm.referenceColumn[o] / column[o];
        r.outFactor[o] = float(alpha * m.scale[o]);
    }
    return r;
}

/** Per-thread buffers of the analog steps. */
struct AnalogBuffers
{
    std::vector<float> x, xq, y, mid;
    std::vector<float> tileAlpha;
};

} // namespace

struct AnalogSimulator::Impl
{
    std::shared_ptr<const IntegerModel::Plan> plan;
    AnalogTarget target;
    std::vector<AnalogMatrix> matrices;
    std::vector<AnalogStep> analog;
    std::vector<int> analogIndex; ///< per plan step: index into `analog`, -1 for the integer kernels
    std::size_t maxInputs = 0, maxOutputs = 0, maxMid = 0;

    /** One draw at one time: the read matrices, and the stream of output noise. */
    struct Instance
    {
        std::vector<ReadMatrix> reads;
        NormalStream converterNoise{0};
    };

    /**
     * y = (sum over tiles of ADC(outputNoise + sum w * DAC(x / alpha)) * alpha) * outFactor: the analog product of
     * one input vector `x` (q - zero point, as float, m.inputs long).
     */
    void product(const AnalogMatrix &m, const ReadMatrix &r, const Converters &cv, Instance &inst, AnalogBuffers &buf,
                 const float *x, float *y) const
    {
        const AnalogNoiseParameters &p = target.noise;
        const int tileRows = std::max(target.crossbarRows, 1);
        const int tiles = (m.inputs + tileRows - 1) / tileRows;
        float *xq = buf.xq.data();
        float *alpha = buf.tileAlpha.data();
        for (int t = 0; t < tiles; ++t) {
            const int lo = t * tileRows, hi = std::min(m.inputs, lo + tileRows);
            float a = cv.inputRange;
            if (p.noiseManagement == AnalogNoiseManagement::AbsMax) {
                a = 0.0f;
                for (int i = lo; i < hi; ++i)
                    a = std::max(a, std::abs(x[i]));
            }
            alpha[t] = a;
            const float inv = a > 0.0f ? 1.0f / a : 0.0f;
            for (int i = lo; i < hi; ++i)
                xq[i] = convert(x[i] * inv, cv.dacBits, float(p.inputBound));
        }
        const float outBound = float(p.outputBound);
        const float outNoise = float(p.outputNoise);
        for (int o = 0; o < m.outputs; ++o) {
            const int begin = m.rowBegin[std::size_t(o)];
            const int end = begin + m.length;
            const float *w = r.weights.data() + std::size_t(o) * std::size_t(m.length);
            double acc = 0.0;
            for (int t = begin / tileRows; t * tileRows < end; ++t) {
                if (alpha[t] == 0.0f)
                    continue; // an all-zero input: y = alpha F(x / alpha) = 0
                const int lo = std::max(begin, t * tileRows), hi = std::min(end, (t + 1) * tileRows);
                float v = dot(w + (lo - begin), xq + lo, hi - lo);
                if (outNoise > 0.0f)
                    v += outNoise * float(inst.converterNoise.next());
                acc += double(convert(v, cv.adcBits, outBound)) * alpha[t];
            }
            y[o] = float(acc * r.outFactor[std::size_t(o)]);
        }
    }

    std::vector<ProgrammedMatrix> program(std::uint64_t seed, int draw) const
    {
        NormalStream programming(streamSeed(seed, std::uint64_t(draw), kProgramming, 0));
        std::vector<ProgrammedMatrix> programmed;
        for (const AnalogMatrix &m : matrices)
            programmed.push_back(psc::program(m, target.noise, programming));
        return programmed;
    }

    Instance read(const std::vector<ProgrammedMatrix> &programmed, std::uint64_t seed, int draw, double seconds,
                  AnalogDriftCompensation compensation) const
    {
        Instance inst;
        // Keyed by the time itself, not its place in a list: a time read in two evaluations gives the same draws.
        const auto timeKey = std::bit_cast<std::uint64_t>(seconds);
        NormalStream reading(streamSeed(seed, std::uint64_t(draw), kReading, timeKey));
        for (std::size_t m = 0; m < matrices.size(); ++m)
            inst.reads.push_back(psc::read(matrices[m], programmed[m], target.noise, compensation, seconds, reading));
        inst.converterNoise = NormalStream(streamSeed(seed, std::uint64_t(draw), kConverting, timeKey));
        return inst;
    }

    AnalogBuffers buffers() const
    {
        AnalogBuffers buf;
        buf.x.resize(maxInputs + 1);
        buf.xq.resize(maxInputs + 1);
        buf.tileAlpha.resize(maxInputs / std::size_t(std::max(target.crossbarRows, 1)) + 2);
        buf.y.resize(maxOutputs + 1);
        buf.mid.resize(maxMid + 1);
        return buf;
    }

    /**
     * The digital periphery: the analog sum (in units of the integer accumulator) rounded to an integer, plus the
     * bias, requantised with the reference inference's fixed-point multiplier, so that an ideal crossbar gives
     * exactly the reference's outputs.
     */
    static std::int8_t requantize(double sum, std::int32_t bias, std::int32_t multiplier, int shift, int zeroPoint,
                                  int lo, int hi)
    {
        constexpr double limit = 2147483647.0;
        const double acc = std::clamp(std::nearbyint(sum) + double(bias), -limit - 1.0, limit);
        const std::int64_t v =
            std::int64_t(zeroPoint) + multiplyByQuantizedMultiplier(std::int32_t(acc), multiplier, shift);
        return std::int8_t(std::clamp<std::int64_t>(v, lo, hi));
    }

    void runWeighted(const IntegerStep &s, const AnalogStep &a, Instance &inst, AnalogBuffers &buf,
                     const std::int8_t *src, std::int8_t *dst) const
    {
        float *x = buf.x.data();
        float *y = buf.y.data();
        // Output channel o from the analog sum `value`: digital bias, requantisation, fused activation.
        const auto outElement = [&](std::size_t o, float value, std::size_t index) {
            dst[index] =
                requantize(value, a.bias[o], s.multiplier[o], s.shift[o], s.outZeroPoint, s.clampMin, s.clampMax);
        };
        if (s.op == IntegerOp::Dense) {
            const std::size_t n = std::size_t(s.in.elements());
            for (std::size_t i = 0; i < n; ++i)
                x[i] = float(int(src[i]) - s.inZeroPoint);
            const AnalogMatrix &m = matrices[std::size_t(a.matrix)];
            product(m, inst.reads[std::size_t(a.matrix)], a.io, inst, buf, x, y);
            for (std::size_t o = 0; o < std::size_t(m.outputs); ++o)
                outElement(o, y[o], o);
            return;
        }
        if (s.op == IntegerOp::Conv2d || s.op == IntegerOp::DepthwiseConv2d) {
            const AnalogMatrix &m = matrices[std::size_t(a.matrix)];
            const int channels = s.in.channels, kh = s.kernelH, kw = s.kernelW;
            const std::size_t plane = std::size_t(s.out.height) * std::size_t(s.out.width);
            for (int oy = 0; oy < s.out.height; ++oy) {
                for (int ox = 0; ox < s.out.width; ++ox) {
                    float *xi = x;
                    for (int c = 0; c < channels; ++c) {
                        const std::int8_t *in = src + std::size_t(c) * std::size_t(s.in.height * s.in.width);
                        for (int ky = 0; ky < kh; ++ky) {
                            const int iy = oy * s.strideH + ky - s.padTop;
                            for (int kx = 0; kx < kw; ++kx) {
                                const int ix = ox * s.strideW + kx - s.padLeft;
                                const bool inside = iy >= 0 && iy < s.in.height && ix >= 0 && ix < s.in.width;
                                *xi++ = inside ? float(int(in[iy * s.in.width + ix]) - s.inZeroPoint) : 0.0f;
                            }
                        }
                    }
                    product(m, inst.reads[std::size_t(a.matrix)], a.io, inst, buf, x, y);
                    const std::size_t pixel = std::size_t(oy) * std::size_t(s.out.width) + std::size_t(ox);
                    for (std::size_t o = 0; o < std::size_t(m.outputs); ++o)
                        outElement(o, y[o], o * plane + pixel);
                }
            }
            return;
        }
        // low_rank / kronecker: stage one into the int8 intermediate, stage two from it (as factorizedDot()).
        const AnalogMatrix &first = matrices[std::size_t(a.factor)];
        const AnalogMatrix &second = matrices[std::size_t(a.matrix)];
        const std::size_t pixels = std::size_t(s.in.height) * std::size_t(s.in.width);
        const std::size_t segment2 = std::size_t(second.length);
        float *mid = buf.mid.data();
        for (std::size_t pixel = 0; pixel < pixels; ++pixel) {
            for (std::size_t g = 0; g < s.groups1; ++g) {
                for (std::size_t t = 0; t < s.segment1; ++t)
                    x[t] = float(int(src[(g * s.segment1 + t) * pixels + pixel]) - s.inZeroPoint);
                product(first, inst.reads[std::size_t(a.factor)], a.mid, inst, buf, x, y);
                for (std::size_t j = 0; j < s.rows1; ++j) {
                    const int q = requantize(y[j], 0, s.midMultiplier[j], s.midShift[j], s.midZeroPoint, -128, 127);
                    mid[s.kronecker ? j * segment2 + g : j] = float(q - s.midZeroPoint);
                }
            }
            for (std::size_t g = 0; g < s.groups2; ++g) {
                product(second, inst.reads[std::size_t(a.matrix)], a.io, inst, buf, mid + g * segment2, y);
                for (std::size_t row = 0; row < s.rows2; ++row) {
                    const std::size_t o = s.kronecker ? row * s.groups2 + g : row;
                    outElement(o, y[row], o * pixels + pixel);
                }
            }
        }
    }

    /** Runs one image; returns the index of the first largest logit. */
    int classify(const std::uint8_t *image, Instance &inst, IntegerWorkspace &ws, AnalogBuffers &buf) const
    {
        std::int8_t *arena = ws.arena.data();
        const std::size_t inputSize = std::size_t(plan->network.input.elements());
        std::int8_t *input = arena + plan->inputOffset;
        for (std::size_t e = 0; e < inputSize; ++e)
            input[e] = std::int8_t(int(image[e]) - 128);
        for (std::size_t i = 0; i < plan->steps.size(); ++i) {
            const IntegerStep &s = plan->steps[i];
            const std::int8_t *src = arena + s.inputs.front();
            std::int8_t *dst = arena + s.output;
            if (analogIndex[i] >= 0) {
                runWeighted(s, analog[std::size_t(analogIndex[i])], inst, buf, src, dst);
                continue;
            }
            if (!runUnweightedStep(s, arena))
                throw RuntimeError("analog inference: unexpected integer step");
        }
        const std::int8_t *logits = arena + plan->outputOffset;
        return int(std::max_element(logits, logits + plan->outputSize) - logits);
    }
};

std::string_view toString(plugin::AnalogDriftCompensation compensation)
{
    switch (compensation) {
    case plugin::AnalogDriftCompensation::Global:
        return "global";
    case plugin::AnalogDriftCompensation::PerColumn:
        return "per_column";
    case plugin::AnalogDriftCompensation::None:
        break;
    }
    return "none";
}

AnalogTarget analogTarget(const TargetDefinition &target)
{
    if (target.model != "analog-cim")
        throw InputError(target.file.string() + ": target \"" + target.id + "\" uses the " + target.model +
                         " model; analog accuracy needs an analog-cim target (a PCM crossbar to simulate)");
    plugin::Parameters parameters;
    for (const TargetParameter &p : target.parameters)
        parameters[p.name] = p.value;
    plugin::ParameterError error;
    plugin::ParameterReader r(parameters, error, "analog-cim");
    AnalogTarget t;
    t.id = target.id;
    t.crossbarRows = int(r.integer("crossbar_rows", 1, 1 << 20, "rows"));
    const auto bits = [&](const char *name) -> std::optional<int> {
        const auto it = parameters.find(name);
        if (it == parameters.end() || !it->second.number)
            return std::nullopt; // "activation"
        return int(r.integer(name, 1, 16, "bits"));
    };
    t.dacBits = bits("dac_bits");
    t.adcBits = bits("adc_bits");
    plugin::readAnalogNoiseParameters(r, t.noise);
    if (r.failed())
        throw InputError(target.file.string() + ": /parameters/" + error.parameter + ": " + error.message);
    return t;
}

AnalogSimulator::AnalogSimulator(const IntegerModel &model, AnalogTarget target)
{
    if (!model.m_plan)
        throw InputError("analog inference needs a quantised model");
    auto impl = std::make_unique<Impl>();
    impl->plan = model.m_plan;
    impl->target = std::move(target);
    const IntegerModel::Plan &plan = *impl->plan;
    const auto mapping = impl->target.noise.mapping;
    impl->analogIndex.assign(plan.steps.size(), -1);
    for (std::size_t i = 0; i < plan.steps.size(); ++i) {
        const IntegerStep &s = plan.steps[i];
        const LayerQuantization &lq = plan.layers[s.layer];
        AnalogStep a;
        const auto converters = [&](const QuantParams &in, const QuantParams &out) {
            Converters c;
            c.dacBits = impl->target.dacBits ? *impl->target.dacBits : activationBits(in);
            c.adcBits = impl->target.adcBits ? *impl->target.adcBits : activationBits(out);
            c.inputRange = float(std::max(std::abs(in.qmin - in.zeroPoint), std::abs(in.qmax - in.zeroPoint)));
            return c;
        };
        const int outputs = s.out.channels;
        if (s.op == IntegerOp::Dense) {
            const int inputs = int(s.in.elements());
            impl->matrices.push_back(
                buildMatrix(lq.weights, outputs, inputs, inputs, std::vector<int>(std::size_t(outputs), 0), mapping));
        } else if (s.op == IntegerOp::Conv2d) {
            const int length = s.in.channels * s.kernelH * s.kernelW;
            impl->matrices.push_back(
                buildMatrix(lq.weights, outputs, length, length, std::vector<int>(std::size_t(outputs), 0), mapping));
        } else if (s.op == IntegerOp::DepthwiseConv2d) {
            const int window = s.kernelH * s.kernelW;
            std::vector<int> begin(static_cast<std::size_t>(outputs));
            for (int o = 0; o < outputs; ++o)
                begin[std::size_t(o)] = (o / s.depthMultiplier) * window;
            impl->matrices.push_back(
                buildMatrix(lq.weights, outputs, window, s.in.channels * window, std::move(begin), mapping));
        } else if (s.op == IntegerOp::Factorized) {
            const int rows1 = lq.factorShape.at(0), segment1 = lq.factorShape.at(1);
            const int rows2 = lq.weightShape.at(0), segment2 = lq.weightShape.at(1);
            impl->matrices.push_back(buildMatrix(lq.factorWeights, rows1, segment1, segment1,
                                                 std::vector<int>(std::size_t(rows1), 0), mapping));
            a.factor = int(impl->matrices.size()) - 1;
            impl->matrices.push_back(
                buildMatrix(lq.weights, rows2, segment2, segment2, std::vector<int>(std::size_t(rows2), 0), mapping));
            a.mid = converters(lq.inputs.front(), lq.intermediate);
            a.io = converters(lq.intermediate, lq.output);
            impl->maxMid = std::max(impl->maxMid, s.groups2 * std::size_t(segment2));
        } else {
            continue;
        }
        a.matrix = int(impl->matrices.size()) - 1;
        if (s.op != IntegerOp::Factorized)
            a.io = converters(lq.inputs.front(), lq.output);
        a.bias = lq.bias.empty() ? std::vector<std::int32_t>(s.multiplier.size(), 0) : lq.bias;
        for (int k = a.factor < 0 ? a.matrix : a.factor; k <= a.matrix; ++k) {
            impl->maxInputs = std::max(impl->maxInputs, std::size_t(impl->matrices[std::size_t(k)].inputs));
            impl->maxOutputs = std::max(impl->maxOutputs, std::size_t(impl->matrices[std::size_t(k)].outputs));
        }
        impl->analogIndex[i] = int(impl->analog.size());
        impl->analog.push_back(std::move(a));
    }
    m_impl = std::move(impl);
}

AnalogSimulator::~AnalogSimulator() = default;
AnalogSimulator::AnalogSimulator(AnalogSimulator &&) noexcept = default;

std::vector<std::vector<std::int8_t>> AnalogSimulator::trace(const std::uint8_t *image, double seconds,
                                                             std::uint64_t seed, int draw) const
{
    const Impl &impl = *m_impl;
    const std::vector<ProgrammedMatrix> programmed = impl.program(seed, draw);
    Impl::Instance inst = impl.read(programmed, seed, draw, seconds, impl.target.noise.compensation);
    IntegerWorkspace ws(*impl.plan);
    AnalogBuffers buf = impl.buffers();
    impl.classify(image, inst, ws, buf);
    std::vector<std::vector<std::int8_t>> out;
    for (std::size_t i = 0; i < impl.plan->layers.size(); ++i) {
        const std::int8_t *begin = ws.arena.data() + impl.plan->layerOffsets[i];
        out.emplace_back(begin, begin + impl.plan->layers[i].outputShape.elements());
    }
    return out;
}

int AnalogSimulator::matrices() const
{
    return int(m_impl->matrices.size());
}

std::int64_t AnalogSimulator::devices() const
{
    std::int64_t n = 0;
    for (const AnalogMatrix &m : m_impl->matrices)
        n += 2 * std::int64_t(m.target.size());
    return n;
}

std::vector<AnalogAccuracy> AnalogSimulator::evaluate(const ImageSet &set, const std::vector<double> &seconds,
                                                      const AnalogOptions &options, JobContext *ctx) const
{
    const Impl &impl = *m_impl;
    const Shape &shape = impl.plan->network.input;
    if (set.channels != shape.channels || set.height != shape.height || set.width != shape.width)
        throw InputError("images of " + std::to_string(set.channels) + "x" + std::to_string(set.height) + "x" +
                         std::to_string(set.width) + " do not fit the network input " + toString(shape));
    if (options.repeats < 1)
        throw InputError("analog inference: repeats must be at least 1, got " + std::to_string(options.repeats));
    for (double t : seconds)
        if (!(t > 0.0) || !std::isfinite(t))
            throw InputError("analog inference: times after programming must be positive and finite");
    const int count = options.images > 0 ? std::min(options.images, set.count) : set.count;
    const std::size_t imageSize = set.imageSize();
    if (set.pixels.size() < std::size_t(count) * imageSize || set.labels.size() < std::size_t(count))
        throw InputError("image set holds fewer pixels or labels than its count of " + std::to_string(set.count));

    std::vector<AnalogAccuracy> results(seconds.size());
    for (std::size_t k = 0; k < seconds.size(); ++k) {
        results[k].seconds = seconds[k];
        results[k].draws.assign(std::size_t(options.repeats), 0.0);
    }
    const AnalogDriftCompensation compensation = options.compensation.value_or(impl.target.noise.compensation);
    const double total = double(options.repeats) * double(seconds.size()) * double(std::max(count, 1));
    std::atomic<std::int64_t> done{0};

    auto runDraw = [&](int draw, bool reporter) {
        const std::vector<ProgrammedMatrix> programmed = impl.program(options.seed, draw);
        IntegerWorkspace ws(*impl.plan);
        AnalogBuffers buf = impl.buffers();
        for (std::size_t k = 0; k < seconds.size(); ++k) {
            Impl::Instance inst = impl.read(programmed, options.seed, draw, seconds[k], compensation);
            int correct = 0;
            for (int n = 0; n < count; ++n) {
                if (n % kCheckpointInterval == 0 && n > 0) {
                    done += kCheckpointInterval;
                    if (ctx) {
                        ctx->checkpoint();
                        if (reporter)
                            ctx->progress(double(done.load()) / total, "analog inference");
                    }
                }
                const int best = impl.classify(set.pixels.data() + std::size_t(n) * imageSize, inst, ws, buf);
                correct += best == int(set.labels[std::size_t(n)]) ? 1 : 0;
            }
            done += count % kCheckpointInterval;
            results[k].draws[std::size_t(draw)] = count > 0 ? double(correct) / double(count) : 0.0;
        }
    };

    const int threads = std::clamp(options.threads, 1, options.repeats);
    std::exception_ptr failure;
    std::mutex failureMutex;
    auto worker = [&](int w) {
        try {
            for (int draw = w; draw < options.repeats; draw += threads)
                runDraw(draw, w == 0);
        } catch (...) {
            std::lock_guard lock(failureMutex);
            if (!failure)
                failure = std::current_exception();
        }
    };
    {
        std::vector<std::jthread> pool;
        for (int w = 1; w < threads; ++w)
            pool.emplace_back(worker, w);
        worker(0);
    }
    if (failure)
        std::rethrow_exception(failure);

    for (AnalogAccuracy &r : results) {
        const MeanStd stats = meanAndStd(r.draws);
        r.mean = stats.mean;
        r.std = stats.std;
    }
    return results;
}

} // namespace psc
