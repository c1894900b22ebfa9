// SPDX-License-Identifier: GPL-3.0-or-later
// Tests of the search space format: parsing and validation, dimensions, seeded sampling, decoding into
// networks, the candidate hash and the encode/decode round trip.

#include "psc/core/error.h"
#include "psc/net/analysis.h"
#include "psc/net/networkparser.h"
#include "psc/space/searchspace.h"

#include "testsupport.h"

#include <QTest>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

using namespace psc;
using psc::test::errorOf;

namespace {

const std::string kBundled = PSC_SOURCE_DIR "/resources/spaces/ds-cnn-fashion-mnist.json";

// Every feature at once, including the corners: 1x1 kernels, one channel, six stride-2 blocks that shrink
// the image to 1x1 and then apply 5x5 kernels to it, per-section bit-widths and sparsity.
const char *kStressSpace = R"({
  "name": "stress",
  "input": {"channels": 1, "height": 28, "width": 28},
  "num_classes": 10,
  "stem": {"out_channels": [1, 8], "kernel": [1, 3, 5], "stride": [1, 2], "weight_bits": [2, 8]},
  "blocks": {"count": [0, 3, 6], "type": ["separable", "conv"], "out_channels": [1, 8, 16], "kernel": [1, 3, 5],
             "stride": [1, 2], "expansion": [1, 3], "residual": [false, true], "sparsity": [0.0, 0.5],
             "activation_bits": [4, 8]},
  "head": {"dense_units": [0, 1, 32], "weight_bits": 4},
  "batch_norm": [false, true], "activation": ["relu", "relu6"],
  "weight_bits": [1, 8], "activation_bits": [2, 8], "sparsity": [0.0, 0.25]
})";

// One of everything fixed, so that decode() gives a known network.
std::string fixedSpace(const std::string &blocks, const std::string &extra = "",
                       const std::string &stem = R"({"out_channels": 4})")
{
    return R"({"name": "fixed", "input": {"channels": 1, "height": 8, "width": 8}, "num_classes": 3, "stem": )" + stem +
           R"(, "blocks": )" + blocks + extra + "}";
}

std::vector<std::string> layerNames(const NetworkDescription &net)
{
    std::vector<std::string> out;
    for (const LayerSpec &l : net.layers)
        out.push_back(l.name);
    return out;
}

const LayerSpec &layer(const NetworkDescription &net, const std::string &name)
{
    for (const LayerSpec &l : net.layers) {
        if (l.name == name)
            return l;
    }
    throw std::runtime_error("no layer " + name);
}

int dimensionIndex(const SearchSpace &space, const std::string &name)
{
    const auto names = space.dimensionNames();
    const auto it = std::find(names.begin(), names.end(), name);
    if (it == names.end())
        throw std::runtime_error("no dimension " + name);
    return int(it - names.begin());
}

} // namespace

class TestSearchSpace : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void bundledSpaceParses();
    void singleValuesAreFixed();
    void globalChoicesAreSharedUnlessOverridden();
    void canonicalJsonRoundTrip();
    void mersenneTwisterIsTheStandardOne();
    void samplingIsReproducible();
    void samplingCoversEveryChoiceUniformly();
    void uniformIndexIsUniform();
    void encodeDecodeRoundTrip();
    void decodedNetworksAnalyze_data();
    void decodedNetworksAnalyze();
    void separableBlockStructure();
    void convBlockAndNoBatchNorm();
    void residualOnlyWhereShapesAllow();
    void hashIgnoresUnusedChoices();
    void sparsityAndBitsReachTheCandidate();
    void invalidEncodings();
    void encodeErrors();
    void badSpaces_data();
    void badSpaces();
    void badSpaceFileNamesTheFile();
    void definitionIsValidatedInCode();
    void trainingChoicesReachTheRecipeAndTheHash();
    void factorizationReachesTheLayers();
    void factorizationRespectsBatchNormPrimesAndBits();
    void factorizationIsSpaceWideExceptTheStem();
    void badFactorizations_data();
    void badFactorizations();
};

void TestSearchSpace::bundledSpaceParses()
{
    const SearchSpace space = SearchSpace::fromFile(kBundled);
    QCOMPARE(space.name(), std::string("ds-cnn-fashion-mnist"));
    QVERIFY(space.definition().input == (Shape{1, 28, 28}));
    QCOMPARE(space.definition().numClasses, 10);
    // Slots: one per block up to the largest count; all six block lists vary, bit-widths are fixed.
    const auto names = space.dimensionNames();
    const int slotCount =
        *std::max_element(space.definition().blocks.count.begin(), space.definition().blocks.count.end());
    QVERIFY(slotCount >= 2);
    QVERIFY(std::find(names.begin(), names.end(), "blocks.count") != names.end());
    QVERIFY(std::find(names.begin(), names.end(), "block" + std::to_string(slotCount) + ".kernel") != names.end());
    QVERIFY(std::find(names.begin(), names.end(), "block" + std::to_string(slotCount + 1) + ".kernel") == names.end());
    QVERIFY(std::find(names.begin(), names.end(), "weight_bits") == names.end()); // [8]: fixed
    QCOMPARE(space.cardinalities().size(), names.size());
    for (int c : space.cardinalities())
        QVERIFY(c >= 2);
    QCOMPARE(space.dimensions()[std::size_t(dimensionIndex(space, "block1.type"))].labels,
             (std::vector<std::string>{"separable", "conv"}));
}

