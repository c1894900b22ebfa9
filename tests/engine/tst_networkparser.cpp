// SPDX-License-Identifier: GPL-3.0-or-later
// The network description format: defaults, resolution, every kind of bad input, round trips and hashing.

#include "psc/net/networkparser.h"
#include "psc/net/shapeinference.h"

#include <QTest>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>

using namespace psc;

namespace {

std::string dataFile(const std::string &name)
{
    return std::string(PSC_TEST_DATA_DIR) + "/networks/" + name;
}

std::string parseError(const std::function<void()> &parse)
{
    try {
        parse();
    } catch (const InputError &e) {
        return e.what();
    }
    return "(no error)";
}

std::vector<std::filesystem::path> goodNetworks()
{
    std::vector<std::filesystem::path> files;
    for (const auto &dir : {std::filesystem::path(PSC_SOURCE_DIR) / "resources/networks",
                            std::filesystem::path(PSC_TEST_DATA_DIR) / "networks"}) {
        for (const auto &entry : std::filesystem::directory_iterator(dir)) {
            const std::string name = entry.path().filename().string();
            if (entry.path().extension() == ".json" && name.rfind("bad-", 0) != 0)
                files.push_back(entry.path());
        }
    }
    std::sort(files.begin(), files.end());
    return files;
}

} // namespace

class TestNetworkParser : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void defaultsAndResolution();
    void explicitFields();
    void generatedNamesAvoidExplicitOnes();
    void badFiles_data();
    void badFiles();
    void badText_data();
    void badText();
    void missingFile();
    void hostileInput();
    void nonRegularFiles();
    void roundTripFiles_data();
    void roundTripFiles();
    void roundTripHandBuilt();
    void prettyOutputIsOneLayerPerLine();
    void hashIsStable();
    void hashIgnoresNames();
    void hashSeesEverythingElse();
    void documentationExampleParses();
    void factorizedFields();
    void factorizedErrors_data();
    void factorizedErrors();
    void factorizedHash();
};

void TestNetworkParser::defaultsAndResolution()
{
    const NetworkDescription net = parseNetwork(dataFile("minimal.json"));
    QCOMPARE(net.name, std::string());
    QCOMPARE(toString(net.input), std::string("2x5x5"));
    QCOMPARE(net.inputBits, 8);
    QCOMPARE(net.layers.size(), std::size_t(3));
    QCOMPARE(net.layers[0].name, std::string("relu_0"));
    QCOMPARE(net.layers[0].inputs, std::vector<std::string>{"input"});
    QCOMPARE(net.layers[1].name, std::string("flatten_1"));
    QCOMPARE(net.layers[1].inputs, std::vector<std::string>{"relu_0"});
    const LayerSpec &dense = net.layers[2];
    QVERIFY(dense.type == LayerType::Dense);
    QCOMPARE(dense.outChannels, 3);
    QCOMPARE(dense.bias, true);
    QVERIFY(dense.activation == Activation::None);
    QCOMPARE(dense.weightBits, 8);
    QCOMPARE(dense.activationBits, 8);

    // Convolutions default to stride 1 and "valid"; pools default to a stride equal to their kernel.
    const NetworkDescription cnn = parseNetworkJson(R"({"input": {"channels": 1, "height": 9, "width": 9},
        "layers": [{"type": "conv2d", "out_channels": 2, "kernel": 3}, {"type": "max_pool2d", "kernel": [3, 1]}]})",
                                                    "cnn");
    QCOMPARE(cnn.layers[0].strideH, 1);
    QVERIFY(cnn.layers[0].padding == (Padding{PaddingMode::Valid, 0}));
    QCOMPARE(cnn.layers[1].strideH, 3);
    QCOMPARE(cnn.layers[1].strideW, 1);
    QCOMPARE(toString(inferShapes(cnn).back()), std::string("2x2x7"));
}

