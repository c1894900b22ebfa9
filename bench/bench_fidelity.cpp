// SPDX-License-Identifier: GPL-3.0-or-later
// Side-by-side agreement of the Ethos-U and systolic cost models with the tools their users trust: Arm's Vela
// compiler (3.10) and SCALE-Sim v2. Neither tool is part of Paretoscope or packaged by Debian; run them by hand
// (outside the project) on the files this program writes, then run it again to compare.
//
//   bench_fidelity DIR [--networks N] [--seed S] [--study STUDY.psc] [--prior]
//
// 1. Writes DIR/<net>.tflite (random int8 networks of the kinds Paretoscope searches: plain CNNs, depthwise-separable,
//    residual, dense-heavy and keyword-spotting shapes with non-square kernels; plus every complete trial of STUDY),
//    DIR/<net>.topology.csv (the conv and dense layers as a SCALE-Sim conv topology: IFMAP = (out - 1) * stride + k,
//    since SCALE-Sim has no padding; depthwise layers named "...DP..." as SCALE-Sim expects) and DIR/targets.txt
//    (for each compared target: "vela ID ACCELERATOR SYSTEM_CONFIG MEMORY_MODE" or "scalesim ID ROWS COLS
//    DATAFLOW").
// 2. Reads what the reference tools left, if present:
//      DIR/vela/ID/<net>_per-layer.csv and DIR/vela/ID/<net>_summary_*.csv  (vela --verbose-performance)
//      DIR/scalesim/ID/<net>/COMPUTE_REPORT.csv                               (SCALE-Sim, CALC bandwidth mode)
//    and prints, per target, how far Paretoscope's estimates are from them: network cycles, per-layer cycles
//    (median and worst), SRAM used and encoded weight bytes for Vela; per-layer compute cycles for SCALE-Sim.
//    Estimates use each network's trained weight histograms; --prior estimates without them, as a search does
//    before training.

#include "../tests/engine/quantizedmodels.h"
#include "psc/export/exporter.h"
#include "psc/export/trialexport.h"
#include "psc/net/analysis.h"
#include "psc/net/networkparser.h"
#include "psc/quant/integerinference.h"
#include "psc/study/compressionrunner.h"
#include "psc/study/studystore.h"
#include "psc/targets/costinput.h"
#include "psc/targets/targetlibrary.h"

#include <QCoreApplication>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

using namespace psc;
namespace fs = std::filesystem;

