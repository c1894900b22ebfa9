// SPDX-License-Identifier: GPL-3.0-or-later
// `targets` and `cost`: the hardware-target library from the command line.
#include "cli.h"
#include "cliutil.h"

#include "psc/core/siformat.h"
#include "psc/net/analysis.h"
#include "psc/net/networkparser.h"
#include "psc/plugins/pluginregistry.h"
#include "psc/targets/costinput.h"
#include "psc/targets/targetlibrary.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>

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
        "Lists the hardware targets (resources/targets/*.json, or $PSC_TARGETS_DIR) with their cost model, "
        "parameters and the source of every number."));
    const QCommandLineOption json(QStringLiteral("json"), QStringLiteral("Print JSON."));
    parser.addOption(json);
    if (!parseArgs(parser, QStringLiteral("targets"), args, 0))
        return Success;
    BundledTargets t;
    if (parser.isSet(json)) {
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
                           {"description", d->description},
                           {"file", d->file.string()},
                           {"parameters", params}});
        }
        printOut(out.dump(2) + "\n");
        return Success;
    }
    std::string text;
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
    const auto deployment = parser.isSet(QStringLiteral("deploy"))
                                ? readDeployment(parser.value(QStringLiteral("deploy")).toStdString(), net)
                                : defaultDeployment(net);
    const plugin::CostEstimate e = t.library.target(def.id)->estimate(toNetworkInfo(net, analysis), deployment);

    if (parser.isSet(json)) {
        nlohmann::json layers = nlohmann::json::array();
        for (const plugin::LayerCost &l : e.layers)
            layers.push_back({{"layer", l.layer},
                              {"cycles", numberOrNull(l.cycles)},
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
    text += pad("layer", 16, false) + pad("cycles", 12) + pad("latency", 12) + pad("energy", 12) + pad("memory", 11) +
            pad("weights", 11) + pad("util", 9) + "  bound\n";
    for (const plugin::LayerCost &l : e.layers) {
        text += pad(l.layer, 16, false) + pad(std::isfinite(l.cycles) ? fmt("%.0f", l.cycles) : "-", 12) +
                pad(seconds(l.latencyS), 12) + pad(joules(l.energyJ), 12) +
                pad(bytes(double(l.workingMemoryBytes)), 11) +
                pad(l.weightStorageBytes ? bytes(double(l.weightStorageBytes)) : "-", 11) +
                pad(formatQuantity(l.utilization, "%"), 9) + "  " + std::string(toString(l.bound)) +
                (l.fallback ? " (fallback to host)" : "") + "\n";
    }
    text += "\nLatency:        " + seconds(e.latencyS) +
            (std::isfinite(e.cycles) ? fmt(" (%.0f cycles)", e.cycles) : "") +
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