void TestNetworkParser::explicitFields()
{
    const NetworkDescription net = parseNetworkJson(R"({"name": "fields",
        "input": {"channels": 3, "height": 16, "width": 12, "bits": 4},
        "layers": [
          {"type": "conv2d", "name": "c", "out_channels": 5, "kernel": [3, 1], "stride": [2, 1], "padding": 1,
           "bias": false, "activation": "relu6", "weight_bits": 2, "activation_bits": 16},
          {"type": "depthwise_conv2d", "name": "d", "inputs": ["c"], "kernel": 3, "padding": "same",
           "depth_multiplier": 3, "activation": "softmax"},
          {"type": "avg_pool2d", "kernel": 2, "stride": 1},
          {"type": "add", "name": "sum", "inputs": ["avg_pool2d_2", "avg_pool2d_2"], "activation": "relu"},
          {"type": "global_avg_pool"}, {"type": "batch_norm"}, {"type": "relu6"}, {"type": "softmax"}]})",
                                                    "fields");
    QCOMPARE(net.name, std::string("fields"));
    QCOMPARE(net.inputBits, 4);
    const LayerSpec &c = net.layers[0];
    QCOMPARE(c.kernelH, 3);
    QCOMPARE(c.kernelW, 1);
    QCOMPARE(c.strideH, 2);
    QCOMPARE(c.strideW, 1);
    QVERIFY(c.padding == (Padding{PaddingMode::Explicit, 1}));
    QCOMPARE(c.bias, false);
    QVERIFY(c.activation == Activation::Relu6);
    QCOMPARE(c.weightBits, 2);
    QCOMPARE(c.activationBits, 16);
    const LayerSpec &d = net.layers[1];
    QVERIFY(d.padding.mode == PaddingMode::Same);
    QCOMPARE(d.depthMultiplier, 3);
    QVERIFY(d.activation == Activation::Softmax);
    QCOMPARE(net.layers[3].inputs, (std::vector<std::string>{"avg_pool2d_2", "avg_pool2d_2"}));
    QVERIFY(net.layers[3].activation == Activation::Relu);
    QVERIFY(net.layers[7].type == LayerType::Softmax);
    // c: (16 + 2 - 3)/2 + 1 = 8 by (12 + 2 - 1) + 1 = 14; d: 15 channels; pool 2/1: 7x13; gap: 15x1x1.
    const auto shapes = inferShapes(net);
    QCOMPARE(toString(shapes[0]), std::string("5x8x14"));
    QCOMPARE(toString(shapes[1]), std::string("15x8x14"));
    QCOMPARE(toString(shapes[2]), std::string("15x7x13"));
    QCOMPARE(toString(shapes[4]), std::string("15x1x1"));
}

void TestNetworkParser::generatedNamesAvoidExplicitOnes()
{
    // Layer 1 would be called "relu_1", but a later layer already has that name.
    const NetworkDescription net = parseNetworkJson(R"({"input": {"channels": 1, "height": 2, "width": 2},
        "layers": [{"type": "relu"}, {"type": "relu"}, {"type": "relu6", "name": "relu_1"}]})",
                                                    "names");
    QCOMPARE(net.layers[0].name, std::string("relu_0"));
    QCOMPARE(net.layers[1].name, std::string("relu_1_2"));
    QCOMPARE(net.layers[2].inputs, std::vector<std::string>{"relu_1_2"});
}

