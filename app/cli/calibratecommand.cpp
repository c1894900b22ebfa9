// SPDX-License-Identifier: GPL-3.0-or-later
// `calibrate`: fit an MCU target's latency slopes to measured latencies and write a new target file.
#include "cli.h"
#include "cliutil.h"

#include "psc/core/error.h"
#include "psc/core/inputfile.h"
#include "psc/net/analysis.h"
#include "psc/net/networkparser.h"
#include "psc/plugins/pluginregistry.h"
#include "psc/targets/costinput.h"
#include "psc/targets/targetlibrary.h"

#include <psc/plugin/calibration.h>

#include <QFile>

#include <cstdio>
#include <fstream>
#include <sstream>

namespace psc::cli {
namespace {

/** One CSV row: a network file (relative to the CSV) and its measured latency in seconds. */
struct Measurement
{
    std::filesystem::path network;
    double latencyS = 0.0;
};

std::vector<Measurement> readMeasurements(const std::filesystem::path &csv)
{
    // Through the engine's reader: a FIFO or device is refused without blocking, the size is capped.
    std::istringstream in(readInputFile(csv));
    std::vector<Measurement> rows;
    std::string line;
    int lineNo = 0;
    while (std::getline(in, line)) {
        ++lineNo;
        if (!line.empty() && line.back() == '\r')
            line.pop_back();
        if (line.find_first_not_of(" \t") == std::string::npos || line[line.find_first_not_of(" \t")] == '#')
            continue;
        const auto comma = line.find(',');
        const std::string where = csv.string() + ":" + std::to_string(lineNo) + ": ";
        if (comma == std::string::npos)
            throw InputError(where + "expected \"network_file,latency_s\", got \"" + line + "\"");
        std::string file = line.substr(0, comma), value = line.substr(comma + 1);
        auto trim = [](std::string &s) {
            s.erase(0, s.find_first_not_of(" \t"));
            s.erase(s.find_last_not_of(" \t") + 1);
        };
        trim(file);
        trim(value);
        if (lineNo == 1 && (file == "network" || file == "network_file"))
            continue; // header
        char *end = nullptr;
        const double latency = std::strtod(value.c_str(), &end);
        if (value.empty() || *end != '\0' || !(latency > 0))
            throw InputError(where + "expected a positive latency in seconds, got \"" + value + "\"");
        std::filesystem::path p(file);
        if (p.is_relative())
            p = csv.parent_path() / p;
        rows.push_back({p, latency});
    }
    if (rows.empty())
        throw InputError(csv.string() + ": no measurements (expected lines \"network_file,latency_s\")");
    return rows;
}

} // namespace

int calibrateCommand(const QStringList &args)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Fits an MCU target's per-operator latency slopes and per-layer overhead to measured latencies "
        "(non-negative least squares) and writes a new target file whose fitted numbers cite the measurements. "
        "MEASUREMENTS.csv has lines \"network_file,latency_s\" (paths relative to the CSV)."));
    parser.addPositionalArgument(QStringLiteral("MEASUREMENTS.csv"), QStringLiteral("Measured latencies."));
    parser.addOption({QStringLiteral("target"), QStringLiteral("MCU target to start from (id or file)."),
                      QStringLiteral("ID_OR_FILE")});
    parser.addOption(
        {QStringLiteral("out"), QStringLiteral("Target file to write (must not exist)."), QStringLiteral("FILE")});
    parser.addOption({QStringLiteral("id"), QStringLiteral("Id of the new target (default: <target>-calibrated)."),
                      QStringLiteral("ID")});
    if (!parseArgs(parser, QStringLiteral("calibrate"), args, 1))
        return Success;
    for (const char *required : {"target", "out"})
        if (!parser.isSet(QString::fromLatin1(required)))
            throw UsageError{QStringLiteral("--%1 is required").arg(QString::fromLatin1(required))};
    const std::filesystem::path out = parser.value(QStringLiteral("out")).toStdString();
    if (std::filesystem::exists(out))
        throw InputError(out.string() + ": already exists; choose another --out");

    BundledTargets targets;
    TargetLibrary &library = targets.library;
    const PluginRegistry &registry = targets.registry;
    const TargetDefinition &base = library.resolve(parser.value(QStringLiteral("target")).toStdString());
    const plugin::LatencyCalibration *calibration = plugin::latencyCalibration(registry.targetModel(base.model));
    if (!calibration)
        throw InputError(base.file.string() + ": target \"" + base.id + "\" uses the \"" + base.model +
                         "\" model, which cannot be calibrated (calibration fits MCU latency models only)");
    plugin::Parameters parameters;
    for (const TargetParameter &p : base.parameters)
        parameters[p.name] = p.value;

    const std::filesystem::path csv = parser.positionalArguments().front().toStdString();
    std::vector<plugin::LatencySample> samples;
    for (const Measurement &m : readMeasurements(csv)) {
        const NetworkDescription net = parseNetwork(m.network);
        samples.push_back({toNetworkInfo(net, analyzeNetwork(net)), defaultDeployment(net), m.latencyS});
    }

    QFile baseFile(QString::fromStdString(base.file.string()));
    if (!baseFile.open(QIODevice::ReadOnly))
        throw RuntimeError(base.file.string() + ": cannot read");
    const std::string newId =
        parser.isSet(QStringLiteral("id")) ? parser.value(QStringLiteral("id")).toStdString() : base.id + "-calibrated";
    plugin::LatencyFit fit;
    try {
        fit = calibration->calibrateLatency(baseFile.readAll().toStdString(), parameters, samples,
                                            csv.filename().string(), newId);
    } catch (const std::invalid_argument &e) {
        throw InputError(csv.string() + ": " + e.what());
    } catch (const std::runtime_error &e) {
        throw RuntimeError("calibration of " + base.id + " failed: " + e.what());
    }
    const std::string &json = fit.targetJson;
    // Written under a temporary name and renamed, so an interrupted write leaves no half target file.
    const std::filesystem::path partial = out.string() + ".partial";
    {
        std::ofstream f(partial);
        f << json;
        f.close();
        if (!f)
            throw RuntimeError(partial.string() + ": cannot write");
    }
    std::filesystem::rename(partial, out);

    char summary[256];
    std::snprintf(summary, sizeof summary, "fitted %d measurements: R^2 = %.5f, max relative error %.2f%%\n",
                  fit.samples, fit.rSquared, fit.maxRelativeError * 100.0);
    printOut(summary);
    printOut("wrote " + out.string() + " (target id \"" + newId + "\")\n");
    return Success;
}

} // namespace psc::cli
