// SPDX-License-Identifier: GPL-3.0-or-later
// The TFLite and ONNX imports: export then import gives the same network description and the same integer outputs;
// what they cannot import is named (operator and index) and refused; damaged files (truncated, bit-flipped) are
// refused with a message naming the file, never a crash or a hang.
#include "psc/core/error.h"
#include "psc/export/exporter.h"
#include "psc/export/importer.h"
#include "psc/net/networkparser.h"
#include "psc/quant/integerinference.h"

#include "quantizedmodels.h"

#include <QTest>

#include <onnx/onnx_pb.h>
#include <tflite_schema_generated.h>

#include <random>
#include <tuple>

using namespace psc;

namespace {

// Every layer kind the import maps back one to one: SAME/VALID padding, 8-bit activations, relu that cannot be fused,
// a three-input add, a pool, the global average pool, low_rank on pixels and on a flat vector, dense after flatten.
const char *const kRoundTripNet =
    R"({"name": "roundtrip", "input": {"channels": 1, "height": 12, "width": 12}, "layers": [
    {"type": "conv2d", "name": "c1", "out_channels": 8, "kernel": 3, "stride": 2, "padding": "same",
     "activation": "relu", "weight_bits": 4},
    {"type": "depthwise_conv2d", "name": "dw", "kernel": 3, "padding": "same", "depth_multiplier": 2,
     "activation": "relu6"},
    {"type": "conv2d", "name": "pw", "out_channels": 8, "kernel": 1, "padding": "same"},
    {"type": "add", "name": "sum", "inputs": ["c1", "pw", "c1"]},
    {"type": "relu", "name": "r"},
    {"type": "low_rank", "name": "lr", "out_channels": 12, "rank": 4, "activation": "relu", "weight_bits": 6},
    {"type": "max_pool2d", "name": "mp", "kernel": 2, "stride": 2, "padding": "same"},
    {"type": "flatten", "name": "fl"},
    {"type": "dense", "name": "fc1", "units": 16, "activation": "relu", "weight_bits": 2},
    {"type": "low_rank", "name": "lr2", "out_channels": 10, "rank": 3},
    {"type": "softmax", "name": "sm"}]})";

const char *const kGapNet =
    R"({"name": "gap", "input": {"channels": 3, "height": 8, "width": 8}, "layers": [
    {"type": "conv2d", "name": "c", "out_channels": 6, "kernel": 3, "padding": "valid", "activation": "relu"},
    {"type": "avg_pool2d", "name": "ap", "kernel": 2, "stride": 1, "padding": "same"},
    {"type": "global_avg_pool", "name": "gap"},
    {"type": "dense", "name": "logits", "units": 5, "weight_bits": 1}]})";

std::string exportAs(ExportFormat format, const TrainedModel &trained)
{
    return makeExporter(format)->write(IntegerModel::quantize(trained), {"model", "a test"}).files[0].bytes;
}

ImportedModel importAs(ExportFormat format, const std::string &bytes, const std::string &name)
{
    return format == ExportFormat::Tflite ? importTflite(bytes, name + ".tflite") : importOnnx(bytes, name + ".onnx");
}

/** Rows for both formats of each (name, json, seed). */
void addFormatRows(std::initializer_list<std::tuple<const char *, const char *, int>> rows)
{
    QTest::addColumn<int>("format");
    QTest::addColumn<QString>("json");
    QTest::addColumn<int>("seed");
    for (const ExportFormat f : {ExportFormat::Tflite, ExportFormat::Onnx})
        for (const auto &[name, json, seed] : rows)
            QTest::addRow("%s: %s", std::string(toString(f)).c_str(), name) << int(f) << QString(json) << seed;
}

/** The canonical description with its layer names, but not the network's name (the file's stem on import). */
std::string architecture(NetworkDescription n)
{
    n.name = "net";
    return networkToJson(n);
}

} // namespace