void TestNetworkParser::badFiles_data()
{
    QTest::addColumn<QString>("file");
    QTest::addColumn<QString>("message");
    const auto row = [](const char *file, const char *message) {
        QTest::newRow(file) << QString::fromUtf8(file) << QString::fromUtf8(message);
    };
    // The trailing comma is reported at the "]" that follows it.
    row("bad-malformed.json", "7:3: malformed JSON: syntax error while parsing value - unexpected ']'; expected '[', "
                              "'{', or a literal");
    row("bad-unknown-type.json",
        "6:14: /layers/1/type: unknown layer type \"conv3d\"; did you mean \"conv2d\"? (allowed types: conv2d, "
        "depthwise_conv2d, dense, avg_pool2d, max_pool2d, global_avg_pool, add, flatten, batch_norm, relu, relu6, "
        "softmax, low_rank, kronecker)");
    row("bad-missing-field.json", "5:5: /layers/0: missing required key \"out_channels\"");
    row("bad-missing-input.json", "1:1: missing required key \"input\"");
    row("bad-wrong-type.json", "7:16: /layers/1/kernel: expected an integer or [height, width], got \"three\"");
    row("bad-wrong-bool.json", "5:64: /layers/0/bias: expected true or false, got \"yes\"");
    row("bad-bits.json", "5:50: /layers/0/weight_bits: expected an integer between 1 and 32, got 33");
    row("bad-padding.json",
        "5:67: /layers/0/padding: expected \"same\", \"valid\" or a non-negative integer, got \"full\"");
    row("bad-unknown-key.json",
        "5:53: /layers/0/kernal: unknown key \"kernal\"; did you mean \"kernel\"? (allowed keys: type, name, inputs, "
        "out_channels, kernel, stride, padding, bias, activation, weight_bits, sparsity, activation_bits)");
    row("bad-key-for-other-type.json", "5:55: /layers/0/activation: unknown key \"activation\" (allowed keys: type, "
                                       "name, inputs, kernel, stride, padding, activation_bits)");
    row("bad-duplicate-key.json", "5:56: /layers/0: duplicate key \"out_channels\"");
    row("bad-empty-layers.json", "1:87: /layers: expected at least one layer");
    row("bad-impossible-shape.json", "14:5: /layers/3: layer \"conv3\": kernel 5x5 larger than its padded input 3x3");
    row("bad-dangling-input.json",
        "7:56: /layers/2/inputs/1: layer \"sum\": input \"conv_2\" names no layer (dangling input)");
    row("bad-forward-input.json", "6:53: /layers/1/inputs/1: layer \"sum\": input \"r2\" is a later layer "
                                  "(/layers/2); a layer can only read earlier layers");
    row("bad-duplicate-names.json",
        "6:31: /layers/1/name: layer \"act\": duplicate layer name, also used by /layers/0");
    row("bad-reserved-name.json",
        "5:30: /layers/0/name: layer \"input\": the name \"input\" is reserved for the network input");
    row("bad-add-mismatch.json", "7:5: /layers/2: layer \"sum\": add needs inputs of identical shape, got 8x8x8 "
                                 "(\"conv1\") and 16x8x8 (\"conv2\")");
    row("bad-add-one-input.json", "6:46: /layers/1/inputs: layer \"sum\": add needs at least two inputs, got 1");
    row("bad-dense-not-flat.json", "6:5: /layers/1: layer \"fc\": dense needs a flat input (Nx1x1), got 8x6x6; add "
                                   "a \"flatten\" or \"global_avg_pool\" layer before it");
    row("bad-unused-output.json", "5:5: /layers/0: layer \"conv1\": its output is never used; only the last layer's "
                                  "output may be left unread");
}

void TestNetworkParser::badFiles()
{
    QFETCH(QString, file);
    QFETCH(QString, message);
    const std::string path = dataFile(file.toStdString());
    QVERIFY2(std::filesystem::exists(path), path.c_str());
    const std::string error = parseError([&] { parseNetwork(path); });
    QCOMPARE(QString::fromStdString(error), QString::fromStdString(path + ":") + message);
}

