// SPDX-License-Identifier: GPL-3.0-or-later
// The C export: one C99 source and header per model, int8 kernels in plain C that compute exactly what the integer
// reference (psc/quant/integerinference.h, docs/quantization.md) computes. docs/formats/export-c.md describes
// the files.

#include "export/ckernels.h"
#include "export/csparse.h"
#include "export/exporters.h"

#include "psc/compress/weightencoding.h"
#include "psc/core/error.h"
#include "psc/net/deployedmemory.h"
#include "psc/net/memoryplanner.h"
#include "psc/net/shapeinference.h"
#include "psc/net/window.h"
#include "psc/quant/integerinference.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <sstream>
#include <stdexcept>

namespace psc {
namespace {

/** A C identifier fragment and comment text from a layer name: letters, digits and '_' only. */
std::string cName(const std::string &name)
{
    std::string out;
    for (const char ch : name)
        out += std::isalnum(static_cast<unsigned char>(ch)) ? ch : '_';
    return out.empty() ? std::string("_") : out;
}

/** The bit-width a tensor of weights is stored with: its own, except binary weights with a zero (an all-zero
 *  channel, which binary cannot express) go to 2 bits. */
int storageBits(const std::vector<std::int8_t> &values, int bits)
{
    if (bits == 1 && std::any_of(values.begin(), values.end(), [](std::int8_t v) { return v == 0; }))
        return 2;
    return bits;
}

class Source
{
public:
    std::ostringstream text;
    std::int64_t constantBytes = 0;
    std::int64_t weightBytes = 0;

    template <typename T> std::string array(const std::string &type, const std::string &name, const std::vector<T> &v)
    {
        text << "static const " << type << ' ' << name << '[' << std::max<std::size_t>(v.size(), 1) << "] = {";
        for (std::size_t i = 0; i < v.size(); ++i) {
            if (i % 16 == 0)
                text << "\n   ";
            text << ' ' << std::int64_t(v[i]) << ',';
        }
        if (v.empty())
            text << " 0";
        text << "\n};\n";
        constantBytes += std::int64_t(v.size() * sizeof(T));
        return name;
    }

    /** Packed weights; returns the psc_weights_t initialiser. */
    std::string weights(const std::string &name, const std::vector<std::int8_t> &values, int bits)
    {
        const int stored = storageBits(values, bits);
        const std::vector<std::uint8_t> packed = packWeightFields(values, stored);
        array("uint8_t", name, packed);
        weightBytes += std::int64_t(packed.size());
        return "{" + name + ", " + std::to_string(stored) + "}";
    }

    /** A pruned layer's weight streams and their psc_sparse_t; returns the psc_weights_t initialiser and sets
     *  `descriptor` to the psc_sparse_t's name. */
    std::string sparseWeights(const std::string &name, const CSparseWeights &w, std::string &descriptor)
    {
        array("uint8_t", name, w.values);
        const std::string index = array("uint8_t", name + "_index", w.index);
        const std::string rowPointers =
            w.rowPointers.empty() ? "NULL" : array("uint8_t", name + "_rows", w.rowPointers);
        weightBytes += w.bytes();
        const int encoding = w.encoding == WeightEncoding::Bitmask ? 1
                             : w.encoding == WeightEncoding::Csr   ? 2
                             : w.encoding == WeightEncoding::Dbb   ? 3
                                                                   : 4;
        descriptor = name + "_sparse";
        text << "static const psc_sparse_t " << descriptor << " = {" << encoding << ", " << w.rowLength << ", "
             << w.rows << ", " << (w.windowRows ? 1 : 0) << ", " << w.group << ", " << w.groupSlots << ", "
             << w.positionBits << ", " << w.indexBytes << ", " << w.rowPointerBytes << ", " << index << ", "
             << rowPointers << "}; /* " << toString(w.encoding) << " */\n";
        constantBytes += 9 * 4 + 2 * 4;
        return "{" + name + ", " + std::to_string(w.bits) + "}";
    }
};

std::vector<std::int32_t> multipliersOf(const std::vector<QuantizedMultiplier> &ms)
{
    std::vector<std::int32_t> out;
    for (const QuantizedMultiplier &m : ms)
        out.push_back(m.multiplier);
    return out;
}

std::vector<std::int8_t> shiftsOf(const std::vector<QuantizedMultiplier> &ms)
{
    std::vector<std::int8_t> out;
    for (const QuantizedMultiplier &m : ms)
        out.push_back(std::int8_t(m.shift));
    return out;
}

std::string joined(std::initializer_list<std::int64_t> values)
{
    std::string out;
    for (const std::int64_t v : values)
        out += (out.empty() ? "" : ", ") + std::to_string(v);
    return out;
}

std::string upper(std::string text)
{
    for (char &ch : text)
        ch = char(std::toupper(static_cast<unsigned char>(ch)));
    return text;
}

std::string floatLiteral(double v)
{
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%.9g", v);
    std::string s = buffer;
    if (s.find_first_of(".en") == std::string::npos)
        s += ".0";
    return s + "f";
}

constexpr int kExternalInput = DeployedTensors::kCallerInput;

class CExporter final : public Exporter
{
public:
    ExportFormat format() const override { return ExportFormat::C; }
    std::string extension() const override { return "c"; }

