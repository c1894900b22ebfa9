// SPDX-License-Identifier: GPL-3.0-or-later
// Analog accuracy on a PCM crossbar (docs/analog.md): the simulator's speed against the integer reference it
// extends, and a trained Fashion-MNIST network's accuracy against time after programming on the bundled aon-cim
// target, with and without drift compensation. Figures and ratios in one run; not a test.
//
// Usage: bench_ml_analog [--epochs N] [--images N] [--repeats N]

#include "benchml.h"
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
    const auto trainStart = psc::bench::Clock::now();
    const psc::TrainResult trained =
        trainer.train(psc::parseNetworkJson(psc::bench::kReferenceNetwork, "bench network"), recipe, data, 1, ctx);
    const psc::IntegerModel integer =
        psc::IntegerModel::quantize(psc::deserializeTrainedModel(trained.weights, "bench weights"));
    std::printf("network bench-analog (stem16 + 2 separable(24), int8), %d epochs + 1 QAT in %.0f s\n", epochs,
                psc::bench::secondsSince(trainStart));

    psc::BundledTargets targets;
    const psc::AnalogTarget aon = psc::analogTarget(targets.library.resolve("aon-cim"));
    const psc::AnalogSimulator simulator(integer, aon);
    std::printf("target aon-cim: %d analog matrices, %lld PCM devices per draw\n", simulator.matrices(),
                static_cast<long long>(simulator.devices()));

    // 1. Speed, one thread each: integer reference against R device draws of the analog simulation.
    integer.accuracy(data.test, 200); // warm-up
    double intRate = 0.0, intAcc = 0.0;
    for (int round = 0; round < 3; ++round) {
        const auto t0 = psc::bench::Clock::now();
        intAcc = integer.accuracy(data.test, images);
        intRate = std::max(intRate, images / psc::bench::secondsSince(t0));
    }
    psc::AnalogOptions options;
    options.repeats = repeats;
    options.images = images;
    options.threads = 1;
    const auto a0 = psc::bench::Clock::now();
    const auto oneDay = simulator.evaluate(data.test, {86400.0}, options).front();
    const double analogRate = double(images) * repeats / psc::bench::secondsSince(a0);
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
