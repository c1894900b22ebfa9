// SPDX-License-Identifier: GPL-3.0-or-later
// The TFLite export: an int8 flatbuffer (schema version 3) of the integer reference's model, written through the
// code flatc generates from tflite_schema.fbs. docs/formats/export-tflite.md describes the mapping.

#include "export/exporters.h"

#include "psc/core/error.h"
#include "psc/net/shapeinference.h"
#include "psc/net/window.h"
#include "psc/quant/integerinference.h"

#include <tflite_schema_generated.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>

namespace psc {
namespace {

using tflite::ActivationFunctionType;
using tflite::BuiltinOperator;
using tflite::TensorType;

/** A tensor of the flatbuffer with what the writer needs to know of it. */
struct TensorRef
{
    int index = -1;
    Shape shape; ///< as the network sees it (C x H x W)
    /// For a flat tensor made by flattening a spatial one: the spatial shape, whose channels-first order the
    /// network's weights assume while TFLite flattens channels last.
    Shape flattenedFrom;
};

class Writer
{
public:
    tflite::ModelT model;
    tflite::SubGraphT *graph = nullptr;
    std::vector<std::string> warnings;

    Writer()
    {
        model.version = 3;
        model.buffers.push_back(std::make_unique<tflite::BufferT>()); // buffer 0: the empty buffer
        model.subgraphs.push_back(std::make_unique<tflite::SubGraphT>());
        graph = model.subgraphs.back().get();
        graph->name = "main";
    }

    template <typename T> std::uint32_t buffer(const std::vector<T> &values)
    {
        auto b = std::make_unique<tflite::BufferT>();
        b->data.resize(values.size() * sizeof(T));
        if (!values.empty())
            std::memcpy(b->data.data(), values.data(), b->data.size());
        model.buffers.push_back(std::move(b));
        return std::uint32_t(model.buffers.size() - 1);
    }

    int tensor(const std::string &name, std::vector<int> shape, TensorType type, std::uint32_t buffer,
               std::vector<float> scales, std::vector<std::int64_t> zeroPoints, int quantizedDimension = 0)
    {
        auto t = std::make_unique<tflite::TensorT>();
        t->name = name;
        t->shape = std::move(shape);
        t->type = type;
        t->buffer = buffer;
        t->quantization = std::make_unique<tflite::QuantizationParametersT>();
        t->quantization->scale = std::move(scales);
        t->quantization->zero_point = std::move(zeroPoints);
        t->quantization->quantized_dimension = quantizedDimension;
        graph->tensors.push_back(std::move(t));
        return int(graph->tensors.size() - 1);
    }

    /** An int8 activation tensor [1, H, W, C]. */
    int activation(const std::string &name, const Shape &s, const QuantParams &q)
    {
        return tensor(name, {1, s.height, s.width, s.channels}, TensorType::INT8, 0, {float(q.scale)}, {q.zeroPoint});
    }

    template <typename Options>
    void op(BuiltinOperator code, std::vector<int> inputs, std::vector<int> outputs, Options options)
    {
        auto o = std::make_unique<tflite::OperatorT>();
        o->opcode_index = opcode(code);
        o->inputs = std::move(inputs);
        o->outputs = std::move(outputs);
        o->builtin_options.Set(std::move(options));
        graph->operators.push_back(std::move(o));
    }

    /** A named metadata buffer (Model.metadata), e.g. the export's warnings; nothing for an empty text. */
    void addMetadata(const std::string &name, const std::string &text)
    {
        if (text.empty())
            return;
        auto buffer = std::make_unique<tflite::BufferT>();
        buffer->data.assign(text.begin(), text.end());
        model.buffers.push_back(std::move(buffer));
        auto entry = std::make_unique<tflite::MetadataT>();
        entry->name = name;
        entry->buffer = std::uint32_t(model.buffers.size() - 1);
        model.metadata.push_back(std::move(entry));
    }

