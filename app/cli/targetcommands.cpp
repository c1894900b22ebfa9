// SPDX-License-Identifier: GPL-3.0-or-later
// `targets` and `cost`: the hardware-target library from the command line.
#include "cli.h"
#include "cliutil.h"

#include "psc/core/error.h"
#include "psc/core/siformat.h"
#include "psc/net/analysis.h"
#include "psc/net/networkparser.h"
#include "psc/plugins/pluginregistry.h"
#include "psc/quant/integerinference.h"
#include "psc/quant/trainedmodel.h"
#include "psc/targets/costinput.h"
#include "psc/targets/targetlibrary.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <iterator>

namespace psc::cli {
namespace {

std::string fmt(const char *f, double v)
{
    char buf[64];
    std::snprintf(buf, sizeof buf, f, v);
    return buf;
}

std::string bytes(double b)
{
    return formatQuantity(b, "B");
}

std::string seconds(double s)
{
    return formatQuantity(s, "s");
}

std::string joules(double j)
{
    return formatQuantity(j, "J");
}

nlohmann::json numberOrNull(double v)
{
    return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json();
}

std::string parameterText(const TargetParameter &p)
{
    if (!p.value.number)
        return p.value.text;
    return fmt("%.6g", *p.value.number) + (p.unit.empty() ? "" : " " + p.unit);
}

} // namespace

int targetsCommand(const QStringList &args)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Lists the hardware targets (the bundled ones, or those in $PSC_TARGETS_DIR, then the user's own in "
        "$XDG_DATA_HOME/paretoscope/targets) with their cost model, parameters and the source of every number."));
    const QCommandLineOption json(QStringLiteral("json"), QStringLiteral("Print JSON."));
    parser.addOption(json);
    if (!parseArgs(parser, QStringLiteral("targets"), args, 0))
        return Success;
    BundledTargets t;
    auto modelInfo = [&t](const std::string &model) -> const PluginInfo * {
        for (const PluginInfo &p : t.registry.plugins())
            if (p.kind == QLatin1String("target") && p.id.toStdString() == model)
                return &p;
        return nullptr;
    };
    if (parser.isSet(json)) {
        auto reference = [&modelInfo](const std::string &model) {
            nlohmann::json r = nlohmann::json::object();
            if (const PluginInfo *p = modelInfo(model)) {
                nlohmann::json departures = nlohmann::json::array();
                for (const QString &d : p->departures)
                    departures.push_back(d.toStdString());
                r = {{"follows", p->follows.toStdString()},
                     {"checked", p->checked.toStdString()},
                     {"departures", departures}};
            }
            return r;
        };
        nlohmann::json out = nlohmann::json::array();
        for (const TargetDefinition *d : t.library.definitions()) {
            nlohmann::json params = nlohmann::json::object();
            for (const TargetParameter &p : d->parameters) {
                nlohmann::json v = p.value.number ? nlohmann::json(*p.value.number) : nlohmann::json(p.value.text);
                params[p.name] = {{"value", v}, {"unit", p.unit}, {"source", p.source}};
            }
            out.push_back({{"id", d->id},
                           {"name", d->name},
                           {"model", d->model},
                           {"model_version", d->modelVersion},
                           {"model_reference", reference(d->model)},
                           {"description", d->description},
                           {"file", d->file.string()},
                           {"parameters", params}});
        }
        printOut(out.dump(2) + "\n");
        return Success;
    }
    std::string text;
    // Each cost model once: what it follows, where it was checked, where it departs.
    std::vector<std::string> shown;
    for (const TargetDefinition *d : t.library.definitions()) {
        if (std::find(shown.begin(), shown.end(), d->model) != shown.end())
            continue;
        shown.push_back(d->model);
        const PluginInfo *p = modelInfo(d->model);
        text += "model " + d->model + " " + d->modelVersion + "\n";
        if (p && !p->follows.isEmpty())
            text += "  follows:  " + p->follows.toStdString() + "\n";
        if (p && !p->checked.isEmpty())
            text += "  checked:  " + p->checked.toStdString() + "\n";
        if (p)
            for (const QString &departure : p->departures)
                text += "  departs:  " + departure.toStdString() + "\n";
        text += "\n";
    }
    for (const TargetDefinition *d : t.library.definitions()) {
        text += d->id + "  (" + d->model + " " + d->modelVersion + ")  " + d->name + "\n";
        for (const TargetParameter &p : d->parameters)
            text += "    " + pad(p.name, 30, false) + " " + pad(parameterText(p), 16, false) + "  " + p.source + "\n";
        text += "\n";
    }
    text += std::to_string(t.library.definitions().size()) + " targets\n";
    printOut(text);
    return Success;
}

