// SPDX-License-Identifier: GPL-3.0-or-later
// `run`, `resume` and `show`: studies from the command line.
#include "cli.h"
#include "cliutil.h"
#include "studyreport.h"
#include "studysession.h"

#include "psc/core/error.h"
#include "psc/data/dataset.h"
#include "psc/jobs/jobmanager.h"
#include "psc/ml/torchtrainer.h"
#include "psc/plugins/pluginregistry.h"
#include "psc/study/studyrunner.h"
#include "psc/study/studystore.h"

#include <QThreadPool>

#include <filesystem>

namespace psc::cli {
namespace {

struct RunArgs
{
    std::optional<int> trials;
    int parallel = 0;
};

void addRunOptions(QCommandLineParser &parser)
{
    parser.addOption({QStringLiteral("trials"),
                      QStringLiteral("Trial budget (total finished trials), overriding the spec's."), QStringLiteral("N")});
    parser.addOption({QStringLiteral("parallel"),
                      QStringLiteral("Trainings at once (default: one per core; each uses cores/N torch threads)."),
                      QStringLiteral("N")});
}

RunArgs runArgs(const QCommandLineParser &parser)
{
    RunArgs r;
    auto positiveInt = [&parser](const QString &name) {
        bool ok = false;
        const int v = parser.value(name).toInt(&ok);
        if (!ok || v < 1)
            throw UsageError{QStringLiteral("--%1 expects a positive integer, got \"%2\"").arg(name, parser.value(name))};
        return v;
    };
    if (parser.isSet(QStringLiteral("trials")))
        r.trials = positiveInt(QStringLiteral("trials"));
    if (parser.isSet(QStringLiteral("parallel")))
        r.parallel = positiveInt(QStringLiteral("parallel"));
    return r;
}

int runStudy(StudyStore &store, const StudySpec &spec, StudyEnvironment &env, const RunArgs &args)
{
    const ThreadBudget budget = studyThreadBudget(args.parallel);
    configureTrainingThreads(budget.torchThreads);
    ml::TorchTrainer trainer;
    QThreadPool heavy;
    heavy.setMaxThreadCount(budget.heavyThreads);

    ProgressPrinter progress;
    JobContext ctx([&progress](double f, const std::string &text) { progress.update(f, text); });
    SignalCanceller canceller(ctx, "'paretoscope resume' continues the study");
    StudyRunner runner(store, spec, *env.strategy, trainer, env.data, &heavy,
                       StudyRunner::Options{args.trials, budget.heavyThreads, &env.targets});
    runner.setTrialFinishedCallback([&](const Trial &t) {
        progress.finish();
        printErr(formatTrialLine(t, spec));
    });
    printErr("study " + spec.name + ": " + std::to_string(budget.heavyThreads) + " training(s) at once, " +
             std::to_string(budget.torchThreads) + " torch thread(s) each\n");
    const StudyRunSummary s = runner.run(ctx);
    heavy.waitForDone();
    progress.finish();

    printOut(formatStudy(spec, store.trials(), store.path().string()));
    printOut("\n" + std::to_string(s.trained) + " trained, " + std::to_string(s.cached) + " cached, " +
             std::to_string(s.infeasible) + " infeasible, " + std::to_string(s.failed) + " failed in " +
             formatMetric("train_seconds", s.seconds) + "; study file: " + store.path().string() + "\n");
    if (s.cancelled) {
        printErr("cancelled; continue with: paretoscope resume " + store.path().string() + "\n");
        return RuntimeFailure;
    }
    return Success;
}

} // namespace

int runStudyCommand(const QStringList &args)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Runs the study described by STUDY.json (docs/formats/study-spec.md) into a new study file: samples "
        "candidates, trains them on the task and records every trial. Ctrl-C stops cleanly; 'paretoscope "
        "resume FILE' continues."));
    parser.addPositionalArgument(QStringLiteral("STUDY.json"), QStringLiteral("Study spec file."));
    parser.addOption({QStringLiteral("db"), QStringLiteral("Study file to create (must not exist)."),
                      QStringLiteral("FILE")});
    addRunOptions(parser);
    if (!parseArgs(parser, QStringLiteral("run"), args, 1))
        return Success;
    if (!parser.isSet(QStringLiteral("db")))
        throw UsageError{QStringLiteral("--db FILE is required")};
    const RunArgs ra = runArgs(parser);
    const std::filesystem::path db = parser.value(QStringLiteral("db")).toStdString();
    if (std::filesystem::exists(db))
        throw InputError(db.string() + ": already exists; continue it with 'paretoscope resume " + db.string() +
                         "' or choose another --db");

    StudyEnvironment env;
    const StudySpec spec = StudySpec::fromFile(parser.positionalArguments().front().toStdString(), studySpecNames(env));
    prepareStudyEnvironment(env, spec);
    auto store = StudyStore::create(db, spec.toJson());
    return runStudy(*store, spec, env, ra);
}

int resumeCommand(const QStringList &args)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Continues a study file to its budget. Trials that were in flight when the previous run stopped "
        "(even by kill -9) are trained again; finished ones are kept."));
    parser.addPositionalArgument(QStringLiteral("FILE"), QStringLiteral("Study file (.psc)."));
    addRunOptions(parser);
    if (!parseArgs(parser, QStringLiteral("resume"), args, 1))
        return Success;
    const RunArgs ra = runArgs(parser);
    const std::string file = parser.positionalArguments().front().toStdString();
    auto store = StudyStore::open(file, StudyStore::Mode::ReadWrite);
    StudyEnvironment env;
    const StudySpec spec = StudySpec::fromJson(store->specJson(), file + " (stored spec)", {}, studySpecNames(env));
    prepareStudyEnvironment(env, spec);
    return runStudy(*store, spec, env, ra);
}

int showCommand(const QStringList &args)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Prints the trials of a study file with their metrics and the Pareto front of the study's objectives. "
        "Read-only: safe while the study is running."));
    parser.addPositionalArgument(QStringLiteral("FILE"), QStringLiteral("Study file (.psc)."));
    const QCommandLineOption json(QStringLiteral("json"), QStringLiteral("Print JSON."));
    parser.addOption(json);
    if (!parseArgs(parser, QStringLiteral("show"), args, 1))
        return Success;
    const std::string file = parser.positionalArguments().front().toStdString();
    auto store = StudyStore::open(file, StudyStore::Mode::ReadOnly);
    const StudySpec spec = StudySpec::fromJson(store->specJson(), file + " (stored spec)");
    const auto trials = store->trials();
    printOut(parser.isSet(json) ? studyToJson(spec, trials, file) + "\n" : formatStudy(spec, trials, file));
    return Success;
}

} // namespace psc::cli