namespace {

struct Sample
{
    std::string name;
    NetworkDescription network;
    std::vector<plugin::LayerDeployment> deployment; ///< with the trained weights' histograms
};

/** A random network of one of five kinds, as JSON (int8 weights and activations). */
std::string randomNetwork(std::mt19937 &rng, int index)
{
    auto pick = [&rng](std::initializer_list<int> values) {
        std::vector<int> v(values);
        return v[std::uniform_int_distribution<std::size_t>(0, v.size() - 1)(rng)];
    };
    std::string layers;
    int n = 0;
    auto layer = [&](const std::string &body) {
        layers +=
            std::string(layers.empty() ? "" : ",\n") + "    {" + body + R"(, "name": "l)" + std::to_string(n++) + "\"}";
        return "l" + std::to_string(n - 1);
    };
    auto conv = [&](int out, const std::string &kernel, const std::string &stride) {
        return layer(R"("type": "conv2d", "out_channels": )" + std::to_string(out) + R"(, "kernel": )" + kernel +
                     R"(, "stride": )" + stride + R"(, "padding": "same", "activation": "relu")");
    };
    auto dw = [&](int stride) {
        return layer(R"("type": "depthwise_conv2d", "kernel": 3, "stride": )" + std::to_string(stride) +
                     R"(, "padding": "same", "activation": "relu")");
    };
    int inC = pick({1, 1, 3}), h = pick({16, 24, 28, 32}), w = h;
    const int kind = index % 5;
    switch (kind) {
    case 0: { // plain CNN: conv-pool stacks and a dense head
        conv(pick({8, 16, 32}), "3", "1");
        layer(R"("type": "max_pool2d", "kernel": 2, "stride": 2)");
        conv(pick({16, 32, 64}), "3", "1");
        layer(R"("type": "max_pool2d", "kernel": 2, "stride": 2)");
        layer(R"("type": "flatten")");
        layer(R"("type": "dense", "units": )" + std::to_string(pick({32, 64, 128})) + R"(, "activation": "relu")");
        break;
    }
    case 1: { // depthwise-separable
        conv(pick({16, 32}), "3", "2");
        for (int b = pick({2, 3, 4}); b > 0; --b) {
            dw(pick({1, 2}));
            conv(pick({16, 32, 48, 64}), "1", "1");
        }
        layer(R"("type": "global_avg_pool")");
        layer(R"("type": "flatten")");
        break;
    }
    case 2: { // residual
        const int c = pick({16, 24, 32});
        std::string from = conv(c, "3", "2");
        for (int b = pick({1, 2}); b > 0; --b) {
            conv(c, "3", "1");
            const std::string second = layer(R"("type": "conv2d", "out_channels": )" + std::to_string(c) +
                                             R"(, "kernel": 3, "padding": "same")");
            layer(R"("type": "add", "inputs": [")" + from + R"(", ")" + second + R"("])");
            from = layer(R"("type": "relu")");
        }
        layer(R"("type": "global_avg_pool")");
        layer(R"("type": "flatten")");
        break;
    }
    case 3: { // dense-heavy
        if (pick({0, 1})) {
            conv(pick({4, 8}), "3", "2");
            layer(R"("type": "max_pool2d", "kernel": 2, "stride": 2)");
        }
        layer(R"("type": "flatten")");
        layer(R"("type": "dense", "units": )" + std::to_string(pick({128, 256})) + R"(, "activation": "relu")");
        layer(R"("type": "dense", "units": )" + std::to_string(pick({32, 64})) + R"(, "activation": "relu")");
        break;
    }
    default: { // keyword spotting: MFCC-like input, non-square first kernel
        inC = 1;
        h = 49;
        w = 10;
        conv(pick({32, 64}), "[10, 4]", "[2, 2]");
        for (int b = pick({2, 3}); b > 0; --b) {
            dw(1);
            conv(pick({32, 64}), "1", "1");
        }
        layer(R"("type": "global_avg_pool")");
        layer(R"("type": "flatten")");
        break;
    }
    }
    layer(R"("type": "dense", "units": 10)");
    layer(R"("type": "softmax")");
    const char *kinds[] = {"plain", "dscnn", "residual", "dense", "kws"};
    return R"({"name": ")" + std::string(kinds[kind]) + std::to_string(index) + R"(", "input": {"channels": )" +
           std::to_string(inC) + R"(, "height": )" + std::to_string(h) + R"(, "width": )" + std::to_string(w) +
           "}, \"layers\": [\n" + layers + "]}";
}

/** Trained weights are peaked around zero: Laplace-distributed weights stand in for them in random networks. */
void laplaceWeights(TrainedModel &m, std::mt19937 &rng)
{
    std::exponential_distribution<float> magnitude(1.0f);
    std::bernoulli_distribution sign(0.5);
    for (auto &[name, p] : m.parameters) {
        if (p.weight.values.empty())
            continue;
        const float scale = 0.5f / std::sqrt(float(p.weight.values.size() / std::max(1, p.weight.shape.front())));
        for (float &v : p.weight.values)
            v = (sign(rng) ? -1.0f : 1.0f) * scale * magnitude(rng);
    }
}

/** The deployment with each weighted layer's trained value histogram attached (by layer name). */
std::vector<plugin::LayerDeployment> withWeights(const NetworkDescription &net, const IntegerModel &model)
{
    std::vector<plugin::LayerDeployment> d = defaultDeployment(net);
    const plugin::NetworkInfo info = toNetworkInfo(net, analyzeNetwork(net));
    for (const LayerQuantization &q : model.layers()) {
        if (q.weights.empty())
            continue;
        auto h = std::make_shared<plugin::WeightHistogram>();
        for (std::int8_t v : q.weights)
            ++h->counts[std::size_t(int(v) + 128)];
        for (std::size_t i = 0; i < info.layers.size(); ++i)
            if (info.layers[i].name == q.name)
                d[i].weightValues = h;
    }
    return d;
}

template <typename Bytes> void writeFile(const fs::path &path, const Bytes &bytes)
{
    std::ofstream out(path, std::ios::binary);
    out.write(bytes.data(), std::streamsize(bytes.size()));
}