    ExportOutput write(const IntegerModel &model, const ExportOptions &options) const override
    {
        const NetworkDescription &net = model.network();
        const std::vector<std::vector<int>> inputs = layerInputIndices(net);
        const std::vector<Shape> shapes = inferShapes(net, inputs);
        const std::vector<LayerQuantization> &lqs = model.layers();
        const std::size_t n = net.layers.size();
        ExportOutput out;

        // Tensors: every layer with a kernel writes one; flatten and softmax pass their input on (shared with the MCU
        // cost model's "paretoscope-c" runtime, so the arena it charges is this one).
        const DeployedTensors layout = deployedTensors(net);
        const std::vector<TensorLifetime> &tensors = layout.tensors;
        const std::vector<int> &tensorOf = layout.tensorOf;
        const std::vector<int> &stepOf = layout.stepOf;
        const std::vector<int> &scratchOf = layout.scratchOf;
        auto tensorOfInput = [&](std::size_t i, std::size_t k) {
            const int j = inputs[i][k];
            return j == kNetworkInput ? kExternalInput : tensorOf[std::size_t(j)];
        };
        for (std::size_t i = 0; i < n; ++i)
            if (scratchOf[i] >= 0 && tensors[std::size_t(scratchOf[i])].bytes != midElements(net.layers[i], lqs[i]))
                throw std::logic_error("C export: the intermediate of layer " + net.layers[i].name +
                                       " does not match its factor shape");
        const int outputTensor = tensorOf.back();
        MemoryPlanner planner;
        for (const TensorLifetime &t : tensors)
            planner.addTensor(t);
        const MemoryPlan plan = planner.plan();

        // Pruned layers in the sparse encoding the study charges for them (csparse.h); the others dense.
        std::vector<std::optional<CSparseWeights>> sparse(n);
        std::vector<std::string> fallbacks(n);
        bool anySparse = false, anyDense = false;
        for (std::size_t i = 0; i < n; ++i) {
            const LayerSpec &l = net.layers[i];
            if (l.type != LayerType::Conv2d && l.type != LayerType::DepthwiseConv2d && l.type != LayerType::Dense)
                continue;
            const Shape &in = inputs[i][0] == kNetworkInput ? net.input : shapes[std::size_t(inputs[i][0])];
            sparse[i] = encodeSparseWeights(l, in, lqs[i].weights, lqs[i].weightBits, &fallbacks[i]);
            (sparse[i] ? anySparse : anyDense) = true;
        }

        const std::string base = cName(options.baseName);
        const std::string macro = "PSC_MODEL_";
        const Shape &input = net.input;
        const int outputSize = model.outputSize();

        std::ostringstream header;
        header << "/* " << options.baseName << ".h: the network \"" << cName(net.name)
               << "\" as int8 C99, written by Paretoscope";
        if (!options.source.empty())
            header << " from " << options.source;
        header << ".\n   docs/formats/export-c.md describes these files. */\n"
               << "#ifndef PSC_MODEL_" << upper(base) << "_H\n#define PSC_MODEL_" << upper(base) << "_H\n\n"
               << "#include <stdint.h>\n\n"
               << "/* Input: int8, channels first (C x H x W); from 8-bit pixels q = pixel - 128. */\n"
               << "#define " << macro << "INPUT_CHANNELS " << input.channels << "\n"
               << "#define " << macro << "INPUT_HEIGHT " << input.height << "\n"
               << "#define " << macro << "INPUT_WIDTH " << input.width << "\n"
               << "#define " << macro << "INPUT_SIZE " << input.elements() << "\n"
               << "#define " << macro << "INPUT_SCALE " << floatLiteral(model.inputParams().scale) << "\n"
               << "#define " << macro << "INPUT_ZERO_POINT " << model.inputParams().zeroPoint << "\n"
               << "/* Output: the int8 logits (the input of a final softmax); real = scale * (q - zero_point). */\n"
               << "#define " << macro << "OUTPUT_SIZE " << outputSize << "\n"
               << "#define " << macro << "OUTPUT_SCALE " << floatLiteral(model.outputParams().scale) << "\n"
               << "#define " << macro << "OUTPUT_ZERO_POINT " << model.outputParams().zeroPoint << "\n"
               << "/* Bytes of the static activation arena (RAM), placed by Paretoscope's memory planner. */\n"
               << "#define " << macro << "ARENA_SIZE " << plan.arenaBytes << "\n\n"
               << "#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n"
               << "/* Runs one inference; returns 0. Not reentrant: the arena is static. */\n"
               << "int psc_model_invoke(const int8_t *input, int8_t *output);\n\n"
               << "#ifdef __cplusplus\n}\n#endif\n\n#endif\n";

        Source src;
        src.text << "/* " << options.baseName << ".c: the network \"" << cName(net.name)
                 << "\" as int8 C99, written by Paretoscope";
        if (!options.source.empty())
            src.text << " from " << options.source;
        src.text << ".\n   Bit-exact with Paretoscope's integer reference inference (docs/quantization.md). */\n"
                 << "#include \"" << options.baseName << ".h\"\n\n#include <stdint.h>\n#include <string.h>\n"
                 << cKernelsFor(net, anySparse, anyDense) << "\n/* ---- the model ---- */\n\n"
                 << "static int8_t psc_arena[" << std::max<std::int64_t>(plan.arenaBytes, 1)
                 << "] __attribute__((aligned(16)));\n\n";

        std::ostringstream calls;
        auto pointer = [&](int tensor) {
            return tensor == kExternalInput ? std::string("input")
                                            : "(psc_arena + " + std::to_string(plan.offsets[std::size_t(tensor)]) + ")";
        };
        for (std::size_t i = 0; i < n; ++i) {
            if (stepOf[i] < 0)
                continue;
            const LayerSpec &l = net.layers[i];
            const LayerQuantization &q = lqs[i];
            const std::string id = "l" + std::to_string(i) + "_" + cName(l.name);
            const Shape &in = inputs[i][0] == kNetworkInput ? net.input : shapes[std::size_t(inputs[i][0])];
            const Shape &o = shapes[i];
            const std::string dst = pointer(tensorOf[i]);
            const std::string srcPtr = pointer(tensorOfInput(i, 0));
            src.text << "/* layer " << i << ": " << cName(l.name) << " (" << toString(l.type) << "), " << toString(in)
                     << " -> " << toString(o) << " */\n";
            const int lo = q.clampMin, hi = q.clampMax;
            switch (l.type) {
            case LayerType::Conv2d:
            case LayerType::DepthwiseConv2d:
            case LayerType::Dense: {
                const bool dense = l.type == LayerType::Dense;
                const bool depthwise = l.type == LayerType::DepthwiseConv2d;
                const WindowAxis h =
                    dense ? WindowAxis{1, 0, 0, 1} : windowAxis(in.height, l.kernelH, l.strideH, l.padding);
                const WindowAxis w =
                    dense ? WindowAxis{1, 0, 0, 1} : windowAxis(in.width, l.kernelW, l.strideW, l.padding);
                std::string descriptor = "NULL";
                const std::string weights = sparse[i] ? src.sparseWeights(id + "_w", *sparse[i], descriptor)
                                                      : src.weights(id + "_w", q.weights, q.weightBits);
                if (sparse[i])
                    descriptor = "&" + descriptor;
                src.array("int32_t", id + "_b", q.bias);
                src.array("int32_t", id + "_m", multipliersOf(q.multipliers));
                src.array("int8_t", id + "_s", shiftsOf(q.multipliers));
                const std::int64_t inC = dense ? in.elements() : in.channels;
                src.text << "static const psc_conv_t " << id << " = {"
                         << joined({inC, dense ? 1 : in.height, dense ? 1 : in.width, o.channels, o.height, o.width,
                                    dense ? 1 : l.kernelH, dense ? 1 : l.kernelW, dense ? 1 : l.strideH,
                                    dense ? 1 : l.strideW, h.padBefore, w.padBefore, depthwise ? l.depthMultiplier : 0,
                                    q.inputs[0].zeroPoint, q.output.zeroPoint, lo, hi})
                         << ", " << weights << ", " << id << "_b, " << id << "_m, " << id << "_s, " << descriptor
                         << "};\n\n";
                src.constantBytes += 17 * 4 + 28;
                calls << (sparse[i] ? "    psc_conv_sparse(&" : "    psc_conv(&") << id << ", " << srcPtr << ", " << dst
                      << ");\n";
                break;
            }
            case LayerType::LowRank:
            case LayerType::Kronecker: {
                const bool kron = l.type == LayerType::Kronecker;
                const std::int64_t groups1 = kron ? l.kronA.in : 1, segment1 = q.factorShape.at(1),
                                   rows1 = q.factorShape.at(0), groups2 = kron ? l.kronB.out : 1,
                                   rows2 = q.weightShape.at(0), length2 = q.weightShape.at(1);
                const std::string factor = src.weights(id + "_f", q.factorWeights, q.weightBits);
                src.array("int32_t", id + "_fm", multipliersOf(q.factorMultipliers));
                src.array("int8_t", id + "_fs", shiftsOf(q.factorMultipliers));
                const std::string weights = src.weights(id + "_w", q.weights, q.weightBits);
                src.array("int32_t", id + "_b", q.bias);
                src.array("int32_t", id + "_m", multipliersOf(q.multipliers));
                src.array("int8_t", id + "_s", shiftsOf(q.multipliers));
                src.text << "static const psc_factorized_t " << id << " = {"
                         << joined({std::int64_t(in.height) * in.width, kron ? 1 : 0, groups1, segment1, rows1, groups2,
                                    rows2, length2, q.inputs[0].zeroPoint, q.intermediate.zeroPoint, q.output.zeroPoint,
                                    lo, hi})
                         << ", " << factor << ", " << weights << ", " << id << "_fm, " << id << "_b, " << id << "_m, "
                         << id << "_fs, " << id << "_s};\n\n";
                src.constantBytes += 13 * 4 + 2 * 8 + 5 * 4;
                calls << "    psc_factorized(&" << id << ", " << srcPtr << ", " << pointer(scratchOf[i]) << ", " << dst
                      << ");\n";
                break;
            }
            case LayerType::GlobalAvgPool: {
                const QuantizedMultiplier &m = q.multipliers.at(0);
                src.text << "static const psc_mean_t " << id << " = {"
                         << joined({in.channels, std::int64_t(in.height) * in.width, q.inputs[0].zeroPoint,
                                    q.output.zeroPoint, m.multiplier, m.shift, lo, hi})
                         << "};\n\n";
                src.constantBytes += 8 * 4;
                calls << "    psc_mean(&" << id << ", " << srcPtr << ", " << dst << ");\n";
                break;
            }
            case LayerType::MaxPool2d:
            case LayerType::AvgPool2d: {
                const WindowAxis h = windowAxis(in.height, l.kernelH, l.strideH, l.padding);
                const WindowAxis w = windowAxis(in.width, l.kernelW, l.strideW, l.padding);
                src.text << "static const psc_pool_t " << id << " = {"
                         << joined({in.channels, in.height, in.width, o.height, o.width, l.kernelH, l.kernelW,
                                    l.strideH, l.strideW, h.padBefore, w.padBefore,
                                    l.type == LayerType::MaxPool2d ? 1 : 0, q.output.zeroPoint, lo, hi})
                         << "};\n\n";
                src.constantBytes += 15 * 4;
                calls << "    psc_pool(&" << id << ", " << srcPtr << ", " << dst << ");\n";
                break;
            }
            case LayerType::Add: {
                std::vector<std::int32_t> zps;
                for (const QuantParams &p : q.inputs)
                    zps.push_back(p.zeroPoint);
                src.array("int32_t", id + "_z", zps);
                src.array("int32_t", id + "_m", multipliersOf(q.multipliers));
                src.array("int8_t", id + "_s", shiftsOf(q.multipliers));
                src.text << "static const psc_add_t " << id << " = {"
                         << joined({o.elements(), std::int64_t(zps.size())}) << ", " << id << "_z, " << id << "_m, "
                         << id << "_s, " << joined({q.output.zeroPoint, lo, hi}) << "};\n\n";
                src.constantBytes += 5 * 4 + 3 * 8;
                calls << "    {\n        const int8_t *const in[" << zps.size() << "] = {";
                for (std::size_t k = 0; k < zps.size(); ++k)
                    calls << (k ? ", " : "") << pointer(tensorOfInput(i, k));
                calls << "};\n        psc_add(&" << id << ", in, " << dst << ");\n    }\n";
                break;
            }
            case LayerType::Relu:
            case LayerType::Relu6:
                calls << "    psc_clamp(" << o.elements() << ", " << lo << ", " << hi << ", " << srcPtr << ", " << dst
                      << ");\n";
                break;
            case LayerType::Flatten:
            case LayerType::Softmax:
                break;
            case LayerType::BatchNorm:
                throw InputError("layer \"" + l.name + "\": an unfolded batch_norm cannot be exported");
            }
            if (!fallbacks[i].empty()) // the weights break their DBB / N:M bound: the study charges less
                out.warnings.push_back("layer " + l.name + ": " + std::string(toString(l.sparsity.pattern)) +
                                       " sparsity stored as " +
                                       (sparse[i] ? std::string(toString(sparse[i]->encoding)) + " (" +
                                                        std::to_string(sparse[i]->bytes()) + " B of weights)"
                                                  : std::string("dense")) +
                                       ", since the trained weights break the bound: " + fallbacks[i]);
            if (q.weightBits == 1 && !sparse[i] &&
                (storageBits(q.weights, 1) != 1 || storageBits(q.factorWeights, 1) != 1))
                out.warnings.push_back("layer " + l.name +
                                       ": binary weights with an all-zero channel are stored at 2 bits");
        }
        src.text << "int psc_model_invoke(const int8_t *input, int8_t *output)\n{\n"
                 << calls.str() << "    memcpy(output, " << pointer(outputTensor) << ", " << outputSize
                 << ");\n    return 0;\n}\n";

        out.files.push_back({options.baseName + ".c", src.text.str()});
        std::string headerText = header.str();
        if (!out.warnings.empty()) {
            // After the opening comment: what this file does not realise of the gains the study shows.
            std::string block = "\n/* " + std::string(kWarningsMetadataName) + ":\n";
            for (std::string line : out.warnings) {
                for (std::size_t at; (at = line.find("*/")) != std::string::npos;)
                    line.replace(at, 2, "* /");
                block += "   - " + line + "\n";
            }
            headerText.insert(headerText.find("*/\n") + 3, block + "*/\n");
        }
        out.files.push_back({options.baseName + ".h", std::move(headerText)});
        out.figures = {{"arena_bytes", double(plan.arenaBytes)},
                       {"weight_bytes", double(src.weightBytes)},
                       {"constant_bytes", double(src.constantBytes)}};
        return out;
    }

private:
    static std::int64_t midElements(const LayerSpec &l, const LayerQuantization &q)
    {
        return l.type == LayerType::Kronecker ? std::int64_t(q.factorShape.at(0)) * l.kronA.in
                                              : std::int64_t(q.factorShape.at(0));
    }
};

} // namespace

std::unique_ptr<Exporter> makeCExporter()
{
    return std::make_unique<CExporter>();
}

} // namespace psc