void TestNetworkParser::badText_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("message");
    QTest::newRow("empty") << ""
                           << "t.json:1:1: malformed JSON: the document is empty";
    QTest::newRow("truncated") << "{\"input\": {\"channels\": 1,\n"
                               << "t.json:2:1: malformed JSON: syntax error while parsing object key - unexpected "
                                  "end of input; expected string literal";
    // Columns count characters, not bytes: the two-byte "é" is one column. nlohmann stops at the end of the
    // unexpected token, the closing quote of "input".
    QTest::newRow("utf8 column") << QString::fromUtf8("{\"name\": \"é\" \"input\": 1}")
                                 << "t.json:1:20: malformed JSON: syntax error while parsing object - unexpected "
                                    "string literal; expected '}'";
    QTest::newRow("not an object") << "[1, 2]"
                                   << "t.json:1:1: expected an object, got an array";
    QTest::newRow("layer not an object") << R"({"input": {"channels": 1, "height": 1, "width": 1}, "layers": [3]})"
                                         << "t.json:1:64: /layers/0: expected an object, got 3";
    QTest::newRow("inputs not strings")
        << R"({"input": {"channels": 1, "height": 1, "width": 1}, "layers": [{"type": "relu", "inputs": [1]}]})"
        << "t.json:1:92: /layers/0/inputs/0: expected a non-empty string, got 1";
    QTest::newRow("kernel array too long")
        << R"({"input": {"channels": 1, "height": 4, "width": 4}, )"
           R"("layers": [{"type": "max_pool2d", "kernel": [1, 2, 3]}]})"
        << "t.json:1:97: /layers/0/kernel: expected an integer or [height, width], got an array of 3 elements";
    QTest::newRow("zero channels")
        << R"({"input": {"channels": 0, "height": 1, "width": 1}, "layers": [{"type": "relu"}]})"
        << "t.json:1:24: /input/channels: expected an integer between 1 and 1048576, got 0";
    QTest::newRow("float units")
        << R"({"input": {"channels": 1, "height": 1, "width": 1}, "layers": [{"type": "dense", "units": 2.5}]})"
        << "t.json:1:91: /layers/0/units: expected an integer between 1 and 1048576, got 2.5";
    QTest::newRow("bad activation")
        << R"({"input": {"channels": 1, "height": 1, "width": 1}, )"
           R"("layers": [{"type": "add", "inputs": ["input", "input"], "activation": "relu8"}]})"
        << "t.json:1:124: /layers/0/activation: expected one of \"none\", \"relu\", \"relu6\", \"softmax\", got "
           "\"relu8\"; did you mean \"relu\"?";
}

void TestNetworkParser::badText()
{
    QFETCH(QString, text);
    QFETCH(QString, message);
    const std::string error = parseError([&] { parseNetworkJson(text.toStdString(), "t.json"); });
    QCOMPARE(QString::fromStdString(error), message);
}

void TestNetworkParser::missingFile()
{
    const std::string path = dataFile("no-such-network.json");
    QCOMPARE(parseError([&] { parseNetwork(path); }), path + ": cannot read: No such file or directory");
    const std::string dir = dataFile("");
    QCOMPARE(parseError([&] { parseNetwork(dir); }), dir + ": cannot read: is a directory");
}

void TestNetworkParser::hostileInput()
{
    const std::string head =
        "{\"input\": {\"channels\": 1, \"height\": 5, \"width\": 5}, \"layers\": [{\"type\": \"dense\", ";
    // Beyond a double: nlohmann throws out_of_range.406 without a position; we locate the number.
    QCOMPARE(parseError([&] { parseNetworkJson(head + "\"units\": 1" + std::string(400, '0') + "}]}", "h.json"); }),
             std::string("h.json:1:91: /layers/0/units: number out of range: expected a number between -1.8e308 and "
                         "1.8e308 (a double), got \"1000000000000000000000000000000000000000\xE2\x80\xA6\" "
                         "(401 characters)"));
    // 1e80 written out fits a double but no integer type.
    QCOMPARE(parseError([&] { parseNetworkJson(head + "\"units\": 1" + std::string(80, '0') + "}]}", "h.json"); }),
             std::string("h.json:1:91: /layers/0/units: expected an integer between 1 and 1048576, got 1e+80"));
    // A huge layer type and a huge layer name come back cut, with their length.
    const std::string huge(10 * 1024 * 1024, 'x');
    const std::string cut = std::string(40, 'x') + "\xE2\x80\xA6\" (10485760 characters)";
    const std::string hugeType =
        "{\"input\": {\"channels\": 1, \"height\": 5, \"width\": 5}, \"layers\": [{\"type\": \"" + huge + "\"}]}";
    QCOMPARE(parseError([&] { parseNetworkJson(hugeType, "h.json"); }),
             "h.json:1:73: /layers/0/type: unknown layer type \"" + cut +
                 " (allowed types: conv2d, depthwise_conv2d, dense, avg_pool2d, max_pool2d, global_avg_pool, add, "
                 "flatten, batch_norm, relu, relu6, softmax, low_rank, kronecker)");
    const std::string dangling =
        parseError([&] { parseNetworkJson(head + "\"units\": 2, \"inputs\": [\"" + huge + "\"]}]}", "h.json"); });
    QVERIFY2(dangling.size() < 300 && dangling.find("(10485760 characters) names no layer") != std::string::npos,
             dangling.substr(0, 300).c_str());
}