/** The conv and dense layers as a SCALE-Sim conv topology (one row per layer, every row ending in a comma). */
std::string scaleSimTopology(const NetworkDescription &net)
{
    const ModelAnalysis a = analyzeNetwork(net);
    std::string out = "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, "
                      "Strides,\n";
    for (std::size_t i = 0; i < net.layers.size(); ++i) {
        const LayerSpec &l = net.layers[i];
        const LayerAnalysis &la = a.layers[i];
        if (l.type == LayerType::Conv2d || l.type == LayerType::DepthwiseConv2d) {
            const int ih = (la.outputShape.height - 1) * l.strideH + l.kernelH;
            const int iw = (la.outputShape.width - 1) * l.strideW + l.kernelW;
            const bool depthwise = l.type == LayerType::DepthwiseConv2d;
            // SCALE-Sim takes one stride; every layer written here has equal strides or a 1-pixel-wide output.
            out += (depthwise ? l.name + "_DP" : l.name) + ", " + std::to_string(ih) + ", " + std::to_string(iw) +
                   ", " + std::to_string(l.kernelH) + ", " + std::to_string(l.kernelW) + ", " +
                   std::to_string(depthwise ? la.outputShape.channels : la.inputShapes.front().channels) + ", " +
                   std::to_string(depthwise ? 1 : la.outputShape.channels) + ", " + std::to_string(l.strideH) + ",\n";
        } else if (l.type == LayerType::Dense) {
            out += l.name + ", 1, 1, 1, 1, " + std::to_string(la.inputShapes.front().elements()) + ", " +
                   std::to_string(la.outputShape.channels) + ", 1,\n";
        }
    }
    return out;
}

std::vector<std::string> splitCsv(const std::string &line)
{
    std::vector<std::string> cells;
    std::string cell;
    std::string text = line;
    if (!text.empty() && text.back() == '\r')
        text.pop_back();
    std::istringstream in(text);
    while (std::getline(in, cell, ','))
        cells.push_back(cell);
    return cells;
}

double toNumber(const std::string &s)
{
    try {
        return std::stod(s);
    } catch (...) {
        return std::nan("");
    }
}

struct VelaResult
{
    std::map<std::string, double> layerCycles; ///< by output tensor name ("_fc" suffix removed), summed
    double cycles = 0, sramBytes = 0, weightBytes = 0;
    bool ok = false;
};

VelaResult readVela(const fs::path &dir, const std::string &net)
{
    VelaResult r;
    std::ifstream layers(dir / (net + "_per-layer.csv"));
    if (!layers)
        return r;
    std::string line;
    std::getline(layers, line); // header
    while (std::getline(layers, line)) {
        const auto c = splitCsv(line);
        if (c.size() < 15)
            continue;
        std::string name = c[14];
        if (name.size() > 3 && name.ends_with("_fc"))
            name.resize(name.size() - 3);
        r.layerCycles[name] += toNumber(c[4]);
    }
    for (const auto &entry : fs::directory_iterator(dir)) {
        const std::string file = entry.path().filename().string();
        if (!file.starts_with(net + "_summary_"))
            continue;
        std::ifstream summary(entry.path());
        std::string header, values;
        std::getline(summary, header);
        std::getline(summary, values);
        const auto h = splitCsv(header), v = splitCsv(values);
        for (std::size_t i = 0; i < h.size() && i < v.size(); ++i) {
            if (h[i] == "cycles_total")
                r.cycles = toNumber(v[i]);
            else if (h[i] == "sram_memory_used")
                r.sramBytes = toNumber(v[i]) * 1024;
            else if (h[i] == "total_npu_encoded_weights")
                r.weightBytes = toNumber(v[i]);
        }
        r.ok = r.cycles > 0;
    }
    return r;
}

/** Total cycles per layer name from SCALE-Sim's compute report (depthwise layers are split into channels). */
std::map<std::string, double> readScaleSim(const fs::path &report, const std::vector<std::string> &names)
{
    std::map<std::string, double> cycles;
    std::ifstream in(report);
    if (!in)
        return cycles;
    std::string line;
    std::getline(in, line);
    std::vector<double> rows;
    while (std::getline(in, line)) {
        const auto c = splitCsv(line);
        if (c.size() >= 2)
            rows.push_back(toNumber(c[1]));
    }
    // Rows follow the topology; a depthwise layer of C channels takes C rows.
    std::size_t at = 0;
    for (const std::string &n : names) {
        const auto colon = n.find(':');
        const std::string name = n.substr(0, colon);
        const std::size_t count = colon == std::string::npos ? 1 : std::stoul(n.substr(colon + 1));
        for (std::size_t k = 0; k < count && at < rows.size(); ++k)
            cycles[name] += rows[at++];
    }
    return cycles;
}

