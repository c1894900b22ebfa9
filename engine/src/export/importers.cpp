// SPDX-License-Identifier: GPL-3.0-or-later
#include "export/importers.h"

#include "psc/net/networkparser.h"
#include "psc/net/shapeinference.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace psc {

int weightBitsOf(const std::vector<std::int8_t> &values)
{
    if (!values.empty() && std::all_of(values.begin(), values.end(), [](std::int8_t v) { return v == 1 || v == -1; }))
        return 1;
    int largest = 0;
    for (const std::int8_t v : values)
        largest = std::max(largest, std::abs(int(v)));
    for (int b = 2; b < 8; ++b)
        if (largest <= (1 << (b - 1)) - 1)
            return b;
    return 8;
}

void TrainedModelBuilder::input(double scale, std::int64_t zeroPoint)
{
    // inputParams(): scale = 1 / (255 std), zeroPoint = round(255 mean) - 128.
    if (!(scale > 0.0) || !std::isfinite(scale)) {
        refuse("the input's scale " + std::to_string(scale) + " is not positive");
        return;
    }
    m_model.inputStd = 1.0 / (255.0 * scale);
    m_model.inputMean = double(zeroPoint + 128) / 255.0;
}

void TrainedModelBuilder::range(const std::string &name, double scale, std::int64_t zeroPoint)
{
    if (!(scale > 0.0) || !std::isfinite(scale) || zeroPoint < -128 || zeroPoint > 127) {
        refuse("tensor " + name + ": scale " + std::to_string(scale) + ", zero point " + std::to_string(zeroPoint) +
               " are not int8 parameters (scale > 0, zero point in -128..127)");
        return;
    }
    // activationParams() widens the range to contain 0 and takes scale = (max - min) / 255,
    // zeroPoint = -128 - round(min / scale): the int8 grid's ends give back exactly these.
    m_model.ranges[name] = {float(scale * double(-128 - zeroPoint)), float(scale * double(127 - zeroPoint))};
}

namespace {

FloatTensor dequantized(const IntWeights &w)
{
    FloatTensor t;
    t.shape = w.shape;
    t.values.resize(w.values.size());
    const std::size_t channels = w.scales.size();
    const std::size_t perChannel = channels ? w.values.size() / channels : 0;
    for (std::size_t i = 0; i < w.values.size(); ++i)
        t.values[i] = float(w.scales[perChannel ? i / perChannel : 0] * double(w.values[i]));
    return t;
}

} // namespace

void TrainedModelBuilder::weights(const std::string &name, const IntWeights &weight,
                                  const std::vector<std::int32_t> &bias, double inputScale, const IntWeights *factor)
{
    LayerParameters p;
    p.weight = dequantized(weight);
    if (factor)
        p.factor = dequantized(*factor);
    if (!bias.empty()) {
        p.bias.shape = {int(bias.size())};
        for (std::size_t c = 0; c < bias.size(); ++c)
            p.bias.values.push_back(float(double(bias[c]) * inputScale * weight.scales[c % weight.scales.size()]));
    }
    m_model.parameters[name] = std::move(p);
}

void TrainedModelBuilder::refuse(const std::string &why)
{
    if (m_refused.empty())
        m_refused = why;
}

TrainedModel TrainedModelBuilder::take(const NetworkDescription &network)
{
    m_model.network = network;
    return std::move(m_model);
}

std::string uniqueLayerName(const std::string &wanted, std::set<std::string> &taken)
{
    std::string base;
    for (const char ch : wanted)
        base += std::isalnum(static_cast<unsigned char>(ch)) || ch == '_' || ch == '-' || ch == '.' ? ch : '_';
    if (base.empty() || base == kNetworkInputName)
        base = "layer" + base;
    std::string name = base;
    for (int k = 2; taken.count(name); ++k)
        name = base + "_" + std::to_string(k);
    taken.insert(name);
    return name;
}

void checkImportedNetwork(const NetworkDescription &network, const std::vector<Shape> &fileShapes,
                          const std::string &displayName)
{
    NetworkDescription checked;
    try {
        checked = parseNetworkJson(networkToJson(network), displayName + " (imported network)");
    } catch (const std::exception &e) {
        throw InputError(displayName + ": the model does not make a valid network: " + e.what());
    }
    const std::vector<Shape> shapes = inferShapes(checked, layerInputIndices(checked));
    for (std::size_t i = 0; i < shapes.size() && i < fileShapes.size(); ++i)
        if (fileShapes[i].elements() > 0 && !(shapes[i] == fileShapes[i]) &&
            !(shapes[i].elements() == fileShapes[i].elements() && shapes[i].isFlat() && fileShapes[i].isFlat()))
            throw InputError(displayName + ": layer \"" + network.layers[i].name + "\" (" +
                             std::string(toString(network.layers[i].type)) + ") computes " + toString(shapes[i]) +
                             " but the file says " + toString(fileShapes[i]));
}

ImportedModel finishImport(const NetworkDescription &network, const std::vector<Shape> &fileShapes,
                           std::vector<std::string> notes, TrainedModelBuilder &builder, bool isFloat,
                           const std::string &displayName)
{
    checkImportedNetwork(network, fileShapes, displayName);
    ImportedModel result;
    result.network = network;
    result.notes = std::move(notes);
    if (isFloat)
        result.notes.push_back("float model: the network description only (no integer model to run)");
    else if (builder.refused())
        result.notes.push_back("no integer model: " + builder.whyRefused());
    else
        result.model = builder.take(network);
    return result;
}

ImportedModel importModelFile(const std::filesystem::path &file)
{
    const std::string ext = file.extension().string();
    if (ext != ".tflite" && ext != ".onnx")
        throw InputError(file.string() + ": expected a .tflite or .onnx model, got \"" + file.filename().string() +
                         "\"");
    std::error_code ec;
    if (std::filesystem::is_directory(file, ec))
        throw InputError(file.string() + ": is a folder, expected a model file");
    std::ifstream in(file, std::ios::binary);
    if (!in)
        throw InputError(file.string() + ": cannot be read (does it exist?)");
    std::ostringstream bytes;
    bytes << in.rdbuf();
    ImportedModel m =
        ext == ".tflite" ? importTflite(bytes.str(), file.string()) : importOnnx(bytes.str(), file.string());
    m.network.name = file.stem().string();
    if (m.model)
        m.model->network.name = m.network.name;
    return m;
}

} // namespace psc
