// SPDX-License-Identifier: GPL-3.0-or-later
// IntegerModel: running the compiled plan (the kernels are in integerkernels.cpp, quantize() in
// integerquantize.cpp).

#include "quant/integerkernels.h"

#include "psc/data/dataset.h"
#include "psc/jobs/jobcontext.h"

#include <algorithm>

namespace psc {

namespace {

constexpr int kCheckpointInterval = 100;

const std::int8_t *runPlan(const IntegerModel::Plan &plan, const std::uint8_t *image, IntegerWorkspace &ws)
{
    std::int8_t *arena = ws.arena.data();
    const std::size_t inputSize = std::size_t(plan.network.input.elements());
    std::int8_t *input = arena + plan.inputOffset;
    for (std::size_t e = 0; e < inputSize; ++e)
        input[e] = std::int8_t(int(image[e]) - 128);
    for (const IntegerStep &s : plan.steps) {
        const std::int8_t *src = arena + s.inputs.front();
        std::int8_t *dst = arena + s.output;
        switch (s.op) {
        case IntegerOp::Conv2d:
        case IntegerOp::DepthwiseConv2d:
            if (s.dotProduct)
                convolutionDot(s, src, dst, ws);
            else
                convolutionTaps(s, src, dst, ws);
            break;
        case IntegerOp::Dense:
            denseDot(s, src, dst, ws);
            break;
        case IntegerOp::Factorized:
            factorizedDot(s, src, dst, ws);
            break;
        case IntegerOp::Add:
        case IntegerOp::MaxPool:
        case IntegerOp::AvgPool:
        case IntegerOp::Mean:
        case IntegerOp::Clamp:
            runUnweightedStep(s, arena);
            break;
        }
    }
    return arena + plan.outputOffset;
}

} // namespace

IntegerModel::IntegerModel() = default;
IntegerModel::~IntegerModel() = default;
IntegerModel::IntegerModel(const IntegerModel &) = default;
IntegerModel &IntegerModel::operator=(const IntegerModel &) = default;
IntegerModel::IntegerModel(IntegerModel &&) noexcept = default;
IntegerModel &IntegerModel::operator=(IntegerModel &&) noexcept = default;

std::vector<std::int8_t> IntegerModel::run(const std::uint8_t *image) const
{
    if (!m_plan)
        throw RuntimeError("IntegerModel::run() on a model that was not quantised");
    IntegerWorkspace ws(*m_plan);
    const std::int8_t *out = runPlan(*m_plan, image, ws);
    return std::vector<std::int8_t>(out, out + m_plan->outputSize);
}

std::vector<std::vector<std::int8_t>> IntegerModel::trace(const std::uint8_t *image) const
{
    if (!m_plan)
        throw RuntimeError("IntegerModel::trace() on a model that was not quantised");
    IntegerWorkspace ws(*m_plan);
    runPlan(*m_plan, image, ws);
    std::vector<std::vector<std::int8_t>> out;
    for (std::size_t i = 0; i < m_plan->layers.size(); ++i) {
        const std::int8_t *begin = ws.arena.data() + m_plan->layerOffsets[i];
        out.emplace_back(begin, begin + m_plan->layers[i].outputShape.elements());
    }
    return out;
}

double IntegerModel::accuracy(const ImageSet &set, int limit, JobContext *ctx) const
{
    if (!m_plan)
        throw RuntimeError("IntegerModel::accuracy() on a model that was not quantised");
    const Shape &shape = m_plan->network.input;
    if (set.channels != shape.channels || set.height != shape.height || set.width != shape.width)
        throw InputError("images of " + std::to_string(set.channels) + "x" + std::to_string(set.height) + "x" +
                         std::to_string(set.width) + " do not fit the network input " + toString(shape));
    int count = limit > 0 ? std::min(limit, set.count) : set.count;
    const std::size_t imageSize = set.imageSize();
    if (set.pixels.size() < std::size_t(count) * imageSize || set.labels.size() < std::size_t(count))
        throw InputError("image set holds fewer pixels or labels than its count of " + std::to_string(set.count));
    if (count <= 0)
        return 0.0;
    IntegerWorkspace ws(*m_plan);
    int correct = 0;
    for (int n = 0; n < count; ++n) {
        if (ctx && n % kCheckpointInterval == 0)
            ctx->checkpoint();
        const std::int8_t *logits = runPlan(*m_plan, set.pixels.data() + std::size_t(n) * imageSize, ws);
        const int best = int(std::max_element(logits, logits + m_plan->outputSize) - logits); // first max
        correct += best == int(set.labels[std::size_t(n)]) ? 1 : 0;
    }
    return double(correct) / double(count);
}

const NetworkDescription &IntegerModel::network() const
{
    return m_plan->network;
}

const QuantParams &IntegerModel::inputParams() const
{
    return m_plan->input;
}

const QuantParams &IntegerModel::outputParams() const
{
    return m_plan->output;
}

int IntegerModel::outputSize() const
{
    return m_plan ? m_plan->outputSize : 0;
}

const std::vector<LayerQuantization> &IntegerModel::layers() const
{
    return m_plan->layers;
}

} // namespace psc