class TestImporter : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void roundTrip_data()
    {
        addFormatRows({{"conv, depthwise, add of 3, relu, low_rank, pool, dense", kRoundTripNet, 1},
                       {"valid padding, average pool, global average pool, binary dense", kGapNet, 2}});
    }

    // Export then import: the same description (up to the name) and, image for image, the same int8 logits.
    void roundTrip()
    {
        QFETCH(int, format);
        QFETCH(QString, json);
        QFETCH(int, seed);
        const auto f = ExportFormat(format);
        std::mt19937 rng{std::uint32_t(seed)};
        const TrainedModel trained = testing::calibratedRandomModel(json.toStdString(), rng);
        const ImportedModel imported = importAs(f, exportAs(f, trained), "model");
        QCOMPARE(QString::fromStdString(architecture(imported.network)),
                 QString::fromStdString(architecture(trained.network)));
        QVERIFY2(imported.model.has_value(), imported.notes.empty() ? "" : imported.notes.back().c_str());

        const IntegerModel original = IntegerModel::quantize(trained);
        const IntegerModel back = IntegerModel::quantize(*imported.model);
        const Shape &s = trained.network.input;
        const std::vector<std::uint8_t> pixels = testing::randomImages(s, 50, rng);
        for (int n = 0; n < 50; ++n) {
            const std::uint8_t *image = pixels.data() + std::size_t(n) * std::size_t(s.elements());
            QCOMPARE(back.run(image), original.run(image));
        }
        // Exported again, it is the same size (the scales may differ in their last float bits).
        TrainedModel again = *imported.model;
        again.network.name = trained.network.name; // the graph's name is in the file
        QCOMPARE(exportAs(f, again).size(), exportAs(f, trained).size());
    }

    // The test networks of the exporters: a kronecker layer comes back as its dense product, explicit padding as
    // SAME/VALID, narrow activations as int8; the integer outputs of the others stay the same.
    void exportedNetworksImport_data()
    {
        addFormatRows({{"conv, depthwise, pools, dense", testing::kConvPoolNet, 3},
                       {"residual adds, explicit padding", testing::kResidualNet, 4},
                       {"low_rank and kronecker", testing::kFactorNet, 5},
                       {"4- to 6-bit activations", testing::kNarrowNet, 6}});
    }

    void exportedNetworksImport()
    {
        QFETCH(int, format);
        QFETCH(QString, json);
        QFETCH(int, seed);
        const auto f = ExportFormat(format);
        // kronecker comes back as the dense product the file holds, which rounds once where the reference rounds
        // twice; narrow activations are int8 in the files; the ONNX relu6 has no upper clamp.
        const bool sameOutputs = json != testing::kFactorNet && json != testing::kNarrowNet &&
                                 !(f == ExportFormat::Onnx && json == testing::kConvPoolNet);
        std::mt19937 rng{std::uint32_t(seed)};
        const TrainedModel trained = testing::calibratedRandomModel(json.toStdString(), rng);
        const ImportedModel imported = importAs(f, exportAs(f, trained), "model");
        QVERIFY(imported.model.has_value());
        QVERIFY(imported.network.input == trained.network.input);
        const IntegerModel original = IntegerModel::quantize(trained);
        const IntegerModel back = IntegerModel::quantize(*imported.model);
        QCOMPARE(back.outputSize(), original.outputSize());
        if (!sameOutputs)
            return;
        const std::vector<std::uint8_t> pixels = testing::randomImages(trained.network.input, 30, rng);
        int differing = 0;
        for (int n = 0; n < 30; ++n) {
            const std::uint8_t *image = pixels.data() + std::size_t(n) * std::size_t(trained.network.input.elements());
            const std::vector<std::int8_t> a = original.run(image), b = back.run(image);
            for (std::size_t k = 0; k < a.size(); ++k)
                differing += a[k] != b[k];
        }
        QCOMPARE(differing, 0);
    }

    // An operator outside the supported set is named with its index; nothing is imported.
    void refusesUnsupportedOperators()
    {
        std::mt19937 rng{7};
        const std::string bytes = exportAs(ExportFormat::Tflite, testing::calibratedRandomModel(kGapNet, rng));
        std::unique_ptr<tflite::ModelT> model(tflite::GetModel(bytes.data())->UnPack());
        // The average pool (operator 1) becomes a MUL (builtin 18).
        const std::uint32_t code = model->subgraphs[0]->operators[1]->opcode_index;
        model->operator_codes[code]->builtin_code = tflite::BuiltinOperator(18);
        model->operator_codes[code]->deprecated_builtin_code = 18;
        flatbuffers::FlatBufferBuilder builder;
        tflite::FinishModelBuffer(builder, tflite::Model::Pack(builder, model.get()));
        const std::string changed(reinterpret_cast<const char *>(builder.GetBufferPointer()), builder.GetSize());
        try {
            importTflite(changed, "odd.tflite");
            QFAIL("an unsupported operator was imported");
        } catch (const InputError &e) {
            QVERIFY2(
                std::string(e.what()).starts_with("odd.tflite: operator 1 is MUL, which Paretoscope cannot import"),
                e.what());
        }
        QVERIFY_THROWS_EXCEPTION(InputError, importTflite("not a model at all", "x.tflite"));
        QVERIFY_THROWS_EXCEPTION(InputError, importTflite("", "x.tflite"));

        // ONNX: the first QLinearConv becomes a ConvInteger.
        onnx::ModelProto onnxModel;
        QVERIFY(onnxModel.ParseFromString(exportAs(ExportFormat::Onnx, testing::calibratedRandomModel(kGapNet, rng))));
        int index = 0;
        while (onnxModel.graph().node(index).op_type() != "QLinearConv")
            ++index;
        onnxModel.mutable_graph()->mutable_node(index)->set_op_type("ConvInteger");
        try {
            importOnnx(onnxModel.SerializeAsString(), "odd.onnx");
            QFAIL("an unsupported operator was imported");
        } catch (const InputError &e) {
            QVERIFY2(
                std::string(e.what()).starts_with("odd.onnx: node " + std::to_string(index) +
                                                  " (ConvInteger \"l0_c_quantized\"): ConvInteger is not supported"),
                e.what());
        }
        QVERIFY_THROWS_EXCEPTION(InputError, importOnnx("not a model at all", "x.onnx"));
        QVERIFY_THROWS_EXCEPTION(InputError, importOnnx("", "x.onnx"));
    }

    // Fuzzing: every truncation point of interest and a thousand random bit flips. Each outcome is an import or an
    // InputError naming the file; never a crash, another exception or a hang.
    void damagedFilesAreRefusedCleanly_data()
    {
        QTest::addColumn<int>("format");
        QTest::newRow("tflite") << int(ExportFormat::Tflite);
        QTest::newRow("onnx") << int(ExportFormat::Onnx);
    }

    void damagedFilesAreRefusedCleanly()
    {
        QFETCH(int, format);
        const auto f = ExportFormat(format);
        const std::string file = "damaged." + std::string(toString(f));
        std::mt19937 rng{11};
        const std::string good = exportAs(f, testing::calibratedRandomModel(kRoundTripNet, rng));
        int refused = 0, imported = 0;
        auto attempt = [&](const std::string &bytes, const QString &what) {
            try {
                importAs(f, bytes, "damaged");
                ++imported;
            } catch (const InputError &e) {
                ++refused;
                if (!std::string(e.what()).starts_with(file + ": "))
                    QFAIL(qPrintable(what + ": " + QString::fromUtf8(e.what())));
            } catch (const std::exception &e) {
                QFAIL(qPrintable(what + ": not an InputError: " + QString::fromUtf8(e.what())));
            }
        };
        for (std::size_t cut = 0; cut < good.size(); cut += std::max<std::size_t>(1, good.size() / 300))
            attempt(good.substr(0, cut), QStringLiteral("truncated to %1 bytes").arg(cut));
        std::uniform_int_distribution<std::size_t> byte(0, good.size() - 1);
        std::uniform_int_distribution<int> bit(0, 7);
        for (int n = 0; n < 1000; ++n) {
            std::string bad = good;
            const std::size_t at = byte(rng);
            bad[at] = char(bad[at] ^ (1 << bit(rng)));
            attempt(bad, QStringLiteral("bit flip at byte %1").arg(at));
        }
        QVERIFY(refused > 300); // every truncation, and flips in the structure
        QVERIFY(imported > 0);  // flips in weight values still make a model
    }
};

QTEST_GUILESS_MAIN(TestImporter)
#include "tst_importer.moc"
