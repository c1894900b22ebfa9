// SPDX-License-Identifier: GPL-3.0-or-later
// The integer reference inference against LibTorch float inference of the same trained network (same weights,
// same images, one core each), and the cost of a quantisation-aware training epoch against a float epoch.
// Figures and ratios in one run; not a test.

#include "psc/data/dataset.h"
#include "psc/jobs/jobcontext.h"
#include "psc/ml/torchtrainer.h"
#include "psc/net/networkparser.h"
#include "psc/net/shapeinference.h"
#include "psc/quant/integerinference.h"
#include "psc/quant/trainedmodel.h"

#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <thread>

namespace {

// A DS-CNN-like candidate of the demo's search space: stride-2 stem, two separable blocks (one residual),
// global pooling, a hidden dense layer and the classifier.
const char *kNetwork = R"({"name": "bench-ds-cnn", "input": {"channels": 1, "height": 28, "width": 28}, "layers": [
  {"type": "conv2d", "name": "stem", "out_channels": 24, "kernel": 3, "stride": 2, "padding": "same", "bias": false},
  {"type": "batch_norm", "name": "stem_bn"}, {"type": "relu", "name": "stem_relu"},
  {"type": "depthwise_conv2d", "name": "b1_dw", "kernel": 3, "padding": "same", "bias": false},
  {"type": "batch_norm", "name": "b1_dw_bn"}, {"type": "relu", "name": "b1_dw_relu"},
  {"type": "conv2d", "name": "b1_pw", "out_channels": 24, "kernel": 1, "bias": false},
  {"type": "batch_norm", "name": "b1_pw_bn"}, {"type": "relu", "name": "b1_pw_relu"},
  {"type": "add", "name": "b1_add", "inputs": ["stem_relu", "b1_pw_relu"]},
  {"type": "depthwise_conv2d", "name": "b2_dw", "kernel": 3, "stride": 2, "padding": "same", "bias": false},
  {"type": "batch_norm", "name": "b2_dw_bn"}, {"type": "relu", "name": "b2_dw_relu"},
  {"type": "conv2d", "name": "b2_pw", "out_channels": 48, "kernel": 1, "bias": false},
  {"type": "batch_norm", "name": "b2_pw_bn"}, {"type": "relu", "name": "b2_pw_relu"},
  {"type": "global_avg_pool", "name": "pool"}, {"type": "flatten", "name": "flat"},
  {"type": "dense", "name": "hidden", "units": 64, "activation": "relu"},
  {"type": "dense", "name": "logits", "units": 10}]})";

using Clock = std::chrono::steady_clock;

double seconds(Clock::time_point since)
{
    return std::chrono::duration<double>(Clock::now() - since).count();
}

/** TensorFlow "same" padding of one dimension: (before, after). */
std::pair<int64_t, int64_t> samePadding(int64_t in, int64_t kernel, int64_t stride)
{
    const int64_t out = (in + stride - 1) / stride;
    const int64_t total = std::max<int64_t>((out - 1) * stride + kernel - in, 0);
    return {total / 2, total - total / 2};
}

/**
 * LibTorch float inference of a deployable TrainedModel, layer by layer with the functional API: what a user
 * of LibTorch would run for the same network and weights (channels-last, oneDNN convolutions).
 */
class TorchFloatModel
{
public:
    explicit TorchFloatModel(const psc::TrainedModel &m) : m_model(m), m_shapes(psc::inferShapes(m.network))
    {
        for (const auto &[name, p] : m.parameters) {
            std::vector<int64_t> shape(p.weight.shape.begin(), p.weight.shape.end());
            auto w = torch::from_blob(const_cast<float *>(p.weight.values.data()), shape).clone();
            if (w.dim() == 4)
                w = w.contiguous(at::MemoryFormat::ChannelsLast);
            m_weights[name] = w;
            if (!p.bias.values.empty())
                m_biases[name] = torch::from_blob(const_cast<float *>(p.bias.values.data()), {p.bias.shape[0]}).clone();
        }
    }