void TestNetworkParser::nonRegularFiles()
{
    QCOMPARE(parseError([] { parseNetwork("/dev/zero"); }),
             std::string("/dev/zero: cannot read: a character device, not a regular file; input files must be "
                         "regular files"));
    const std::filesystem::path fifo =
        std::filesystem::temp_directory_path() / ("psc-tst-networkparser-" + std::to_string(::getpid()) + ".json");
    std::filesystem::remove(fifo);
    QCOMPARE(::mkfifo(fifo.c_str(), 0600), 0);
    const std::string error = parseError([&] { parseNetwork(fifo); }); // must not block
    std::filesystem::remove(fifo);
    QCOMPARE(error, fifo.string() + ": cannot read: a FIFO, not a regular file; input files must be regular files");
}

void TestNetworkParser::roundTripFiles_data()
{
    QTest::addColumn<QString>("file");
    for (const auto &file : goodNetworks())
        QTest::newRow(file.filename().string().c_str()) << QString::fromStdString(file.string());
    QVERIFY(goodNetworks().size() >= 7);
}

void TestNetworkParser::roundTripFiles()
{
    QFETCH(QString, file);
    const NetworkDescription net = parseNetwork(file.toStdString());
    for (bool pretty : {true, false}) {
        const std::string json = networkToJson(net, pretty);
        const NetworkDescription again = parseNetworkJson(json, "round-trip");
        QVERIFY(again == net);
        QCOMPARE(networkToJson(again, pretty), json); // canonical: a second trip changes nothing
    }
    QCOMPARE(architectureHash(parseNetworkJson(networkToJson(net), "x")), architectureHash(net));
}

void TestNetworkParser::roundTripHandBuilt()
{
    NetworkDescription net;
    net.name = "hand \"built\" / ü";
    net.input = {3, 17, 9};
    net.inputBits = 1;
    LayerSpec c;
    c.type = LayerType::Conv2d;
    c.name = "odd/name~with.slash";
    c.outChannels = 7;
    c.kernelH = 1;
    c.kernelW = 5;
    c.strideH = 3;
    c.padding = {PaddingMode::Explicit, 2};
    c.bias = false;
    c.activation = Activation::Relu;
    c.weightBits = 3;
    c.activationBits = 5;
    LayerSpec pool;
    pool.type = LayerType::MaxPool2d;
    pool.kernelH = 2;
    pool.kernelW = 3;
    pool.strideH = 1;
    pool.strideW = 2;
    pool.padding = {PaddingMode::Same, 0};
    LayerSpec flat;
    flat.type = LayerType::Flatten;
    net.layers = {c, pool, flat};

    // Unnamed layers and implicit inputs come back resolved; everything else comes back as it was.
    NetworkDescription expected = net;
    resolveNetwork(expected);
    QCOMPARE(expected.layers[1].name, std::string("max_pool2d_1"));
    QCOMPARE(expected.layers[1].inputs, std::vector<std::string>{"odd/name~with.slash"});
    const NetworkDescription again = parseNetworkJson(networkToJson(net), "hand-built");
    QVERIFY(again == expected);
    QCOMPARE(again.name, net.name);
}

void TestNetworkParser::prettyOutputIsOneLayerPerLine()
{
    const NetworkDescription net = parseNetwork(dataFile("minimal.json"));
    QCOMPARE(
        networkToJson(net),
        std::string("{\n"
                    "  \"name\": \"\",\n"
                    "  \"input\": {\"channels\": 2, \"height\": 5, \"width\": 5, \"bits\": 8},\n"
                    "  \"layers\": [\n"
                    "    {\"type\": \"relu\", \"name\": \"relu_0\", \"inputs\": [\"input\"], \"activation_bits\": 8},\n"
                    "    {\"type\": \"flatten\", \"name\": \"flatten_1\", \"inputs\": [\"relu_0\"], "
                    "\"activation_bits\": 8},\n"
                    "    {\"type\": \"dense\", \"name\": \"dense_2\", \"inputs\": [\"flatten_1\"], \"units\": 3, "
                    "\"bias\": true, \"activation\": \"none\", \"weight_bits\": 8, \"activation_bits\": 8}\n"
                    "  ]\n"
                    "}\n"));
    QCOMPARE(networkToJson(net, false).find(' '), std::string::npos);
}

