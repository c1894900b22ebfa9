// SPDX-License-Identifier: GPL-3.0-or-later
// The ONNX import: a ModelProto parsed with libonnx's generated protobuf classes, in the QLinear form Paretoscope
// exports (QLinearConv, com.microsoft QLinearAdd, float islands between DequantizeLinear and QuantizeLinear) or as a
// float graph (a description only). docs/formats/import.md.

#include "export/importers.h"

#include "psc/core/error.h"
#include "psc/net/window.h"

#include <onnx/onnx_pb.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>
#include <map>
#include <optional>

namespace psc {
namespace {

/** A value of the graph: which layer holds it, its shape, int8 parameters if quantised. */
struct Value
{
    std::string producer = std::string(kNetworkInputName);
    Shape shape;
    bool quantized = false;
    double scale = 0.0;
    std::int64_t zeroPoint = 0;
    std::string island; ///< a float value dequantised from this quantised tensor (the island's input)
    int readers = 0;
};

std::string stripSuffix(const std::string &s, const std::string &suffix)
{
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0
               ? s.substr(0, s.size() - suffix.size())
               : s;
}

bool endsWith(const std::string &s, const std::string &suffix)
{
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

/** Paretoscope names tensors "l<index>_<layer>": the layer's name back (else the tensor's own). */
std::string layerNameOf(const std::string &tensor)
{
    std::string base = stripSuffix(stripSuffix(tensor, "_quantized"), "_float");
    if (base.size() > 2 && base[0] == 'l' && std::isdigit(static_cast<unsigned char>(base[1]))) {
        const std::size_t underscore = base.find('_');
        if (underscore != std::string::npos &&
            std::all_of(base.begin() + 1, base.begin() + std::ptrdiff_t(underscore),
                        [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }))
            return base.substr(underscore + 1);
    }
    return base;
}

class Reader
{
public:
    Reader(const onnx::ModelProto &model, const std::string &file) : m_graph(model.graph()), m_file(file)
    {
        for (const onnx::TensorProto &t : m_graph.initializer())
            m_initializers[t.name()] = &t;
        for (const onnx::NodeProto &n : m_graph.node())
            for (const std::string &i : n.input())
                ++m_readers[i];
    }

    ImportedModel read()
    {
        readInput();
        for (m_node = 0; m_node < std::size_t(m_graph.node_size()); ++m_node)
            node(m_graph.node(int(m_node)));
        if (m_net.layers.empty())
            fail("the graph has no layers Paretoscope knows");
        return finishImport(m_net, m_fileShapes, m_notes, m_builder, m_float, m_file);
    }

private:
    const onnx::GraphProto &m_graph;
    std::string m_file;
    std::map<std::string, const onnx::TensorProto *> m_initializers;
    std::map<std::string, int> m_readers;
    std::map<std::string, Value> m_values;
    NetworkDescription m_net;
    std::vector<Shape> m_fileShapes;
    std::set<std::string> m_names;
    std::vector<std::string> m_notes;
    TrainedModelBuilder m_builder;
    bool m_float = true;
    std::size_t m_node = 0;

    struct PendingFactor
    {
        IntWeights weights;
        std::string tensor;
        std::vector<std::string> inputs;
        double scale = 0.0;
        std::int64_t zeroPoint = 0;
    };
    std::optional<PendingFactor> m_factor;
    std::string m_chain; ///< the output of a QLinearAdd that continues into the next one ("..._partial<k>")

    [[noreturn]] void fail(const std::string &what) const { throw InputError(m_file + ": " + what); }

    std::string where(const onnx::NodeProto &n) const
    {
        return "node " + std::to_string(m_node) + " (" + n.op_type() +
               (n.name().empty() ? "" : " \"" + n.name() + "\"") + ")";
    }

    const onnx::TensorProto &initializer(const onnx::NodeProto &n, int k, const std::string &role) const
    {
        if (k >= n.input_size())
            fail(where(n) + ": expected a " + role + " (input " + std::to_string(k) + ")");
        const auto it = m_initializers.find(n.input(k));
        if (it == m_initializers.end())
            fail(where(n) + ": its " + role + " \"" + n.input(k) + "\" must be a constant initializer");
        return *it->second;
    }

    template <typename T>
    std::vector<T> data(const onnx::TensorProto &t, std::int64_t expected, const std::string &role,
                        const onnx::NodeProto &n) const
    {
        std::vector<T> out;
        if (!t.raw_data().empty()) {
            if (t.raw_data().size() != std::size_t(expected) * sizeof(T))
                fail(where(n) + ": " + role + " \"" + t.name() + "\" holds " + std::to_string(t.raw_data().size()) +
                     " bytes, expected " + std::to_string(std::size_t(expected) * sizeof(T)));
            out.resize(std::size_t(expected));
            std::memcpy(out.data(), t.raw_data().data(), t.raw_data().size());
            return out;
        }
        if constexpr (std::is_same_v<T, float>)
            out.assign(t.float_data().begin(), t.float_data().end());
        else if constexpr (std::is_same_v<T, std::int64_t>)
            out.assign(t.int64_data().begin(), t.int64_data().end());
        else
            for (const std::int32_t v : t.int32_data())
                out.push_back(T(v));
        if (std::int64_t(out.size()) != expected)
            fail(where(n) + ": " + role + " \"" + t.name() + "\" holds " + std::to_string(out.size()) +
                 " values, expected " + std::to_string(expected));
        return out;
    }

    std::int64_t elements(const onnx::TensorProto &t, const onnx::NodeProto &n, const std::string &role) const
    {
        std::int64_t e = 1;
        for (const std::int64_t d : t.dims()) {
            if (d < 0 || d > (1 << 24))
                fail(where(n) + ": " + role + " \"" + t.name() + "\" has dimension " + std::to_string(d));
            e *= d;
            if (e > (std::int64_t(1) << 31))
                fail(where(n) + ": " + role + " \"" + t.name() + "\" is too large");
        }
        return e;
    }

    double scalarScale(const onnx::NodeProto &n, int k) const
    {
        const onnx::TensorProto &t = initializer(n, k, "scale");
        if (t.data_type() != onnx::TensorProto_DataType_FLOAT || elements(t, n, "scale") != 1)
            fail(where(n) + ": scale \"" + t.name() + "\" must be one float");
        const double s = data<float>(t, 1, "scale", n)[0];
        if (!(s > 0.0) || !std::isfinite(s))
            fail(where(n) + ": scale \"" + t.name() + "\" is " + std::to_string(s));
        return s;
    }

    std::int64_t scalarZeroPoint(const onnx::NodeProto &n, int k) const
    {
        const onnx::TensorProto &t = initializer(n, k, "zero point");
        if (t.data_type() != onnx::TensorProto_DataType_INT8 || elements(t, n, "zero point") != 1)
            fail(where(n) + ": zero point \"" + t.name() + "\" must be one int8 (uint8 models are not supported)");
        return data<std::int8_t>(t, 1, "zero point", n)[0];
    }

    Value &value(const onnx::NodeProto &n, int k)
    {
        if (k >= n.input_size())
            fail(where(n) + ": expected input " + std::to_string(k));
        const auto it = m_values.find(n.input(k));
        if (it == m_values.end())
            fail(where(n) + ": its input \"" + n.input(k) +
                 "\" is neither the graph input nor made by an earlier node");
        return it->second;
    }

    void output(const onnx::NodeProto &n, Value v)
    {
        if (n.output_size() < 1)
            fail(where(n) + ": it has no output");
        v.readers = m_readers[n.output(0)];
        m_values[n.output(0)] = std::move(v);
    }

    std::vector<std::int64_t> ints(const onnx::NodeProto &n, const std::string &name,
                                   std::vector<std::int64_t> fallback) const
    {
        for (const onnx::AttributeProto &a : n.attribute())
            if (a.name() == name)
                return {a.ints().begin(), a.ints().end()};
        return fallback;
    }

    std::int64_t integer(const onnx::NodeProto &n, const std::string &name, std::int64_t fallback) const
    {
        for (const onnx::AttributeProto &a : n.attribute())
            if (a.name() == name)
                return a.i();
        return fallback;
    }

    void readInput()
    {
        const onnx::ValueInfoProto *input = nullptr;
        for (const onnx::ValueInfoProto &v : m_graph.input())
            if (!m_initializers.count(v.name())) {
                if (input)
                    fail("expected one graph input, found \"" + input->name() + "\" and \"" + v.name() + "\"");
                input = &v;
            }
        if (!input)
            fail("the graph has no input");
        const auto &type = input->type().tensor_type();
        std::vector<std::int64_t> dims;
        for (const auto &d : type.shape().dim())
            dims.push_back(d.has_dim_value() ? d.dim_value() : 1);
        if (dims.size() != 4 || dims[0] != 1 || dims[1] <= 0 || dims[2] <= 0 || dims[3] <= 0 || dims[1] > 65536 ||
            dims[2] > 65536 || dims[3] > 65536)
            fail("the graph input \"" + input->name() + "\" must be [1, C, H, W] (batch 1)");
        if (type.elem_type() != onnx::TensorProto_DataType_FLOAT)
            fail("the graph input \"" + input->name() + "\" must be float (a QuantizeLinear makes it int8)");
        m_net.input = {int(dims[1]), int(dims[2]), int(dims[3])};
        Value v;
        v.shape = m_net.input;
        v.readers = m_readers[input->name()];
        m_values[input->name()] = v;
    }

    LayerSpec &addLayer(LayerType type, const std::string &name, std::vector<std::string> inputs, const Shape &shape)
    {
        LayerSpec l;
        l.type = type;
        l.name = uniqueLayerName(name, m_names);
        l.inputs = std::move(inputs);
        m_net.layers.push_back(l);
        m_fileShapes.push_back(shape);
        return m_net.layers.back();
    }

    Padding paddingOf(const onnx::NodeProto &n, const Shape &in, int kh, int kw, int sh, int sw) const
    {
        const std::vector<std::int64_t> pads = ints(n, "pads", {0, 0, 0, 0});
        if (pads.size() != 4)
            fail(where(n) + ": pads must have 4 values");
        for (const std::int64_t p : pads)
            if (p < 0 || p > 1024)
                fail(where(n) + ": padding " + std::to_string(p));
        // SAME first: where it pads nothing (1x1 windows at stride 1) both describe the same layer, and the search
        // spaces write "same".
        const WindowAxis h = windowAxis(in.height, kh, sh, Padding{PaddingMode::Same, 0});
        const WindowAxis w = windowAxis(in.width, kw, sw, Padding{PaddingMode::Same, 0});
        if (pads == std::vector<std::int64_t>{h.padBefore, w.padBefore, h.padAfter, w.padAfter})
            return Padding{PaddingMode::Same, 0};
        if (pads == std::vector<std::int64_t>{0, 0, 0, 0})
            return Padding{PaddingMode::Valid, 0};
        if (pads[0] == pads[1] && pads[1] == pads[2] && pads[2] == pads[3])
            return Padding{PaddingMode::Explicit, int(pads[0])};
        fail(where(n) + ": asymmetric padding that is not SAME cannot be described");
    }

    void node(const onnx::NodeProto &n)
    {
        const std::string &op = n.op_type();
        if (!n.domain().empty() && n.domain() != "ai.onnx" && !(n.domain() == "com.microsoft" && op == "QLinearAdd"))
            fail(where(n) + ": operator domain \"" + n.domain() + "\" is not supported");
        if (op == "QuantizeLinear")
            quantize(n);
        else if (op == "DequantizeLinear")
            dequantize(n);
        else if (op == "QLinearConv")
            qlinearConv(n);
        else if (op == "QLinearAdd")
            qlinearAdd(n);
        else if (op == "MaxPool" || op == "AveragePool")
            pool(n, op == "MaxPool");
        else if (op == "GlobalAveragePool")
            same(n, LayerType::GlobalAvgPool);
        else if (op == "Relu")
            same(n, LayerType::Relu);
        else if (op == "Reshape" || op == "Flatten")
            flatten(n);
        else if (op == "Softmax")
            same(n, LayerType::Softmax);
        else
            fail(where(n) + ": " + op +
                 " is not supported (QuantizeLinear, DequantizeLinear, QLinearConv, QLinearAdd, MaxPool, AveragePool, "
                 "GlobalAveragePool, Relu, Reshape, Flatten, Softmax)");
    }

    void quantize(const onnx::NodeProto &n)
    {
        Value v = value(n, 0);
        const double s = scalarScale(n, 1);
        const std::int64_t zp = scalarZeroPoint(n, 2);
        if (v.producer == kNetworkInputName && m_net.layers.empty() && !v.quantized) {
            // The model's input quantisation.
            m_float = false;
            m_builder.input(s, zp);
            m_builder.range(std::string(kNetworkInputName), s, zp);
        } else if (!v.island.empty()) {
            // The end of a float island: the island's layer (or the layer a Relu island is fused into) gets these.
            rangeOfIsland(v, s, zp);
        }
        v.quantized = true, v.scale = s, v.zeroPoint = zp, v.island.clear();
        output(n, v);
    }

    void rangeOfIsland(const Value &v, double s, std::int64_t zp)
    {
        for (LayerSpec &l : m_net.layers)
            if (l.name == v.producer) {
                if (isLinear(l.type) || l.type == LayerType::Add || l.type == LayerType::GlobalAvgPool)
                    m_builder.range(l.name, s, zp);
                else if (m_islandInput &&
                         (std::abs(m_islandInput->scale - s) > 1e-6 * s || m_islandInput->zeroPoint != zp))
                    m_builder.refuse("layer " + l.name +
                                     " requantises its output; Paretoscope's integer reference "
                                     "keeps the input's parameters through pools and activations");
            }
    }

    std::optional<Value> m_islandInput; ///< the quantised value the current float island started from

    void dequantize(const onnx::NodeProto &n)
    {
        Value v = value(n, 0);
        if (!v.quantized)
            fail(where(n) + ": dequantises a float value");
        scalarScale(n, 1);
        scalarZeroPoint(n, 2);
        m_islandInput = v;
        v.island = n.input(0);
        v.quantized = false;
        output(n, v);
    }

    IntWeights weights(const onnx::NodeProto &n, const Value &in, int &outC, int &kh, int &kw, int &group) const
    {
        const onnx::TensorProto &w = initializer(n, 3, "weights");
        if (w.data_type() != onnx::TensorProto_DataType_INT8 || w.dims_size() != 4)
            fail(where(n) + ": weights \"" + w.name() + "\" must be int8 [O, I/group, kh, kw]");
        const std::int64_t count = elements(w, n, "weights");
        outC = int(w.dims(0)), kh = int(w.dims(2)), kw = int(w.dims(3));
        const std::int64_t groups = integer(n, "group", 1);
        if (groups < 1 || groups > 65536)
            fail(where(n) + ": group " + std::to_string(groups));
        group = int(groups);
        const int perGroup = int(w.dims(1));
        if (outC < 1 || kh < 1 || kw < 1 || group < 1 || perGroup * group != in.shape.channels)
            fail(where(n) + ": weights [" + std::to_string(outC) + ", " + std::to_string(perGroup) + ", " +
                 std::to_string(kh) + ", " + std::to_string(kw) + "] with group " + std::to_string(group) +
                 " do not fit an input of " + toString(in.shape));
        IntWeights iw;
        iw.values = data<std::int8_t>(w, count, "weights", n);
        iw.shape = {outC, perGroup, kh, kw};
        const onnx::TensorProto &s = initializer(n, 4, "weight scales");
        const std::int64_t scales = elements(s, n, "weight scales");
        if (s.data_type() != onnx::TensorProto_DataType_FLOAT || (scales != 1 && scales != outC))
            fail(where(n) + ": weight scales \"" + s.name() + "\" must be 1 or " + std::to_string(outC) + " floats");
        const std::vector<float> sv = data<float>(s, scales, "weight scales", n);
        const onnx::TensorProto &z = initializer(n, 5, "weight zero points");
        const std::int64_t zps = elements(z, n, "weight zero points");
        if (z.data_type() != onnx::TensorProto_DataType_INT8 || (zps != 1 && zps != outC))
            fail(where(n) + ": weight zero points must be int8");
        for (const std::int8_t v : data<std::int8_t>(z, zps, "weight zero points", n))
            if (v != 0)
                fail(where(n) + ": weight zero point " + std::to_string(int(v)) +
                     "; expected symmetric int8 weights (zero point 0)");
        for (int c = 0; c < outC; ++c) {
            const double v = sv[scales == 1 ? 0 : std::size_t(c)];
            if (!(v > 0.0) || !std::isfinite(v))
                fail(where(n) + ": weight scale " + std::to_string(v) + " for channel " + std::to_string(c));
            iw.scales.push_back(v);
        }
        return iw;
    }

    void qlinearConv(const onnx::NodeProto &n)
    {
        if (n.input_size() < 8)
            fail(where(n) + ": QLinearConv needs at least 8 inputs");
        const Value in = value(n, 0);
        if (!in.quantized)
            fail(where(n) + ": its input is not quantised");
        const double inScale = scalarScale(n, 1);
        scalarZeroPoint(n, 2);
        const double outScale = scalarScale(n, 6);
        const std::int64_t outZp = scalarZeroPoint(n, 7);
        int outC = 0, kh = 1, kw = 1, group = 1;
        IntWeights w = weights(n, in, outC, kh, kw, group);
        std::vector<std::int32_t> bias;
        if (n.input_size() > 8 && !n.input(8).empty()) {
            const onnx::TensorProto &b = initializer(n, 8, "bias");
            if (b.data_type() != onnx::TensorProto_DataType_INT32 || elements(b, n, "bias") != outC)
                fail(where(n) + ": bias must be " + std::to_string(outC) + " int32 values");
            bias = data<std::int32_t>(b, outC, "bias", n);
        }
        const std::vector<std::int64_t> strides = ints(n, "strides", {1, 1});
        const std::vector<std::int64_t> dilations = ints(n, "dilations", {1, 1});
        if (strides.size() != 2 || strides[0] < 1 || strides[1] < 1 || strides[0] > 64 || strides[1] > 64)
            fail(where(n) + ": strides must be two values in 1..64");
        if (dilations != std::vector<std::int64_t>{1, 1})
            fail(where(n) + ": dilated convolutions are not supported");
        const std::vector<std::int64_t> kernel = ints(n, "kernel_shape", {kh, kw});
        if (kernel != std::vector<std::int64_t>{kh, kw})
            fail(where(n) + ": kernel_shape does not match the weights");
        const Padding padding = paddingOf(n, in.shape, kh, kw, int(strides[0]), int(strides[1]));
        const WindowAxis ah = windowAxis(in.shape.height, kh, int(strides[0]), padding);
        const WindowAxis aw = windowAxis(in.shape.width, kw, int(strides[1]), padding);
        const Shape outShape{outC, ah.out, aw.out};
        const std::string out = n.output_size() ? n.output(0) : std::string();
        const std::string name = layerNameOf(out);

        Value v;
        v.shape = outShape;
        v.quantized = true, v.scale = outScale, v.zeroPoint = outZp;
        const bool pointwise = kh == 1 && kw == 1 && group == 1 &&
                               ints(n, "pads", {0, 0, 0, 0}) == std::vector<std::int64_t>{0, 0, 0, 0} &&
                               strides == std::vector<std::int64_t>{1, 1};
        // Paretoscope's low_rank: "<base>_mid" (V, zero bias) read only by the next QLinearConv "<base>" (U).
        if (pointwise && endsWith(stripSuffix(out, "_quantized"), "_mid") && m_readers[out] == 1) {
            w.shape = {outC, in.shape.channels};
            m_factor = PendingFactor{w, out, {in.producer}, outScale, outZp};
            v.producer = in.producer;
            output(n, v);
            return;
        }
        LayerSpec *l = nullptr;
        if (m_factor && n.input(0) == m_factor->tensor && pointwise) {
            const PendingFactor f = *m_factor;
            m_factor.reset();
            l = &addLayer(LayerType::LowRank, name, f.inputs, outShape);
            l->outChannels = outC;
            l->rank = int(f.weights.shape[0]);
            l->weightBits = std::max(weightBitsOf(w.values), weightBitsOf(f.weights.values));
            w.shape = {outC, l->rank};
            m_builder.range(l->name + ":mid", f.scale, f.zeroPoint);
            m_builder.weights(l->name, w, bias, f.scale, &f.weights);
        } else {
            if (m_factor)
                fail(where(n) + ": \"" + m_factor->tensor +
                     "\" looks like the intermediate of a low_rank layer but is not followed by its second factor");
            const bool depthwise = group > 1 && group == in.shape.channels;
            if (group > 1 && !depthwise)
                fail(where(n) + ": grouped convolutions other than depthwise are not supported");
            const bool dense = pointwise && in.shape.isFlat();
            const LayerType type = dense       ? LayerType::Dense
                                   : depthwise ? LayerType::DepthwiseConv2d
                                               : LayerType::Conv2d;
            l = &addLayer(type, name, {in.producer}, outShape);
            if (type == LayerType::Dense) {
                w.shape = {outC, int(in.shape.elements())};
            } else {
                l->kernelH = kh, l->kernelW = kw, l->strideH = int(strides[0]), l->strideW = int(strides[1]);
                l->padding = padding;
            }
            if (type == LayerType::DepthwiseConv2d)
                l->depthMultiplier = outC / in.shape.channels;
            else
                l->outChannels = outC;
            l->weightBits = weightBitsOf(w.values);
            m_builder.weights(l->name, w, bias, inScale);
        }
        l->bias = !bias.empty();
        m_builder.range(l->name, outScale, outZp);
        v.producer = l->name;
        output(n, v);
    }

    void qlinearAdd(const onnx::NodeProto &n)
    {
        if (n.input_size() != 8)
            fail(where(n) + ": QLinearAdd needs 8 inputs");
        const Value a = value(n, 0), b = value(n, 3);
        if (!(a.shape == b.shape))
            fail(where(n) + ": adds " + toString(a.shape) + " and " + toString(b.shape) + " (no broadcasting)");
        for (int k : {1, 4, 6})
            scalarScale(n, k);
        const double s = scalarScale(n, 6);
        const std::int64_t zp = scalarZeroPoint(n, 7);
        const std::string out = n.output_size() ? n.output(0) : std::string();
        Value v;
        v.shape = a.shape;
        v.quantized = true, v.scale = s, v.zeroPoint = zp;
        if (!m_chain.empty() && n.input(0) == m_chain) {
            LayerSpec &l = m_net.layers.back();
            l.inputs.push_back(b.producer);
            v.producer = l.name;
        } else {
            const std::string base = stripSuffix(out, "_quantized");
            const std::size_t partial = base.rfind("_partial");
            LayerSpec &l =
                addLayer(LayerType::Add, layerNameOf(partial == std::string::npos ? base : base.substr(0, partial)),
                         {a.producer, b.producer}, a.shape);
            v.producer = l.name;
        }
        m_chain = stripSuffix(out, "_quantized").find("_partial") != std::string::npos ? out : std::string();
        m_builder.range(v.producer, s, zp);
        output(n, v);
    }

    void pool(const onnx::NodeProto &n, bool max)
    {
        const Value in = value(n, 0);
        const std::vector<std::int64_t> kernel = ints(n, "kernel_shape", {});
        const std::vector<std::int64_t> strides = ints(n, "strides", {1, 1});
        if (kernel.size() != 2 || strides.size() != 2 || kernel[0] < 1 || kernel[1] < 1 || kernel[0] > 4096 ||
            kernel[1] > 4096 || strides[0] < 1 || strides[1] < 1 || strides[0] > 64 || strides[1] > 64)
            fail(where(n) + ": kernel_shape and strides must be two positive values each");
        if (!max && integer(n, "count_include_pad", 0) != 0)
            fail(where(n) + ": count_include_pad 1 is not supported (the mean is over the real elements)");
        const Padding padding =
            paddingOf(n, in.shape, int(kernel[0]), int(kernel[1]), int(strides[0]), int(strides[1]));
        const WindowAxis h = windowAxis(in.shape.height, int(kernel[0]), int(strides[0]), padding);
        const WindowAxis w = windowAxis(in.shape.width, int(kernel[1]), int(strides[1]), padding);
        Value v = in;
        v.shape = {in.shape.channels, h.out, w.out};
        LayerSpec &l = addLayer(max ? LayerType::MaxPool2d : LayerType::AvgPool2d, layerNameOf(n.output(0)),
                                {in.producer}, v.shape);
        l.kernelH = int(kernel[0]), l.kernelW = int(kernel[1]), l.strideH = int(strides[0]),
        l.strideW = int(strides[1]);
        l.padding = padding;
        v.producer = l.name;
        output(n, v);
    }

    /** Layers whose output keeps the input's shape (or pools it to 1 x 1), in a float island or not. */
    void same(const onnx::NodeProto &n, LayerType type)
    {
        const Value in = value(n, 0);
        Value v = in;
        if (type == LayerType::GlobalAvgPool)
            v.shape = {in.shape.channels, 1, 1};
        if (type == LayerType::Softmax) {
            // Paretoscope's final Softmax reads the dequantised logits; its node is named after the layer.
            const std::string named = layerNameOf(n.name());
            addLayer(LayerType::Softmax, named.empty() || named == n.name() ? "softmax" : named, {in.producer},
                     v.shape);
            v.producer = m_net.layers.back().name;
            output(n, v);
            return;
        }
        const std::string base = stripSuffix(n.output(0), "_float");
        if (type == LayerType::Relu) {
            // A Relu island "<tensor>_relu" (or "_relu6") on the output of a weighted layer or an add without an
            // activation, its only reader, is that layer's fused activation (Paretoscope's naming); others are layers.
            const std::string source = stripSuffix(in.island, "_quantized");
            const bool fusedName = !in.island.empty() && (base == source + "_relu" || base == source + "_relu6");
            for (LayerSpec &l : m_net.layers)
                if (fusedName && l.name == in.producer && (isLinear(l.type) || l.type == LayerType::Add) &&
                    l.activation == Activation::None && &l == &m_net.layers.back() && in.readers == 1) {
                    l.activation = endsWith(base, "_relu6") ? Activation::Relu6 : Activation::Relu;
                    output(n, v);
                    return;
                }
            if (endsWith(layerNameOf(base), "relu6") || endsWith(base, "_relu6"))
                type = LayerType::Relu6;
        }
        LayerSpec &l = addLayer(type, layerNameOf(n.output(0)), {in.producer}, v.shape);
        v.producer = l.name;
        output(n, v);
    }

    void flatten(const onnx::NodeProto &n)
    {
        const Value in = value(n, 0);
        if (n.op_type() == "Reshape") {
            const onnx::TensorProto &s = initializer(n, 1, "shape");
            const std::int64_t count = elements(s, n, "shape");
            if (s.data_type() != onnx::TensorProto_DataType_INT64 || count < 1 || count > 4)
                fail(where(n) + ": the shape must be 1 to 4 int64 values");
            std::int64_t total = 1;
            for (const std::int64_t d : data<std::int64_t>(s, count, "shape", n)) {
                if (d < -1 || d > (std::int64_t(1) << 31))
                    fail(where(n) + ": Reshape to a dimension of " + std::to_string(d));
                total *= d < 0 ? in.shape.elements() : d; // -1 takes the rest
                if (total > (std::int64_t(1) << 31))
                    fail(where(n) + ": Reshape to more than 2^31 elements");
            }
            if (total != in.shape.elements())
                fail(where(n) + ": Reshape of " + toString(in.shape) + " to " + std::to_string(total) +
                     " elements; only flattening is supported");
        } else if (integer(n, "axis", 1) != 1) {
            fail(where(n) + ": Flatten with axis other than 1");
        }
        Value v = in;
        v.shape = {int(in.shape.elements()), 1, 1};
        if (in.shape.isFlat() && n.output(0) == "logits_quantized") { // Paretoscope's final reshape of the logits
            output(n, v);
            return;
        }
        LayerSpec &l = addLayer(LayerType::Flatten, layerNameOf(n.output(0)), {in.producer}, v.shape);
        v.producer = l.name;
        output(n, v);
    }
};

} // namespace

ImportedModel importOnnx(const std::string &bytes, const std::string &displayName)
{
    onnx::ModelProto model;
    if (bytes.empty() || !model.ParseFromString(bytes))
        throw InputError(displayName + ": not an ONNX model, or damaged or truncated (the protobuf does not parse)");
    if (!model.has_graph())
        throw InputError(displayName + ": the ONNX model has no graph");
    return Reader(model, displayName).read();
}

} // namespace psc
