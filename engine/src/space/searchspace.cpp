// SPDX-License-Identifier: GPL-3.0-or-later
#include "psc/space/searchspace.h"

#include "core/jsonsource.h"
#include "psc/core/error.h"
#include "space/candidatehash.h"
#include "space/networkbuilder.h"
#include "space/searchspacejson.h"

#include <algorithm>
#include <functional>
#include <limits>
#include <stdexcept>

namespace psc {

namespace {

using nlohmann::json;

/** A parameter of the space: a dimension if it has two or more values, a fixed setting otherwise. */
struct Parameter
{
    std::string name;
    std::vector<json> values;
    std::function<void(ArchitectureChoice &, std::size_t)> apply;
    int dimension = -1;
};

std::string label(const json &value)
{
    return value.is_string() ? value.get<std::string>() : value.dump();
}

/** SplitMix64 (Steele, Lea, Flood 2014): decorrelates nearby seeds before they reach the Mersenne Twister. */
std::uint64_t splitMix64(std::uint64_t x)
{
    x += 0x9E3779B97F4A7C15ULL;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
    return x ^ (x >> 31);
}

} // namespace

struct SearchSpace::Impl
{
    static constexpr int kStem = -1;
    static constexpr int kHead = -2;

    SearchSpaceDefinition definition;
    std::vector<Parameter> parameters;
    std::vector<Dimension> dimensions;
    std::vector<std::size_t> dimensionParameter; ///< index into `parameters` of each dimension
    int slots = 0;                               ///< block slots: the largest block count

    template <typename T, typename Set> void add(std::string name, const std::vector<T> &list, Set set)
    {
        Parameter p;
        p.name = std::move(name);
        std::vector<T> values(list.begin(), list.end());
        for (const T value : values)
            p.values.push_back(choiceToJson(value));
        p.apply = [values, set](ArchitectureChoice &c, std::size_t k) { set(c, T(values[k])); };
        parameters.push_back(std::move(p));
    }

    /**
     * A section's own bit-width/sparsity parameters; inherited ones are set by the space-wide parameters.
     * `slot` is a block slot, or kStem / kHead.
     */
    void addCompression(const std::string &prefix, const CompressionChoices &own, int slot)
    {
        const auto section = [slot](ArchitectureChoice &c) -> SectionCompression & {
            if (slot == kStem)
                return c.stemCompression;
            if (slot == kHead)
                return c.headCompression;
            return c.blocks[std::size_t(slot)].compression;
        };
        if (!own.weightBits.empty())
            add(prefix + "weight_bits", own.weightBits,
                [section](ArchitectureChoice &c, int v) { section(c).weightBits = v; });
        if (!own.activationBits.empty())
            add(prefix + "activation_bits", own.activationBits,
                [section](ArchitectureChoice &c, int v) { section(c).activationBits = v; });
        if (!own.sparsity.empty())
            add(prefix + "sparsity", own.sparsity,
                [section](ArchitectureChoice &c, double v) { section(c).sparsity = v; });
        if (!own.factorization.empty())
            add(prefix + "factorization", own.factorization,
                [section](ArchitectureChoice &c, FactorizationChoice v) { section(c).factorization = v; });
    }