    /** Logits of a batch of normalised float images [N, C, H, W]. */
    torch::Tensor forward(const torch::Tensor &input)
    {
        namespace F = torch::nn::functional;
        std::map<std::string, torch::Tensor> out;
        out["input"] = input.contiguous(at::MemoryFormat::ChannelsLast);
        torch::Tensor y;
        for (const psc::LayerSpec &l : m_model.network.layers) {
            const torch::Tensor &x = out.at(l.inputs.front());
            auto conv = [&](int64_t groups) {
                torch::Tensor padded = x;
                int64_t pad = 0;
                if (l.padding.mode == psc::PaddingMode::Same) {
                    const auto [top, bottom] = samePadding(x.size(2), l.kernelH, l.strideH);
                    const auto [left, right] = samePadding(x.size(3), l.kernelW, l.strideW);
                    if (top == bottom && left == right && top == left)
                        pad = top;
                    else
                        padded = F::pad(x, F::PadFuncOptions({left, right, top, bottom}));
                } else if (l.padding.mode == psc::PaddingMode::Explicit) {
                    pad = l.padding.amount;
                }
                auto options = F::Conv2dFuncOptions().stride({l.strideH, l.strideW}).padding(pad).groups(groups);
                if (m_biases.count(l.name))
                    options.bias(m_biases.at(l.name));
                return F::conv2d(padded, m_weights.at(l.name), options);
            };
            switch (l.type) {
            case psc::LayerType::Conv2d:
                y = conv(1);
                break;
            case psc::LayerType::DepthwiseConv2d:
                y = conv(x.size(1));
                break;
            case psc::LayerType::Dense:
                y = F::linear(x.flatten(1), m_weights.at(l.name),
                              m_biases.count(l.name) ? m_biases.at(l.name) : torch::Tensor());
                break;
            case psc::LayerType::Add:
                y = x;
                for (std::size_t k = 1; k < l.inputs.size(); ++k)
                    y = y + out.at(l.inputs[k]);
                break;
            case psc::LayerType::GlobalAvgPool:
                y = x.mean({2, 3}, true);
                break;
            case psc::LayerType::Flatten:
                y = x.flatten(1);
                break;
            case psc::LayerType::Relu:
                y = torch::relu(x);
                break;
            default:
                throw std::runtime_error("bench: layer type not supported: " + std::string(toString(l.type)));
            }
            if (l.activation == psc::Activation::Relu)
                y = torch::relu(y);
            else if (l.activation == psc::Activation::Relu6)
                y = torch::clamp(y, 0.0, 6.0);
            out[l.name] = y;
        }
        return y;
    }

private:
    psc::TrainedModel m_model;
    std::vector<psc::Shape> m_shapes;
    std::map<std::string, torch::Tensor> m_weights, m_biases;
};

torch::Tensor normalisedImages(const psc::ImageSet &set, int count, const psc::TrainedModel &m)
{
    return torch::from_blob(const_cast<uint8_t *>(set.pixels.data()), {count, set.channels, set.height, set.width},
                            torch::kUInt8)
        .to(torch::kFloat32)
        .div_(255.0)
        .sub_(m.inputMean)
        .div_(m.inputStd);
}

/** Images per second and accuracy of torch float inference in batches of `batch`. */
std::pair<double, double> torchRate(TorchFloatModel &net, const torch::Tensor &x, const psc::ImageSet &set, int count,
                                    int batch)
{
    torch::NoGradGuard noGrad;
    int64_t correct = 0;
    const auto start = Clock::now();
    for (int b = 0; b < count; b += batch) {
        const int e = std::min(count, b + batch);
        const auto pred = net.forward(x.slice(0, b, e)).argmax(1);
        const auto p = pred.accessor<int64_t, 1>();
        for (int i = 0; i < e - b; ++i)
            correct += p[i] == set.labels[std::size_t(b + i)] ? 1 : 0;
    }
    return {count / seconds(start), double(correct) / count};
}

