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

} // namespace psc::ml
