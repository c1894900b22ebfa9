// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Internal to psc_ml: a torch module executing a NetworkDescription as a graph of layers.

#include "psc/net/network.h"
#include "psc/train/trainingrecipe.h"

#include <ATen/core/Generator.h>

#include <torch/nn/module.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace psc::ml {

/** How fake quantisation runs (docs/quantization.md). */
enum class QuantMode
{
    Off,       ///< float
    Calibrate, ///< record min/max of every boundary tensor, then fake-quantise with them (post-training)
    Train,     ///< exponential moving average of the ranges (quantisation-aware training)
    Frozen,    ///< fake-quantise with the recorded ranges (evaluation)
};

/** The recorded float range of one quantisation-boundary tensor. */
struct RangeObserver
{
    bool seen = false;
    double min = 0.0, max = 0.0;
};

struct GraphNode
{
    std::string name;
    LayerType type = LayerType::Relu;
    int64_t groups = 1;
    int weightBits = 8, activationBits = 8;
    bool boundary = false; ///< conv/dense/low_rank/kronecker/add/global_avg_pool: the output has its own quantisation
    RangeObserver range;
    RangeObserver midRange; ///< low_rank / kronecker: the int8 intermediate ("<layer>:mid")
    torch::Tensor mask;     ///< 0/1 keep-mask of the weight (undefined if dense)
    Activation activation = Activation::None;
    std::vector<int> inputs;      ///< indices of producing nodes; -1 is the network input
    int lastUse = 0;              ///< index of the last node reading this node's output
    std::array<int64_t, 4> pad{}; ///< explicit (left, right, top, bottom) padding when not symmetric
    bool explicitPad = false;
    int64_t kernelH = 1, kernelW = 1, strideH = 1, strideW = 1, padH = 0, padW = 0;
    torch::nn::Conv2d conv{nullptr};
    torch::nn::Linear linear{nullptr};
    torch::nn::BatchNorm2d bn2d{nullptr};
    torch::nn::BatchNorm1d bn1d{nullptr};
    /// low_rank: U [out, r], V [r, in]; kronecker: A [o1, i1], B [o2, i2] (docs/formats/network.md); bias [out].
    torch::Tensor weight, factor, bias;
    FactorShape kronA, kronB;
};

/**
 * Weight noise and output clipping in forward passes (docs/training.md "Training for analog hardware"): noise-aware
 * training, and with `inEval` the Monte-Carlo evaluation of a trained network under noise.
 */
struct WeightNoise
{
    double eta = 0.0; ///< 0 = no noise
    WeightNoiseModel model = WeightNoiseModel::Additive;
    double adcClip = 0.0;     ///< 0 = no clipping
    double outputNoise = 0.0; ///< 0 = no output noise
    bool inEval = false;      ///< also in eval() mode, not only while training
};

class GraphNetImpl : public torch::nn::Module
{
public:
    /** Builds the modules; parameters are initialised from `seed` (He-uniform weights, zero biases). */
    GraphNetImpl(const NetworkDescription &network, std::uint64_t seed);

    /** Runs the graph. With `logits`, a trailing softmax (layer or fused) is skipped for the loss. */
    torch::Tensor forward(const torch::Tensor &input, bool logits = true);

    std::vector<GraphNode> &nodes() { return m_nodes; }
    /** The node of a layer name, or nullptr. */
    GraphNode *node(const std::string &name);
    /** The weight tensor of a conv/dense node, U of low_rank, A of kronecker (undefined for others). */
    static torch::Tensor weightOf(GraphNode &n);
    static torch::Tensor biasOf(GraphNode &n);
    /** V of a low_rank node, B of a kronecker node (undefined for others). */
    static torch::Tensor factorOf(GraphNode &n) { return n.factor; }

    void setQuantMode(QuantMode mode) { m_quantMode = mode; }
    QuantMode quantMode() const { return m_quantMode; }
    /** The fixed input quantisation: q = x / scale + zeroPoint in int8 (docs/quantization.md "Input"). */
    void setInputQuantization(double scale, int zeroPoint)
    {
        m_inputScale = scale;
        m_inputZeroPoint = zeroPoint;
    }
    /** Noise of every later forward pass, drawn from a generator seeded with `seed`. */
    void setWeightNoise(const WeightNoise &noise, std::uint64_t seed);
    /** Multiplies every masked weight by its mask (after an optimiser step). */
    void applyMasks();
    /** Forgets every recorded range (outputs and factorised intermediates), e.g. before calibration. */
    void resetRanges();

private:
    torch::Tensor quantizeActivation(const torch::Tensor &x, GraphNode &n);
    /** Records `x` into `r` as the quant mode says, then fake-quantises it with `r` at `bits` (if seen). */
    torch::Tensor observeAndQuantize(const torch::Tensor &x, RangeObserver &r, int bits);
    torch::Tensor quantizedWeight(GraphNode &n) { return quantizedRows(weightOf(n), n.weightBits); }
    /** Per-row (output channel) symmetric fake quantisation at `bits` (docs/quantization.md "Weights"). */
    static torch::Tensor quantizedRows(const torch::Tensor &w, int bits);
    /** low_rank / kronecker on [N, in] or, per pixel, on [N, C, H, W]: with the bias, before the activation. */
    torch::Tensor factorizedForward(const torch::Tensor &x, GraphNode &n);

    /** `w` with a fresh draw of the weight noise added (the gradient passes to `w`), or `w` without noise. */
    torch::Tensor perturbed(const torch::Tensor &w);
    /**
     * `y` (outputs in dimension 1) as an analog crossbar gives it for weight `w` and input `x`: with a fresh draw of
     * the output noise, then clipped to the ADC bound; `y` itself when neither is set.
     */
    torch::Tensor analogOutput(const torch::Tensor &y, const torch::Tensor &w, const torch::Tensor &x);
    bool noiseActive() const { return (is_training() || m_noise.inEval); }

    WeightNoise m_noise;
    at::Generator m_noiseGen;
    QuantMode m_quantMode = QuantMode::Off;
    double m_inputScale = 1.0;
    int m_inputZeroPoint = 0;
    std::vector<GraphNode> m_nodes;
    int m_trailingSoftmax = -1; ///< index of a final softmax layer, -1 if none
};
TORCH_MODULE(GraphNet);

} // namespace psc::ml