psc::TrainResult trainOnce(psc::ml::TorchTrainer &trainer, const psc::Dataset &data, int samples, int qatEpochs)
{
    psc::TrainingRecipe r;
    r.epochs = 2;
    r.trainSubset = samples;
    r.validationSplit = 0.05;
    r.testSubset = 1000;
    r.qatEpochs = qatEpochs;
    r.calibrationBatches = 1;
    psc::JobContext ctx;
    return trainer.train(psc::parseNetworkJson(kNetwork, "bench network"), r, data, 1, ctx);
}

} // namespace

int main()
{
    const psc::Dataset data = psc::loadFashionMnist(psc::defaultFashionMnistDir());
    const int cores = int(std::max(1u, std::thread::hardware_concurrency()));
    psc::ml::TorchTrainer trainer;

    // 1. QAT epoch against float epoch, on all cores as studies train; both loops time only their epochs.
    const int samples = 12000;
    psc::ml::TorchTrainer::configureThreads(cores);
    trainOnce(trainer, data, 1024, 1); // warm-up: dataset tensors, allocator
    double floatEpoch = 1e30, qatEpoch = 1e30;
    psc::TrainResult trained;
    for (int round = 0; round < 3; ++round) {
        trained = trainOnce(trainer, data, samples, 1);
        floatEpoch = std::min(floatEpoch, trained.trainSeconds / trained.epochs);
        qatEpoch = std::min(qatEpoch, trained.qatSeconds);
    }
    std::printf("QAT cost, network bench-ds-cnn (%d layers before lowering), %d images per epoch, %d torch threads\n",
                int(psc::parseNetworkJson(kNetwork, "bench network").layers.size()), samples, cores);
    std::printf("  float epoch %.2f s (best of 3 runs), QAT epoch (batch norms folded, fake-quantised weights and "
                "activations) %.2f s, "
                "QAT/float = %.2f\n",
                floatEpoch, qatEpoch, qatEpoch / floatEpoch);

    // 2. Integer reference inference against LibTorch float inference, one core each, on the same test images.
    const psc::TrainedModel model = psc::deserializeTrainedModel(trained.weights, "bench weights");
    const psc::IntegerModel integer = psc::IntegerModel::quantize(model);
    const int count = 2000;
    psc::ml::TorchTrainer::configureThreads(1);
    TorchFloatModel floatNet(model);
    const torch::Tensor x = normalisedImages(data.test, count, model);
    torchRate(floatNet, x, data.test, 200, 1); // warm-up
    integer.accuracy(data.test, 200);
    double intRate = 0.0, intAcc = 0.0;
    std::pair<double, double> single{0.0, 0.0}, batched{0.0, 0.0};
    for (int round = 0; round < 3; ++round) {
        const auto t0 = Clock::now();
        intAcc = integer.accuracy(data.test, count);
        intRate = std::max(intRate, count / seconds(t0));
        const auto s = torchRate(floatNet, x, data.test, count, 1);
        const auto b = torchRate(floatNet, x, data.test, count, 250);
        single = {std::max(single.first, s.first), s.second};
        batched = {std::max(batched.first, b.first), b.second};
    }
    std::printf("inference, %d test images, one thread each (best of 3 rounds)\n", count);
    std::printf("  integer reference (int8, engine): %.0f images/s, accuracy %.2f %%\n", intRate, 100 * intAcc);
    std::printf("  LibTorch float, batch 1:          %.0f images/s, accuracy %.2f %%, integer/torch = %.2f\n",
                single.first, 100 * single.second, intRate / single.first);
    std::printf("  LibTorch float, batch 250:        %.0f images/s, accuracy %.2f %%, integer/torch = %.2f\n",
                batched.first, 100 * batched.second, intRate / batched.first);
    return 0;
}
