// SPDX-License-Identifier: GPL-3.0-or-later
// Training through the engine (TorchTrainer on a NetworkDescription) against a bare LibTorch loop on the same
// network and data, in the same run:
//  - speed: throughput of both loops, then one training with all cores against one training per core, which
//    decides ThreadBudget's default;
//  - parity: float test accuracy after 1 and 4 epochs of networks of the demo family, the engine's defaults against
//    a plain LibTorch loop with LibTorch's own default initialisation (same recipe, several seeds);
//  - recipes: the engine with label smoothing, augmentation and AdamW against its defaults, at equal epochs.
// Usage: bench_ml_training [speed|parity|recipes]... [--seeds N] [--net TEXT] (all three sections with 3 seeds by
// default; --net keeps only the parity networks whose label contains TEXT, e.g. --net low_rank).

// LibTorch first: a Qt header reached through the engine's defines `slots`, which LibTorch uses as a name.
#include <torch/nn/functional/loss.h>
#include <torch/torch.h>

#include "psc/data/dataset.h"
#include "psc/jobs/jobcontext.h"
#include "psc/ml/torchtrainer.h"
#include "psc/net/network.h"
#include "psc/net/shapeinference.h"
#include "psc/space/searchspace.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <numeric>
#include <set>
#include <string>
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

/** A network of the demo family (resources/spaces/fashion-mnist-demo.json) from its choices. */
psc::NetworkDescription demoNetwork(const std::string &choices)
{
    const auto space =
        psc::SearchSpace::fromFile(std::string(PSC_SOURCE_DIR) + "/resources/spaces/fashion-mnist-demo.json");
    return space.decode(space.encode(choices)).network;
}

std::string blockChoices(int index, const char *type, int out, int kernel, int stride, int expansion)
{
    const std::string b = "\"block" + std::to_string(index) + ".";
    return b + "type\":\"" + type + "\"," + b + "out_channels\":" + std::to_string(out) + "," + b +
           "kernel\":" + std::to_string(kernel) + "," + b + "stride\":" + std::to_string(stride) + "," + b +
           "expansion\":" + std::to_string(expansion) + "," + b + "residual\":false";
}

struct NamedNetwork
{
    std::string label;
    psc::NetworkDescription network;
};

/** The networks both loops train: the reference network, the demo's best trial, and a low_rank head. */
std::vector<NamedNetwork> parityNetworks(const std::string &filter)
{
    auto choices = [](int stem, int count, const std::string &blocks, int dense) {
        return "{\"stem.out_channels\":" + std::to_string(stem) + ",\"blocks.count\":" + std::to_string(count) + "," +
               blocks + ",\"head.dense_units\":" + std::to_string(dense) + ",\"weight_bits\":8,\"sparsity\":0.0}";
    };
    const std::string sep24 = blockChoices(1, "separable", 24, 3, 2, 2) + "," +
                              blockChoices(2, "separable", 24, 3, 2, 2) + "," + blockChoices(3, "conv", 24, 3, 1, 1);
    std::vector<NamedNetwork> nets;
    nets.push_back({"stem16 + 2 separable(24, s2, e2)", demoNetwork(choices(16, 2, sep24, 0))});
    nets.push_back(
        {"stem32 + conv32 k5 + 2 separable(48)",
         demoNetwork(choices(32, 3,
                             blockChoices(1, "conv", 32, 5, 2, 2) + "," + blockChoices(2, "separable", 48, 5, 2, 2) +
                                 "," + blockChoices(3, "separable", 48, 3, 2, 1),
                             0))});
    // The reference network with a 64-unit head whose dense layer is low_rank (rank 8).
    psc::NetworkDescription lowRank = demoNetwork(choices(16, 2, sep24, 64));
    for (psc::LayerSpec &l : lowRank.layers)
        if (l.type == psc::LayerType::Dense && l.outChannels == 64) {
            l.type = psc::LayerType::LowRank;
            l.rank = 8;
            break;
        }
    nets.push_back({"stem16 + 2 separable(24) + low_rank(64, r8) head", lowRank});
    std::erase_if(nets, [&](const NamedNetwork &n) { return n.label.find(filter) == std::string::npos; });
    return nets;
}

/**
 * A NetworkDescription written with stock LibTorch modules as a PyTorch user would: nn::Conv2d, nn::BatchNorm,
 * nn::Linear with their own default initialisation (from the global generator), padding k/2, a low_rank layer as two
 * bias-free / biased Linear (or 1x1 Conv2d) layers.
 */
