// SPDX-License-Identifier: GPL-3.0-or-later
// The study store on a PostgreSQL server: the same calls leave the same study as in a file, copies between the two
// are exact, one writer per study, and bad locations are refused with messages that name them (never a password).
#include "psc/core/error.h"
#include "psc/study/studylocation.h"
#include "psc/study/studyschema.h"
#include "psc/study/studystore.h"

#include "postgrestest.h"
#include "testsupport.h"

#include <QCryptographicHash>
#include <QTemporaryDir>
#include <QTest>

#include <libpq-fe.h>

#include <cmath>
#include <cstdio>
#include <limits>
#include <random>

using namespace psc;
namespace fs = std::filesystem;

namespace {

const std::string kSpec = R"({"name": "server demo", "budget": 10})";

std::string number(double v)
{
    char text[40];
    std::snprintf(text, sizeof text, "%.17g", v);
    return text;
}

/** Everything a store holds about its trials, as text; `times` includes the times the store itself sets. */
std::string describe(const StudyStore &store, bool times)
{
    std::string out;
    for (const Trial &t : store.trials()) {
        out += "#" + std::to_string(t.number) + " id " + std::to_string(t.id) + " " + std::string(toString(t.state)) +
               " " + t.architectureJson + " " + t.architectureHash + " " + t.parametersJson + " " + t.recipeJson +
               " by '" + t.proposedBy + "' parent " + (t.parentId ? std::to_string(*t.parentId) : "-") + " cached " +
               (t.cachedFrom ? std::to_string(*t.cachedFrom) : "-") + " error '" + t.error + "' interrupted " +
               std::to_string(t.interruptions) + " times " + number(t.createdAt) + " " + number(t.startedAt) + " " +
               number(t.finishedAt) + "\n";
        for (const Metric &m : t.metrics)
            out += "  " + m.target + "/" + m.name + " = " + number(m.value) + "\n";
        for (double v : t.learningCurve)
            out += "  curve " + number(v) + "\n";
        for (const ArtifactInfo &a : store.artifacts(t.id)) {
            const auto bytes = store.artifact(t.id, a.kind);
            const QByteArray data(reinterpret_cast<const char *>(bytes->data()), qsizetype(bytes->size()));
            out += "  artifact " + a.kind + " " + a.format + " " + std::to_string(a.size) + " " +
                   QCryptographicHash::hash(data, QCryptographicHash::Sha256).toHex().toStdString() +
                   (times ? " " + number(a.createdAt) : "") + "\n";
        }
        for (const ExportRecord &e : store.exports(t.id)) {
            out += "  export " + std::to_string(e.id) + " " + e.format + " " + e.path + " " + std::to_string(e.bytes) +
                   " " + e.sha256 + " " + e.figuresJson + (times ? " " + number(e.createdAt) : "") + "\n";
            for (const std::string &w : e.warnings)
                out += "    " + w + "\n";
        }
        for (const AnalogRecord &r : store.analogAccuracy(t.id)) {
            out += "  analog " + r.target + " " + number(r.seconds) + " " + r.compensation + " " +
                   std::to_string(r.repeats) + " " + std::to_string(r.images) + " " + std::to_string(r.seed) + " " +
                   number(r.mean) + " " + number(r.std) + (times ? " " + number(r.createdAt) : "") + "\n";
            for (double d : r.draws)
                out += "    " + number(d) + "\n";
        }
    }
    const TrialCounts counts = store.trialCounts();
    out += "counts " + std::to_string(counts.pending) + " " + std::to_string(counts.running) + " " +
           std::to_string(counts.complete) + " " + std::to_string(counts.failed) + " " +
           std::to_string(counts.infeasible) + " " + std::to_string(counts.pruned) + "\n";
    for (const char *key : {"spec_json", "name", "note", "created_with"})
        out += std::string("meta ") + key + " = " + store.meta(key).value_or("<unset>") + "\n";
    if (times)
        out += "meta created_at = " + store.meta("created_at").value_or("<unset>") + "\n";
    return out;
}

/** The same calls, whatever the backend: every kind of write the store has, and one that fails half-way. */
void exercise(StudyStore &store)
{
    std::mt19937 rng(7);
    std::vector<std::uint8_t> weights(100000);
    for (auto &b : weights)
        b = std::uint8_t(rng());
    for (int i = 0; i < 5; ++i) {
        Trial t;
        t.architectureJson = R"({"layers": [)" + std::to_string(i) + "]}";
        t.architectureHash = "hash" + std::to_string(i % 3);
        t.parametersJson = R"({"width": )" + std::to_string(i) + "}";
        t.recipeJson = R"({"epochs": 3})";
        t.proposedBy = i % 2 ? "mobo:model" : "mobo:initial";
        t.createdAt = 1700000000.25 + i;
        t.metrics = {{"", "accuracy", 0.5 + i / 10.0},
                     {"stm32f746zg", "latency_s", 1e-3 / 3.0 * (i + 1)},
                     {"", "nan_metric", std::numeric_limits<double>::quiet_NaN()}};
        if (i == 4)
            t.parentId = 1;
        store.insertTrial(t);
    }
    store.markRunning(1, 1700000100.5);
    store.finishTrial(1, TrialState::Complete, {{"", "deployed_accuracy", 0.875}}, "", 1700000200.125);
    store.putLearningCurve(1, {0.5, 0.625, 0.8125});
    store.putArtifact(1, "weights", "psc-weights-v1", weights);
    store.putArtifact(1, "empty", "none", {});
    store.finishTrials({{2, TrialState::Infeasible, {}, "too big for the SRAM", 1700000300.0, std::nullopt},
                        {3, TrialState::Complete, {{"", "accuracy", 0.99}}, "", 1700000301.0, 2}});
    store.putMetrics(2, {{"ethos-u55-128", "energy_j", 2.5e-6}});
    ExportRecord record;
    record.trialId = 2;
    record.format = "tflite";
    record.path = "/tmp/model.tflite";
    record.bytes = 12345;
    record.sha256 = std::string(64, 'a');
    record.warnings = {"4-bit weights stored as int8"};
    record.figuresJson = R"({"arena_bytes": 2048})";
    store.addExport(record);
    store.putAnalogAccuracy({{2, "pcm-crossbar", 3600.0, "global", 5, 200, 11, 0.81, 0.02, {0.8, 0.82}, 0.0}});
    store.setMeta("note", "ünïcode ✓ and 'quotes'");
    store.markRunning(4, 1700000400.0);
    store.markRunning(5, 1700000401.0);
    QVERIFY(store.returnToPending(5));
    QCOMPARE(store.recoverInterrupted(), 1); // trial 4 (id 4) was running
    QVERIFY_THROWS_EXCEPTION(std::runtime_error, store.writeBatch([&] {
        store.setMeta("note", "never committed");
        throw std::runtime_error("half-way");
    }));
}

/** A raw connection for breaking studies the way another program could. */
class RawServer
{
public:
    RawServer() : m_conn(PQconnectdb(psc::test::postgresBaseUrl().c_str())) {}
    ~RawServer() { PQfinish(m_conn); }
    bool exec(const std::string &sql)
    {
        PGresult *r = PQexec(m_conn, sql.c_str());
        const bool ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
        if (!ok)
            qWarning("%s: %s", sql.c_str(), PQerrorMessage(m_conn));
        PQclear(r);
        return ok;
    }

private:
    PGconn *m_conn;
};

std::string runtimeErrorOf(const std::function<void()> &f)
{
    try {
        f();
    } catch (const InputError &e) {
        return std::string("<InputError> ") + e.what();
    } catch (const RuntimeError &e) {
        return e.what();
    }
    return "<no RuntimeError>";
}

} // namespace

