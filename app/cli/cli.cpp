// SPDX-License-Identifier: GPL-3.0-or-later
#include "cli.h"

#include "cliutil.h"

#include "psc/core/error.h"
#include "psc/core/inputfile.h"
#include "psc/core/suggestion.h"
#include "psc/study/studylocation.h"

#include <filesystem>
#include <functional>
#include <map>

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
        {QStringLiteral("report"), {reportCommand, "Write a self-contained HTML or PDF report of a study"}},
        {QStringLiteral("targets"), {targetsCommand, "List hardware targets with their parameters and sources"}},
        {QStringLiteral("cost"), {costCommand, "Per-layer latency, energy and memory of a network on a target"}},
        {QStringLiteral("calibrate"), {calibrateCommand, "Fit an MCU target's latency model to measured latencies"}},
        {QStringLiteral("compress"), {compressCommand, "Derive compressed, fine-tuned trials from a trained trial"}},
        {QStringLiteral("export"),
         {exportCommand, "Write a trained trial as a deployment file (C for Cortex-M, TFLite, ONNX)"}},
        {QStringLiteral("import"),
         {importCommand, "Read a TFLite or ONNX model into a network description (and weights)"}},
        {QStringLiteral("evaluate"),
         {evaluateCommand, "Accuracy of trials on a simulated analog target over time after programming"}},
        {QStringLiteral("worker"), {workerCommand, "Train the trials of a server study, alongside other workers"}},
        {QStringLiteral("copy"), {copyCommand, "Copy a whole study between a file and a PostgreSQL server"}},
        {QStringLiteral("tabulate"),
         {tabulateCommand, "Write a study that trained a whole space as a tabular benchmark"}},
    };
    return table;
}

} // namespace

std::string usageText()
{
    std::string text = "Usage: paretoscope [FILE.psc]            open the GUI (optionally with a study)\n"
                       "       paretoscope COMMAND [options] ARGS  run a command headless\n"
                       "       paretoscope --version               versions of the program and what it runs with\n"
                       "\nCommands:\n";
    for (const auto &[name, cmd] : commands()) {
        std::string n = name.toStdString();
        text += "  " + n + std::string(11 - n.size(), ' ') + cmd.summary + "\n";
    }
    text += "\n'paretoscope COMMAND --help' describes a command. Exit codes: 0 success, 1 runtime failure, "
            "2 bad input or usage.\n";
    return text;
}

std::vector<std::pair<std::string, std::string>> commandSummaries()
{
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto &[name, cmd] : commands())
        out.emplace_back(name.toStdString(), cmd.summary);
    return out;
}

namespace {

/** Options QApplication itself understands (it removes them from the arguments): these take a value. */
bool isQtOptionWithValue(const QString &name)
{
    static const QStringList names{
        QStringLiteral("platform"),        QStringLiteral("platformpluginpath"),
        QStringLiteral("platformtheme"),   QStringLiteral("plugin"),
        QStringLiteral("qwindowgeometry"), QStringLiteral("qwindowicon"),
        QStringLiteral("qwindowtitle"),    QStringLiteral("session"),
        QStringLiteral("style"),           QStringLiteral("stylesheet"),
        QStringLiteral("display"),         QStringLiteral("geometry"),
        QStringLiteral("title"),           QStringLiteral("name"),
    };
    return names.contains(name);
}

bool isQtFlag(const QString &name)
{
    static const QStringList names{QStringLiteral("reverse"), QStringLiteral("widgetcount"), QStringLiteral("nograb"),
                                   QStringLiteral("dograb"), QStringLiteral("sync")};
    return names.contains(name);
}

std::string commandList()
{
    std::string out;
    for (const auto &[name, cmd] : commands())
        out += (out.empty() ? "" : ", ") + name.toStdString();
    return out;
}

int guiArgumentError(const std::string &message)
{
    printErr("paretoscope: " + message + "\n(see 'paretoscope --help')\n");
    return BadInput;
}

} // namespace

