// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "psc/train/trainingrecipe.h"

#include <cstdint>
#include <string>
#include <vector>

namespace psc {

class JobContext;
struct Dataset;
struct NetworkDescription;

/** Outcome of training one candidate. Accuracies are fractions in [0, 1]. */
struct TrainResult
{
    double validationAccuracy = 0.0;
    double testAccuracy = 0.0;
    double finalTrainLoss = 0.0;
    int epochs = 0;
    double trainSeconds = 0.0;      ///< wall time of the training loop (excluding evaluation)
    double samplesPerSecond = 0.0;  ///< training throughput
    std::vector<std::uint8_t> weights; ///< serialized trained parameters (format owned by the trainer)
    std::string weightsFormat;         ///< e.g. "torch-pickle-v1"
};

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
                              std::uint64_t seed, JobContext &ctx) = 0;
};

} // namespace psc
