// SPDX-License-Identifier: GPL-3.0-or-later
// Noise-robust training measured (docs/training.md "Training for analog hardware", docs/analog.md):
//  1. Noisy Machines' claim (Zhou et al. 2020) on Fashion-MNIST: accuracy against additive weight noise eta for
//     (a) the plain network, (b) noise injection alone, (c) noise injection with distillation from the plain
//     network; the eta at which each loses 1 and 3 points against the plain network's noise-free accuracy.
//  2. AnalogNets' claim (Zhou et al. 2021): a noise-aware int8 network on the aon-cim crossbar after a day of drift
//     with global drift compensation, beside the plain network.
// (b), (c) and (d) are fine-tuned from (a) for the same epochs as the plain control, which is (a) fine-tuned without
// noise, so that extra epochs do not pass for robustness. Figures in one run; not a test.
//
// Usage: bench_ml_noise [--epochs N] [--fine-tune N] [--train-eta X] [--pcm-eta X] [--tune-lr X] [--images N]
//                       [--draws N]

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

namespace {
/**
 * The smallest eta at which `accuracy` (over `etas`) falls `points` below `reference`, interpolated; 0 if it is below
 * already without noise, -1 if never.
 */
double etaAtLoss(const std::vector<double> &etas, const std::vector<double> &accuracy, double reference, double points)
{
    const double floor = reference - points / 100.0;
    if (accuracy.front() < floor)
        return 0.0;
    for (std::size_t i = 1; i < etas.size(); ++i)
        if (accuracy[i] < floor) {
            const double a = accuracy[i - 1], b = accuracy[i];
            const double f = a > b ? (a - floor) / (a - b) : 1.0;
            return etas[i - 1] + std::clamp(f, 0.0, 1.0) * (etas[i] - etas[i - 1]);
        }
    return -1.0;
}

std::string etaText(double eta)
{
    char text[32];
    if (eta < 0)
        std::snprintf(text, sizeof text, "> 0.1");
    else if (eta == 0)
        std::snprintf(text, sizeof text, "at 0");
    else
        std::snprintf(text, sizeof text, "%.4f", eta);
    return text;
}

} // namespace

