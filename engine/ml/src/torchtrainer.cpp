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
#include <torch/optim/sgd.h>

#include <ATen/Parallel.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <cmath>
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
        auto t = torch::from_blob(const_cast<std::uint8_t *>(s.pixels.data()),
                                  {s.count, s.channels, s.height, s.width}, torch::kUInt8);
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

TrainResult TorchTrainer::train(const NetworkDescription &network, const TrainingRecipe &recipe, const Dataset &data,
                                std::uint64_t seed, JobContext &ctx)
{
    if (network.layers.empty())
        throw InputError("network \"" + network.name + "\" has no layers");
    const Shape dataShape{data.train.channels, data.train.height, data.train.width};
    if (!(network.input == dataShape))
        throw InputError("network \"" + network.name + "\" expects input " + toString(network.input) + " but task " +
                         data.name + " has images of " + toString(dataShape));
    const auto t = m_impl->tensors(data);

    // The validation split is the same for every trial (fixed permutation), so validation accuracies are
    // comparable across the study; only the shuffling and the initialisation depend on the trial's seed.
    const auto all = permutation(t->trainX.size(0), 0x5eed5ULL);
    std::size_t pool = all.size();
    if (recipe.trainSubset > 0)
        pool = std::min<std::size_t>(pool, std::size_t(recipe.trainSubset));
    const auto valCount = std::size_t(std::llround(double(pool) * recipe.validationSplit));
    if (valCount >= pool)
        throw InputError("validation_split leaves no training images");
    std::vector<int64_t> trainIdx(all.begin(), all.begin() + std::ptrdiff_t(pool - valCount));
    const auto valIdxT = indexTensor(all, pool - valCount, pool);
    const auto valX = t->trainX.index_select(0, valIdxT);
    const auto valY = t->trainY.index_select(0, valIdxT);

    const std::size_t batch = std::size_t(std::max(1, recipe.batchSize));
    const std::size_t stepsPerEpoch = (trainIdx.size() + batch - 1) / batch;
    bool sparse = false;
    for (const LayerSpec &l : network.layers)
        sparse |= l.sparsity.isSparse();

    // One pass over the training images per epoch, shuffled per trial seed and epoch. `afterStep` runs
    // after every optimiser step (pruning masks).
    double lossSum = 0.0;
    int64_t lossCount = 0;
    auto runEpochs = [&](GraphNet &model, torch::optim::Optimizer &opt, int epochs, int epochSalt,
                         const std::function<double(std::size_t)> &lrAt, const std::function<void(std::size_t)> &afterStep,
                         const std::string &phase) {
        const std::size_t totalSteps = stepsPerEpoch * std::size_t(epochs);
        std::size_t step = 0;
        for (int epoch = 0; epoch < epochs; ++epoch) {
            model->train();
            const auto order = permutation(int64_t(trainIdx.size()),
                                           seed * 1000003ULL + std::uint64_t(epoch + epochSalt));
            std::vector<int64_t> shuffled(trainIdx.size());
            for (std::size_t i = 0; i < order.size(); ++i)
                shuffled[i] = trainIdx[std::size_t(order[i])];
            lossSum = 0.0;
            lossCount = 0;
            for (std::size_t b = 0; b < shuffled.size(); b += batch, ++step) {
                ctx.checkpoint();
                const double lr = lrAt(step);
                for (auto &group : opt.param_groups())
                    group.options().set_lr(lr);
                const auto idx = indexTensor(shuffled, b, std::min(shuffled.size(), b + batch));
                const auto x = t->trainX.index_select(0, idx);
                const auto y = t->trainY.index_select(0, idx);
                opt.zero_grad();
                auto loss = torch::nn::functional::cross_entropy(model->forward(x), y);
                const double lossValue = loss.item<double>();
                if (!std::isfinite(lossValue))
                    throw RuntimeError(phase + " diverged: loss is " + std::to_string(lossValue) + " at epoch " +
                                       std::to_string(epoch + 1) + ", batch " + std::to_string(b / batch + 1));
                loss.backward();
                opt.step();
                afterStep(step);
                lossSum += lossValue;
                ++lossCount;
                if (step % 20 == 0)
                    ctx.progress(double(step) / double(std::max<std::size_t>(totalSteps, 1)),
                                 phase + " epoch " + std::to_string(epoch + 1) + "/" + std::to_string(epochs) +
                                     ", loss " + std::to_string(lossSum / double(lossCount)).substr(0, 6));
            }
        }
    };
    auto makeOptimizer = [&](GraphNet &model, double lr) -> std::unique_ptr<torch::optim::Optimizer> {
        if (recipe.optimizer == OptimizerKind::Adam)
            return std::make_unique<torch::optim::Adam>(
                model->parameters(), torch::optim::AdamOptions(lr).weight_decay(recipe.weightDecay));
        return std::make_unique<torch::optim::SGD>(model->parameters(), torch::optim::SGDOptions(lr)
                                                                            .momentum(recipe.momentum)
                                                                            .weight_decay(recipe.weightDecay)
                                                                            .nesterov(recipe.momentum > 0));
    };

    // 1. Float training, with gradual magnitude pruning of the sparse layers.
    GraphNet net(network, seed);
    const std::size_t totalSteps = stepsPerEpoch * std::size_t(recipe.epochs);
    auto lrAt = [&](std::size_t step) {
        switch (recipe.schedule) {
        case LrSchedule::Constant:
            return recipe.learningRate;
        case LrSchedule::Cosine:
            return 0.5 * recipe.learningRate * (1.0 + std::cos(M_PI * double(step) / double(std::max<std::size_t>(totalSteps, 1))));
        case LrSchedule::Step:
            return recipe.learningRate *
                   std::pow(recipe.stepGamma, double(step / stepsPerEpoch / std::size_t(std::max(1, recipe.stepEpochs))));
        }
        return recipe.learningRate;
    };
    auto pruneProgress = [&](std::size_t step) {
        const double at = double(step + 1) / double(std::max<std::size_t>(totalSteps, 1));
        const double span = std::max(recipe.pruneEnd - recipe.pruneBegin, 1e-9);
        return std::clamp((at - recipe.pruneBegin) / span, 0.0, 1.0);
    };
    auto pruneStep = [&](std::size_t step) {
        if (!sparse)
            return;
        const double p = pruneProgress(step);
        // Masks follow the schedule every 16 steps and at its end; in between they only re-zero the weights.
        if (p > 0.0 && (step % 16 == 0 || (p >= 1.0 && pruneProgress(step - 1) < 1.0)))
            updateMasks(net, network, p);
        else
            net->applyMasks();
    };

    TrainResult result;
    const auto start = std::chrono::steady_clock::now();
    {
        auto opt = makeOptimizer(net, recipe.learningRate);
        runEpochs(net, *opt, recipe.epochs, 0, lrAt, pruneStep, "training");
    }
    if (sparse)
        updateMasks(net, network, 1.0); // the final sparsity, also when training was shorter than the schedule
    result.trainSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    result.epochs = recipe.epochs;
    result.finalTrainLoss = lossCount ? lossSum / double(lossCount) : 0.0;
    result.samplesPerSecond =
        result.trainSeconds > 0 ? double(trainIdx.size()) * recipe.epochs / result.trainSeconds : 0.0;

    auto testX = t->testX;
    auto testY = t->testY;
    if (recipe.testSubset > 0 && recipe.testSubset < testX.size(0)) {
        testX = testX.slice(0, 0, recipe.testSubset);
        testY = testY.slice(0, 0, recipe.testSubset);
    }
    ctx.progress(1.0, "evaluating");
    result.validationAccuracy = accuracy(net, valX, valY, ctx);
    result.testAccuracy = accuracy(net, testX, testY, ctx);

    // 2. The deployable network: batch norms folded, activations fused, then quantisation-aware fine-tuning
    //    or post-training calibration of the activation ranges (docs/quantization.md).
    std::map<std::string, std::string> renamed;
    const NetworkDescription lowered = lowerForDeployment(network, &renamed);
    GraphNet low = foldBatchNorms(net, network, lowered, renamed);
    low->setInputQuantization(1.0 / (255.0 * t->stdev), int(std::nearbyint(255.0 * t->mean)) - 128);
    if (recipe.qatEpochs > 0) {
        low->setQuantMode(QuantMode::Train);
        auto opt = makeOptimizer(low, recipe.qatLearningRate);
        runEpochs(low, *opt, recipe.qatEpochs, 7919, [&](std::size_t) { return recipe.qatLearningRate; },
                  [&](std::size_t) { low->applyMasks(); }, "quantisation-aware training");
    } else {
        torch::NoGradGuard noGrad;
        low->eval();
        low->setQuantMode(QuantMode::Calibrate);
        for (int b = 0; b < recipe.calibrationBatches && std::size_t(b) * batch < trainIdx.size(); ++b) {
            ctx.checkpoint();
            const std::size_t begin = std::size_t(b) * batch;
            low->forward(t->trainX.index_select(0, indexTensor(trainIdx, begin, std::min(trainIdx.size(), begin + batch))));
        }
    }
    low->setQuantMode(QuantMode::Frozen);
    result.quantizedValidationAccuracy = accuracy(low, valX, valY, ctx);
    result.quantizedTestAccuracy = accuracy(low, testX, testY, ctx);

    result.weights = serializeTrainedModel(exportTrainedModel(low, lowered, t->mean, t->stdev));
    result.weightsFormat = kTrainedModelFormat;
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
