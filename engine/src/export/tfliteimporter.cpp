// SPDX-License-Identifier: GPL-3.0-or-later
// The TFLite import: a verified flatbuffer (schema version 3) read through the code flatc generates from our schema
// subset, mapped onto the network description and, for int8 models, a TrainedModel. docs/formats/import.md.

#include "export/importers.h"

#include "psc/core/error.h"

#include <tflite_schema_generated.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <map>
#include <optional>
#include <tuple>

namespace psc {
namespace {

using tflite::ActivationFunctionType;
using tflite::BuiltinOperator;
using tflite::TensorType;

/** Names of the TFLite builtin operators up to MEAN (the published schema's enum), for messages. */
std::string operatorName(int code)
{
    static const std::array<const char *, 41> names = {"ADD",
                                                       "AVERAGE_POOL_2D",
                                                       "CONCATENATION",
                                                       "CONV_2D",
                                                       "DEPTHWISE_CONV_2D",
                                                       "DEPTH_TO_SPACE",
                                                       "DEQUANTIZE",
                                                       "EMBEDDING_LOOKUP",
                                                       "FLOOR",
                                                       "FULLY_CONNECTED",
                                                       "HASHTABLE_LOOKUP",
                                                       "L2_NORMALIZATION",
                                                       "L2_POOL_2D",
                                                       "LOCAL_RESPONSE_NORMALIZATION",
                                                       "LOGISTIC",
                                                       "LSH_PROJECTION",
                                                       "LSTM",
                                                       "MAX_POOL_2D",
                                                       "MUL",
                                                       "RELU",
                                                       "RELU_N1_TO_1",
                                                       "RELU6",
                                                       "RESHAPE",
                                                       "RESIZE_BILINEAR",
                                                       "RNN",
                                                       "SOFTMAX",
                                                       "SPACE_TO_DEPTH",
                                                       "SVDF",
                                                       "TANH",
                                                       "CONCAT_EMBEDDINGS",
                                                       "SKIP_GRAM",
                                                       "CALL",
                                                       "CUSTOM",
                                                       "EMBEDDING_LOOKUP_SPARSE",
                                                       "PAD",
                                                       "UNIDIRECTIONAL_SEQUENCE_RNN",
                                                       "GATHER",
                                                       "BATCH_TO_SPACE_ND",
                                                       "SPACE_TO_BATCH_ND",
                                                       "TRANSPOSE",
                                                       "MEAN"};
    if (code >= 0 && std::size_t(code) < names.size())
        return names[std::size_t(code)];
    if (code == 114)
        return "QUANTIZE";
    return "builtin operator " + std::to_string(code);
}

constexpr int kRelu = 19, kRelu6 = 21;

struct TensorInfo
{
    std::string producer = std::string(kNetworkInputName); ///< the layer whose value it holds
    Shape shape;
    Shape flattenedFrom; ///< a flat tensor made by flattening this spatial shape (channels last in TFLite)
};

class Reader
{
public:
    Reader(const tflite::ModelT &model, const std::string &file) : m_model(model), m_file(file)
    {
        if (model.subgraphs.size() != 1)
            fail("expected one subgraph, found " + std::to_string(model.subgraphs.size()));
        m_graph = model.subgraphs.front().get();
        if (!m_graph)
            fail("its subgraph is empty");
        m_info.resize(m_graph->tensors.size());
        m_readers.assign(m_graph->tensors.size(), 0);
        for (const auto &op : m_graph->operators)
            if (op)
                for (int t : op->inputs)
                    if (t >= 0 && std::size_t(t) < m_readers.size())
                        ++m_readers[std::size_t(t)];
    }

