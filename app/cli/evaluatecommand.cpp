// SPDX-License-Identifier: GPL-3.0-or-later
// `evaluate`: a trial's deployable model on a simulated analog target, at several times after programming
// (docs/analog.md), stored in the study.
#include "cli.h"
#include "cliutil.h"

#include "psc/analog/analoginference.h"
#include "psc/core/duration.h"
#include "psc/core/error.h"
#include "psc/core/siformat.h"
#include "psc/core/suggestion.h"
#include "psc/data/dataset.h"
#include "psc/export/trialexport.h"
#include "psc/jobs/jobcontext.h"
#include "psc/study/analogdrift.h"
#include "psc/study/studyspec.h"
#include "psc/study/studystore.h"
#include "psc/targets/targetlibrary.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <cstdio>
#include <thread>

namespace psc::cli {

namespace {

std::vector<double> parseTimes(const QString &value)
{
    std::vector<double> times;
    for (const QString &part : value.split(QLatin1Char(','))) {
        const std::optional<double> t = parseDuration(part.toStdString());
        if (!t || *t <= 0.0)
            throw UsageError{QStringLiteral("--times expects positive durations separated by commas (units %1), "
                                            "got \"%2\"")
                                 .arg(QString::fromStdString(durationUnits()), part)};
        times.push_back(*t);
    }
    return times;
}

int positiveOption(const QCommandLineParser &parser, const char *name, int fallback)
{
    const QString option = QString::fromLatin1(name);
    if (!parser.isSet(option))
        return fallback;
    bool ok = false;
    const int v = parser.value(option).toInt(&ok);
    if (!ok || v < 1)
        throw UsageError{
            QStringLiteral("--%1 expects a whole number of at least 1, got \"%2\"").arg(option, parser.value(option))};
    return v;
}

std::optional<plugin::AnalogDriftCompensation> parseCompensation(const QCommandLineParser &parser)
{
    if (!parser.isSet(QStringLiteral("compensation")))
        return std::nullopt;
    const std::string v = parser.value(QStringLiteral("compensation")).toStdString();
    if (v == "global")
        return plugin::AnalogDriftCompensation::Global;
    if (v == "per_column")
        return plugin::AnalogDriftCompensation::PerColumn;
    if (v == "none")
        return plugin::AnalogDriftCompensation::None;
    throw UsageError{
        QString::fromStdString("--compensation expects one of global, per_column, none, got \"" + v + "\"" +
                               didYouMean(v, std::vector<std::string_view>{"global", "per_column", "none"}))};
}

/** "87.31 %" (or "0.42" without the sign: the spread after a mean). */
std::string formatPercent(double fraction, bool sign = true)
{
    return formatFixed(100.0 * fraction, 2) + (sign ? " %" : "");
}

} // namespace

int evaluateCommand(const QStringList &args)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Runs trials' deployable integer models on a simulated analog compute-in-memory target (PCM programming "
        "noise, conductance drift, read noise, DAC and ADC, drift compensation; docs/analog.md) at each time after "
        "programming, for independent device draws, and stores the accuracy mean and standard deviation in the "
        "study (table analog_accuracy). Exit codes: 0 evaluated, 1 runtime failure or interrupted, 2 bad input."));
    parser.addPositionalArgument(QStringLiteral("FILE.psc"), QStringLiteral("Study file."));
    parser.addOption({QStringLiteral("trial"),
                      QStringLiteral("Trial number to evaluate, 'best' (the best complete trial by the first "
                                     "objective) or 'all' (every complete trial with weights)."),
                      QStringLiteral("N|best|all")});
    parser.addOption({QStringLiteral("target"), QStringLiteral("Analog target id (e.g. aon-cim) or target file."),
                      QStringLiteral("ID")});
    parser.addOption({QStringLiteral("times"),
                      QStringLiteral("Times after programming, comma-separated (default 1s,1h,1d,1mo,1y; units "
                                     "s, min, h, d, w, mo, y)."),
                      QStringLiteral("LIST")});
    parser.addOption({QStringLiteral("repeats"), QStringLiteral("Independent device draws per time (default 10)."),
                      QStringLiteral("R")});
    parser.addOption({QStringLiteral("images"),
                      QStringLiteral("Test images per draw, the first of the test set (default 2000; 0 is not "
                                     "allowed)."),
                      QStringLiteral("N")});
    parser.addOption(
        {QStringLiteral("seed"), QStringLiteral("Seed of the device draws (default 1)."), QStringLiteral("S")});
    parser.addOption({QStringLiteral("compensation"),
                      QStringLiteral("Drift compensation instead of the target's: global, per_column or none."),
                      QStringLiteral("C")});
    parser.addOption({QStringLiteral("children"),
                      QStringLiteral("Also evaluate the complete children compressed from the trial (e.g. its "
                                     "noise-aware variant), listed under it.")});
    parser.addOption({QStringLiteral("json"), QStringLiteral("Print the results as JSON.")});
    if (!parseArgs(parser, QStringLiteral("evaluate"), args, 1))
        return Success;
    for (const char *required : {"trial", "target"})
        if (!parser.isSet(QString::fromLatin1(required)))
            throw UsageError{QStringLiteral("--%1 is required").arg(QString::fromLatin1(required))};
    const std::vector<double> times =
        parseTimes(parser.isSet(QStringLiteral("times")) ? parser.value(QStringLiteral("times"))
                                                         : QStringLiteral("1s,1h,1d,1mo,1y"));
    AnalogOptions options;
    options.repeats = positiveOption(parser, "repeats", 10);
    options.images = positiveOption(parser, "images", 2000);
    options.seed = std::uint64_t(positiveOption(parser, "seed", 1));
    options.threads = int(std::max(1u, std::thread::hardware_concurrency()));
    options.compensation = parseCompensation(parser);
    const QString trialValue = parser.value(QStringLiteral("trial"));
    const bool all = trialValue == QStringLiteral("all");
    const std::int64_t given = all ? 0 : parseTrialOption(trialValue);
    if (all && parser.isSet(QStringLiteral("children")))
        throw UsageError{QStringLiteral("--children goes with one trial: --trial all already evaluates every child")};

    // Everything is checked before the first simulation: the study (opened as its only writer), the target, the
    // trials and their models, the test images.
    const std::string file = parser.positionalArguments().front().toStdString();
    const std::unique_ptr<StudyStore> store = StudyStore::open(file, StudyStore::Mode::ReadWrite);
    const StudySpec spec = StudySpec::fromJson(store->specJson(), file + " (stored spec)");
    BundledTargets targets;
    const AnalogTarget target =
        analogTarget(targets.library.resolve(parser.value(QStringLiteral("target")).toStdString()));
    options.compensation = options.compensation.value_or(target.noise.compensation);
    std::vector<TrialModel> models;
    if (all) {
        for (const Trial &t : store->trials(TrialState::Complete)) {
            try {
                models.push_back(loadTrialModel(*store, t.number, file, "evaluate"));
            } catch (const InputError &e) {
                printErr(std::string("skipped: ") + e.what() + "\n");
            }
        }
        if (models.empty())
            throw InputError(file + ": no complete trial with a deployable model to evaluate");
    } else {
        const std::int64_t number = given == kBestTrial ? bestTrialNumber(*store, spec, file) : given;
        models.push_back(loadTrialModel(*store, number, file, "evaluate"));
        if (parser.isSet(QStringLiteral("children")))
            for (const Trial &t : store->trials(TrialState::Complete))
                if (t.parentId && *t.parentId == models.front().trial.id)
                    models.push_back(loadTrialModel(*store, t.number, file, "evaluate"));
    }
    if (spec.task.dataset == "tabular")
        throw InputError(file + ": a tabular benchmark study has no images to evaluate on");
    const Dataset data = loadFashionMnist(spec.task.dataDirectory());

    JobContext ctx;
    SignalCanceller canceller(ctx, "nothing of the interrupted trial was stored; run evaluate again");
    ProgressPrinter progress;
    QJsonArray jsonTrials;
    std::string text = "analog accuracy of study " + spec.name + " on " + target.id + " (" +
                       std::to_string(options.repeats) + " draws, " +
                       std::to_string(std::min(options.images, data.test.count)) + " test images, drift compensation " +
                       std::string(toString(*options.compensation)) + "; mean ± std)\n";
    text += pad("trial", 6) + pad("integer", 10);
    for (double t : times)
        text += pad(formatDuration(t), 17);
    text += "\n";
    for (std::size_t i = 0; i < models.size(); ++i) {
        const TrialModel &m = models[i];
        const IntegerModel integer = IntegerModel::quantize(m.model);
        const double digital = integer.accuracy(data.test, options.images, &ctx);
        const AnalogSimulator simulator(integer, target);
        JobContext child(&ctx, [&](double f, const std::string &) {
            progress.update((double(i) + f) / double(models.size()),
                            "trial " + std::to_string(m.trial.number) + ": analog inference");
        });
        std::vector<AnalogAccuracy> results;
        try {
            results = simulator.evaluate(data.test, times, options, &child);
        } catch (const JobCancelled &) {
            progress.finish();
            printOut(text);
            printErr("interrupted: trials evaluated before were stored\n");
            return RuntimeFailure;
        }
        std::vector<AnalogRecord> records;
        QJsonArray jsonTimes;
        text += pad(std::to_string(m.trial.number), 6) + pad(formatPercent(digital), 10);
        for (const AnalogAccuracy &r : results) {
            records.push_back(
                analogRecord(m.trial.id, target.id, r, options, std::min(options.images, data.test.count)));
            text += pad(formatPercent(r.mean) + " ± " + formatPercent(r.std, false), 17);
            QJsonArray draws;
            for (double d : r.draws)
                draws.append(d);
            jsonTimes.append(QJsonObject{{QStringLiteral("seconds"), r.seconds},
                                         {QStringLiteral("time"), QString::fromStdString(formatDuration(r.seconds))},
                                         {QStringLiteral("mean"), r.mean},
                                         {QStringLiteral("std"), r.std},
                                         {QStringLiteral("draws"), draws}});
        }
        text += "\n";
        store->putAnalogAccuracy(records);
        jsonTrials.append(QJsonObject{{QStringLiteral("trial"), qint64(m.trial.number)},
                                      {QStringLiteral("integer_accuracy"), digital},
                                      {QStringLiteral("times"), jsonTimes}});
    }
    progress.finish();
    if (parser.isSet(QStringLiteral("json"))) {
        const QJsonObject o{
            {QStringLiteral("target"), QString::fromStdString(target.id)},
            {QStringLiteral("repeats"), options.repeats},
            {QStringLiteral("images"), std::min(options.images, data.test.count)},
            {QStringLiteral("seed"), qint64(options.seed)},
            {QStringLiteral("compensation"), QString::fromStdString(std::string(toString(*options.compensation)))},
            {QStringLiteral("trials"), jsonTrials}};
        printOut(QJsonDocument(o).toJson(QJsonDocument::Indented).toStdString());
    } else {
        printOut(text);
    }
    return Success;
}

} // namespace psc::cli
