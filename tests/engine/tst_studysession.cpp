// SPDX-License-Identifier: GPL-3.0-or-later
// StudySession: a spec that is refused creates nothing; a session runs the search and compression through the one
// trial pipeline and leaves a study file that is complete on its own once closed. Training is scripted.
#include "psc/compress/compressionconfig.h"
#include "psc/core/error.h"
#include "psc/jobs/jobcontext.h"
#include "psc/net/analysis.h"
#include "psc/net/networkparser.h"
#include "psc/quant/trainedmodel.h"
#include "psc/study/studysession.h"
#include "psc/study/studystore.h"
#include "psc/train/trainer.h"

#include "testsupport.h"

#include <QTemporaryDir>
#include <QTest>

#include <atomic>
#include <filesystem>

using namespace psc;
using psc::test::errorOf;

namespace {

/** Accuracy from the parameter count; counts calls. Its weights are not a TrainedModel (no deployed accuracy). */
class CountingTrainer : public Trainer
{
public:
    using Trainer::train;
    TrainResult train(const NetworkDescription &network, const TrainingRecipe &, const Dataset &, std::uint64_t,
                      JobContext &ctx, const EpochObserver &) override
    {
        ctx.checkpoint();
        ++calls;
        TrainResult r;
        r.validationAccuracy = 1.0 - 1000.0 / double(analyzeNetwork(network).totalParams + 1000);
        r.testAccuracy = r.validationAccuracy;
        r.weights = {1, 2, 3};
        r.weightsFormat = "scripted";
        return r;
    }
    TrainResult fineTune(const TrainedModel &start, const TrainingRecipe &recipe, const Dataset &data,
                         std::uint64_t seed, JobContext &ctx) override
    {
        TrainResult r = train(start.network, recipe, data, seed, ctx);
        r.weights = serializeTrainedModel(start);
        r.weightsFormat = kTrainedModelFormat;
        return r;
    }
    std::atomic<int> calls{0};
};

} // namespace

class TestStudySession : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;
    StudySpec m_spec;

    std::filesystem::path file(const char *name) const { return m_dir.filePath(name).toStdString(); }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        m_spec = StudySpec::fromFile(PSC_SOURCE_DIR "/resources/studies/fashion-mnist-demo.json");
        m_spec.task.path = qEnvironmentVariable("PSC_FASHION_MNIST_DIR").toStdString();
    }

    void aRefusedSpecCreatesNothing()
    {
        StudySpec unknownTarget = m_spec;
        unknownTarget.objectives.push_back({*parseMetricRef("latency_s@no-such-board"), Direction::Minimize});
        QVERIFY(errorOf([&] {
                    StudySession::create(file("t.psc"), unknownTarget, {});
                }).find("unknown target \"no-such-board\"") != std::string::npos);
        StudySpec unknownStrategy = m_spec;
        unknownStrategy.strategy.id = "annealing";
        const std::string e = errorOf([&] { StudySession::create(file("s.psc"), unknownStrategy, {}); });
        QVERIFY2(e.find("unknown strategy \"annealing\" (available: random") != std::string::npos, e.c_str());
        StudySpec noData = m_spec;
        noData.task.path = file("no-such-dir");
        QVERIFY(errorOf([&] { StudySession::create(file("d.psc"), noData, {}); }) != "<no InputError>");
        for (const char *name : {"t.psc", "s.psc", "d.psc"})
            for (const char *suffix : {"", "-wal", "-shm", ".lock"})
                QVERIFY2(!std::filesystem::exists(file(name).string() + suffix), name);
    }

    // Search and compression through one session; after it closes, the study file alone (no -wal beside it, as a
    // user would send it) holds every trial.
    void searchAndCompressThenTheFileAloneHoldsEverything()
    {
        StudySpec spec = m_spec;
        spec.constraints.clear();
        CountingTrainer trainer;
        std::int64_t trials = 0;
        {
            auto session = StudySession::create(file("study.psc"), spec, {nullptr, 2, {}});
            JobContext ctx;
            int reported = 0;
            const StudyRunSummary s = session->search(trainer, 4, ctx, [&](const Trial &) { ++reported; });
            QCOMPARE(s.finishedTotal, 4);
            QCOMPARE(reported, 4);
            QCOMPARE(StudySession::describe(s).substr(0, 10), std::string(std::to_string(s.trained) + " trained,"));
            trials = session->store().trialCounts().total();
        }
        QVERIFY(std::filesystem::exists(file("study.psc")));
        const std::filesystem::path copy = file("copy.psc");
        std::filesystem::copy_file(file("study.psc"), copy);
        auto reopened = StudyStore::open(copy, StudyStore::Mode::ReadOnly);
        QCOMPARE(reopened->trialCounts().total(), trials);
        QCOMPARE(reopened->meta("trial_budget").value_or(""), std::string("4"));
    }

    void aResumeContinuesToTheStoredBudget()
    {
        StudySpec spec = m_spec;
        spec.constraints.clear();
        CountingTrainer trainer;
        {
            auto session = StudySession::create(file("budget.psc"), spec, {});
            JobContext ctx;
            trainer.calls = 0;
            // Stopped by the user after the second trial.
            session->search(trainer, 5, ctx, [&](const Trial &) {
                if (session->store().trialCounts().finished() == 2)
                    ctx.cancel();
            });
        }
        auto session = StudySession::open(file("budget.psc"), {});
        JobContext ctx;
        const StudyRunSummary s = session->search(trainer, std::nullopt, ctx);
        QCOMPARE(s.finishedTotal, 5); // --trials 5 of the first run, not the spec's 24
        QVERIFY(s.budgetReached);
    }

    void compressionIsCheckedBeforeAnythingIsWritten()
    {
        StudySpec spec = m_spec;
        spec.constraints.clear();
        CountingTrainer trainer;
        auto session = StudySession::create(file("compress.psc"), spec, {});
        JobContext ctx;
        session->search(trainer, 1, ctx);
        const CompressionConfig config =
            CompressionConfig::fromJson(R"({"variants": [{"name": "int4", "weight_bits": 4}]})", "c.json");
        // The scripted search trial has no TrainedModel: refused with the trial named, nothing written.
        const auto before = session->store().trialCounts().total();
        const std::string e = errorOf([&] { session->checkCompression(0, config); });
        QVERIFY2(e.find("trial 0") != std::string::npos, e.c_str());
        QVERIFY(errorOf([&] { session->compress(trainer, 0, config, ctx); }) == e);
        QCOMPARE(session->store().trialCounts().total(), before);
    }
};

QTEST_GUILESS_MAIN(TestStudySession)
#include "tst_studysession.moc"
