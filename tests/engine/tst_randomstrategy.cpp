// SPDX-License-Identifier: GPL-3.0-or-later
// The random search strategy, through the plugin registry as studies use it: its draws are SplitMix64 outputs
// (reference values of Steele, Lea and Flood's generator for state 0), its state round-trips, bad states are refused.
#include "psc/plugin/searchstrategy.h"
#include "psc/plugins/pluginregistry.h"

#include <QTest>

#include <set>
#include <stdexcept>

using namespace psc;

class TestRandomStrategy : public QObject
{
    Q_OBJECT

    PluginRegistry m_registry;

    std::unique_ptr<plugin::SearchStrategy> make(const std::vector<int> &cardinalities, std::uint64_t seed)
    {
        auto s = m_registry.strategy("random")->create();
        s->initialize(cardinalities, seed);
        return s;
    }

private Q_SLOTS:
    void initTestCase()
    {
        m_registry.load();
        QVERIFY(m_registry.strategy("random"));
    }

    // The first candidate's generator state is seed ^ 0xD1B54A32D192ED03; this seed makes it 0, whose SplitMix64
    // outputs are e220a8397b1dcdaf, 6e789e6aa1b965f4, 06c45d188009454f, f88bb8a8724c81ec: modulo 10, 7, 3 and 1
    // they are 5, 1, 1 and 0 (none is rejected: each is below the largest multiple of its bound).
    void drawsAreSplitMix64Outputs()
    {
        auto s = make({10, 7, 3, 1}, 0xD1B54A32D192ED03ULL);
        QCOMPARE(s->ask(), (plugin::Encoding{5, 1, 1, 0}));
    }

    void everyChoiceIsInRangeAndReached()
    {
        const std::vector<int> cardinalities{2, 5, 3};
        auto s = make(cardinalities, 42);
        std::set<int> seen[3];
        for (int i = 0; i < 500; ++i) {
            const plugin::Encoding x = s->ask();
            QCOMPARE(int(x.size()), 3);
            for (int d = 0; d < 3; ++d) {
                QVERIFY(x[d] >= 0 && x[d] < cardinalities[d]);
                seen[d].insert(x[d]);
            }
        }
        QCOMPARE(int(seen[0].size()), 2);
        QCOMPARE(int(seen[1].size()), 5);
        QCOMPARE(int(seen[2].size()), 3);
    }

    // A resumed study continues the same sequence: the state after k asks, loaded into a new instance, gives the
    // (k+1)-th candidate of the uninterrupted run.
    void stateRoundTripsMidSequence()
    {
        auto whole = make({4, 4, 4}, 7);
        auto first = make({4, 4, 4}, 7);
        for (int i = 0; i < 5; ++i)
            QCOMPARE(first->ask(), whole->ask());
        auto resumed = make({4, 4, 4}, 0);
        resumed->loadState(first->saveState());
        for (int i = 0; i < 5; ++i)
            QCOMPARE(resumed->ask(), whole->ask());
        // Another seed is another sequence.
        auto seven = make({4, 4, 4}, 7), eight = make({4, 4, 4}, 8);
        std::vector<plugin::Encoding> a, b;
        for (int i = 0; i < 5; ++i) {
            a.push_back(seven->ask());
            b.push_back(eight->ask());
        }
        QVERIFY(a != b);
    }

    void badStatesAndSpacesAreRefused()
    {
        auto s = make({3}, 1);
        for (const std::string &bad :
             {std::string("[[["), std::string(R"({"strategy": "nsga2", "seed": "1", "asked": "0"})"),
              std::string(R"({"strategy": "random", "seed": "x", "asked": "0"})"), std::string(100000, 'x')}) {
            try {
                s->loadState(bad);
                QFAIL("expected std::invalid_argument");
            } catch (const std::invalid_argument &e) {
                QVERIFY2(std::string(e.what()).find("not a random-strategy state") == 0, e.what());
                QVERIFY2(std::string(e.what()).size() < 200, "the state is quoted in a few dozen characters at most");
            }
        }
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, make({3, 0}, 1));
    }
};

QTEST_GUILESS_MAIN(TestRandomStrategy)
#include "tst_randomstrategy.moc"