void TestSearchSpace::singleValuesAreFixed()
{
    const SearchSpace space = SearchSpace::fromFile(PSC_TEST_DATA_DIR "/spaces/minimal.json");
    QCOMPARE(space.dimensionNames(), (std::vector<std::string>{"stem.out_channels", "blocks.count"}));
    QCOMPARE(space.cardinalities(), (std::vector<int>{2, 2}));
    QCOMPARE(space.encodingCount(), 4.0);
    QCOMPARE(space.dimensions()[0].labels, (std::vector<std::string>{"4", "8"}));
    // Defaults are written out: the scalar stride 2 is a one-element list, the kernel defaults to [3].
    QCOMPARE(space.definition().stem.stride, std::vector<int>{2});
    QCOMPARE(space.definition().stem.kernel, std::vector<int>{3});
    QCOMPARE(space.definition().batchNorm, std::vector<bool>{true});
    QCOMPARE(space.definition().compression.weightBits, std::vector<int>{8});

    // A space with nothing to choose has no dimensions and exactly one candidate.
    const SearchSpace fixed = SearchSpace::fromJson(fixedSpace(R"({"count": 1, "out_channels": 4})"));
    QVERIFY(fixed.dimensions().empty());
    QCOMPARE(fixed.encodingCount(), 1.0);
    QCOMPARE(fixed.decode({}).parametersJson, std::string("{}"));
    QCOMPARE(fixed.encode("{}"), Encoding{});
}

void TestSearchSpace::globalChoicesAreSharedUnlessOverridden()
{
    const SearchSpace space = SearchSpace::fromJson(
        fixedSpace(R"({"count": [1, 2], "out_channels": 4, "weight_bits": [2, 4]})",
                   R"(, "head": {"weight_bits": 8}, "weight_bits": [4, 8], "sparsity": [0, 0.5])"));
    QCOMPARE(space.dimensionNames(), (std::vector<std::string>{"blocks.count", "block1.weight_bits",
                                                               "block2.weight_bits", "weight_bits", "sparsity"}));
    const DecodedCandidate c = space.decode({1, 0, 1, 0, 1}); // count 2, bits 2 / 4, global 4, sparsity 0.5
    QCOMPARE(layer(c.network, "stem").weightBits, 4);         // the global choice
    QCOMPARE(layer(c.network, "block1_dw").weightBits, 2);
    QCOMPARE(layer(c.network, "block2_project").weightBits, 4);
    QCOMPARE(layer(c.network, "logits").weightBits, 8); // the head's own fixed value
    QCOMPARE(c.weightSparsity.at("stem"), 0.5);
    QCOMPARE(c.weightSparsity.at("logits"), 0.5);
    QVERIFY(c.weightSparsity.count("stem_bn") == 0); // batch norm is not pruned

    // When every section has its own list, the space-wide one would change nothing: it is no dimension.
    const SearchSpace overridden = SearchSpace::fromJson(fixedSpace(
        R"({"count": 1, "out_channels": 4, "weight_bits": [2, 4]})",
        R"(, "head": {"weight_bits": 8}, "weight_bits": [4, 8])", R"({"out_channels": 4, "weight_bits": 8})"));
    QCOMPARE(overridden.dimensionNames(), std::vector<std::string>{"block1.weight_bits"});
}

void TestSearchSpace::canonicalJsonRoundTrip()
{
    for (const std::string &text : {std::string(kStressSpace), SearchSpace::fromFile(kBundled).toJson()}) {
        const SearchSpace space = SearchSpace::fromJson(text);
        const SearchSpace again = SearchSpace::fromJson(space.toJson());
        QVERIFY(again == space);
        QCOMPARE(again.toJson(), space.toJson());
        QCOMPARE(again.dimensionNames(), space.dimensionNames());
    }
    // Scalars and lists, key order and number spelling do not change the canonical form.
    const SearchSpace a = SearchSpace::fromJson(fixedSpace(R"({"count": 1, "out_channels": 4})", R"(, "sparsity": 0)"));
    const SearchSpace b = SearchSpace::fromJson(
        R"({"blocks": {"out_channels": [4], "count": [1]}, "sparsity": [0.0], "num_classes": 3, "name": "fixed",
            "stem": {"out_channels": [4]}, "input": {"width": 8, "height": 8, "channels": 1}, "batch_norm": [true]})");
    QCOMPARE(a.toJson(), b.toJson());
    const auto j = nlohmann::json::parse(a.toJson());
    QVERIFY(j["stem"]["kernel"] == nlohmann::json::array({3}));
    QVERIFY(j["weight_bits"] == nlohmann::json::array({8}));
    QVERIFY(j["activation"] == nlohmann::json::array({"relu"}));
    QVERIFY(!j["stem"].contains("weight_bits")); // inherited, so not written in the section
}

void TestSearchSpace::mersenneTwisterIsTheStandardOne()
{
    // [rand.predef]: the 10000th output of a default-constructed mt19937_64 is fixed by the standard; the
    // sampler relies on nothing else.
    std::mt19937_64 rng;
    rng.discard(9999);
    QCOMPARE(rng(), std::uint64_t(9981545732273789042ULL));
}

void TestSearchSpace::samplingIsReproducible()
{
    const SearchSpace space = SearchSpace::fromJson(kStressSpace);
    std::mt19937_64 a(7), b(7), c(8);
    std::vector<Encoding> first, second, other;
    for (int i = 0; i < 50; ++i) {
        first.push_back(space.sample(a));
        second.push_back(space.sample(b));
        other.push_back(space.sample(c));
    }
    QCOMPARE(first, second);
    QVERIFY(first != other);
    QCOMPARE(space.sample(42, 3), space.sample(42, 3));
    QVERIFY(space.sample(42, 3) != space.sample(42, 4));
    QVERIFY(space.sample(42, 3) != space.sample(43, 3));

    // Pinned values, computed by an independent implementation of MT19937-64, SplitMix64 and the rejection
    // sampler: a change here changes every seeded study, on every platform.
    std::mt19937_64 rng(2024);
    std::vector<Encoding> pinned;
    for (int i = 0; i < 2; ++i)
        pinned.push_back(space.sample(rng));
    const std::vector<Encoding> expectedRng{
        Encoding{0, 1, 1, 0, 1, 1, 1, 2, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 1, 1, 1, 0, 0,
                 1, 2, 1, 0, 1, 1, 0, 1, 1, 0, 0, 0, 0, 0, 1, 0, 1, 2, 0, 1, 1, 0, 0, 0, 0, 0, 0, 1, 0},
        Encoding{1, 2, 1, 0, 2, 1, 2, 2, 0, 0, 1, 1, 1, 0, 0, 1, 1, 1, 0, 0, 1, 0, 1, 0, 1, 0, 0, 1, 0, 1,
                 2, 1, 1, 1, 1, 1, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 1, 0, 1, 1, 1, 1}};
    QCOMPARE(pinned, expectedRng);
    std::vector<Encoding> indexed;
    for (std::uint64_t i = 0; i < 2; ++i)
        indexed.push_back(space.sample(42, i));
    const std::vector<Encoding> expectedIndexed{
        Encoding{0, 0, 1, 0, 0, 1, 1, 1, 0, 0, 0, 1, 0, 1, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
                 2, 0, 0, 0, 1, 0, 1, 1, 2, 2, 0, 0, 1, 1, 1, 1, 0, 2, 1, 1, 1, 1, 0, 1, 0, 1, 1, 1, 1},
        Encoding{1, 2, 1, 1, 1, 0, 2, 1, 0, 1, 1, 0, 1, 0, 2, 0, 1, 1, 0, 0, 0, 0, 1, 2, 1, 1, 1, 1, 1, 1,
                 1, 0, 1, 0, 0, 0, 0, 0, 2, 1, 1, 1, 1, 0, 1, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 1}};
    QCOMPARE(indexed, expectedIndexed);
}

