// SPDX-License-Identifier: GPL-3.0-or-later
// The flat, allocation-light list of a cost estimate's model-specific metrics.
#include <psc/plugin/hardwaretarget.h>

#include <QTest>

#include <stdexcept>
#include <string>
#include <vector>

using psc::plugin::ExtraMetrics;

class TestExtraMetrics : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void insertsLooksUpAndOverwrites()
    {
        ExtraMetrics m;
        QVERIFY(m.empty());
        m["tops_per_w"] = 8.5;
        m["cycles"] = 100.0;
        m["tops_per_w"] = 9.0; // the same name again overwrites
        QCOMPARE(m.size(), std::size_t(2));
        QCOMPARE(m.at("tops_per_w"), 9.0);
        QCOMPARE(m.count("cycles"), std::size_t(1));
        QCOMPARE(m.count("cycle"), std::size_t(0)); // a prefix is not a match
        QVERIFY(!m.value("cycles_").has_value());
        QVERIFY_THROWS_EXCEPTION(std::out_of_range, m.at("missing"));
    }

    void iteratesInInsertionOrder()
    {
        ExtraMetrics m;
        const std::vector<std::string> names{"z", "a", "crossbar_cells_allocated", "m"};
        for (std::size_t i = 0; i < names.size(); ++i)
            m[names[i]] = double(i);
        std::size_t i = 0;
        for (const auto &[name, value] : m) {
            QCOMPARE(std::string(name), names[i]);
            QCOMPARE(value, double(i));
            ++i;
        }
        QCOMPARE(i, names.size());
    }

    void copiesAreIndependentAndNamesSurviveGrowth()
    {
        ExtraMetrics m;
        for (int i = 0; i < 40; ++i) // beyond the initial reservation: the storage moves
            m["metric_" + std::to_string(i)] = i;
        ExtraMetrics copy = m;
        m["metric_3"] = -1.0;
        QCOMPARE(copy.at("metric_3"), 3.0);
        QCOMPARE(copy.at("metric_39"), 39.0);
        QCOMPARE(m.at("metric_3"), -1.0);
    }

    void nameLengthIsBounded()
    {
        ExtraMetrics m;
        const std::string longest(ExtraMetrics::kMaxNameLength, 'x');
        m[longest] = 1.0;
        QCOMPARE(m.at(longest), 1.0);
        QVERIFY_THROWS_EXCEPTION(std::length_error, m[longest + "x"]);
        QCOMPARE(m.size(), std::size_t(1));
    }
};

QTEST_GUILESS_MAIN(TestExtraMetrics)
#include "tst_extrametrics.moc"
