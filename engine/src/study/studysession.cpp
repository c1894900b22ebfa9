// SPDX-License-Identifier: GPL-3.0-or-later
#include "psc/study/studysession.h"

#include "psc/compress/compressionconfig.h"
#include "psc/core/error.h"
#include "psc/data/dataset.h"
#include "psc/jobs/jobcontext.h"
#include "psc/plugins/pluginregistry.h"
#include "psc/study/metrics.h"
#include "psc/study/studystore.h"
#include "psc/study/trialevaluator.h"
#include "psc/targets/targetlibrary.h"
#include "psc/train/tabulartrainer.h"

#include <nlohmann/json.hpp>

#include <QThreadPool>

#include <cmath>
#include <cstdio>

namespace psc {

struct StudySession::Impl
{
    StudySpec spec;
    PluginRegistry registry;
    TargetLibrary targets{registry};
    const plugin::StrategyFactory *strategy = nullptr;
    std::optional<Dataset> data;
    std::unique_ptr<QThreadPool> ownPool;
    QThreadPool *pool = nullptr;
    int parallel = 1;
    std::optional<StudyRunner::Options::Worker> worker;
    std::unique_ptr<StudyStore> store; ///< declared last: closed first, after the pool has drained

    /** The bundled plugins and targets, and the names a spec may use from them. */
    StudySpecNames loadPlugins()
    {
        registry.load(PluginRegistry::defaultDirectories());
        targets.loadDefaults();
        StudySpecNames names{&targets, registry.strategyIds(), {}};
        names.strategyOptionsProblem = [this](const std::string &id, const std::string &options) {
            return registry.strategyOptionsProblem(id, options);
        };
        return names;
    }

    /** The strategy for `spec`, after checking every name it uses; everything a spec can get wrong short of training.
     */
    void prepare(const StudySpecNames &names, const std::string &label)
    {
        // Specs read with names have been checked with their positions already; this catches the rest (a spec built
        // in code, a stored spec whose target files have changed since).
        spec.validate(names, label);
        strategy = registry.strategy(spec.strategy.id);
        if (!strategy)
            throw InputError(label + ": study \"" + spec.name + "\": unknown strategy \"" + spec.strategy.id + "\"");
        TrialEvaluator(spec, &targets); // every "metric@target" names a known target
    }