    ImportedModel read()
    {
        readInput();
        const auto &ops = m_graph->operators;
        for (m_op = 0; m_op < ops.size(); ++m_op) {
            const tflite::OperatorT *op = ops[m_op].get();
            if (!op)
                fail("operator " + std::to_string(m_op) + " is empty");
            const int code = opcode(*op);
            switch (code) {
            case int(BuiltinOperator::CONV_2D):
            case int(BuiltinOperator::DEPTHWISE_CONV_2D):
            case int(BuiltinOperator::FULLY_CONNECTED):
                weighted(*op, code);
                break;
            case int(BuiltinOperator::MAX_POOL_2D):
            case int(BuiltinOperator::AVERAGE_POOL_2D):
                pool(*op, code);
                break;
            case int(BuiltinOperator::MEAN):
                mean(*op);
                break;
            case int(BuiltinOperator::ADD):
                add(*op);
                break;
            case int(BuiltinOperator::RESHAPE):
                reshape(*op);
                break;
            case int(BuiltinOperator::SOFTMAX):
                simple(*op, LayerType::Softmax, "softmax");
                break;
            case kRelu:
                simple(*op, LayerType::Relu, "relu");
                break;
            case kRelu6:
                simple(*op, LayerType::Relu6, "relu6");
                break;
            default:
                fail("operator " + std::to_string(m_op) + " is " + operatorName(code) +
                     ", which Paretoscope cannot import (supported: ADD, AVERAGE_POOL_2D, CONV_2D, DEPTHWISE_CONV_2D, "
                     "FULLY_CONNECTED, MAX_POOL_2D, MEAN, RELU, RELU6, RESHAPE, SOFTMAX)");
            }
        }
        if (m_net.layers.empty())
            fail("it has no operators");
        return finishImport(m_net, m_fileShapes, m_notes, m_builder, m_float, m_file);
    }

private:
    const tflite::ModelT &m_model;
    std::string m_file;
    const tflite::SubGraphT *m_graph = nullptr;
    std::vector<TensorInfo> m_info;
    std::vector<int> m_readers;
    NetworkDescription m_net;
    std::vector<Shape> m_fileShapes;
    std::set<std::string> m_names;
    std::vector<std::string> m_notes;
    TrainedModelBuilder m_builder;
    bool m_float = false;
    std::size_t m_op = 0;

    [[noreturn]] void fail(const std::string &what) const { throw InputError(m_file + ": " + what); }

    std::string where() const { return "operator " + std::to_string(m_op); }

    int opcode(const tflite::OperatorT &op) const
    {
        if (op.opcode_index >= m_model.operator_codes.size() || !m_model.operator_codes[op.opcode_index])
            fail(where() + ": operator code " + std::to_string(op.opcode_index) + " out of range (the model has " +
                 std::to_string(m_model.operator_codes.size()) + ")");
        const tflite::OperatorCodeT &c = *m_model.operator_codes[op.opcode_index];
        if (!c.custom_code.empty())
            fail(where() + " is the custom operator \"" + c.custom_code + "\", which Paretoscope cannot import");
        // The first schema revisions have only the 8-bit field; readers take the larger of the two.
        return std::max(int(c.builtin_code), int(c.deprecated_builtin_code));
    }

    const tflite::TensorT &tensor(int index, const std::string &role) const
    {
        if (index < 0 || std::size_t(index) >= m_graph->tensors.size() || !m_graph->tensors[std::size_t(index)])
            fail(where() + ": its " + role + " is tensor " + std::to_string(index) +
                 ", out of range (the subgraph has " + std::to_string(m_graph->tensors.size()) + " tensors)");
        return *m_graph->tensors[std::size_t(index)];
    }

    int input(const tflite::OperatorT &op, std::size_t k, const std::string &role) const
    {
        if (k >= op.inputs.size())
            fail(where() + ": expected a " + role + " (input " + std::to_string(k) + "), it has " +
                 std::to_string(op.inputs.size()) + " inputs");
        tensor(op.inputs[k], role);
        return op.inputs[k];
    }

    int output(const tflite::OperatorT &op) const
    {
        if (op.outputs.size() != 1)
            fail(where() + ": expected one output, it has " + std::to_string(op.outputs.size()));
        tensor(op.outputs[0], "output");
        return op.outputs[0];
    }

    /** NHWC [1, H, W, C], [1, N] or [N] as C x H x W. */
    Shape shapeOf(const tflite::TensorT &t, const std::string &role) const
    {
        const std::vector<int> &s = t.shape;
        std::int64_t count = 1;
        for (int d : s) {
            if (d <= 0 || d > (1 << 24))
                fail(where() + ": " + role + " \"" + t.name + "\" has dimension " + std::to_string(d));
            count *= d;
            if (count > (std::int64_t(1) << 31))
                fail(where() + ": " + role + " \"" + t.name + "\" has more than 2^31 values");
        }
        if (s.size() == 4 && s[0] == 1)
            return {s[3], s[1], s[2]};
        if (s.size() == 2 && s[0] == 1)
            return {s[1], 1, 1};
        if (s.size() == 1)
            return {s[0], 1, 1};
        std::string text;
        for (int d : s)
            text += (text.empty() ? "" : ", ") + std::to_string(d);
        fail(where() + ": " + role + " \"" + t.name + "\" has shape [" + text +
             "]; expected [1, H, W, C] or [1, N] (batch 1)");
    }

