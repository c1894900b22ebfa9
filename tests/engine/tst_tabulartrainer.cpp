// SPDX-License-Identifier: GPL-3.0-or-later
// Tabular benchmarks: a study's complete trials become a table that reads back equal; the trainer answers from it
// epoch by epoch (early stopping included) and refuses what the table cannot answer; a malformed table is bad input.
#include "psc/core/error.h"
#include "psc/data/dataset.h"
#include "psc/jobs/jobcontext.h"
#include "psc/net/networkparser.h"
#include "psc/space/searchspace.h"
#include "psc/study/studyspec.h"
#include "psc/study/studystore.h"
#include "psc/train/tabulartrainer.h"

#include <QFile>
#include <QTemporaryDir>
#include <QTest>

using namespace psc;

namespace {

std::string errorOf(const std::function<void()> &f)
{
    try {
        f();
    } catch (const InputError &e) {
        return e.what();
    }
    return "no InputError";
}

} // namespace

class TestTabularTrainer : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;
    StudySpec m_spec;
    SearchSpace m_space{SearchSpace::fromFile(PSC_SOURCE_DIR "/resources/spaces/fashion-mnist-tabular.json")};

    std::filesystem::path file(const char *name) const { return m_dir.filePath(name).toStdString(); }

    /** A study with three complete trials of the tabular space, with curves; trial 1 is a cache hit. */
    std::unique_ptr<StudyStore> study(const char *name)
    {
        auto store = StudyStore::create(file(name), m_spec.toJson());
        for (int i = 0; i < 3; ++i) {
            std::vector<int> x(m_space.dimensions().size(), i % 2);
            if (i == 2)
                x.back() = 2; // 75 % sparsity: another network than trial 0's
            const DecodedCandidate c = m_space.decode(x);
            Trial t;
            t.architectureJson = networkToJson(c.network, false);
            t.architectureHash = c.architectureHash;
            t.parametersJson = c.parametersJson;
            t.recipeJson = m_spec.training.canonicalJson();
            if (i == 1)
                t.cachedFrom = 1;
            const auto id = store->insertTrial(t);
            store->markRunning(id, 1.0);
            store->writeBatch([&] {
                store->finishTrial(id, TrialState::Complete,
                                   {{"", "accuracy", 0.7 + 0.01 * i},
                                    {"", "test_accuracy", 0.69},
                                    {"", "quantized_accuracy", 0.68},
                                    {"", "deployed_accuracy", 0.67},
                                    {"", "train_seconds", 8.0},
                                    {"", "weight_bytes", 1000.0 + i}},
                                   "", 2.0);
                store->putLearningCurve(id, {0.5, 0.6, 0.65, 0.7 + 0.01 * i});
            });
        }
        return store;
    }

private Q_SLOTS:
    void initTestCase()
    {
        m_spec = StudySpec::fromFile(PSC_SOURCE_DIR "/resources/studies/fashion-mnist-tabular-table.json");
    }

    void tabulatedStudyReadsBackAndAnswers()
    {
        auto store = study("t.psc");
        const TabularTable table = tabulate(*store);
        QCOMPARE(table.rows.size(), std::size_t(2)); // the cache hit is no training of its own
        QCOMPARE(table.epochs, 4);
        QCOMPARE(table.rows[0].curve, (std::vector<double>{0.5, 0.6, 0.65, 0.7}));
        QCOMPARE(table.rows[0].metrics.count("weight_bytes"), std::size_t(1));
        QCOMPARE(table.rows[0].metrics.count("accuracy"), std::size_t(0)); // trained values are fields, not metrics
        const std::filesystem::path path = file("t.json");
        QFile out(QString::fromStdString(path.string()));
        QVERIFY(out.open(QIODevice::WriteOnly));
        out.write(QByteArray::fromStdString(table.toJson()));
        out.close();
        const TabularTable back = TabularTable::fromFile(path);
        QCOMPARE(back.toJson(), table.toJson());

        TabularTrainer trainer(back);
        const NetworkDescription net = parseNetworkJson(store->trials()[2].architectureJson, "trial 2");
        JobContext ctx;
        const Dataset none;
        const TrainResult r = trainer.train(net, m_spec.training, none, 1, ctx);
        QCOMPARE(r.validationCurve, (std::vector<double>{0.5, 0.6, 0.65, 0.72}));
        QCOMPARE(r.deployedTestAccuracy, 0.67);
        QCOMPARE(r.trainSeconds, 8.0);
        QVERIFY(!r.stoppedEarly);
        // Early stopping sees the curve epoch by epoch and stops where told: a quarter of the training time.
        std::vector<int> seen;
        const TrainResult stopped = trainer.train(net, m_spec.training, none, 1, ctx, [&](int e, double) {
            seen.push_back(e);
            return e < 1;
        });
        QVERIFY(stopped.stoppedEarly);
        QCOMPARE(seen, std::vector<int>{1});
        QCOMPARE(stopped.validationCurve, std::vector<double>{0.5});
        QCOMPARE(stopped.trainSeconds, 2.0);

        TrainingRecipe other = m_spec.training;
        other.epochs = 3;
        QVERIFY(errorOf([&] { trainer.train(net, other, none, 1, ctx); }).find("was trained for 4 epochs") !=
                std::string::npos);
        NetworkDescription unknown = net;
        unknown.layers.pop_back();
        QVERIFY(errorOf([&] {
                    trainer.train(unknown, m_spec.training, none, 1, ctx);
                }).find("is not in the tabular benchmark") != std::string::npos);
    }

    void malformedTablesAreBadInput()
    {
        auto store = study("m.psc");
        std::string text = tabulate(*store).toJson();
        const auto at = text.find("\"curve\":[0.5,");
        QVERIFY(at != std::string::npos);
        text.replace(at, 13, "\"curve\":[");
        const std::filesystem::path path = file("bad.json");
        QFile out(QString::fromStdString(path.string()));
        QVERIFY(out.open(QIODevice::WriteOnly));
        out.write(QByteArray::fromStdString(text));
        out.close();
        const std::string message = errorOf([&] { TabularTable::fromFile(path); });
        QVERIFY2(message.find("bad.json:6:") != std::string::npos &&
                     message.find("/rows/0/curve: expected 4 values (\"epochs\"), got 3") != std::string::npos,
                 message.c_str());
        // The same network twice would make the lookup ambiguous.
        std::string twice = tabulate(*store).toJson();
        const auto first = twice.find("\"architecture_hash\":\"") + 21;
        const auto second = twice.find("\"architecture_hash\":\"", first) + 21;
        twice.replace(second, 64, twice.substr(first, 64));
        QFile dup(m_dir.filePath("dup.json"));
        QVERIFY(dup.open(QIODevice::WriteOnly));
        dup.write(QByteArray::fromStdString(twice));
        dup.close();
        const std::string duplicate = errorOf([&] { TabularTable::fromFile(file("dup.json")); });
        QVERIFY2(duplicate.find("/rows/1/architecture_hash: the same network as /rows/0") != std::string::npos,
                 duplicate.c_str());
        auto empty = StudyStore::create(file("empty.psc"), m_spec.toJson());
        QVERIFY(errorOf([&] { tabulate(*empty); }).find("no complete search trial to tabulate") != std::string::npos);
    }
};

QTEST_GUILESS_MAIN(TestTabularTrainer)
#include "tst_tabulartrainer.moc"
