// SPDX-License-Identifier: GPL-3.0-or-later
// mobo: hypervolume and the closed-form EHVI against hand-computed values and numerical integration, the Gaussian
// process, options, batches of distinct candidates, resume, and a better front than random's on a toy problem whose
// first objective is exact (the cost oracle) and whose second is learned.
#include "gp.h"
#include "mobo.h"

#include <psc/plugin/splitmix.h>

#include <QTest>

#include <algorithm>
#include <cmath>
#include <set>

using namespace psc::strategies;
using psc::plugin::Encoding;

namespace {

/** Toy problem on 6 dimensions of 8 choices: exact f1 = sum(x)/42, learned f2 = weighted sum((7 - x)^2)/220. */
double toyCost(const Encoding &x)
{
    double a = 0;
    for (int v : x)
        a += v;
    return a / 42.0;
}

double toyLearned(const Encoding &x)
{
    double b = 0;
    for (std::size_t i = 0; i < x.size(); ++i)
        b += (7 - x[i]) * (7 - x[i]) * (i % 2 ? 1.0 : 0.5);
    return b / 220.0;
}

psc::plugin::CandidateCosts toyOracle(const Encoding &x)
{
    psc::plugin::CandidateCosts c;
    c.objectives = {toyCost(x), std::nan("")};
    c.feasible = true;
    // The last dimension is "unused" when the first choice is 0: those encodings make the same network.
    Encoding id = x;
    if (id[0] == 0)
        id.back() = 0;
    for (int v : id)
        c.identity += std::to_string(v) + ",";
    return c;
}

double frontVolume(const std::vector<std::vector<double>> &points)
{
    return hypervolume(points, {1.1, 1.1});
}

double runToy(psc::plugin::SearchStrategy &s, int trials, std::uint64_t seed, bool oracle)
{
    s.initialize(std::vector<int>(6, 8), seed);
    if (oracle)
        s.setCostOracle(toyOracle);
    std::vector<std::vector<double>> told;
    for (int i = 0; i < trials; ++i) {
        const Encoding x = s.ask();
        const std::vector<double> f{toyCost(x), toyLearned(x)};
        s.tell(x, f, true);
        told.push_back(f);
    }
    return frontVolume(told);
}

/** Random search, for comparison: uniform draws from the same stream construction as the random plugin. */
double randomToy(int trials, std::uint64_t seed)
{
    std::uint64_t state = seed;
    std::vector<std::vector<double>> told;
    for (int i = 0; i < trials; ++i) {
        Encoding x(6);
        for (int &v : x)
            v = psc::plugin::uniformIndex(state, 8);
        told.push_back({toyCost(x), toyLearned(x)});
    }
    return frontVolume(told);
}

/** E[HVI] by the trapezoid rule over y in mean +- 10 sd, from hypervolume() differences. */
double ehviByQuadrature(const std::vector<double> &known, double mean, double sd,
                        const std::vector<std::vector<double>> &front, const std::vector<double> &reference)
{
    const double base = hypervolume(front, reference);
    const int n = 20000;
    const double lo = mean - 10 * sd, hi = mean + 10 * sd, h = (hi - lo) / n;
    double sum = 0.0;
    for (int i = 0; i <= n; ++i) {
        const double y = lo + i * h;
        std::vector<double> p = known;
        p.push_back(y);
        auto with = front;
        with.push_back(p);
        const double gain = hypervolume(with, reference) - base;
        const double w = std::exp(-0.5 * ((y - mean) / sd) * ((y - mean) / sd)) / (sd * std::sqrt(2 * M_PI));
        sum += (i == 0 || i == n ? 0.5 : 1.0) * gain * w;
    }
    return sum * h;
}

} // namespace