    const TensorInfo &value(int index, const std::string &role)
    {
        const tflite::TensorT &t = tensor(index, role);
        TensorInfo &info = m_info[std::size_t(index)];
        if (info.shape.elements() == 0) {
            if (index != m_graph->inputs.front())
                fail(where() + ": its " + role + " \"" + t.name +
                     "\" is neither the model's input nor written by an earlier operator");
            info.shape = shapeOf(t, role);
        }
        return info;
    }

    /** Scale and zero point of an activation tensor (per tensor). */
    std::pair<double, std::int64_t> params(const tflite::TensorT &t, const std::string &role) const
    {
        const tflite::QuantizationParametersT *q = t.quantization.get();
        if (!q || q->scale.size() != 1 || q->zero_point.size() != 1)
            fail(where() + ": " + role + " \"" + t.name + "\" needs one scale and one zero point (int8, per tensor)");
        return {double(q->scale[0]), q->zero_point[0]};
    }

    template <typename T> std::vector<T> constant(int index, const std::string &role, std::int64_t elements) const
    {
        const tflite::TensorT &t = tensor(index, role);
        if (t.buffer >= m_model.buffers.size() || !m_model.buffers[t.buffer])
            fail(where() + ": " + role + " \"" + t.name + "\" names buffer " + std::to_string(t.buffer) +
                 ", out of range");
        const std::vector<std::uint8_t> &data = m_model.buffers[t.buffer]->data;
        if (std::int64_t(data.size()) != elements * std::int64_t(sizeof(T)))
            fail(where() + ": " + role + " \"" + t.name + "\" holds " + std::to_string(data.size()) +
                 " bytes, expected " + std::to_string(elements * std::int64_t(sizeof(T))) + " (" +
                 std::to_string(elements) + " values)");
        std::vector<T> out(static_cast<std::size_t>(elements));
        if (elements > 0)
            std::memcpy(out.data(), data.data(), data.size());
        return out;
    }

    void readInput()
    {
        if (m_graph->inputs.size() != 1)
            fail("expected one model input, found " + std::to_string(m_graph->inputs.size()));
        const int index = m_graph->inputs.front();
        const tflite::TensorT &t = tensor(index, "model input");
        m_net.input = shapeOf(t, "the model input");
        m_info[std::size_t(index)].shape = m_net.input;
        if (t.type == TensorType::FLOAT32) {
            m_float = true;
        } else if (t.type == TensorType::INT8) {
            const auto [scale, zp] = params(t, "the model input");
            m_builder.input(scale, zp);
            m_builder.range(std::string(kNetworkInputName), scale, zp);
        } else {
            fail("the model input \"" + t.name + "\" is " + tflite::EnumNameTensorType(t.type) +
                 "; expected INT8 (or FLOAT32 for a description only)");
        }
    }

    LayerSpec &addLayer(LayerType type, const std::string &name, std::vector<std::string> inputs, int outputTensor,
                        Shape fileShape)
    {
        LayerSpec l;
        l.type = type;
        l.name = uniqueLayerName(name, m_names);
        l.inputs = std::move(inputs);
        m_net.layers.push_back(l);
        m_fileShapes.push_back(fileShape);
        TensorInfo &info = m_info[std::size_t(outputTensor)];
        info.producer = m_net.layers.back().name;
        info.shape = fileShape;
        return m_net.layers.back();
    }

    Activation activation(ActivationFunctionType f) const
    {
        switch (f) {
        case ActivationFunctionType::NONE:
            return Activation::None;
        case ActivationFunctionType::RELU:
            return Activation::Relu;
        case ActivationFunctionType::RELU6:
            return Activation::Relu6;
        default:
            fail(where() + ": fused activation " + tflite::EnumNameActivationFunctionType(f) +
                 " is not supported (NONE, RELU, RELU6)");
        }
    }

    void checkType(const tflite::TensorT &t, TensorType want, const std::string &role) const
    {
        const TensorType expected = m_float ? TensorType::FLOAT32 : want;
        if (t.type != expected)
            fail(where() + ": " + role + " \"" + t.name + "\" is " + tflite::EnumNameTensorType(t.type) +
                 ", expected " + tflite::EnumNameTensorType(expected));
    }

    std::string stem(const std::string &name, const std::string &suffix) const
    {
        return name.size() > suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0
                   ? name.substr(0, name.size() - suffix.size())
                   : std::string();
    }

