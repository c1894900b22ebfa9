// SPDX-License-Identifier: GPL-3.0-or-later
#include "psc/ml/torchtrainer.h"

#include "deploy.h"
#include "graphnet.h"

#include "psc/core/error.h"
#include "psc/data/dataset.h"
#include "psc/jobs/jobcontext.h"
#include "psc/net/network.h"

#include <torch/nn/functional/loss.h>
#include <torch/optim/adam.h>
#include <torch/optim/adamw.h>
#include <torch/optim/sgd.h>

#include <ATen/Parallel.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <functional>
#include <map>
#include <mutex>
#include <numeric>
#include <random>
#include <sstream>

namespace psc::ml {

namespace {

/** Float tensors of one dataset, normalised with the training set's mean and standard deviation. */
struct TensorData
{
    torch::Tensor trainX, trainY, testX, testY;
    double mean = 0.0, stdev = 1.0; ///< of the training pixels in [0, 1]
};

TensorData toTensors(const Dataset &data)
{
    auto images = [](const ImageSet &s) {
        auto t = torch::from_blob(const_cast<std::uint8_t *>(s.pixels.data()), {s.count, s.channels, s.height, s.width},
                                  torch::kUInt8);
        return t.to(torch::kFloat32).div_(255.0);
    };
    auto labels = [](const ImageSet &s) {
        return torch::from_blob(const_cast<std::uint8_t *>(s.labels.data()), {s.count}, torch::kUInt8)
            .to(torch::kInt64);
    };
    TensorData t;
    t.trainX = images(data.train);
    const double mean = t.trainX.mean().item<double>();
    const double stdev = t.trainX.std().item<double>();
    t.trainX.sub_(mean).div_(stdev);
    t.testX = images(data.test).sub_(mean).div_(stdev);
    t.trainY = labels(data.train);
    t.testY = labels(data.test);
    t.mean = mean;
    t.stdev = stdev;
    return t;
}

/** Fisher-Yates with our own index arithmetic: identical on every platform for a given seed. */
std::vector<int64_t> permutation(int64_t n, std::uint64_t seed)
{
    std::vector<int64_t> p(static_cast<std::size_t>(n));
    std::iota(p.begin(), p.end(), 0);
    std::mt19937_64 rng(seed);
    for (int64_t i = n - 1; i > 0; --i) {
        const auto j = int64_t(rng() % std::uint64_t(i + 1));
        std::swap(p[std::size_t(i)], p[std::size_t(j)]);
    }
    return p;
}

torch::Tensor indexTensor(const std::vector<int64_t> &idx, std::size_t begin, std::size_t end)
{
    return torch::from_blob(const_cast<int64_t *>(idx.data() + begin), {int64_t(end - begin)}, torch::kInt64);
}

double accuracy(GraphNet &net, const torch::Tensor &x, const torch::Tensor &y, JobContext &ctx)
{
    torch::NoGradGuard noGrad;
    net->eval();
    int64_t correct = 0;
    const int64_t n = x.size(0);
    for (int64_t b = 0; b < n; b += 1000) {
        ctx.checkpoint();
        const int64_t e = std::min(n, b + 1000);
        const auto pred = net->forward(x.slice(0, b, e)).argmax(1);
        correct += pred.eq(y.slice(0, b, e)).sum().item<int64_t>();
    }
    return n ? double(correct) / double(n) : 0.0;
}

} // namespace

struct TorchTrainer::Impl
{
    std::mutex mutex;
    std::map<const Dataset *, std::shared_ptr<const TensorData>> cache;