class TestMobo : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void hypervolumeByHand()
    {
        QCOMPARE(hypervolume({{0.2, 0.5}, {0.5, 0.2}}, {1, 1}), 0.55); // 0.4 + 0.4 - 0.25 overlap
        QCOMPARE(hypervolume({{0.5, 0.5, 0.5}}, {1, 1, 1}), 0.125);
        QCOMPARE(hypervolume({{0, 0.5, 0.5}, {0.5, 0, 0.5}}, {1, 1, 1}), 0.375);           // 0.25 + 0.25 - 0.125
        QCOMPARE(hypervolume({{0.5, 0.5, 0.5, 0.5}, {2, 0, 0, 0}}, {1, 1, 1, 1}), 0.0625); // beyond the reference: 0
        QCOMPARE(hypervolume({}, {1, 1}), 0.0);
    }

    void ehviClosedFormByHand()
    {
        // One exact objective, no front: E = (r_k - c) * E[(r_u - Y)+] = 0.6 * sd * psi((r_u - mean) / sd).
        const double mean = 0.5, sd = 0.2, z = (1.0 - mean) / sd;
        const double psi = z * 0.5 * std::erfc(-z / std::sqrt(2.0)) + std::exp(-0.5 * z * z) / std::sqrt(2 * M_PI);
        QVERIFY(std::abs(ehviOneUncertain({0.4}, mean, sd, {}, {1, 1}) - 0.6 * sd * psi) < 1e-12);
        // A candidate beyond the reference in an exact objective improves nothing.
        QCOMPARE(ehviOneUncertain({1.2}, 0.1, 0.1, {}, {1, 1}), 0.0);
        // Almost certain: the improvement at the mean. Front {(0.2, 0.3)}, candidate (0.5, 0.1): adds 0.5 x 0.2.
        QVERIFY(std::abs(ehviOneUncertain({0.5}, 0.1, 1e-9, {{0.2, 0.3}}, {1, 1}) - 0.1) < 1e-9);
    }

    void ehviClosedFormMatchesNumericalIntegration()
    {
        const std::vector<std::vector<double>> front{
            {0.1, 0.6, 0.3}, {0.4, 0.2, 0.5}, {0.6, 0.5, 0.1}, {0.3, 0.3, 0.7}};
        const std::vector<double> ref{1.1, 1.1, 1.1};
        for (const auto &[known, mean, sd] : std::vector<std::tuple<std::vector<double>, double, double>>{
                 {{0.35, 0.4}, 0.4, 0.15}, {{0.05, 0.9}, 0.2, 0.3}, {{0.7, 0.1}, 0.6, 0.05}, {{0.5, 0.5}, 1.0, 0.4}}) {
            const double closed = ehviOneUncertain(known, mean, sd, front, ref);
            const double numeric = ehviByQuadrature(known, mean, sd, front, ref);
            QVERIFY2(std::abs(closed - numeric) < 1e-6 * std::max(1.0, numeric),
                     (std::to_string(closed) + " vs " + std::to_string(numeric)).c_str());
            QVERIFY(closed > 0);
        }
    }

    void gaussianProcessInterpolatesAndFindsTheRelevantDimension()
    {
        // y depends on the first input only; the second is noise-free clutter.
        std::vector<std::vector<double>> x;
        std::vector<double> y;
        std::uint64_t state = 5;
        for (int i = 0; i < 30; ++i) {
            const double a = psc::plugin::uniformUnit(state), b = psc::plugin::uniformUnit(state);
            x.push_back({a, b});
            y.push_back(std::sin(6.0 * a));
        }
        GaussianProcess gp;
        gp.fit(x, y);
        QVERIFY(std::isfinite(gp.logMarginalLikelihood()));
        const auto &ls = gp.hyperparameters().lengthScales;
        QVERIFY2(ls[1] > 2 * ls[0], (std::to_string(ls[0]) + " " + std::to_string(ls[1])).c_str());
        for (double a : {0.15, 0.5, 0.85}) {
            const auto p = gp.predict({a, 0.3});
            QVERIFY2(std::abs(p.mean - std::sin(6.0 * a)) < 0.1, std::to_string(p.mean).c_str());
        }
        QVERIFY(gp.predict(x[3]).sd < 0.1);
        QVERIFY(gp.predict({3.0, 3.0}).sd > 0.5); // far from the data: about the prior's spread
        QCOMPARE(GaussianProcess::matern52(0.0), 1.0);
    }

    void optionsAreChecked()
    {
        QCOMPARE(parseMoboOptions(R"({"initial_trials": 5, "candidates": 100})").initialTrials, 5);
        auto message = [](const char *json) {
            try {
                parseMoboOptions(json);
            } catch (const std::invalid_argument &e) {
                return std::string(e.what());
            }
            return std::string("no exception");
        };
        QCOMPARE(message(R"({"initial_trials": 1})"), std::string("initial_trials: expected a whole number in [2, "
                                                                  "10000], got 1"));
        QCOMPARE(message(R"({"candidates": "many"})"),
                 std::string("candidates: expected a whole number in [10, 1000000], got \"many\""));
        QCOMPARE(message(R"({"kernel": "rbf"})"),
                 std::string("unknown option \"kernel\" (mobo takes initial_trials, candidates, samples)"));
    }

    void batchAsksAreDistinctNetworks()
    {
        MoboStrategy s;
        s.configure(R"({"initial_trials": 6, "candidates": 300})");
        s.initialize(std::vector<int>(6, 8), 3);
        s.setCostOracle(toyOracle);
        for (int i = 0; i < 10; ++i) {
            const Encoding x = s.ask();
            s.tell(x, {toyCost(x), toyLearned(x)}, true);
        }
        // Four trainings at once: four different networks (identities), none asked before.
        std::set<std::string> ids;
        for (int i = 0; i < 4; ++i)
            ids.insert(toyOracle(s.ask()).identity);
        QCOMPARE(ids.size(), std::size_t(4));
    }

    void resumeContinuesTheSameSequence()
    {
        auto make = [] {
            auto s = std::make_unique<MoboStrategy>();
            s->configure(R"({"initial_trials": 5, "candidates": 200})");
            s->initialize(std::vector<int>(6, 8), 11);
            s->setCostOracle(toyOracle);
            return s;
        };
        auto whole = make();
        std::vector<Encoding> a;
        for (int i = 0; i < 12; ++i) {
            a.push_back(whole->ask());
            if (i % 3 != 2) // every third stays in flight for a while, as in a parallel study
                whole->tell(a.back(), {toyCost(a.back()), toyLearned(a.back())}, true);
        }
        auto first = make();
        std::vector<Encoding> told;
        for (int i = 0; i < 6; ++i) {
            const Encoding x = first->ask();
            QCOMPARE(x, a[std::size_t(i)]);
            if (i % 3 != 2)
                told.push_back(x);
            if (i % 3 != 2)
                first->tell(x, {toyCost(x), toyLearned(x)}, true);
        }
        const std::string state = first->saveState();
        auto second = make();
        second->loadState(state);
        for (const Encoding &x : told) // the runner tells the finished trials again
            second->tell(x, {toyCost(x), toyLearned(x)}, true);
        for (int i = 6; i < 12; ++i) {
            const Encoding x = second->ask();
            QCOMPARE(x, a[std::size_t(i)]);
            if (i % 3 != 2)
                second->tell(x, {toyCost(x), toyLearned(x)}, true);
        }
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, second->loadState(R"({"strategy": "nsga2"})"));
    }

    void beatsRandomOnAToyProblem()
    {
        double mobo = 0, random = 0;
        for (std::uint64_t seed : {1, 2, 3}) {
            MoboStrategy s;
            s.configure(R"({"initial_trials": 8, "candidates": 500})");
            mobo += runToy(s, 30, seed, true);
            random += randomToy(30, seed);
        }
        QVERIFY2(mobo > random * 1.02, (std::to_string(mobo) + " vs random " + std::to_string(random)).c_str());
    }
};

QTEST_GUILESS_MAIN(TestMobo)
#include "tst_mobo.moc"
