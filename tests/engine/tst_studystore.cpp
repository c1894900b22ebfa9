// SPDX-License-Identifier: GPL-3.0-or-later
#include "psc/core/error.h"
#include "psc/study/studyschema.h"
#include "psc/study/studystore.h"

#include "studyfaulthelpers.h"

#include <QCoreApplication>
#include <QCryptographicHash>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <cmath>
#include <limits>

using namespace psc;
using psc::testing::messageOf;
using psc::testing::readAll;
using psc::testing::sha256;
using psc::testing::writeFile;
namespace fs = std::filesystem;

namespace {

const std::string kSpec = R"({"name": "demo", "budget": 10})";

QString q(const std::string &text)
{
    return QString::fromStdString(text);
}

// QCOMPARE on TrialState itself would find psc::toString() by ADL instead of QTest::toString().
QString name(TrialState state)
{
    const std::string_view text = toString(state);
    return QString::fromUtf8(text.data(), qsizetype(text.size()));
}

/** Overwrites a big-endian 32-bit header field, as a different writer of the file would have set it. */
void patchHeader(const fs::path &file, int offset, std::uint32_t value)
{
    QByteArray bytes = readAll(file);
    QVERIFY(bytes.size() >= 100);
    for (int i = 0; i < 4; ++i)
        bytes[offset + i] = static_cast<char>((value >> (24 - 8 * i)) & 0xff);
    writeFile(file, bytes);
}

std::uint32_t headerField(const fs::path &file, int offset)
{
    const QByteArray bytes = readAll(file);
    std::uint32_t value = 0;
    for (int i = 0; i < 4; ++i)
        value = (value << 8) | static_cast<unsigned char>(bytes.at(offset + i));
    return value;
}

Trial sampleTrial(int i)
{
    Trial trial;
    trial.architectureJson = R"({"layers": [)" + std::to_string(i) + "]}";
    trial.architectureHash = "hash" + std::to_string(i);
    trial.parametersJson = R"({"width": )" + std::to_string(i) + "}";
    trial.recipeJson = R"({"epochs": 3})";
    return trial;
}

std::vector<Metric> sampleMetrics(int count, double base)
{
    std::vector<Metric> metrics;
    for (int k = 0; k < count; ++k)
        metrics.push_back({k % 2 ? "mcu" : "", std::string("m").append(std::to_string(k)), base + k});
    return metrics;
}

} // namespace

class TestStudyStore : public QObject
{
    Q_OBJECT

private:
    fs::path file(const char *name) const { return fs::path(m_dir.path().toStdString()) / name; }
    QTemporaryDir m_dir;

private Q_SLOTS:
    void initTestCase() { QVERIFY(m_dir.isValid()); }

    void createSetsPragmasAndMeta()
    {
        const fs::path path = file("create.psc");
        {
            auto store = StudyStore::create(path, kSpec);
            QCOMPARE(store->schemaVersion(), studySchemaVersion());
            QCOMPARE(store->schemaVersion(), 7);
            QCOMPARE(store->path(), path);
            QCOMPARE(q(store->specJson()), q(kSpec));
            QCOMPARE(q(store->meta("name").value_or("")), QStringLiteral("demo"));
            QCOMPARE(q(store->meta("created_with").value_or("")), QStringLiteral("Paretoscope " PSC_VERSION));
            QVERIFY(store->meta("created_at").has_value());
            QVERIFY(!store->meta("no_such_key").has_value());
            QCOMPARE(q(store->integrityCheck()), QStringLiteral("ok"));
        }
        QCOMPARE(headerField(path, 68), std::uint32_t(kStudyApplicationId)); // PRAGMA application_id
        QCOMPARE(headerField(path, 60), std::uint32_t(7));                   // PRAGMA user_version
        const QByteArray header = readAll(path).left(20);
        QCOMPARE(int(header.at(18)), 2); // write and read versions 2: WAL mode
        QCOMPARE(int(header.at(19)), 2);
        int entries = 0; // no temporary or side files left behind once closed
        for ([[maybe_unused]] const auto &entry : fs::directory_iterator(path.parent_path()))
            ++entries;
        QCOMPARE(entries, 1);
        fs::remove(path);
    }