    std::shared_ptr<const TensorData> tensors(const Dataset &data)
    {
        std::lock_guard lock(mutex);
        auto &slot = cache[&data];
        if (!slot)
            slot = std::make_shared<const TensorData>(toTensors(data));
        return slot;
    }
};

TorchTrainer::TorchTrainer() : m_impl(std::make_unique<Impl>()) {}
TorchTrainer::~TorchTrainer() = default;

void TorchTrainer::configureThreads(int intraOpThreads)
{
    at::set_num_threads(std::max(1, intraOpThreads));
    static std::once_flag interop;
    // The inter-op pool can be sized only once per process, before first use.
    std::call_once(interop, [] { at::set_num_interop_threads(1); });
}

namespace {

/**
 * One training run's data split, batching, loops and phases, shared by train() and fineTune(): the float phase
 * (training from scratch or fine-tuning, with gradual pruning) and the deployment phase (QAT or calibration of a
 * deployable network, then its export).
 */
class Session
{
public:
    Session(const TensorData &t, const TrainingRecipe &recipe, std::uint64_t seed, JobContext &ctx)
        : m_t(t), m_recipe(recipe), m_seed(seed), m_ctx(ctx)
    {
        // The validation split is the same for every trial (fixed permutation), so validation accuracies are
        // comparable across the study; only the shuffling and the initialisation depend on the trial's seed.
        const auto all = permutation(t.trainX.size(0), 0x5eed5ULL);
        std::size_t pool = all.size();
        if (recipe.trainSubset > 0)
            pool = std::min<std::size_t>(pool, std::size_t(recipe.trainSubset));
        const auto valCount = std::size_t(std::llround(double(pool) * recipe.validationSplit));
        if (valCount >= pool)
            throw InputError("validation_split leaves no training images");
        m_trainIdx.assign(all.begin(), all.begin() + std::ptrdiff_t(pool - valCount));
        const auto valIdxT = indexTensor(all, pool - valCount, pool);
        m_valX = t.trainX.index_select(0, valIdxT);
        m_valY = t.trainY.index_select(0, valIdxT);
        m_testX = t.testX;
        m_testY = t.testY;
        if (recipe.testSubset > 0 && recipe.testSubset < m_testX.size(0)) {
            m_testX = m_testX.slice(0, 0, recipe.testSubset);
            m_testY = m_testY.slice(0, 0, recipe.testSubset);
        }
        m_batch = std::size_t(std::max(1, recipe.batchSize));
        m_stepsPerEpoch = (m_trainIdx.size() + m_batch - 1) / m_batch;
        m_allSteps = std::max<std::size_t>(
            m_stepsPerEpoch * std::size_t(recipe.epochs + recipe.noiseEpochs + recipe.qatEpochs), 1);
    }

    /** Distils every later phase from `teacher` (run in eval mode, without noise) when recipe.distillWeight > 0. */
    void setTeacher(GraphNet teacher) { m_teacher = std::move(teacher); }

    /** The recipe's weight noise, output noise and ADC clipping on `net` for training, seeded by the trial and `salt`.
     */
    void addNoise(GraphNet &net, std::uint64_t salt) const
    {
        WeightNoise noise;
        noise.eta = m_recipe.weightNoise;
        noise.model = m_recipe.weightNoiseModel;
        noise.adcClip = m_recipe.adcClip;
        noise.outputNoise = m_recipe.outputNoise;
        net->setWeightNoise(noise, m_seed * 0x9e3779b97f4a7c15ULL + salt);
    }

    /**
     * train()'s noise fine-tuning (recipe.noiseEpochs > 0): `net`, already folded and carrying the recipe's noise,
     * is trained for noiseEpochs at a cosine schedule from a tenth of the learning rate, its masks kept.
     */
    void noisePhase(GraphNet &net)
    {
        const double lr = 0.1 * m_recipe.learningRate;
        const std::size_t steps = std::max<std::size_t>(m_stepsPerEpoch * std::size_t(m_recipe.noiseEpochs), 1);
        auto opt = optimizer(net, lr);
        runEpochs(
            net, *opt, m_recipe.noiseEpochs, 4099,
            [&](std::size_t step) { return 0.5 * lr * (1.0 + std::cos(M_PI * double(step) / double(steps))); },
            [&](std::size_t) { net->applyMasks(); }, "noise-aware training", [](int) { return true; });
    }