int main(int argc, char **argv)
{
    std::setvbuf(stdout, nullptr, _IOLBF, 0); // lines as they come, also into a log file
    int epochs = 8, fineTune = 3, images = 2000, draws = 5;
    double trainEta = 0.05, pcmEta = 0.1, tuneRate = 0.0003;
    for (int i = 1; i + 1 < argc; i += 2) {
        const char *key = argv[i];
        const char *value = argv[i + 1];
        if (!std::strcmp(key, "--epochs"))
            epochs = std::max(1, std::atoi(value));
        else if (!std::strcmp(key, "--fine-tune"))
            fineTune = std::max(1, std::atoi(value));
        else if (!std::strcmp(key, "--images"))
            images = std::max(1, std::atoi(value));
        else if (!std::strcmp(key, "--draws"))
            draws = std::max(1, std::atoi(value));
        else if (!std::strcmp(key, "--train-eta"))
            trainEta = std::atof(value);
        else if (!std::strcmp(key, "--pcm-eta"))
            pcmEta = std::atof(value);
        else if (!std::strcmp(key, "--tune-lr"))
            tuneRate = std::atof(value);
        else {
            std::fprintf(stderr, "usage: bench_ml_noise [--epochs N] [--fine-tune N] [--train-eta X] [--pcm-eta X] "
                                 "[--tune-lr X] [--images N] [--draws N]\n");
            return 2;
        }
    }
    const psc::Dataset data = psc::loadFashionMnist(psc::defaultFashionMnistDir());
    const int cores = int(std::max(1u, std::thread::hardware_concurrency()));
    psc::ml::TorchTrainer::configureThreads(cores);
    psc::ml::TorchTrainer trainer;
    psc::JobContext ctx;

    // (a) The plain network, with the studies' recipe: Adam 3e-3, per-step cosine, one QAT epoch at 3e-4.
    psc::TrainingRecipe recipe;
    recipe.epochs = epochs;
    recipe.learningRate = 0.003;
    recipe.schedule = psc::LrSchedule::Cosine;
    recipe.qatEpochs = 1;
    recipe.qatLearningRate = 0.0003;
    auto t0 = psc::bench::Clock::now();
    const psc::TrainResult base =
        trainer.train(psc::parseNetworkJson(psc::bench::kReferenceNetwork, "bench network"), recipe, data, 1, ctx);
    const psc::TrainedModel baseModel = psc::deserializeTrainedModel(base.weights, "plain weights");
    std::printf("network bench-noise (stem16 + 2 separable(24), int8): %d epochs + 1 QAT in %.0f s\n", epochs,
                psc::bench::secondsSince(t0));

    // Fine-tuning from (a): float epochs (default at a tenth of the learning rate), then one QAT epoch, as a
    // compression child.
    psc::TrainingRecipe tune = recipe;
    tune.epochs = fineTune;
    tune.learningRate = tuneRate;
    auto fineTuned = [&](const char *what, psc::TrainingRecipe r) {
        const auto start = psc::bench::Clock::now();
        const psc::TrainResult result = trainer.fineTune(baseModel, r, data, 2, ctx);
        std::printf("  %-46s fine-tuned %d + 1 QAT epochs in %.0f s\n", what, fineTune,
                    psc::bench::secondsSince(start));
        return psc::deserializeTrainedModel(result.weights, what);
    };
    struct Variant
    {
        const char *name;
        psc::TrainedModel model;
    };
    std::vector<Variant> variants;
    variants.push_back({"(a) plain (fine-tuned without noise)", fineTuned("(a) plain", tune)});
    psc::TrainingRecipe noisy = tune;
    noisy.weightNoise = trainEta;
    variants.push_back({"(b) noise injection", fineTuned("(b) noise injection", noisy)});
    psc::TrainingRecipe distilled = noisy;
    distilled.distillWeight = 0.9;
    distilled.distillTemperature = 4.0;
    variants.push_back({"(c) noise injection + distillation", fineTuned("(c) noise + KD", distilled)});

    // 1. Accuracy against additive eta, fake-quantised (the deployable weights), Monte-Carlo over draws.
    std::vector<double> etas;
    for (double eta : {0.0, 0.0025, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.03, 0.04, 0.06, 0.08, 0.1})
        etas.push_back(eta);
    std::printf("\n1. accuracy (%%) against additive weight noise eta (sigma = eta (max w - min w) per layer), %d test "
                "images, mean ± std over %d draws; trained at eta %.3f, KD weight 0.9, T 4\n",
                images, draws, trainEta);
    std::printf("  %-6s", "eta");
    for (const Variant &v : variants)
        std::printf(" %36s", v.name);
    std::printf("\n");
    std::vector<std::vector<double>> curves(variants.size());
    for (double eta : etas) {
        std::printf("  %-6.4f", eta);
        for (std::size_t k = 0; k < variants.size(); ++k) {
            psc::ml::NoisyEvaluation how;
            how.eta = eta;
            how.draws = eta == 0.0 ? 1 : draws;
            how.images = images;
            const psc::ml::NoisyAccuracy a = psc::ml::noisyAccuracy(variants[k].model, data.test, how);
            curves[k].push_back(a.mean);
            std::printf(" %28.2f ± %5.2f", 100 * a.mean, 100 * a.std);
        }
        std::printf("\n");
    }
    // Two readings of "loses": against each network's own noise-free accuracy (robustness), and against the plain
    // network's (what a user gives up by choosing the noise-trained one).
    for (const bool own : {true, false}) {
        std::printf(own ? "\n  eta at which each loses 1 and 3 points against its own noise-free accuracy:\n"
                        : "\n  eta at which each falls 1 and 3 points below (a)'s noise-free %.2f %%:\n",
                    100 * curves[0][0]);
        double plain1 = -1.0;
        for (std::size_t k = 0; k < curves.size(); ++k) {
            const double reference = own ? curves[k][0] : curves[0][0];
            const double at1 = etaAtLoss(etas, curves[k], reference, 1.0);
            const double at3 = etaAtLoss(etas, curves[k], reference, 3.0);
            if (k == 0)
                plain1 = at1;
            std::printf("  %-38s 1 point: %-8s 3 points: %-8s", variants[k].name, etaText(at1).c_str(),
                        etaText(at3).c_str());
            if (k > 0 && plain1 > 0 && at1 > 0)
                std::printf(" (%.2fx (a) at 1 point)", at1 / plain1);
            std::printf("\n");
        }
    }
    std::fflush(stdout);

    // 2. On the aon-cim crossbar: (a) against (d), fine-tuned with the PCM programming-noise model and KD.
    psc::TrainingRecipe pcm = tune;
    pcm.weightNoise = pcmEta;
    pcm.weightNoiseModel = psc::WeightNoiseModel::Pcm;
    pcm.distillWeight = 0.9;
    variants.push_back({"(d) PCM noise + distillation", fineTuned("(d) PCM noise + KD", pcm)});
    psc::BundledTargets targets;
    const psc::AnalogTarget aon = psc::analogTarget(targets.library.resolve("aon-cim"));
    psc::AnalogOptions options;
    options.repeats = 10;
    options.images = images;
    options.threads = cores;
    const std::vector<double> times{1.0, 3600.0, 86400.0};
    std::printf("\n2. on aon-cim, global drift compensation, %d images, mean ± std over %d draws (PCM eta %.3f)\n",
                images, options.repeats, pcmEta);
    std::printf("  %-38s %9s", "network", "integer");
    for (double t : times)
        std::printf(" %16s", psc::formatDuration(t).c_str());
    std::printf(" %14s\n", "loss at 1 d");
    for (std::size_t k : {std::size_t(0), std::size_t(1), std::size_t(2), std::size_t(3)}) {
        const psc::IntegerModel integer = psc::IntegerModel::quantize(variants[k].model);
        const double digital = integer.accuracy(data.test, images);
        const auto results = psc::AnalogSimulator(integer, aon).evaluate(data.test, times, options);
        std::printf("  %-38s %7.2f %%", variants[k].name, 100 * digital);
        for (const psc::AnalogAccuracy &r : results)
            std::printf(" %8.2f %% ± %4.2f", 100 * r.mean, 100 * r.std);
        std::printf(" %11.2f pt\n", 100 * (digital - results[2].mean));
    }
    return 0;
}
