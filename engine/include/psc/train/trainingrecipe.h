// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <string>

namespace psc {

enum class OptimizerKind
{
    Adam,  ///< weight_decay added to the gradient (L2 regularisation), as torch.optim.Adam
    Sgd,   ///< with Nesterov momentum
    AdamW, ///< weight_decay decoupled from the gradient (Loshchilov & Hutter 2019), as torch.optim.AdamW
};

/** How weight noise is drawn during noise-aware training (docs/training.md "Training for analog hardware"). */
enum class WeightNoiseModel
{
    Additive, ///< N(0, (eta * (max w - min w))^2) per weight, the layer's range (Noisy Machines, Zhou et al. 2020)
    Pcm,      ///< sigma(w) = eta * max|w| * p(|w| / max|w|) / p(1), p the PCM programming-noise polynomial (aihwkit)
};

enum class LrSchedule
{
    Constant,
    Cosine,
    Step, ///< multiply by `stepGamma` every `stepEpochs` epochs
};

/**
 * How a candidate is trained. Part of the cache key: a network trained with an equal recipe (same
 * canonicalJson()) is not trained again.
 */
struct TrainingRecipe
{
    int epochs = 3;
    int batchSize = 128;
    OptimizerKind optimizer = OptimizerKind::Adam;
    double learningRate = 0.002;
    double momentum = 0.9; ///< SGD only
    double weightDecay = 0.0;
    LrSchedule schedule = LrSchedule::Cosine;
    int stepEpochs = 1;
    double stepGamma = 0.5;
    double validationSplit = 0.1; ///< fraction of the training set held out for validation
    int trainSubset = 0;          ///< if > 0, use only this many training images (before the split)
    int testSubset = 0;           ///< if > 0, evaluate on only this many test images

    /// Quantisation (docs/quantization.md): after float training the batch norms are folded; with
    /// qatEpochs > 0 the folded network is fine-tuned with fake quantisation (QAT) at qatLearningRate,
    /// otherwise its ranges are calibrated on `calibrationBatches` training batches (post-training).
    int qatEpochs = 0;
    double qatLearningRate = 1e-4;
    int calibrationBatches = 16;
    /// Gradual magnitude pruning of layers with a sparsity: the schedule of Zhu & Gupta (2017) runs from
    /// pruneBegin to pruneEnd, as fractions of the float training steps; the mask is then fixed.
    double pruneBegin = 0.1;
    double pruneEnd = 0.7;
    /// Regularisation (docs/training.md): the cross-entropy's target mixes 1 - labelSmoothing of the label with
    /// labelSmoothing spread over all classes (Szegedy et al. 2016); each training image is shifted by up to
    /// augmentShift pixels in each direction (zero padding) and mirrored left-right with probability 1/2 if
    /// augmentFlip. The three keys are written to canonicalJson() only when set, so that recipes without them keep
    /// the cache keys they had.
    double labelSmoothing = 0.0;
    int augmentShift = 0;
    bool augmentFlip = false;
    /// Noise-robust training for analog hardware (docs/training.md "Training for analog hardware"). weightNoise
    /// (eta) > 0 adds noise of weightNoiseModel to every weighted layer's weights in each training forward pass (a
    /// fresh draw per pass; the gradient passes to the clean weights). train() applies it from the first epoch when
    /// noiseEpochs is 0; otherwise it trains `epochs` without noise, then fine-tunes the folded network for
    /// noiseEpochs with noise and, if distillWeight > 0, with knowledge distillation from the noise-free network
    /// (the Noisy Machines recipe). fineTune() applies it to all its epochs and distils from its start model. The
    /// loss is (1 - distillWeight) * CE + distillWeight * T^2 * KL(softmax(teacher / T) || softmax(student / T))
    /// with T = distillTemperature (Hinton et al. 2015). adcClip > 0 clips each weighted layer's output to
    /// +-adcClip * max|w| * max|x| during training, the ADC's output bound in the crossbar's normalised units;
    /// outputNoise > 0 adds Gaussian noise of that standard deviation, in the same units (per output channel:
    /// outputNoise * max|w_column| * max|x|), to each weighted layer's output before the clipping, the additive
    /// output noise of an analog MVM (aihwkit's out_noise; aon-cim's adc_output_noise is 0.04).
    /// Written to canonicalJson() only when set.
    double weightNoise = 0.0;
    WeightNoiseModel weightNoiseModel = WeightNoiseModel::Additive;
    int noiseEpochs = 0;
    double distillWeight = 0.0;
    double distillTemperature = 4.0;
    double adcClip = 0.0;
    double outputNoise = 0.0;

    /** Stable JSON text with every field, used for the cache key and stored with each trial. */
    std::string canonicalJson() const;
    bool operator==(const TrainingRecipe &) const = default;
};

} // namespace psc
