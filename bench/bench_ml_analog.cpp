// SPDX-License-Identifier: GPL-3.0-or-later
// Analog accuracy on a PCM crossbar (docs/analog.md): the simulator's speed against the integer reference it
// extends, and a trained Fashion-MNIST network's accuracy against time after programming on the bundled aon-cim
// target, with and without drift compensation. Figures and ratios in one run; not a test.
//
// Usage: bench_ml_analog [--epochs N] [--images N] [--repeats N]

#include "psc/analog/analoginference.h"
#include "psc/core/duration.h"
#include "psc/data/dataset.h"
#include "psc/jobs/jobcontext.h"
#include "psc/ml/torchtrainer.h"
#include "psc/net/networkparser.h"
#include "psc/quant/integerinference.h"
#include "psc/quant/trainedmodel.h"
#include "psc/targets/targetlibrary.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {

// The issue's reference network of the demo family: stem of 16 channels, two separable blocks of 24 (stride 2,
// expansion 2), global pooling and the classifier; 5.5 KiB at int8.
const char *kNetwork = R"({"name": "bench-analog", "input": {"channels": 1, "height": 28, "width": 28}, "layers": [
  {"type": "conv2d", "name": "stem", "out_channels": 16, "kernel": 3, "stride": 2, "padding": "same", "bias": false},
  {"type": "batch_norm", "name": "stem_bn"}, {"type": "relu", "name": "stem_relu"},
  {"type": "conv2d", "name": "b1_expand", "out_channels": 32, "kernel": 1, "bias": false},
  {"type": "batch_norm", "name": "b1_expand_bn"}, {"type": "relu6", "name": "b1_expand_relu"},
  {"type": "depthwise_conv2d", "name": "b1_dw", "kernel": 3, "stride": 2, "padding": "same", "bias": false},
  {"type": "batch_norm", "name": "b1_dw_bn"}, {"type": "relu6", "name": "b1_dw_relu"},
  {"type": "conv2d", "name": "b1_project", "out_channels": 24, "kernel": 1, "bias": false},
  {"type": "batch_norm", "name": "b1_project_bn"},
  {"type": "conv2d", "name": "b2_expand", "out_channels": 48, "kernel": 1, "bias": false},
  {"type": "batch_norm", "name": "b2_expand_bn"}, {"type": "relu6", "name": "b2_expand_relu"},
  {"type": "depthwise_conv2d", "name": "b2_dw", "kernel": 3, "stride": 2, "padding": "same", "bias": false},
  {"type": "batch_norm", "name": "b2_dw_bn"}, {"type": "relu6", "name": "b2_dw_relu"},
  {"type": "conv2d", "name": "b2_project", "out_channels": 24, "kernel": 1, "bias": false},
  {"type": "batch_norm", "name": "b2_project_bn"},
  {"type": "global_avg_pool", "name": "pool"}, {"type": "flatten", "name": "flat"},
  {"type": "dense", "name": "logits", "units": 10}]})";

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point since)
{
    return std::chrono::duration<double>(Clock::now() - since).count();
}

} // namespace

int main(int argc, char **argv)
{
    int epochs = 4, images = 2000, repeats = 10;
    for (int i = 1; i + 1 < argc; i += 2) {
        const int v = std::max(1, std::atoi(argv[i + 1]));
        if (!std::strcmp(argv[i], "--epochs"))
            epochs = v;
        else if (!std::strcmp(argv[i], "--images"))
            images = v;
        else if (!std::strcmp(argv[i], "--repeats"))
            repeats = v;
        else {
            std::fprintf(stderr, "usage: bench_ml_analog [--epochs N] [--images N] [--repeats N]\n");
            return 2;
        }
    }
    const psc::Dataset data = psc::loadFashionMnist(psc::defaultFashionMnistDir());
    const int cores = int(std::max(1u, std::thread::hardware_concurrency()));
    psc::ml::TorchTrainer::configureThreads(cores);
    psc::ml::TorchTrainer trainer;
    psc::TrainingRecipe recipe;
    recipe.epochs = epochs; // the studies' recipe: Adam 3e-3, per-step cosine, then one QAT epoch at 3e-4
    recipe.learningRate = 0.003;
    recipe.schedule = psc::LrSchedule::Cosine;
    recipe.qatEpochs = 1;
    recipe.qatLearningRate = 0.0003;
    psc::JobContext ctx;
    const auto trainStart = Clock::now();
    const psc::TrainResult trained =
        trainer.train(psc::parseNetworkJson(kNetwork, "bench network"), recipe, data, 1, ctx);
    const psc::IntegerModel integer =
        psc::IntegerModel::quantize(psc::deserializeTrainedModel(trained.weights, "bench weights"));
    std::printf("network bench-analog (stem16 + 2 separable(24), int8), %d epochs + 1 QAT in %.0f s\n", epochs,
                secondsSince(trainStart));

    psc::BundledTargets targets;
    const psc::AnalogTarget aon = psc::analogTarget(targets.library.resolve("aon-cim"));
    const psc::AnalogSimulator simulator(integer, aon);
    std::printf("target aon-cim: %d analog matrices, %lld PCM devices per draw\n", simulator.matrices(),
                static_cast<long long>(simulator.devices()));

    // 1. Speed, one thread each: integer reference against R device draws of the analog simulation.
    integer.accuracy(data.test, 200); // warm-up
    double intRate = 0.0, intAcc = 0.0;
    for (int round = 0; round < 3; ++round) {
        const auto t0 = Clock::now();
        intAcc = integer.accuracy(data.test, images);
        intRate = std::max(intRate, images / secondsSince(t0));
    }
    psc::AnalogOptions options;
    options.repeats = repeats;
    options.images = images;
    options.threads = 1;
    const auto a0 = Clock::now();
    const auto oneDay = simulator.evaluate(data.test, {86400.0}, options).front();
    const double analogRate = double(images) * repeats / secondsSince(a0);
    std::printf("\nspeed, %d test images, one thread\n", images);
    std::printf("  integer reference:            %8.0f images/s, accuracy %.2f %%\n", intRate, 100 * intAcc);
    std::printf("  analog, R = %2d draws at 1 d: %8.0f images/s (image x draw), accuracy %.2f %% ± %.2f, "
                "analog/integer = %.3f\n",
                repeats, analogRate, 100 * oneDay.mean, 100 * oneDay.std, analogRate / intRate);

    // 2. Accuracy against time after programming, on all cores.
    options.threads = cores;
    const std::vector<double> times{1.0, 3600.0, 86400.0, 30.0 * 86400.0, 365.0 * 86400.0, 3650.0 * 86400.0};
    std::printf("\naccuracy on aon-cim against time after programming (%d images, mean ± std over %d draws; "
                "integer reference %.2f %%)\n",
                images, repeats, 100 * intAcc);
    std::printf("  %-8s %22s %22s %22s\n", "time", "global compensation", "per-column", "no compensation");
    std::vector<std::vector<psc::AnalogAccuracy>> rows;
    for (const auto c : {psc::plugin::AnalogDriftCompensation::Global, psc::plugin::AnalogDriftCompensation::PerColumn,
                         psc::plugin::AnalogDriftCompensation::None}) {
        options.compensation = c;
        rows.push_back(simulator.evaluate(data.test, times, options));
    }
    for (std::size_t k = 0; k < times.size(); ++k) {
        std::printf("  %-8s", psc::formatDuration(times[k]).c_str());
        for (const auto &r : rows)
            std::printf(" %13.2f %% ± %4.2f", 100 * r[k].mean, 100 * r[k].std);
        std::printf("\n");
    }
    return 0;
}
