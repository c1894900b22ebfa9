// SPDX-License-Identifier: GPL-3.0-or-later
#include "cliutil.h"

#include "psc/core/error.h"
#include "psc/core/siformat.h"
#include "psc/export/trialexport.h"
#include "psc/jobs/jobcontext.h"
#include "psc/study/lineage.h"
#include "psc/study/metrics.h"
#include "psc/study/studyspec.h"
#include "psc/study/studystore.h"

#include <QJsonObject>

#include <pthread.h>
#include <unistd.h>

#include <algorithm>
#include <optional>

namespace psc::cli {

bool parseArgs(QCommandLineParser &parser, const QString &command, const QStringList &args, int positional)
{
    parser.setApplicationDescription(parser.applicationDescription());
    const QCommandLineOption help({QStringLiteral("h"), QStringLiteral("help")}, QStringLiteral("Show this help."));
    parser.addOption(help);
    if (!parser.parse(QStringList{QStringLiteral("paretoscope ") + command} + args))
        throw UsageError{parser.errorText()};
    if (parser.isSet(help)) {
        // QCommandLineParser names the program by its path ("Usage: /usr/bin/paretoscope [options] FILE"): name it
        // and the command as a user types them.
        QString text = parser.helpText();
        if (text.startsWith(QLatin1String("Usage: "))) {
            const qsizetype end = text.indexOf(QLatin1Char(' '), 7);
            text.replace(7, (end < 0 ? text.indexOf(QLatin1Char('\n')) : end) - 7,
                         QStringLiteral("paretoscope ") + command);
        }
        printOut(text.toStdString());
        return false;
    }
    if (parser.positionalArguments().size() != positional)
        throw UsageError{
            QStringLiteral("expected %1 argument(s), got %2").arg(positional).arg(parser.positionalArguments().size())};
    return true;
}

std::string pad(const std::string &text, std::size_t width, bool right)
{
    // Continuation bytes (10xxxxxx) do not start a character.
    const auto columns = std::size_t(
        std::count_if(text.begin(), text.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
    if (columns >= width)
        return text;
    const std::string fill(width - columns, ' ');
    return right ? fill + text : text + fill;
}

namespace {
thread_local std::string *t_capture = nullptr;
} // namespace

OutputCapture::OutputCapture(std::string &into) : m_previous(t_capture)
{
    t_capture = &into;
}

OutputCapture::~OutputCapture()
{
    t_capture = m_previous;
}

void printOut(const std::string &text)
{
    if (t_capture) {
        *t_capture += text;
        return;
    }
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fflush(stdout);
}

void printErr(const std::string &text)
{
    std::fwrite(text.data(), 1, text.size(), stderr);
    std::fflush(stderr);
}

ProgressPrinter::ProgressPrinter() : m_tty(isatty(STDERR_FILENO) != 0) {}

void ProgressPrinter::update(double fraction, const std::string &text)
{
    const int percent = int(std::clamp(fraction, 0.0, 1.0) * 100.0);
    if (m_tty) {
        constexpr int width = 30;
        const int filled = percent * width / 100;
        std::string bar = "\r[" + std::string(std::size_t(filled), '#') +
                          std::string(std::size_t(width - filled), '-') + "] " + std::to_string(percent) + "% " + text;
        if (bar.size() < 100)
            bar += std::string(100 - bar.size(), ' ');
        printErr(bar);
    } else if (text != m_lastText && (percent / 5 != m_lastPercent / 5 || text.find("trial") == 0)) {
        // Without a terminal, one line per change of trial or 5 % step keeps logs readable.
        printErr(std::to_string(percent) + "% " + text + "\n");
    }
    m_lastPercent = percent;
    m_lastText = text;
}

void ProgressPrinter::finish()
{
    if (m_tty)
        printErr("\n");
}

SignalCanceller::SignalCanceller(JobContext &ctx, std::string howToContinue)
{
    sigemptyset(&m_set);
    sigaddset(&m_set, SIGINT);
    sigaddset(&m_set, SIGTERM);
    sigaddset(&m_set, SIGHUP);  // a closed terminal stops as cleanly as Ctrl-C
    sigaddset(&m_set, SIGUSR1); // used only to wake the watcher on exit
    pthread_sigmask(SIG_BLOCK, &m_set, nullptr);
    m_watcher = std::thread([this, &ctx, how = std::move(howToContinue)] {
        int sig = 0;
        sigwait(&m_set, &sig);
        if (sig != SIGUSR1) {
            printErr("\ninterrupted: finishing the current step; " + how + "\n");
            ctx.cancel();
        }
    });
}

SignalCanceller::~SignalCanceller()
{
    pthread_kill(m_watcher.native_handle(), SIGUSR1);
    m_watcher.join();
}

void addStudyTrialArguments(QCommandLineParser &parser, const QString &verb)
{
    parser.addPositionalArgument(QStringLiteral("FILE"), QStringLiteral("Study file (.psc)."));
    parser.addOption({QStringLiteral("trial"),
                      QStringLiteral("Number of the trial to %1 (as 'show' lists it), or 'best': the search trial "
                                     "with the best value of the study's first objective.")
                          .arg(verb),
                      QStringLiteral("N")});
}

std::int64_t parseTrialOption(const QString &value)
{
    if (value == QLatin1String("best"))
        return kBestTrial;
    bool ok = false;
    const qlonglong number = value.toLongLong(&ok);
    if (!ok || number < 0)
        throw UsageError{
            QStringLiteral("--trial expects a trial number (an integer >= 0) or 'best', got \"%1\"").arg(value)};
    return number;
}

std::int64_t bestTrialNumber(const StudyStore &store, const StudySpec &spec, const std::string &file)
{
    if (spec.objectives.empty())
        throw InputError(file + ": the study has no objective to pick the best trial by; give --trial N");
    const Objective &objective = spec.objectives.front();
    std::optional<std::int64_t> best;
    double bestValue = 0.0;
    for (const Trial &t : store.trials(TrialState::Complete)) {
        const std::optional<double> v = t.parentId || isImported(t) ? std::nullopt : metricValue(t, objective.metric);
        if (!v)
            continue;
        const bool better = objective.direction == Direction::Maximize ? *v > bestValue : *v < bestValue;
        if (!best || better) {
            best = t.number;
            bestValue = *v;
        }
    }
    if (!best)
        throw InputError(file + ": no complete search trial has a value of the first objective " +
                         objective.metric.toString() + "; give --trial N");
    return *best;
}

std::string formatComparison(const std::vector<ExportComparison> &rows)
{
    if (rows.empty())
        return {};
    auto value = [](double v, const std::string &unit) {
        return unit.empty() ? formatQuantity(v, "") : formatQuantity(v, unit);
    };
    std::string out = "measured beside estimated:\n  " + pad("quantity", 13, false) + pad("estimate", 30, false) +
                      pad("estimated", 12) + pad("measured", 12) + pad("error", 9) + "  measured as\n";
    for (const ExportComparison &r : rows) {
        char error[32];
        std::snprintf(error, sizeof error, "%+.2f %%", 100.0 * r.relativeError());
        out += "  " + pad(r.quantity, 13, false) + pad(r.estimateMetric, 30, false) +
               pad(value(r.estimated, r.unit), 12) + pad(value(r.measured, r.unit), 12) + pad(error, 9) + "  " +
               r.measuredAs + "\n";
    }
    return out;
}

QJsonArray comparisonToJson(const std::vector<ExportComparison> &rows)
{
    QJsonArray out;
    for (const ExportComparison &r : rows)
        out.append(QJsonObject{{QStringLiteral("quantity"), QString::fromStdString(r.quantity)},
                               {QStringLiteral("estimate_metric"), QString::fromStdString(r.estimateMetric)},
                               {QStringLiteral("estimated"), r.estimated},
                               {QStringLiteral("measured"), r.measured},
                               {QStringLiteral("measured_as"), QString::fromStdString(r.measuredAs)},
                               {QStringLiteral("unit"), QString::fromStdString(r.unit)},
                               {QStringLiteral("relative_error"), r.relativeError()}});
    return out;
}

MetricRef metricOption(const QCommandLineParser &parser, const QString &option, const std::vector<MetricRef> &known,
                       const MetricRef &fallback)
{
    if (!parser.isSet(option))
        return fallback;
    const std::string text = parser.value(option).toStdString();
    std::string error;
    const auto ref = parseMetricRef(text, &error);
    if (!ref || std::find(known.begin(), known.end(), *ref) == known.end()) {
        std::string names;
        for (const MetricRef &m : known)
            names += (names.empty() ? "" : ", ") + m.toString();
        throw InputError("--" + option.toStdString() + ": unknown metric \"" + text + "\"" +
                         (error.empty() ? "" : " (" + error + ")") + "; this study has: " + names);
    }
    return *ref;
}

} // namespace psc::cli
