// SPDX-License-Identifier: GPL-3.0-or-later
// The ONNX export: opset 13 in the QLinear form (QLinearConv, com.microsoft QLinearAdd), written with libonnx's
// generated protobuf classes. docs/formats/export-onnx.md describes the mapping; docs/research/deployment-formats.md
// why this form and these names (OpenCV DNN 4.6 imports int8 graphs only this way).

#include "export/exporters.h"

#include "psc/core/error.h"
#include "psc/net/shapeinference.h"
#include "psc/net/window.h"

#include <onnx/onnx_pb.h>

#include <cctype>

namespace psc {
namespace {

/** A tensor name fragment from a layer name: letters, digits and '_' only. */
std::string tensorName(const std::string &name)
{
    std::string out;
    for (const char ch : name)
        out += std::isalnum(static_cast<unsigned char>(ch)) ? ch : '_';
    return out;
}

/** An int8 activation: `<base>_quantized` with scalar initializers `<base>_scale` and `<base>_zero_point`. */
struct Activation8
{
    std::string base;
    Shape shape;
    std::string q() const { return base + "_quantized"; }
    std::string scale() const { return base + "_scale"; }
    std::string zeroPoint() const { return base + "_zero_point"; }
};

class Graph
{
public:
    onnx::ModelProto model;
    onnx::GraphProto *graph = model.mutable_graph();
    std::vector<std::string> warnings;
    bool usesMicrosoftOps = false;

    template <typename T>
    void initializer(const std::string &name, std::vector<std::int64_t> dims, const std::vector<T> &values,
                     onnx::TensorProto_DataType type)
    {
        onnx::TensorProto *t = graph->add_initializer();
        t->set_name(name);
        t->set_data_type(type);
        for (std::int64_t d : dims)
            t->add_dims(d);
        t->set_raw_data(std::string(reinterpret_cast<const char *>(values.data()), values.size() * sizeof(T)));
    }

    Activation8 activation(const std::string &base, const Shape &shape, const QuantParams &q)
    {
        initializer(base + "_scale", {}, std::vector<float>{float(q.scale)}, onnx::TensorProto_DataType_FLOAT);
        initializer(base + "_zero_point", {}, std::vector<std::int8_t>{std::int8_t(q.zeroPoint)},
                    onnx::TensorProto_DataType_INT8);
        return {base, shape};
    }

    onnx::NodeProto *node(const std::string &op, std::vector<std::string> inputs, std::vector<std::string> outputs,
                          const std::string &domain = {})
    {
        onnx::NodeProto *n = graph->add_node();
        n->set_op_type(op);
        n->set_name(outputs.front());
        if (!domain.empty()) {
            n->set_domain(domain);
            usesMicrosoftOps = true;
        }
        for (const std::string &i : inputs)
            n->add_input(i);
        for (const std::string &o : outputs)
            n->add_output(o);
        return n;
    }

    static void ints(onnx::NodeProto *n, const std::string &name, std::vector<std::int64_t> values)
    {
        onnx::AttributeProto *a = n->add_attribute();
        a->set_name(name);
        a->set_type(onnx::AttributeProto_AttributeType_INTS);
        for (std::int64_t v : values)
            a->add_ints(v);
    }

    static void integer(onnx::NodeProto *n, const std::string &name, std::int64_t value)
    {
        onnx::AttributeProto *a = n->add_attribute();
        a->set_name(name);
        a->set_type(onnx::AttributeProto_AttributeType_INT);
        a->set_i(value);
    }

    void io(bool input, const std::string &name, onnx::TensorProto_DataType type, std::vector<std::int64_t> dims)
    {
        onnx::ValueInfoProto *v = input ? graph->add_input() : graph->add_output();
        v->set_name(name);
        onnx::TypeProto_Tensor *t = v->mutable_type()->mutable_tensor_type();
        t->set_elem_type(type);
        for (std::int64_t d : dims)
            t->mutable_shape()->add_dim()->set_dim_value(d);
    }

    /** DequantizeLinear -> `op` (float) -> QuantizeLinear to `out`: standard ONNX the int8 path lacks. */
    onnx::NodeProto *floatIsland(const Activation8 &in, const std::string &op, const Activation8 &out)
    {
        node("DequantizeLinear", {in.q(), in.scale(), in.zeroPoint()}, {out.base + "_in_float"});
        onnx::NodeProto *n = node(op, {out.base + "_in_float"}, {out.base + "_float"});
        node("QuantizeLinear", {out.base + "_float", out.scale(), out.zeroPoint()}, {out.q()});
        return n;
    }
};

class OnnxExporter final : public Exporter
{
public:
    ExportFormat format() const override { return ExportFormat::Onnx; }
    std::string extension() const override { return "onnx"; }

