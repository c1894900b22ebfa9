// SPDX-License-Identifier: GPL-3.0-or-later
// The one decoder (and encoder) of a derived trial's lineage record.
#include "psc/compress/compressionconfig.h"
#include "psc/study/lineage.h"

#include <QTest>

using namespace psc;

namespace {

Trial withParameters(std::string json)
{
    Trial t;
    t.parametersJson = std::move(json);
    return t;
}

} // namespace

class TestLineage : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void decodesACompressionRecord()
    {
        const auto l = decodeLineage(withParameters(
            R"({"compress": {"name": "int4-dbb", "weight_bits": 4, "sparsity": {"pattern": "dbb", "block_size": 8},
                "layers": ["fc1", "fc2"], "per_channel": true}, "parent": 3})"));
        QVERIFY(l);
        QVERIFY(l->kind == Lineage::Kind::Compression);
        QCOMPARE(l->parentNumber, std::optional<std::int64_t>(3));
        QCOMPARE(l->variantName, std::string("int4-dbb"));
        // Keys in the record's (alphabetical) order, nested ones dotted, the name left out.
        QCOMPARE(l->variantSummary,
                 std::string("layers = [\"fc1\",\"fc2\"], per_channel = yes, sparsity.block_size = 8, "
                             "sparsity.pattern = dbb, weight_bits = 4"));
        QCOMPARE(l->variantText(), "int4-dbb (" + l->variantSummary + ")");
    }

    void partialRecords()
    {
        const auto unnamed = decodeLineage(withParameters(R"({"compress": {"weight_bits": 4}, "parent": 7})"));
        QVERIFY(unnamed);
        QCOMPARE(unnamed->variantText(), std::string("weight_bits = 4"));
        const auto orphan = decodeLineage(withParameters(R"({"compress": {"name": "int8"}})"));
        QVERIFY(orphan);
        QVERIFY(!orphan->parentNumber);
        QCOMPARE(orphan->variantText(), std::string("int8"));
        QCOMPARE(decodeLineage(withParameters(R"({"compress": {"weight_bits": 0.5}, "parent": 1})"))->variantSummary,
                 std::string("weight_bits = 0.5"));
    }

    void otherTrialsHaveNoLineage()
    {
        QVERIFY(!decodeLineage(withParameters("")));
        QVERIFY(!decodeLineage(withParameters("{}")));
        QVERIFY(!decodeLineage(withParameters(R"({"blocks.count": 2, "width": 16})")));
        QVERIFY(!decodeLineage(withParameters(R"({"compress": 4, "parent": 1})")));
        QVERIFY(!decodeLineage(withParameters("{not json")));
        QVERIFY(!decodeLineage(withParameters("[1, 2]")));
    }

    void encodeRoundTrips()
    {
        CompressionVariant v;
        v.name = "int4";
        v.weightBits = 4;
        const std::string record = encodeCompressionLineage(v.canonicalJson(), 12);
        QCOMPARE(record, std::string(R"({"compress":{"name":"int4","weight_bits":4},"parent":12})"));
        Trial t = withParameters(record);
        const auto l = decodeLineage(t);
        QVERIFY(l);
        QCOMPARE(l->parentNumber, std::optional<std::int64_t>(12));
        QCOMPARE(l->variantName, std::string("int4"));
        QCOMPARE(l->variantJson, v.canonicalJson());
        QVERIFY_THROWS_EXCEPTION(InputError, encodeCompressionLineage("[]", 1));
    }

    // An imported model's record: its key first (the store counts search trials by that), decoded back, a text for
    // people; search and compressed trials are not imported.
    void importRecords()
    {
        const std::string record = encodeImportLineage("/models/kws.tflite", "tflite", std::string(64, 'f'));
        QCOMPARE(record, R"({"imported":{"file":"/models/kws.tflite","format":"tflite","sha256":")" +
                             std::string(64, 'f') + R"("}})");
        const Trial t = withParameters(record);
        QVERIFY(isImported(t));
        const auto l = decodeLineage(t);
        QVERIFY(l && l->kind == Lineage::Kind::Imported);
        QCOMPARE(l->importedFile, std::string("/models/kws.tflite"));
        QCOMPARE(l->importedFormat, std::string("tflite"));
        QCOMPARE(l->variantText(), std::string("imported from kws.tflite"));
        QVERIFY(!l->parentNumber);
        QVERIFY(!isImported(withParameters(R"({"width": 16})")));
        QVERIFY(!isImported(withParameters(encodeCompressionLineage("{}", 3))));
        // A search parameter of that name is not a record.
        QVERIFY(!isImported(withParameters(R"({"width": 16, "imported": {}})")));
        QVERIFY(!decodeLineage(withParameters(R"({"width": 16, "imported": {}})")));
    }
};

QTEST_MAIN(TestLineage)
#include "tst_lineage.moc"
