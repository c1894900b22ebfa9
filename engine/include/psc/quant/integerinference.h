// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "psc/quant/quantparams.h"
#include "psc/quant/trainedmodel.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace psc {

class JobContext;
struct ImageSet;

/**
 * The integer form of one layer as the reference inference runs it (and exporters write it). Tensors are
 * channels first (C x H x W); `output` also holds for layers that share their input's parameters.
 */
struct LayerQuantization
{
    std::string name;
    LayerType type = LayerType::Relu;
    std::vector<QuantParams> inputs; ///< parameters of each input tensor, in LayerSpec::inputs order
    QuantParams output;
    Shape outputShape;
    /** Inclusive bounds of the output after the clamp to [qmin, qmax] and the fused (or unfused) activation. */
    int clampMin = -128;
    int clampMax = 127;

    // conv2d, depthwise_conv2d, dense, low_rank, kronecker
    int weightBits = 0;
    /// As the float tensor: OIHW, depthwise Cm x 1 x kh x kw, dense [out, in]; low_rank U [out, r], kronecker
    /// A [o1, i1].
    std::vector<int> weightShape;
    std::vector<std::int8_t> weights; ///< in that layout
    std::vector<double> weightScales; ///< per output channel (per row of U or A)
    /// Per output channel, q = round(bias / (scale_in * scale_w)); 0 without bias. low_rank / kronecker: the
    /// second stage's input is the intermediate, so scale_mid replaces scale_in (and A's row p = c / o2 its scale).
    std::vector<std::int32_t> bias;
    /**
     * Requantisation multipliers. Weighted layers: one per output channel (scale_in * scale_w / scale_out;
     * factorised layers scale_mid * scale_w / scale_out).
     * add: one per input (scale_i / (2 max scale)), then the output's (2 max scale / (2^addLeftShift scale_out)).
     * global_avg_pool: one, scale_in / (H * W * scale_out), applied to the sum of q - zp_in over the plane.
     */
    std::vector<QuantizedMultiplier> multipliers;
    int addLeftShift = 0; ///< 20 for add, else 0

    // low_rank, kronecker: the factor applied first (V [r, in], or B [o2, i2]) and the int8 intermediate.
    std::vector<int> factorShape;
    std::vector<std::int8_t> factorWeights;
    std::vector<double> factorScales;                   ///< per factor row
    QuantParams intermediate;                           ///< from the range "<layer>:mid", 8 bits
    std::vector<QuantizedMultiplier> factorMultipliers; ///< per factor row: scale_in * scale_factor / scale_mid
};

/**
 * A TrainedModel quantised by the rules of docs/quantization.md, ready to run in integer arithmetic only.
 * It is the bit-exact reference for every exporter. Immutable after quantize(): copies share the compiled
 * plan, and run() and accuracy() may be called from several threads at once.
 */
class IntegerModel
{
public:
    /** An empty model; run() on it throws. Use quantize(). */
    IntegerModel();
    ~IntegerModel();
    IntegerModel(const IntegerModel &);
    IntegerModel &operator=(const IntegerModel &);
    IntegerModel(IntegerModel &&) noexcept;
    IntegerModel &operator=(IntegerModel &&) noexcept;

    /**
     * Quantises a deployable model. Throws InputError (a NetworkError naming the layer, e.g.
     * `/layers/2: layer "conv2": no trained parameters`) for an invalid network, missing intermediate ranges of
     * factorised layers, unsupported layers (an unfolded
     * batch_norm, a softmax that is not last, grouped features this engine lacks), bit-widths above 8, missing
     * parameters or ranges, and parameter shapes that do not match the layer.
     */
    static IntegerModel quantize(const TrainedModel &model);

    /** True if built by quantize(). The accessors below require a valid model. */
    bool isValid() const { return m_plan != nullptr; }

    /**
     * Runs one image (network.input.channels x height x width bytes, channels first) and returns the quantised
     * logits: the network's output tensor, or the input of a final softmax. Dequantise with outputParams().
     */
    std::vector<std::int8_t> run(const std::uint8_t *image) const;

    /**
     * Like run(), but returns the output tensor of every layer, index-aligned with layers() (a flatten or a
     * final softmax repeats its input): golden data for exporters, per-layer views in the trial inspector.
     */
    std::vector<std::vector<std::int8_t>> trace(const std::uint8_t *image) const;

    /**
     * Top-1 accuracy in [0, 1] over the first `limit` images of `set` (all if limit <= 0): the class is the
     * first index of the largest logit. Calls ctx->checkpoint() every 100 images if a context is given (and
     * lets JobCancelled propagate). Throws InputError if the images do not have the network's input shape.
     */
    double accuracy(const ImageSet &set, int limit = 0, JobContext *ctx = nullptr) const;

    /** The network as quantised (resolved). */
    const NetworkDescription &network() const;
    /** Parameters of the network input (fixed by the normalisation). */
    const QuantParams &inputParams() const;
    /** Parameters of the logits run() returns. */
    const QuantParams &outputParams() const;
    /** Number of logits run() returns. */
    int outputSize() const;
    /** Per-layer quantisation, index-aligned with network().layers (a final softmax included, as a pass-through). */
    const std::vector<LayerQuantization> &layers() const;

    struct Plan; ///< the compiled execution plan (private to the engine)

private:
    friend class AnalogSimulator; // runs the same plan with analog matrix-vector products
    std::shared_ptr<const Plan> m_plan;
};

} // namespace psc
