// SPDX-License-Identifier: GPL-3.0-or-later
#include "psc/ml/torchtrainer.h"

#include "graphnet.h"

#include "psc/core/error.h"
#include "psc/data/dataset.h"
#include "psc/jobs/jobcontext.h"
#include "psc/net/network.h"

#include <torch/nn/functional/loss.h>
#include <torch/optim/adam.h>
#include <torch/optim/sgd.h>
#include <torch/serialize.h>

#include <ATen/Parallel.h>

#include <chrono>
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

    GraphNet net(network, seed);
    std::unique_ptr<torch::optim::Optimizer> opt;
    if (recipe.optimizer == OptimizerKind::Adam)
        opt = std::make_unique<torch::optim::Adam>(
            net->parameters(), torch::optim::AdamOptions(recipe.learningRate).weight_decay(recipe.weightDecay));
    else
        opt = std::make_unique<torch::optim::SGD>(net->parameters(), torch::optim::SGDOptions(recipe.learningRate)
                                                                         .momentum(recipe.momentum)
                                                                         .weight_decay(recipe.weightDecay)
                                                                         .nesterov(recipe.momentum > 0));

    const std::size_t batch = std::size_t(std::max(1, recipe.batchSize));
    const std::size_t stepsPerEpoch = (trainIdx.size() + batch - 1) / batch;
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

    TrainResult result;
    const auto start = std::chrono::steady_clock::now();
    std::size_t step = 0;
    double lossSum = 0.0;
    int64_t lossCount = 0;
    for (int epoch = 0; epoch < recipe.epochs; ++epoch) {
        net->train();
        const auto order = permutation(int64_t(trainIdx.size()), seed * 1000003ULL + std::uint64_t(epoch));
        std::vector<int64_t> shuffled(trainIdx.size());
        for (std::size_t i = 0; i < order.size(); ++i)
            shuffled[i] = trainIdx[std::size_t(order[i])];
        lossSum = 0.0;
        lossCount = 0;
        for (std::size_t b = 0; b < shuffled.size(); b += batch, ++step) {
            ctx.checkpoint();
            const double lr = lrAt(step);
            for (auto &group : opt->param_groups())
                group.options().set_lr(lr);
            const auto idx = indexTensor(shuffled, b, std::min(shuffled.size(), b + batch));
            const auto x = t->trainX.index_select(0, idx);
            const auto y = t->trainY.index_select(0, idx);
            opt->zero_grad();
            auto loss = torch::nn::functional::cross_entropy(net->forward(x), y);
            const double lossValue = loss.item<double>();
            if (!std::isfinite(lossValue))
                throw RuntimeError("training diverged: loss is " + std::to_string(lossValue) + " at epoch " +
                                   std::to_string(epoch + 1) + ", batch " + std::to_string(b / batch + 1));
            loss.backward();
            opt->step();
            lossSum += lossValue;
            ++lossCount;
            if (step % 20 == 0)
                ctx.progress(double(step) / double(std::max<std::size_t>(totalSteps, 1)),
                             "epoch " + std::to_string(epoch + 1) + "/" + std::to_string(recipe.epochs) +
                                 ", loss " + std::to_string(lossSum / double(lossCount)).substr(0, 6));
        }
    }
    result.trainSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    result.epochs = recipe.epochs;
    result.finalTrainLoss = lossCount ? lossSum / double(lossCount) : 0.0;
    result.samplesPerSecond =
        result.trainSeconds > 0 ? double(trainIdx.size()) * recipe.epochs / result.trainSeconds : 0.0;

    ctx.progress(1.0, "evaluating");
    result.validationAccuracy = accuracy(net, valX, valY, ctx);
    auto testX = t->testX;
    auto testY = t->testY;
    if (recipe.testSubset > 0 && recipe.testSubset < testX.size(0)) {
        testX = testX.slice(0, 0, recipe.testSubset);
        testY = testY.slice(0, 0, recipe.testSubset);
    }
    result.testAccuracy = accuracy(net, testX, testY, ctx);

    std::ostringstream blob;
    torch::serialize::OutputArchive archive;
    net->save(archive);
    archive.save_to(blob);
    const std::string bytes = blob.str();
    result.weights.assign(bytes.begin(), bytes.end());
    result.weightsFormat = "torch-archive-v1";
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