namespace {

/** Attaches the weight histograms of trained model `file` to `deployment`, checking they belong to `info`. */
void attachTrainedWeights(std::vector<plugin::LayerDeployment> &deployment, const plugin::NetworkInfo &info,
                          const std::string &file)
{
    std::ifstream in(file, std::ios::binary);
    if (!in)
        throw InputError(file + ": cannot be read");
    const std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const WeightValues values = weightValues(IntegerModel::quantize(deserializeTrainedModel(bytes, file)));
    for (const plugin::LayerInfo &l : info.layers)
        if (const auto it = values.find(l.name);
            it != values.end() && l.weights > 0 && it->second->total() != l.weights)
            throw InputError(file + ": layer \"" + l.name + "\" has " + std::to_string(it->second->total()) +
                             " weights, the network's has " + std::to_string(l.weights) +
                             " (expected the trained model of this network)");
    attachWeightValues(deployment, info, values);
}

} // namespace

int costCommand(const QStringList &args)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Estimates a network's cost on a hardware target: per layer cycles, latency, energy, working memory, "
        "weight storage, utilisation and what bounds the layer; totals and the target's limits."));
    parser.addPositionalArgument(QStringLiteral("NET.json"), QStringLiteral("Network description file."));
    parser.addOption({QStringLiteral("target"), QStringLiteral("Target id (see 'paretoscope targets') or target file."),
                      QStringLiteral("ID_OR_FILE")});
    parser.addOption({QStringLiteral("deploy"),
                      QStringLiteral("Deployment file: per-layer bits and sparsity (docs/formats/deployment.md)."),
                      QStringLiteral("DEPLOY.json")});
    parser.addOption({QStringLiteral("weights"),
                      QStringLiteral("Trained weights of the network (a .pscw trained model, as 'import --weights' "
                                     "writes): models that encode weights (Ethos-U) use their values instead of a "
                                     "prior."),
                      QStringLiteral("W.pscw")});
    const QCommandLineOption json(QStringLiteral("json"), QStringLiteral("Print JSON."));
    parser.addOption(json);
    if (!parseArgs(parser, QStringLiteral("cost"), args, 1))
        return Success;
    if (!parser.isSet(QStringLiteral("target")))
        throw UsageError{QStringLiteral("--target ID_OR_FILE is required")};

    const NetworkDescription net = parseNetwork(parser.positionalArguments().front().toStdString());
    const ModelAnalysis analysis = analyzeNetwork(net);
    BundledTargets t;
    const TargetDefinition &def = t.library.resolve(parser.value(QStringLiteral("target")).toStdString());
    auto deployment = parser.isSet(QStringLiteral("deploy"))
                          ? readDeployment(parser.value(QStringLiteral("deploy")).toStdString(), net)
                          : defaultDeployment(net);
    const plugin::NetworkInfo info = toNetworkInfo(net, analysis);
    if (parser.isSet(QStringLiteral("weights")))
        attachTrainedWeights(deployment, info, parser.value(QStringLiteral("weights")).toStdString());
    const plugin::CostEstimate e = t.library.target(def.id)->estimate(info, deployment);

    if (parser.isSet(json)) {
        nlohmann::json layers = nlohmann::json::array();
        for (const plugin::LayerCost &l : e.layers)
            layers.push_back({{"layer", l.layer},
                              {"cycles", numberOrNull(l.cycles)},
                              {"compute_cycles", numberOrNull(l.computeCycles)},
                              {"stall_cycles", numberOrNull(l.stallCycles)},
                              {"host_cycles", l.hostCycles},
                              {"latency_s", l.latencyS},
                              {"energy_j", l.energyJ},
                              {"memory_bytes", l.workingMemoryBytes},
                              {"weight_bytes", l.weightStorageBytes},
                              {"utilization", l.utilization},
                              {"bound", std::string(toString(l.bound))},
                              {"fallback", l.fallback},
                              {"note", l.note}});
        nlohmann::json limits = nlohmann::json::array();
        for (const plugin::LimitCheck &l : e.limits)
            limits.push_back({{"name", l.name},
                              {"value", l.value},
                              {"limit", l.limit},
                              {"unit", l.unit},
                              {"ok", l.ok},
                              {"message", l.message}});
        nlohmann::json extra = nlohmann::json::object();
        for (const auto &[k, v] : e.extra)
            extra[k] = numberOrNull(v);
        const nlohmann::json out{{"network", net.name},
                                 {"target", def.id},
                                 {"model", e.model},
                                 {"model_version", e.modelVersion},
                                 {"layers", layers},
                                 {"totals",
                                  {{"cycles", numberOrNull(e.cycles)},
                                   {"latency_s", e.latencyS},
                                   {"energy_j", e.energyJ},
                                   {"peak_memory_bytes", e.peakMemoryBytes},
                                   {"weight_storage_bytes", e.weightStorageBytes},
                                   {"utilization", e.utilization}}},
                                 {"limits", limits},
                                 {"feasible", e.feasible()},
                                 {"extra", extra}};
        printOut(out.dump(2) + "\n");
        return Success;
    }

    std::string text = "Network \"" + net.name + "\" on " + def.id + " (" + def.name + ")\nestimated by " + e.model +
                       " " + e.modelVersion + "\n\n";
    // Compute and memory-stall cycles apart where the model separates them (SCALE-Sim's and Vela's compute figures
    // are the compute column), host cycles where operators fall back to the host.
    bool split = false, host = false;
    for (const plugin::LayerCost &l : e.layers) {
        split = split || std::isfinite(l.computeCycles);
        host = host || l.hostCycles > 0;
    }
    auto count = [](double v) { return std::isfinite(v) ? fmt("%.0f", v) : std::string("-"); };
    text += pad("layer", 16, false) + pad("cycles", 12) + (split ? pad("compute", 12) + pad("stall", 12) : "") +
            (host ? pad("host", 12) : "") + pad("latency", 12) + pad("energy", 12) + pad("memory", 11) +
            pad("weights", 11) + pad("util", 9) + "  bound\n";
    for (const plugin::LayerCost &l : e.layers) {
        text += pad(l.layer, 16, false) + pad(count(l.cycles), 12) +
                (split ? pad(count(l.computeCycles), 12) + pad(count(l.stallCycles), 12) : "") +
                (host ? pad(l.hostCycles > 0 ? count(l.hostCycles) : "-", 12) : "") + pad(seconds(l.latencyS), 12) +
                pad(joules(l.energyJ), 12) + pad(bytes(double(l.workingMemoryBytes)), 11) +
                pad(l.weightStorageBytes ? bytes(double(l.weightStorageBytes)) : "-", 11) +
                pad(formatQuantity(l.utilization, "%"), 9) + "  " + std::string(toString(l.bound)) +
                (l.fallback ? " (fallback to host)" : "") + "\n";
    }
    const auto extra = [&e](const char *name) { return e.extra.value(name); };
    text += "\nLatency:        " + seconds(e.latencyS) +
            (std::isfinite(e.cycles) ? fmt(" (%.0f cycles", e.cycles) +
                                           (extra("compute_cycles") && extra("stall_cycles")
                                                ? fmt(": %.0f compute", *extra("compute_cycles")) +
                                                      fmt(" + %.0f memory stall", *extra("stall_cycles"))
                                                : std::string()) +
                                           (extra("host_cycles") && *extra("host_cycles") > 0
                                                ? fmt("; %.0f host cycles", *extra("host_cycles"))
                                                : std::string()) +
                                           ")"
                                     : "") +
            "\nEnergy:         " + joules(e.energyJ) + "\nPeak memory:    " + bytes(double(e.peakMemoryBytes)) +
            "\nWeight storage: " + bytes(double(e.weightStorageBytes)) +
            "\nUtilisation:    " + formatQuantity(e.utilization, "%") + "\n";
    for (const auto &[k, v] : e.extra)
        if (k == "tops_per_w")
            text += "TOPS/W:         " + fmt("%.2f", v) + "\n";
    for (const plugin::LimitCheck &l : e.limits)
        text += std::string(l.ok ? "fits:     " : "EXCEEDS:  ") + l.message + "\n";
    text += e.feasible() ? "feasible\n" : "infeasible\n";
    printOut(text);
    return Success;
}

} // namespace psc::cli
