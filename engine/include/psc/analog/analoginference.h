// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "psc/quant/integerinference.h"

#include <psc/plugin/analognoise.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace psc {

class JobContext;
struct ImageSet;
struct TargetDefinition;

/** What the analog inference needs of an analog-cim target file (docs/analog.md). */
struct AnalogTarget
{
    std::string id;
    plugin::AnalogNoiseParameters noise;
    int crossbarRows = 1024;    ///< input rows of one array: longer dot products are split into tiles
    std::optional<int> dacBits; ///< nullopt: the bits of the layer's input activations
    std::optional<int> adcBits; ///< nullopt: the bits of the layer's output activations
};

/**
 * Reads the analog parameters of a loaded target. Throws InputError naming the target and its file unless its
 * model is "analog-cim" (analog accuracy needs a crossbar to simulate).
 */
AnalogTarget analogTarget(const TargetDefinition &target);

/** "global", "per_column" or "none", as target files and the study's analog_accuracy table write it. */
std::string_view toString(plugin::AnalogDriftCompensation compensation);

/** Accuracy of many device draws at one time after programming. */
struct AnalogAccuracy
{
    double seconds = 0.0;      ///< time since programming
    double mean = 0.0;         ///< top-1 accuracy in [0, 1], mean over draws
    double std = 0.0;          ///< sample standard deviation over draws (0 for one draw)
    std::vector<double> draws; ///< each draw's accuracy
};

struct AnalogOptions
{
    int repeats = 10;       ///< independent device draws (programming noise, drift exponents, read noise)
    std::uint64_t seed = 1; ///< the same seed gives the same draws, whatever the thread count
    int images = 0;         ///< first images of the set to classify (0: all)
    int threads = 1;        ///< draws run in parallel on this many threads
    /// Overrides the target's drift compensation (the inspector draws the curve with and without it).
    std::optional<plugin::AnalogDriftCompensation> compensation;
};

/**
 * A deployable integer model run on a simulated PCM crossbar (docs/analog.md). Every weighted layer (conv2d,
 * depthwise_conv2d, dense, both stages of low_rank and kronecker) is an analog matrix-vector product: its int8
 * weights become differential PCM conductance pairs (per-column or per-layer scale to g_max), programmed once per
 * draw with write-verify noise and a drift exponent per device, read at time t with drift and 1/f read noise;
 * inputs pass a DAC (noise management, bits, bound), each crossbar tile's partial sums an ADC (output noise, bits,
 * bound); drift compensation, bias and requantisation to the next int8 activation are digital. Pooling, add and
 * clamps are the integer reference kernels. With every noise scale and the output noise at 0 and ideal converters,
 * every layer's output equals the integer reference's exactly (the periphery rounds each analog sum to the
 * integer accumulator and requantises it with the reference's fixed-point multipliers).
 *
 * Immutable; evaluate() may be called from several threads at once.
 */
class AnalogSimulator
{
public:
    /** Throws InputError if `model` is not valid. */
    AnalogSimulator(const IntegerModel &model, AnalogTarget target);
    ~AnalogSimulator();
    AnalogSimulator(AnalogSimulator &&) noexcept;

    /**
     * Accuracy at each of `seconds` (each > 0, any order) for options.repeats draws: each draw programs the array
     * once and reads it at every time. Calls ctx->checkpoint() every 100 images and reports progress from the
     * calling thread. Throws InputError for images of the wrong shape, repeats < 1 or a time <= 0.
     */
    std::vector<AnalogAccuracy> evaluate(const ImageSet &set, const std::vector<double> &seconds,
                                         const AnalogOptions &options, JobContext *ctx = nullptr) const;

    /**
     * The output tensor of every layer for one image on draw `draw` read at `seconds` (index-aligned with
     * IntegerModel::layers(), as IntegerModel::trace()): per-layer views, and the check against the reference.
     */
    std::vector<std::vector<std::int8_t>> trace(const std::uint8_t *image, double seconds, std::uint64_t seed,
                                                int draw = 0) const;

    /** Number of analog matrices (two per factorised layer) and of PCM devices programmed per draw. */
    int matrices() const;
    std::int64_t devices() const;

    struct Impl;

private:
    std::unique_ptr<const Impl> m_impl;
};

} // namespace psc