    void trialRoundTrip()
    {
        const fs::path path = file("roundtrip.psc");
        auto store = StudyStore::create(path, kSpec);
        Trial parent = sampleTrial(1);
        store->insertTrial(parent);
        QVERIFY(parent.id > 0);
        QCOMPARE(parent.number, 0);
        QVERIFY(parent.createdAt > 1.6e9);

        Trial child = sampleTrial(2);
        child.number = 42; // ignored: the store numbers trials
        child.parentId = parent.id;
        child.createdAt = 1700000000.25;
        child.proposedBy = "mobo:model";
        child.metrics = {{"", "params", 1234}, {"mcu", "latency_s", 0.5}};
        const std::int64_t id = store->insertTrial(child);
        QCOMPARE(child.id, id);
        QCOMPARE(child.number, 1);

        store->markRunning(id, 1700000001.5);
        const double inf = std::numeric_limits<double>::infinity();
        const std::vector<Metric> results = {
            {"", "accuracy", 0.875}, {"", "loss", inf}, {"", "nan_metric", std::nan("")}, {"mcu", "latency_s", 0.25}};
        store->finishTrial(id, TrialState::Complete, results, "warning text", 1700000002.75, parent.id);

        for (int pass = 0; pass < 2; ++pass) {
            const auto got = store->trial(id);
            QVERIFY(got.has_value());
            QCOMPARE(got->id, id);
            QCOMPARE(got->number, 1);
            QCOMPARE(name(got->state), name(TrialState::Complete));
            QCOMPARE(q(got->architectureJson), q(child.architectureJson));
            QCOMPARE(q(got->architectureHash), q(child.architectureHash));
            QCOMPARE(q(got->parametersJson), q(child.parametersJson));
            QCOMPARE(q(got->recipeJson), q(child.recipeJson));
            QCOMPARE(got->parentId, std::optional<std::int64_t>(parent.id));
            QCOMPARE(got->cachedFrom, std::optional<std::int64_t>(parent.id));
            QCOMPARE(q(got->error), QStringLiteral("warning text"));
            QCOMPARE(got->createdAt, 1700000000.25);
            QCOMPARE(got->startedAt, 1700000001.5);
            QCOMPARE(got->finishedAt, 1700000002.75);
            QCOMPARE(q(got->proposedBy), QStringLiteral("mobo:model"));
            // Ordered by (target, name); finishing replaced mcu/latency_s and kept params.
            QCOMPARE(got->metrics.size(), std::size_t(5));
            QCOMPARE(got->metrics[0], (Metric{"", "accuracy", 0.875}));
            QCOMPARE(got->metrics[1], (Metric{"", "loss", inf}));
            QCOMPARE(q(got->metrics[2].name), QStringLiteral("nan_metric"));
            QVERIFY(std::isnan(got->metrics[2].value)); // stored as NULL, read back as NaN
            QCOMPARE(got->metrics[3], (Metric{"", "params", 1234}));
            QCOMPARE(got->metrics[4], (Metric{"mcu", "latency_s", 0.25}));

            const auto all = store->trials();
            QCOMPARE(all.size(), std::size_t(2));
            QCOMPARE(all[0].id, parent.id);
            QCOMPARE(all[0].startedAt, 0.0);
            QVERIFY(all[0].metrics.empty());
            QCOMPARE(all[1].metrics.size(), std::size_t(5));
            QVERIFY(!store->trial(id + 100).has_value());
            store.reset(); // the second pass reads what a fresh connection finds in the file
            store = StudyStore::open(path, pass == 0 ? StudyStore::Mode::ReadOnly : StudyStore::Mode::ReadWrite);
        }
    }

    void stateTransitionsAreGuarded()
    {
        auto store = StudyStore::create(file("states.psc"), kSpec);
        Trial trial = sampleTrial(1);
        const auto id = store->insertTrial(trial);
        const std::string label = file("states.psc").string();
        QCOMPARE(q(messageOf<std::invalid_argument>([&] { store->finishTrial(id, TrialState::Running, {}, "", 1.0); })),
                 QStringLiteral(
                     "finishing a trial needs a final state (complete, failed, infeasible or pruned), not running"));
        store->markRunning(id, 1.0);
        QCOMPARE(q(messageOf<RuntimeError>([&] { store->markRunning(id, 2.0); })),
                 q(label + ": trial #0 (id " + std::to_string(id) + ") is running, expected pending"));
        store->finishTrial(id, TrialState::Failed, {}, "NaN loss", 3.0);
        QCOMPARE(q(messageOf<RuntimeError>([&] { store->finishTrial(id, TrialState::Complete, {}, "", 4.0); })),
                 q(label + ": trial #0 (id " + std::to_string(id) + ") is failed, expected pending or running"));
        QCOMPARE(q(messageOf<RuntimeError>([&] { store->markRunning(999, 1.0); })),
                 q(label + ": no trial with id 999"));
        Trial orphan = sampleTrial(2);
        orphan.parentId = 999;
        QCOMPARE(q(messageOf<RuntimeError>([&] { store->insertTrial(orphan); })), q(label + ": no trial with id 999"));
        QCOMPARE(store->trials().size(), std::size_t(1)); // the failed insert left nothing behind

        // Pending -> Infeasible directly, as a constraint check before training does.
        Trial infeasible = sampleTrial(3);
        store->insertTrial(infeasible);
        store->finishTrial(infeasible.id, TrialState::Infeasible, {{"", "params", 1e9}}, "params > 1e6", 5.0);
        const TrialCounts counts = store->trialCounts();
        QCOMPARE(counts.failed, 1);
        QCOMPARE(counts.infeasible, 1);
        QCOMPARE(counts.finished(), 2);
        QCOMPARE(counts.total(), 2);
        QCOMPARE(store->trials(TrialState::Infeasible).at(0).metrics.size(), std::size_t(1));

        auto reader = StudyStore::open(file("states.psc"), StudyStore::Mode::ReadOnly);
        QCOMPARE(q(messageOf<RuntimeError>([&] { reader->setMeta("k", "v"); })),
                 q(label + ": the study is open read-only"));
        Trial more = sampleTrial(4);
        QVERIFY(messageOf<RuntimeError>([&] { reader->insertTrial(more); }).find("read-only") != std::string::npos);
    }

