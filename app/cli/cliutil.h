// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "psc/study/metrics.h"

#include <QCommandLineParser>
#include <QJsonArray>
#include <QString>

#include <csignal>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

namespace psc {
class JobContext;
class StudyStore;
struct StudySpec;
struct ExportComparison;
} // namespace psc

namespace psc::cli {

/**
 * The metric named by option `option` ("--x weight_bytes"), which must be one of `known` (InputError listing them
 * otherwise), or `fallback` if the option is not given.
 */
MetricRef metricOption(const QCommandLineParser &parser, const QString &option, const std::vector<MetricRef> &known,
                       const MetricRef &fallback);

/** Thrown for a usage error; the dispatcher prints the message and the command's usage line, exit 2. */
struct UsageError
{
    QString message;
};

/**
 * Parses `args` for one subcommand. Returns false if --help was given (help has been printed);
 * throws UsageError for unknown options or a wrong number of positional arguments.
 */
bool parseArgs(QCommandLineParser &parser, const QString &command, const QStringList &args, int positional);

void printOut(const std::string &text);

/**
 * While one exists, printOut() on this thread appends to `into` instead of writing to stdout: how the man page
 * collects each command's --help text without a second copy of it.
 */
class OutputCapture
{
public:
    explicit OutputCapture(std::string &into);
    ~OutputCapture();
    OutputCapture(const OutputCapture &) = delete;
    OutputCapture &operator=(const OutputCapture &) = delete;

private:
    std::string *m_previous;
};

/** Adds the study positional FILE and `--trial N|best` ("Number of the trial to <verb> ..."). */
void addStudyTrialArguments(QCommandLineParser &parser, const QString &verb);
/** What parseTrialOption() returns for `--trial best`. */
inline constexpr std::int64_t kBestTrial = -1;
/** The value of `--trial`: a trial number (>= 0) or "best" (kBestTrial); throws UsageError otherwise. */
std::int64_t parseTrialOption(const QString &value);
/**
 * `--trial best`: the complete search trial (not itself derived) with the best value of the study's first
 * objective, ties to the lower number. Throws InputError naming `file` if no such trial has that metric.
 */
std::int64_t bestTrialNumber(const StudyStore &store, const StudySpec &spec, const std::string &file);

/**
 * `text` padded with spaces to `width` columns, on the left (right-aligned) or on the right. Columns are
 * counted in UTF-8 code points, so "12.3 µs" lines up with "12.3 ms"; text at least that wide is returned as is.
 */
std::string pad(const std::string &text, std::size_t width, bool right = true);
void printErr(const std::string &text);

/** Measured beside estimated (compareExport()) as an aligned table with relative errors; "" when empty. */
std::string formatComparison(const std::vector<ExportComparison> &rows);
/** The same as JSON: [{"quantity", "estimate_metric", "estimated", "measured", "measured_as", "unit",
 *  "relative_error"}]. */
QJsonArray comparisonToJson(const std::vector<ExportComparison> &rows);

/** A one-line progress display on stderr: a redrawn bar on a terminal, plain lines otherwise. */
class ProgressPrinter
{
public:
    ProgressPrinter();
    void update(double fraction, const std::string &text);
    void finish();

private:
    bool m_tty = false;
    int m_lastPercent = -1;
    std::string m_lastText;
};

/**
 * Turns SIGINT/SIGTERM into a cooperative cancel: the signals are blocked in every thread and a watcher
 * thread waits for them, so no work happens inside a signal handler. On a signal it prints "interrupted:
 * finishing the current step; <howToContinue>" and cancels `ctx`.
 */
class SignalCanceller
{
public:
    SignalCanceller(JobContext &ctx, std::string howToContinue);
    ~SignalCanceller();
    SignalCanceller(const SignalCanceller &) = delete;
    SignalCanceller &operator=(const SignalCanceller &) = delete;

private:
    sigset_t m_set;
    std::thread m_watcher;
};

} // namespace psc::cli