void TestNetworkParser::hashIsStable()
{
    // Golden values: a change here invalidates every cached study result, so it must be deliberate
    // (bump the "format" tag in canonicalArchitectureJson()).
    QCOMPARE(architectureHash(parseNetwork(dataFile("residual.json"))),
             std::string("d6200b3a351af7596158ffd02c9a6b37989bbd5fd05eb328a4ebd81b6be362ed"));
    QCOMPARE(canonicalArchitectureJson(parseNetwork(dataFile("minimal.json"))),
             std::string(R"({"format":"psc-architecture/1","input":{"channels":2,"height":5,"width":5,"bits":8},)"
                         R"("layers":[{"type":"relu","inputs":[-1],"activation_bits":8},)"
                         R"({"type":"flatten","inputs":[0],"activation_bits":8},{"type":"dense","inputs":[1],)"
                         R"("units":3,"bias":true,"activation":"none","weight_bits":8,"activation_bits":8}]})"));
    QCOMPARE(architectureHash(parseNetwork(dataFile("minimal.json"))),
             std::string("d1eef5b7a2c26998feed8688f0d3b66a834cc0e0b0bef48132dcfe4527deb505"));
    QCOMPARE(architectureHash(parseNetwork(dataFile("minimal.json"))).size(), std::size_t(64));
}

void TestNetworkParser::hashIgnoresNames()
{
    const NetworkDescription original = parseNetwork(dataFile("residual.json"));
    NetworkDescription renamed = original;
    renamed.name = "something else";
    for (LayerSpec &layer : renamed.layers) {
        layer.name = "x_" + layer.name;
        for (std::string &input : layer.inputs) {
            if (input != "input")
                input = "x_" + input;
        }
    }
    QVERIFY(!(renamed == original));
    QCOMPARE(architectureHash(renamed), architectureHash(original));

    // Leaving names and previous-layer inputs implicit describes the same architecture.
    NetworkDescription implicit = original;
    std::set<std::string> referenced;
    for (std::size_t i = 0; i < implicit.layers.size(); ++i) {
        LayerSpec &layer = implicit.layers[i];
        const std::string previous = i == 0 ? "input" : original.layers[i - 1].name;
        if (layer.inputs == std::vector<std::string>{previous})
            layer.inputs.clear();
        referenced.insert(layer.inputs.begin(), layer.inputs.end());
    }
    int cleared = 0;
    for (LayerSpec &layer : implicit.layers) {
        if (referenced.count(layer.name) == 0) {
            layer.name.clear();
            ++cleared;
        }
    }
    QCOMPARE(cleared, 5);                                       // a, b, add2, pool, logits
    QCOMPARE(implicit.layers[5].inputs.size(), std::size_t(0)); // "down" reads the previous layer implicitly
    QCOMPARE(architectureHash(implicit), architectureHash(original));
}

void TestNetworkParser::hashSeesEverythingElse()
{
    const NetworkDescription base = parseNetwork(dataFile("residual.json"));
    const std::string baseHash = architectureHash(base);
    const std::vector<std::function<void(NetworkDescription &)>> changes = {
        [](NetworkDescription &n) { n.input.height = 9; },
        [](NetworkDescription &n) { n.inputBits = 4; },
        [](NetworkDescription &n) { n.layers[1].kernelW = 5; },
        [](NetworkDescription &n) {
            n.layers[1].padding = {PaddingMode::Same, 0};
        },
        [](NetworkDescription &n) { n.layers[2].bias = true; },
        [](NetworkDescription &n) { n.layers[5].activation = Activation::Relu6; },
        [](NetworkDescription &n) { n.layers[6].weightBits = 8; },
        [](NetworkDescription &n) { n.layers[7].activationBits = 16; },
        [](NetworkDescription &n) { n.layers[6].inputs = {"bn"}; }, // same shape, different topology
        [](NetworkDescription &n) { n.layers[9].outChannels = 5; },
    };
    std::set<std::string> hashes = {baseHash};
    for (const auto &change : changes) {
        NetworkDescription changed = base;
        change(changed);
        hashes.insert(architectureHash(changed));
    }
    QCOMPARE(hashes.size(), changes.size() + 1);
}

