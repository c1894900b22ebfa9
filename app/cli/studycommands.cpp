// SPDX-License-Identifier: GPL-3.0-or-later
// `run`, `resume` and `show`: studies from the command line.
#include "cli.h"
#include "cliutil.h"
#include "studyreport.h"
#include "trainingthreads.h"

#include "psc/core/error.h"
#include "psc/data/dataset.h"
#include "psc/jobs/jobmanager.h"
#include "psc/plugins/pluginregistry.h"
#include "psc/study/costmodels.h"
#include "psc/study/studylocation.h"
#include "psc/study/studysession.h"
#include "psc/study/studystore.h"
#include "psc/targets/targetlibrary.h"
#include "psc/train/trainer.h"
#include "psc/train/trainermodule.h"

#include <nlohmann/json.hpp>

#include <QCoreApplication>
#include <QSysInfo>
#include <QUuid>

#include <cmath>
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
                      QStringLiteral("Trial budget (total finished trials), overriding the spec's."),
                      QStringLiteral("N")});
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
            throw UsageError{
                QStringLiteral("--%1 expects a positive integer, got \"%2\"").arg(name, parser.value(name))};
        return v;
    };
    if (parser.isSet(QStringLiteral("trials")))
        r.trials = positiveInt(QStringLiteral("trials"));
    if (parser.isSet(QStringLiteral("parallel")))
        r.parallel = positiveInt(QStringLiteral("parallel"));
    return r;
}

ThreadBudget prepareThreads(const RunArgs &args)
{
    const ThreadBudget budget = studyThreadBudget(args.parallel);
    configureTrainingThreads(budget.torchThreads);
    return budget;
}

int runStudy(StudySession &session, const RunArgs &args, const ThreadBudget &budget)
{
    const StudySpec &spec = session.spec();
    const std::unique_ptr<Trainer> trainer = trainermodule::createTrainer();
    ProgressPrinter progress;
    JobContext ctx([&progress](double f, const std::string &text) { progress.update(f, text); });
    SignalCanceller canceller(ctx, "'paretoscope resume' continues the study");
    printErr("study " + spec.name + ": " + std::to_string(budget.heavyThreads) + " training(s) at once, " +
             std::to_string(budget.torchThreads) + " torch thread(s) each\n");
    const StudyRunSummary s = session.search(*trainer, args.trials, ctx, [&](const Trial &t) {
        progress.finish();
        printErr(formatTrialLine(t, spec));
    });
    progress.finish();

    const std::string file = session.store().path().string();
    printOut(formatStudy(spec, session.store().trials(), file));
    printOut("\n" + StudySession::describe(s) + (StudyLocation::isUrl(file) ? "; study: " : "; study file: ") + file +
             "\n");
    if (s.cancelled) {
        printErr("cancelled; continue with: paretoscope resume " + file + "\n");
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
        "resume FILE' continues. The study may also live on a PostgreSQL server: --db "
        "postgresql://user@host:port/database?study=NAME (docs/database.md)."));
    parser.addPositionalArgument(QStringLiteral("STUDY.json"), QStringLiteral("Study spec file."));
    parser.addOption({{QStringLiteral("db"), QStringLiteral("storage")},
                      QStringLiteral("Study to create (must not exist): a file, or a server URL "
                                     "postgresql://user@host:port/database?study=NAME (--storage is the same)."),
                      QStringLiteral("FILE|URL")});
    parser.addOption({QStringLiteral("create-only"),
                      QStringLiteral("Check the spec and create the study, then stop without training (for "
                                     "'paretoscope worker URL' on other machines, or 'paretoscope resume').")});
    addRunOptions(parser);
    if (!parseArgs(parser, QStringLiteral("run"), args, 1))
        return Success;
    if (!parser.isSet(QStringLiteral("db")))
        throw UsageError{QStringLiteral("--db FILE is required")};
    const RunArgs ra = runArgs(parser);
    const std::filesystem::path db = parser.value(QStringLiteral("db")).toStdString();
    if (!StudyLocation::isUrl(db.string()) && std::filesystem::exists(db))
        throw InputError(db.string() + ": already exists; continue it with 'paretoscope resume " + db.string() +
                         "' or choose another --db");

    // Targets, their metrics and the strategy are checked while parsing, with line:column.
    const StudySpec spec = StudySession::readSpec(parser.positionalArguments().front().toStdString());
    const ThreadBudget budget = prepareThreads(ra);
    auto session = StudySession::create(db, spec, {nullptr, budget.heavyThreads, {}});
    if (parser.isSet(QStringLiteral("create-only"))) {
        printOut("created " + session->store().path().string() + "; 'paretoscope resume " +
                 session->store().path().string() + "' trains it\n");
        return Success;
    }
    return runStudy(*session, ra, budget);
}