struct PlainNetImpl : torch::nn::Module
{
    struct Node
    {
        torch::nn::AnyModule module; ///< empty for add, activations, flatten, softmax
        torch::nn::AnyModule second; ///< low_rank: U after V
        psc::LayerType type;
        psc::Activation activation = psc::Activation::None;
        std::vector<int> inputs;
    };
    std::vector<Node> nodes;

    explicit PlainNetImpl(const psc::NetworkDescription &n)
    {
        const auto inputs = psc::layerInputIndices(n);
        const auto shapes = psc::inferShapes(n, inputs);
        for (std::size_t i = 0; i < n.layers.size(); ++i) {
            const psc::LayerSpec &l = n.layers[i];
            const psc::Shape in = inputs[i].front() < 0 ? n.input : shapes[std::size_t(inputs[i].front())];
            Node node{{}, {}, l.type, l.activation, inputs[i]};
            const std::string name = "l" + std::to_string(i);
            using psc::LayerType;
            switch (l.type) {
            case LayerType::Conv2d:
            case LayerType::DepthwiseConv2d: {
                const bool dw = l.type == LayerType::DepthwiseConv2d;
                node.module = torch::nn::AnyModule(register_module(
                    name, torch::nn::Conv2d(torch::nn::Conv2dOptions(in.channels, dw ? in.channels : l.outChannels,
                                                                     {l.kernelH, l.kernelW})
                                                .stride({l.strideH, l.strideW})
                                                .padding(l.padding.mode == psc::PaddingMode::Same
                                                             ? std::vector<int64_t>{l.kernelH / 2, l.kernelW / 2}
                                                             : std::vector<int64_t>{0, 0})
                                                .groups(dw ? in.channels : 1)
                                                .bias(l.bias))));
                break;
            }
            case LayerType::BatchNorm:
                if (in.height == 1 && in.width == 1 && i > 0 && n.layers[i - 1].type != LayerType::Conv2d &&
                    n.layers[i - 1].type != LayerType::DepthwiseConv2d)
                    node.module = torch::nn::AnyModule(register_module(name, torch::nn::BatchNorm1d(in.channels)));
                else
                    node.module = torch::nn::AnyModule(register_module(name, torch::nn::BatchNorm2d(in.channels)));
                break;
            case LayerType::Dense:
                node.module = torch::nn::AnyModule(register_module(
                    name, torch::nn::Linear(torch::nn::LinearOptions(in.elements(), l.outChannels).bias(l.bias))));
                break;
            case LayerType::LowRank:
                node.module = torch::nn::AnyModule(register_module(
                    name + "v", torch::nn::Linear(torch::nn::LinearOptions(in.elements(), l.rank).bias(false))));
                node.second = torch::nn::AnyModule(register_module(
                    name + "u", torch::nn::Linear(torch::nn::LinearOptions(l.rank, l.outChannels).bias(l.bias))));
                break;
            case LayerType::MaxPool2d:
                node.module = torch::nn::AnyModule(torch::nn::MaxPool2d(
                    torch::nn::MaxPool2dOptions({l.kernelH, l.kernelW}).stride({l.strideH, l.strideW})));
                break;
            case LayerType::AvgPool2d:
                node.module = torch::nn::AnyModule(torch::nn::AvgPool2d(
                    torch::nn::AvgPool2dOptions({l.kernelH, l.kernelW}).stride({l.strideH, l.strideW})));
                break;
            default: // relu, relu6, add, flatten, global_avg_pool, softmax: functional in forward()
                break;
            }
            nodes.push_back(std::move(node));
        }
    }

    torch::Tensor forward(const torch::Tensor &input)
    {
        std::vector<torch::Tensor> out;
        auto read = [&](int i) { return i < 0 ? input : out[std::size_t(i)]; };
        for (Node &node : nodes) {
            torch::Tensor x = read(node.inputs.front());
            using psc::LayerType;
            switch (node.type) {
            case LayerType::Add:
                for (std::size_t k = 1; k < node.inputs.size(); ++k)
                    x = x + read(node.inputs[k]);
                break;
            case LayerType::Relu:
                x = torch::relu(x);
                break;
            case LayerType::Relu6:
                x = torch::hardtanh(x, 0.0, 6.0);
                break;
            case LayerType::Flatten:
                x = x.flatten(1);
                break;
            case LayerType::GlobalAvgPool:
                x = x.mean({2, 3});
                break;
            case LayerType::Softmax:
                break; // the loss takes logits
            case LayerType::Dense:
                x = node.module.forward(x.flatten(1));
                break;
            case LayerType::LowRank:
                x = node.second.forward(node.module.forward(x.flatten(1)));
                break;
            case LayerType::BatchNorm:
                x = node.module.forward(x.dim() == 4 && x.size(2) == 1 && x.size(3) == 1 &&
                                                node.module.ptr()->name().find("1d") != std::string::npos
                                            ? x.flatten(1)
                                            : x);
                break;
            default:
                x = node.module.forward(x);
                break;
            }
            if (node.activation == psc::Activation::Relu)
                x = torch::relu(x);
            else if (node.activation == psc::Activation::Relu6)
                x = torch::hardtanh(x, 0.0, 6.0);
            out.push_back(x);
        }
        return out.back().flatten(1);
    }
};
TORCH_MODULE(PlainNet);

