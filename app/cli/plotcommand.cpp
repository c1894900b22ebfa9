// SPDX-License-Identifier: GPL-3.0-or-later
// `plot`: the Pareto plot of a study, written headless as PNG, SVG and PDF.
#include "cli.h"
#include "cliutil.h"

#include "plot/paretoplotwidget.h"

#include "psc/core/error.h"
#include "psc/study/metrics.h"
#include "psc/study/studystore.h"

#include <QDir>
#include <QFileInfo>

#include <algorithm>

namespace psc::cli {
namespace {

QSize sizeOption(const QCommandLineParser &parser)
{
    const QStringList parts = parser.value(QStringLiteral("size")).split(QLatin1Char('x'));
    bool okW = false, okH = false;
    const int w = parts.size() == 2 ? parts[0].toInt(&okW) : 0;
    const int h = parts.size() == 2 ? parts[1].toInt(&okH) : 0;
    if (!okW || !okH || w < 200 || h < 150 || w > 10000 || h > 10000)
        throw UsageError{QStringLiteral("--size expects WIDTHxHEIGHT in pixels (at least 200x150), got \"%1\"")
                             .arg(parser.value(QStringLiteral("size")))};
    return {w, h};
}

} // namespace

int plotCommand(const QStringList &args)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Writes the Pareto plot of a study file as images, the same plot the GUI shows: complete trials over two "
        "metrics, the front of those two metrics highlighted with its staircase, trials on the study's front "
        "ringed. Default axes: x the first minimised objective, y the first maximised one. Prints each file "
        "written. Read-only: safe while the study is running."));
    parser.addPositionalArgument(QStringLiteral("FILE.psc"), QStringLiteral("Study file."));
    parser.addOption(
        {QStringLiteral("out"), QStringLiteral("Directory to write to (created if missing)."), QStringLiteral("DIR")});
    parser.addOption({QStringLiteral("x"), QStringLiteral("Metric on the x axis, e.g. weight_bytes or macs."),
                      QStringLiteral("METRIC")});
    parser.addOption(
        {QStringLiteral("y"), QStringLiteral("Metric on the y axis, e.g. accuracy."), QStringLiteral("METRIC")});
    parser.addOption({QStringLiteral("formats"), QStringLiteral("Comma-separated list of png, svg, pdf."),
                      QStringLiteral("LIST"), QStringLiteral("png,svg,pdf")});
    parser.addOption({QStringLiteral("size"), QStringLiteral("Image size in pixels (PNG is written at twice this)."),
                      QStringLiteral("WxH"), QStringLiteral("900x600")});
    parser.addOption({QStringLiteral("log-x"), QStringLiteral("Logarithmic x axis.")});
    parser.addOption({QStringLiteral("log-y"), QStringLiteral("Logarithmic y axis.")});
    parser.addOption({QStringLiteral("colour"),
                      QStringLiteral("A third metric as the points' colour, with a colour bar (as the GUI's "
                                     "Colour/size menu)."),
                      QStringLiteral("METRIC")});
    parser.addOption({QStringLiteral("point-size"), QStringLiteral("A fourth metric as the points' size."),
                      QStringLiteral("METRIC")});
    if (!parseArgs(parser, QStringLiteral("plot"), args, 1))
        return Success;
    if (!parser.isSet(QStringLiteral("out")))
        throw UsageError{QStringLiteral("--out DIR is required")};

    QStringList formats;
    for (const QString &f : parser.value(QStringLiteral("formats")).split(QLatin1Char(','), Qt::SkipEmptyParts)) {
        const QString format = f.trimmed().toLower();
        if (!ParetoPlotWidget::saveFormats().contains(format))
            throw UsageError{QStringLiteral("--formats: unknown format \"%1\" (expected png, svg or pdf)").arg(f)};
        if (!formats.contains(format))
            formats << format;
    }
    if (formats.isEmpty())
        throw UsageError{QStringLiteral("--formats: give at least one of png, svg, pdf")};
    const QSize size = sizeOption(parser);

    const std::string file = parser.positionalArguments().front().toStdString();
    auto store = StudyStore::open(file, StudyStore::Mode::ReadOnly);
    if (store->readOnlyStorage())
        printErr("note: " + file + " is on storage this user cannot write; opened read-only\n");
    const StudySpec spec = StudySpec::fromJson(store->specJson(), file + " (stored spec)");

    ParetoPlotWidget plot;
    plot.resize(size);
    plot.setStudy(spec, store->trials());
    const auto [defaultX, defaultY] = ParetoPlotWidget::defaultAxes(spec);
    const MetricRef x = metricOption(parser, QStringLiteral("x"), plot.availableMetrics(), defaultX);
    const MetricRef y = metricOption(parser, QStringLiteral("y"), plot.availableMetrics(), defaultY);
    plot.setAxes(x, y);
    plot.setLogScale(Qt::Horizontal, parser.isSet(QStringLiteral("log-x")));
    plot.setLogScale(Qt::Vertical, parser.isSet(QStringLiteral("log-y")));
    if (parser.isSet(QStringLiteral("colour")))
        plot.setColourMetric(metricOption(parser, QStringLiteral("colour"), plot.availableMetrics(), {}));
    if (parser.isSet(QStringLiteral("point-size")))
        plot.setSizeMetric(metricOption(parser, QStringLiteral("point-size"), plot.availableMetrics(), {}));

    const QString outDir = parser.value(QStringLiteral("out"));
    if (!QDir().mkpath(outDir))
        throw RuntimeError(outDir.toStdString() + ": cannot create the directory");
    const QString base = QString::fromStdString(
        spec.name.empty() ? QFileInfo(QString::fromStdString(file)).completeBaseName().toStdString() : spec.name);
    for (const QString &format : formats) {
        const QString path = QDir(outDir).filePath(base + QStringLiteral("-pareto.") + format);
        QString error;
        if (!plot.save(path, size, &error))
            throw RuntimeError(error.toStdString());
        printOut(QDir::toNativeSeparators(path).toStdString() + "\n");
    }
    return Success;
}

} // namespace psc::cli