    std::string finish(const std::string &description)
    {
        model.description = description;
        flatbuffers::FlatBufferBuilder builder(1 << 16);
        tflite::FinishModelBuffer(builder, tflite::Model::Pack(builder, &model));
        return {reinterpret_cast<const char *>(builder.GetBufferPointer()), builder.GetSize()};
    }

private:
    std::uint32_t opcode(BuiltinOperator code)
    {
        for (std::size_t i = 0; i < model.operator_codes.size(); ++i)
            if (model.operator_codes[i]->builtin_code == code)
                return std::uint32_t(i);
        auto c = std::make_unique<tflite::OperatorCodeT>();
        c->builtin_code = code;
        // Readers of the first schema revisions (ArmNN 20.08 among them) read only this field.
        c->deprecated_builtin_code = std::int8_t(std::min(int(code), 127));
        model.operator_codes.push_back(std::move(c));
        return std::uint32_t(model.operator_codes.size() - 1);
    }
};

[[noreturn]] void unsupported(const LayerSpec &l, const std::string &why)
{
    throw InputError("layer \"" + l.name + "\" (" + std::string(toString(l.type)) + "): " + why);
}

ActivationFunctionType activationOf(const LayerSpec &l)
{
    switch (l.activation) {
    case Activation::Relu:
        return ActivationFunctionType::RELU;
    case Activation::Relu6:
        return ActivationFunctionType::RELU6;
    default:
        return ActivationFunctionType::NONE;
    }
}

/** TFLite knows SAME and VALID padding only; explicit padding that equals one of them is written as it. */
tflite::Padding paddingOf(const LayerSpec &l, const Shape &in)
{
    if (l.padding.mode == PaddingMode::Same)
        return tflite::Padding::SAME;
    if (l.padding.mode == PaddingMode::Valid)
        return tflite::Padding::VALID;
    const auto same = [&](int size, int kernel, int stride) {
        const WindowAxis e = windowAxis(size, kernel, stride, l.padding);
        const WindowAxis s = windowAxis(size, kernel, stride, Padding{PaddingMode::Same, 0});
        return e.out == s.out && e.padBefore == s.padBefore;
    };
    if (l.padding.amount == 0)
        return tflite::Padding::VALID;
    if (same(in.height, l.kernelH, l.strideH) && same(in.width, l.kernelW, l.strideW))
        return tflite::Padding::SAME;
    unsupported(l, "explicit padding " + std::to_string(l.padding.amount) +
                       " is neither SAME nor VALID for this input, and TFLite has no other padding");
}

std::vector<float> floats(const std::vector<double> &v)
{
    return {v.begin(), v.end()};
}

/**
 * Weights [rows, columns] whose columns follow the network's channels-first flattening, reordered to TFLite's
 * channels-last flattening of `from` (identity for an input that was never spatial).
 */
std::vector<std::int8_t> channelsLastColumns(const std::vector<std::int8_t> &w, int rows, const Shape &from)
{
    if (from.height * from.width <= 1)
        return w;
    const std::size_t columns = std::size_t(from.elements());
    std::vector<std::int8_t> out(w.size());
    for (int r = 0; r < rows; ++r)
        for (int c = 0; c < from.channels; ++c)
            for (int y = 0; y < from.height; ++y)
                for (int x = 0; x < from.width; ++x)
                    out[std::size_t(r) * columns + std::size_t((y * from.width + x) * from.channels + c)] =
                        w[std::size_t(r) * columns + std::size_t((c * from.height + y) * from.width + x)];
    return out;
}

/** OIHW -> OHWI. */
std::vector<std::int8_t> ohwi(const std::vector<std::int8_t> &w, int o, int i, int h, int wd)
{
    std::vector<std::int8_t> out(w.size());
    for (int a = 0; a < o; ++a)
        for (int b = 0; b < i; ++b)
            for (int y = 0; y < h; ++y)
                for (int x = 0; x < wd; ++x)
                    out[std::size_t(((a * h + y) * wd + x) * i + b)] = w[std::size_t(((a * i + b) * h + y) * wd + x)];
    return out;
}

class TfliteExporter final : public Exporter
{
public:
    ExportFormat format() const override { return ExportFormat::Tflite; }
    std::string extension() const override { return "tflite"; }