    /**
     * Trains `net` in float for recipe.epochs, pruning the sparse layers of `network` gradually (Zhu & Gupta)
     * from `initialFractions` (by layer; absent = 0) to their sparsity, and fixes the final masks (one shot if
     * there are no epochs). Fills the float fields of `result`.
     */
    void floatPhase(GraphNet &net, const NetworkDescription &network,
                    const std::map<std::string, double> &initialFractions, const std::string &phase,
                    const EpochObserver &onEpoch, TrainResult &result)
    {
        bool sparse = false;
        for (const LayerSpec &l : network.layers)
            sparse |= l.sparsity.isSparse();
        const std::size_t totalSteps = m_stepsPerEpoch * std::size_t(m_recipe.epochs);
        const TrainingRecipe &recipe = m_recipe;
        auto lrAt = [&](std::size_t step) {
            switch (recipe.schedule) {
            case LrSchedule::Constant:
                return recipe.learningRate;
            case LrSchedule::Cosine:
                return 0.5 * recipe.learningRate *
                       (1.0 + std::cos(M_PI * double(step) / double(std::max<std::size_t>(totalSteps, 1))));
            case LrSchedule::Step:
                return recipe.learningRate *
                       std::pow(recipe.stepGamma,
                                double(step / m_stepsPerEpoch / std::size_t(std::max(1, recipe.stepEpochs))));
            }
            return recipe.learningRate;
        };
        auto pruneProgress = [&](std::size_t step) {
            const double at = double(step + 1) / double(std::max<std::size_t>(totalSteps, 1));
            const double span = std::max(recipe.pruneEnd - recipe.pruneBegin, 1e-9);
            return std::clamp((at - recipe.pruneBegin) / span, 0.0, 1.0);
        };
        auto masks = [&](double progress) {
            if (initialFractions.empty())
                updateMasks(net, network, progress);
            else
                updateMasksFrom(net, network, progress, initialFractions);
        };
        if (sparse && !initialFractions.empty())
            masks(0.0); // what the start model already pruned stays pruned from the first step on
        auto pruneStep = [&](std::size_t step) {
            if (!sparse)
                return;
            const double p = pruneProgress(step);
            // Masks follow the schedule every 16 steps and at its end; in between they only re-zero the weights.
            if (p > 0.0 && (step % 16 == 0 || (p >= 1.0 && pruneProgress(step - 1) < 1.0)))
                masks(p);
            else
                net->applyMasks();
        };

        // The learning curve: validation accuracy after every epoch but the last, which is measured below once
        // the final masks are in place. The observer may stop the training after any epoch.
        double evaluationSeconds = 0.0; // the curve's evaluations, kept out of the training time
        auto afterEpoch = [&](int epoch) {
            if (epoch == recipe.epochs)
                return true;
            const auto evaluation = std::chrono::steady_clock::now();
            const double v = accuracy(net, m_valX, m_valY, m_ctx);
            evaluationSeconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - evaluation).count();
            result.validationCurve.push_back(v);
            return !onEpoch || onEpoch(epoch, v);
        };
        const auto start = std::chrono::steady_clock::now();
        int epochsRun = 0;
        {
            auto opt = optimizer(net, recipe.learningRate);
            epochsRun = runEpochs(net, *opt, recipe.epochs, 0, lrAt, pruneStep, phase, afterEpoch);
        }
        result.trainSeconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() - evaluationSeconds;
        result.epochs = epochsRun;
        result.finalTrainLoss = m_lossCount ? m_lossSum / double(m_lossCount) : 0.0;
        result.samplesPerSecond =
            result.trainSeconds > 0 ? double(m_trainIdx.size()) * epochsRun / result.trainSeconds : 0.0;
        if (epochsRun < recipe.epochs) {
            result.stoppedEarly = true;
            result.validationAccuracy = result.validationCurve.back();
            result.testAccuracy = std::nan("");
            return;
        }
        if (sparse)
            masks(1.0); // the final sparsity, also when training was shorter than the schedule

        m_ctx.progress(overallProgress(0), "evaluating");
        result.validationAccuracy = accuracy(net, m_valX, m_valY, m_ctx);
        if (recipe.epochs > 0) {
            result.validationCurve.push_back(result.validationAccuracy);
            if (onEpoch)
                onEpoch(recipe.epochs, result.validationAccuracy);
        }
        result.testAccuracy = accuracy(net, m_testX, m_testY, m_ctx);
    }

