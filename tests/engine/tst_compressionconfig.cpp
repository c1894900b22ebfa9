// SPDX-License-Identifier: GPL-3.0-or-later
// Compression configs (docs/formats/compression-config.md): parsing, every error with its file:line:col and JSON
// pointer, and how a variant applies to a parent's trained model (layers chosen, bits, sparsity, channels removed).
#include "psc/compress/compressionconfig.h"
#include "psc/compress/compressvariant.h"
#include "psc/core/error.h"
#include "psc/net/analysis.h"

#include "testsupport.h"
#include "tinymodel.h"

#include <QTest>

#include <functional>

using namespace psc;
using psc::test::errorOf;

namespace {

std::string parseError(const std::string &text)
{
    return errorOf([&] { CompressionConfig::fromJson(text, "c.json"); });
}

CompressionVariant variant(const std::string &json)
{
    return CompressionConfig::fromJson(R"({"variants": [)" + json + "]}", "v.json").variants.front();
}

} // namespace

class TestCompressionConfig : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void bundledExampleParses()
    {
        const auto c = CompressionConfig::fromFile(PSC_SOURCE_DIR "/resources/compress/fashion-mnist-demo.json");
        QCOMPARE(int(c.variants.size()), 6);
        QCOMPARE(c.variants[0].name, std::string("int4"));
        QVERIFY(c.variants[0].weightBits == 4 && !c.variants[0].sparsity && c.variants[0].layers.empty());
        QVERIFY(c.variants[2].sparsity && c.variants[2].sparsity->pattern == SparsityPattern::Dbb);
        QCOMPARE(c.variants[2].sparsity->blockSize, 8);
        QCOMPARE(c.variants[2].sparsity->maxNonZeros, 2);
        QCOMPARE(c.variants[2].sparsity->fraction, 0.75);
        QCOMPARE(c.variants[4].layers, std::vector<std::string>{"stem"});
        QVERIFY(c.variants[5].factorization.kind == FactorizationSpec::Kind::LowRank);
        QCOMPARE(c.variants[5].factorization.rankFraction, 0.5);
        // The fine-tune recipe is the parent's with the overrides; the rest (here the batch size) is the parent's.
        TrainingRecipe parent;
        parent.epochs = 3;
        parent.batchSize = 64;
        parent.qatEpochs = 0;
        const TrainingRecipe r = c.fineTune.applyTo(parent);
        QCOMPARE(r.epochs, 1);
        QCOMPARE(r.qatEpochs, 1);
        QCOMPARE(r.learningRate, 0.001);
        QCOMPARE(r.qatLearningRate, 0.0003);
        QCOMPARE(r.batchSize, 64);
    }

    void everyFormParsesToCanonicalJson()
    {
        const auto c = CompressionConfig::fromJson(R"({"fine_tune": {"epochs": 0, "schedule": "constant"},
            "variants": [
              {"name": "nm", "sparsity": {"pattern": "n:m", "n": 2, "m": 4}, "activation_bits": 6},
              {"name": "lr8", "factorization": {"low_rank": 8}, "layers": ["a", "b"]},
              {"name": "lrf", "factorization": {"low_rank": 0.25}},
              {"name": "kr", "factorization": "kronecker", "weight_bits": 4},
              {"name": "kr22", "factorization": {"kronecker": {"a_out": 2, "a_in": 2}}}]})",
                                                   "all.json");
        QCOMPARE(*c.fineTune.epochs, 0);
        QVERIFY(*c.fineTune.schedule == LrSchedule::Constant);
        QVERIFY(!c.fineTune.learningRate);
        QCOMPARE(c.variants[0].canonicalJson(),
                 std::string(R"({"activation_bits":6,"name":"nm","sparsity":{"m":4,"n":2,"pattern":"n:m"}})"));
        QCOMPARE(c.variants[0].sparsity->fraction, 0.5);
        QCOMPARE(c.variants[1].canonicalJson(),
                 std::string(R"({"factorization":{"low_rank":8},"layers":["a","b"],"name":"lr8"})"));
        QCOMPARE(c.variants[2].factorization.rankFraction, 0.25);
        QCOMPARE(c.variants[2].factorization.rank, 0);
        QCOMPARE(c.variants[3].canonicalJson(),
                 std::string(R"({"factorization":"kronecker","name":"kr","weight_bits":4})"));
        QVERIFY(c.variants[4].factorization.kind == FactorizationSpec::Kind::Kronecker);
        QCOMPARE(c.variants[4].factorization.aOut, 2);
        QCOMPARE(c.variants[4].origin, std::string("all.json:7:15: /variants/4"));
        QCOMPARE(c.variants[1].layerOrigins.back(), std::string("all.json:4:81: /variants/1/layers/1"));
    }

    void noiseAwareVariantParsesAndChangesTheFineTuneRecipe()
    {
        const auto c = CompressionConfig::fromJson(R"({"variants": [
              {"name": "na", "noise_aware": {"weight_noise": 0.05, "weight_noise_model": "pcm",
                                             "distill_weight": 0.9, "adc_clip": 10, "output_noise": 0.07}},
              {"name": "na4", "weight_bits": 4, "noise_aware": {"weight_noise": 0.02}}]})",
                                                   "n.json");
        const NoiseAwareSpec &n = *c.variants[0].noiseAware;
        QCOMPARE(n.weightNoise, 0.05);
        QVERIFY(n.model == WeightNoiseModel::Pcm);
        QCOMPARE(n.distillWeight, 0.9);
        QCOMPARE(n.distillTemperature, 4.0); // the recipe's default
        QCOMPARE(n.adcClip, 10.0);
        QCOMPARE(n.outputNoise, 0.07);
        QCOMPARE(c.variants[0].canonicalJson(),
                 std::string(
                     R"({"name":"na","noise_aware":{"adc_clip":10.0,"distill_temperature":4.0,)"
                     R"("distill_weight":0.9,"output_noise":0.07,"weight_noise":0.05,"weight_noise_model":"pcm"}})"));
        QCOMPARE(c.variants[1].canonicalJson(),
                 std::string(R"({"name":"na4","noise_aware":{"weight_noise":0.02,"weight_noise_model":"additive"},)"
                             R"("weight_bits":4})"));

        // The parent's recipe with its noise settings replaced; nothing else changes.
        TrainingRecipe parent;
        parent.epochs = 7;
        parent.weightNoise = 0.3;
        parent.noiseEpochs = 2;
        const TrainingRecipe child = n.applyTo(parent);
        QCOMPARE(child.epochs, 7);
        QCOMPARE(child.noiseEpochs, 2);
        QCOMPARE(child.weightNoise, 0.05);
        QVERIFY(child.weightNoiseModel == WeightNoiseModel::Pcm);
        QCOMPARE(child.distillWeight, 0.9);
        QCOMPARE(child.adcClip, 10.0);
        QCOMPARE(child.outputNoise, 0.07);
    }

    void errorsNameFileLinePointerAndWhatWasExpected_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("message");
        QTest::newRow("malformed") << "{\"variants\": [\n  {\"name\": \"a\",}\n]}"
                                   << "c.json:2:16: malformed JSON: syntax error while parsing object key";
        QTest::newRow("unknown top-level key")
            << R"({"variant": []})"
            << R"(c.json:1:13: /variant: unknown key "variant"; did you mean "variants"?)";
        QTest::newRow("no variants") << R"({"fine_tune": {}})"
                                     << R"(c.json:1:1: missing required key "variants")";
        QTest::newRow("empty variants") << R"({"variants": []})"
                                        << "c.json:1:14: /variants: expected at least one variant";
        QTest::newRow("bits out of range")
            << "{\"variants\": [\n  {\"name\": \"a\", \"weight_bits\": 9}\n]}"
            << "c.json:2:32: /variants/0/weight_bits: expected an integer between 1 and 8, got 9";
        QTest::newRow("unknown variant key")
            << "{\"variants\": [\n  {\"name\": \"a\", \"weight_bit\": 4}\n]}"
            << R"(c.json:2:31: /variants/0/weight_bit: unknown key "weight_bit"; did you mean "weight_bits"?)";
        QTest::newRow("unknown dbb key")
            << "{\"variants\": [\n  {\"name\": \"d\", \"sparsity\": {\"pattern\": \"dbb\", \"block_size\": 8, "
               "\"max_non_zeros\": 2}}\n]}"
            << R"(c.json:2:82: /variants/0/sparsity/max_non_zeros: unknown key "max_non_zeros"; did you mean "max_nonzeros"?)";
        QTest::newRow("fraction 1")
            << "{\"variants\": [\n  {\"name\": \"p\", \"sparsity\": {\"pattern\": \"unstructured\", "
               "\"fraction\": 1}}\n]}"
            << "c.json:2:69: /variants/0/sparsity/fraction: expected a fraction of zero weights "
               "> 0 and < 1, got 1";
        QTest::newRow("unknown pattern")
            << "{\"variants\": [\n  {\"name\": \"p\", \"sparsity\": {\"pattern\": \"chanel\"}}\n]}"
            << "c.json:2:41: /variants/0/sparsity/pattern: expected one of \"unstructured\", \"channel\", "
               "\"dbb\", \"n:m\", got \"chanel\"; did you mean \"channel\"?";
        QTest::newRow("nothing to do")
            << "{\"variants\": [\n  {\"name\": \"noop\"}\n]}"
            << "c.json:2:3: /variants/0: variant \"noop\" changes nothing: give weight_bits, "
               "activation_bits, sparsity, factorization or noise_aware";
        QTest::newRow("noise_aware without weight_noise")
            << "{\"variants\": [\n  {\"name\": \"n\", \"noise_aware\": {\"distill_weight\": 0.9}}\n]}"
            << R"(c.json:2:32: /variants/0/noise_aware: missing required key "weight_noise")";
        QTest::newRow("noise_aware eta 0")
            << "{\"variants\": [\n  {\"name\": \"n\", \"noise_aware\": {\"weight_noise\": 0}}\n]}"
            << "c.json:2:49: /variants/0/noise_aware/weight_noise: expected a noise level eta > 0 and < 1 for "
               "noise-aware fine-tuning (0.02-0.1 is usual), got 0";
        QTest::newRow("noise_aware eta 1")
            << "{\"variants\": [\n  {\"name\": \"n\", \"noise_aware\": {\"weight_noise\": 1}}\n]}"
            << "c.json:2:49: /variants/0/noise_aware/weight_noise: expected a noise level eta >= 0 and < 1";
        QTest::newRow("noise_aware typo")
            << "{\"variants\": [\n  {\"name\": \"n\", \"noise_aware\": {\"weight_noise\": 0.05, "
               "\"distil_weight\": 0.9}}\n]}"
            << "c.json:2:72: /variants/0/noise_aware/distil_weight: unknown key \"distil_weight\"; did you mean "
               "\"distill_weight\"?";
        QTest::newRow("noise_aware model")
            << "{\"variants\": [\n  {\"name\": \"n\", \"noise_aware\": {\"weight_noise\": 0.05, "
               "\"weight_noise_model\": \"pcn\"}}\n]}"
            << "c.json:2:77: /variants/0/noise_aware/weight_noise_model: expected one of \"additive\", \"pcm\", got "
               "\"pcn\"; did you mean \"pcm\"?";
        QTest::newRow("noise_aware with layers only")
            << "{\"variants\": [\n  {\"name\": \"n\", \"noise_aware\": {\"weight_noise\": 0.05}, \"layers\": "
               "[\"stem\"]}\n]}"
            << "c.json:2:66: /variants/0/layers: noise_aware fine-tunes with noise on every weighted layer";
        QTest::newRow("duplicate name") << "{\"variants\": [\n  {\"name\": \"a\", \"weight_bits\": 4},\n"
                                           "  {\"name\": \"a\", \"weight_bits\": 2}\n]}"
                                        << R"(c.json:3:12: /variants/1/name: duplicate variant name "a")";
        QTest::newRow("empty layers") << "{\"variants\": [\n  {\"name\": \"a\", \"weight_bits\": 4, \"layers\": []}\n]}"
                                      << "c.json:2:45: /variants/0/layers: expected at least one layer name";
        QTest::newRow("layer twice")
            << "{\"variants\": [\n  {\"name\": \"a\", \"weight_bits\": 4, \"layers\": [\"x\", \"x\"]}\n]}"
            << R"(c.json:2:51: /variants/0/layers/1: layer "x" is listed twice)";
        QTest::newRow("low_rank without rank")
            << "{\"variants\": [\n  {\"name\": \"f\", \"factorization\": \"low_rank\"}\n]}"
            << R"(c.json:2:34: /variants/0/factorization: "low_rank" needs a rank)";
        QTest::newRow("rank fraction 1.5")
            << "{\"variants\": [\n  {\"name\": \"f\", \"factorization\": {\"low_rank\": 1.5}}\n]}"
            << "c.json:2:47: /variants/0/factorization/low_rank: expected a rank (an integer >= 1) or a fraction of "
               "the full rank > 0 and < 1, got 1.5";
        QTest::newRow("prune and factorise")
            << "{\"variants\": [\n  {\"name\": \"f\", \"sparsity\": {\"pattern\": \"channel\", \"fraction\": 0.5}, "
               "\"factorization\": \"kronecker\"}\n]}"
            << "c.json:2:87: /variants/0/factorization: a variant either prunes or factorises";
        QTest::newRow("data split is the parent's") << "{\"fine_tune\": {\"train_subset\": 100}, \"variants\": []}"
                                                    << "c.json:1:32: /fine_tune/train_subset: \"train_subset\" cannot "
                                                       "be changed for fine-tuning";
        QTest::newRow("negative epochs")
            << R"({"fine_tune": {"epochs": -1}, "variants": []})"
            << "c.json:1:26: /fine_tune/epochs: expected an integer between 0 and 100000, got -1";
        QTest::newRow("zero learning rate") << R"({"fine_tune": {"learning_rate": 0}, "variants": []})"
                                            << "c.json:1:33: /fine_tune/learning_rate: expected a learning rate > 0 "
                                               "and <= 10, got 0";
        QTest::newRow("prune window backwards")
            << R"({"fine_tune": {"prune_begin": 0.5, "prune_end": 0.2}, "variants": []})"
            << "c.json:1:49: /fine_tune/prune_end: expected prune_end >= prune_begin (0.5)";
    }

    void errorsNameFileLinePointerAndWhatWasExpected()
    {
        QFETCH(QString, text);
        QFETCH(QString, message);
        const QString error = QString::fromStdString(parseError(text.toStdString()));
        QVERIFY2(error.startsWith(message), qPrintable(error));
        QCOMPARE(error.count(QLatin1Char(10)), 0);
    }

    void missingFileIsAnInputError()
    {
        const std::string e = errorOf([] { CompressionConfig::fromFile("/nonexistent/c.json"); });
        QVERIFY2(e.find("/nonexistent/c.json") != std::string::npos, e.c_str());
    }

    // --- applying a variant to the parent's trained model ---

    void bitsAndSparsityApplyToEveryWeightedLayer()
    {
        const TrainedModel parent = psc::test::tinyModel();
        const TrainedModel int4 = applyCompressionVariant(parent, variant(R"({"name": "int4", "weight_bits": 4})"));
        QCOMPARE(int4.network.name, std::string("tiny-int4"));
        QCOMPARE(int4.network.layers[0].weightBits, 4);
        QCOMPARE(int4.network.layers[2].weightBits, 4);
        QVERIFY(int4.parameters == parent.parameters); // fine-tuning changes the values, not the variant
        const TrainedModel sparse = applyCompressionVariant(
            parent, variant(R"({"name": "p", "sparsity": {"pattern": "unstructured", "fraction": 0.5},
                                "layers": ["logits"]})"));
        QVERIFY(sparse.network.layers[0].sparsity.pattern == SparsityPattern::None);
        QVERIFY(sparse.network.layers[2].sparsity == (SparsitySpec{SparsityPattern::Unstructured, 0.5, 0, 0, 0, 0}));
        QCOMPARE(sparse.network.layers[2].weightBits, 8);
    }

    void channelPruningRemovesChannelsOfHiddenLayersOnly()
    {
        // The default leaves out the output layer; diag(1, 2, 3, 4) loses its smallest-L1 channel, the first.
        const TrainedModel child = applyCompressionVariant(
            psc::test::tinyModel(), variant(R"({"name": "c", "sparsity": {"pattern": "channel", "fraction": 0.25}})"));
        QCOMPARE(child.network.layers[0].outChannels, 3);
        QCOMPARE(child.network.layers[2].outChannels, 4);
        QCOMPARE(child.parameters.at("hidden").weight.shape, (std::vector<int>{3, 4}));
        QCOMPARE(child.parameters.at("hidden").weight.values, (std::vector<float>{0, 2, 0, 0, 0, 0, 3, 0, 0, 0, 0, 4}));
        QCOMPARE(child.parameters.at("logits").weight.shape, (std::vector<int>{4, 3}));
        // Parameters: 3 x 4 + 3 + 4 x 3 + 4 = 31 (the parent has 40).
        QCOMPARE(analyzeNetwork(child.network).totalParams, std::int64_t(31));
        QVERIFY(child.network.layers[0].sparsity.pattern == SparsityPattern::ChannelStructured);
    }

    void factorisationReplacesHiddenLayersByTheirFactors()
    {
        // The default leaves out the output layer. diag(1, 2, 3, 4) at rank 2: U [4, 2] and V [2, 4].
        const TrainedModel lowRank = applyCompressionVariant(
            psc::test::tinyModel(), variant(R"({"name": "lr", "factorization": {"low_rank": 2}})"));
        QVERIFY(lowRank.network.layers[0].type == LayerType::LowRank);
        QCOMPARE(lowRank.network.layers[0].rank, 2);
        QVERIFY(lowRank.network.layers[2].type == LayerType::Dense);
        QCOMPARE(lowRank.parameters.at("hidden").weight.shape, (std::vector<int>{4, 2}));
        QCOMPARE(lowRank.parameters.at("hidden").factor.shape, (std::vector<int>{2, 4}));
        // A fraction of the full rank: round(0.5 * min(4, 4)) = 2.
        QCOMPARE(applyCompressionVariant(psc::test::tinyModel(),
                                         variant(R"({"name": "f", "factorization": {"low_rank": 0.5}})"))
                     .network.layers[0]
                     .rank,
                 2);
        // "kronecker" alone: balanced factors of 4 x 4, A [2, 2] and B [2, 2].
        const TrainedModel kron =
            applyCompressionVariant(psc::test::tinyModel(), variant(R"({"name": "k", "factorization": "kronecker"})"));
        QVERIFY(kron.network.layers[0].type == LayerType::Kronecker);
        QVERIFY(kron.network.layers[0].kronA == (FactorShape{2, 2}));
        QVERIFY(kron.network.layers[0].kronB == (FactorShape{2, 2}));
        // Sparsity does not apply to factors.
        const std::string e = errorOf([&] {
            applyCompressionVariant(
                lowRank,
                variant(
                    R"({"name": "p", "sparsity": {"pattern": "unstructured", "fraction": 0.5}, "layers": ["hidden"]})"));
        });
        QVERIFY2(e.find(R"(layer "hidden" is a low_rank layer, whose factors stay dense)") != std::string::npos,
                 e.c_str());
    }

    void layerNamesAreCheckedAgainstTheParent()
    {
        const TrainedModel parent = psc::test::tinyModel();
        const auto apply = [&](const char *json) {
            return errorOf([&] { applyCompressionVariant(parent, variant(json)); });
        };
        QCOMPARE(apply(R"({"name": "a", "weight_bits": 4, "layers": ["hiden"]})"),
                 std::string(R"(v.json:1:58: /variants/0/layers/0: unknown layer "hiden" in network "tiny"; did you )"
                             R"(mean "hidden"? (weighted layers: hidden, logits))"));
        QCOMPARE(apply(R"({"name": "a", "weight_bits": 4, "layers": ["act"]})"),
                 std::string(R"(v.json:1:58: /variants/0/layers/0: layer "act" is a relu and has no weights to )"
                             R"(compress (weighted layers: hidden, logits))"));
        const std::string output =
            apply(R"({"name": "a", "sparsity": {"pattern": "channel", "fraction": 0.5}, "layers": ["logits"]})");
        QVERIFY2(output.rfind(R"(v.json:1:93: /variants/0/layers/0: layer "logits" is the output layer)", 0) == 0,
                 output.c_str());
    }
};

QTEST_GUILESS_MAIN(TestCompressionConfig)
#include "tst_compressionconfig.moc"