    void setUpPool(const Options &options)
    {
        pool = options.heavyPool;
        if (!pool) {
            ownPool = std::make_unique<QThreadPool>();
            ownPool->setMaxThreadCount(std::max(1, options.parallelTrials));
            pool = ownPool.get();
        }
        parallel = std::max(1, std::min(options.parallelTrials, pool->maxThreadCount()));
    }
};

namespace {

/** The task's images; a tabular benchmark has none (its trainer looks results up). */
Dataset loadTaskData(const TaskSpec &task)
{
    if (task.dataset == "tabular") {
        Dataset none;
        none.name = "tabular";
        return none;
    }
    return loadFashionMnist(task.dataDirectory());
}

/** A study on a tabular benchmark must search the table's space with its epochs; refused once, before any trial. */
void checkTabularStudy(const StudySpec &spec, const TabularTable &table)
{
    const std::string where = spec.task.table.string() + ": ";
    if (spec.training.epochs != table.epochs)
        throw InputError(where + "the tabular benchmark was trained for " + std::to_string(table.epochs) +
                         " epochs, the study's training has " + std::to_string(spec.training.epochs) +
                         "; set /training/epochs to " + std::to_string(table.epochs));
    const auto specSpace = nlohmann::json::parse(spec.toJson()).at("search_space");
    if (specSpace != nlohmann::json::parse(table.spaceJson))
        throw InputError(where + "the study's search space is not the tabular benchmark's (\"" +
                         specSpace.value("name", std::string()) + "\" against \"" +
                         nlohmann::json::parse(table.spaceJson).value("name", std::string()) +
                         "\"); a table answers only for the space it was trained on");
}

} // namespace

StudySession::StudySession(std::unique_ptr<Impl> impl) : d(std::move(impl)) {}

StudySession::~StudySession()
{
    // Runners drain their own trainings; this also covers tasks still returning from the pool.
    if (d->ownPool)
        d->ownPool->waitForDone();
    d->store.reset();
}

StudySpec StudySession::readSpec(const std::filesystem::path &specFile)
{
    Impl plugins;
    return StudySpec::fromFile(specFile, plugins.loadPlugins());
}

std::unique_ptr<StudySession> StudySession::create(const std::filesystem::path &file, const StudySpec &spec,
                                                   Options options)
{
    auto impl = std::make_unique<Impl>();
    impl->spec = spec;
    impl->prepare(impl->loadPlugins(), file.string());
    impl->data = loadTaskData(spec.task);
    impl->setUpPool(options);
    impl->store = StudyStore::create(file, spec.toJson());
    return std::unique_ptr<StudySession>(new StudySession(std::move(impl)));
}

std::unique_ptr<StudySession> StudySession::open(const std::filesystem::path &file, Options options)
{
    auto impl = std::make_unique<Impl>();
    const StudySpecNames names = impl->loadPlugins();
    impl->worker = options.worker;
    impl->store = StudyStore::open(file, options.worker ? StudyStore::Mode::Shared : StudyStore::Mode::ReadWrite);
    impl->spec = StudySpec::fromJson(impl->store->specJson(), file.string() + " (stored spec)", {}, names);
    impl->prepare(names, file.string());
    impl->setUpPool(options);
    return std::unique_ptr<StudySession>(new StudySession(std::move(impl)));
}

StudyStore &StudySession::store()
{
    return *d->store;
}

const StudySpec &StudySession::spec() const
{
    return d->spec;
}

const TargetLibrary &StudySession::targets() const
{
    return d->targets;
}

const Dataset &StudySession::data()
{
    if (!d->data)
        d->data = loadTaskData(d->spec.task);
    return *d->data;
}

StudyRunSummary StudySession::search(Trainer &trainer, std::optional<int> trials, JobContext &ctx,
                                     std::function<void(const Trial &)> onTrial)
{
    const Dataset &dataset = data();
    // A tabular benchmark's "training" is a lookup in its table; everything else runs as in any study.
    std::optional<TabularTrainer> tabular;
    if (d->spec.task.dataset == "tabular") {
        tabular.emplace(TabularTable::fromFile(d->spec.task.table));
        tabular->setSimulatedSeconds(d->spec.task.simulatedSeconds);
        checkTabularStudy(d->spec, tabular->table());
    }
    StudyRunner runner(*d->store, d->spec, *d->strategy, tabular ? *tabular : trainer, dataset, d->pool,
                       StudyRunner::Options{trials, d->parallel, &d->targets, d->worker});
    runner.setTrialFinishedCallback(std::move(onTrial));
    return runner.run(ctx);
}

Trial StudySession::checkCompression(std::int64_t parentNumber, const CompressionConfig &config) const
{
    return CompressionRunner::check(*d->store, parentNumber, config);
}

CompressionSummary StudySession::compress(Trainer &trainer, std::int64_t parentNumber, const CompressionConfig &config,
                                          JobContext &ctx, std::function<void(const CompressedChild &)> onChild)
{
    checkCompression(parentNumber, config);
    const Dataset &dataset = data();
    ctx.checkpoint();
    // This session holds the study's write lock, so trials left Running were in flight when a process died:
    // children of an earlier compression become Pending and are finished below if the config asks for them again.
    d->store->recoverInterrupted();
    CompressionRunner runner(*d->store, d->spec, trainer, dataset, CompressionRunner::Options{&d->targets});
    runner.setChildFinishedCallback(std::move(onChild));
    return runner.run(parentNumber, config, ctx);
}

std::string StudySession::describe(const StudyRunSummary &s)
{
    const std::string time = formatMetric(MetricRef{"train_seconds", {}}, s.seconds);
    std::string text = std::to_string(s.trained) + " trained, " +
                       (s.pruned ? std::to_string(s.pruned) + " stopped early (pruned), " : std::string()) +
                       std::to_string(s.cached) + " cached, " + std::to_string(s.infeasible) + " infeasible, " +
                       std::to_string(s.failed) + " failed in " + time + "; " + std::to_string(s.finishedTotal) +
                       " trials finished";
    if (s.reconnects)
        text += ", " + std::to_string(s.reconnects) + " reconnect(s) to the server";
    if (s.dropped)
        text += ", " + std::to_string(s.dropped) + " result(s) dropped (their trials went to other workers)";
    if (s.budgetReached)
        text += ", budget reached";
    if (s.cancelled)
        text += ", stopped (trials in flight went back to pending)";
    return text;
}

} // namespace psc