    /** The weights of a CONV_2D / DEPTHWISE_CONV_2D / FULLY_CONNECTED in the network's layout, with their scales. */
    IntWeights weightsOf(int index, int code, const Shape &in, const TensorInfo &src, int &outC, int &kh, int &kw)
    {
        const tflite::TensorT &t = tensor(index, "weights");
        checkType(t, TensorType::INT8, "weights");
        const std::vector<int> &s = t.shape;
        const bool fc = code == int(BuiltinOperator::FULLY_CONNECTED);
        if ((fc && s.size() != 2) || (!fc && s.size() != 4))
            fail(where() + ": weights \"" + t.name + "\" have rank " + std::to_string(s.size()) + ", expected " +
                 (fc ? "2 [out, in]" : "4"));
        std::int64_t elements = 1;
        for (int d : s) {
            if (d <= 0 || d > (1 << 24))
                fail(where() + ": weights \"" + t.name + "\" have dimension " + std::to_string(d));
            elements *= d;
            if (elements > (std::int64_t(1) << 31))
                fail(where() + ": weights \"" + t.name + "\" have more than 2^31 values");
        }
        IntWeights w;
        std::vector<std::int8_t> raw;
        std::vector<float> floats;
        if (m_float)
            floats = constant<float>(index, "weights", elements);
        else
            raw = constant<std::int8_t>(index, "weights", elements);
        if (m_float) // the description needs shapes only; keep the values' signs for nothing
            raw.assign(std::size_t(elements), 0);
        w.values.resize(raw.size());
        if (code == int(BuiltinOperator::DEPTHWISE_CONV_2D)) {
            // [1, kh, kw, C * m] -> [C * m, 1, kh, kw]
            outC = s[3], kh = s[1], kw = s[2];
            for (int c = 0; c < outC; ++c)
                for (int y = 0; y < kh; ++y)
                    for (int x = 0; x < kw; ++x)
                        w.values[std::size_t((c * kh + y) * kw + x)] = raw[std::size_t((y * kw + x) * outC + c)];
            w.shape = {outC, 1, kh, kw};
        } else if (fc || (s[1] == 1 && s[2] == 1 && in.isFlat())) {
            // [out, in] (or a 1x1 CONV_2D on 1 x 1, as Paretoscope writes dense): columns channels last.
            outC = s[0], kh = kw = 1;
            const int columns = int(elements / outC);
            if (columns != in.elements())
                fail(where() + ": weights \"" + t.name + "\" take " + std::to_string(columns) +
                     " inputs, but the input has " + std::to_string(in.elements()));
            const Shape from = src.flattenedFrom.elements() > 0 ? src.flattenedFrom : in;
            for (int r = 0; r < outC; ++r)
                for (int c = 0; c < from.channels; ++c)
                    for (int y = 0; y < from.height; ++y)
                        for (int x = 0; x < from.width; ++x)
                            w.values[std::size_t(r) * std::size_t(columns) +
                                     std::size_t((c * from.height + y) * from.width + x)] =
                                raw[std::size_t(r) * std::size_t(columns) +
                                    std::size_t((y * from.width + x) * from.channels + c)];
            w.shape = {outC, columns};
        } else {
            // OHWI -> OIHW
            outC = s[0], kh = s[1], kw = s[2];
            const int i = s[3];
            if (i != in.channels)
                fail(where() + ": weights \"" + t.name + "\" take " + std::to_string(i) +
                     " input channels, the input has " + std::to_string(in.channels));
            for (int a = 0; a < outC; ++a)
                for (int b = 0; b < i; ++b)
                    for (int y = 0; y < kh; ++y)
                        for (int x = 0; x < kw; ++x)
                            w.values[std::size_t(((a * i + b) * kh + y) * kw + x)] =
                                raw[std::size_t(((a * kh + y) * kw + x) * i + b)];
            w.shape = {outC, i, kh, kw};
        }
        if (!m_float) {
            const tflite::QuantizationParametersT *q = t.quantization.get();
            if (!q || q->scale.empty())
                fail(where() + ": weights \"" + t.name + "\" have no quantisation scales");
            const int dim = code == int(BuiltinOperator::DEPTHWISE_CONV_2D) ? 3 : 0;
            if (q->scale.size() != 1 && (q->scale.size() != std::size_t(outC) || q->quantized_dimension != dim))
                fail(where() + ": weights \"" + t.name + "\" have " + std::to_string(q->scale.size()) +
                     " scales along dimension " + std::to_string(q->quantized_dimension) + "; expected 1 or " +
                     std::to_string(outC) + " along dimension " + std::to_string(dim));
            for (const std::int64_t zp : q->zero_point)
                if (zp != 0)
                    fail(where() + ": weights \"" + t.name + "\" have zero point " + std::to_string(zp) +
                         "; expected symmetric int8 weights (zero point 0)");
            for (int c = 0; c < outC; ++c) {
                const double s0 = q->scale[q->scale.size() == 1 ? 0 : std::size_t(c)];
                if (!(s0 > 0.0) || !std::isfinite(s0))
                    fail(where() + ": weights \"" + t.name + "\" have scale " + std::to_string(s0) + " for channel " +
                         std::to_string(c));
                w.scales.push_back(s0);
            }
        }
        return w;
    }