void TestSearchSpace::samplingCoversEveryChoiceUniformly()
{
    const SearchSpace space = SearchSpace::fromJson(kStressSpace);
    const auto cards = space.cardinalities();
    const int n = 6000;
    std::vector<std::vector<int>> counts(cards.size());
    for (std::size_t d = 0; d < cards.size(); ++d)
        counts[d].assign(std::size_t(cards[d]), 0);
    std::mt19937_64 rng(1);
    for (int i = 0; i < n; ++i) {
        const Encoding e = space.sample(rng);
        QCOMPARE(e.size(), cards.size());
        for (std::size_t d = 0; d < e.size(); ++d)
            ++counts[d][std::size_t(e[d])];
    }
    // Chi-square against the uniform distribution, at p = 0.001 for 1..4 degrees of freedom.
    const double critical[] = {0, 10.83, 13.82, 16.27, 18.47};
    for (std::size_t d = 0; d < cards.size(); ++d) {
        const double expected = double(n) / cards[d];
        double chi2 = 0;
        for (int c : counts[d]) {
            QVERIFY2(c > 0, space.dimensionNames()[d].c_str());
            chi2 += (c - expected) * (c - expected) / expected;
        }
        QVERIFY2(chi2 < critical[cards[d] - 1], (space.dimensionNames()[d] + " chi2 " + std::to_string(chi2)).c_str());
    }
}

void TestSearchSpace::uniformIndexIsUniform()
{
    std::mt19937_64 rng(99);
    for (int n : {1, 3, 7}) {
        std::vector<int> counts(std::size_t(n), 0);
        const int draws = 7000 * n;
        for (int i = 0; i < draws; ++i) {
            const int k = uniformIndex(rng, n);
            QVERIFY(k >= 0 && k < n);
            ++counts[std::size_t(k)];
        }
        double chi2 = 0;
        for (int c : counts)
            chi2 += (c - 7000.0) * (c - 7000.0) / 7000.0;
        QVERIFY2(chi2 < 22.46, std::to_string(chi2).c_str()); // p = 0.001, 6 degrees of freedom
    }
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, uniformIndex(rng, 0));
}

void TestSearchSpace::encodeDecodeRoundTrip()
{
    const SearchSpace space = SearchSpace::fromJson(kStressSpace);
    std::mt19937_64 rng(3);
    for (int i = 0; i < 200; ++i) {
        const Encoding e = space.sample(rng);
        const DecodedCandidate c = space.decode(e);
        QCOMPARE(space.encode(c.parametersJson), e);
        // The parameters name every dimension, in order, with the chosen value.
        const auto params = nlohmann::ordered_json::parse(c.parametersJson);
        std::vector<std::string> keys;
        for (const auto &item : params.items())
            keys.push_back(item.key());
        QCOMPARE(keys, space.dimensionNames());
    }
    // Readable values: strings, numbers and booleans as in the space file.
    const SearchSpace bundled = SearchSpace::fromFile(kBundled);
    Encoding e(bundled.dimensions().size(), 0);
    e[std::size_t(dimensionIndex(bundled, "block1.type"))] = 1;
    const auto params = nlohmann::json::parse(bundled.decode(e).parametersJson);
    QVERIFY(params["block1.type"] == nlohmann::json("conv"));
    QVERIFY(params["block1.residual"] == nlohmann::json(false));
    QVERIFY(params["stem.kernel"] == nlohmann::json(3));
    // Key order and number spelling of the input do not matter.
    const SearchSpace minimal = SearchSpace::fromFile(PSC_TEST_DATA_DIR "/spaces/minimal.json");
    QCOMPARE(minimal.encode(R"({"blocks.count": 1.0, "stem.out_channels": 4})"), (Encoding{0, 1}));
}

void TestSearchSpace::decodedNetworksAnalyze_data()
{
    QTest::addColumn<QString>("space");
    QTest::newRow("bundled") << QString::fromStdString(SearchSpace::fromFile(kBundled).toJson());
    QTest::newRow("stress") << QString(kStressSpace);
}

void TestSearchSpace::decodedNetworksAnalyze()
{
    QFETCH(QString, space);
    const SearchSpace s = SearchSpace::fromJson(space.toStdString());
    std::mt19937_64 rng(11);
    std::set<std::string> hashes;
    for (int i = 0; i < 300; ++i) {
        const Encoding e = s.sample(rng);
        const DecodedCandidate c = s.decode(e);
        ModelAnalysis analysis;
        try {
            analysis = analyzeNetwork(c.network);
        } catch (const std::exception &error) {
            QFAIL((std::string(error.what()) + " for " + c.parametersJson).c_str());
        }
        QVERIFY(analysis.layers.back().outputShape == (Shape{10, 1, 1}));
        QVERIFY(analysis.totalMacs > 0);
        // Decoded descriptions are resolved: writing and parsing them gives them back unchanged.
        QCOMPARE(parseNetworkJson(networkToJson(c.network), "decoded"), c.network);
        if (c.weightSparsity.empty())
            QCOMPARE(c.architectureHash, architectureHash(c.network));
        else
            QVERIFY(c.architectureHash != architectureHash(c.network));
        QCOMPARE(c.architectureHash.size(), std::size_t(64));
        for (const auto &[name, sparsity] : c.weightSparsity) {
            const LayerType type = layer(c.network, name).type;
            QVERIFY(type == LayerType::Conv2d || type == LayerType::DepthwiseConv2d || type == LayerType::Dense);
            QVERIFY(sparsity > 0 && sparsity < 1);
        }
        hashes.insert(c.architectureHash);
    }
    QVERIFY(hashes.size() > 250); // large spaces rarely repeat; a constant hash would be a bug
}