void TestNetworkParser::documentationExampleParses()
{
    // The first JSON block of the format's documentation must stay a valid network.
    std::ifstream in(std::filesystem::path(PSC_SOURCE_DIR) / "docs/formats/network.md");
    std::stringstream buffer;
    buffer << in.rdbuf();
    const std::string doc = buffer.str();
    const std::size_t start = doc.find("```json\n");
    QVERIFY(start != std::string::npos);
    const std::size_t end = doc.find("```", start + 8);
    QVERIFY(end != std::string::npos);
    const NetworkDescription net = parseNetworkJson(doc.substr(start + 8, end - start - 8), "network.md");
    QCOMPARE(net.name, std::string("tiny-cnn"));
    QCOMPARE(net.layers.size(), std::size_t(10));
    QCOMPARE(net.layers[2].inputs, (std::vector<std::string>{"conv1", "dw"}));
}

void TestNetworkParser::factorizedFields()
{
    const NetworkDescription net = parseNetwork(dataFile("factorized.json"));
    const LayerSpec &lr = net.layers[0];
    QVERIFY(lr.type == LayerType::LowRank);
    QCOMPARE(lr.outChannels, 3);
    QCOMPARE(lr.rank, 2);
    QCOMPARE(lr.weightBits, 3);
    QCOMPARE(lr.bias, true);
    const LayerSpec &kr = net.layers[3];
    QVERIFY(kr.type == LayerType::Kronecker);
    QVERIFY(kr.kronA == (FactorShape{3, 4}));
    QVERIFY(kr.kronB == (FactorShape{2, 3}));
    QVERIFY(kr.activation == Activation::Relu);
    QCOMPARE(toString(inferShapes(net)[0]), std::string("3x2x2")); // per pixel, like a 1x1 conv2d
    QCOMPARE(toString(inferShapes(net)[3]), std::string("6x1x1"));
    const std::string json = networkToJson(net, false);
    QVERIFY(json.find(R"("type":"low_rank","name":"lr","inputs":["input"],"out_channels":3,"rank":2,"bias":true,)"
                      R"("activation":"none","weight_bits":3,"activation_bits":8})") != std::string::npos);
    QVERIFY(json.find(R"("out_channels":6,"factors":[[3,4],[2,3]],"bias":true,"activation":"relu")") !=
            std::string::npos);
    QVERIFY(isFactorized(LayerType::LowRank) && isFactorized(LayerType::Kronecker));
    QVERIFY(isLinear(LayerType::Kronecker) && hasWeights(LayerType::LowRank) && !isLinear(LayerType::BatchNorm));
    QVERIFY(layerTypeFromString("kronecker").value_or(LayerType::Relu) == LayerType::Kronecker);
}