    std::vector<std::int32_t> biasOf(const tflite::OperatorT &op, int outC, double inputScale, const IntWeights &w)
    {
        if (op.inputs.size() < 3 || op.inputs[2] < 0)
            return {};
        const tflite::TensorT &t = tensor(op.inputs[2], "bias");
        if (m_float) {
            constant<float>(op.inputs[2], "bias", outC);
            return {};
        }
        checkType(t, TensorType::INT32, "bias");
        std::vector<std::int32_t> b = constant<std::int32_t>(op.inputs[2], "bias", outC);
        if (const tflite::QuantizationParametersT *q = t.quantization.get(); q && !q->scale.empty())
            for (int c = 0; c < outC; ++c) {
                const double want = inputScale * w.scales[std::size_t(c)];
                const double got = q->scale[q->scale.size() == 1 ? 0 : std::size_t(c) % q->scale.size()];
                if (std::abs(got - want) > 1e-6 * want)
                    m_builder.refuse("bias \"" + t.name + "\" has scale " + std::to_string(got) + " for channel " +
                                     std::to_string(c) + ", not input scale x weight scale " + std::to_string(want));
            }
        return b;
    }

    void weighted(const tflite::OperatorT &op, int code)
    {
        const int x = input(op, 0, "input");
        const TensorInfo src = value(x, "input");
        const int outIndex = output(op);
        const tflite::TensorT &out = tensor(outIndex, "output");
        const Shape outShape = shapeOf(out, "output");
        const tflite::TensorT &wt = tensor(input(op, 1, "weights"), "weights");
        checkType(out, TensorType::INT8, "output");

        int outC = 0, kh = 1, kw = 1;
        const IntWeights w = weightsOf(op.inputs[1], code, src.shape, src, outC, kh, kw);
        ActivationFunctionType act = ActivationFunctionType::NONE;
        int strideH = 1, strideW = 1, multiplier = 1;
        tflite::Padding padding = tflite::Padding::VALID;
        if (code == int(BuiltinOperator::CONV_2D)) {
            const auto *o = op.builtin_options.AsConv2DOptions();
            if (!o)
                fail(where() + ": CONV_2D without Conv2DOptions");
            if (o->dilation_h_factor != 1 || o->dilation_w_factor != 1)
                fail(where() + ": dilated convolutions are not supported");
            act = o->fused_activation_function, strideH = o->stride_h, strideW = o->stride_w, padding = o->padding;
        } else if (code == int(BuiltinOperator::DEPTHWISE_CONV_2D)) {
            const auto *o = op.builtin_options.AsDepthwiseConv2DOptions();
            if (!o)
                fail(where() + ": DEPTHWISE_CONV_2D without DepthwiseConv2DOptions");
            if (o->dilation_h_factor != 1 || o->dilation_w_factor != 1)
                fail(where() + ": dilated convolutions are not supported");
            act = o->fused_activation_function, strideH = o->stride_h, strideW = o->stride_w, padding = o->padding;
            multiplier = src.shape.channels > 0 ? outC / src.shape.channels : 0;
            if (multiplier < 1 || multiplier * src.shape.channels != outC)
                fail(where() + ": depthwise weights for " + std::to_string(outC) + " channels on an input of " +
                     std::to_string(src.shape.channels));
        } else if (const auto *o = op.builtin_options.AsFullyConnectedOptions()) {
            act = o->fused_activation_function;
        }
        if (strideH < 1 || strideW < 1 || strideH > 64 || strideW > 64)
            fail(where() + ": strides " + std::to_string(strideH) + "x" + std::to_string(strideW));

        std::string name = stem(wt.name, ":weights");
        if (name.empty())
            name = out.name.empty() ? "layer" + std::to_string(m_net.layers.size()) : out.name;
        const bool dense = kh == 1 && kw == 1 && w.shape.size() == 2;
        std::vector<std::string> inputs = {src.producer};
        if (dense && !src.shape.isFlat()) {
            // FULLY_CONNECTED on a spatial tensor flattens it (channels last, which the weights were reordered for).
            LayerSpec fl;
            fl.type = LayerType::Flatten;
            fl.name = uniqueLayerName(name + "_flatten", m_names);
            fl.inputs = inputs;
            m_net.layers.push_back(fl);
            m_fileShapes.push_back({int(src.shape.elements()), 1, 1});
            inputs = {fl.name};
        }

        double inScale = 0.0;
        std::int64_t inZp = 0;
        if (!m_float)
            std::tie(inScale, inZp) = params(tensor(x, "input"), "input");
        const std::vector<std::int32_t> bias = biasOf(op, outC, inScale, w);

        // Paretoscope's low_rank: "<name>:mid" (V, no bias, no activation) read only by "<name>" (U).
        const std::string lowRank = stem(out.name, ":mid");
        if (!lowRank.empty() && m_readers[std::size_t(outIndex)] == 1 && kh == 1 && kw == 1 &&
            code == int(BuiltinOperator::CONV_2D) && act == ActivationFunctionType::NONE) {
            Pending f{w, outIndex, inputs};
            if (!m_float)
                std::tie(f.scale, f.zeroPoint) = params(out, "output");
            m_pendingFactor = std::move(f);
            m_info[std::size_t(outIndex)].shape = outShape;
            m_info[std::size_t(outIndex)].producer = src.producer;
            return;
        }
        LayerSpec *l = nullptr;
        if (m_pendingFactor && m_pendingFactor->tensor == x && kh == 1 && kw == 1) {
            // The second factor of a low_rank layer.
            const Pending f = *m_pendingFactor;
            m_pendingFactor.reset();
            l = &addLayer(LayerType::LowRank, name, f.inputs, outIndex, outShape);
            l->outChannels = outC;
            l->rank = int(f.weights.shape[0]);
            l->weightBits = std::max(weightBitsOf(w.values), weightBitsOf(f.weights.values));
            IntWeights v = f.weights;
            v.shape = {int(f.weights.shape[0]), int(f.weights.values.size() / std::size_t(f.weights.shape[0]))};
            IntWeights u = w;
            u.shape = {outC, l->rank};
            if (!m_float) {
                m_builder.range(l->name + ":mid", f.scale, f.zeroPoint);
                m_builder.weights(l->name, u, bias, f.scale, &v);
            }
        } else {
            if (m_pendingFactor)
                refuseDanglingFactor();
            const LayerType type = dense ? LayerType::Dense
                                         : (code == int(BuiltinOperator::DEPTHWISE_CONV_2D) ? LayerType::DepthwiseConv2d
                                                                                            : LayerType::Conv2d);
            l = &addLayer(type, name, inputs, outIndex, outShape);
            l->outChannels = type == LayerType::DepthwiseConv2d ? 0 : outC;
            l->depthMultiplier = multiplier;
            if (type != LayerType::Dense) {
                l->kernelH = kh, l->kernelW = kw, l->strideH = strideH, l->strideW = strideW;
                l->padding.mode = padding == tflite::Padding::SAME ? PaddingMode::Same : PaddingMode::Valid;
            }
            l->weightBits = m_float ? 8 : weightBitsOf(w.values);
            if (!m_float)
                m_builder.weights(l->name, w, bias, inScale);
        }
        l->bias = !bias.empty() || m_float;
        l->activation = activation(act);
        if (!m_float) {
            const auto [s, zp] = params(out, "output");
            m_builder.range(l->name, s, zp);
        }
    }

