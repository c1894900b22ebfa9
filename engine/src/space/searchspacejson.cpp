// SPDX-License-Identifier: GPL-3.0-or-later
#include "space/searchspacejson.h"

#include "core/jsonsource.h"

#include <algorithm>
#include <functional>

namespace psc {

namespace {

using nlohmann::json;

// Limits that keep a space sane; none is a hard limit of the network format, they catch typos (a kernel
// of 33 or 1000 channels on a microcontroller is far more likely a slip than an intent).
constexpr int kMaxInputExtent = 4096;
constexpr int kMaxChannels = 4096;
constexpr int kMaxKernel = 15;
constexpr int kMaxExpansion = 16;
constexpr int kMaxBlocks = 32;
constexpr int kMaxDenseUnits = 65536;
constexpr int kMaxClasses = 65536;

/**
 * A list of choices under `key`: an array (non-empty) or a single value standing for a one-element list.
 * Absent keys give `fallback`, which may be empty ("inherit").
 */
template <typename T>
std::vector<T> parseList(const JsonSource &src, const json &obj, const std::string &pointer, const char *key,
                         std::vector<T> fallback, const std::function<T(const json &, const std::string &)> &one)
{
    const auto it = obj.find(key);
    if (it == obj.end())
        return fallback;
    const std::string p = JsonSource::child(pointer, key);
    std::vector<T> out;
    if (!it->is_array()) {
        out.push_back(one(*it, p));
        return out;
    }
    if (it->empty())
        src.fail(p, "expected a non-empty list of choices or a single value, got []");
    for (std::size_t i = 0; i < it->size(); ++i)
        out.push_back(one((*it)[i], JsonSource::child(p, i)));
    return out;
}

struct ListParsers
{
    const JsonSource &src;