void TestSearchSpace::separableBlockStructure()
{
    const SearchSpace space = SearchSpace::fromJson(fixedSpace(
        R"({"count": 1, "type": "separable", "out_channels": 4, "kernel": 5, "expansion": 2, "residual": true})"));
    const NetworkDescription net = space.decode({}).network;
    QCOMPARE(net.name, std::string("fixed"));
    QCOMPARE(layerNames(net), (std::vector<std::string>{
                                  "stem", "stem_bn", "stem_act", "block1_expand", "block1_expand_bn",
                                  "block1_expand_act", "block1_dw", "block1_dw_bn", "block1_dw_act", "block1_project",
                                  "block1_project_bn", "block1_add", "pool", "flatten", "logits"}));
    QCOMPARE(layer(net, "block1_expand").outChannels, 8);
    QVERIFY(layer(net, "block1_dw").type == LayerType::DepthwiseConv2d);
    QCOMPARE(layer(net, "block1_dw").kernelH, 5);
    QVERIFY(layer(net, "block1_dw").padding.mode == PaddingMode::Same);
    QVERIFY(!layer(net, "block1_dw").bias); // batch norm follows
    QVERIFY(layer(net, "block1_dw").activation == Activation::None);
    QCOMPARE(layer(net, "block1_add").inputs, (std::vector<std::string>{"stem_act", "block1_project_bn"}));
    QCOMPARE(layer(net, "logits").outChannels, 3);
    QVERIFY(layer(net, "logits").activation == Activation::None);

    // Without expansion it is a DS-CNN block: no 1x1 expansion, and the projection keeps its activation.
    const SearchSpace ds = SearchSpace::fromJson(fixedSpace(R"({"count": 1, "out_channels": 6})"));
    QCOMPARE(layerNames(ds.decode({}).network),
             (std::vector<std::string>{"stem", "stem_bn", "stem_act", "block1_dw", "block1_dw_bn", "block1_dw_act",
                                       "block1_project", "block1_project_bn", "block1_project_act", "pool", "flatten",
                                       "logits"}));
}

void TestSearchSpace::convBlockAndNoBatchNorm()
{
    const SearchSpace space = SearchSpace::fromJson(
        fixedSpace(R"({"count": 1, "type": "conv", "out_channels": 6, "stride": 2, "expansion": 4})",
                   R"(, "batch_norm": false, "activation": "relu6", "head": {"dense_units": 16})"));
    const NetworkDescription net = space.decode({}).network;
    QCOMPARE(layerNames(net), (std::vector<std::string>{"stem", "block1_conv", "pool", "flatten", "dense", "logits"}));
    QVERIFY(layer(net, "block1_conv").activation == Activation::Relu6); // fused without batch norm
    QVERIFY(layer(net, "block1_conv").bias);
    QCOMPARE(layer(net, "block1_conv").strideH, 2);
    QCOMPARE(layer(net, "dense").outChannels, 16);
    QVERIFY(layer(net, "dense").activation == Activation::Relu6);
    QVERIFY(analyzeNetwork(net).layers[1].outputShape == (Shape{6, 4, 4}));
}

void TestSearchSpace::residualOnlyWhereShapesAllow()
{
    auto hasAdd = [](const std::string &blocks) {
        const NetworkDescription net = SearchSpace::fromJson(fixedSpace(blocks)).decode({}).network;
        return std::any_of(net.layers.begin(), net.layers.end(),
                           [](const LayerSpec &l) { return l.type == LayerType::Add; });
    };
    QVERIFY(hasAdd(R"({"count": 1, "out_channels": 4, "residual": true})"));
    QVERIFY(!hasAdd(R"({"count": 1, "out_channels": 4, "residual": false})"));
    QVERIFY(!hasAdd(R"({"count": 1, "out_channels": 4, "residual": true, "stride": 2})"));
    QVERIFY(!hasAdd(R"({"count": 1, "out_channels": 8, "residual": true})")); // stem has 4 channels
    QVERIFY(hasAdd(R"({"count": 1, "out_channels": 4, "residual": true, "type": "conv"})"));
}

void TestSearchSpace::hashIgnoresUnusedChoices()
{
    const SearchSpace space = SearchSpace::fromFile(kBundled);
    Encoding a(space.dimensions().size(), 0); // count = first choice (1 block)
    QCOMPARE(space.definition().blocks.count.front(), 1);
    Encoding b = a;
    b[std::size_t(dimensionIndex(space, "block2.out_channels"))] = 2; // slot 2 is unused
    b[std::size_t(dimensionIndex(space, "block3.type"))] = 1;
    const DecodedCandidate ca = space.decode(a), cb = space.decode(b);
    QVERIFY(ca.parametersJson != cb.parametersJson);
    QCOMPARE(ca.network, cb.network);
    QCOMPARE(ca.architectureHash, cb.architectureHash);

    // The expansion of a plain convolution block is unused too.
    Encoding conv = a;
    conv[std::size_t(dimensionIndex(space, "block1.type"))] = 1;
    Encoding convExpanded = conv;
    convExpanded[std::size_t(dimensionIndex(space, "block1.expansion"))] = 1;
    QCOMPARE(space.decode(conv).architectureHash, space.decode(convExpanded).architectureHash);
    QVERIFY(space.decode(conv).architectureHash != ca.architectureHash);

    // Anything that is used changes the hash.
    for (const char *name : {"stem.out_channels", "stem.kernel", "block1.out_channels", "block1.kernel",
                             "block1.stride", "block1.expansion", "blocks.count", "head.dense_units"}) {
        Encoding c = a;
        c[std::size_t(dimensionIndex(space, name))] = 1;
        QVERIFY2(space.decode(c).architectureHash != ca.architectureHash, name);
    }
}