    /** The first factor of a low_rank layer, waiting for its second: V, its output tensor and its parameters. */
    struct Pending
    {
        IntWeights weights;
        int tensor = -1;
        std::vector<std::string> inputs;
        double scale = 0.0;
        std::int64_t zeroPoint = 0;
    };
    std::optional<Pending> m_pendingFactor;

    [[noreturn]] void refuseDanglingFactor() const
    {
        fail(where() + ": tensor \"" + tensor(m_pendingFactor->tensor, "intermediate").name +
             "\" looks like the intermediate of a low_rank layer but is not followed by its second factor");
    }

    /** Pools, relu written as a 1x1 max pool, and the global average pool written as a full-plane average pool. */
    void pool(const tflite::OperatorT &op, int code)
    {
        const int x = input(op, 0, "input");
        const TensorInfo src = value(x, "input");
        const int outIndex = output(op);
        const tflite::TensorT &out = tensor(outIndex, "output");
        const Shape outShape = shapeOf(out, "output");
        const auto *o = op.builtin_options.AsPool2DOptions();
        if (!o)
            fail(where() + ": " + operatorName(code) + " without Pool2DOptions");
        if (o->filter_height < 1 || o->filter_width < 1 || o->stride_h < 1 || o->stride_w < 1 ||
            o->filter_height > 4096 || o->filter_width > 4096 || o->stride_h > 64 || o->stride_w > 64)
            fail(where() + ": pool window " + std::to_string(o->filter_height) + "x" + std::to_string(o->filter_width) +
                 " with strides " + std::to_string(o->stride_h) + "x" + std::to_string(o->stride_w));
        const bool max = code == int(BuiltinOperator::MAX_POOL_2D);
        const bool unit = o->filter_height == 1 && o->filter_width == 1 && o->stride_h == 1 && o->stride_w == 1;
        if (max && unit && o->fused_activation_function != ActivationFunctionType::NONE) {
            const Activation a = activation(o->fused_activation_function);
            addLayer(a == Activation::Relu ? LayerType::Relu : LayerType::Relu6, out.name, {src.producer}, outIndex,
                     outShape);
            return;
        }
        if (o->fused_activation_function != ActivationFunctionType::NONE)
            fail(where() + ": a pool with a fused activation is not supported");
        // An AVERAGE_POOL_2D over the whole plane (as exports before 2026-12 wrote global pools) stays an average
        // pool: it keeps its input's parameters and divides exactly, unlike the requantising MEAN.
        sameParameters(x, out);
        LayerSpec &l =
            addLayer(max ? LayerType::MaxPool2d : LayerType::AvgPool2d, out.name, {src.producer}, outIndex, outShape);
        l.kernelH = o->filter_height, l.kernelW = o->filter_width, l.strideH = o->stride_h, l.strideW = o->stride_w;
        l.padding.mode = o->padding == tflite::Padding::SAME ? PaddingMode::Same : PaddingMode::Valid;
    }