    void trialStateNames()
    {
        for (TrialState state : {TrialState::Pending, TrialState::Running, TrialState::Complete, TrialState::Failed,
                                 TrialState::Infeasible, TrialState::Pruned})
            QCOMPARE(trialStateFromString(toString(state)), std::optional<TrialState>(state));
        QCOMPARE(name(TrialState::Complete), QStringLiteral("complete"));
        QVERIFY(!trialStateFromString("Complete").has_value());
    }

    void artifactsRoundTrip()
    {
        auto store = StudyStore::create(file("artifacts.psc"), kSpec);
        Trial trial = sampleTrial(1);
        const auto id = store->insertTrial(trial);
        std::vector<std::uint8_t> weights(300000);
        for (std::size_t i = 0; i < weights.size(); ++i)
            weights[i] = static_cast<std::uint8_t>(i * 7 + 3);
        store->putArtifact(id, "weights", "psc-weights-v1", weights);
        store->putArtifact(id, "empty", "none", {});
        QCOMPARE(store->artifact(id, "weights"), std::optional(weights));
        QCOMPARE(store->artifact(id, "empty"), std::optional(std::vector<std::uint8_t>{}));
        QVERIFY(!store->artifact(id, "tflite").has_value());
        store->putArtifact(id, "weights", "psc-weights-v2", {1, 2, 3}); // replaces
        QCOMPARE(store->artifact(id, "weights"), std::optional(std::vector<std::uint8_t>{1, 2, 3}));
        const auto list = store->artifacts(id);
        QCOMPARE(list.size(), std::size_t(2));
        QCOMPARE(q(list[1].kind), QStringLiteral("weights"));
        QCOMPARE(q(list[1].format), QStringLiteral("psc-weights-v2"));
        QCOMPARE(list[1].size, 3);
        QCOMPARE(list[0].size, 0);
        QVERIFY(messageOf<RuntimeError>([&] {
                    store->putArtifact(id + 1, "weights", "x", {1});
                }).find("no trial with id") != std::string::npos);
    }

    void cacheLookup()
    {
        auto store = StudyStore::create(file("cache.psc"), kSpec);
        Trial failed = sampleTrial(7);
        store->insertTrial(failed);
        store->finishTrial(failed.id, TrialState::Failed, {}, "NaN loss", 1.0);
        QVERIFY(!store->findCompleted("hash7", R"({"epochs": 3})").has_value());

        Trial original = sampleTrial(7);
        store->insertTrial(original);
        store->markRunning(original.id, 2.0);
        QVERIFY(!store->findCompleted("hash7", R"({"epochs": 3})").has_value()); // running is not a result
        store->finishTrial(original.id, TrialState::Complete, {{"", "accuracy", 0.9}}, "", 3.0);

        // A later cache hit copies the results; the lookup still answers with the original.
        const auto hit = store->findCompleted("hash7", R"({"epochs": 3})");
        QVERIFY(hit.has_value());
        QCOMPARE(hit->id, original.id);
        Trial copy = sampleTrial(7);
        copy.state = TrialState::Complete;
        copy.cachedFrom = hit->id;
        copy.metrics = hit->metrics;
        store->insertTrial(copy);
        QCOMPARE(store->findCompleted("hash7", R"({"epochs": 3})")->id, original.id);
        QCOMPARE(store->trial(copy.id)->metrics, hit->metrics);
        QVERIFY(!store->findCompleted("hash7", R"({"epochs": 4})").has_value());
        QVERIFY(!store->findCompleted("hash8", R"({"epochs": 3})").has_value());
    }

    void recoverInterrupted()
    {
        const fs::path path = file("recover.psc");
        auto store = StudyStore::create(path, kSpec);
        Trial done = sampleTrial(1), running = sampleTrial(2), pending = sampleTrial(3);
        store->insertTrial(done);
        store->finishTrial(done.id, TrialState::Complete, {{"", "accuracy", 0.5}}, "", 1.0);
        store->insertTrial(running);
        store->insertTrial(pending);
        store->markRunning(running.id, 2.0);
        store->putMetrics(running.id, {{"mcu", "latency_s", 0.1}});
        store->putArtifact(running.id, "checkpoint", "raw", {1, 2});
        QCOMPARE(store->trialCounts().running, 1);
        store.reset(); // the process "dies" here

        for (int round = 1; round <= StudyStore::kMaxInterruptions; ++round) {
            store = StudyStore::open(path, StudyStore::Mode::ReadWrite);
            QCOMPARE(store->recoverInterrupted(), 1);
            QCOMPARE(store->recoverInterrupted(), 0);
            const auto trial = store->trial(running.id);
            QCOMPARE(trial->interruptions, round);
            if (round < StudyStore::kMaxInterruptions) {
                QCOMPARE(name(trial->state), name(TrialState::Pending));
                QCOMPARE(trial->startedAt, 0.0);
                QCOMPARE(trial->metrics.size(), std::size_t(1)); // pre-training metrics are kept
                QVERIFY(store->artifacts(running.id).empty());   // outputs of the lost run are not
                store->markRunning(running.id, 10.0 + round);
            } else {
                QCOMPARE(name(trial->state), name(TrialState::Failed));
                QVERIFY(trial->error.find("interrupted 3 times") == 0);
                QVERIFY(trial->finishedAt > 0);
            }
            store.reset();
        }
        store = StudyStore::open(path, StudyStore::Mode::ReadWrite);
        QCOMPARE(name(store->trial(done.id)->state), name(TrialState::Complete));
        QCOMPARE(name(store->trial(pending.id)->state), name(TrialState::Pending));
        const TrialCounts counts = store->trialCounts();
        QCOMPARE(counts.complete, 1);
        QCOMPARE(counts.failed, 1);
        QCOMPARE(counts.pending, 1);
        QCOMPARE(counts.running, 0);
    }