void TestSearchSpace::sparsityAndBitsReachTheCandidate()
{
    const SearchSpace space = SearchSpace::fromJson(fixedSpace(
        R"({"count": 1, "out_channels": 4, "sparsity": [0, 0.5], "weight_bits": [4, 8], "activation_bits": [2, 8]})"));
    QCOMPARE(space.dimensionNames(),
             (std::vector<std::string>{"block1.weight_bits", "block1.activation_bits", "block1.sparsity"}));
    const DecodedCandidate dense = space.decode({0, 0, 0});
    const DecodedCandidate sparse = space.decode({0, 0, 1});
    QVERIFY(dense.weightSparsity.empty());
    QCOMPARE(sparse.weightSparsity, (std::map<std::string, double>{{"block1_dw", 0.5}, {"block1_project", 0.5}}));
    // The sparsity reaches the layers (unstructured, the default pattern); the rest is equal.
    QVERIFY(layer(sparse.network, "block1_project").sparsity == (SparsitySpec{SparsityPattern::Unstructured, 0.5}));
    QVERIFY(!layer(dense.network, "block1_project").sparsity.isSparse());
    NetworkDescription withoutSparsity = sparse.network;
    for (LayerSpec &l : withoutSparsity.layers)
        l.sparsity = SparsitySpec{};
    QCOMPARE(dense.network, withoutSparsity);
    QVERIFY(dense.architectureHash != sparse.architectureHash); // must not share cached training results
    QCOMPARE(layer(dense.network, "block1_project").weightBits, 4);
    QCOMPARE(layer(dense.network, "block1_project").activationBits, 2);
    QCOMPARE(layer(dense.network, "block1_project_bn").activationBits, 2);
    QCOMPARE(layer(dense.network, "stem").weightBits, 8);
    QCOMPARE(layer(dense.network, "stem").activationBits, 8);
    QVERIFY(space.decode({1, 0, 0}).architectureHash != dense.architectureHash);
    QVERIFY(space.decode({0, 1, 0}).architectureHash != dense.architectureHash);
}

void TestSearchSpace::invalidEncodings()
{
    const SearchSpace space = SearchSpace::fromFile(PSC_TEST_DATA_DIR "/spaces/minimal.json");
    QCOMPARE(errorOf([&] { space.decode({0}); }),
             std::string("search space \"minimal\": an encoding needs 2 values (one per dimension), got 1"));
    QCOMPARE(errorOf([&] {
                 space.decode({0, 2});
             }),
             std::string("search space \"minimal\": encoding value 2 at position 1 (blocks.count) must be between "
                         "0 and 1"));
    QCOMPARE(errorOf([&] {
                 space.validate({-1, 0});
             }),
             std::string("search space \"minimal\": encoding value -1 at position 0 (stem.out_channels) must be "
                         "between 0 and 1"));
    space.validate({1, 1});
}

void TestSearchSpace::encodeErrors()
{
    const SearchSpace space = SearchSpace::fromFile(PSC_TEST_DATA_DIR "/spaces/minimal.json");
    const std::string where = "parameters of \"minimal\":";
    QCOMPARE(errorOf([&] { space.encode(R"({"stem.out_channels": 4})"); }),
             where + "1:1: missing dimension \"blocks.count\"");
    QCOMPARE(errorOf([&] { space.encode(R"({"stem.out_channels": 5, "blocks.count": 0})"); }),
             where + "1:23: /stem.out_channels: expected one of [4,8], got 5");
    QCOMPARE(errorOf([&] { space.encode(R"({"stem.kernel": 3})"); }),
             where + "1:17: /stem.kernel: \"stem.kernel\" is not a dimension of the search space (dimensions: "
                     "[\"stem.out_channels\",\"blocks.count\"])");
    QCOMPARE(errorOf([&] { space.encode(R"([4, 0])"); }), where + "1:1: expected an object, got an array");
}

void TestSearchSpace::trainingChoicesReachTheRecipeAndTheHash()
{
    const SearchSpace space =
        SearchSpace::fromJson(fixedSpace(R"({"count": 1, "out_channels": 4})",
                                         R"(, "training": {"weight_noise": [0, 0.05], "distill": [false, true]})"),
                              "noise.json");
    QCOMPARE(space.dimensionNames(), (std::vector<std::string>{"training.weight_noise", "training.distill"}));
    TrainingRecipe study;
    study.noiseEpochs = 2;
    study.weightNoiseModel = WeightNoiseModel::Pcm;
    const DecodedCandidate plain = space.decode({0, 0});
    const DecodedCandidate noisy = space.decode({1, 1});
    QCOMPARE(*noisy.weightNoise, 0.05);
    QVERIFY(*noisy.distill);
    QCOMPARE(noisy.parametersJson, std::string(R"({"training.weight_noise":0.05,"training.distill":true})"));
    const TrainingRecipe r = noisy.recipe(study);
    QCOMPARE(r.weightNoise, 0.05);
    QVERIFY(r.weightNoiseModel == WeightNoiseModel::Pcm); // the study's
    QCOMPARE(r.noiseEpochs, 2);
    QCOMPARE(r.distillWeight, 0.9); // Noisy Machines' mix when the study sets none
    study.distillWeight = 0.5;
    QCOMPARE(noisy.recipe(study).distillWeight, 0.5);
    QCOMPARE(plain.recipe(study).distillWeight, 0.0);
    QCOMPARE(plain.recipe(study).weightNoise, 0.0);
    // One network, four candidates: the training choices are part of the hash.
    std::set<std::string> hashes;
    for (int a = 0; a < 2; ++a)
        for (int b = 0; b < 2; ++b)
            hashes.insert(space.decode({a, b}).architectureHash);
    QCOMPARE(int(hashes.size()), 4);
    QVERIFY(plain.network == noisy.network);
    QVERIFY(space.encode(noisy.parametersJson) == (Encoding{1, 1}));
    // A space without them keeps its old hash and recipe.
    const SearchSpace none = SearchSpace::fromJson(fixedSpace(R"({"count": 1, "out_channels": 4})"), "plain.json");
    QCOMPARE(none.decode({}).architectureHash, architectureHash(none.decode({}).network));
    QVERIFY(none.decode({}).recipe(study) == study);
    QVERIFY(!nlohmann::json::parse(none.toJson()).contains("training"));
    QVERIFY(SearchSpace::fromJson(space.toJson(), "canonical").definition() == space.definition());
}

