// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QStringList>

#include <string>
#include <utility>
#include <vector>

namespace psc::cli {

/** Exit codes of every command: 0 success, 1 runtime failure, 2 bad input or usage. */
enum ExitCode
{
    Success = 0,
    RuntimeFailure = 1,
    BadInput = 2,
};

/** True if `args` (without the program name) name a headless subcommand or ask for help/version. */
bool isCommand(const QStringList &args);

/**
 * Checks the arguments of a GUI start (`paretoscope [FILE.psc [--trial N]]`, plus Qt's own options such as
 * `-style fusion`) before any window exists. Returns Success if the GUI may start; otherwise prints one
 * message to stderr and returns BadInput: an unknown command (with the list of commands and a "did you
 * mean"), an unknown option, or a study path that does not exist or is not a file.
 */
int checkGuiArguments(const QStringList &args);

/**
 * Runs a headless subcommand (analyze, run, resume, show, plot, compress, ...) and returns its exit code. Needs a
 * QCoreApplication (a QApplication for `plot`). Errors are printed to stderr as one line.
 */
int runCommand(const QStringList &args);

// The subcommands, each given its own arguments (after the command name).
int analyzeCommand(const QStringList &args);
int runStudyCommand(const QStringList &args);
int resumeCommand(const QStringList &args);
int showCommand(const QStringList &args);
int plotCommand(const QStringList &args);
int reportCommand(const QStringList &args);
int targetsCommand(const QStringList &args);
int costCommand(const QStringList &args);
int calibrateCommand(const QStringList &args);
int compressCommand(const QStringList &args);
int exportCommand(const QStringList &args);
int importCommand(const QStringList &args);
int tabulateCommand(const QStringList &args);
int copyCommand(const QStringList &args);
int workerCommand(const QStringList &args);
int evaluateCommand(const QStringList &args);

/** The program's usage text, as `paretoscope --help` prints it. */
std::string usageText();
/** Every subcommand's name and one-line summary, in the order `--help` lists them. */
std::vector<std::pair<std::string, std::string>> commandSummaries();
/**
 * `paretoscope --version`: the version and git revision, then the versions of Qt (built with and running),
 * LibTorch (the training module's), SQLite, and of each cost model and strategy plugin loaded (app/cli/version.cpp).
 */
std::string versionText();
/**
 * `paretoscope --man`: the man page (roff, man(7) macros) made from usageText() and every subcommand's --help,
 * so the installed page says what the program says (app/cli/manpage.cpp; packaging/ installs it).
 */
std::string manPage();

/** Starts the GUI (QApplication + main window), opening a study file if one is given. */
int runGui(int argc, char *argv[], const QStringList &args);

} // namespace psc::cli