    ExportOutput write(const IntegerModel &model, const ExportOptions &options) const override
    {
        const NetworkDescription &net = model.network();
        const std::vector<std::vector<int>> inputs = layerInputIndices(net);
        const std::vector<Shape> shapes = inferShapes(net, inputs);
        const std::vector<LayerQuantization> &lqs = model.layers();
        Graph g;
        g.model.set_ir_version(8);
        g.model.set_producer_name("Paretoscope");
        g.model.set_producer_version(PSC_VERSION);
        g.model.set_doc_string("Paretoscope int8 export" + (options.source.empty() ? "" : " of " + options.source));
        g.graph->set_name(tensorName(net.name));

        const Shape &s = net.input;
        g.io(true, "input", onnx::TensorProto_DataType_FLOAT, {1, s.channels, s.height, s.width});
        const Activation8 input = g.activation("input", s, model.inputParams());
        g.node("QuantizeLinear", {"input", input.scale(), input.zeroPoint()}, {input.q()});

        std::vector<Activation8> outputOf(net.layers.size());
        auto in = [&](std::size_t i, std::size_t k) {
            const int j = inputs[i][k];
            return j == kNetworkInput ? input : outputOf[std::size_t(j)];
        };
        Activation8 logits;
        bool softmax = false;
        std::string softmaxName;
        for (std::size_t i = 0; i < net.layers.size(); ++i) {
            const LayerSpec &l = net.layers[i];
            const LayerQuantization &q = lqs[i];
            const Activation8 src = in(i, 0);
            const Shape &o = shapes[i];
            const std::string base = "l" + std::to_string(i) + "_" + tensorName(l.name);
            if (isLinear(l.type) && l.weightBits < 8)
                g.warnings.push_back("layer " + l.name + ": " + std::to_string(l.weightBits) +
                                     "-bit weights stored as int8 (the plot's weight memory counts " +
                                     std::to_string(l.weightBits) + " bits each)");
            if (l.sparsity.pattern != SparsityPattern::None)
                g.warnings.push_back("layer " + l.name + ": " + std::string(toString(l.sparsity.pattern)) +
                                     " sparsity stored dense (ONNX int8 initializers are dense)");
            Activation8 out;
            switch (l.type) {
            case LayerType::Conv2d:
            case LayerType::DepthwiseConv2d: {
                const bool depthwise = l.type == LayerType::DepthwiseConv2d;
                const WindowAxis h = windowAxis(src.shape.height, l.kernelH, l.strideH, l.padding);
                const WindowAxis w = windowAxis(src.shape.width, l.kernelW, l.strideW, l.padding);
                out = conv(g, base, src, o, q.weights,
                           {o.channels, depthwise ? 1 : src.shape.channels, l.kernelH, l.kernelW}, q.weightScales,
                           q.bias, q.output, {l.kernelH, l.kernelW}, {h.padBefore, w.padBefore, h.padAfter, w.padAfter},
                           {l.strideH, l.strideW}, depthwise ? src.shape.channels : 1);
                out = activate(g, l, q, out);
                break;
            }
            case LayerType::Dense:
                out = conv(g, base, src, o, q.weights, {o.channels, int(src.shape.elements()), 1, 1}, q.weightScales,
                           q.bias, q.output, {1, 1}, {0, 0, 0, 0}, {1, 1}, 1);
                out = activate(g, l, q, out);
                break;
            case LayerType::LowRank: {
                const int r = q.factorShape.at(0);
                const Activation8 mid =
                    conv(g, base + "_mid", src, Shape{r, o.height, o.width}, q.factorWeights,
                         {r, src.shape.channels, 1, 1}, q.factorScales, std::vector<std::int32_t>(std::size_t(r), 0),
                         q.intermediate, {1, 1}, {0, 0, 0, 0}, {1, 1}, 1);
                out = conv(g, base, mid, o, q.weights, {o.channels, r, 1, 1}, q.weightScales, q.bias, q.output, {1, 1},
                           {0, 0, 0, 0}, {1, 1}, 1);
                out = activate(g, l, q, out);
                break;
            }
            case LayerType::Kronecker: {
                const ExpandedKronecker k = expandKronecker(l, q);
                g.warnings.push_back(k.warning);
                out = conv(g, base, src, o, k.weights, {o.channels, src.shape.channels, 1, 1}, k.scales, k.bias,
                           q.output, {1, 1}, {0, 0, 0, 0}, {1, 1}, 1);
                out = activate(g, l, q, out);
                break;
            }
            case LayerType::MaxPool2d: {
                const WindowAxis h = windowAxis(src.shape.height, l.kernelH, l.strideH, l.padding);
                const WindowAxis w = windowAxis(src.shape.width, l.kernelW, l.strideW, l.padding);
                out = g.activation(base, o, q.output);
                onnx::NodeProto *n = g.node("MaxPool", {src.q()}, {out.q()});
                Graph::ints(n, "kernel_shape", {l.kernelH, l.kernelW});
                Graph::ints(n, "pads", {h.padBefore, w.padBefore, h.padAfter, w.padAfter});
                Graph::ints(n, "strides", {l.strideH, l.strideW});
                break;
            }
            case LayerType::AvgPool2d: {
                // A float island: QLinearAveragePool divides by the padded area, the reference by the real one.
                const WindowAxis h = windowAxis(src.shape.height, l.kernelH, l.strideH, l.padding);
                const WindowAxis w = windowAxis(src.shape.width, l.kernelW, l.strideW, l.padding);
                out = g.activation(base, o, q.output);
                onnx::NodeProto *n = g.floatIsland(src, "AveragePool", out);
                Graph::ints(n, "kernel_shape", {l.kernelH, l.kernelW});
                Graph::ints(n, "pads", {h.padBefore, w.padBefore, h.padAfter, w.padAfter});
                Graph::ints(n, "strides", {l.strideH, l.strideW});
                Graph::integer(n, "count_include_pad", 0);
                break;
            }
            case LayerType::GlobalAvgPool:
                out = g.activation(base, o, q.output);
                g.floatIsland(src, "GlobalAveragePool", out);
                break;
            case LayerType::Relu:
            case LayerType::Relu6:
                out = g.activation(base, o, q.output);
                g.floatIsland(src, "Relu", out);
                if (q.clampMax < 127)
                    g.warnings.push_back("layer " + l.name +
                                         ": relu6's upper clamp is not expressed (opset-13 Clip "
                                         "does not import in OpenCV 4.6); values above 6 pass");
                break;
            case LayerType::Add: {
                Activation8 sum = src;
                for (std::size_t k = 1; k < inputs[i].size(); ++k) {
                    const bool last = k + 1 == inputs[i].size();
                    const Activation8 next =
                        g.activation(last ? base : base + "_partial" + std::to_string(k), o, q.output);
                    const Activation8 b = in(i, k);
                    g.node("QLinearAdd",
                           {sum.q(), sum.scale(), sum.zeroPoint(), b.q(), b.scale(), b.zeroPoint(), next.scale(),
                            next.zeroPoint()},
                           {next.q()}, "com.microsoft");
                    sum = next;
                }
                if (inputs[i].size() > 2)
                    g.warnings.push_back("layer " + l.name + ": an add of " + std::to_string(inputs[i].size()) +
                                         " inputs written as chained two-input QLinearAdds: each partial sum is "
                                         "rounded");
                out = activate(g, l, q, sum);
                break;
            }
            case LayerType::Flatten: {
                out = g.activation(base, o, q.output);
                g.initializer(base + "_shape", {4}, std::vector<std::int64_t>{1, o.channels, 1, 1},
                              onnx::TensorProto_DataType_INT64);
                g.node("Reshape", {src.q(), base + "_shape"}, {out.q()});
                break;
            }
            case LayerType::Softmax:
                out = src;
                softmax = true;
                softmaxName = base; // the node's name keeps the layer's
                break;
            case LayerType::BatchNorm:
                throw InputError("layer \"" + l.name + "\": an unfolded batch_norm cannot be exported");
            }
            outputOf[i] = out;
            if (l.type != LayerType::Softmax)
                logits = out;
        }

        // Outputs: the int8 logits (what the reference returns), the same dequantised, and a final softmax's
        // probabilities.
        const int n = model.outputSize();
        const Activation8 flat = g.activation("logits", Shape{n, 1, 1}, model.outputParams());
        g.initializer("logits_shape", {2}, std::vector<std::int64_t>{1, n}, onnx::TensorProto_DataType_INT64);
        g.node("Reshape", {logits.q(), "logits_shape"}, {flat.q()});
        g.node("DequantizeLinear", {flat.q(), flat.scale(), flat.zeroPoint()}, {"logits"});
        g.io(false, "logits", onnx::TensorProto_DataType_FLOAT, {1, n});
        g.io(false, flat.q(), onnx::TensorProto_DataType_INT8, {1, n});
        if (softmax) {
            onnx::NodeProto *sm = g.node("Softmax", {"logits"}, {"probabilities"});
            sm->set_name(softmaxName);
            Graph::integer(sm, "axis", 1);
            g.io(false, "probabilities", onnx::TensorProto_DataType_FLOAT, {1, n});
        }
        onnx::OperatorSetIdProto *opset = g.model.add_opset_import();
        opset->set_domain("");
        opset->set_version(13);
        if (g.usesMicrosoftOps) {
            opset = g.model.add_opset_import();
            opset->set_domain("com.microsoft");
            opset->set_version(1);
        }

        ExportOutput result;
        result.warnings = std::move(g.warnings);
        if (!result.warnings.empty()) {
            onnx::StringStringEntryProto *entry = g.model.add_metadata_props();
            entry->set_key(kWarningsMetadataName);
            entry->set_value(joinedWarnings(result.warnings));
        }
        std::string bytes;
        if (!g.model.SerializeToString(&bytes))
            throw RuntimeError("the ONNX model could not be serialised");
        result.files.push_back({options.baseName + ".onnx", std::move(bytes)});
        double initializerBytes = 0;
        for (const onnx::TensorProto &t : g.graph->initializer())
            initializerBytes += double(t.raw_data().size());
        result.figures = {{"initializer_bytes", initializerBytes}};
        return result;
    }

private:
    /** QLinearConv with per-channel weights (zero points 0) and an int32 bias. */
    static Activation8 conv(Graph &g, const std::string &base, const Activation8 &src, const Shape &o,
                            const std::vector<std::int8_t> &weights, std::vector<std::int64_t> weightDims,
                            const std::vector<double> &scales, const std::vector<std::int32_t> &bias,
                            const QuantParams &outParams, std::vector<std::int64_t> kernel,
                            std::vector<std::int64_t> pads, std::vector<std::int64_t> strides, std::int64_t group)
    {
        const Activation8 out = g.activation(base, o, outParams);
        g.initializer(base + "_w", weightDims, weights, onnx::TensorProto_DataType_INT8);
        g.initializer(base + "_w_scale", {std::int64_t(scales.size())},
                      std::vector<float>(scales.begin(), scales.end()), onnx::TensorProto_DataType_FLOAT);
        g.initializer(base + "_w_zero_point", {std::int64_t(scales.size())}, std::vector<std::int8_t>(scales.size(), 0),
                      onnx::TensorProto_DataType_INT8);
        g.initializer(base + "_b", {std::int64_t(bias.size())}, bias, onnx::TensorProto_DataType_INT32);
        onnx::NodeProto *n = g.node("QLinearConv",
                                    {src.q(), src.scale(), src.zeroPoint(), base + "_w", base + "_w_scale",
                                     base + "_w_zero_point", out.scale(), out.zeroPoint(), base + "_b"},
                                    {out.q()});
        Graph::ints(n, "kernel_shape", std::move(kernel));
        Graph::ints(n, "pads", std::move(pads));
        Graph::ints(n, "strides", std::move(strides));
        Graph::ints(n, "dilations", {1, 1});
        Graph::integer(n, "group", group);
        return out;
    }

    /**
     * A fused activation as a float Relu island after the layer, always: where the output's parameters already clamp
     * there (the range was recorded after the activation, so relu's lower bound is usually the zero point -128) it
     * changes no value, but the file then says what the network does, and an import gets the activation back.
     */
    static Activation8 activate(Graph &g, const LayerSpec &l, const LayerQuantization &q, const Activation8 &out)
    {
        if (l.activation == Activation::None)
            return out;
        if (q.clampMax < 127 || q.clampMin < -128)
            g.warnings.push_back("layer " + l.name + ": its activation clamp [" + std::to_string(q.clampMin) + ", " +
                                 std::to_string(q.clampMax) + "] is only partly expressed (relu as a float island)");
        // "_relu6" tells an import the intent: opset 13's Relu has no upper clamp (see relu6 below).
        const Activation8 relu =
            g.activation(out.base + (l.activation == Activation::Relu6 ? "_relu6" : "_relu"), out.shape, q.output);
        g.floatIsland(out, "Relu", relu);
        return relu;
    }
};

} // namespace

std::unique_ptr<Exporter> makeOnnxExporter()
{
    return std::make_unique<OnnxExporter>();
}

} // namespace psc