void TestSearchSpace::badSpaces_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("expected");
    const auto row = [](const char *name, const std::string &text, const char *expected) {
        QTest::newRow(name) << QString::fromStdString(text) << QString(expected);
    };
    const std::string head = R"({"name": "s", "input": {"channels": 1, "height": 28, "width": 28}, "num_classes": 10,)";
    const std::string blocks = R"("blocks": {"count": [1], "out_channels": [8]})";
    const std::string stem = R"("stem": {"out_channels": [8]})";
    row("kernel even", head + "\n\"stem\": {\"out_channels\": [8], \"kernel\": [3, 4]}, " + blocks + "}",
        "bad.json:2:45: /stem/kernel/1: expected an odd kernel size between 1 and 15, got 4");
    row("kernel scalar", head + "\n\"stem\": {\"out_channels\": [8], \"kernel\": 0}, " + blocks + "}",
        "bad.json:2:41: /stem/kernel: expected an odd kernel size between 1 and 15, got 0");
    row("empty list", head + stem + ",\n\"blocks\": {\"count\": [], \"out_channels\": [8]}}",
        "bad.json:2:21: /blocks/count: expected a non-empty list of choices or a single value, got []");
    row("stride 3", head + stem + ",\n\"blocks\": {\"count\": 1, \"out_channels\": 8, \"stride\": [1, 3]}}",
        "bad.json:2:57: /blocks/stride/1: expected an integer between 1 and 2, got 3");
    row("zero channels", head + stem + ",\n\"blocks\": {\"count\": 1, \"out_channels\": [0]}}",
        "bad.json:2:41: /blocks/out_channels/0: expected an integer between 1 and 4096, got 0");
    row("bits 3", head + stem + "," + blocks + ",\n\"weight_bits\": [8, 3]}",
        "bad.json:2:20: /weight_bits/1: expected a bit-width of 1, 2, 4 or 8, got 3");
    row("section bits", head + stem + "," + blocks + ",\n\"head\": {\"activation_bits\": 16}}",
        "bad.json:2:29: /head/activation_bits: expected a bit-width of 1, 2, 4 or 8, got 16");
    row("weight noise 1", head + stem + "," + blocks + ",\n\"training\": {\"weight_noise\": [0, 1]}}",
        "bad.json:2:34: /training/weight_noise/1: expected a noise level eta >= 0 and < 1, relative to each layer's "
        "weight range, got 1.0");
    row("training key", head + stem + "," + blocks + ",\n\"training\": {\"distil\": [true]}}",
        "bad.json:2:24: /training/distil: unknown key \"distil\"; did you mean \"distill\"?");
    row("sparsity 1", head + stem + "," + blocks + ",\n\"sparsity\": [0, 1]}",
        "bad.json:2:17: /sparsity/1: expected a sparsity >= 0 and < 1, got 1.0");
    row("duplicate", head + stem + ",\n\"blocks\": {\"count\": [1, 2, 1], \"out_channels\": 8}}",
        "bad.json:2:28: /blocks/count/2: duplicate choice 1 (each choice may appear once)");
    row("unknown type",
        head + stem + ",\n\"blocks\": {\"count\": 1, \"out_channels\": 8, \"type\": [\"conv\", \"sep\"]}}",
        "bad.json:2:60: /blocks/type/1: expected one of \"separable\", \"conv\", got \"sep\"");
    row("bad activation", head + stem + "," + blocks + ",\n\"activation\": \"sigmoid\"}",
        "bad.json:2:15: /activation: expected one of \"relu\", \"relu6\", got \"sigmoid\"");
    row("residual not bool", head + stem + ",\n\"blocks\": {\"count\": 1, \"out_channels\": 8, \"residual\": [0, 1]}}",
        "bad.json:2:56: /blocks/residual/0: expected true or false, got 0");
    row("unknown key", head + stem + "," + blocks + ",\n\"head\": {\"dense\": [0, 64]}}",
        "bad.json:2:19: /head/dense: unknown key \"dense\"");
    row("missing stem", head + blocks + "}", "bad.json:1:1: missing required key \"stem\"");
    row("missing out_channels", head + "\n\"stem\": {\"kernel\": 3}, " + blocks + "}",
        "bad.json:2:9: /stem: missing required key \"out_channels\"");
    row("classes",
        R"({"name": "s", "input": {"channels": 1, "height": 28, "width": 28}, "num_classes": 1, )" + stem + "," +
            blocks + "}",
        "bad.json:1:83: /num_classes: expected an integer between 2 and 65536, got 1");
    row("input",
        R"({"name": "s", "input": {"channels": 1, "height": 28}, "num_classes": 10, )" + stem + "," + blocks + "}",
        "bad.json:1:24: /input: missing required key \"width\"");
    row("not json", "{\"name\": \"s\",\n  \"stem\": [1, 2,]}", "bad.json:2:17: malformed JSON");
    row("not an object", "[1, 2]", "bad.json:1:1: expected an object, got an array");
}

void TestSearchSpace::badSpaces()
{
    QFETCH(QString, text);
    QFETCH(QString, expected);
    const std::string message = errorOf([&] { SearchSpace::fromJson(text.toStdString(), "bad.json"); });
    QVERIFY2(message.starts_with(expected.toStdString()), message.c_str());
}