    /**
     * Quantises the deployable `low` of `lowered` (docs/quantization.md): quantisation-aware fine-tuning when
     * recipe.qatEpochs > 0, else post-training calibration of the activation ranges (recorded ranges are
     * discarded first). Fills the fake-quantised accuracies and the weights of `result`.
     */
    void deployPhase(GraphNet &low, const NetworkDescription &lowered, TrainResult &result)
    {
        const TrainingRecipe &recipe = m_recipe;
        low->setInputQuantization(1.0 / (255.0 * m_t.stdev), int(std::nearbyint(255.0 * m_t.mean)) - 128);
        const auto start = std::chrono::steady_clock::now();
        if (recipe.qatEpochs > 0) {
            low->setQuantMode(QuantMode::Train);
            auto opt = optimizer(low, recipe.qatLearningRate);
            runEpochs(
                low, *opt, recipe.qatEpochs, 7919, [&](std::size_t) { return recipe.qatLearningRate; },
                [&](std::size_t) { low->applyMasks(); }, "quantisation-aware training", [](int) { return true; });
            result.qatSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        } else {
            torch::NoGradGuard noGrad;
            low->eval();
            low->resetRanges();
            low->setQuantMode(QuantMode::Calibrate);
            for (int b = 0; b < recipe.calibrationBatches && std::size_t(b) * m_batch < m_trainIdx.size(); ++b) {
                m_ctx.checkpoint();
                const std::size_t begin = std::size_t(b) * m_batch;
                low->forward(m_t.trainX.index_select(
                    0, indexTensor(m_trainIdx, begin, std::min(m_trainIdx.size(), begin + m_batch))));
            }
        }
        low->setQuantMode(QuantMode::Frozen);
        result.quantizedValidationAccuracy = accuracy(low, m_valX, m_valY, m_ctx);
        result.quantizedTestAccuracy = accuracy(low, m_testX, m_testY, m_ctx);

        result.weights = serializeTrainedModel(exportTrainedModel(low, lowered, m_t.mean, m_t.stdev));
        result.weightsFormat = kTrainedModelFormat;
    }

private:
    std::unique_ptr<torch::optim::Optimizer> optimizer(GraphNet &model, double lr) const
    {
        if (m_recipe.optimizer == OptimizerKind::Adam)
            return std::make_unique<torch::optim::Adam>(
                model->parameters(), torch::optim::AdamOptions(lr).weight_decay(m_recipe.weightDecay));
        if (m_recipe.optimizer == OptimizerKind::AdamW)
            return std::make_unique<torch::optim::AdamW>(
                model->parameters(), torch::optim::AdamWOptions(lr).weight_decay(m_recipe.weightDecay));
        return std::make_unique<torch::optim::SGD>(model->parameters(), torch::optim::SGDOptions(lr)
                                                                            .momentum(m_recipe.momentum)
                                                                            .weight_decay(m_recipe.weightDecay)
                                                                            .nesterov(m_recipe.momentum > 0));
    }

    /**
     * One pass over the training images per epoch, shuffled per trial seed and epoch. `afterStep` runs after
     * every optimiser step (pruning masks), `afterEpoch` after every epoch (1-based; false stops). Returns the
     * epochs run.
     */
    int runEpochs(GraphNet &model, torch::optim::Optimizer &opt, int epochs, int epochSalt,
                  const std::function<double(std::size_t)> &lrAt, const std::function<void(std::size_t)> &afterStep,
                  const std::string &phase, const std::function<bool(int)> &afterEpoch)
    {
        const std::size_t totalSteps = m_stepsPerEpoch * std::size_t(epochs);
        std::size_t step = 0;
        for (int epoch = 0; epoch < epochs; ++epoch) {
            model->train();
            const auto order =
                permutation(int64_t(m_trainIdx.size()), m_seed * 1000003ULL + std::uint64_t(epoch + epochSalt));
            std::vector<int64_t> shuffled(m_trainIdx.size());
            for (std::size_t i = 0; i < order.size(); ++i)
                shuffled[i] = m_trainIdx[std::size_t(order[i])];
            m_lossSum = 0.0;
            m_lossCount = 0;
            std::mt19937_64 augmentRng(m_seed * 2654435761ULL + std::uint64_t(epoch + epochSalt) * 97ULL + 0xa06ULL);
            const auto lossOptions =
                torch::nn::functional::CrossEntropyFuncOptions().label_smoothing(m_recipe.labelSmoothing);
            for (std::size_t b = 0; b < shuffled.size(); b += m_batch, ++step) {
                m_ctx.checkpoint();
                const double lr = lrAt(step);
                for (auto &group : opt.param_groups())
                    group.options().set_lr(lr);
                const auto idx = indexTensor(shuffled, b, std::min(shuffled.size(), b + m_batch));
                const auto x = augment(m_t.trainX.index_select(0, idx), augmentRng);
                const auto y = m_t.trainY.index_select(0, idx);
                opt.zero_grad();
                const torch::Tensor logits = model->forward(x);
                auto loss = torch::nn::functional::cross_entropy(logits, y, lossOptions);
                if (m_teacher && m_recipe.distillWeight > 0.0)
                    loss = (1.0 - m_recipe.distillWeight) * loss + m_recipe.distillWeight * distillation(logits, x);
                const double lossValue = loss.item<double>();
                if (!std::isfinite(lossValue))
                    throw RuntimeError(phase + " diverged: loss is " + std::to_string(lossValue) + " at epoch " +
                                       std::to_string(epoch + 1) + ", batch " + std::to_string(b / m_batch + 1));
                loss.backward();
                opt.step();
                afterStep(step);
                m_lossSum += lossValue;
                ++m_lossCount;
                if (step % 20 == 0)
                    m_ctx.progress(overallProgress(step),
                                   phase + " epoch " + std::to_string(epoch + 1) + "/" + std::to_string(epochs) +
                                       ", loss " + std::to_string(m_lossSum / double(m_lossCount)).substr(0, 6));
            }
            if (!afterEpoch(epoch + 1)) {
                m_stepsBefore += totalSteps;
                return epoch + 1;
            }
        }
        m_stepsBefore += totalSteps;
        return epochs;
    }

