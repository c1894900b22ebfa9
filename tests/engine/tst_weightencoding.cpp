// SPDX-License-Identifier: GPL-3.0-or-later
// Deployed weight-encoding sizes (psc/compress/weightencoding.h, docs/formats/weight-encodings.md).
#include <psc/compress/weightencoding.h>
#include <psc/core/error.h>

#include "testmodels.h"

#include <QTest>

#include <algorithm>
#include <random>
#include <vector>

namespace psc {
// Found by QCOMPARE through argument-dependent lookup: failures print the three sizes.
char *toString(const EncodedSize &s)
{
    return QTest::toString(
        QString("{values %1, index %2, total %3}").arg(s.valueBytes).arg(s.indexBytes).arg(s.totalBytes));
}
} // namespace psc

using psc::EncodedSize;
using psc::SparsityPattern;
using psc::SparsitySpec;
using psc::WeightEncoding;
using psc::WeightShape;

namespace {

using psc::testing::dbb;
using psc::testing::nm;
using psc::testing::unstructured;

const std::vector<WeightEncoding> kAll{WeightEncoding::Dense, WeightEncoding::Bitmask, WeightEncoding::Csr,
                                       WeightEncoding::Dbb, WeightEncoding::NM};

QString name(WeightEncoding e)
{
    return QString::fromUtf8(psc::toString(e).data(), qsizetype(psc::toString(e).size()));
}

EncodedSize size(WeightEncoding e, const WeightShape &s, int bits, std::int64_t nnz, const SparsitySpec &spec = {})
{
    return psc::encodedWeightSize(e, s, bits, nnz, spec);
}

struct RandomCase
{
    WeightShape shape;
    SparsitySpec blocks; ///< the DBB or N:M parameters for the block encodings
    std::int64_t capacity = 0;
};

RandomCase randomCase(std::mt19937 &rng, WeightEncoding e)
{
    std::uniform_int_distribution<int> out(1, 40), in(1, 70), kernel(0, 2), group(1, 16);
    const int k = 2 * kernel(rng) + 1;
    RandomCase c;
    c.shape = {out(rng), rng() % 4 == 0 ? 1 : in(rng), k, k};
    const int g = group(rng);
    const int bound = std::uniform_int_distribution<int>(1, g)(rng);
    c.blocks = e == WeightEncoding::NM ? nm(bound, g) : dbb(bound, g);
    c.capacity = (e == WeightEncoding::Dbb || e == WeightEncoding::NM) ? psc::expectedNonZeros(c.shape, c.blocks)
                                                                       : c.shape.count();
    return c;
}

} // namespace