void TestSearchSpace::badSpaceFileNamesTheFile()
{
    const std::string file = PSC_TEST_DATA_DIR "/spaces/bad-kernel.json";
    QCOMPARE(errorOf([&] { SearchSpace::fromFile(file); }),
             file + ":5:47: /stem/kernel/1: expected an odd kernel size between 1 and 15, got 4");
    const std::string missing = PSC_TEST_DATA_DIR "/spaces/no-such-space.json";
    QVERIFY(errorOf([&] { SearchSpace::fromFile(missing); }).starts_with(missing + ": cannot read"));
}

void TestSearchSpace::definitionIsValidatedInCode()
{
    SearchSpaceDefinition def = SearchSpace::fromFile(PSC_TEST_DATA_DIR "/spaces/minimal.json").definition();
    QVERIFY(SearchSpace(def) == SearchSpace::fromFile(PSC_TEST_DATA_DIR "/spaces/minimal.json"));
    def.blocks.expansion = {1, 0};
    QCOMPARE(errorOf([&] { SearchSpace{def}; }),
             std::string("search space \"minimal\": /blocks/expansion/1: expected an integer between 1 and 16, got 0"));
    def.blocks.expansion = {1};
    def.activation = {Activation::Softmax};
    QCOMPARE(errorOf([&] { SearchSpace{def}; }),
             std::string("search space \"minimal\": /activation/0: expected \"relu\" or \"relu6\", got \"softmax\""));
    def.activation = {Activation::Relu};
    def.compression.sparsity.clear();
    QCOMPARE(errorOf([&] { SearchSpace{def}; }),
             std::string("search space \"minimal\": /sparsity: expected a non-empty list of choices"));
}

void TestSearchSpace::factorizationReachesTheLayers()
{
    const SearchSpace space = SearchSpace::fromJson(fixedSpace(
        R"({"count": 1, "out_channels": 6, "expansion": 2, "sparsity": 0.5,
            "factorization": ["none", {"low_rank": 0.5}, "kronecker"]})",
        R"(, "batch_norm": false, "head": {"dense_units": 12, "factorization": [{"low_rank": 0.25}, "kronecker"]})"));
    QCOMPARE(space.dimensionNames(), (std::vector<std::string>{"block1.factorization", "head.factorization"}));
    QCOMPARE(space.dimensions()[0].labels, (std::vector<std::string>{"none", R"({"low_rank":0.5})", "kronecker"}));

    // Stem 1 -> 4 channels, block1_expand 4 -> 8, block1_project 8 -> 6, dense 6 -> 12, logits 12 -> 3.
    const DecodedCandidate plain = space.decode({0, 0});
    QVERIFY(layer(plain.network, "block1_expand").type == LayerType::Conv2d);
    QVERIFY(layer(plain.network, "logits").type == LayerType::Dense);
    QCOMPARE(plain.weightSparsity.count("block1_project"), std::size_t(1));

    // low_rank 0.5: rank round(0.5 * min(4, 8)) = 2 and round(0.5 * min(8, 6)) = 3; head 0.25: round(1.5) = 2.
    const DecodedCandidate lowRank = space.decode({1, 0});
    const LayerSpec &expand = layer(lowRank.network, "block1_expand");
    QVERIFY(expand.type == LayerType::LowRank);
    QCOMPARE(expand.rank, 2);
    QCOMPARE(expand.outChannels, 8);
    QVERIFY(expand.activation == Activation::Relu); // fused: no batch norm in this space
    QVERIFY(expand.bias);
    QCOMPARE(layer(lowRank.network, "block1_project").rank, 3);
    QCOMPARE(layer(lowRank.network, "dense").rank, 2);
    QVERIFY(layer(lowRank.network, "dense").type == LayerType::LowRank);
    QVERIFY(layer(lowRank.network, "logits").type == LayerType::Dense); // the classifier stays dense
    QVERIFY(layer(lowRank.network, "block1_dw").type == LayerType::DepthwiseConv2d);
    // Factorised layers are never sparse; the depthwise layer of the same section still is.
    QCOMPARE(lowRank.weightSparsity, (std::map<std::string, double>{{"block1_dw", 0.5}}));
    QVERIFY(!layer(lowRank.network, "block1_project").sparsity.isSparse());

    // kronecker: the divisor closest to the square root: 8 -> 2 (not 4), 4 -> 2, 6 -> 2 (not 3), 12 -> 3.
    const DecodedCandidate kron = space.decode({2, 1});
    const LayerSpec &kExpand = layer(kron.network, "block1_expand");
    QVERIFY(kExpand.type == LayerType::Kronecker);
    QVERIFY(kExpand.kronA == (FactorShape{2, 2}) && kExpand.kronB == (FactorShape{4, 2}));
    const LayerSpec &kProject = layer(kron.network, "block1_project");
    QVERIFY(kProject.kronA == (FactorShape{2, 2}) && kProject.kronB == (FactorShape{3, 4}));
    const LayerSpec &kDense = layer(kron.network, "dense");
    QVERIFY(kDense.type == LayerType::Kronecker);
    QVERIFY(kDense.kronA == (FactorShape{3, 2}) && kDense.kronB == (FactorShape{4, 3}));

    std::set<std::string> hashes;
    for (const Encoding &e : {Encoding{0, 0}, Encoding{1, 0}, Encoding{2, 0}, Encoding{1, 1}, Encoding{2, 1}}) {
        const DecodedCandidate c = space.decode(e);
        const ModelAnalysis a = analyzeNetwork(c.network); // every decoded network is valid
        QVERIFY(a.totalParams > 0);
        hashes.insert(c.architectureHash);
        QCOMPARE(space.encode(c.parametersJson), e);
    }
    QCOMPARE(hashes.size(), std::size_t(5));
    QVERIFY(analyzeNetwork(lowRank.network).totalParams < analyzeNetwork(plain.network).totalParams);
    QCOMPARE(lowRank.parametersJson,
             std::string(R"({"block1.factorization":{"low_rank":0.5},"head.factorization":{"low_rank":0.25}})"));
    const SearchSpace again = SearchSpace::fromJson(space.toJson());
    QVERIFY(again == space);
    QCOMPARE(again.toJson(), space.toJson());
}