    /** Layers that keep their input's quantisation in the integer reference. */
    void sameParameters(int in, const tflite::TensorT &out)
    {
        if (m_float)
            return;
        const auto a = params(tensor(in, "input"), "input");
        const auto b = params(out, "output");
        if (std::abs(a.first - b.first) > 1e-6 * a.first || a.second != b.second)
            m_builder.refuse(where() + " (" + out.name +
                             ") requantises its output; Paretoscope's integer reference keeps the input's parameters "
                             "through pools, reshapes and activations");
    }

    void mean(const tflite::OperatorT &op)
    {
        const int x = input(op, 0, "input");
        const TensorInfo src = value(x, "input");
        const int axesIndex = input(op, 1, "axes");
        const tflite::TensorT &axesTensor = tensor(axesIndex, "axes");
        if (axesTensor.type != TensorType::INT32 || axesTensor.shape.size() != 1 || axesTensor.shape[0] != 2)
            fail(where() + ": MEAN axes must be a constant int32 [2]");
        std::vector<std::int32_t> axes = constant<std::int32_t>(axesIndex, "axes", 2);
        std::sort(axes.begin(), axes.end());
        if (axes != std::vector<std::int32_t>{1, 2})
            fail(where() + ": MEAN over axes " + std::to_string(axes[0]) + ", " + std::to_string(axes[1]) +
                 "; only the mean over height and width (1, 2) is supported");
        const int outIndex = output(op);
        const tflite::TensorT &out = tensor(outIndex, "output");
        addGlobalPool(out, src, outIndex, shapeOf(out, "output"));
    }

    /** A global average pool (MEAN, or an AVERAGE_POOL_2D over the whole plane): its output has its own
     *  quantisation, as in the integer reference. */
    void addGlobalPool(const tflite::TensorT &out, const TensorInfo &src, int outIndex, const Shape &outShape)
    {
        const std::string name = addLayer(LayerType::GlobalAvgPool, out.name, {src.producer}, outIndex, outShape).name;
        if (!m_float) {
            const auto [s, zp] = params(out, "output");
            m_builder.range(name, s, zp);
        }
    }