    void metaValues()
    {
        auto store = StudyStore::create(file("meta.psc"), kSpec);
        store->setMeta("strategy_state", R"({"seed": 1})");
        store->setMeta("strategy_state", R"({"seed": 2})");
        QCOMPARE(q(store->meta("strategy_state").value()), QStringLiteral(R"({"seed": 2})"));
        QVERIFY(messageOf<std::invalid_argument>([&] { store->setMeta("", "x"); }) != "no exception");
        store.reset();
        QCOMPARE(q(StudyStore::open(file("meta.psc"), StudyStore::Mode::ReadOnly)->meta("strategy_state").value()),
                 QStringLiteral(R"({"seed": 2})"));
    }

    void changesSinceAndBatches()
    {
        auto store = StudyStore::create(file("changes.psc"), kSpec);
        auto changes = store->changesSince(0);
        QVERIFY(changes.trials.empty());
        QCOMPARE(changes.revision, 0);
        Trial a = sampleTrial(1), b = sampleTrial(2);
        store->insertTrial(a);
        store->insertTrial(b);
        changes = store->changesSince(0);
        QCOMPARE(changes.trials.size(), std::size_t(2));
        const auto seen = changes.revision;
        QVERIFY(store->changesSince(seen).trials.empty());
        store->markRunning(a.id, 1.0);
        changes = store->changesSince(seen);
        QCOMPARE(changes.trials.size(), std::size_t(1));
        QCOMPARE(changes.trials[0].id, a.id);
        QCOMPARE(name(changes.trials[0].state), name(TrialState::Running));
        QVERIFY(changes.revision > seen);

        // A batch commits all or nothing.
        const std::string failure = messageOf<std::runtime_error>([&] {
            store->writeBatch([&] {
                Trial c = sampleTrial(3);
                store->insertTrial(c);
                store->finishTrials({{a.id, TrialState::Complete, {{"", "accuracy", 1}}, "", 2.0, {}}});
                throw std::runtime_error("abandon");
            });
        });
        QCOMPARE(q(failure), QStringLiteral("abandon"));
        QCOMPARE(store->trials().size(), std::size_t(2));
        QCOMPARE(name(store->trial(a.id)->state), name(TrialState::Running));
        // finishTrials is all-or-nothing too: b is pending, so finishing it is fine, a twice is not.
        QVERIFY(messageOf<RuntimeError>([&] {
                    store->finishTrials(
                        {{a.id, TrialState::Complete, {}, "", 2.0, {}}, {a.id, TrialState::Complete, {}, "", 2.0, {}}});
                }) != "no exception");
        QCOMPARE(name(store->trial(a.id)->state), name(TrialState::Running));
        store->finishTrials(
            {{a.id, TrialState::Complete, {}, "", 2.0, {}}, {b.id, TrialState::Failed, {}, "x", 3.0, {}}});
        QCOMPARE(store->trialCounts().finished(), 2);
    }

    // A study deleted while open leaves its WAL behind; a new study at that path must not inherit it.
    void createIgnoresOrphanedWal()
    {
        const fs::path path = file("reborn.psc");
        {
            auto old = StudyStore::create(path, kSpec);
            Trial t = sampleTrial(1);
            old->insertTrial(t);
            QVERIFY(fs::exists(path.string() + "-wal"));
            // Simulate the user deleting the study while the process still has it open (then dying).
            fs::copy_file(path.string() + "-wal", path.string() + "-wal.keep");
            fs::copy_file(path.string() + "-shm", path.string() + "-shm.keep");
        }
        fs::remove(path);
        fs::rename(path.string() + "-wal.keep", path.string() + "-wal");
        fs::rename(path.string() + "-shm.keep", path.string() + "-shm");
        auto fresh = StudyStore::create(path, kSpec);
        QCOMPARE(fresh->trials().size(), std::size_t(0));
        QCOMPARE(QString::fromStdString(fresh->integrityCheck()), QStringLiteral("ok"));
    }

    void oneWriterAtATime()
    {
        const fs::path path = file("locked.psc");
        auto writer = StudyStore::create(path, kSpec);
        try {
            StudyStore::open(path, StudyStore::Mode::ReadWrite);
            QFAIL("a second writer was let in");
        } catch (const RuntimeError &e) {
            QVERIFY2(QString(e.what()).contains("is being written by") &&
                         QString(e.what()).contains(QString::number(QCoreApplication::applicationPid())),
                     e.what());
        }
        QVERIFY(StudyStore::open(path, StudyStore::Mode::ReadOnly) != nullptr); // readers are welcome
        writer.reset();
        QVERIFY(StudyStore::open(path, StudyStore::Mode::ReadWrite) != nullptr); // released with the writer
    }