class TestStudyStorePostgres : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(!psc::test::postgresBaseUrl().empty(),
                 "no test server: run through ctest (fixture postgres), or scripts/test-postgres.sh start STATE and "
                 "set PSC_TEST_POSTGRES_STATE=STATE");
    }

    void sameCallsLeaveTheSameStudy()
    {
        QTemporaryDir dir;
        const fs::path file = dir.filePath(QStringLiteral("same.psc")).toStdString();
        const std::string url = psc::test::newServerStudy("same");
        std::string onFile, onServer;
        {
            auto store = StudyStore::create(file, kSpec);
            exercise(*store);
            onFile = describe(*store, false);
        }
        {
            auto store = StudyStore::create(url, kSpec);
            QCOMPARE(store->schemaVersion(), studySchemaVersion());
            QCOMPARE(QString::fromStdString(store->path().string()), QString::fromStdString(url));
            exercise(*store);
            onServer = describe(*store, false);
        }
        QCOMPARE(QString::fromStdString(onServer), QString::fromStdString(onFile));
        // What the file holds, as a reader sees it: the states and values the calls left.
        QVERIFY(onFile.find("#3 id 4 pending") != std::string::npos); // recovered: interrupted once, pending again
        QVERIFY(onFile.find("interrupted 1 times") != std::string::npos);
        QVERIFY(onFile.find("nan_metric = nan") != std::string::npos);
        QVERIFY(onFile.find("artifact weights psc-weights-v1 100000") != std::string::npos);
        QVERIFY(onFile.find("meta note = ünïcode ✓ and 'quotes'") != std::string::npos);

        // A reader on the server sees every commit, and only what changed since a revision.
        auto reader = StudyStore::open(url, StudyStore::Mode::ReadOnly);
        const TrialChanges all = reader->changesSince(0);
        QCOMPARE(all.trials.size(), std::size_t(5));
        auto writer = StudyStore::open(url, StudyStore::Mode::ReadWrite);
        writer->putMetrics(3, {{"", "accuracy", 0.5}});
        const TrialChanges later = reader->changesSince(all.revision);
        QCOMPARE(later.trials.size(), std::size_t(1));
        QCOMPARE(later.trials.front().id, std::int64_t(3));
        const auto cached = reader->findCompleted("hash0", R"({"epochs": 3})");
        QVERIFY(cached);
        QCOMPARE(cached->id, std::int64_t(1)); // trained, preferred over id 4 (complete, but a cache hit)
        QVERIFY_THROWS_EXCEPTION(RuntimeError, reader->setMeta("note", "x"));
    }

    void copiesAreExactBothWays()
    {
        QTemporaryDir dir;
        const fs::path file = dir.filePath(QStringLiteral("source.psc")).toStdString();
        const fs::path back = dir.filePath(QStringLiteral("back.psc")).toStdString();
        const std::string url = psc::test::newServerStudy("copy");
        {
            auto store = StudyStore::create(file, kSpec);
            exercise(*store);
        }
        QCOMPARE(StudyStore::copy(file, url), std::int64_t(5));
        QCOMPARE(StudyStore::copy(url, back), std::int64_t(5));
        const std::string original = describe(*StudyStore::open(file, StudyStore::Mode::ReadOnly), true);
        QCOMPARE(QString::fromStdString(describe(*StudyStore::open(url, StudyStore::Mode::ReadOnly), true)),
                 QString::fromStdString(original));
        QCOMPARE(QString::fromStdString(describe(*StudyStore::open(back, StudyStore::Mode::ReadOnly), true)),
                 QString::fromStdString(original));
        // The copy goes on where the original stopped: new trials and exports continue the ids.
        auto server = StudyStore::open(url, StudyStore::Mode::ReadWrite);
        Trial t;
        t.architectureJson = "{}";
        t.parametersJson = "{}";
        t.recipeJson = "{}";
        server->insertTrial(t);
        QCOMPARE(t.id, std::int64_t(6));
        QCOMPARE(t.number, std::int64_t(5));
        ExportRecord record{0, 6, "c", "/tmp/m.c", 1, std::string(64, 'b'), {}, "{}", 0.0};
        QCOMPARE(server->addExport(record), std::int64_t(2));

        // Copying onto an existing study changes nothing there.
        const std::string before = describe(*server, true);
        QVERIFY(psc::test::errorOf([&] { StudyStore::copy(file, url); }).find("already exists") != std::string::npos);
        QCOMPARE(QString::fromStdString(describe(*server, true)), QString::fromStdString(before));
    }

    void oneWriterPerStudy()
    {
        const std::string url = psc::test::newServerStudy("writer");
        auto first = StudyStore::create(url, kSpec);
        const std::string refused = runtimeErrorOf([&] { StudyStore::open(url, StudyStore::Mode::ReadWrite); });
        QVERIFY2(refused.find("another process is writing to this study (paretoscope pid ") != std::string::npos,
                 refused.c_str());
        auto reader = StudyStore::open(url, StudyStore::Mode::ReadOnly); // readers are welcome
        QCOMPARE(reader->trialCounts().total(), std::int64_t(0));
        first.reset(); // the lock goes with the connection
        QVERIFY(StudyStore::open(url, StudyStore::Mode::ReadWrite));
    }

    void workersShareTheStudy()
    {
        const std::string url = psc::test::newServerStudy("workers");
        StudyStore::create(url, kSpec).reset();
        auto a = StudyStore::open(url, StudyStore::Mode::Shared);
        auto b = StudyStore::open(url, StudyStore::Mode::Shared);
        // Workers share; the single writer of a run is refused while they are there, and a file has one writer.
        const std::string refused = runtimeErrorOf([&] { StudyStore::open(url, StudyStore::Mode::ReadWrite); });
        QVERIFY2(refused.find("another process is writing to this study") != std::string::npos, refused.c_str());
        QTemporaryDir dir;
        const fs::path file = dir.filePath(QStringLiteral("one.psc")).toStdString();
        StudyStore::create(file, kSpec).reset();
        QVERIFY(psc::test::errorOf([&] {
                    StudyStore::open(file, StudyStore::Mode::Shared);
                }).find("paretoscope copy") != std::string::npos);

        a->setWorker("host-a:1");
        b->setWorker("host-b:2");
        std::vector<std::int64_t> ids;
        for (int i = 0; i < 3; ++i) {
            Trial t;
            t.architectureJson = "{}";
            t.parametersJson = R"({"i": )" + std::to_string(i) + "}";
            t.recipeJson = "{}";
            a->insertTrial(t); // pending, held by a
            ids.push_back(t.id);
        }
        QVERIFY(!b->claimPending()); // a holds all three
        a->markRunning(ids[0], 1.0);
        QVERIFY_THROWS_EXCEPTION(RuntimeError, b->markRunning(ids[1], 1.0)); // not b's to run
        a->putArtifact(ids[0], "weights", "raw", {1, 2, 3});
        QCOMPARE(a->heartbeat(), 3);
        QCOMPARE(b->heartbeat(), 0);
        QCOMPARE(b->reapStale(60.0), 0); // a is alive

        // a dies (no more heartbeats): after the timeout its trials go back to the others, interrupted once.
        QTest::qWait(50);
        QCOMPARE(b->reapStale(0.01), 3);
        for (std::int64_t id : ids) {
            const Trial t = *b->trial(id);
            QVERIFY(t.state == TrialState::Pending);
            QCOMPARE(t.interruptions, 1);
        }
        QVERIFY(b->artifacts(ids[0]).empty()); // half a run is no result
        // Claims are atomic and in order: each trial to exactly one worker.
        const auto first = b->claimPending();
        const auto second = a->claimPending();
        QVERIFY(first && second);
        QCOMPARE(first->id, ids[0]);
        QCOMPARE(second->id, ids[1]);
        b->markRunning(first->id, 2.0);
        QCOMPARE(b->heartbeat(), 1);
        QCOMPARE(a->heartbeat(), 1);
        b->finishTrial(first->id, TrialState::Complete, {{"", "accuracy", 0.5}}, "", 3.0);
        QCOMPARE(b->heartbeat(), 0); // finished trials need no heartbeat

        // Interrupted kMaxInterruptions times, a trial fails instead of coming back for ever.
        for (int round = 1; round < StudyStore::kMaxInterruptions; ++round) {
            QTest::qWait(20);
            QVERIFY(b->reapStale(0.01) >= 1);
            const auto again = a->claimPending();
            QVERIFY(again);
        }
        QTest::qWait(20);
        QVERIFY(b->reapStale(0.01) >= 1);
        const Trial gaveUp = *b->trial(ids[1]);
        QVERIFY(gaveUp.state == TrialState::Failed);
        QVERIFY2(gaveUp.error.find("its worker stopped sending heartbeats") != std::string::npos, gaveUp.error.c_str());
        QCOMPARE(gaveUp.interruptions, StudyStore::kMaxInterruptions);
        // The slow holder's result comes too late: dropped (TrialNotHeld), the failed trial stays as it is.
        QVERIFY_THROWS_EXCEPTION(TrialNotHeld, a->finishTrial(ids[1], TrialState::Complete, {}, "", 9.0));
        QVERIFY(b->trial(ids[1])->state == TrialState::Failed);
        QVERIFY(std::abs(a->serverNow() - b->serverNow()) < 5.0); // one clock: the server's
    }

    void badLocationsAreNamed_data()
    {
        QTest::addColumn<QString>("url");
        QTest::addColumn<QString>("expected");
        const QString base = QString::fromStdString(psc::test::postgresBaseUrl());
        QTest::newRow("password") << QStringLiteral("postgresql://psc:hunter2@127.0.0.1/db?study=a")
                                  << QStringLiteral("postgresql://psc@127.0.0.1/db?study=a: the URL holds a password");
        QTest::newRow("password parameter") << QStringLiteral("postgresql://127.0.0.1/db?study=a&password=hunter2")
                                            << QStringLiteral("postgresql://127.0.0.1/db: the URL holds a password");
        QTest::newRow("no study") << base << QStringLiteral("the URL names no study: add ?study=NAME");
        QTest::newRow("bad name") << base + QStringLiteral("?study=a;drop")
                                  << QStringLiteral("study name \"a;drop\" must be 1-48 letters, digits, '_' or '-'");
        QTest::newRow("typo") << base + QStringLiteral("?study=a&sslmdoe=disable")
                              << QStringLiteral("unknown URL parameter \"sslmdoe\"; did you mean \"sslmode\"?");
        QTest::newRow("port") << QStringLiteral("postgresql://psc@127.0.0.1:54x2/db?study=a")
                              << QStringLiteral("port \"54x2\" is not a port number (1-65535)");
        QTest::newRow("no such database")
            << QStringLiteral("postgresql://psc@127.0.0.1:%1/psc_tset?study=a")
                   .arg(QString::fromStdString(psc::test::postgresState("port")))
            << QStringLiteral("cannot connect to the PostgreSQL server: connection to server at \"127.0.0.1\", "
                              "port %1 failed: FATAL:  database \"psc_tset\" does not exist")
                   .arg(QString::fromStdString(psc::test::postgresState("port")));
    }

    void badLocationsAreNamed()
    {
        QFETCH(QString, url);
        QFETCH(QString, expected);
        const std::string message =
            psc::test::errorOf([&] { StudyStore::open(url.toStdString(), StudyStore::Mode::ReadOnly); });
        QVERIFY2(message.find(expected.toStdString()) != std::string::npos, message.c_str());
        QVERIFY2(message.find("hunter2") == std::string::npos, message.c_str());
    }

    void serverProblemsAreNamed()
    {
        const std::string port = psc::test::postgresState("port");
        // Nobody listens on port 1: a runtime failure (exit 1), not the user's input.
        const std::string unreachable = runtimeErrorOf([] {
            StudyStore::open(std::string("postgresql://psc@127.0.0.1:1/psc_test?study=a"), StudyStore::Mode::ReadOnly);
        });
        QVERIFY2(unreachable.rfind("postgresql://psc@127.0.0.1:1/psc_test?study=a: cannot connect to the PostgreSQL "
                                   "server: connection to server at \"127.0.0.1\", port 1 failed: Connection refused",
                                   0) == 0,
                 unreachable.c_str());
        // A wrong password (from PGPASSWORD, as documented) is the user's to fix, and never repeated.
        qputenv("PGPASSWORD", "wrong-horse-battery");
        const std::string denied = psc::test::errorOf([&] {
            StudyStore::open("postgresql://pscpw@127.0.0.1:" + port + "/psc_test?study=a", StudyStore::Mode::ReadOnly);
        });
        QVERIFY2(denied.find("password authentication failed for user \"pscpw\"") != std::string::npos, denied.c_str());
        QVERIFY(denied.find("wrong-horse") == std::string::npos);
        // The right one works: the study is not there, and the message says which are.
        qputenv("PGPASSWORD", "right-horse-battery");
        const std::string url = psc::test::newServerStudy("named");
        StudyStore::create(url, kSpec).reset();
        const std::string misspelt = url.substr(0, url.size() - 1);
        const std::string missing = psc::test::errorOf([&] {
            StudyStore::open("postgresql://pscpw@127.0.0.1:" + port +
                                 "/psc_test?study=" + misspelt.substr(misspelt.find("study=") + 6),
                             StudyStore::Mode::ReadOnly);
        });
        qunsetenv("PGPASSWORD");
        QVERIFY2(missing.find("no study named") != std::string::npos, missing.c_str());
        QVERIFY2(missing.find("did you mean \"" + url.substr(url.find("study=") + 6) + "\"?") != std::string::npos,
                 missing.c_str());
    }

    void damagedStudiesAreRefused()
    {
        RawServer raw;
        // A schema of the right name that is not a study.
        const std::string plain = psc::test::newServerStudy("plain");
        const std::string plainName = plain.substr(plain.find("study=") + 6);
        QVERIFY(raw.exec("CREATE SCHEMA \"psc_" + plainName + "\""));
        std::string message = psc::test::errorOf([&] { StudyStore::open(plain, StudyStore::Mode::ReadOnly); });
        QVERIFY2(message.find("is not a Paretoscope study (it has no psc_schema table, or it is empty)") !=
                     std::string::npos,
                 message.c_str());

        // A study from a newer Paretoscope: refused, and left as it was.
        const std::string newer = psc::test::newServerStudy("newer");
        StudyStore::create(newer, kSpec).reset();
        const std::string newerName = "psc_" + newer.substr(newer.find("study=") + 6);
        QVERIFY(raw.exec("UPDATE \"" + newerName + "\".psc_schema SET version = 99"));
        message = psc::test::errorOf([&] { StudyStore::open(newer, StudyStore::Mode::ReadWrite); });
        QVERIFY2(message.find("study schema version 99 is newer than this Paretoscope supports") != std::string::npos,
                 message.c_str());

        // A table dropped by hand.
        const std::string broken = psc::test::newServerStudy("broken");
        StudyStore::create(broken, kSpec).reset();
        QVERIFY(raw.exec("DROP TABLE \"psc_" + broken.substr(broken.find("study=") + 6) + "\".learning_curves"));
        message = psc::test::errorOf([&] { StudyStore::open(broken, StudyStore::Mode::ReadOnly); });
        QVERIFY2(message.find("not a complete study: table learning_curves is missing") != std::string::npos,
                 message.c_str());

        // Creating over an existing study: refused, nothing changed.
        message = psc::test::errorOf([&] { StudyStore::create(broken, R"({"name": "other"})"); });
        QVERIFY2(message.find("already exists") != std::string::npos, message.c_str());
    }

    void parsesAndPrintsLocations()
    {
        const StudyLocation l = StudyLocation::parse("postgres://ana@[::1]:6543/lab%20db?study=kws-m4&sslmode=require");
        QCOMPARE(QString::fromStdString(l.user), QStringLiteral("ana"));
        QCOMPARE(QString::fromStdString(l.host), QStringLiteral("::1"));
        QCOMPARE(QString::fromStdString(l.port), QStringLiteral("6543"));
        QCOMPARE(QString::fromStdString(l.database), QStringLiteral("lab db"));
        QCOMPARE(QString::fromStdString(l.schema()), QStringLiteral("psc_kws-m4"));
        QCOMPARE(QString::fromStdString(l.url()),
                 QStringLiteral("postgresql://ana@[::1]:6543/lab%20db?study=kws-m4&sslmode=require"));
        const StudyLocation socket = StudyLocation::parse("postgresql://%2Fvar%2Frun%2Fpostgresql/db?study=s");
        QCOMPARE(QString::fromStdString(socket.host), QStringLiteral("/var/run/postgresql"));
        QVERIFY(StudyLocation::isUrl("postgresql://"));
        QVERIFY(!StudyLocation::isUrl("study.psc"));
    }
};

QTEST_GUILESS_MAIN(TestStudyStorePostgres)
#include "tst_studystorepostgres.moc"
