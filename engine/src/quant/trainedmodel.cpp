// SPDX-License-Identifier: GPL-3.0-or-later
// The binary trained-model format (docs/formats/trained-model.md). lowerForDeployment() lives elsewhere.

#include "psc/quant/trainedmodel.h"

#include "core/jsonsource.h"
#include "net/networkjson.h"
#include "psc/net/shapeinference.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <set>
#include <utility>

namespace psc {

namespace {

using Ordered = nlohmann::ordered_json;
using Json = nlohmann::json;

constexpr char kMagic[] = {'P', 'S', 'C', 'T', 'M', '\x01'};
constexpr std::size_t kMagicSize = sizeof(kMagic);
constexpr std::size_t kPreambleSize = kMagicSize + 4; // magic, then the uint32 header length
/** Largest header accepted: a network description of thousands of layers stays far below this. */
constexpr std::uint32_t kMaxHeaderSize = 64u << 20;

void appendUint32(std::vector<std::uint8_t> &out, std::uint32_t v)
{
    for (int i = 0; i < 4; ++i)
        out.push_back(std::uint8_t(v >> (8 * i)));
}

void appendFloats(std::vector<std::uint8_t> &out, const std::vector<float> &values)
{
    const std::size_t at = out.size();
    out.resize(at + 4 * values.size());
    for (std::size_t i = 0; i < values.size(); ++i) {
        const auto bits = std::bit_cast<std::uint32_t>(values[i]);
        for (int b = 0; b < 4; ++b)
            out[at + 4 * i + std::size_t(b)] = std::uint8_t(bits >> (8 * b));
    }
}

float readFloat(const std::uint8_t *p)
{
    const std::uint32_t bits =
        std::uint32_t(p[0]) | std::uint32_t(p[1]) << 8 | std::uint32_t(p[2]) << 16 | std::uint32_t(p[3]) << 24;
    return std::bit_cast<float>(bits);
}

[[noreturn]] void fail(const std::string &what, const std::string &detail)
{
    throw InputError(what + ": " + detail);
}

/** Appends one tensor's header entry and its data; a tensor's value count must match its shape. */
void writeTensor(Ordered &tensors, std::vector<std::uint8_t> &data, const std::string &layer, const char *role,
                 const FloatTensor &t)
{
    if (std::int64_t(t.values.size()) != t.elements())
        throw InputError("trained model: " + std::string(role) + " of layer \"" + layer + "\" has " +
                         std::to_string(t.values.size()) + " values, its shape needs " + std::to_string(t.elements()));
    Ordered entry = Ordered::object();
    entry["layer"] = layer;
    entry["role"] = role;
    entry["shape"] = t.shape;
    entry["offset"] = data.size();
    tensors.push_back(std::move(entry));
    appendFloats(data, t.values);
}

double finite(double value, const std::string &name)
{
    if (!std::isfinite(value))
        throw InputError("trained model: " + name + " is not finite");
    return value;
}

} // namespace

std::vector<std::uint8_t> serializeTrainedModel(const TrainedModel &model)
{
    NetworkDescription network = model.network;
    resolveNetwork(network);

    Ordered header = Ordered::object();
    header["format"] = kTrainedModelFormat;
    header["network"] = networkToValue(network);
    header["input_mean"] = finite(model.inputMean, "input mean");
    header["input_std"] = finite(model.inputStd, "input std");
    Ordered ranges = Ordered::object();
    for (const auto &[name, range] : model.ranges) {
        finite(range.min, "range of \"" + name + "\"");
        finite(range.max, "range of \"" + name + "\"");
        ranges[name] = Ordered::array({range.min, range.max});
    }
    header["ranges"] = std::move(ranges);

    std::vector<std::uint8_t> data;
    Ordered tensors = Ordered::array();
    for (const auto &[layer, params] : model.parameters) {
        writeTensor(tensors, data, layer, "weight", params.weight);
        if (!(params.bias == FloatTensor{}))
            writeTensor(tensors, data, layer, "bias", params.bias);
        if (!(params.factor == FloatTensor{}))
            writeTensor(tensors, data, layer, "factor", params.factor);
    }
    header["tensors"] = std::move(tensors);
    header["data_bytes"] = data.size();

    const std::string text = header.dump(-1, ' ', false, Ordered::error_handler_t::strict);
    std::vector<std::uint8_t> out(kMagic, kMagic + kMagicSize);
    out.reserve(kPreambleSize + text.size() + data.size());
    appendUint32(out, std::uint32_t(text.size()));
    out.insert(out.end(), text.begin(), text.end());
    out.insert(out.end(), data.begin(), data.end());
    return out;
}

TrainedModel deserializeTrainedModel(const std::vector<std::uint8_t> &bytes, const std::string &what)
{
    const std::size_t size = bytes.size();
    const std::size_t magicBytes = std::min(size, kMagicSize);
    if (magicBytes > 0 && std::memcmp(bytes.data(), kMagic, magicBytes) != 0)
        fail(what, "bad magic: not a Paretoscope trained model (expected \"PSCTM\\x01\")");
    if (size < kPreambleSize)
        fail(what, "truncated: " + std::to_string(size) + " bytes, the preamble alone needs " +
                       std::to_string(kPreambleSize));
    std::uint32_t headerSize = 0;
    for (int i = 0; i < 4; ++i)
        headerSize |= std::uint32_t(bytes[kMagicSize + std::size_t(i)]) << (8 * i);
    if (headerSize > kMaxHeaderSize)
        fail(what, "header length " + std::to_string(headerSize) + " is implausible (corrupt file?)");
    if (size - kPreambleSize < headerSize)
        fail(what, "truncated: the header needs " + std::to_string(headerSize) + " bytes, only " +
                       std::to_string(size - kPreambleSize) + " follow");

    const auto *headerBegin = reinterpret_cast<const char *>(bytes.data() + kPreambleSize);
    const JsonSource src = JsonSource::fromText(std::string(headerBegin, headerSize), what);
    const Json &root = src.root();
    src.requireObject(root, "");
    src.checkKeys(root, "", {"format", "network", "input_mean", "input_std", "ranges", "tensors", "data_bytes"});
    const std::string format = src.requireString(root, "", "format");
    if (format != kTrainedModelFormat)
        src.fail("/format", "unsupported format \"" + format + "\", expected \"" + kTrainedModelFormat + "\"");

    TrainedModel model;
    model.network = parseNetworkValue(src, src.require(root, "", "network"), "/network");
    model.inputMean = src.requireDouble(root, "", "input_mean");
    model.inputStd = src.requireDouble(root, "", "input_std");

    const Json &ranges = src.require(root, "", "ranges");
    src.requireObject(ranges, "/ranges");
    for (const auto &[name, value] : ranges.items()) {
        const std::string pointer = JsonSource::child("/ranges", name);
        src.requireArray(value, pointer);
        if (value.size() != 2)
            src.fail(pointer, "expected [min, max], got an array of " + std::to_string(value.size()) + " elements");
        const double lo = src.toDouble(value[0], JsonSource::child(pointer, 0));
        const double hi = src.toDouble(value[1], JsonSource::child(pointer, 1));
        model.ranges[name] = TensorRange{float(lo), float(hi)};
    }

    const std::size_t dataStart = kPreambleSize + headerSize;
    const std::size_t available = size - dataStart;
    const auto dataBytes = std::uint64_t(src.toInt64(src.require(root, "", "data_bytes"), "/data_bytes", 0));
    if (dataBytes > available)
        fail(what, "truncated: the tensor data needs " + std::to_string(dataBytes) + " bytes, only " +
                       std::to_string(available) + " follow the header");
    if (dataBytes < available)
        fail(what, std::to_string(available - dataBytes) + " unexpected bytes after the tensor data");

    const Json &tensors = src.require(root, "", "tensors");
    src.requireArray(tensors, "/tensors");
    std::set<std::pair<std::string, std::string>> seen;
    for (std::size_t i = 0; i < tensors.size(); ++i) {
        const std::string pointer = JsonSource::child("/tensors", i);
        const Json &entry = tensors[i];
        src.requireObject(entry, pointer);
        src.checkKeys(entry, pointer, {"layer", "role", "shape", "offset"});
        const std::string layer = src.requireString(entry, pointer, "layer");
        const int role = src.requireChoice(entry, pointer, "role", {"weight", "bias", "factor"});
        const std::string roleName = role == 0 ? "weight" : role == 1 ? "bias" : "factor";
        if (!seen.emplace(layer, roleName).second)
            src.fail(pointer, "a second " + roleName + " for layer \"" + layer + "\"");
        FloatTensor t;
        const std::string shapePointer = JsonSource::child(pointer, "shape");
        const Json &shape = src.require(entry, pointer, "shape");
        src.requireArray(shape, shapePointer);
        std::uint64_t elements = shape.empty() ? 0 : 1;
        for (std::size_t d = 0; d < shape.size(); ++d) {
            t.shape.push_back(src.toInt(shape[d], JsonSource::child(shapePointer, d), 0, kMaxDimension));
            elements *= std::uint64_t(t.shape.back());
            if (elements * 4 > dataBytes)
                src.fail(shapePointer, "tensor out of bounds: " + std::to_string(elements) + " floats exceed the " +
                                           std::to_string(dataBytes) + " bytes of data");
        }
        const auto offset =
            std::uint64_t(src.toInt64(src.require(entry, pointer, "offset"), JsonSource::child(pointer, "offset"), 0));
        if (offset > dataBytes || elements * 4 > dataBytes - offset)
            src.fail(pointer, "tensor out of bounds: " + std::to_string(elements) + " floats at byte offset " +
                                  std::to_string(offset) + " exceed the " + std::to_string(dataBytes) +
                                  " bytes of data");
        t.values.resize(std::size_t(elements));
        const std::uint8_t *p = bytes.data() + dataStart + offset;
        for (std::size_t k = 0; k < t.values.size(); ++k)
            t.values[k] = readFloat(p + 4 * k);
        LayerParameters &params = model.parameters[layer];
        (role == 0 ? params.weight : role == 1 ? params.bias : params.factor) = std::move(t);
    }
    return model;
}

} // namespace psc