    void readerSeesWriterCommits()
    {
        const fs::path path = file("concurrent.psc");
        auto writer = StudyStore::create(path, kSpec);
        Trial first = sampleTrial(1);
        writer->insertTrial(first);
        auto reader = StudyStore::open(path, StudyStore::Mode::ReadOnly);
        QCOMPARE(reader->trials().size(), std::size_t(1));
        const auto seen = reader->changesSince(0).revision;

        // The reader stays open; the writer keeps committing without being blocked by it.
        writer->markRunning(first.id, 1.0);
        writer->finishTrial(first.id, TrialState::Complete, sampleMetrics(10, 0.5), "", 2.0);
        for (int i = 2; i < 5; ++i) {
            Trial trial = sampleTrial(i);
            writer->insertTrial(trial);
        }
        const auto changes = reader->changesSince(seen);
        QCOMPARE(changes.trials.size(), std::size_t(4));
        QCOMPARE(name(changes.trials[0].state), name(TrialState::Complete));
        QCOMPARE(changes.trials[0].metrics.size(), std::size_t(10));
        QCOMPARE(reader->trialCounts().total(), 4);
        QCOMPARE(q(reader->integrityCheck()), QStringLiteral("ok"));

        // A second reader opened while the writer runs, and the reader outliving the writer.
        auto lateReader = StudyStore::open(path, StudyStore::Mode::ReadOnly);
        QCOMPARE(lateReader->trials().size(), std::size_t(4));
        writer.reset();
        QCOMPARE(reader->trials().size(), std::size_t(4));
    }

    void readOnlyNeverWrites()
    {
        const fs::path path = file("readonly.psc");
        {
            auto store = StudyStore::create(path, kSpec);
            Trial trial = sampleTrial(1);
            store->insertTrial(trial);
        }
        const QByteArray before = sha256(path);
        {
            auto reader = StudyStore::open(path, StudyStore::Mode::ReadOnly);
            QCOMPARE(reader->trials().size(), std::size_t(1));
            QCOMPARE(q(reader->integrityCheck()), QStringLiteral("ok"));
        }
        QCOMPARE(sha256(path), before);
    }