void TestSearchSpace::factorizationRespectsBatchNormPrimesAndBits()
{
    // With batch norm after the 1x1 convolutions, kronecker leaves them as conv2d (a batch_norm cannot follow a
    // kronecker layer) while low_rank applies (the batch norm folds into U); prime sizes and binary weights stay.
    const SearchSpace space = SearchSpace::fromJson(fixedSpace(
        R"({"count": 1, "out_channels": 6, "expansion": 2, "factorization": [{"low_rank": 1.0}, "kronecker"]})",
        R"(, "head": {"dense_units": [13, 12], "weight_bits": [8, 1], "factorization": "kronecker"})"));
    QCOMPARE(space.dimensionNames(),
             (std::vector<std::string>{"block1.factorization", "head.dense_units", "head.weight_bits"}));
    const NetworkDescription lowRank = space.decode({0, 1, 0}).network;
    QVERIFY(layer(lowRank, "block1_expand").type == LayerType::LowRank);
    QCOMPARE(layer(lowRank, "block1_expand").rank, 4); // full rank min(4, 8)
    QVERIFY(!layer(lowRank, "block1_expand").bias);    // batch norm follows
    QCOMPARE(layer(lowRank, "block1_expand_bn").inputs, std::vector<std::string>{"block1_expand"});
    QVERIFY(layer(lowRank, "dense").type == LayerType::Kronecker);
    const NetworkDescription kron = space.decode({1, 1, 0}).network;
    QVERIFY(layer(kron, "block1_expand").type == LayerType::Conv2d);
    QVERIFY(layer(kron, "block1_project").type == LayerType::Conv2d);
    QVERIFY(layer(kron, "dense").type == LayerType::Kronecker);
    QCOMPARE(layer(space.decode({1, 0, 0}).network, "dense").type == LayerType::Dense, true); // 13 is prime
    QCOMPARE(layer(space.decode({1, 1, 1}).network, "dense").type == LayerType::Dense, true); // binary weights
    for (const Encoding &e : {Encoding{0, 0, 0}, Encoding{1, 1, 0}, Encoding{0, 1, 1}})
        analyzeNetwork(space.decode(e).network);
}

void TestSearchSpace::factorizationIsSpaceWideExceptTheStem()
{
    const SearchSpace space = SearchSpace::fromJson(fixedSpace(
        R"({"count": 1, "out_channels": 6, "expansion": 2})",
        R"(, "batch_norm": false, "head": {"dense_units": 12}, "factorization": ["none", {"low_rank": 0.5}])",
        R"({"out_channels": 4, "kernel": 1})"));
    QCOMPARE(space.dimensionNames(), std::vector<std::string>{"factorization"});
    const NetworkDescription net = space.decode({1}).network;
    QVERIFY(layer(net, "stem").type == LayerType::Conv2d); // a 1x1 stem too: the stem is never factorised
    QVERIFY(layer(net, "block1_expand").type == LayerType::LowRank);
    QVERIFY(layer(net, "block1_project").type == LayerType::LowRank);
    QVERIFY(layer(net, "dense").type == LayerType::LowRank);
    // The default is no factorisation, written out in the canonical form.
    const auto j =
        nlohmann::json::parse(SearchSpace::fromJson(fixedSpace(R"({"count": 1, "out_channels": 6})")).toJson());
    QVERIFY(j["factorization"] == nlohmann::json::array({"none"}));
    QVERIFY(!j["blocks"].contains("factorization"));
}

void TestSearchSpace::badFactorizations_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("expected");
    const auto row = [](const char *name, const std::string &blocks, const std::string &extra, const char *expected) {
        QTest::newRow(name) << QString::fromStdString(fixedSpace(blocks, extra)) << QString(expected);
    };
    const std::string blocks = R"({"count": 1, "out_channels": 6})";
    row("zero fraction", R"({"count": 1, "out_channels": 6, "factorization": [{"low_rank": 0}]})", "",
        "/blocks/factorization/0: expected a low_rank fraction F of min(in, out) with 0 < F <= 1, got "
        "{\"low_rank\":0.0}");
    row("fraction above 1", blocks, R"(, "factorization": ["none", {"low_rank": 1.5}])",
        "/factorization/1: expected a low_rank fraction F of min(in, out) with 0 < F <= 1, got {\"low_rank\":1.5}");
    row("unknown name", blocks, R"(, "head": {"factorization": "svd"})",
        "/head/factorization: expected one of \"none\", \"kronecker\", got \"svd\"");
    row("bad object", blocks, R"(, "factorization": [{"rank": 2}])", "/factorization/0/rank: unknown key \"rank\"");
    row("number", blocks, R"(, "factorization": [0.5])",
        "/factorization/0: expected \"none\", \"kronecker\" or {\"low_rank\": fraction}, got 0.5");
    row("duplicate", blocks, R"(, "factorization": ["kronecker", "kronecker"])",
        "/factorization/1: duplicate choice \"kronecker\" (each choice may appear once)");
    QTest::newRow("stem") << QString::fromStdString(
                                 fixedSpace(blocks, "", R"({"out_channels": 4, "factorization": "none"})"))
                          << QString("/stem/factorization: unknown key \"factorization\"");
}

void TestSearchSpace::badFactorizations()
{
    QFETCH(QString, text);
    QFETCH(QString, expected);
    const std::string message = errorOf([&] { SearchSpace::fromJson(text.toStdString(), "bad.json"); });
    const std::size_t at = message.find(": /");
    QVERIFY2(at != std::string::npos, message.c_str());
    QVERIFY2(message.substr(at + 2).starts_with(expected.toStdString()), message.c_str());
    // Definitions built in code are checked too: the stem cannot take a factorisation list.
    SearchSpaceDefinition def = SearchSpace::fromJson(fixedSpace(R"({"count": 1, "out_channels": 6})")).definition();
    def.stem.compression.factorization = {FactorizationChoice{}};
    QCOMPARE(errorOf([&] { SearchSpace{def}; }),
             std::string("search space \"fixed\": /stem/factorization: the stem cannot be factorised (a kxk "
                         "convolution): factorization applies to the head and the blocks"));
}

QTEST_APPLESS_MAIN(TestSearchSpace)
#include "tst_searchspace.moc"