/** Float test accuracy of a plain LibTorch training: Adam, per-step cosine, batch 128, 10 % held out. */
double plainAccuracy(const psc::Dataset &data, const psc::NetworkDescription &network, int epochs, std::uint64_t seed)
{
    torch::manual_seed(seed);
    PlainNet net(network);
    auto images = [](const psc::ImageSet &s) {
        return torch::from_blob(const_cast<uint8_t *>(s.pixels.data()), {s.count, 1, 28, 28}, torch::kUInt8)
            .to(torch::kFloat32)
            .div_(255.0);
    };
    auto labels = [](const psc::ImageSet &s) {
        return torch::from_blob(const_cast<uint8_t *>(s.labels.data()), {s.count}, torch::kUInt8).to(torch::kInt64);
    };
    auto x = images(data.train), tx = images(data.test);
    const double mean = x.mean().item<double>(), stdev = x.std().item<double>();
    x.sub_(mean).div_(stdev);
    tx.sub_(mean).div_(stdev);
    const auto y = labels(data.train), ty = labels(data.test);
    const int64_t trainCount = x.size(0) - x.size(0) / 10; // 10 % held out for validation, as the engine
    const auto split = torch::randperm(x.size(0), torch::kInt64).slice(0, 0, trainCount);
    const double lr0 = 0.003;
    torch::optim::Adam opt(net->parameters(), torch::optim::AdamOptions(lr0));
    const int batch = 128;
    const int64_t stepsPerEpoch = (trainCount + batch - 1) / batch, total = stepsPerEpoch * epochs;
    int64_t step = 0;
    for (int e = 0; e < epochs; ++e) {
        net->train();
        const auto order = split.index_select(0, torch::randperm(trainCount, torch::kInt64));
        for (int64_t b = 0; b < trainCount; b += batch, ++step) {
            for (auto &g : opt.param_groups())
                g.options().set_lr(0.5 * lr0 * (1.0 + std::cos(M_PI * double(step) / double(total))));
            const auto idx = order.slice(0, b, std::min(trainCount, b + batch));
            opt.zero_grad();
            auto loss =
                torch::nn::functional::cross_entropy(net->forward(x.index_select(0, idx)), y.index_select(0, idx));
            loss.backward();
            opt.step();
        }
    }
    torch::NoGradGuard noGrad;
    net->eval();
    return net->forward(tx).argmax(1).eq(ty).to(torch::kFloat64).mean().item<double>();
}

psc::TrainingRecipe parityRecipe(int epochs)
{
    psc::TrainingRecipe r;
    r.epochs = epochs;
    r.batchSize = 128;
    r.learningRate = 0.003;
    r.schedule = psc::LrSchedule::Cosine;
    r.validationSplit = 0.1;
    return r;
}

struct MeanSpread
{
    double mean = 0, spread = 0; ///< mean and half the range, in percent
};

MeanSpread summarise(const std::vector<double> &v)
{
    const auto [lo, hi] = std::minmax_element(v.begin(), v.end());
    return {100.0 * std::accumulate(v.begin(), v.end(), 0.0) / double(v.size()), 50.0 * (*hi - *lo)};
}

void paritySection(const psc::Dataset &data, int seeds, const std::string &filter)
{
    const int cores = int(std::max(1u, std::thread::hardware_concurrency()));
    psc::ml::TorchTrainer::configureThreads(cores);
    psc::ml::TorchTrainer trainer;
    std::printf("\nfloat test accuracy, engine defaults against a plain LibTorch loop with LibTorch's default "
                "initialisation\n(Adam 3e-3, per-step cosine, batch 128, 10 %% validation, full training set, "
                "dense, mean of %d seeds, ± half the range)\n",
                seeds);
    std::printf("  %-50s %6s %16s %16s %8s %8s\n", "network", "epochs", "engine %", "plain LibTorch %", "diff pt",
                "ratio");
    for (const NamedNetwork &n : parityNetworks(filter))
        for (int epochs : {1, 4}) {
            std::vector<double> engine, plain;
            for (int s = 0; s < seeds; ++s) {
                psc::JobContext ctx;
                engine.push_back(
                    trainer.train(n.network, parityRecipe(epochs), data, 100 + std::uint64_t(s), ctx).testAccuracy);
                plain.push_back(plainAccuracy(data, n.network, epochs, 100 + std::uint64_t(s)));
            }
            const MeanSpread e = summarise(engine), p = summarise(plain);
            std::printf("  %-50s %6d %9.2f ± %4.2f %9.2f ± %4.2f %+8.2f %8.4f\n", n.label.c_str(), epochs, e.mean,
                        e.spread, p.mean, p.spread, e.mean - p.mean, e.mean / p.mean);
            std::fflush(stdout);
        }
}