    void refusesFilesThatAreNotStudies_data()
    {
        QTest::addColumn<QByteArray>("bytes");
        QTest::addColumn<QString>("why");
        const QString notSqlite = QStringLiteral("it is not an SQLite database");
        QTest::newRow("text") << QByteArray("name,accuracy\nnet1,0.9\n") << notSqlite;
        QTest::newRow("png") << QByteArray("\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16).leftJustified(4096, '\x42')
                             << notSqlite;
        QTest::newRow("short-magic") << QByteArray("SQLite format 3") << notSqlite;
        QTest::newRow("empty") << QByteArray() << QStringLiteral("the file is empty");
    }

    void refusesFilesThatAreNotStudies()
    {
        QFETCH(QByteArray, bytes);
        QFETCH(QString, why);
        const fs::path path = file("notastudy.bin");
        writeFile(path, bytes);
        const QString expected = q(path.string()) + ": not a Paretoscope study: " + why +
                                 " (expected an SQLite database with application_id 0x5053434F, as written by "
                                 "Paretoscope)";
        for (auto mode : {StudyStore::Mode::ReadWrite, StudyStore::Mode::ReadOnly})
            QCOMPARE(q(messageOf<InputError>([&] { StudyStore::open(path, mode); })), expected);
        QCOMPARE(readAll(path), bytes);
        QVERIFY(!fs::exists(path.string() + "-wal") && !fs::exists(path.string() + "-shm"));
        fs::remove(path);
    }

    void refusesOtherSqliteDatabases()
    {
        for (std::uint32_t applicationId : {0u, 0x0f055112u}) { // none set; another application's (GeoPackage)
            const fs::path path = file("other.sqlite");
            StudyStore::create(path, kSpec).reset();
            patchHeader(path, 68, applicationId);
            const QByteArray before = sha256(path);
            char hex[16];
            std::snprintf(hex, sizeof hex, "0x%08X", applicationId);
            const QString expected = q(path.string()) +
                                     ": not a Paretoscope study: it is an SQLite database of another application "
                                     "(application_id " +
                                     hex +
                                     ") (expected an SQLite database with application_id "
                                     "0x5053434F, as written by Paretoscope)";
            for (auto mode : {StudyStore::Mode::ReadWrite, StudyStore::Mode::ReadOnly})
                QCOMPARE(q(messageOf<InputError>([&] { StudyStore::open(path, mode); })), expected);
            QCOMPARE(sha256(path), before);
            fs::remove(path);
        }
    }

    void refusesDamagedSqliteFile()
    {
        // An SQLite magic and our application_id, garbage elsewhere: only SQLite can tell, and it must not write.
        const fs::path path = file("damaged.psc");
        QByteArray bytes(8192, '\xA5');
        bytes.replace(0, 16, QByteArray("SQLite format 3", 16));
        writeFile(path, bytes);
        patchHeader(path, 68, kStudyApplicationId);
        patchHeader(path, 60, std::uint32_t(studySchemaVersion()));
        const QByteArray before = sha256(path);
        for (auto mode : {StudyStore::Mode::ReadWrite, StudyStore::Mode::ReadOnly}) {
            const std::string message = messageOf<InputError>([&] { StudyStore::open(path, mode); });
            QVERIFY2(message.find(path.string() + ": the study file is damaged") == 0, message.c_str());
        }
        QCOMPARE(sha256(path), before);
    }

    void refusesNewerSchema()
    {
        const fs::path path = file("future.psc");
        StudyStore::create(path, kSpec).reset();
        const int future = studySchemaVersion() + 1;
        patchHeader(path, 60, std::uint32_t(future)); // PRAGMA user_version, as a future Paretoscope leaves it
        const QByteArray before = sha256(path);
        const QString expected = q(path.string()) + ": study schema version " + QString::number(future) +
                                 " is newer than this Paretoscope supports (" + QString::number(studySchemaVersion()) +
                                 "); upgrade Paretoscope";
        for (auto mode : {StudyStore::Mode::ReadWrite, StudyStore::Mode::ReadOnly})
            QCOMPARE(q(messageOf<InputError>([&] { StudyStore::open(path, mode); })), expected);
        QCOMPARE(sha256(path), before);
        QVERIFY(!fs::exists(path.string() + "-wal") && !fs::exists(path.string() + "-shm"));
    }

    void refusesMissingPathsAndOverwrites()
    {
        const fs::path missing = file("missing.psc");
        QCOMPARE(q(messageOf<InputError>([&] { StudyStore::open(missing, StudyStore::Mode::ReadWrite); })),
                 q(missing.string() + ": no such study file"));
        QVERIFY(!fs::exists(missing));
        QCOMPARE(q(messageOf<InputError>([&] { StudyStore::open(file(""), StudyStore::Mode::ReadOnly); })),
                 q(file("").string() + ": is a directory, not a study file"));

        const fs::path existing = file("existing.txt");
        writeFile(existing, "keep me");
        QCOMPARE(
            q(messageOf<InputError>([&] { StudyStore::create(existing, kSpec); })),
            q(existing.string() + ": already exists; a new study needs a new file name (nothing was overwritten)"));
        QCOMPARE(readAll(existing), QByteArray("keep me"));
        const fs::path study = file("existing.psc");
        StudyStore::create(study, kSpec).reset();
        const QByteArray before = sha256(study);
        QVERIFY(messageOf<InputError>([&] { StudyStore::create(study, kSpec); }).find("already exists") !=
                std::string::npos);
        QCOMPARE(sha256(study), before);

        const fs::path nowhere = file("no/such/dir/x.psc");
        QVERIFY(messageOf<InputError>([&] { StudyStore::create(nowhere, kSpec); }).find("does not exist") !=
                std::string::npos);
        QVERIFY(messageOf<InputError>([&] {
                    StudyStore::create(file("bad.psc"), "[1, 2]");
                }).find("its spec must be a JSON object") != std::string::npos);
        QVERIFY(messageOf<InputError>([&] {
                    StudyStore::create(file("bad.psc"), "{oops");
                }).find("its spec is not valid JSON") != std::string::npos);
        QVERIFY(!fs::exists(file("bad.psc")));
    }

    // Export records: stored with the trial, read back in order, refused for an unknown trial.
    void exportRecordsRoundTrip()
    {
        auto store = StudyStore::create(file("exports.psc"), kSpec);
        Trial trial = sampleTrial(1);
        const auto id = store->insertTrial(trial);
        QVERIFY(store->exports(id).empty());
        ExportRecord r;
        r.trialId = id;
        r.format = "c";
        r.path = "/tmp/m.c";
        r.bytes = 1234;
        r.sha256 = std::string(64, 'a');
        r.warnings = {"layer fc: 50 % unstructured sparsity stored dense"};
        r.figuresJson = R"({"arena_bytes":2048.0})";
        const auto first = store->addExport(r);
        r.format = "tflite";
        r.warnings.clear();
        const auto second = store->addExport(r);
        QVERIFY(second > first);
        const std::vector<ExportRecord> got = store->exports(id);
        QCOMPARE(got.size(), std::size_t(2));
        QCOMPARE(got[0].id, first);
        QCOMPARE(got[0].format, std::string("c"));
        QCOMPARE(got[0].bytes, std::int64_t(1234));
        QCOMPARE(got[0].warnings, std::vector<std::string>{"layer fc: 50 % unstructured sparsity stored dense"});
        QCOMPARE(got[0].figuresJson, std::string(R"({"arena_bytes":2048.0})"));
        QVERIFY(got[0].createdAt > 0);
        QCOMPARE(got[1].format, std::string("tflite"));
        QVERIFY(got[1].warnings.empty());
        r.trialId = id + 100;
        QVERIFY(!messageOf<InputError>([&] { store->addExport(r); }).empty());
        r.trialId = id;
        r.sha256 = "short"; // the schema's CHECK refuses it
        QVERIFY(messageOf<InputError>([&] { store->addExport(r); }) != "no exception");
    }

    // A version 3 study (before early stopping) is read as it is, then upgraded in place: the trials table is rebuilt
    // for the 'pruned' state with every row, reference and metric intact, and learning curves round-trip.
    void version3StudyUpgradesToPrunedStateAndCurves()
    {
        const fs::path path = file("v3.psc");
        {
            psc::testing::RawDb raw(path);
            std::string sql =
                "PRAGMA journal_mode = WAL; PRAGMA application_id = " + std::to_string(kStudyApplicationId) +
                "; BEGIN;";
            for (int step = 0; step < 3; ++step)
                sql += std::string(studySchemaMigrations()[std::size_t(step)].sql);
            sql += "INSERT INTO study_meta VALUES ('spec_json', '{}'), ('name', 'old');"
                   "INSERT INTO trials (id, number, state, architecture_json, architecture_hash, parameters_json, "
                   "recipe_json, revision, created_at) VALUES (1, 0, 'complete', '{}', 'h0', '{}', '{}', 1, 1.0), "
                   "(2, 1, 'running', '{}', 'h1', '{}', '{}', 2, 2.0);"
                   "UPDATE trials SET parent_id = 1 WHERE id = 2;"
                   "INSERT INTO metrics VALUES (1, '', 'accuracy', 0.75);"
                   "COMMIT; PRAGMA user_version = 3;";
            QCOMPARE(q(raw.exec(sql)), QString());
        }
        {
            auto reader = StudyStore::open(path, StudyStore::Mode::ReadOnly);
            QCOMPARE(reader->schemaVersion(), 3);
            const auto trials = reader->trials();
            QCOMPARE(trials.size(), std::size_t(2));
            QVERIFY(trials[0].learningCurve.empty());
            QCOMPARE(trials[0].proposedBy, std::string()); // no such column before version 6
        }
        {
            auto reader = StudyStore::open(path, StudyStore::Mode::ReadOnly);
            QVERIFY(reader->analogAccuracy().empty()); // no table yet
        }
        auto store = StudyStore::open(path, StudyStore::Mode::ReadWrite);
        QCOMPARE(store->schemaVersion(), 7);
        QCOMPARE(q(store->integrityCheck()), QStringLiteral("ok"));
        std::vector<Trial> trials = store->trials();
        QCOMPARE(trials.size(), std::size_t(2));
        QCOMPARE(trials[0].metrics, (std::vector<Metric>{{"", "accuracy", 0.75}}));
        QCOMPARE(trials[1].parentId, std::optional<std::int64_t>(1));
        QVERIFY(trials[1].state == TrialState::Running);

        store->writeBatch([&] {
            store->finishTrial(2, TrialState::Pruned, {{"", "accuracy", 0.5}}, "", 3.0);
            store->putLearningCurve(2, {0.25, 0.5});
        });
        const Trial pruned = *store->trial(2);
        QVERIFY(pruned.state == TrialState::Pruned);
        QCOMPARE(pruned.learningCurve, (std::vector<double>{0.25, 0.5}));
        QCOMPARE(store->trials(TrialState::Pruned).at(0).learningCurve, (std::vector<double>{0.25, 0.5}));
        QCOMPARE(store->changesSince(0).trials.at(1).learningCurve, (std::vector<double>{0.25, 0.5}));
        QCOMPARE(store->trialCounts().pruned, std::int64_t(1));
        QCOMPARE(store->trialCounts().finished(), std::int64_t(2));
        store->putLearningCurve(2, {0.5}); // replaces
        QCOMPARE(store->trial(2)->learningCurve, std::vector<double>{0.5});
        QVERIFY(messageOf<std::invalid_argument>([&] { store->putLearningCurve(2, {std::nan("")}); }) !=
                "no exception");

        // Version 5: analog accuracy, replaced per (trial, target, compensation, time).
        AnalogRecord day{1, "aon-cim", 86400.0, "global", 2, 100, 7, 0.8, 0.01, {0.79, 0.81}};
        AnalogRecord hour = day;
        hour.seconds = 3600.0;
        hour.mean = 0.85;
        store->putAnalogAccuracy({day, hour});
        day.mean = 0.7;
        store->putAnalogAccuracy({day});
        const std::vector<AnalogRecord> analog = store->analogAccuracy(1);
        QCOMPARE(analog.size(), std::size_t(2));
        QCOMPARE(analog[0].seconds, 3600.0);
        QCOMPARE(analog[1].mean, 0.7);
        QCOMPARE(analog[1].draws, (std::vector<double>{0.79, 0.81}));
        QVERIFY(analog[1].createdAt > 0.0);
        QVERIFY(store->analogAccuracy(2).empty());
        AnalogRecord bad = day;
        bad.seconds = 0.0;
        QVERIFY(messageOf<std::invalid_argument>([&] { store->putAnalogAccuracy({bad}); }) != "no exception");
        bad = day;
        bad.compensation = "perfect";
        QVERIFY(messageOf<std::invalid_argument>([&] { store->putAnalogAccuracy({bad}); }) != "no exception");
        bad = day;
        bad.trialId = 99;
        QVERIFY(messageOf<RuntimeError>([&] { store->putAnalogAccuracy({bad}); }) != "no exception");
        QCOMPARE(store->analogAccuracy().size(), std::size_t(2)); // the failed batch wrote nothing
        QCOMPARE(q(store->integrityCheck()), QStringLiteral("ok"));
    }

    void migrationAppliesInjectedStep()
    {
        const fs::path path = file("migrate.psc");
        {
            auto store = StudyStore::create(path, kSpec);
            Trial trial = sampleTrial(1);
            trial.metrics = {{"", "accuracy", 0.5}};
            store->insertTrial(trial);
        }
        std::vector<SchemaMigration> steps(studySchemaMigrations().begin(), studySchemaMigrations().end());
        const int v = studySchemaVersion(); // the file's version; the injected step makes v + 1
        const auto n = [](int version) { return std::to_string(version); };

        // Read-only reads a file whose upgrade only adds to it as it is (oldestReadOnlySchemaVersion()), and
        // changes nothing.
        steps.push_back({v, "add notes",
                         "ALTER TABLE trials ADD COLUMN note TEXT NOT NULL DEFAULT 'none'; "
                         "INSERT INTO study_meta (key, value) VALUES ('migrated', 'yes');"});
        QByteArray before = sha256(path);
        {
            auto reader = StudyStore::open(path, StudyStore::Mode::ReadOnly, steps);
            QCOMPARE(reader->schemaVersion(), v);
            QCOMPARE(reader->trials().size(), std::size_t(1));
            QVERIFY(!reader->meta("migrated"));
        }
        QCOMPARE(sha256(path), before);
        QVERIFY(oldestReadOnlySchemaVersion() <= v);

        // A failing step rolls the whole upgrade back, including the steps before it.
        std::vector<SchemaMigration> broken = steps;
        broken.push_back({v + 1, "broken", "CREATE TABLE half (x); SELECT no_such_function();"});
        const std::string failure =
            messageOf<RuntimeError>([&] { StudyStore::open(path, StudyStore::Mode::ReadWrite, broken); });
        QVERIFY2(failure.find("step " + n(v + 1) + " -> " + n(v + 2) + ", broken") != std::string::npos,
                 failure.c_str());
        QVERIFY2(failure.find("the study was left unchanged") != std::string::npos, failure.c_str());
        QCOMPARE(sha256(path), before);
        QCOMPARE(StudyStore::open(path, StudyStore::Mode::ReadOnly)->schemaVersion(), v);

        {
            auto store = StudyStore::open(path, StudyStore::Mode::ReadWrite, steps);
            QCOMPARE(store->schemaVersion(), v + 1);
            QCOMPARE(q(store->meta("migrated").value_or("")), QStringLiteral("yes"));
            QCOMPARE(store->trials().at(0).metrics.size(), std::size_t(1));
            Trial trial = sampleTrial(2); // the old INSERT still works with the defaulted new column
            store->insertTrial(trial);
            QCOMPARE(q(store->integrityCheck()), QStringLiteral("ok"));

            // While the upgraded writer is open the new version is only in the WAL, not the file header:
            // the SQLite-level check must refuse, and must not checkpoint the WAL into the file.
            before = sha256(path);
            QCOMPARE(headerField(path, 60), std::uint32_t(v));
            QCOMPARE(q(messageOf<InputError>([&] { StudyStore::open(path, StudyStore::Mode::ReadWrite); })),
                     q(path.string() + ": study schema version " + n(v + 1) +
                       " is newer than this Paretoscope supports (" + n(v) + "); upgrade Paretoscope"));
            QCOMPARE(sha256(path), before);
        }
        QCOMPARE(headerField(path, 60), std::uint32_t(v + 1));
        QCOMPARE(StudyStore::open(path, StudyStore::Mode::ReadOnly, steps)->trials().size(), std::size_t(2));
        before = sha256(path);
        QVERIFY(messageOf<InputError>([&] {
                    StudyStore::open(path, StudyStore::Mode::ReadWrite);
                }).find("version " + n(v + 1) + " is newer") != std::string::npos);
        QCOMPARE(sha256(path), before);

        std::vector<SchemaMigration> gap = steps;
        gap[std::size_t(v)].fromVersion = v + 1;
        QVERIFY(messageOf<std::invalid_argument>([&] {
                    StudyStore::open(path, StudyStore::Mode::ReadWrite, gap);
                }).find("fromVersion " + n(v + 1)) != std::string::npos);
    }

    // Many trials, written both ways a runner writes them, read back whole (the timings: bench/bench_studystore).
    void manyTrialsRoundTrip()
    {
        auto store = StudyStore::create(file("bulk.psc"), kSpec);
        const int count = 1000;
        for (int i = 0; i < count; ++i) { // one transaction per call, as a study runner does
            Trial trial = sampleTrial(i % 500);
            const auto id = store->insertTrial(trial);
            store->markRunning(id, 1.0);
            store->finishTrial(id, TrialState::Complete, sampleMetrics(10, i), "", 2.0);
        }
        store->writeBatch([&] {
            for (int i = 0; i < count; ++i) {
                Trial trial = sampleTrial(i % 500);
                trial.state = TrialState::Complete;
                trial.metrics = sampleMetrics(10, i);
                store->insertTrial(trial);
            }
        });
        const auto all = store->trials();
        QCOMPARE(all.size(), std::size_t(2 * count));
        QCOMPARE(all.back().number, 2 * count - 1);
        QCOMPARE(all.back().metrics.size(), std::size_t(10));
        const auto &m = all[7].metrics;
        const auto m3 = std::find_if(m.begin(), m.end(), [](const Metric &x) { return x.name == "m3"; });
        QVERIFY(m3 != m.end());
        QCOMPARE(m3->target, std::string("mcu"));
        QCOMPARE(m3->value, 7.0 + 3);
        QCOMPARE(store->trialCounts().complete, std::int64_t(2 * count));
        QCOMPARE(store->findCompleted("hash3", R"({"epochs": 3})")->number, 3);
    }
};

QTEST_APPLESS_MAIN(TestStudyStore)
#include "tst_studystore.moc"