struct Errors
{
    std::vector<double> values;
    void add(double estimate, double reference)
    {
        if (reference > 0 && std::isfinite(estimate))
            values.push_back((estimate - reference) / reference);
    }
    std::string summary() const
    {
        if (values.empty())
            return "-";
        std::vector<double> a;
        for (double v : values)
            a.push_back(std::abs(v));
        std::sort(a.begin(), a.end());
        const double median = a.size() % 2 ? a[a.size() / 2] : 0.5 * (a[a.size() / 2 - 1] + a[a.size() / 2]);
        const auto worst = std::max_element(values.begin(), values.end(),
                                            [](double x, double y) { return std::abs(x) < std::abs(y); });
        char buffer[160];
        std::snprintf(buffer, sizeof buffer, "median %5.1f %%, worst %+6.1f %% (n=%zu)", 100 * median, 100 * *worst,
                      values.size());
        return buffer;
    }
};

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    if (argc < 2) {
        std::fprintf(stderr, "usage: bench_fidelity DIR [--networks N] [--seed S] [--study STUDY.psc] [--prior]\n");
        return 2;
    }
    const fs::path dir = argv[1];
    int networks = 40;
    unsigned seed = 11;
    std::string study;
    bool prior = false;
    for (int i = 2; i < argc; ++i)
        if (std::string(argv[i]) == "--prior")
            prior = true;
    for (int i = 2; i + 1 < argc; i += 2) {
        const std::string option = argv[i];
        if (option == "--networks")
            networks = std::atoi(argv[i + 1]);
        else if (option == "--seed")
            seed = unsigned(std::atoi(argv[i + 1]));
        else if (option == "--study")
            study = argv[i + 1];
    }
    fs::create_directories(dir);
    std::vector<Sample> samples;
    std::mt19937 rng(seed);
    const auto exporter = makeExporter(ExportFormat::Tflite);
    for (int i = 0; i < networks; ++i) {
        TrainedModel m = testing::randomModel(randomNetwork(rng, i), rng);
        laplaceWeights(m, rng);
        testing::calibrate(m, rng);
        const IntegerModel integer = IntegerModel::quantize(m);
        const ExportOutput out = exporter->write(integer, {m.network.name, "bench_fidelity"});
        writeFile(dir / (m.network.name + ".tflite"), out.files.front().bytes);
        samples.push_back({m.network.name, m.network, withWeights(m.network, integer)});
    }
    if (!study.empty()) {
        const auto store = StudyStore::open(study, StudyStore::Mode::ReadOnly);
        for (const Trial &t : store->trials()) {
            if (t.state != TrialState::Complete)
                continue;
            TrialExport e;
            const std::string name = "trial" + std::to_string(t.number);
            try {
                e = prepareTrialExport(*store, study, t.number, ExportFormat::Tflite,
                                       (dir / (name + ".tflite")).string());
            } catch (const std::exception &) {
                continue;
            }
            writeFile(dir / (name + ".tflite"), e.files.front().bytes);
            const NetworkDescription net = parseNetworkJson(t.architectureJson, "trial architecture");
            const IntegerModel integer = IntegerModel::quantize(CompressionRunner::loadParent(*store, t.number));
            samples.push_back({name, net, withWeights(net, integer)});
        }
    }
    for (const Sample &s : samples)
        std::ofstream(dir / (s.name + ".topology.csv")) << scaleSimTopology(s.network);

    BundledTargets targets;
    TargetLibrary &library = targets.library;
    const std::vector<std::string> velaTargets{"ethos-u55-128", "ethos-u55-256", "ethos-u65-512"};
    const std::vector<std::string> systolicTargets{"sa-8x8-os",   "sa-16x16-os",   "sa-32x32-ws",
                                                   "sa-64x64-ws", "sa-128x128-ws", "sa-32x32-is"};
    {
        std::ofstream manifest(dir / "targets.txt");
        for (const std::string &id : velaTargets) {
            std::map<std::string, std::string> p;
            for (const TargetParameter &tp : library.resolve(id).parameters)
                p[tp.name] = tp.value.text;
            std::string mode = p["memory_mode"]; // shared_sram -> Shared_Sram
            for (std::size_t i = 0; i < mode.size(); ++i)
                if (i == 0 || mode[i - 1] == '_')
                    mode[i] = char(std::toupper(static_cast<unsigned char>(mode[i])));
            manifest << "vela " << id << ' ' << p["accelerator"] << ' ' << p["system_config"] << ' ' << mode << '\n';
        }
        for (const std::string &id : systolicTargets) {
            std::map<std::string, double> p;
            std::string dataflow;
            for (const TargetParameter &tp : library.resolve(id).parameters) {
                p[tp.name] = tp.value.number.value_or(0.0);
                if (tp.name == "dataflow")
                    dataflow = tp.value.text;
            }
            manifest << "scalesim " << id << ' ' << int(p["array_rows"]) << ' ' << int(p["array_cols"]) << ' '
                     << dataflow << '\n';
        }
    }
    std::printf("%zu networks written to %s\n\n", samples.size(), dir.string().c_str());

    for (const std::string &id : velaTargets) {
        const auto target = library.target(library.resolve(id).id);
        Errors network, layer, sram, weights;
        int compared = 0;
        for (const Sample &s : samples) {
            const VelaResult v = readVela(dir / "vela" / id, s.name);
            if (!v.ok)
                continue;
            ++compared;
            // --prior: as a search sees a candidate before training, without the trained weights' histograms.
            const plugin::CostEstimate e = target->estimate(toNetworkInfo(s.network, analyzeNetwork(s.network)),
                                                            prior ? defaultDeployment(s.network) : s.deployment);
            network.add(e.cycles, v.cycles);
            sram.add(e.extra.value("sram_bytes").value_or(NAN), v.sramBytes);
            weights.add(double(e.weightStorageBytes), v.weightBytes);
            std::map<std::string, double> ours;
            for (const plugin::LayerCost &l : e.layers) {
                ours[l.layer] += l.cycles;
                if (const char *net = std::getenv("PSC_DEBUG_NET"); net && s.name == net)
                    std::printf("  %-14s %-10s %-16s %9.0f cycles %7lld weight bytes  %s\n", id.c_str(), net,
                                l.layer.c_str(), l.cycles, static_cast<long long>(l.weightStorageBytes),
                                l.note.substr(0, 160).c_str());
            }
            for (const auto &[name, cycles] : v.layerCycles)
                if (ours.count(name)) {
                    layer.add(ours[name], cycles);
                    if (std::getenv("PSC_DEBUG") && std::abs(ours[name] - cycles) > 0.2 * cycles)
                        std::printf("  %-14s %-10s layer %s: %.0f vs %.0f\n", id.c_str(), s.name.c_str(), name.c_str(),
                                    ours[name], cycles);
                }
            if (std::getenv("PSC_DEBUG"))
                std::printf("  %-14s %-10s cycles %9.0f vs %9.0f  sram %7.0f vs %7.0f  weights %7.0f vs %7.0f\n",
                            id.c_str(), s.name.c_str(), e.cycles, v.cycles, e.extra.value("sram_bytes").value_or(NAN),
                            v.sramBytes, double(e.weightStorageBytes), v.weightBytes);
        }
        std::printf("%s vs Vela 3.10 (%d networks)\n  network cycles: %s\n  layer cycles:   %s\n  SRAM used:      "
                    "%s\n  weight bytes:   %s\n\n",
                    id.c_str(), compared, network.summary().c_str(), layer.summary().c_str(), sram.summary().c_str(),
                    weights.summary().c_str());
    }
    for (const std::string &id : systolicTargets) {
        const auto target = library.target(library.resolve(id).id);
        Errors layer;
        int compared = 0;
        for (const Sample &s : samples) {
            std::vector<std::string> names;
            const ModelAnalysis a = analyzeNetwork(s.network);
            for (std::size_t i = 0; i < s.network.layers.size(); ++i) {
                const LayerSpec &l = s.network.layers[i];
                if (l.type == LayerType::Conv2d || l.type == LayerType::Dense)
                    names.push_back(l.name);
                else if (l.type == LayerType::DepthwiseConv2d)
                    names.push_back(l.name + ":" + std::to_string(a.layers[i].outputShape.channels));
            }
            const auto reference = readScaleSim(dir / "scalesim" / id / s.name / "COMPUTE_REPORT.csv", names);
            if (reference.empty())
                continue;
            ++compared;
            const plugin::CostEstimate e = target->estimate(toNetworkInfo(s.network, a), s.deployment);
            for (const plugin::LayerCost &l : e.layers)
                if (auto it = reference.find(l.layer); it != reference.end())
                    layer.add(l.computeCycles, it->second);
        }
        std::printf("%s vs SCALE-Sim v2 (%d networks)\n  layer compute cycles: %s\n\n", id.c_str(), compared,
                    layer.summary().c_str());
    }
    return 0;
}
