// SPDX-License-Identifier: GPL-3.0-or-later
// Training throughput through the engine (TorchTrainer on a NetworkDescription) against a bare LibTorch
// loop on the same network and data, in the same run; then one training with all cores against one
// training per core, which decides ThreadBudget's default.

#include "psc/data/dataset.h"
#include "psc/jobs/jobcontext.h"
#include "psc/ml/torchtrainer.h"
#include "psc/net/network.h"

#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <thread>

namespace {

psc::NetworkDescription benchNetwork()
{
    using psc::LayerSpec;
    using psc::LayerType;
    psc::NetworkDescription n;
    n.name = "bench-cnn";
    n.input = {1, 28, 28};
    auto conv = [](const char *name, const char *input, int out) {
        LayerSpec l;
        l.type = LayerType::Conv2d;
        l.name = name;
        l.inputs = {input};
        l.outChannels = out;
        l.kernelH = l.kernelW = 3;
        l.padding = {psc::PaddingMode::Same, 0};
        l.activation = psc::Activation::Relu;
        return l;
    };
    auto pool = [](const char *name, const char *input) {
        LayerSpec l;
        l.type = LayerType::MaxPool2d;
        l.name = name;
        l.inputs = {input};
        l.kernelH = l.kernelW = l.strideH = l.strideW = 2;
        return l;
    };
    LayerSpec flat;
    flat.type = LayerType::Flatten;
    flat.name = "flat";
    flat.inputs = {"pool2"};
    LayerSpec dense;
    dense.type = LayerType::Dense;
    dense.name = "fc";
    dense.inputs = {"flat"};
    dense.outChannels = 10;
    n.layers = {conv("conv1", "input", 16),
                pool("pool1", "conv1"),
                conv("conv2", "pool1", 32),
                pool("pool2", "conv2"),
                flat,
                dense};
    return n;
}

/** The same network written directly against LibTorch, trained with the same loop structure. */
double bareLoop(const psc::Dataset &data, int samples, int batch)
{
    torch::manual_seed(1);
    torch::nn::Sequential net(torch::nn::Conv2d(torch::nn::Conv2dOptions(1, 16, 3).padding(1)),
                              torch::nn::Functional(torch::relu), torch::nn::MaxPool2d(2),
                              torch::nn::Conv2d(torch::nn::Conv2dOptions(16, 32, 3).padding(1)),
                              torch::nn::Functional(torch::relu), torch::nn::MaxPool2d(2), torch::nn::Flatten(),
                              torch::nn::Linear(32 * 7 * 7, 10));
    auto x =
        torch::from_blob(const_cast<uint8_t *>(data.train.pixels.data()), {data.train.count, 1, 28, 28}, torch::kUInt8)
            .to(torch::kFloat32)
            .div_(255.0);
    auto y = torch::from_blob(const_cast<uint8_t *>(data.train.labels.data()), {data.train.count}, torch::kUInt8)
                 .to(torch::kInt64);
    // Written as a performance-aware user would: channels-last weights and activations (oneDNN fast paths).
    for (auto &p : net->parameters())
        if (p.dim() == 4)
            p.set_data(p.contiguous(at::MemoryFormat::ChannelsLast));
    torch::optim::Adam opt(net->parameters(), torch::optim::AdamOptions(0.002));
    auto perm = torch::randperm(samples, torch::kInt64);
    const auto start = std::chrono::steady_clock::now();
    for (int b = 0; b < samples; b += batch) {
        auto idx = perm.slice(0, b, std::min(samples, b + batch));
        auto xb = x.index_select(0, idx).contiguous(at::MemoryFormat::ChannelsLast);
        auto yb = y.index_select(0, idx);
        opt.zero_grad();
        auto loss = torch::nn::functional::cross_entropy(net->forward(xb), yb);
        (void)loss.item<double>(); // the engine reads every loss to detect divergence
        loss.backward();
        opt.step();
    }
    return samples / std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

double engineLoop(psc::ml::TorchTrainer &trainer, const psc::Dataset &data, int samples, int batch, uint64_t seed)
{
    psc::TrainingRecipe r;
    r.epochs = 1;
    r.batchSize = batch;
    r.validationSplit = 0.0001;
    r.trainSubset = samples;
    r.testSubset = 1000;
    psc::JobContext ctx;
    return trainer.train(benchNetwork(), r, data, seed, ctx).samplesPerSecond;
}

} // namespace

int main()
{
    const psc::Dataset data = psc::loadFashionMnist(psc::defaultFashionMnistDir());
    const int cores = int(std::max(1u, std::thread::hardware_concurrency()));
    const int samples = 20000, batch = 128;
    psc::ml::TorchTrainer trainer;

    std::printf("training throughput, network bench-cnn (conv16-pool-conv32-pool-fc10), %d samples, batch %d\n",
                samples, batch);
    for (int threads : {1, cores}) {
        psc::ml::TorchTrainer::configureThreads(threads);
        engineLoop(trainer, data, 2048, batch, 7); // warm-up: tensor cache, allocator
        // Alternate the two loops and keep the best of three rounds each, so a busy moment of the machine
        // does not decide the ratio.
        double bare = 0.0, engine = 0.0;
        for (int round = 0; round < 3; ++round) {
            bare = std::max(bare, bareLoop(data, samples, batch));
            engine = std::max(engine, engineLoop(trainer, data, samples, batch, 1));
        }
        std::printf("  torch threads %d: bare LibTorch %.0f samples/s, engine %.0f samples/s, engine/bare = %.3f\n",
                    threads, bare, engine, engine / bare);
    }

    // One training using every core against one single-threaded training per core.
    psc::ml::TorchTrainer::configureThreads(cores);
    auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < cores; ++i)
        engineLoop(trainer, data, samples, batch, 10 + uint64_t(i));
    const double serial = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    psc::ml::TorchTrainer::configureThreads(1);
    t0 = std::chrono::steady_clock::now();
    std::vector<std::thread> workers;
    for (int i = 0; i < cores; ++i)
        workers.emplace_back([&, i] { engineLoop(trainer, data, samples, batch, 10 + uint64_t(i)); });
    for (auto &w : workers)
        w.join();
    const double parallel = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("%d trainings: sequential with %d torch threads %.2f s, %d in parallel with 1 thread %.2f s, "
                "speed-up %.2fx\n",
                cores, cores, serial, cores, parallel, serial / parallel);
    return 0;
}