void recipeSection(const psc::Dataset &data, int seeds, const std::string &filter)
{
    const int cores = int(std::max(1u, std::thread::hardware_concurrency()));
    psc::ml::TorchTrainer::configureThreads(cores);
    psc::ml::TorchTrainer trainer;
    struct Variant
    {
        const char *label;
        std::function<void(psc::TrainingRecipe &)> apply;
    };
    const std::vector<Variant> variants{
        {"defaults (Adam, no regularisation)", [](psc::TrainingRecipe &) {}},
        {"label_smoothing 0.1", [](psc::TrainingRecipe &r) { r.labelSmoothing = 0.1; }},
        {"augment_shift 2", [](psc::TrainingRecipe &r) { r.augmentShift = 2; }},
        {"augment_hflip", [](psc::TrainingRecipe &r) { r.augmentFlip = true; }},
        {"augment_shift 2 + augment_hflip",
         [](psc::TrainingRecipe &r) {
             r.augmentShift = 2;
             r.augmentFlip = true;
         }},
        {"adamw, weight_decay 0.01",
         [](psc::TrainingRecipe &r) {
             r.optimizer = psc::OptimizerKind::AdamW;
             r.weightDecay = 0.01;
         }},
        {"all of the above",
         [](psc::TrainingRecipe &r) {
             r.labelSmoothing = 0.1;
             r.augmentShift = 2;
             r.augmentFlip = true;
             r.optimizer = psc::OptimizerKind::AdamW;
             r.weightDecay = 0.01;
         }},
    };
    const auto nets = parityNetworks(filter);
    for (int epochs : {4, 12}) {
        std::printf("\nrecipe options at %d epochs (float test accuracy %%, mean of %d seeds ± half the range; "
                    "otherwise the parity recipe)\n",
                    epochs, seeds);
        std::printf("  %-36s %24s %24s\n", "recipe", "stem16 + 2 sep(24)", "stem32 + conv32 + 2 sep(48)");
        for (const Variant &v : variants) {
            std::printf("  %-36s", v.label);
            for (std::size_t n = 0; n < 2; ++n) {
                std::vector<double> acc;
                for (int s = 0; s < seeds; ++s) {
                    psc::TrainingRecipe r = parityRecipe(epochs);
                    v.apply(r);
                    psc::JobContext ctx;
                    acc.push_back(trainer.train(nets[n].network, r, data, 100 + std::uint64_t(s), ctx).testAccuracy);
                }
                const MeanSpread m = summarise(acc);
                std::printf(" %15.2f ± %4.2f   ", m.mean, m.spread);
                std::fflush(stdout);
            }
            std::printf("\n");
        }
    }
}

void speedSection(const psc::Dataset &data)
{
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
}

} // namespace

int main(int argc, char **argv)
{
    std::set<std::string> sections;
    int seeds = 3;
    std::string filter;
    for (int i = 1; i < argc; ++i) {
        if (!std::strcmp(argv[i], "--seeds") && i + 1 < argc)
            seeds = std::max(1, std::atoi(argv[++i]));
        else if (!std::strcmp(argv[i], "--net") && i + 1 < argc)
            filter = argv[++i];
        else if (!std::strcmp(argv[i], "speed") || !std::strcmp(argv[i], "parity") || !std::strcmp(argv[i], "recipes"))
            sections.insert(argv[i]);
        else {
            std::fprintf(stderr, "usage: bench_ml_training [speed|parity|recipes]... [--seeds N] [--net TEXT]\n");
            return 2;
        }
    }
    if (sections.empty())
        sections = {"speed", "parity", "recipes"};
    const psc::Dataset data = psc::loadFashionMnist(psc::defaultFashionMnistDir());
    if (sections.count("speed"))
        speedSection(data);
    if (sections.count("parity"))
        paritySection(data, seeds, filter);
    if (sections.count("recipes"))
        recipeSection(data, seeds, filter);
    return 0;
}