    void build();
};

void SearchSpace::Impl::build()
{
    const SearchSpaceDefinition &d = definition;
    for (int count : d.blocks.count)
        slots = std::max(slots, count);

    add("stem.out_channels", d.stem.outChannels, [](ArchitectureChoice &c, int v) { c.stemOutChannels = v; });
    add("stem.kernel", d.stem.kernel, [](ArchitectureChoice &c, int v) { c.stemKernel = v; });
    add("stem.stride", d.stem.stride, [](ArchitectureChoice &c, int v) { c.stemStride = v; });
    addCompression("stem.", d.stem.compression, kStem);

    add("blocks.count", d.blocks.count, [](ArchitectureChoice &c, int v) { c.blockCount = v; });
    for (int i = 0; i < slots; ++i) {
        const std::string prefix = "block" + std::to_string(i + 1) + ".";
        const auto slot = std::size_t(i);
        add(prefix + "type", d.blocks.type, [slot](ArchitectureChoice &c, BlockType v) { c.blocks[slot].type = v; });
        add(prefix + "out_channels", d.blocks.outChannels,
            [slot](ArchitectureChoice &c, int v) { c.blocks[slot].outChannels = v; });
        add(prefix + "kernel", d.blocks.kernel, [slot](ArchitectureChoice &c, int v) { c.blocks[slot].kernel = v; });
        add(prefix + "stride", d.blocks.stride, [slot](ArchitectureChoice &c, int v) { c.blocks[slot].stride = v; });
        add(prefix + "expansion", d.blocks.expansion,
            [slot](ArchitectureChoice &c, int v) { c.blocks[slot].expansion = v; });
        add(prefix + "residual", d.blocks.residual,
            [slot](ArchitectureChoice &c, bool v) { c.blocks[slot].residual = v; });
        addCompression(prefix, d.blocks.compression, i);
    }

    add("head.dense_units", d.head.denseUnits, [](ArchitectureChoice &c, int v) { c.denseUnits = v; });
    addCompression("head.", d.head.compression, kHead);

    add("batch_norm", d.batchNorm, [](ArchitectureChoice &c, bool v) { c.batchNorm = v; });
    add("activation", d.activation, [](ArchitectureChoice &c, Activation v) { c.activation = v; });
    // Training choices are optional lists: empty keeps the study's recipe.
    if (!d.training.weightNoise.empty())
        add("training.weight_noise", d.training.weightNoise,
            [](ArchitectureChoice &c, double v) { c.weightNoise = v; });
    if (!d.training.distill.empty())
        add("training.distill", d.training.distill, [](ArchitectureChoice &c, bool v) { c.distill = v; });

    // A space-wide list is one shared choice for every section that does not have its own list. If no
    // section inherits it, it would be a dimension that changes nothing, so it is left out.
    auto addGlobal = [&](const char *name, auto list, auto sectionList, auto field, bool stemApplies = true) {
        const bool stem = stemApplies && (d.stem.compression.*sectionList).empty();
        const bool blocks = slots > 0 && (d.blocks.compression.*sectionList).empty();
        const bool head = (d.head.compression.*sectionList).empty();
        if (!stem && !blocks && !head)
            return;
        using T = typename decltype(list)::value_type;
        add(name, list, [stem, blocks, head, field](ArchitectureChoice &c, T v) {
            if (stem)
                c.stemCompression.*field = v;
            if (blocks) {
                for (BlockChoice &block : c.blocks)
                    block.compression.*field = v;
            }
            if (head)
                c.headCompression.*field = v;
        });
    };
    addGlobal("weight_bits", d.compression.weightBits, &CompressionChoices::weightBits,
              &SectionCompression::weightBits);
    addGlobal("activation_bits", d.compression.activationBits, &CompressionChoices::activationBits,
              &SectionCompression::activationBits);
    addGlobal("sparsity", d.compression.sparsity, &CompressionChoices::sparsity, &SectionCompression::sparsity);
    // The stem is a kxk convolution: factorisation does not apply to it.
    addGlobal("factorization", d.compression.factorization, &CompressionChoices::factorization,
              &SectionCompression::factorization, false);

    for (std::size_t i = 0; i < parameters.size(); ++i) {
        Parameter &p = parameters[i];
        if (p.values.size() < 2)
            continue;
        p.dimension = int(dimensions.size());
        Dimension dim;
        dim.name = p.name;
        for (const json &value : p.values)
            dim.labels.push_back(label(value));
        dimensions.push_back(std::move(dim));
        dimensionParameter.push_back(i);
    }
}

SearchSpace::SearchSpace(SearchSpaceDefinition definition)
{
    if (const auto problem = findDefinitionProblem(definition)) {
        const std::string name = definition.name.empty() ? "search space" : "search space \"" + definition.name + "\"";
        throw InputError(name + ": " + problem->pointer + ": " + problem->what);
    }
    auto impl = std::make_shared<Impl>();
    impl->definition = std::move(definition);
    impl->build();
    m_impl = std::move(impl);
}

SearchSpace SearchSpace::fromFile(const std::filesystem::path &path)
{
    const JsonSource source = JsonSource::fromFile(path);
    return SearchSpace(parseSearchSpaceDefinition(source, ""));
}

SearchSpace SearchSpace::fromJson(std::string_view text, std::string_view displayName)
{
    const JsonSource source = JsonSource::fromText(std::string(text), std::string(displayName));
    return SearchSpace(parseSearchSpaceDefinition(source, ""));
}

const SearchSpaceDefinition &SearchSpace::definition() const
{
    return m_impl->definition;
}

const std::string &SearchSpace::name() const
{
    return m_impl->definition.name;
}

std::string SearchSpace::toJson() const
{
    return searchSpaceDefinitionToJson(m_impl->definition).dump(2) + "\n";
}

const std::vector<Dimension> &SearchSpace::dimensions() const
{
    return m_impl->dimensions;
}

std::vector<int> SearchSpace::cardinalities() const
{
    std::vector<int> out;
    for (const Dimension &dim : m_impl->dimensions)
        out.push_back(dim.cardinality());
    return out;
}

std::vector<std::string> SearchSpace::dimensionNames() const
{
    std::vector<std::string> out;
    for (const Dimension &dim : m_impl->dimensions)
        out.push_back(dim.name);
    return out;
}

double SearchSpace::encodingCount() const
{
    double count = 1.0;
    for (const Dimension &dim : m_impl->dimensions)
        count *= dim.cardinality();
    return count;
}

int uniformIndex(std::mt19937_64 &rng, int n)
{
    if (n < 1)
        throw std::invalid_argument("uniformIndex: n must be >= 1");
    const auto bound = std::uint64_t(n);
    // 2^64 mod n draws at the top of the range would make small indices likelier; they are redrawn.
    const std::uint64_t excess = (std::numeric_limits<std::uint64_t>::max() % bound + 1) % bound;
    const std::uint64_t limit = std::uint64_t(0) - excess; // 2^64 - excess, a multiple of n
    for (;;) {
        const std::uint64_t x = rng();
        if (excess == 0 || x < limit)
            return int(x % bound);
    }
}

Encoding SearchSpace::sample(std::mt19937_64 &rng) const
{
    Encoding encoding;
    encoding.reserve(m_impl->dimensions.size());
    for (const Dimension &dim : m_impl->dimensions)
        encoding.push_back(uniformIndex(rng, dim.cardinality()));
    return encoding;
}

Encoding SearchSpace::sample(std::uint64_t seed, std::uint64_t index) const
{
    std::mt19937_64 rng(splitMix64(splitMix64(seed) ^ index));
    return sample(rng);
}

void SearchSpace::validate(const Encoding &encoding) const
{
    const auto &dims = m_impl->dimensions;
    if (encoding.size() != dims.size())
        throw InputError("search space \"" + name() + "\": an encoding needs " + std::to_string(dims.size()) +
                         " values (one per dimension), got " + std::to_string(encoding.size()));
    for (std::size_t i = 0; i < dims.size(); ++i) {
        if (encoding[i] < 0 || encoding[i] >= dims[i].cardinality())
            throw InputError("search space \"" + name() + "\": encoding value " + std::to_string(encoding[i]) +
                             " at position " + std::to_string(i) + " (" + dims[i].name + ") must be between 0 and " +
                             std::to_string(dims[i].cardinality() - 1));
    }
}

DecodedCandidate SearchSpace::decode(const Encoding &encoding) const
{
    validate(encoding);
    const Impl &impl = *m_impl;
    ArchitectureChoice choice;
    choice.sparsityPattern = impl.definition.sparsityPattern;
    choice.blocks.resize(std::size_t(impl.slots));
    nlohmann::ordered_json parameters = nlohmann::ordered_json::object();
    for (const Parameter &p : impl.parameters) {
        const std::size_t k = p.dimension < 0 ? 0 : std::size_t(encoding[std::size_t(p.dimension)]);
        p.apply(choice, k);
        if (p.dimension >= 0)
            parameters[p.name] = p.values[k];
    }
    DecodedCandidate out;
    out.network = buildNetwork(impl.definition.name, impl.definition.input, impl.definition.numClasses, choice,
                               out.weightSparsity);
    out.parametersJson = parameters.dump();
    out.weightNoise = choice.weightNoise;
    out.distill = choice.distill;
    nlohmann::json training = nlohmann::json::object();
    if (choice.weightNoise)
        training["weight_noise"] = *choice.weightNoise;
    if (choice.distill)
        training["distill"] = *choice.distill;
    out.architectureHash = withTrainingChoices(candidateHash(out.network, out.weightSparsity),
                                               training.empty() ? std::string() : training.dump());
    return out;
}

TrainingRecipe DecodedCandidate::recipe(const TrainingRecipe &studyTraining) const
{
    TrainingRecipe r = studyTraining;
    if (weightNoise)
        r.weightNoise = *weightNoise;
    if (distill)
        r.distillWeight = *distill ? (studyTraining.distillWeight > 0.0 ? studyTraining.distillWeight : 0.9) : 0.0;
    return r;
}

Encoding SearchSpace::encode(std::string_view parametersJson) const
{
    const JsonSource source = JsonSource::fromText(std::string(parametersJson), "parameters of \"" + name() + "\"");
    const json &root = source.root();
    source.requireObject(root, "");
    const Impl &impl = *m_impl;
    Encoding encoding(impl.dimensions.size(), -1);
    for (const auto &item : root.items()) {
        const std::string pointer = JsonSource::child("", item.key());
        const auto it = std::find_if(impl.dimensions.begin(), impl.dimensions.end(),
                                     [&](const Dimension &dim) { return dim.name == item.key(); });
        if (it == impl.dimensions.end())
            source.fail(pointer, "\"" + item.key() + "\" is not a dimension of the search space (dimensions: " +
                                     json(dimensionNames()).dump() + ")");
        const auto d = std::size_t(it - impl.dimensions.begin());
        const std::vector<json> &values = impl.parameters[impl.dimensionParameter[d]].values;
        const auto v = std::find(values.begin(), values.end(), item.value());
        if (v == values.end())
            source.fail(pointer,
                        "expected one of " + json(values).dump() + ", got " + JsonSource::describe(item.value()));
        encoding[d] = int(v - values.begin());
    }
    for (std::size_t d = 0; d < encoding.size(); ++d) {
        if (encoding[d] < 0)
            source.fail("", "missing dimension \"" + impl.dimensions[d].name + "\"");
    }
    return encoding;
}

} // namespace psc
