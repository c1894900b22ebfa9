// SPDX-License-Identifier: GPL-3.0-or-later
// The study runner's bookkeeping: budgets, failures, constraints, cache, resume and cancellation. Training
// is replaced by a deterministic scripted trainer so these cases run in milliseconds; the real trainer is
// tested in tests/ml and end to end in tests/app.
#include "psc/core/error.h"
#include "psc/data/dataset.h"
#include "psc/jobs/jobcontext.h"
#include "psc/net/analysis.h"
#include "psc/net/networkparser.h"
#include "psc/plugins/pluginregistry.h"
#include "psc/quant/trainedmodel.h"
#include "psc/space/searchspace.h"
#include "psc/study/studyfront.h"
#include "psc/study/studyrunner.h"
#include "psc/study/studysession.h"
#include "psc/study/studystore.h"
#include "psc/targets/targetlibrary.h"
#include "psc/train/trainer.h"

#include <QTemporaryDir>
#include <QTest>

#include <QThreadPool>
#include <algorithm>

#include <sqlite3.h>

#include <atomic>
#include <cmath>
#include <mutex>
#include <set>
#include <thread>

using namespace psc;

namespace {

/**
 * Test double for the trainer: accuracy is a fixed function of the parameter count, and networks whose
 * parameter count is divisible by `failEvery` throw, like a diverging training would.
 */
class ScriptedTrainer : public Trainer
{
public:
    using Trainer::train;
    explicit ScriptedTrainer(std::int64_t failEvery = 0) : m_failEvery(failEvery) {}
    TrainResult train(const NetworkDescription &network, const TrainingRecipe &, const Dataset &, std::uint64_t,
                      JobContext &ctx, const EpochObserver &) override
    {
        ctx.checkpoint();
        const std::int64_t params = analyzeNetwork(network).totalParams;
        {
            std::lock_guard lock(m_mutex);
            ++calls;
            trainedHashes.insert(architectureHash(network));
        }
        if (m_failEvery > 0 && params % m_failEvery == 0)
            throw RuntimeError("training diverged: loss is nan at epoch 1, batch 3");
        TrainResult r;
        r.validationAccuracy = 1.0 - 1000.0 / double(params + 1000);
        r.testAccuracy = r.validationAccuracy - 0.01;
        r.trainSeconds = 0.001;
        r.weights = {1, 2, 3};
        r.weightsFormat = "scripted";
        return r;
    }
    /** Scores the start network like train() and hands the start model back unchanged as the fine-tuned one. */
    TrainResult fineTune(const TrainedModel &start, const TrainingRecipe &recipe, const Dataset &data,
                         std::uint64_t seed, JobContext &ctx) override
    {
        TrainResult r = train(start.network, recipe, data, seed, ctx);
        r.weights = serializeTrainedModel(start);
        r.weightsFormat = kTrainedModelFormat;
        return r;
    }
    std::atomic<int> calls{0};
    std::set<std::string> trainedHashes;

private:
    std::int64_t m_failEvery;
    std::mutex m_mutex;
};

/** Cancels the study from inside each training, as a user's click would. */
class CancellingTrainer : public ScriptedTrainer
{
public:
    using Trainer::train;
    JobContext *study = nullptr;
    TrainResult train(const NetworkDescription &n, const TrainingRecipe &r, const Dataset &d, std::uint64_t s,
                      JobContext &ctx, const EpochObserver &) override
    {
        study->cancel();
        return ScriptedTrainer::train(n, r, d, s, ctx, EpochObserver{});
    }
};

/**
 * Reports a learning curve rising to ScriptedTrainer's accuracy, acc x (1 - 0.5^e) at epoch e, to the observer after
 * each epoch, and stops where it says so, as TorchTrainer does.
 */
class CurveTrainer : public ScriptedTrainer
{
public:
    TrainResult train(const NetworkDescription &n, const TrainingRecipe &r, const Dataset &d, std::uint64_t s,
                      JobContext &ctx, const EpochObserver &onEpoch) override
    {
        TrainResult full = ScriptedTrainer::train(n, r, d, s, ctx, EpochObserver{});
        for (int e = 1; e <= r.epochs; ++e) {
            const double v = full.validationAccuracy * (1.0 - std::pow(0.5, e));
            full.validationCurve.push_back(v);
            if (onEpoch && !onEpoch(e, v) && e < r.epochs) {
                TrainResult stopped;
                stopped.validationCurve = full.validationCurve;
                stopped.validationAccuracy = v;
                stopped.epochs = e;
                stopped.stoppedEarly = true;
                return stopped;
            }
        }
        full.validationAccuracy = full.validationCurve.back();
        full.epochs = r.epochs;
        return full;
    }
};

std::string trialLine(const Trial &t)
{
    return std::to_string(t.number) + " " + std::string(toString(t.state)) + " " + t.parametersJson;
}

} // namespace

