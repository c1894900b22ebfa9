// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "psc/train/trainer.h"

#include <memory>

namespace psc {
struct ImageSet;
}

namespace psc::ml {

/**
 * Trains network descriptions with LibTorch on the CPU.
 *
 * Deterministic for a given seed: parameters are initialised and batches shuffled from generators
 * seeded by the trial's seed (never torch's global generator), so results do not depend on how many
 * trainings run at the same time. train() and fineTune() may be called from several threads at once; the
 * float tensors of a dataset are built once and shared (read-only) between calls.
 */
class TorchTrainer : public Trainer
{
public:
    TorchTrainer();
    ~TorchTrainer() override;

    using Trainer::train;
    TrainResult train(const NetworkDescription &network, const TrainingRecipe &recipe, const Dataset &data,
                      std::uint64_t seed, JobContext &ctx, const EpochObserver &onEpoch) override;
    TrainResult fineTune(const TrainedModel &start, const TrainingRecipe &recipe, const Dataset &data,
                         std::uint64_t seed, JobContext &ctx) override;

    /**
     * Sets torch's intra-op thread count (process-wide) and one inter-op thread. Call once at start-up,
     * before any training, with ThreadBudget::torchThreads.
     */
    static void configureThreads(int intraOpThreads);

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

/** Number of trainable parameters torch allocates for a network (cross-check of the engine's analysis). */
std::int64_t torchParameterCount(const NetworkDescription &network);

/**
 * The logits of the first `count` images of `images` (all if `count` <= 0 or larger) under the trained deployable
 * `model`, normalised with its input_mean and input_std: in float, or with `fakeQuantized` as training evaluates
 * it (the recorded ranges, the input quantised as the integer network's). Row-major [count, classes]; a final
 * softmax is not applied. Throws InputError, as Trainer::fineTune does, for a model torch cannot load. Any thread.
 */
std::vector<float> modelLogits(const TrainedModel &model, const ImageSet &images, int count = 0,
                               bool fakeQuantized = false);

/** How noisyAccuracy() perturbs and evaluates a model. */
struct NoisyEvaluation
{
    double eta = 0.0; ///< noise level, as the training recipe's weight_noise
    WeightNoiseModel model = WeightNoiseModel::Additive;
    int draws = 10;            ///< independent noise draws (chips)
    int images = 0;            ///< the first `images` of the set; all if <= 0
    std::uint64_t seed = 1;    ///< the draws are reproducible for a seed
    bool fakeQuantized = true; ///< the deployable (fake-quantised) network, as the integer network runs it
};

/** Accuracy of a noisyAccuracy() evaluation: the mean and sample standard deviation over the draws. */
struct NoisyAccuracy
{
    double mean = 0.0, std = 0.0;
    std::vector<double> draws;
};

/**
 * Monte-Carlo accuracy of a trained deployable `model` on `images` with weight noise of `how` added to every weighted
 * layer (the same noise as noise-aware training, one draw per pass over the images): Noisy Machines' evaluation
 * (Zhou et al. 2020). Throws InputError for eta < 0, no draws or images of another shape. Any thread.
 */
NoisyAccuracy noisyAccuracy(const TrainedModel &model, const ImageSet &images, const NoisyEvaluation &how);

} // namespace psc::ml