    /**
     * Hinton et al.'s (2015) distillation term for a batch: T^2 * KL(softmax(teacher / T) || softmax(student / T)),
     * averaged over the batch; the teacher sees the same (augmented) images without noise.
     */
    torch::Tensor distillation(const torch::Tensor &studentLogits, const torch::Tensor &x)
    {
        torch::Tensor target;
        {
            torch::NoGradGuard noGrad;
            m_teacher->eval();
            target = torch::softmax(m_teacher->forward(x) / m_recipe.distillTemperature, 1);
        }
        const double t = m_recipe.distillTemperature;
        return torch::nn::functional::kl_div(torch::log_softmax(studentLogits / t, 1), target,
                                             torch::nn::functional::KLDivFuncOptions().reduction(torch::kBatchMean)) *
               (t * t);
    }

    /**
     * The recipe's augmentation of one batch: each image shifted by a whole number of pixels in [-s, s] on each axis
     * (the uncovered border is the background, pixel value 0) and mirrored left-right with probability 1/2.
     * Returns the batch unchanged without augmentation.
     */
    torch::Tensor augment(const torch::Tensor &x, std::mt19937_64 &rng) const
    {
        const int s = m_recipe.augmentShift;
        if (s <= 0 && !m_recipe.augmentFlip)
            return x;
        const int64_t n = x.size(0), h = x.size(2), w = x.size(3);
        torch::Tensor out = x;
        if (s > 0) {
            const double background = -m_t.mean / m_t.stdev; // a 0 pixel after normalisation
            const auto padded = torch::constant_pad_nd(x, {s, s, s, s}, background);
            std::vector<torch::Tensor> shifted;
            shifted.reserve(std::size_t(n));
            std::uniform_int_distribution<int> offset(0, 2 * s);
            for (int64_t i = 0; i < n; ++i)
                shifted.push_back(padded[i].narrow(1, offset(rng), h).narrow(2, offset(rng), w));
            out = torch::stack(shifted);
        }
        if (m_recipe.augmentFlip) {
            std::vector<std::uint8_t> flip(static_cast<std::size_t>(n));
            for (auto &f : flip)
                f = std::uint8_t(rng() & 1U);
            const auto mask = torch::from_blob(flip.data(), {n, 1, 1, 1}, torch::kUInt8).to(torch::kBool);
            out = torch::where(mask, out.flip({3}), out);
        }
        return out;
    }

    /**
     * Progress over both phases, so that a bar never runs backwards: the float and QAT steps share [0, 0.95],
     * the evaluations and the export the rest. `step` counts within the current runEpochs() call.
     */
    double overallProgress(std::size_t step) const
    {
        return std::min(0.95, 0.95 * double(m_stepsBefore + step) / double(m_allSteps));
    }

    const TensorData &m_t;
    const TrainingRecipe &m_recipe;
    std::uint64_t m_seed;
    JobContext &m_ctx;
    std::vector<int64_t> m_trainIdx;
    torch::Tensor m_valX, m_valY, m_testX, m_testY;
    std::size_t m_batch = 1;
    std::size_t m_stepsPerEpoch = 0;
    std::size_t m_allSteps = 1;    ///< float and QAT steps of the whole session
    std::size_t m_stepsBefore = 0; ///< steps of the runEpochs() calls already finished
    double m_lossSum = 0.0;
    int64_t m_lossCount = 0;
    GraphNet m_teacher{nullptr};
};

void checkInput(const NetworkDescription &network, const Dataset &data)
{
    if (network.layers.empty())
        throw InputError("network \"" + network.name + "\" has no layers");
    const Shape dataShape{data.train.channels, data.train.height, data.train.width};
    if (!(network.input == dataShape))
        throw InputError("network \"" + network.name + "\" expects input " + toString(network.input) + " but task " +
                         data.name + " has images of " + toString(dataShape));
}

} // namespace