class TestStudyRunner : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;
    PluginRegistry m_registry;
    Dataset m_noData; // the scripted trainer never looks at it
    StudySpec m_spec; // the bundled demo: objectives on two hardware targets, a constraint on a third
    std::unique_ptr<TargetLibrary> m_targets;

    const plugin::StrategyFactory &random() const { return *m_registry.strategy("random"); }
    std::filesystem::path file(const char *name) const { return m_dir.filePath(name).toStdString(); }

    StudyRunSummary run(StudyStore &store, const StudySpec &spec, Trainer &trainer, int trials,
                        QThreadPool *pool = nullptr, int parallel = 1)
    {
        const plugin::StrategyFactory &strategy = *m_registry.strategy(spec.strategy.id);
        StudyRunner runner(store, spec, strategy, trainer, m_noData, pool, {trials, parallel, m_targets.get(), {}});
        JobContext ctx;
        return runner.run(ctx);
    }

private Q_SLOTS:
    void initTestCase()
    {
        m_registry.load();
        QVERIFY(m_registry.strategy("random"));
        m_targets = std::make_unique<TargetLibrary>(m_registry);
        m_targets->loadDirectory(TargetLibrary::defaultDirectory());
        m_spec = StudySpec::fromFile(PSC_SOURCE_DIR "/resources/studies/fashion-mnist-demo.json");
        m_spec.strategy = {"random", "{}"}; // the runner's tests drive random unless they say otherwise
    }

    void runsToTheBudgetRecordingEveryOutcome()
    {
        auto store = StudyStore::create(file("budget.psc"), m_spec.toJson());
        ScriptedTrainer trainer(7);
        std::vector<Trial> reported;
        StudyRunner runner(*store, m_spec, random(), trainer, m_noData, nullptr, {20, 1, m_targets.get(), {}});
        runner.setTrialFinishedCallback([&](const Trial &t) { reported.push_back(t); });
        JobContext ctx;
        const StudyRunSummary s = runner.run(ctx);
        QCOMPARE(s.finishedTotal, 20);
        QVERIFY(s.budgetReached);
        QCOMPARE(s.trained + s.cached + s.infeasible + s.failed, 20);
        QCOMPARE(int(reported.size()), 20);
        QCOMPARE(trainer.calls.load(), s.trained + s.failed);

        const auto trials = store->trials();
        for (const Trial &t : trials)
            QCOMPARE(t.proposedBy, std::string("random:random"));
        QCOMPARE(int(trials.size()), 20);
        int failed = 0, infeasible = 0;
        for (const Trial &t : trials) {
            if (t.state == TrialState::Failed) {
                ++failed;
                QCOMPARE(QString::fromStdString(t.error),
                         QStringLiteral("training diverged: loss is nan at epoch 1, batch 3"));
            } else if (t.state == TrialState::Infeasible) {
                ++infeasible;
                QVERIFY2(t.error.find("violates") != std::string::npos, t.error.c_str());
            } else {
                QCOMPARE(std::string(toString(t.state)), std::string("complete"));
                QVERIFY(store->artifact(t.id, "weights").has_value());
            }
        }
        QCOMPARE(failed, s.failed);
        QCOMPARE(infeasible, s.infeasible);
        QVERIFY2(infeasible > 0, "the demo constraints should reject some candidates");
    }

    void infeasibleCandidatesAreNotTrained()
    {
        StudySpec spec = m_spec;
        spec.constraints = {*parseConstraint("weight_bytes <= 1")};
        auto store = StudyStore::create(file("infeasible.psc"), spec.toJson());
        ScriptedTrainer trainer;
        const StudyRunSummary s = run(*store, spec, trainer, 5);
        QCOMPARE(s.infeasible, 5);
        QCOMPARE(trainer.calls.load(), 0);
        for (const Trial &t : store->trials())
            QVERIFY2(t.error.find("weight_bytes = ") == 0 &&
                         t.error.find("violates weight_bytes <= 1") != std::string::npos,
                     t.error.c_str());
    }

    void anArchitectureIsTrainedOnceEvenInParallel()
    {
        // A space with a single architecture: every trial after the first is a cache hit.
        StudySpec spec = m_spec;
        spec.constraints.clear();
        auto &d = spec.searchSpace;
        d = SearchSpace::fromJson(R"({"name": "one", "input": {"channels": 1, "height": 28, "width": 28},
            "num_classes": 10, "stem": {"out_channels": 8, "kernel": 3, "stride": 2},
            "blocks": {"count": 1, "type": "separable", "out_channels": 16, "kernel": 3, "stride": 2,
                       "expansion": 1, "residual": false}, "head": {"dense_units": 0}})")
                .definition();
        auto store = StudyStore::create(file("cache.psc"), spec.toJson());
        ScriptedTrainer trainer;
        QThreadPool pool;
        pool.setMaxThreadCount(2);
        const StudyRunSummary s = run(*store, spec, trainer, 4, &pool, 2);
        QCOMPARE(trainer.calls.load(), 1);
        QCOMPARE(s.trained, 1);
        QCOMPARE(s.cached, 3);
        const auto trials = store->trials();
        for (std::size_t i = 1; i < trials.size(); ++i) {
            QVERIFY(trials[i].cachedFrom.has_value());
            QCOMPARE(*trials[i].cachedFrom, trials[0].id);
            QVERIFY(trials[i].metrics == trials[0].metrics);
        }
    }

    void resumeContinuesTheSameSequence()
    {
        ScriptedTrainer trainer(7);
        auto whole = StudyStore::create(file("whole.psc"), m_spec.toJson());
        run(*whole, m_spec, trainer, 12);

        {
            auto first = StudyStore::create(file("resumed.psc"), m_spec.toJson());
            run(*first, m_spec, trainer, 5);
        }
        auto second = StudyStore::open(file("resumed.psc"), StudyStore::Mode::ReadWrite);
        const StudyRunSummary s = run(*second, m_spec, trainer, 12);
        QCOMPARE(s.finishedTotal, 12);
        const auto a = whole->trials();
        const auto b = second->trials();
        QCOMPARE(a.size(), b.size());
        for (std::size_t i = 0; i < a.size(); ++i)
            QCOMPARE(trialLine(b[i]), trialLine(a[i]));
    }

    // ASHA stops the trainings that are not among the best third after epoch 1: they end Pruned with their curve, their
    // last accuracy and the reason, stay off the front, count toward the budget, and a resume keeps them.
    void ashaPrunesTrialsAndKeepsTheirCurves()
    {
        StudySpec spec = m_spec;
        spec.earlyStopping.type = EarlyStoppingSpec::Type::Asha;
        spec.earlyStopping.minEpochs = 1;
        spec.earlyStopping.reductionFactor = 3;
        CurveTrainer trainer;
        auto store = StudyStore::create(file("asha.psc"), spec.toJson());
        const StudyRunSummary s = run(*store, spec, trainer, 15);
        QVERIFY2(s.pruned >= 5, std::to_string(s.pruned).c_str());
        QCOMPARE(s.finishedTotal, 15);
        int complete = 0;
        for (const Trial &t : store->trials()) {
            if (t.state == TrialState::Pruned) {
                QCOMPARE(t.learningCurve.size(), std::size_t(1));
                QCOMPARE(metricValue(t, MetricRef{"accuracy", {}}), std::optional<double>(t.learningCurve[0]));
                QVERIFY(!metricValue(t, MetricRef{"deployed_accuracy", {}}));
                QVERIFY2(t.error.rfind("asha: ", 0) == 0, t.error.c_str());
            } else if (t.state == TrialState::Complete && !t.cachedFrom) {
                ++complete;
                QCOMPARE(t.learningCurve.size(), std::size_t(spec.training.epochs));
            }
        }
        QVERIFY2(complete >= 2, (std::to_string(complete) + " complete, " + std::to_string(s.pruned) + " pruned, " +
                                 std::to_string(s.infeasible) + " infeasible, " + std::to_string(s.failed) + " failed")
                                    .c_str());
        const std::vector<Trial> all = store->trials();
        const std::vector<int> ranks = paretoRanks(all, spec.objectives);
        for (std::size_t i = 0; i < all.size(); ++i)
            if (all[i].state == TrialState::Pruned)
                QCOMPARE(ranks[i], -1); // takes no part in the front
        const auto counts = store->trialCounts();
        QCOMPARE(counts.pruned, std::int64_t(s.pruned));
        // A resume to a larger budget judges new trainings against the stored curves too.
        const StudyRunSummary more = run(*store, spec, trainer, 18);
        QCOMPARE(more.finishedTotal, 18);
        QCOMPARE(store->trialCounts().pruned, std::int64_t(s.pruned + more.pruned));
    }

    // Every bundled study spec reads with its targets, metrics, strategy and options checked, and a tabular study
    // refuses a table of another space or epochs before any trial.
    void bundledStudySpecsAreValid()
    {
        int count = 0;
        for (const auto &entry : std::filesystem::directory_iterator(PSC_SOURCE_DIR "/resources/studies")) {
            if (entry.path().extension() != ".json")
                continue;
            try {
                StudySession::readSpec(entry.path());
            } catch (const std::exception &e) {
                QFAIL(e.what());
            }
            ++count;
        }
        QVERIFY(count >= 4);
    }

    // NSGA-II learns from results; a resumed study is told the finished trials again and continues the same sequence
    // (its saved state holds what it asked). Bad options are bad input naming the option.
    void nsga2ResumesTheSameSequence()
    {
        StudySpec spec = m_spec;
        spec.strategy.id = "nsga2";
        spec.strategy.optionsJson = R"({"population": 4})";
        ScriptedTrainer trainer(7);
        auto whole = StudyStore::create(file("nsga-whole.psc"), spec.toJson());
        run(*whole, spec, trainer, 14);
        {
            auto first = StudyStore::create(file("nsga-resumed.psc"), spec.toJson());
            run(*first, spec, trainer, 6);
        }
        auto second = StudyStore::open(file("nsga-resumed.psc"), StudyStore::Mode::ReadWrite);
        QCOMPARE(run(*second, spec, trainer, 14).finishedTotal, 14);
        const auto a = whole->trials();
        const auto b = second->trials();
        QCOMPARE(a.size(), b.size());
        std::set<std::string> architectures;
        for (std::size_t i = 0; i < a.size(); ++i) {
            QCOMPARE(trialLine(b[i]), trialLine(a[i]));
            architectures.insert(a[i].architectureHash);
        }
        QCOMPARE(architectures.size(), a.size()); // never the same candidate twice
        // Each trial says what proposed it: the first population at random, then offspring (or a random fill-in when
        // no new child turns up), the same after a resume.
        for (std::size_t i = 0; i < a.size(); ++i) {
            QCOMPARE(b[i].proposedBy, a[i].proposedBy);
            if (i < 4)
                QCOMPARE(a[i].proposedBy, std::string("nsga2:initial"));
        }
        QVERIFY(std::any_of(a.begin(), a.end(), [](const Trial &t) { return t.proposedBy == "nsga2:offspring"; }));

        spec.strategy.optionsJson = R"({"population": 2})";
        auto bad = StudyStore::create(file("nsga-bad.psc"), spec.toJson());
        std::string e;
        try {
            run(*bad, spec, trainer, 3);
        } catch (const InputError &error) {
            e = error.what();
        }
        QVERIFY2(e.find("/strategy/options: population: expected a whole number in [4, 10000], got 2") !=
                     std::string::npos,
                 e.c_str());
    }

    // A strategy plugin that throws stops the run with a RuntimeError naming it; the study records why, stays
    // consistent, and a later run (here with a working strategy) resumes it and clears the error.
    void aThrowingStrategyIsTheStudysError()
    {
        class Failing : public plugin::SearchStrategy
        {
        public:
            void initialize(const std::vector<int> &c, std::uint64_t) override { m_cardinalities = c; }
            plugin::Encoding ask() override
            {
                if (++m_asked > 3)
                    throw std::logic_error("out of ideas");
                return plugin::Encoding(m_cardinalities.size(), m_asked - 1 < 2 ? m_asked - 1 : 0);
            }
            void tell(const plugin::Encoding &, const std::vector<double> &, bool) override {}
            // A state the random strategy reads back, so that the test can resume with it.
            std::string saveState() const override { return R"({"asked":"0","seed":"0","strategy":"random"})"; }
            void loadState(const std::string &) override {}

        private:
            std::vector<int> m_cardinalities;
            int m_asked = 0;
        };
        class FailingFactory : public plugin::StrategyFactory
        {
        public:
            std::string id() const override { return "random"; }
            std::string description() const override { return "fails on its fourth ask"; }
            std::unique_ptr<plugin::SearchStrategy> create() const override { return std::make_unique<Failing>(); }
        };
        ScriptedTrainer trainer(0);
        auto store = StudyStore::create(file("failing.psc"), m_spec.toJson());
        FailingFactory failing;
        std::string error;
        try {
            StudyRunner runner(*store, m_spec, failing, trainer, m_noData, nullptr, {10, 1, m_targets.get(), {}});
            JobContext ctx;
            runner.run(ctx);
        } catch (const RuntimeError &e) {
            error = e.what();
        }
        QVERIFY2(error.find("search strategy \"random\" failed in ask(): out of ideas") == 0, error.c_str());
        QVERIFY(error.find("'paretoscope resume' continues it") != std::string::npos);
        QVERIFY(store->meta("last_error").value_or("").find("out of ideas") != std::string::npos);
        const std::size_t before = store->trials().size();
        QVERIFY(before >= 1 && before <= 3);
        QCOMPARE(store->integrityCheck(), std::string("ok"));
        // Resumed with a working strategy: the run completes and the error is cleared.
        QCOMPARE(run(*store, m_spec, trainer, 6).finishedTotal, 6);
        QCOMPARE(store->meta("last_error").value_or("x"), std::string());
    }

    void parallelTrainingCompletesTheBudget()
    {
        auto store = StudyStore::create(file("parallel.psc"), m_spec.toJson());
        ScriptedTrainer trainer;
        QThreadPool pool;
        pool.setMaxThreadCount(2);
        const StudyRunSummary s = run(*store, m_spec, trainer, 16, &pool, 2);
        QCOMPARE(s.finishedTotal, 16);
        std::set<std::string> hashes;
        for (const Trial &t : store->trials()) {
            QVERIFY(t.state != TrialState::Running && t.state != TrialState::Pending);
            if (!t.cachedFrom)
                QVERIFY2(hashes.insert(t.architectureHash).second, "an architecture was trained twice");
        }
    }

    void cancelledRunLeavesInFlightTrialsForResume()
    {
        auto store = StudyStore::create(file("cancel.psc"), m_spec.toJson());
        CancellingTrainer trainer;
        StudyRunner runner(*store, m_spec, random(), trainer, m_noData, nullptr, {10, 1, m_targets.get(), {}});
        JobContext ctx;
        trainer.study = &ctx;
        const StudyRunSummary s = runner.run(ctx);
        QVERIFY(s.cancelled);
        QVERIFY(!s.budgetReached);
        // A clean stop returns the trial in flight to Pending and counts no interruption.
        const TrialCounts c = store->trialCounts();
        QCOMPARE(int(c.running), 0);
        QCOMPARE(int(c.pending), 1);
        QVERIFY(c.finished() < 10);
        for (const Trial &t : store->trials())
            QCOMPARE(t.interruptions, 0);
        store.reset();
        auto again = StudyStore::open(file("cancel.psc"), StudyStore::Mode::ReadWrite);
        ScriptedTrainer plain;
        QCOMPARE(run(*again, m_spec, plain, 10).finishedTotal, 10);
        QCOMPARE(int(again->trialCounts().running), 0);
    }

    // Three clean stops in a row never fail a trial: only a process that died counts as an interruption.
    void cleanStopsAreNotInterruptions()
    {
        auto store = StudyStore::create(file("stops.psc"), m_spec.toJson());
        CancellingTrainer trainer;
        std::int64_t first = 0;
        for (int stop = 0; stop < StudyStore::kMaxInterruptions + 1; ++stop) {
            StudyRunner runner(*store, m_spec, random(), trainer, m_noData, nullptr, {10, 1, m_targets.get(), {}});
            JobContext ctx;
            trainer.study = &ctx;
            QVERIFY(runner.run(ctx).cancelled);
            const auto pending = store->trials(TrialState::Pending);
            QCOMPARE(int(pending.size()), 1);
            if (stop == 0)
                first = pending.front().id;
            QCOMPARE(pending.front().id, first); // the same trial each time, never a new one
            QCOMPARE(pending.front().interruptions, 0);
        }
        QCOMPARE(int(store->trialCounts().failed), 0);
    }

    // A store that fails in the middle of a run with two trainings at once: run() throws the store's error only
    // after the other training has stopped and returned (nothing of the runner is used after it returns), no
    // trial is left Running, and resume finishes the study.
    void aStoreFailureDrainsTheTrainingsInFlight()
    {
        const std::filesystem::path path = file("fault.psc");
        auto store = StudyStore::create(path, m_spec.toJson());
        class SabotagingTrainer : public ScriptedTrainer
        {
        public:
            using Trainer::train;
            std::string file;
            std::atomic<int> started{0};
            std::atomic<bool> otherReturned{false};
            TrainResult train(const NetworkDescription &n, const TrainingRecipe &r, const Dataset &d, std::uint64_t s,
                              JobContext &ctx, const EpochObserver &) override
            {
                if (started++ == 0) {
                    // The first training to run makes every later commit of a finished trial fail, as a full or
                    // failing disk would, and returns at once.
                    sqlite3 *db = nullptr;
                    sqlite3_open(file.c_str(), &db);
                    sqlite3_busy_timeout(db, 5000);
                    const int rc = sqlite3_exec(db,
                                                "CREATE TRIGGER injected BEFORE UPDATE OF state ON trials "
                                                "WHEN NEW.state = 'complete' BEGIN SELECT RAISE(ABORT, 'injected "
                                                "failure'); END",
                                                nullptr, nullptr, nullptr);
                    sqlite3_close(db);
                    if (rc != SQLITE_OK)
                        throw std::runtime_error("could not inject the failure");
                    return ScriptedTrainer::train(n, r, d, s, ctx, EpochObserver{});
                }
                // The other one is still training when the failure happens: it runs until it is stopped.
                const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
                while (!ctx.cancelled() && std::chrono::steady_clock::now() < deadline)
                    std::this_thread::yield();
                otherReturned = true;
                ctx.checkpoint();
                return ScriptedTrainer::train(n, r, d, s, ctx, EpochObserver{});
            }
        } trainer;
        trainer.file = path.string();
        StudySpec spec = m_spec;
        spec.constraints.clear(); // every candidate is trained
        QThreadPool pool;
        pool.setMaxThreadCount(2);
        {
            StudyRunner runner(*store, spec, random(), trainer, m_noData, &pool, {6, 2, m_targets.get(), {}});
            JobContext ctx;
            std::string error = "<no exception>";
            try {
                runner.run(ctx);
            } catch (const std::exception &e) {
                error = e.what();
            }
            QVERIFY2(error.find("injected failure") != std::string::npos, error.c_str());
            QVERIFY(trainer.otherReturned.load()); // stopped and returned before run() left
        }
        const TrialCounts c = store->trialCounts();
        QCOMPARE(int(c.running), 0);
        QCOMPARE(int(c.pending), 2);
        store.reset();
        pool.waitForDone();

        sqlite3 *db = nullptr;
        sqlite3_open(path.c_str(), &db);
        QCOMPARE(sqlite3_exec(db, "DROP TRIGGER injected", nullptr, nullptr, nullptr), SQLITE_OK);
        sqlite3_close(db);
        auto again = StudyStore::open(path, StudyStore::Mode::ReadWrite);
        QCOMPARE(again->integrityCheck(), std::string("ok"));
        ScriptedTrainer plain;
        QCOMPARE(run(*again, spec, plain, 6).finishedTotal, 6);
        for (const Trial &t : again->trials())
            QCOMPARE(t.interruptions, 0);
    }

    // Garbage in what a run stores for the next one is reported as a damaged study, naming the file and the key.
    void damagedRunStateIsBadInput()
    {
        const std::filesystem::path path = file("damaged.psc");
        auto store = StudyStore::create(path, m_spec.toJson());
        ScriptedTrainer trainer;
        auto errorOfRun = [&] {
            try {
                run(*store, m_spec, trainer, 2);
            } catch (const InputError &e) {
                return std::string(e.what());
            }
            return std::string("<no InputError>");
        };
        store->setMeta("elapsed_seconds", "stod-me");
        QCOMPARE(errorOfRun(), path.string() + ": the study file is damaged: study_meta \"elapsed_seconds\" should be "
                                               "a non-negative number, found \"stod-me\"");
        store->setMeta("elapsed_seconds", "0");
        store->setMeta("strategy_state", "[[[");
        const std::string e = errorOfRun();
        QVERIFY2(e.find(path.string() + ": the study file is damaged: the saved state of strategy \"random\" does "
                                        "not read back (not a random-strategy state: [[[") == 0,
                 e.c_str());
        QCOMPARE(int(store->trialCounts().total()), 0); // refused before anything ran
    }

    // Trials derived from others (compression) belong to the CompressionRunner: the search neither trains them
    // (even when they are left Pending by a killed run), nor counts them toward its budget, nor reuses their
    // results for a candidate of the same architecture and recipe.
    void derivedTrialsAreNotTheSearchs()
    {
        auto store = StudyStore::create(file("derived.psc"), m_spec.toJson());
        ScriptedTrainer trainer;
        QCOMPARE(run(*store, m_spec, trainer, 3).finishedTotal, 3);
        const Trial parent = store->trials().front();
        const std::string recipe = m_spec.training.canonicalJson();

        Trial pending;
        pending.architectureJson = parent.architectureJson;
        pending.architectureHash = "derived-pending";
        pending.parametersJson = R"({"compress": {"name": "x", "weight_bits": 4}, "parent": 0})";
        pending.recipeJson = recipe;
        pending.parentId = parent.id;
        store->insertTrial(pending);
        Trial complete = pending;
        complete.state = TrialState::Complete;
        complete.architectureHash = "derived-complete";
        store->insertTrial(complete);
        QVERIFY(!store->findCompleted("derived-complete", recipe).has_value());
        QCOMPARE(int(store->trialCounts(StudyStore::TrialKind::Derived).total()), 2);
        QCOMPARE(int(store->trialCounts(StudyStore::TrialKind::Search).finished()), 3);
        QCOMPARE(int(store->trialCounts().finished()), 4);

        const int callsBefore = trainer.calls.load();
        const StudyRunSummary s = run(*store, m_spec, trainer, 5);
        QCOMPARE(s.finishedTotal, 5); // search trials only: 3 before, 2 now
        QCOMPARE(s.trained + s.cached + s.infeasible + s.failed, 2);
        QCOMPARE(trainer.calls.load() - callsBefore, s.trained + s.failed);
        const auto again = store->trial(pending.id);
        QVERIFY(again && again->state == TrialState::Pending);
        QCOMPARE(int(store->trialCounts(StudyStore::TrialKind::Search).finished()), 5);
        // What a run would do next is counted the same way: the stored budget of 5 by search trials alone.
        QCOMPARE(StudyRunner::budgetSpent(*store, m_spec), std::string("the trial budget of 5 is reached"));
        store->setMeta("trial_budget", "7");
        QCOMPARE(StudyRunner::budgetSpent(*store, m_spec), std::string());
        store->setMeta("elapsed_seconds", "570"); // the demo spec's wall time
        QCOMPARE(StudyRunner::budgetSpent(*store, m_spec), std::string("the wall-time budget of 9.5 min is used up"));
    }

    void targetMetricsNeedAKnownTarget()
    {
        StudySpec spec = m_spec;
        spec.objectives.push_back({*parseMetricRef("latency_s@no-such-board"), Direction::Minimize});
        auto store = StudyStore::create(file("target.psc"), spec.toJson());
        ScriptedTrainer trainer;
        TargetLibrary targets(m_registry);
        targets.loadDirectory(TargetLibrary::defaultDirectory());
        try {
            StudyRunner runner(*store, spec, random(), trainer, m_noData, nullptr, {{}, 1, &targets, {}});
            QFAIL("expected an InputError");
        } catch (const InputError &e) {
            QVERIFY2(QString(e.what()).contains("unknown target \"no-such-board\"") &&
                         QString(e.what()).contains("stm32f746zg"),
                     e.what());
        }
    }

    // Objectives and constraints on hardware targets: costs are recorded per target, and a candidate that
    // breaks a constrained target's limit or bound is rejected before training.
    void targetObjectivesAndConstraints()
    {
        TargetLibrary targets(m_registry);
        targets.loadDirectory(TargetLibrary::defaultDirectory());
        StudySpec spec = m_spec;
        spec.constraints = {*parseConstraint("latency_s@stm32f746zg <= 0.004")};
        spec.objectives.push_back({*parseMetricRef("energy_j@ethos-u55-128"), Direction::Minimize});
        auto store = StudyStore::create(file("targets.psc"), spec.toJson());
        ScriptedTrainer trainer;
        StudyRunner runner(*store, spec, random(), trainer, m_noData, nullptr, {12, 1, &targets, {}});
        JobContext ctx;
        const StudyRunSummary s = runner.run(ctx);
        QCOMPARE(s.finishedTotal, 12);
        QVERIFY2(s.infeasible > 0 && s.trained > 0, "the latency bound should split the candidates");
        for (const Trial &t : store->trials()) {
            std::optional<double> latency, energy;
            for (const Metric &m : t.metrics) {
                if (m.target == "stm32f746zg" && m.name == "latency_s")
                    latency = m.value;
                if (m.target == "ethos-u55-128" && m.name == "energy_j")
                    energy = m.value;
            }
            QVERIFY(latency && *latency > 0);
            QVERIFY(energy && *energy > 0);
            if (*latency > 0.004) {
                QCOMPARE(std::string(toString(t.state)), std::string("infeasible"));
                QVERIFY2(t.error.find("latency_s@stm32f746zg = ") != std::string::npos, t.error.c_str());
            } else {
                QVERIFY(t.state != TrialState::Infeasible);
            }
        }
    }
};

QTEST_GUILESS_MAIN(TestStudyRunner)
#include "tst_studyrunner.moc"