    ExportOutput write(const IntegerModel &model, const ExportOptions &options) const override
    {
        const NetworkDescription &net = model.network();
        const std::vector<std::vector<int>> inputs = layerInputIndices(net);
        const std::vector<Shape> shapes = inferShapes(net, inputs);
        const std::vector<LayerQuantization> &lqs = model.layers();
        Writer w;

        const TensorRef input{w.activation("input", net.input, model.inputParams()), net.input, {}};
        w.graph->inputs = {input.index};
        std::vector<TensorRef> outputOf(net.layers.size());
        auto in = [&](std::size_t i, std::size_t k) {
            const int j = inputs[i][k];
            return j == kNetworkInput ? input : outputOf[std::size_t(j)];
        };
        int logits = -1, probabilities = -1;
        for (std::size_t i = 0; i < net.layers.size(); ++i) {
            const LayerSpec &l = net.layers[i];
            const LayerQuantization &q = lqs[i];
            const TensorRef src = in(i, 0);
            const Shape &o = shapes[i];
            if (l.activationBits < 8 && isLinear(l.type))
                w.warnings.push_back("layer " + l.name + ": " + std::to_string(l.activationBits) +
                                     "-bit activations stored as int8 with the full int8 clamp (TFLite has no "
                                     "narrower activations): outputs differ from the integer reference");
            if (isLinear(l.type) && l.weightBits < 8)
                w.warnings.push_back("layer " + l.name + ": " + std::to_string(l.weightBits) +
                                     "-bit weights stored as int8 (the plot's weight memory counts " +
                                     std::to_string(l.weightBits) + " bits each)");
            if (l.sparsity.pattern != SparsityPattern::None)
                w.warnings.push_back("layer " + l.name + ": " + std::string(toString(l.sparsity.pattern)) +
                                     " sparsity stored dense (TFLite int8 tensors are dense)");
            TensorRef out{-1, o, {}};
            switch (l.type) {
            case LayerType::Conv2d:
            case LayerType::DepthwiseConv2d:
                out.index = convolution(w, l, q, src, o);
                break;
            case LayerType::Dense:
                out.index =
                    dense(w, l, q.inputs[0].scale, src, o, q.weights, q.weightScales, q.bias, q.output, l.name, true);
                break;
            case LayerType::LowRank: {
                // Two 1x1 convolutions: V to the int8 intermediate, then U with the bias and the activation.
                const int r = q.factorShape.at(0);
                const std::vector<std::int32_t> noBias(std::size_t(r), 0);
                LayerSpec first = l;
                first.activation = Activation::None;
                const TensorRef mid{dense(w, first, q.inputs[0].scale, src, Shape{r, o.height, o.width},
                                          q.factorWeights, q.factorScales, noBias, q.intermediate, l.name + ":mid",
                                          false),
                                    Shape{r, o.height, o.width},
                                    {}};
                out.index = dense(w, l, q.intermediate.scale, mid, o, q.weights, q.weightScales, q.bias, q.output,
                                  l.name, true);
                break;
            }
            case LayerType::Kronecker:
                out.index = kronecker(w, l, q, src, o);
                break;
            case LayerType::MaxPool2d:
            case LayerType::AvgPool2d:
                out.index = pool(w, l, q, src, o);
                break;
            case LayerType::GlobalAvgPool: {
                // MEAN over height and width, keeping them (1 x 1): the output has its own quantisation, as the
                // reference's global pool (TFLite's converter writes global average pooling this way too).
                const int axes = w.tensor(l.name + ":axes", {2}, TensorType::INT32,
                                          w.buffer(std::vector<std::int32_t>{1, 2}), {}, {});
                tflite::ReducerOptionsT r;
                r.keep_dims = true;
                out.index = w.activation(l.name, o, q.output);
                w.op(BuiltinOperator::MEAN, {src.index, axes}, {out.index}, r);
                break;
            }
            case LayerType::Relu:
            case LayerType::Relu6: {
                // A 1x1 max pool with the activation fused: the same parameters in and out, as TFLite wants of
                // pools, and exactly the reference's clamp.
                tflite::Pool2DOptionsT p;
                p.padding = tflite::Padding::VALID;
                p.stride_w = p.stride_h = p.filter_width = p.filter_height = 1;
                p.fused_activation_function =
                    l.type == LayerType::Relu ? ActivationFunctionType::RELU : ActivationFunctionType::RELU6;
                out.index = w.activation(l.name, o, q.output);
                w.op(BuiltinOperator::MAX_POOL_2D, {src.index}, {out.index}, p);
                break;
            }
            case LayerType::Add:
                out.index = add(w, l, q, i, inputs, outputOf, input, o);
                break;
            case LayerType::Flatten: {
                tflite::ReshapeOptionsT r;
                r.new_shape = {1, 1, 1, int(o.elements())};
                out.index = w.activation(l.name, o, q.output);
                out.flattenedFrom = src.flattenedFrom.elements() > 0 ? src.flattenedFrom : src.shape;
                w.op(BuiltinOperator::RESHAPE, {src.index}, {out.index}, r);
                break;
            }
            case LayerType::Softmax: {
                tflite::SoftmaxOptionsT s;
                s.beta = 1.0f;
                // TFLite's int8 softmax requires exactly this output quantisation.
                out.index =
                    w.tensor(l.name, {1, o.height, o.width, o.channels}, TensorType::INT8, 0, {1.0f / 256.0f}, {-128});
                w.op(BuiltinOperator::SOFTMAX, {src.index}, {out.index}, s);
                logits = src.index;
                probabilities = out.index;
                break;
            }
            case LayerType::BatchNorm:
                unsupported(l, "an unfolded batch_norm cannot be exported");
            }
            outputOf[i] = out;
        }
        if (logits < 0)
            logits = outputOf.back().index;
        // The logits are an output in their own right: what the integer reference returns, and what the class is
        // taken from. A final softmax's probabilities come first, as TFLite users expect.
        w.graph->outputs = probabilities >= 0 ? std::vector<int>{probabilities, logits} : std::vector<int>{logits};
        w.graph->tensors[std::size_t(logits)]->name = "logits";

        ExportOutput result;
        result.warnings = std::move(w.warnings);
        std::sort(result.warnings.begin(), result.warnings.end());
        result.warnings.erase(std::unique(result.warnings.begin(), result.warnings.end()), result.warnings.end());
        std::string description = "Paretoscope int8 export";
        if (!options.source.empty())
            description += " of " + options.source;
        double weightBytes = 0;
        for (const auto &b : w.model.buffers)
            weightBytes += double(b->data.size());
        w.addMetadata(kWarningsMetadataName, joinedWarnings(result.warnings));
        result.files.push_back({options.baseName + ".tflite", w.finish(description)});
        result.figures = {{"buffer_bytes", weightBytes}};
        return result;
    }

private:
    static int convolution(Writer &w, const LayerSpec &l, const LayerQuantization &q, const TensorRef &src,
                           const Shape &o)
    {
        const bool depthwise = l.type == LayerType::DepthwiseConv2d;
        const Shape &in = src.shape;
        std::vector<std::int8_t> weights;
        std::vector<int> shape;
        if (depthwise) {
            // [C * m, 1, kh, kw] -> [1, kh, kw, C * m]
            weights.resize(q.weights.size());
            for (int c = 0; c < o.channels; ++c)
                for (int y = 0; y < l.kernelH; ++y)
                    for (int x = 0; x < l.kernelW; ++x)
                        weights[std::size_t((y * l.kernelW + x) * o.channels + c)] =
                            q.weights[std::size_t((c * l.kernelH + y) * l.kernelW + x)];
            shape = {1, l.kernelH, l.kernelW, o.channels};
        } else {
            weights = ohwi(q.weights, o.channels, in.channels, l.kernelH, l.kernelW);
            shape = {o.channels, l.kernelH, l.kernelW, in.channels};
        }
        const int weightTensor =
            w.tensor(l.name + ":weights", shape, TensorType::INT8, w.buffer(weights), floats(q.weightScales),
                     std::vector<std::int64_t>(q.weightScales.size(), 0), depthwise ? 3 : 0);
        const int biasTensor = bias(w, l.name, q.bias, q.inputs[0].scale, q.weightScales);
        const int out = w.activation(l.name, o, q.output);
        const tflite::Padding padding = paddingOf(l, in);
        if (depthwise) {
            tflite::DepthwiseConv2DOptionsT d;
            d.padding = padding;
            d.stride_w = l.strideW;
            d.stride_h = l.strideH;
            d.depth_multiplier = l.depthMultiplier;
            d.fused_activation_function = activationOf(l);
            w.op(BuiltinOperator::DEPTHWISE_CONV_2D, {src.index, weightTensor, biasTensor}, {out}, d);
        } else {
            tflite::Conv2DOptionsT c;
            c.padding = padding;
            c.stride_w = l.strideW;
            c.stride_h = l.strideH;
            c.fused_activation_function = activationOf(l);
            w.op(BuiltinOperator::CONV_2D, {src.index, weightTensor, biasTensor}, {out}, c);
        }
        return out;
    }