TrainResult TorchTrainer::train(const NetworkDescription &network, const TrainingRecipe &recipe, const Dataset &data,
                                std::uint64_t seed, JobContext &ctx, const EpochObserver &onEpoch)
{
    checkInput(network, data);
    const auto t = m_impl->tensors(data);
    Session session(*t, recipe, seed, ctx);
    TrainResult result;

    if (recipe.distillWeight > 0 && recipe.noiseEpochs == 0)
        throw InputError("distillation in training needs noise_epochs > 0: the network trained without noise is the "
                         "teacher of the noisy epochs");

    // 1. Float training, with gradual magnitude pruning of the sparse layers (and weight noise throughout when the
    //    recipe has no separate noise epochs).
    GraphNet net(network, seed);
    const bool noisy = recipe.weightNoise > 0 || recipe.adcClip > 0 || recipe.outputNoise > 0;
    if (noisy && recipe.noiseEpochs == 0)
        session.addNoise(net, 1);
    session.floatPhase(net, network, {}, "training", onEpoch, result);
    if (result.stoppedEarly)
        return result;

    // 2. The deployable network: batch norms folded, activations fused, then (Noisy Machines) fine-tuning with
    //    weight noise and distillation from the noise-free network, then quantisation-aware fine-tuning or
    //    post-training calibration of the activation ranges (docs/quantization.md, docs/training.md).
    std::map<std::string, std::string> renamed;
    const NetworkDescription lowered = lowerForDeployment(network, &renamed);
    GraphNet low = foldBatchNorms(net, lowered, renamed);
    if (noisy)
        session.addNoise(low, 2);
    if (recipe.noiseEpochs > 0) {
        if (recipe.distillWeight > 0)
            session.setTeacher(foldBatchNorms(net, lowered, renamed));
        session.noisePhase(low);
    }
    session.deployPhase(low, lowered, result);
    return result;
}

TrainResult TorchTrainer::fineTune(const TrainedModel &start, const TrainingRecipe &recipe, const Dataset &data,
                                   std::uint64_t seed, JobContext &ctx)
{
    checkInput(start.network, data);
    const auto t = m_impl->tensors(data);
    // The parameters expect the normalisation they were trained with; another dataset would silently shift them.
    if (std::abs(start.inputMean - t->mean) > 1e-4 || std::abs(start.inputStd - t->stdev) > 1e-4)
        throw InputError("network \"" + start.network.name + "\" was trained on images normalised with mean " +
                         std::to_string(start.inputMean) + " and std " + std::to_string(start.inputStd) +
                         ", but task " + data.name + " has " + std::to_string(t->mean) + " and " +
                         std::to_string(t->stdev));
    Session session(*t, recipe, seed, ctx);
    TrainResult result;

    // 1. Float fine-tuning of the deployable network itself (it has no batch norms to fold); a layer's pruning
    //    starts from the zeros the start model already has.
    GraphNet net = loadTrainedModel(start);
    if (recipe.weightNoise > 0 || recipe.adcClip > 0 || recipe.outputNoise > 0)
        session.addNoise(net, 3);
    if (recipe.distillWeight > 0)
        session.setTeacher(loadTrainedModel(start)); // the start model teaches its noise-aware version
    session.floatPhase(net, start.network, zeroFractions(start), "fine-tuning", EpochObserver{}, result);

    // 2. Quantisation. After float epochs the recorded ranges are stale and QAT re-learns them from the first
    //    batch, as after training; without any, QAT starts from the start model's ranges.
    if (recipe.epochs > 0)
        net->resetRanges();
    session.deployPhase(net, start.network, result);
    return result;
}

std::int64_t torchParameterCount(const NetworkDescription &network)
{
    GraphNet net(network, 0);
    std::int64_t n = 0;
    for (const auto &p : net->parameters())
        n += p.numel();
    return n;
}

} // namespace psc::ml
