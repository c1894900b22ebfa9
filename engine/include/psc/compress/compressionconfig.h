// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "psc/net/network.h"
#include "psc/train/trainingrecipe.h"

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace psc {

/**
 * How a variant factorises its layers (docs/formats/compression-config.md, "factorization"). Converted to the
 * engine's `Factorization` per layer when the variant is applied (psc/compress/compressvariant.h).
 */
struct FactorizationSpec
{
    enum class Kind
    {
        None,
        LowRank,   ///< W ~ U V with rank `rank`, or round(rankFraction * full rank) if rank is 0
        Kronecker, ///< W ~ A (x) B; aOut x aIn is A's shape, 0 x 0 lets the factoriser choose
    };
    Kind kind = Kind::None;
    int rank = 0;
    double rankFraction = 0.0;
    int aOut = 0;
    int aIn = 0;
    bool operator==(const FactorizationSpec &) const = default;
};

/**
 * A variant's noise-aware fine-tuning for analog hardware (docs/formats/compression-config.md, "noise_aware";
 * docs/training.md "Training for analog hardware"): the child is fine-tuned from its parent with weight noise of
 * level weightNoise in every forward pass and, if distillWeight > 0, distilled from the parent (Noisy Machines).
 * The fields mean what the training recipe's fields of the same names mean.
 */
struct NoiseAwareSpec
{
    double weightNoise = 0.0; ///< eta, > 0 and < 1
    WeightNoiseModel model = WeightNoiseModel::Additive;
    double distillWeight = 0.0;
    double distillTemperature = 4.0;
    double adcClip = 0.0;
    double outputNoise = 0.0;

    /** `recipe` with these noise settings (the parent's noise settings replaced; noise_epochs does not apply). */
    TrainingRecipe applyTo(TrainingRecipe recipe) const;
    bool operator==(const NoiseAwareSpec &) const = default;
};

/**
 * One compressed model to derive from a trained trial. Every field that is set applies to `layers` (all
 * weighted layers if empty; channel pruning and factorisation skip the output layer then).
 */
struct CompressionVariant
{
    std::string name;                  ///< unique within the config; shown with the child trial
    std::optional<int> weightBits;     ///< 1..8
    std::optional<int> activationBits; ///< 2..8
    /// Unstructured, Dbb and NM are imposed by fine-tuning (gradual magnitude pruning); ChannelStructured removes
    /// channels physically before fine-tuning (pruneChannels()).
    std::optional<SparsitySpec> sparsity;
    FactorizationSpec factorization;
    std::optional<NoiseAwareSpec> noiseAware;
    std::vector<std::string> layers;

    /// Where the variant and each of its layer names came from ("c.json:4:7: /variants/3"), so that errors
    /// found only against the parent's network (an unknown layer) still point into the file.
    std::string origin;
    std::vector<std::string> layerOrigins; ///< index-aligned with `layers`

    /** Canonical JSON text (sorted keys) of what the variant does, not where it came from: stored with the child. */
    std::string canonicalJson() const;
};

/**
 * Overrides of the parent's training recipe for fine-tuning. Unset fields keep the parent's value; the data
 * split (validation_split, train_subset, test_subset) is always the parent's so that accuracies compare.
 */
struct FineTuneOverrides
{
    std::optional<int> epochs; ///< >= 0; 0 = prune in one shot, then QAT or calibration only
    std::optional<int> qatEpochs;
    std::optional<double> learningRate;
    std::optional<double> qatLearningRate;
    std::optional<int> batchSize;
    std::optional<double> weightDecay;
    std::optional<LrSchedule> schedule;
    std::optional<int> calibrationBatches;
    std::optional<double> pruneBegin;
    std::optional<double> pruneEnd;

    /** `parent` with the overrides applied. */
    TrainingRecipe applyTo(TrainingRecipe parent) const;
    bool operator==(const FineTuneOverrides &) const = default;
};

/**
 * A compression config file (docs/formats/compression-config.md): how to fine-tune, and the variants to
 * derive from one trained trial. Plain data, any thread.
 */
struct CompressionConfig
{
    FineTuneOverrides fineTune;
    std::vector<CompressionVariant> variants; ///< at least one, unique names

    /** Reads a config file. Throws InputError "file:line:col: /json/pointer: what was expected". */
    static CompressionConfig fromFile(const std::filesystem::path &path);
    /** Parses config text; errors name `displayName`. */
    static CompressionConfig fromJson(std::string_view text, std::string_view displayName = "<compression config>");
};

} // namespace psc
