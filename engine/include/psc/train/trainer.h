// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "psc/train/trainingrecipe.h"

#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <vector>

namespace psc {

class JobContext;
struct Dataset;
struct NetworkDescription;
struct TrainedModel;

/** Outcome of training one candidate. Accuracies are fractions in [0, 1]. */
struct TrainResult
{
    double validationAccuracy = 0.0; ///< of the float network (after pruning, before quantisation)
    double testAccuracy = 0.0;       ///< of the float network
    /// Of the deployable network with fake quantisation (after folding and QAT or calibration); NaN if
    /// the trainer did not quantise.
    double quantizedValidationAccuracy = std::numeric_limits<double>::quiet_NaN();
    double quantizedTestAccuracy = std::numeric_limits<double>::quiet_NaN();
    double finalTrainLoss = 0.0;
    /// Float validation accuracy after each training epoch (the learning curve early stopping reads); the last
    /// entry is validationAccuracy. Fine-tuning without float epochs leaves it empty.
    std::vector<double> validationCurve;
    /// The EpochObserver stopped training after `epochs` of the recipe's epochs: only the float fields and the
    /// curve are set (no test accuracy, quantisation or weights).
    bool stoppedEarly = false;
    /// Integer (deployed) test accuracy measured by the trainer itself, NaN if it was not (the engine then measures
    /// it on `weights`). Set by trainers that look results up instead of training (the tabular benchmark).
    double deployedTestAccuracy = std::numeric_limits<double>::quiet_NaN();
    int epochs = 0;
    double trainSeconds = 0.0;     ///< wall time of the float training loop (excluding evaluation)
    double qatSeconds = 0.0;       ///< wall time of the quantisation-aware training loop, 0 without QAT
    double samplesPerSecond = 0.0; ///< training throughput
    /// The trained model: for kTrainedModelFormat ("psc-trained-model-v1") a serialised TrainedModel
    /// (psc/quant/trainedmodel.h) that the engine's integer inference and the exporters read.
    std::vector<std::uint8_t> weights;
    std::string weightsFormat;
};

/**
 * Told the float validation accuracy after each epoch `epoch` (1-based) of training; returns false to stop the
 * training there (early stopping). Called on the training's thread.
 */
using EpochObserver = std::function<bool(int epoch, double validationAccuracy)>;

/**
 * Trains a network description on a dataset. Implemented by psc_ml (LibTorch); the engine knows only
 * this interface. train() runs on a heavy-pool thread, must honour ctx.checkpoint() at least once per
 * batch, and throws RuntimeError on divergence (NaN loss) or InputError for a network it cannot build.
 * Implementations must be safe to call from several threads at once, each with its own arguments.
 */
class Trainer
{
public:
    virtual ~Trainer() = default;
    virtual TrainResult train(const NetworkDescription &network, const TrainingRecipe &recipe, const Dataset &data,
                              std::uint64_t seed, JobContext &ctx, const EpochObserver &onEpoch) = 0;
    /** train() without early stopping. */
    TrainResult train(const NetworkDescription &network, const TrainingRecipe &recipe, const Dataset &data,
                      std::uint64_t seed, JobContext &ctx)
    {
        return train(network, recipe, data, seed, ctx, EpochObserver{});
    }

    /**
     * Continues training a trained deployable model (compression, `paretoscope compress`): `start.network` is
     * already in deployable form and may differ from what produced its parameters only as compression allows
     * (narrower layers after channel pruning, new bit-widths or sparsity, factorised layers whose factors
     * `start` holds). Runs `recipe.epochs` float fine-tuning epochs (pruning gradually to each layer's
     * sparsity over the pruning window of those epochs; one-shot at the start if epochs is 0), then QAT
     * for `recipe.qatEpochs` or calibration, exactly like the second half of train(). The result's weights
     * are a TrainedModel of `start.network`. Same threading and error rules as train().
     */
    virtual TrainResult fineTune(const TrainedModel &start, const TrainingRecipe &recipe, const Dataset &data,
                                 std::uint64_t seed, JobContext &ctx) = 0;
};

} // namespace psc
