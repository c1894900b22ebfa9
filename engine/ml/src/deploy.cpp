// SPDX-License-Identifier: GPL-3.0-or-later
#include "deploy.h"

#include "psc/compress/sparsity.h"

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
        const double fraction = gradual ? gradualSparsity(l.sparsity.fraction, std::int64_t(std::llround(progress * 1e6)),
                                                          0, 1000000)
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

GraphNet foldBatchNorms(GraphNet &net, const NetworkDescription &network, const NetworkDescription &lowered,
                        const std::map<std::string, std::string> &renamed)
{
    (void)network;
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
        if (source->mask.defined())
            target.mask = source->mask.clone();
    }
    return low;
}

TrainedModel exportTrainedModel(GraphNet &lowered, const NetworkDescription &network, double inputMean,
                                double inputStd)
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
            m.parameters[n.name] = std::move(p);
        }
        if (n.boundary && n.range.seen)
            m.ranges[n.name] = TensorRange{float(n.range.min), float(n.range.max)};
    }
    return m;
}

} // namespace psc::ml