    std::vector<int> ints(const json &obj, const std::string &p, const char *key, std::vector<int> fallback) const
    {
        return parseList<int>(src, obj, p, key, std::move(fallback),
                              [this](const json &v, const std::string &vp) { return src.toInt(v, vp); });
    }
    std::vector<double> doubles(const json &obj, const std::string &p, const char *key,
                                std::vector<double> fallback) const
    {
        return parseList<double>(src, obj, p, key, std::move(fallback),
                                 [this](const json &v, const std::string &vp) { return src.toDouble(v, vp); });
    }
    std::vector<bool> bools(const json &obj, const std::string &p, const char *key, std::vector<bool> fallback) const
    {
        std::vector<int> tmp;
        for (bool b : fallback)
            tmp.push_back(b);
        tmp = parseList<int>(src, obj, p, key, tmp,
                             [this](const json &v, const std::string &vp) { return int(src.toBool(v, vp)); });
        return std::vector<bool>(tmp.begin(), tmp.end());
    }
    std::vector<int> required(const json &obj, const std::string &p, const char *key) const
    {
        src.require(obj, p, key);
        return ints(obj, p, key, {});
    }
    CompressionChoices compression(const json &obj, const std::string &p, const CompressionChoices &fallback) const
    {
        return {ints(obj, p, "weight_bits", fallback.weightBits),
                ints(obj, p, "activation_bits", fallback.activationBits),
                doubles(obj, p, "sparsity", fallback.sparsity),
                parseList<FactorizationChoice>(
                    src, obj, p, "factorization", fallback.factorization,
                    [this](const json &v, const std::string &vp) { return factorization(v, vp); })};
    }
    /** "none" | "kronecker" | {"low_rank": F}; F is checked with the other values (findDefinitionProblem). */
    FactorizationChoice factorization(const json &v, const std::string &p) const
    {
        if (v.is_object()) {
            src.checkKeys(v, p, {"low_rank"});
            return {FactorizationChoice::Kind::LowRank, src.requireDouble(v, p, "low_rank")};
        }
        if (!v.is_string())
            src.fail(p, "expected \"none\", \"kronecker\" or {\"low_rank\": fraction}, got " + JsonSource::describe(v));
        return src.toChoice(v, p, {"none", "kronecker"}) == 0
                   ? FactorizationChoice{}
                   : FactorizationChoice{FactorizationChoice::Kind::Kronecker};
    }
};

const json &requireObjectAt(const JsonSource &src, const json &obj, const std::string &pointer, const char *key)
{
    const json &value = src.require(obj, pointer, key);
    src.requireObject(value, JsonSource::child(pointer, key));
    return value;
}

// --- validation ------------------------------------------------------------------------------------------

std::string describe(int v)
{
    return std::to_string(v);
}
std::string describe(double v)
{
    return json(v).dump();
}
std::string describe(bool v)
{
    return v ? "true" : "false";
}
std::string describe(BlockType v)
{
    return choiceToJson(v).dump();
}
std::string describe(Activation v)
{
    return choiceToJson(v).dump();
}
std::string describe(const FactorizationChoice &v)
{
    return choiceToJson(v).dump();
}

using Problem = std::optional<DefinitionProblem>;

/**
 * Checks a list: non-empty unless `mayInherit`, no duplicates, and `expected(value)` empty for each value.
 * `expected` returns what was expected when a value is bad.
 */
template <typename T, typename Check>
Problem checkList(const std::vector<T> &list, const std::string &pointer, bool mayInherit, Check expected)
{
    if (list.empty()) {
        if (mayInherit)
            return std::nullopt;
        return DefinitionProblem{pointer, "expected a non-empty list of choices"};
    }
    for (std::size_t i = 0; i < list.size(); ++i) {
        const T value = list[i];
        const std::string at = JsonSource::child(pointer, i);
        const std::string what = expected(value);
        if (!what.empty())
            return DefinitionProblem{at, what + ", got " + describe(value)};
        for (std::size_t j = 0; j < i; ++j) {
            if (T(list[j]) == value)
                return DefinitionProblem{at, "duplicate choice " + describe(value) + " (each choice may appear once)"};
        }
    }
    return std::nullopt;
}

auto intRange(int min, int max)
{
    return [min, max](int v) {
        return v >= min && v <= max
                   ? std::string()
                   : "expected an integer between " + std::to_string(min) + " and " + std::to_string(max);
    };
}

std::string expectOddKernel(int v)
{
    return v >= 1 && v <= kMaxKernel && v % 2 == 1
               ? std::string()
               : "expected an odd kernel size between 1 and " + std::to_string(kMaxKernel);
}

std::string expectBits(int v)
{
    return v == 1 || v == 2 || v == 4 || v == 8 ? std::string() : "expected a bit-width of 1, 2, 4 or 8";
}

std::string expectSparsity(double v)
{
    return v >= 0.0 && v < 1.0 ? std::string() : "expected a sparsity >= 0 and < 1";
}

std::string expectWeightNoise(double v)
{
    return v >= 0.0 && v < 1.0 ? std::string()
                               : "expected a noise level eta >= 0 and < 1, relative to each layer's weight range";
}

std::string anyValue(bool)
{
    return {};
}

std::string anyBlockType(BlockType v)
{
    return v == BlockType::Separable || v == BlockType::Conv ? std::string() : "expected \"separable\" or \"conv\"";
}

std::string expectActivation(Activation v)
{
    return v == Activation::Relu || v == Activation::Relu6 ? std::string() : "expected \"relu\" or \"relu6\"";
}

std::string expectFactorization(const FactorizationChoice &v)
{
    if (v.kind == FactorizationChoice::Kind::LowRank && !(v.rankFraction > 0.0 && v.rankFraction <= 1.0))
        return "expected a low_rank fraction F of min(in, out) with 0 < F <= 1";
    return {};
}

Problem checkCompression(const CompressionChoices &c, const std::string &p, bool mayInherit)
{
    if (auto e = checkList(c.weightBits, p + "/weight_bits", mayInherit, expectBits))
        return e;
    if (auto e = checkList(c.activationBits, p + "/activation_bits", mayInherit, expectBits))
        return e;
    if (auto e = checkList(c.sparsity, p + "/sparsity", mayInherit, expectSparsity))
        return e;
    if (p == "/stem" && !c.factorization.empty())
        return DefinitionProblem{p + "/factorization", "the stem cannot be factorised (a kxk convolution): "
                                                       "factorization applies to the head and the blocks"};
    return checkList(c.factorization, p + "/factorization", mayInherit, expectFactorization);
}

/** Runs the checks in order and returns the first problem. */
Problem firstOf(std::initializer_list<std::function<Problem()>> checks)
{
    for (const auto &check : checks) {
        if (auto e = check())
            return e;
    }
    return std::nullopt;
}

template <typename T> json listToJson(const std::vector<T> &list)
{
    json out = json::array();
    for (const T value : list)
        out.push_back(choiceToJson(value));
    return out;
}

void compressionToJson(json &obj, const CompressionChoices &c)
{
    if (!c.weightBits.empty())
        obj["weight_bits"] = listToJson(c.weightBits);
    if (!c.activationBits.empty())
        obj["activation_bits"] = listToJson(c.activationBits);
    if (!c.sparsity.empty())
        obj["sparsity"] = listToJson(c.sparsity);
    if (!c.factorization.empty())
        obj["factorization"] = listToJson(c.factorization);
}

/** The deepest existing value on the way to `pointer`: a scalar written for a list has no "/0" below it. */
std::string nearestExisting(const json &root, std::string pointer)
{
    for (;;) {
        bool found = false;
        try {
            found = root.contains(json::json_pointer(pointer));
        } catch (const json::exception &) {
            found = false;
        }
        if (found || pointer.empty())
            return pointer;
        pointer.erase(pointer.rfind('/'));
    }
}

} // namespace

std::string_view toString(BlockType type)
{
    return type == BlockType::Conv ? "conv" : "separable";
}

SearchSpaceDefinition parseSearchSpaceDefinition(const JsonSource &src, const std::string &pointer)
{
    const json &root = pointer.empty() ? src.root() : src.root().at(json::json_pointer(pointer));
    src.requireObject(root, pointer);
    src.checkKeys(root, pointer,
                  {"name", "description", "input", "num_classes", "stem", "blocks", "head", "batch_norm", "activation",
                   "weight_bits", "activation_bits", "sparsity", "factorization", "sparsity_pattern", "training"});
    const ListParsers lists{src};
    SearchSpaceDefinition def;
    def.name = src.requireString(root, pointer, "name");
    def.description = src.getString(root, pointer, "description", "");

    const std::string inputPointer = JsonSource::child(pointer, "input");
    const json &input = requireObjectAt(src, root, pointer, "input");
    src.checkKeys(input, inputPointer, {"channels", "height", "width"});
    def.input.channels = src.requireInt(input, inputPointer, "channels");
    def.input.height = src.requireInt(input, inputPointer, "height");
    def.input.width = src.requireInt(input, inputPointer, "width");
    def.numClasses = src.requireInt(root, pointer, "num_classes");

    const std::string stemPointer = JsonSource::child(pointer, "stem");
    const json &stem = requireObjectAt(src, root, pointer, "stem");
    src.checkKeys(stem, stemPointer,
                  {"out_channels", "kernel", "stride", "weight_bits", "activation_bits", "sparsity"});
    def.stem.outChannels = lists.required(stem, stemPointer, "out_channels");
    def.stem.kernel = lists.ints(stem, stemPointer, "kernel", def.stem.kernel);
    def.stem.stride = lists.ints(stem, stemPointer, "stride", def.stem.stride);
    def.stem.compression = lists.compression(stem, stemPointer, {});

    const std::string blocksPointer = JsonSource::child(pointer, "blocks");
    const json &blocks = requireObjectAt(src, root, pointer, "blocks");
    src.checkKeys(blocks, blocksPointer,
                  {"count", "type", "out_channels", "kernel", "stride", "expansion", "residual", "weight_bits",
                   "activation_bits", "sparsity", "factorization"});
    def.blocks.count = lists.required(blocks, blocksPointer, "count");
    def.blocks.type = parseList<BlockType>(src, blocks, blocksPointer, "type", def.blocks.type,
                                           [&src](const json &v, const std::string &p) {
                                               return BlockType(src.toChoice(v, p, {"separable", "conv"}));
                                           });
    def.blocks.outChannels = lists.required(blocks, blocksPointer, "out_channels");
    def.blocks.kernel = lists.ints(blocks, blocksPointer, "kernel", def.blocks.kernel);
    def.blocks.stride = lists.ints(blocks, blocksPointer, "stride", def.blocks.stride);
    def.blocks.expansion = lists.ints(blocks, blocksPointer, "expansion", def.blocks.expansion);
    def.blocks.residual = lists.bools(blocks, blocksPointer, "residual", def.blocks.residual);
    def.blocks.compression = lists.compression(blocks, blocksPointer, {});

    if (const auto it = root.find("head"); it != root.end()) {
        const std::string headPointer = JsonSource::child(pointer, "head");
        src.requireObject(*it, headPointer);
        src.checkKeys(*it, headPointer, {"dense_units", "weight_bits", "activation_bits", "sparsity", "factorization"});
        def.head.denseUnits = lists.ints(*it, headPointer, "dense_units", def.head.denseUnits);
        def.head.compression = lists.compression(*it, headPointer, {});
    }

    def.batchNorm = lists.bools(root, pointer, "batch_norm", def.batchNorm);
    def.activation = parseList<Activation>(
        src, root, pointer, "activation", def.activation, [&src](const json &v, const std::string &p) {
            return src.toChoice(v, p, {"relu", "relu6"}) == 0 ? Activation::Relu : Activation::Relu6;
        });
    def.compression = lists.compression(root, pointer, def.compression);
    if (const auto it = root.find("sparsity_pattern"); it != root.end()) {
        // "unstructured" | {"pattern": "dbb", "block_size": BZ} | {"pattern": "n:m", "m": M}
        const std::string p = JsonSource::child(pointer, "sparsity_pattern");
        if (it->is_string()) {
            src.toChoice(*it, p, {"unstructured"});
        } else {
            src.requireObject(*it, p);
            const int kind = src.requireChoice(*it, p, "pattern", {"unstructured", "dbb", "n:m"});
            if (kind == 0) {
                src.checkKeys(*it, p, {"pattern"});
            } else if (kind == 1) {
                src.checkKeys(*it, p, {"pattern", "block_size"});
                def.sparsityPattern = SparsitySpec{SparsityPattern::Dbb};
                def.sparsityPattern.blockSize = src.requireInt(*it, p, "block_size", 2, 256);
            } else {
                src.checkKeys(*it, p, {"pattern", "m"});
                def.sparsityPattern = SparsitySpec{SparsityPattern::NM};
                def.sparsityPattern.m = src.requireInt(*it, p, "m", 2, 256);
            }
        }
    }

    if (const auto it = root.find("training"); it != root.end()) {
        const std::string p = JsonSource::child(pointer, "training");
        src.requireObject(*it, p);
        src.checkKeys(*it, p, {"weight_noise", "distill"});
        def.training.weightNoise = lists.doubles(*it, p, "weight_noise", {});
        def.training.distill = lists.bools(*it, p, "distill", {});
    }

    if (const auto problem = findDefinitionProblem(def))
        src.fail(nearestExisting(src.root(), pointer + problem->pointer), problem->what);
    return def;
}

std::optional<DefinitionProblem> findDefinitionProblem(const SearchSpaceDefinition &d)
{
    const auto extent = intRange(1, kMaxInputExtent);
    auto scalar = [](const std::string &pointer, int value, const auto &check) -> Problem {
        const std::string what = check(value);
        if (what.empty())
            return std::nullopt;
        return DefinitionProblem{pointer, what + ", got " + std::to_string(value)};
    };
    const auto &b = d.blocks;
    return firstOf({
        [&]() -> Problem {
            return d.name.empty() ? Problem(DefinitionProblem{"/name", "expected a non-empty string"}) : std::nullopt;
        },
        [&] { return scalar("/input/channels", d.input.channels, extent); },
        [&] { return scalar("/input/height", d.input.height, extent); },
        [&] { return scalar("/input/width", d.input.width, extent); },
        [&] { return scalar("/num_classes", d.numClasses, intRange(2, kMaxClasses)); },
        [&] { return checkList(d.stem.outChannels, "/stem/out_channels", false, intRange(1, kMaxChannels)); },
        [&] { return checkList(d.stem.kernel, "/stem/kernel", false, expectOddKernel); },
        [&] { return checkList(d.stem.stride, "/stem/stride", false, intRange(1, 2)); },
        [&] { return checkCompression(d.stem.compression, "/stem", true); },
        [&] { return checkList(b.count, "/blocks/count", false, intRange(0, kMaxBlocks)); },
        [&] { return checkList(b.type, "/blocks/type", false, anyBlockType); },
        [&] { return checkList(b.outChannels, "/blocks/out_channels", false, intRange(1, kMaxChannels)); },
        [&] { return checkList(b.kernel, "/blocks/kernel", false, expectOddKernel); },
        [&] { return checkList(b.stride, "/blocks/stride", false, intRange(1, 2)); },
        [&] { return checkList(b.expansion, "/blocks/expansion", false, intRange(1, kMaxExpansion)); },
        [&] { return checkList(b.residual, "/blocks/residual", false, anyValue); },
        [&] { return checkCompression(b.compression, "/blocks", true); },
        [&] { return checkList(d.head.denseUnits, "/head/dense_units", false, intRange(0, kMaxDenseUnits)); },
        [&] { return checkCompression(d.head.compression, "/head", true); },
        [&] { return checkList(d.batchNorm, "/batch_norm", false, anyValue); },
        [&] { return checkList(d.activation, "/activation", false, expectActivation); },
        [&] { return checkCompression(d.compression, "", false); },
        [&] { return checkList(d.training.weightNoise, "/training/weight_noise", true, expectWeightNoise); },
        [&] { return checkList(d.training.distill, "/training/distill", true, anyValue); },
    });
}

json searchSpaceDefinitionToJson(const SearchSpaceDefinition &d)
{
    json stem{{"out_channels", listToJson(d.stem.outChannels)},
              {"kernel", listToJson(d.stem.kernel)},
              {"stride", listToJson(d.stem.stride)}};
    compressionToJson(stem, d.stem.compression);
    json blocks{{"count", listToJson(d.blocks.count)},
                {"type", listToJson(d.blocks.type)},
                {"out_channels", listToJson(d.blocks.outChannels)},
                {"kernel", listToJson(d.blocks.kernel)},
                {"stride", listToJson(d.blocks.stride)},
                {"expansion", listToJson(d.blocks.expansion)},
                {"residual", listToJson(d.blocks.residual)}};
    compressionToJson(blocks, d.blocks.compression);
    json head{{"dense_units", listToJson(d.head.denseUnits)}};
    compressionToJson(head, d.head.compression);

    json out{{"name", d.name},
             {"description", d.description},
             {"input", {{"channels", d.input.channels}, {"height", d.input.height}, {"width", d.input.width}}},
             {"num_classes", d.numClasses},
             {"stem", stem},
             {"blocks", blocks},
             {"head", head},
             {"batch_norm", listToJson(d.batchNorm)},
             {"activation", listToJson(d.activation)}};
    compressionToJson(out, d.compression);
    switch (d.sparsityPattern.pattern) {
    case SparsityPattern::Dbb:
        out["sparsity_pattern"] = {{"pattern", "dbb"}, {"block_size", d.sparsityPattern.blockSize}};
        break;
    case SparsityPattern::NM:
        out["sparsity_pattern"] = {{"pattern", "n:m"}, {"m", d.sparsityPattern.m}};
        break;
    default:
        out["sparsity_pattern"] = "unstructured";
        break;
    }
    // Written only when searched, so that spaces from before it keep their canonical text.
    if (!d.training.weightNoise.empty() || !d.training.distill.empty()) {
        json training = json::object();
        if (!d.training.weightNoise.empty())
            training["weight_noise"] = listToJson(d.training.weightNoise);
        if (!d.training.distill.empty())
            training["distill"] = listToJson(d.training.distill);
        out["training"] = training;
    }
    return out;
}

} // namespace psc
