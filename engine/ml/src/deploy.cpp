// SPDX-License-Identifier: GPL-3.0-or-later
#include "deploy.h"

#include "psc/compress/sparsity.h"
#include "psc/core/statistics.h"
#include "psc/data/dataset.h"
#include "psc/ml/torchtrainer.h"

#include <algorithm>
#include <cmath>

namespace psc::ml {

namespace {

WeightShape shapeOf(const torch::Tensor &w)
{
    return w.dim() == 4 ? WeightShape{int(w.size(0)), int(w.size(1)), int(w.size(2)), int(w.size(3))}
                        : WeightShape{int(w.size(0)), int(w.size(1)), 1, 1};
}

FloatTensor toFloatTensor(const torch::Tensor &t)
{
    const torch::Tensor c = t.detach().to(torch::kFloat).contiguous(); // logical (OIHW) order
    FloatTensor out;
    for (int64_t d : c.sizes())
        out.shape.push_back(int(d));
    out.values.assign(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
    return out;
}

/** "16x8x3x3" */
std::string shapeText(const std::vector<int64_t> &shape)
{
    std::string text;
    for (int64_t d : shape)
        text += (text.empty() ? "" : "x") + std::to_string(d);
    return text.empty() ? std::string("[]") : text;
}

} // namespace

void updateMasks(GraphNet &net, const NetworkDescription &network, double progress)
{
    torch::NoGradGuard noGrad;
    progress = std::clamp(progress, 0.0, 1.0);
    for (const LayerSpec &l : network.layers) {
        // Channel-structured layers have had their channels removed physically (pruneChannels): nothing to mask.
        const bool masked = l.sparsity.isSparse() && l.sparsity.pattern != SparsityPattern::ChannelStructured;
        GraphNode *n = masked ? net->node(l.name) : nullptr;
        if (!n)
            continue;
        torch::Tensor w = GraphNetImpl::weightOf(*n);
        if (!w.defined())
            continue;
        // Fractions of unstructured and channel pruning follow the cubic schedule; DBB and N:M bounds hold
        // from the first pruning step on (their fraction is fixed by the bound).
        const bool gradual = l.sparsity.pattern == SparsityPattern::Unstructured ||
                             l.sparsity.pattern == SparsityPattern::ChannelStructured;
        const double fraction =
            gradual ? gradualSparsity(l.sparsity.fraction, std::int64_t(std::llround(progress * 1e6)), 0, 1000000)
                    : (progress > 0.0 ? l.sparsity.fraction : 0.0);
        const torch::Tensor logical = w.detach().to(torch::kFloat).contiguous();
        std::vector<std::uint8_t> keep = pruneMask(logical.data_ptr<float>(), shapeOf(w), l.sparsity, fraction);
        torch::Tensor mask = torch::from_blob(keep.data(), logical.sizes(), torch::kUInt8)
                                 .to(torch::kFloat)
                                 .contiguous(w.suggest_memory_format());
        n->mask = mask;
        w.mul_(mask);
    }
}

GraphNet foldBatchNorms(GraphNet &net, const NetworkDescription &lowered,
                        const std::map<std::string, std::string> &renamed)
{
    torch::NoGradGuard noGrad;
    GraphNet low(lowered, 0);
    for (GraphNode &target : low->nodes()) {
        GraphNode *source = net->node(target.name);
        if (!source)
            throw InputError("deployable network: layer \"" + target.name + "\" has no trained counterpart");
        if (target.bn2d || target.bn1d) { // a batch norm that could not be folded keeps its statistics
            auto copyBn = [](auto &to, auto &from) {
                to->weight.copy_(from->weight);
                to->bias.copy_(from->bias);
                to->running_mean.copy_(from->running_mean);
                to->running_var.copy_(from->running_var);
            };
            if (target.bn2d && source->bn2d)
                copyBn(target.bn2d, source->bn2d);
            else if (target.bn1d && source->bn1d)
                copyBn(target.bn1d, source->bn1d);
            continue;
        }
        torch::Tensor w = GraphNetImpl::weightOf(target);
        if (!w.defined())
            continue;
        torch::Tensor weight = GraphNetImpl::weightOf(*source).detach().clone();
        const torch::Tensor sourceBias = GraphNetImpl::biasOf(*source);
        torch::Tensor bias = sourceBias.defined() ? sourceBias.detach().clone() : torch::zeros({weight.size(0)});
        for (const auto &[removed, producer] : renamed) {
            GraphNode *bn = producer == target.name ? net->node(removed) : nullptr;
            if (!bn || bn->type != LayerType::BatchNorm)
                continue;
            // Validation refuses this (a per-output scale is not a Kronecker product); never fold it wrongly.
            if (target.type == LayerType::Kronecker)
                throw InputError("layer \"" + removed + "\": a batch_norm cannot fold into kronecker layer \"" +
                                 target.name + "\"");
            // low_rank: scaling the rows of U scales the output channels, since y = U (V x) + b.
            // Folding (Jacob et al. 2018, section 3.2): scale each output channel by gamma / sigma.
            const auto fold = [&](auto &m) {
                const torch::Tensor factor = m->weight / torch::sqrt(m->running_var + m->options.eps());
                std::vector<int64_t> view(std::size_t(weight.dim()), 1);
                view[0] = -1;
                weight = weight * factor.view(view);
                bias = (bias - m->running_mean) * factor + m->bias;
            };
            if (bn->bn2d)
                fold(bn->bn2d);
            else
                fold(bn->bn1d);
        }
        w.copy_(weight);
        if (torch::Tensor b = GraphNetImpl::biasOf(target); b.defined())
            b.copy_(bias);
        if (torch::Tensor f = GraphNetImpl::factorOf(target); f.defined())
            f.copy_(GraphNetImpl::factorOf(*source));
        if (source->mask.defined())
            target.mask = source->mask.clone();
    }
    return low;
}

TrainedModel exportTrainedModel(GraphNet &lowered, const NetworkDescription &network, double inputMean, double inputStd)
{
    TrainedModel m;
    m.network = network;
    m.inputMean = inputMean;
    m.inputStd = inputStd;
    m.ranges["input"] = TensorRange{float(-inputMean / inputStd), float((1.0 - inputMean) / inputStd)};
    for (GraphNode &n : lowered->nodes()) {
        if (torch::Tensor w = GraphNetImpl::weightOf(n); w.defined()) {
            LayerParameters p;
            p.weight = toFloatTensor(w);
            if (torch::Tensor b = GraphNetImpl::biasOf(n); b.defined())
                p.bias = toFloatTensor(b);
            if (torch::Tensor f = GraphNetImpl::factorOf(n); f.defined())
                p.factor = toFloatTensor(f);
            m.parameters[n.name] = std::move(p);
        }
        if (n.boundary && n.range.seen)
            m.ranges[n.name] = TensorRange{float(n.range.min), float(n.range.max)};
        if (n.midRange.seen)
            m.ranges[n.name + ":mid"] = TensorRange{float(n.midRange.min), float(n.midRange.max)};
    }
    return m;
}

GraphNet loadTrainedModel(const TrainedModel &model)
{
    torch::NoGradGuard noGrad;
    GraphNet net(model.network, 0);
    auto load = [](torch::Tensor &to, const FloatTensor &from, const std::string &what) {
        std::vector<int64_t> shape(from.shape.begin(), from.shape.end());
        if (to.sizes() != torch::IntArrayRef(shape) || std::int64_t(from.values.size()) != to.numel())
            throw InputError(what + " has shape " + shapeText(shape) + " but the layer needs " +
                             shapeText(to.sizes().vec()));
        to.copy_(torch::from_blob(const_cast<float *>(from.values.data()), torch::IntArrayRef(shape), torch::kFloat));
    };
    for (GraphNode &n : net->nodes())
        if (n.bn1d || n.bn2d)
            throw InputError("layer \"" + n.name +
                             "\": fine-tuning needs a deployable network, without batch_norm layers");
    for (GraphNode &n : net->nodes()) {
        const std::string what = "layer \"" + n.name + "\"";
        torch::Tensor w = GraphNetImpl::weightOf(n);
        if (!w.defined()) {
            if (hasWeights(n.type))
                throw InputError(what + ": fine-tuning cannot load " + std::string(toString(n.type)) + " layers yet");
        } else {
            const auto it = model.parameters.find(n.name);
            if (it == model.parameters.end())
                throw InputError(what + ": no trained parameters");
            load(w, it->second.weight, what + (isFactorized(n.type) ? " weight (U or A)" : " weight"));
            torch::Tensor f = GraphNetImpl::factorOf(n);
            if (f.defined() && it->second.factor.values.empty())
                throw InputError(what + ": no trained factor (LayerParameters::factor), which a " +
                                 std::string(toString(n.type)) + " layer needs");
            if (!f.defined() && !it->second.factor.values.empty())
                throw InputError(what + ": the trained parameters have a factor, but a " +
                                 std::string(toString(n.type)) + " layer has none");
            if (f.defined())
                load(f, it->second.factor, what + " factor (V or B)");
            torch::Tensor b = GraphNetImpl::biasOf(n);
            if (b.defined() != !it->second.bias.values.empty())
                throw InputError(what + (b.defined() ? ": the trained parameters have no bias"
                                                     : ": the trained parameters have a bias the layer lacks"));
            if (b.defined())
                load(b, it->second.bias, what + " bias");
        }
        if (const auto r = model.ranges.find(n.name); n.boundary && r != model.ranges.end())
            n.range = RangeObserver{true, double(r->second.min), double(r->second.max)};
        // A freshly factorised layer has no intermediate range yet: QAT or calibration records it.
        if (const auto r = model.ranges.find(n.name + ":mid"); n.factor.defined() && r != model.ranges.end())
            n.midRange = RangeObserver{true, double(r->second.min), double(r->second.max)};
    }
    return net;
}

std::map<std::string, double> zeroFractions(const TrainedModel &model)
{
    std::map<std::string, double> fractions;
    for (const LayerSpec &l : model.network.layers) {
        const auto it = model.parameters.find(l.name);
        if (!l.sparsity.isSparse() || l.sparsity.pattern == SparsityPattern::ChannelStructured ||
            it == model.parameters.end() || it->second.weight.values.empty())
            continue;
        const auto &values = it->second.weight.values;
        fractions[l.name] = double(std::count(values.begin(), values.end(), 0.0f)) / double(values.size());
    }
    return fractions;
}

void updateMasksFrom(GraphNet &net, const NetworkDescription &network, double progress,
                     const std::map<std::string, double> &initial)
{
    torch::NoGradGuard noGrad;
    progress = std::clamp(progress, 0.0, 1.0);
    for (const LayerSpec &l : network.layers) {
        const bool masked = l.sparsity.isSparse() && l.sparsity.pattern != SparsityPattern::ChannelStructured;
        GraphNode *n = masked ? net->node(l.name) : nullptr;
        torch::Tensor w = n ? GraphNetImpl::weightOf(*n) : torch::Tensor();
        if (!w.defined())
            continue;
        double fraction = l.sparsity.fraction;
        if (l.sparsity.pattern == SparsityPattern::Unstructured) {
            const auto it = initial.find(l.name);
            const double from = std::min(it == initial.end() ? 0.0 : it->second, 0.999999);
            fraction =
                gradualSparsity(l.sparsity.fraction, std::int64_t(std::llround(progress * 1e6)), 0, 1000000, from);
        }
        const torch::Tensor logical = w.detach().to(torch::kFloat).contiguous();
        std::vector<std::uint8_t> keep = pruneMask(logical.data_ptr<float>(), shapeOf(w), l.sparsity, fraction);
        n->mask = torch::from_blob(keep.data(), logical.sizes(), torch::kUInt8)
                      .to(torch::kFloat)
                      .contiguous(w.suggest_memory_format());
        w.mul_(n->mask);
    }
}

namespace {

/** `model` ready to evaluate `images`: checked against their shape, in eval mode, fake-quantised if asked. */
GraphNet evaluationNet(const TrainedModel &model, const ImageSet &images, bool fakeQuantized)
{
    const Shape imageShape{images.channels, images.height, images.width};
    if (!(model.network.input == imageShape))
        throw InputError("network \"" + model.network.name + "\" expects input " + toString(model.network.input) +
                         " but the images are " + toString(imageShape));
    GraphNet net = loadTrainedModel(model);
    net->eval();
    if (fakeQuantized) {
        net->setInputQuantization(1.0 / (255.0 * model.inputStd), int(std::nearbyint(255.0 * model.inputMean)) - 128);
        net->setQuantMode(QuantMode::Frozen);
    }
    return net;
}

/** Images [begin, end) as the float tensor `model` was trained on. */
torch::Tensor imageBatch(const TrainedModel &model, const ImageSet &images, int begin, int end)
{
    return torch::from_blob(const_cast<std::uint8_t *>(images.pixels.data() + std::size_t(begin) * images.imageSize()),
                            {end - begin, images.channels, images.height, images.width}, torch::kUInt8)
        .to(torch::kFloat32)
        .div_(255.0)
        .sub_(model.inputMean)
        .div_(model.inputStd);
}

} // namespace

std::vector<float> modelLogits(const TrainedModel &model, const ImageSet &images, int count, bool fakeQuantized)
{
    if (count <= 0 || count > images.count)
        count = images.count;
    torch::NoGradGuard noGrad;
    GraphNet net = evaluationNet(model, images, fakeQuantized);
    std::vector<float> logits;
    for (int b = 0; b < count; b += 1000) {
        const torch::Tensor y =
            net->forward(imageBatch(model, images, b, std::min(count, b + 1000))).to(torch::kFloat).contiguous();
        logits.insert(logits.end(), y.data_ptr<float>(), y.data_ptr<float>() + y.numel());
    }
    return logits;
}

NoisyAccuracy noisyAccuracy(const TrainedModel &model, const ImageSet &images, const NoisyEvaluation &how)
{
    if (!(how.eta >= 0.0) || how.draws < 1)
        throw InputError("noisy evaluation needs eta >= 0 and at least one draw (got eta " + std::to_string(how.eta) +
                         ", " + std::to_string(how.draws) + " draws)");
    const int count = how.images <= 0 || how.images > images.count ? images.count : how.images;
    torch::NoGradGuard noGrad;
    GraphNet net = evaluationNet(model, images, how.fakeQuantized);
    const torch::Tensor labels =
        torch::from_blob(const_cast<std::uint8_t *>(images.labels.data()), {count}, torch::kUInt8).to(torch::kInt64);
    NoisyAccuracy result;
    for (int d = 0; d < how.draws; ++d) {
        // One draw = one set of noisy weights for the whole test set, as one programmed chip would be.
        WeightNoise noise;
        noise.eta = how.eta;
        noise.model = how.model;
        noise.inEval = true;
        int64_t correct = 0;
        for (int b = 0; b < count; b += 1000) {
            // Noise is drawn in each forward pass: the generator restarts from the draw's seed for every batch, so
            // that every batch sees the same noisy weights.
            net->setWeightNoise(noise, how.seed * 1000003ULL + std::uint64_t(d));
            const int e = std::min(count, b + 1000);
            const torch::Tensor pred = net->forward(imageBatch(model, images, b, e)).argmax(1);
            correct += pred.eq(labels.slice(0, b, e)).sum().item<int64_t>();
        }
        result.draws.push_back(double(correct) / double(count));
    }
    const MeanStd stats = meanAndStd(result.draws);
    result.mean = stats.mean;
    result.std = stats.std;
    return result;
}

} // namespace psc::ml