    /** int32 biases with scale input scale x weight scale per channel and zero point 0 (as ArmNN checks). */
    static int bias(Writer &w, const std::string &name, const std::vector<std::int32_t> &values, double inputScale,
                    const std::vector<double> &weightScales)
    {
        std::vector<float> scales;
        for (double s : weightScales)
            scales.push_back(float(inputScale * s));
        return w.tensor(name + ":bias", {int(values.size())}, TensorType::INT32, w.buffer(values), scales,
                        std::vector<std::int64_t>(values.size(), 0));
    }

    /**
     * A per-pixel product with `weights` [rows, C] as a 1x1 CONV_2D: dense layers (on 1 x 1 inputs), and the
     * stages of factorised layers. CONV_2D rather than FULLY_CONNECTED keeps the weights per channel, as the
     * integer reference quantises them (ArmNN 20.08 takes fully connected weights per tensor only).
     */
    static int dense(Writer &w, const LayerSpec &l, double inputScale, const TensorRef &src, const Shape &o,
                     const std::vector<std::int8_t> &weights, const std::vector<double> &scales,
                     const std::vector<std::int32_t> &biasValues, const QuantParams &outParams, const std::string &name,
                     bool withActivation)
    {
        const int rows = o.channels;
        const Shape from = src.flattenedFrom.elements() > 0 ? src.flattenedFrom : Shape{};
        const std::vector<std::int8_t> ordered =
            from.elements() > 0 ? channelsLastColumns(weights, rows, from) : weights;
        const int columns = src.shape.channels;
        const int weightTensor = w.tensor(name + ":weights", {rows, 1, 1, columns}, TensorType::INT8, w.buffer(ordered),
                                          floats(scales), std::vector<std::int64_t>(scales.size(), 0), 0);
        const int biasTensor = bias(w, name, biasValues, inputScale, scales);
        const int out = w.activation(name, o, outParams);
        tflite::Conv2DOptionsT c;
        c.padding = tflite::Padding::VALID;
        c.stride_w = c.stride_h = 1;
        c.fused_activation_function = withActivation ? activationOf(l) : ActivationFunctionType::NONE;
        w.op(BuiltinOperator::CONV_2D, {src.index, weightTensor, biasTensor}, {out}, c);
        return out;
    }

