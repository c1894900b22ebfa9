// SPDX-License-Identifier: GPL-3.0-or-later
// NSGA-II: sorting and crowding by hand, options, determinism, resume, and a front better than random's on a toy
// two-objective problem over a categorical space.
#include "nsga2.h"

#include <QTest>

#include <algorithm>
#include <cmath>

using namespace psc::strategies;
using psc::plugin::Encoding;

namespace {

/** A toy bi-objective problem on 6 dimensions of 8 choices: f1 = sum(x)/56, f2 = sum((7 - x)^2)/294 + penalty. */
std::vector<double> toy(const Encoding &x)
{
    double a = 0, b = 0;
    for (std::size_t i = 0; i < x.size(); ++i) {
        a += x[i];
        b += (7 - x[i]) * (7 - x[i]) * (i % 2 ? 1.0 : 0.5);
    }
    return {a / 56.0, b / 294.0};
}

/** Hypervolume of a 2-D minimisation front against reference point (1.1, 1.1). */
double hypervolume(std::vector<std::vector<double>> points)
{
    std::sort(points.begin(), points.end());
    double hv = 0, bestB = 1.1;
    for (const auto &p : points)
        if (p[1] < bestB) {
            hv += (1.1 - p[0]) * (bestB - p[1]);
            bestB = p[1];
        }
    return hv;
}

double runToy(psc::plugin::SearchStrategy &s, int trials, std::uint64_t seed)
{
    s.initialize(std::vector<int>(6, 8), seed);
    std::vector<std::vector<double>> seen;
    for (int i = 0; i < trials; ++i) {
        const Encoding x = s.ask();
        const auto f = toy(x);
        s.tell(x, f, true);
        seen.push_back(f);
    }
    return hypervolume(seen);
}

} // namespace

class TestNsga2 : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void ranksAndCrowding()
    {
        // (1,4) (2,2) (4,1) are the front; (3,3) is dominated by (2,2); (5,5) by everyone; the infeasible point is
        // last whatever its objectives.
        const std::vector<std::vector<double>> f{{1, 4}, {2, 2}, {4, 1}, {3, 3}, {5, 5}, {0, 0}};
        const std::vector<bool> ok{true, true, true, true, true, false};
        QCOMPARE(nondominatedRanks(f, ok), (std::vector<int>{0, 0, 0, 1, 2, 3}));
        const std::vector<double> d = crowdingDistances(f, nondominatedRanks(f, ok));
        QVERIFY(std::isinf(d[0]) && std::isinf(d[2]));
        // Middle of the front: (4 - 1)/3 + (4 - 1)/3 = 2.
        QCOMPARE(d[1], 2.0);
    }

    void options()
    {
        QCOMPARE(parseNsga2Options("{}").population, 16);
        const Nsga2Options o = parseNsga2Options(R"({"population": 8, "crossover_rate": 0.5, "mutation_rate": 0.2})");
        QCOMPARE(o.population, 8);
        QCOMPARE(o.crossoverRate, 0.5);
        QCOMPARE(o.mutationRate, 0.2);
        auto error = [](const std::string &json) {
            try {
                parseNsga2Options(json);
            } catch (const std::invalid_argument &e) {
                return std::string(e.what());
            }
            return std::string();
        };
        QVERIFY(error(R"({"population": 2})").find("population: expected a whole number in [4, 10000], got 2") !=
                std::string::npos);
        QVERIFY(error(R"({"mutation_rate": 2})").find("mutation_rate: expected a number in [0, 1]") !=
                std::string::npos);
        QVERIFY(error(R"({"populaton": 8})").find("unknown option \"populaton\"") != std::string::npos);
        QVERIFY(error("[1]").find("expected an object") != std::string::npos);
    }

    void deterministicAndResumable()
    {
        // The same seed gives the same sequence; a strategy restored from a saved state and told the finished trials
        // again continues it exactly.
        Nsga2Strategy a, b;
        a.configure(R"({"population": 6})");
        b.configure(R"({"population": 6})");
        a.initialize(std::vector<int>(6, 8), 42);
        b.initialize(std::vector<int>(6, 8), 42);
        std::vector<Encoding> told;
        for (int i = 0; i < 20; ++i) {
            const Encoding x = a.ask();
            QCOMPARE(b.ask(), x);
            a.tell(x, toy(x), true);
            b.tell(x, toy(x), true);
            told.push_back(x);
        }
        Nsga2Strategy c;
        c.configure(R"({"population": 6})");
        c.initialize(std::vector<int>(6, 8), 42);
        c.loadState(a.saveState());
        for (const Encoding &x : told)
            c.tell(x, toy(x), true);
        for (int i = 0; i < 10; ++i) {
            const Encoding x = a.ask();
            QCOMPARE(c.ask(), x);
            a.tell(x, toy(x), true);
            c.tell(x, toy(x), true);
        }
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, c.loadState(R"({"strategy": "random"})"));
        // No candidate is proposed twice.
        std::set<Encoding> unique(told.begin(), told.end());
        QCOMPARE(unique.size(), told.size());
    }

    void beatsRandomOnAToyProblem()
    {
        // Median hypervolume over 11 seeds after 60 trials: NSGA-II's front covers more than random's.
        std::vector<double> nsga, random;
        for (std::uint64_t seed = 1; seed <= 11; ++seed) {
            Nsga2Strategy s;
            s.configure(R"({"population": 12})");
            nsga.push_back(runToy(s, 60, seed));
            // Random: the same strategy with no told results ever reaching the population.
            Nsga2Strategy r;
            r.configure(R"({"population": 10000})");
            random.push_back(runToy(r, 60, seed));
        }
        std::sort(nsga.begin(), nsga.end());
        std::sort(random.begin(), random.end());
        QVERIFY2(nsga[5] > random[5], qPrintable(QStringLiteral("%1 vs %2").arg(nsga[5]).arg(random[5])));
    }
};

QTEST_APPLESS_MAIN(TestNsga2)
#include "tst_nsga2.moc"