    void add(const tflite::OperatorT &op)
    {
        const TensorInfo a = value(input(op, 0, "first input"), "first input");
        const TensorInfo b = value(input(op, 1, "second input"), "second input");
        if (!(a.shape == b.shape))
            fail(where() + ": ADD of " + toString(a.shape) + " and " + toString(b.shape) +
                 " (broadcasting is not supported)");
        const int outIndex = output(op);
        const tflite::TensorT &out = tensor(outIndex, "output");
        const auto *o = op.builtin_options.AsAddOptions();
        const Activation act = activation(o ? o->fused_activation_function : ActivationFunctionType::NONE);
        // Paretoscope writes an add of n inputs as a chain of ADDs through "<name>:partial<k>" tensors.
        const std::string partial = out.name.substr(0, out.name.rfind(":partial"));
        std::vector<std::string> inputs = {a.producer, b.producer};
        if (!m_net.layers.empty() && m_chainTensor == op.inputs[0] && m_net.layers.back().type == LayerType::Add) {
            LayerSpec &chained = m_net.layers.back();
            chained.inputs.push_back(b.producer);
            chained.activation = act;
            m_info[std::size_t(outIndex)].producer = chained.name;
            m_info[std::size_t(outIndex)].shape = shapeOf(out, "output");
            m_chainTensor = out.name.find(":partial") != std::string::npos ? outIndex : -1;
            if (m_chainTensor < 0 && !m_float) {
                const auto [s, zp] = params(out, "output");
                m_builder.range(chained.name, s, zp);
            }
            return;
        }
        const bool isPartial = out.name.find(":partial") != std::string::npos && m_readers[std::size_t(outIndex)] == 1;
        LayerSpec &l =
            addLayer(LayerType::Add, isPartial ? partial : out.name, inputs, outIndex, shapeOf(out, "output"));
        l.activation = act;
        m_chainTensor = isPartial ? outIndex : -1;
        if (!m_float) {
            const auto [s, zp] = params(out, "output");
            m_builder.range(l.name, s, zp);
        }
    }
    int m_chainTensor = -1;

    void reshape(const tflite::OperatorT &op)
    {
        const int x = input(op, 0, "input");
        const TensorInfo src = value(x, "input");
        const int outIndex = output(op);
        const tflite::TensorT &out = tensor(outIndex, "output");
        const Shape outShape = shapeOf(out, "output");
        if (!outShape.isFlat() || outShape.elements() != src.shape.elements())
            fail(where() + ": RESHAPE from " + toString(src.shape) + " to " + toString(outShape) +
                 "; only flattening (to [1, N] or [1, 1, 1, N]) is supported");
        sameParameters(x, out);
        addLayer(LayerType::Flatten, out.name, {src.producer}, outIndex, outShape);
        m_info[std::size_t(outIndex)].flattenedFrom = src.flattenedFrom.elements() > 0 ? src.flattenedFrom : src.shape;
    }

    void simple(const tflite::OperatorT &op, LayerType type, const char *what)
    {
        const int x = input(op, 0, "input");
        const TensorInfo src = value(x, "input");
        const int outIndex = output(op);
        const tflite::TensorT &out = tensor(outIndex, "output");
        if (type != LayerType::Softmax)
            sameParameters(x, out);
        addLayer(type, out.name.empty() ? what : out.name, {src.producer}, outIndex, shapeOf(out, "output"));
        m_info[std::size_t(outIndex)].flattenedFrom = src.flattenedFrom;
    }
};

} // namespace

ImportedModel importTflite(const std::string &bytes, const std::string &displayName)
{
    const auto *data = reinterpret_cast<const std::uint8_t *>(bytes.data());
    if (bytes.size() < 8 || !tflite::ModelBufferHasIdentifier(data))
        throw InputError(displayName + ": not a TFLite model (no \"TFL3\" file identifier at byte 4)");
    flatbuffers::Verifier verifier(data, bytes.size(), 64, 10000000);
    if (!tflite::VerifyModelBuffer(verifier))
        throw InputError(
            displayName +
            ": the TFLite flatbuffer is damaged or truncated (it does not verify against schema version 3)");
    const std::unique_ptr<tflite::ModelT> model(tflite::GetModel(data)->UnPack());
    if (model->version != 3)
        throw InputError(displayName + ": TFLite schema version " + std::to_string(model->version) + ", expected 3");
    return Reader(*model, displayName).read();
}

} // namespace psc