void TestNetworkParser::factorizedErrors_data()
{
    QTest::addColumn<QString>("layers");
    QTest::addColumn<QString>("message");
    // Input 6x1x1 throughout; `layers` is the text of the "layers" array.
    QTest::newRow("rank above min(in, out)")
        << R"([{"type": "low_rank", "out_channels": 4, "rank": 5}])"
        << "/layers/0/rank: layer \"low_rank_0\": rank must be between 1 and min(input channels, out_channels) = "
           "min(6, 4) = 4, got 5";
    QTest::newRow("rank zero") << R"([{"type": "low_rank", "out_channels": 4, "rank": 0}])"
                               << "/layers/0/rank: expected an integer between 1 and 1048576, got 0";
    QTest::newRow("rank missing") << R"([{"type": "low_rank", "out_channels": 4}])"
                                  << "/layers/0: missing required key \"rank\"";
    QTest::newRow("sparse low_rank")
        << R"([{"type": "low_rank", "out_channels": 4, "rank": 2, "sparsity": {"pattern": "none"}}])"
        << "/layers/0/sparsity: a low_rank layer cannot be sparse: its factors are dense (prune a dense or conv2d "
           "layer instead)";
    QTest::newRow("binary kronecker")
        << R"([{"type": "kronecker", "out_channels": 4, "factors": [[2, 2], [2, 3]], "weight_bits": 1}])"
        << "/layers/0/weight_bits: a kronecker layer cannot have binary (1-bit) weights; use 2 to 32 bits";
    QTest::newRow("kronecker outputs")
        << R"([{"type": "kronecker", "out_channels": 5, "factors": [[2, 2], [2, 3]]}])"
        << "/layers/0/factors: layer \"kronecker_0\": factors [2, 2] and [2, 3] give 4 outputs (o1 * o2), but "
           "out_channels is 5";
    QTest::newRow("kronecker inputs")
        << R"([{"type": "kronecker", "out_channels": 4, "factors": [[2, 2], [2, 2]]}])"
        << "/layers/0/factors: layer \"kronecker_0\": factors [2, 2] and [2, 2] take 4 inputs (i1 * i2), but the "
           "input has 6 channels (6x1x1)";
    QTest::newRow("malformed factors") << R"([{"type": "kronecker", "out_channels": 4, "factors": [[2, 2], 3]}])"
                                       << "/layers/0/factors/1: expected a factor shape [out, in], got 3";
    QTest::newRow("one factor") << R"([{"type": "kronecker", "out_channels": 4, "factors": [[2, 2]]}])"
                                << "/layers/0/factors: expected the two factor shapes [[o1, i1], [o2, i2]], got an "
                                   "array of 1 element";
    QTest::newRow("batch_norm after kronecker")
        << R"([{"type": "kronecker", "name": "k", "out_channels": 4, "factors": [[2, 2], [2, 3]]}, )"
           R"({"type": "batch_norm", "name": "bn"}])"
        << "/layers/1: layer \"bn\": batch_norm cannot follow a kronecker layer: its scale does not factor; fuse it "
           "away or use low_rank";
    QTest::newRow("kernel on low_rank") << R"([{"type": "low_rank", "out_channels": 4, "rank": 2, "kernel": 1}])"
                                        << "/layers/0/kernel: unknown key \"kernel\" (allowed keys: type, name, "
                                           "inputs, out_channels, rank, bias, activation, weight_bits, "
                                           "activation_bits)";
}

void TestNetworkParser::factorizedErrors()
{
    QFETCH(QString, layers);
    QFETCH(QString, message);
    const std::string text =
        R"({"input": {"channels": 6, "height": 1, "width": 1}, "layers": )" + layers.toStdString() + "}";
    const std::string error = parseError([&] { parseNetworkJson(text, "t.json"); });
    // "t.json:1:COLUMN: " precedes the pointer; the column is checked by the generic tests.
    const std::size_t at = error.find(": /");
    QVERIFY2(at != std::string::npos, error.c_str());
    QCOMPARE(QString::fromStdString(error.substr(at + 2)).left(message.size()), message);
}

void TestNetworkParser::factorizedHash()
{
    const NetworkDescription base = parseNetwork(dataFile("factorized.json"));
    std::set<std::string> hashes = {architectureHash(base)};
    NetworkDescription changed = base;
    changed.layers[0].rank = 1;
    hashes.insert(architectureHash(changed));
    changed = base;
    changed.layers[3].kronA = {3, 3}; // B [2, 4]: the same 6 x 12 layer, factored differently
    changed.layers[3].kronB = {2, 4};
    hashes.insert(architectureHash(changed));
    QCOMPARE(hashes.size(), std::size_t(3));
    QCOMPARE(toString(inferShapes(changed)[3]), std::string("6x1x1"));
}

QTEST_APPLESS_MAIN(TestNetworkParser)
#include "tst_networkparser.moc"