int resumeCommand(const QStringList &args)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("Continues a study file to its budget. Trials that were in flight when the previous run stopped "
                       "(even by kill -9) are trained again; finished ones are kept."));
    parser.addPositionalArgument(QStringLiteral("FILE"),
                                 QStringLiteral("Study file (.psc) or server URL (postgresql://...?study=NAME)."));
    addRunOptions(parser);
    if (!parseArgs(parser, QStringLiteral("resume"), args, 1))
        return Success;
    const RunArgs ra = runArgs(parser);
    const std::string file = parser.positionalArguments().front().toStdString();
    const ThreadBudget budget = prepareThreads(ra);
    auto session = StudySession::open(file, {nullptr, budget.heavyThreads, {}});
    return runStudy(*session, ra, budget);
}

int workerCommand(const QStringList &args)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Joins a study on a PostgreSQL server as one of its workers and trains its trials until the study's budget "
        "is reached. Start as many workers as there are machines (or one per Slurm task: "
        "packaging/slurm/paretoscope-workers.sbatch): each takes a trial no other worker holds, or asks the study's "
        "strategy for a new one under the study's lock, so no trial is trained twice and none is lost. A worker "
        "that dies (kill -9, a lost machine) stops sending heartbeats; its trials go back to the others after "
        "--stale-after seconds. Ctrl-C stops cleanly (its trials in flight go back to pending). Create the study "
        "first: paretoscope run SPEC --db URL --create-only."));
    parser.addPositionalArgument(QStringLiteral("URL"),
                                 QStringLiteral("The study: postgresql://user@host:port/database?study=NAME."));
    parser.addOption({QStringLiteral("parallel"),
                      QStringLiteral("Trainings at once in this worker (default: one per core)."),
                      QStringLiteral("N")});
    parser.addOption(
        {QStringLiteral("max-trials"), QStringLiteral("Stop after starting N trials."), QStringLiteral("N")});
    parser.addOption({QStringLiteral("idle-exit"),
                      QStringLiteral("Stop after S seconds with nothing to train (default: wait until the study's "
                                     "budget is finished, so a dead worker's trials are picked up)."),
                      QStringLiteral("S")});
    parser.addOption({QStringLiteral("stale-after"),
                      QStringLiteral("Give a trial to the others when its worker has sent no heartbeat for S seconds; "
                                     "stored with the study for every worker (default: the study's, else 60; workers "
                                     "beat every S/12)."),
                      QStringLiteral("S")});
    if (!parseArgs(parser, QStringLiteral("worker"), args, 1))
        return Success;
    auto number = [&parser](const QString &name, double min) {
        bool ok = false;
        const double v = parser.value(name).toDouble(&ok);
        if (!ok || !(v >= min) || !std::isfinite(v))
            throw UsageError{
                QStringLiteral("--%1 expects a number >= %2, got \"%3\"").arg(name).arg(min).arg(parser.value(name))};
        return v;
    };
    RunArgs ra;
    if (parser.isSet(QStringLiteral("parallel")))
        ra.parallel = int(number(QStringLiteral("parallel"), 1));
    StudyRunner::Options::Worker worker;
    // host:pid and a random tag: a container restarted under the same host name and pid is another worker.
    worker.id = QSysInfo::machineHostName().toStdString() + ":" + std::to_string(QCoreApplication::applicationPid()) +
                ":" + QUuid::createUuid().toString(QUuid::Id128).left(6).toStdString();
    if (parser.isSet(QStringLiteral("max-trials")))
        worker.maxTrials = int(number(QStringLiteral("max-trials"), 1));
    if (parser.isSet(QStringLiteral("idle-exit")))
        worker.idleExit = number(QStringLiteral("idle-exit"), 0);
    if (parser.isSet(QStringLiteral("stale-after")))
        worker.staleSeconds = number(QStringLiteral("stale-after"), 1);
    else
        worker.staleSeconds.reset(); // the study's (set by the last worker given --stale-after), else 60 s
    const std::string url = parser.positionalArguments().front().toStdString();
    if (!StudyLocation::isUrl(url))
        throw InputError(url +
                         ": workers share a study on a PostgreSQL server "
                         "(postgresql://user@host:port/database?study=NAME); a study file has one writer: "
                         "'paretoscope resume " +
                         url + " --parallel N' trains N trials at once, or 'paretoscope copy " + url +
                         " URL' puts it on a server");
    const ThreadBudget budget = prepareThreads(ra);
    StudySession::Options options{nullptr, budget.heavyThreads, worker};
    auto session = StudySession::open(url, options);
    printErr("worker " + worker.id + " joined " + url + "\n");
    const int status = runStudy(*session, ra, budget);
    if (const int n = session->store().reconnects())
        printErr("worker " + worker.id + ": reconnected to the server " + std::to_string(n) + " time(s)\n");
    return status;
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
    if (store->readOnlyStorage())
        printErr("note: " + file + " is on storage this user cannot write; opened read-only\n");
    const StudySpec spec = StudySpec::fromJson(store->specJson(), file + " (stored spec)");
    const auto trials = store->trials();
    // Which model versions made the stored costs, compared with this build's.
    const std::vector<std::string> targets = specTargets(spec);
    std::unique_ptr<BundledTargets> bundled;
    if (!targets.empty())
        bundled = std::make_unique<BundledTargets>();
    const std::vector<CostModelRecord> records = readCostModels(*store);
    const std::string lastError = store->meta("last_error").value_or("");
    if (!parser.isSet(json)) {
        printOut(formatStudy(spec, trials, file));
        if (!lastError.empty())
            printOut("\nLast run stopped: " + lastError + "\n");
        if (!targets.empty()) {
            printOut("\nCost models:\n");
            for (const std::string &line : describeCostModels(records, targets, bundled ? &bundled->library : nullptr))
                printOut("  " + line + "\n");
        }
        return Success;
    }
    std::map<std::int64_t, std::vector<ExportRecord>> exports;
    for (const Trial &t : trials)
        if (t.state == TrialState::Complete)
            if (std::vector<ExportRecord> e = store->exports(t.id); !e.empty())
                exports.emplace(t.id, std::move(e));
    nlohmann::json j = nlohmann::json::parse(studyToJson(spec, trials, file, exports));
    j["cost_models"] = nlohmann::json::array();
    for (const CostModelRecord &r : records)
        j["cost_models"].push_back(
            {{"target", r.target}, {"model", r.model}, {"version", r.version}, {"from_trial", r.fromTrial}});
    j["cost_model_notes"] = describeCostModels(records, targets, bundled ? &bundled->library : nullptr);
    j["last_error"] = lastError.empty() ? nlohmann::json() : nlohmann::json(lastError);
    printOut(j.dump(2) + "\n");
    return Success;
}

} // namespace psc::cli