class TestWeightEncoding : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void namesRoundTrip()
    {
        for (WeightEncoding e : kAll) {
            const auto parsed = psc::weightEncodingFromString(psc::toString(e));
            QVERIFY(parsed.has_value());
            QCOMPARE(name(*parsed), name(e));
        }
        QCOMPARE(name(WeightEncoding::Dense), QString("dense"));
        QCOMPARE(name(WeightEncoding::Bitmask), QString("bitmask"));
        QCOMPARE(name(WeightEncoding::Csr), QString("csr"));
        QCOMPARE(name(WeightEncoding::Dbb), QString("dbb"));
        QCOMPARE(name(WeightEncoding::NM), QString("n:m"));
        QVERIFY(!psc::weightEncodingFromString("nm").has_value());
        QVERIFY(!psc::weightEncodingFromString("Dense").has_value());
    }

    void handComputedSizesDense3x10()
    {
        // dense 3x10 = 30 weights, 12 non-zeros.
        const WeightShape s{3, 10, 1, 1};
        QCOMPARE(size(WeightEncoding::Dense, s, 8, 12), (EncodedSize{30, 0, 30}));
        QCOMPARE(size(WeightEncoding::Dense, s, 4, 12), (EncodedSize{15, 0, 15}));
        QCOMPARE(size(WeightEncoding::Dense, s, 3, 12), (EncodedSize{12, 0, 12})); // 90 bits -> 12 B
        // Bitmask: ceil(30 / 8) = 4 B of mask.
        QCOMPARE(size(WeightEncoding::Bitmask, s, 8, 12), (EncodedSize{12, 4, 16}));
        QCOMPARE(size(WeightEncoding::Bitmask, s, 3, 12), (EncodedSize{5, 4, 9})); // 36 value bits -> 5 B
        // CSR: 10 columns -> 4 bits -> 8-bit column indices (12 B), 4 row pointers of 16 bits (8 B).
        QCOMPARE(size(WeightEncoding::Csr, s, 8, 12), (EncodedSize{12, 20, 32}));
        QCOMPARE(size(WeightEncoding::Csr, s, 4, 12), (EncodedSize{6, 20, 26}));
        // DBB 2/4: per row blocks of 4, 4 and 2 -> 2 + 2 + 2 slots (18 in all), mask 4 + 4 + 2 bits (30 -> 4 B).
        QCOMPARE(size(WeightEncoding::Dbb, s, 8, 12, dbb(2, 4)), (EncodedSize{18, 4, 22}));
        QCOMPARE(size(WeightEncoding::Dbb, s, 4, 12, dbb(2, 4)), (EncodedSize{9, 4, 13}));
        // 2:4: the same 18 slots, each with a 2-bit position (36 bits -> 5 B).
        QCOMPARE(size(WeightEncoding::NM, s, 8, 12, nm(2, 4)), (EncodedSize{18, 5, 23}));
        QCOMPARE(size(WeightEncoding::NM, s, 4, 12, nm(2, 4)), (EncodedSize{9, 5, 14}));
    }

    void handComputedSizesConvAndDepthwise()
    {
        // conv 2x3x3x3 = 54 weights, 20 non-zeros; CSR columns = 27 -> 5 bits -> 8-bit indices.
        const WeightShape conv{2, 3, 3, 3};
        QCOMPARE(size(WeightEncoding::Dense, conv, 8, 20), (EncodedSize{54, 0, 54}));
        QCOMPARE(size(WeightEncoding::Bitmask, conv, 8, 20), (EncodedSize{20, 7, 27}));
        QCOMPARE(size(WeightEncoding::Csr, conv, 8, 20), (EncodedSize{20, 20 + 3 * 2, 46}));
        // DBB 1/2 over the 3 input channels of each of the 18 kernel positions: blocks {2, 1} -> 2 slots and
        // 3 mask bits per position: 36 slots, 54 mask bits (7 B).
        QCOMPARE(size(WeightEncoding::Dbb, conv, 8, 20, dbb(1, 2)), (EncodedSize{36, 7, 43}));
        // depthwise 4x1x3x3 at 1:4 over each window of 9: groups 4, 4, 1 -> 3 slots, 12 in all, 2-bit positions.
        const WeightShape dw{4, 1, 3, 3};
        QCOMPARE(size(WeightEncoding::NM, dw, 8, 12, nm(1, 4)), (EncodedSize{12, 3, 15}));
        QCOMPARE(size(WeightEncoding::Csr, dw, 8, 12), (EncodedSize{12, 12 + 5 * 2, 34}));
        // 1:1 needs no position bits at all.
        QCOMPARE(size(WeightEncoding::NM, dw, 8, 36, nm(1, 1)), (EncodedSize{36, 0, 36}));
    }

    void csrIndexWidthsFollowColumnsAndNonZeros()
    {
        // Column indices: ceil(log2 columns) rounded up to 8 / 16 / 32 bits.
        QCOMPARE(size(WeightEncoding::Csr, {1, 256, 1, 1}, 8, 10).indexBytes, std::int64_t(10 * 1 + 2 * 2));
        QCOMPARE(size(WeightEncoding::Csr, {1, 257, 1, 1}, 8, 10).indexBytes, std::int64_t(10 * 2 + 2 * 2));
        QCOMPARE(size(WeightEncoding::Csr, {1, 65536, 1, 1}, 8, 10).indexBytes, std::int64_t(10 * 2 + 2 * 2));
        QCOMPARE(size(WeightEncoding::Csr, {1, 65537, 1, 1}, 8, 10).indexBytes, std::int64_t(10 * 4 + 2 * 2));
        QCOMPARE(size(WeightEncoding::Csr, {1, 1, 1, 1}, 8, 1).indexBytes, std::int64_t(1 + 2 * 2));
        // Row pointers: 16 bits up to 65535 non-zeros, then 32.
        QCOMPARE(size(WeightEncoding::Csr, {2, 40000, 1, 1}, 8, 65535).indexBytes, std::int64_t(65535 * 2 + 3 * 2));
        QCOMPARE(size(WeightEncoding::Csr, {2, 40000, 1, 1}, 8, 65536).indexBytes, std::int64_t(65536 * 2 + 3 * 4));
    }

    void moreBitsNeverSmaller()
    {
        std::mt19937 rng(2024);
        for (WeightEncoding e : kAll) {
            for (int trial = 0; trial < 60; ++trial) {
                const RandomCase c = randomCase(rng, e);
                const std::int64_t nnz = std::uniform_int_distribution<std::int64_t>(0, c.capacity)(rng);
                for (int bits = 1; bits < 32; ++bits) {
                    const auto narrow = size(e, c.shape, bits, nnz, c.blocks);
                    const auto wide = size(e, c.shape, bits + 1, nnz, c.blocks);
                    QVERIFY2(wide.totalBytes >= narrow.totalBytes, qPrintable(name(e)));
                    QVERIFY(wide.valueBytes >= narrow.valueBytes);
                    QCOMPARE(narrow.totalBytes, narrow.valueBytes + narrow.indexBytes);
                }
            }
        }
    }

    void moreSparsityNeverLarger()
    {
        std::mt19937 rng(77);
        for (WeightEncoding e :
             {WeightEncoding::Bitmask, WeightEncoding::Csr, WeightEncoding::Dbb, WeightEncoding::NM}) {
            for (int trial = 0; trial < 40; ++trial) {
                const RandomCase c = randomCase(rng, e);
                const int bits = std::uniform_int_distribution<int>(1, 16)(rng);
                std::int64_t previous = size(e, c.shape, bits, c.capacity, c.blocks).totalBytes;
                for (std::int64_t nnz = c.capacity; nnz >= 0; --nnz) {
                    const std::int64_t now = size(e, c.shape, bits, nnz, c.blocks).totalBytes;
                    QVERIFY2(now <= previous, qPrintable(name(e)));
                    previous = now;
                }
            }
        }
        // Sparser bitmask / CSR tensors really are smaller; DBB / N:M sizes are fixed by their slots.
        const WeightShape s{8, 64, 1, 1};
        QVERIFY(size(WeightEncoding::Bitmask, s, 8, 100).totalBytes <
                size(WeightEncoding::Bitmask, s, 8, 200).totalBytes);
        QVERIFY(size(WeightEncoding::Csr, s, 8, 100).totalBytes < size(WeightEncoding::Csr, s, 8, 200).totalBytes);
        QCOMPARE(size(WeightEncoding::Dbb, s, 8, 10, dbb(4, 8)), size(WeightEncoding::Dbb, s, 8, 256, dbb(4, 8)));
    }

    void deployedBytesNeverExceedDense()
    {
        std::mt19937 rng(31);
        std::uniform_real_distribution<double> fraction(0.0, 0.999);
        for (int trial = 0; trial < 400; ++trial) {
            const int kind = trial % 4;
            const RandomCase c = randomCase(rng, kind == 3 ? WeightEncoding::NM : WeightEncoding::Dbb);
            SparsitySpec spec = kind == 0 ? unstructured(fraction(rng)) : kind == 1 ? SparsitySpec{} : c.blocks;
            const std::int64_t nnz = psc::expectedNonZeros(c.shape, spec);
            const int bits = std::uniform_int_distribution<int>(1, 16)(rng);
            const std::int64_t dense = size(WeightEncoding::Dense, c.shape, bits, nnz).totalBytes;
            const std::int64_t deployed = psc::deployedWeightBytes(c.shape, bits, spec, nnz);
            QVERIFY(deployed <= dense);
            const WeightEncoding used = psc::deployedEncoding(c.shape, bits, spec, nnz);
            QCOMPARE(deployed, size(used, c.shape, bits, nnz, spec).totalBytes);
            if (kind == 0) { // the smallest of bitmask, CSR and dense
                const std::int64_t best = std::min({dense, size(WeightEncoding::Bitmask, c.shape, bits, nnz).totalBytes,
                                                    size(WeightEncoding::Csr, c.shape, bits, nnz).totalBytes});
                QCOMPARE(deployed, best);
            }
        }
    }

    void encodingChoices()
    {
        QCOMPARE(name(psc::defaultEncoding(SparsitySpec{})), name(WeightEncoding::Dense));
        QCOMPARE(name(psc::defaultEncoding(unstructured(0.5))), name(WeightEncoding::Bitmask));
        QCOMPARE(name(psc::defaultEncoding(dbb(4, 8))), name(WeightEncoding::Dbb));
        QCOMPARE(name(psc::defaultEncoding(nm(2, 4))), name(WeightEncoding::NM));
        SparsitySpec channel;
        channel.pattern = SparsityPattern::ChannelStructured;
        channel.fraction = 0.5;
        QCOMPARE(name(psc::defaultEncoding(channel)), name(WeightEncoding::Dense));
        QCOMPARE(psc::deployedWeightBytes({4, 8, 3, 3}, 8, channel, 144), std::int64_t(288));

        // 4x1000 at int8: 10 non-zeros -> CSR (10 + 10 * 2 + 5 * 2 = 40 B) beats the 500 B mask.
        const WeightShape s{4, 1000, 1, 1};
        QCOMPARE(name(psc::smallestUnstructuredEncoding(s, 8, 10)), name(WeightEncoding::Csr));
        QCOMPARE(psc::deployedWeightBytes(s, 8, unstructured(0.9975), 10), std::int64_t(40));
        // 3000 non-zeros -> bitmask (3500 B) beats CSR (9010 B) and dense (4000 B).
        QCOMPARE(name(psc::smallestUnstructuredEncoding(s, 8, 3000)), name(WeightEncoding::Bitmask));
        QCOMPARE(psc::deployedWeightBytes(s, 8, unstructured(0.25), 3000), std::int64_t(3500));
        // 3900 non-zeros -> bitmask would be 4400 B: dense (4000 B) is used.
        QCOMPARE(name(psc::deployedEncoding(s, 8, unstructured(0.025), 3900)), name(WeightEncoding::Dense));
        QCOMPARE(psc::deployedWeightBytes(s, 8, unstructured(0.025), 3900), std::int64_t(4000));

        // DBB 4/8 at int8 on 4x16: 32 slots + 64 mask bits = 40 B < 64 B dense.
        QCOMPARE(name(psc::deployedEncoding({4, 16, 1, 1}, 8, dbb(4, 8), 32)), name(WeightEncoding::Dbb));
        QCOMPARE(psc::deployedWeightBytes({4, 16, 1, 1}, 8, dbb(4, 8), 32), std::int64_t(40));
        // DBB 7/8 at 4 bits: 28 value bits (4 B) + 1 B mask > 4 B dense -> dense.
        QCOMPARE(name(psc::deployedEncoding({1, 8, 1, 1}, 4, dbb(7, 8), 7)), name(WeightEncoding::Dense));
        QCOMPARE(psc::deployedWeightBytes({1, 8, 1, 1}, 4, dbb(7, 8), 7), std::int64_t(4));
        // 2:4 at int8 on 1x16: 8 values + 16 position bits = 10 B < 16 B.
        QCOMPARE(psc::deployedWeightBytes({1, 16, 1, 1}, 8, nm(2, 4), 8), std::int64_t(10));
    }

    void badInputIsRejected()
    {
        const WeightShape s{2, 8, 1, 1};
        QVERIFY_THROWS_EXCEPTION(psc::InputError, size(WeightEncoding::Dense, s, 0, 4));
        QVERIFY_THROWS_EXCEPTION(psc::InputError, size(WeightEncoding::Dense, s, 33, 4));
        QVERIFY_THROWS_EXCEPTION(psc::InputError, size(WeightEncoding::Bitmask, s, 8, 17));
        QVERIFY_THROWS_EXCEPTION(psc::InputError, size(WeightEncoding::Csr, s, 8, -1));
        QVERIFY_THROWS_EXCEPTION(psc::InputError, size(WeightEncoding::Csr, {2, 0, 1, 1}, 8, 0));
        // 2/8 on 2x8 has 4 slots: 5 non-zeros cannot be encoded.
        QVERIFY_THROWS_EXCEPTION(psc::InputError, size(WeightEncoding::Dbb, s, 8, 5, dbb(2, 8)));
        QCOMPARE(size(WeightEncoding::Dbb, s, 8, 4, dbb(2, 8)).totalBytes, std::int64_t(4 + 2));
        QVERIFY_THROWS_EXCEPTION(psc::InputError, size(WeightEncoding::Dbb, s, 8, 4, dbb(9, 8)));
        QVERIFY_THROWS_EXCEPTION(psc::InputError, size(WeightEncoding::NM, s, 8, 4, SparsitySpec{}));
    }
};

QTEST_GUILESS_MAIN(TestWeightEncoding)
#include "tst_weightencoding.moc"