int checkGuiArguments(const QStringList &args)
{
    // A first argument that is a bare word and no file is a command that does not exist ("anlyze", "worker"),
    // whatever follows it.
    std::error_code ec;
    if (!args.isEmpty() && !args.front().startsWith(QLatin1Char('-')) && !args.front().contains(QLatin1Char('/')) &&
        !args.front().contains(QLatin1Char('.')) && !std::filesystem::exists(args.front().toStdString(), ec)) {
        const std::string word = args.front().toStdString();
        std::vector<std::string> names;
        for (const auto &[name, cmd] : commands())
            names.push_back(name.toStdString());
        printErr("paretoscope: unknown command " + quotedInput(word) + didYouMean(word, names) +
                 "\nCommands: " + commandList() +
                 "\n'paretoscope --help' describes them; to open a study in the GUI, give the path of an existing "
                 "study file.\n");
        return BadInput;
    }
    QString study;
    for (qsizetype i = 0; i < args.size(); ++i) {
        const QString &arg = args[i];
        if (arg == QLatin1String("--trial")) {
            bool ok = false;
            if (i + 1 < args.size())
                args[i + 1].toLongLong(&ok);
            if (!ok || args[i + 1].toLongLong() < 0)
                return guiArgumentError(
                    "--trial expects a trial number (an integer >= 0)" +
                    (i + 1 < args.size() ? ", got " + quotedInput(args[i + 1].toStdString()) : std::string()));
            ++i;
            continue;
        }
        if (arg.startsWith(QLatin1Char('-')) && arg.size() > 1) {
            QString name = arg.mid(arg.startsWith(QLatin1String("--")) ? 2 : 1);
            const bool inlineValue = name.contains(QLatin1Char('='));
            name = name.section(QLatin1Char('='), 0, 0);
            if (isQtFlag(name) && !inlineValue)
                continue;
            if (isQtOptionWithValue(name)) {
                if (!inlineValue && ++i >= args.size())
                    return guiArgumentError("option " + quotedInput(arg.toStdString()) + " expects a value");
                continue;
            }
            return guiArgumentError("unknown option " + quotedInput(arg.toStdString()) +
                                    "; the GUI takes [FILE.psc [--trial N]], commands take their options after "
                                    "the command name");
        }
        if (!study.isEmpty())
            return guiArgumentError("unexpected argument " + quotedInput(arg.toStdString()) +
                                    "; the GUI opens one study file");
        study = arg;
    }
    if (study.isEmpty())
        return Success;

    const std::string path = study.toStdString();
    if (StudyLocation::isUrl(path)) { // a server study: the URL is checked now, the server when the window opens it
        try {
            StudyLocation::parse(path);
        } catch (const InputError &e) {
            return guiArgumentError(e.what());
        }
        return Success;
    }
    const auto status = std::filesystem::status(std::filesystem::path(path), ec);
    if (std::filesystem::exists(status)) {
        if (std::filesystem::is_directory(status))
            return guiArgumentError(path + ": is a directory, not a study file");
        if (!std::filesystem::is_regular_file(status))
            return guiArgumentError(path + ": is not a regular file, so not a study file");
        return Success;
    }
    return guiArgumentError(path + ": no such study file");
}

bool isCommand(const QStringList &args)
{
    if (args.isEmpty())
        return false;
    const QString &first = args.front();
    return commands().count(first) || first == QLatin1String("--help") || first == QLatin1String("-h") ||
           first == QLatin1String("--version") || first == QLatin1String("--man") || first == QLatin1String("help");
}

int runCommand(const QStringList &args)
{
    const QString name = args.front();
    if (name == QLatin1String("--help") || name == QLatin1String("-h") || name == QLatin1String("help")) {
        printOut(usageText());
        return Success;
    }
    if (name == QLatin1String("--version")) {
        printOut(versionText());
        return Success;
    }
    if (name == QLatin1String("--man")) {
        printOut(manPage());
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
