// SPDX-License-Identifier: GPL-3.0-or-later
// `report`: a self-contained HTML or PDF report of a study, the same as the GUI's File ▸ Export Report.
#include "cli.h"
#include "cliutil.h"

#include "plot/paretoplotwidget.h"
#include "views/reportdocument.h"

#include "psc/core/error.h"
#include "psc/study/studystore.h"
#include "psc/targets/targetlibrary.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>

namespace psc::cli {

ReportInput readReportInput(const StudyStore &store, const std::string &file, const TargetLibrary *targets)
{
    ReportInput in;
    in.spec = StudySpec::fromJson(store.specJson(), file + " (stored spec)");
    in.trials = store.trials();
    in.studyFile = QString::fromStdString(file);
    for (const char *key : {"created_at", "created_with", "elapsed_seconds", "cost_models", "gui_shortlist"})
        if (const auto value = store.meta(key))
            in.meta[key] = *value;
    in.targets = targets;
    in.toolVersion = QCoreApplication::applicationVersion();
    return in;
}

int reportCommand(const QStringList &args)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Writes a report of a study for people who will not open Paretoscope: the summary (task, search space, "
        "strategy, budget, trials, time), the Pareto front on the chosen axes and in parallel coordinates, the "
        "shortlist kept in the study (else the front) as cards with accuracy, size and per-target cost and fit, the "
        "compression paths and the provenance (tool and cost-model versions, target files with the source of every "
        "parameter, seeds). HTML is one self-contained file (images embedded, nothing fetched); PDF is laid out on A4. "
        "The format follows the extension of --out. Written atomically. Read-only on the study."));
    parser.addPositionalArgument(QStringLiteral("FILE.psc"), QStringLiteral("Study file."));
    parser.addOption({QStringLiteral("out"), QStringLiteral("The report to write: report.html or report.pdf."),
                      QStringLiteral("FILE")});
    parser.addOption({QStringLiteral("x"), QStringLiteral("Metric on the front's x axis (default as in the GUI)."),
                      QStringLiteral("METRIC")});
    parser.addOption({QStringLiteral("y"), QStringLiteral("Metric on the front's y axis."), QStringLiteral("METRIC")});
    parser.addOption({QStringLiteral("force"), QStringLiteral("Replace --out if it exists.")});
    if (!parseArgs(parser, QStringLiteral("report"), args, 1))
        return Success;
    if (!parser.isSet(QStringLiteral("out")))
        throw UsageError{QStringLiteral("--out FILE is required (report.html or report.pdf)")};
    const QString out = parser.value(QStringLiteral("out"));
    const QString suffix = QFileInfo(out).suffix().toLower();
    if (!ReportDocument::formats().contains(suffix))
        throw UsageError{QStringLiteral("--out: \"%1\" is neither .html nor .pdf").arg(out)};

    const std::string file = parser.positionalArguments().front().toStdString();
    auto store = StudyStore::open(file, StudyStore::Mode::ReadOnly);
    BundledTargets targets;
    ReportInput in = readReportInput(*store, file, &targets.library);
    ParetoPlotWidget probe; // the metrics the front may be drawn on, as `plot` offers them
    probe.setStudy(in.spec, {});
    const auto [defaultX, defaultY] = ParetoPlotWidget::defaultAxes(in.spec);
    in.x = metricOption(parser, QStringLiteral("x"), probe.availableMetrics(), defaultX);
    in.y = metricOption(parser, QStringLiteral("y"), probe.availableMetrics(), defaultY);
    const ReportDocument report(std::move(in));
    report.write(out, parser.isSet(QStringLiteral("force")));
    printOut(QDir::toNativeSeparators(out).toStdString() + "\n");
    return Success;
}

} // namespace psc::cli