    /** No TFLite operator: the product A kron B, re-quantised per output channel, as one 1x1 convolution. */
    static int kronecker(Writer &w, const LayerSpec &l, const LayerQuantization &q, const TensorRef &src,
                         const Shape &o)
    {
        const ExpandedKronecker k = expandKronecker(l, q);
        w.warnings.push_back(k.warning);
        return dense(w, l, q.inputs[0].scale, src, o, k.weights, k.scales, k.bias, q.output, l.name, true);
    }

    static int pool(Writer &w, const LayerSpec &l, const LayerQuantization &q, const TensorRef &src, const Shape &o)
    {
        tflite::Pool2DOptionsT p;
        p.padding = paddingOf(l, src.shape);
        p.stride_w = l.strideW;
        p.stride_h = l.strideH;
        p.filter_height = l.kernelH;
        p.filter_width = l.kernelW;
        const int out = w.activation(l.name, o, q.output);
        w.op(l.type == LayerType::MaxPool2d ? BuiltinOperator::MAX_POOL_2D : BuiltinOperator::AVERAGE_POOL_2D,
             {src.index}, {out}, p);
        return out;
    }

    /** TFLite's ADD takes two inputs: more are added pairwise, each partial sum at the output's parameters. */
    static int add(Writer &w, const LayerSpec &l, const LayerQuantization &q, std::size_t i,
                   const std::vector<std::vector<int>> &inputs, const std::vector<TensorRef> &outputOf,
                   const TensorRef &input, const Shape &o)
    {
        auto in = [&](std::size_t k) {
            const int j = inputs[i][k];
            return j == kNetworkInput ? input.index : outputOf[std::size_t(j)].index;
        };
        if (inputs[i].size() > 2)
            w.warnings.push_back("layer " + l.name + ": an add of " + std::to_string(inputs[i].size()) +
                                 " inputs written as " + std::to_string(inputs[i].size() - 1) +
                                 " two-input ADDs: each partial sum is rounded");
        int sum = in(0);
        for (std::size_t k = 1; k < inputs[i].size(); ++k) {
            const bool last = k + 1 == inputs[i].size();
            tflite::AddOptionsT a;
            a.fused_activation_function = last ? activationOf(l) : ActivationFunctionType::NONE;
            const int out = w.activation(last ? l.name : l.name + ":partial" + std::to_string(k), o, q.output);
            w.op(BuiltinOperator::ADD, {sum, in(k)}, {out}, a);
            sum = out;
        }
        return sum;
    }
};

} // namespace

std::unique_ptr<Exporter> makeTfliteExporter()
{
    return std::make_unique<TfliteExporter>();
}

} // namespace psc
