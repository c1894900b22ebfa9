// SPDX-License-Identifier: GPL-3.0-or-later
#include "cli.h"

#include "cliutil.h"

#include "psc/core/error.h"

#include <map>
#include <functional>

namespace psc::cli {
namespace {

struct Command
{
    int (*run)(const QStringList &);
    const char *summary;
};

const std::map<QString, Command> &commands()
{
    static const std::map<QString, Command> table{
        {QStringLiteral("analyze"), {analyzeCommand, "Per-layer MACs, parameters and memory of a network file"}},
        {QStringLiteral("run"), {runStudyCommand, "Run a study spec into a new study file"}},
        {QStringLiteral("resume"), {resumeCommand, "Continue a study file to its budget"}},
        {QStringLiteral("show"), {showCommand, "Trials, metrics and Pareto front of a study file"}},
        {QStringLiteral("plot"), {plotCommand, "Save the Pareto plot of a study as PNG, SVG and PDF"}},
        {QStringLiteral("targets"), {targetsCommand, "List hardware targets with their parameters and sources"}},
        {QStringLiteral("cost"), {costCommand, "Per-layer latency, energy and memory of a network on a target"}},
        {QStringLiteral("calibrate"), {calibrateCommand, "Fit an MCU target's latency model to measured latencies"}},
        {QStringLiteral("compress"), {compressCommand, "Derive compressed, fine-tuned trials from a trained trial"}},
    };
    return table;
}

std::string usage()
{
    std::string text = "Usage: paretoscope [FILE.psc]            open the GUI (optionally with a study)\n"
                       "       paretoscope COMMAND [options] ARGS  run a command headless\n\nCommands:\n";
    for (const auto &[name, cmd] : commands()) {
        std::string n = name.toStdString();
        text += "  " + n + std::string(11 - n.size(), ' ') + cmd.summary + "\n";
    }
    text += "\n'paretoscope COMMAND --help' describes a command. Exit codes: 0 success, 1 runtime failure, "
            "2 bad input or usage.\n";
    return text;
}

} // namespace

bool isCommand(const QStringList &args)
{
    if (args.isEmpty())
        return false;
    const QString &first = args.front();
    return commands().count(first) || first == QLatin1String("--help") || first == QLatin1String("-h") ||
           first == QLatin1String("--version") || first == QLatin1String("help");
}

int runCommand(const QStringList &args)
{
    const QString name = args.front();
    if (name == QLatin1String("--help") || name == QLatin1String("-h") || name == QLatin1String("help")) {
        printOut(usage());
        return Success;
    }
    if (name == QLatin1String("--version")) {
        printOut(std::string("paretoscope ") + PSC_VERSION + "\n");
        return Success;
    }
    const auto it = commands().find(name);
    try {
        return it->second.run(args.mid(1));
    } catch (const UsageError &e) {
        printErr("paretoscope " + name.toStdString() + ": " + e.message.toStdString() + "\n(see 'paretoscope " +
                 name.toStdString() + " --help')\n");
        return BadInput;
    } catch (const InputError &e) {
        printErr(std::string("error: ") + e.what() + "\n");
        return BadInput;
    } catch (const std::exception &e) {
        printErr(std::string("error: ") + e.what() + "\n");
        return RuntimeFailure;
    }
}

} // namespace psc::cli
