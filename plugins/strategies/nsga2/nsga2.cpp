// SPDX-License-Identifier: GPL-3.0-or-later
#include "nsga2.h"

#include <psc/plugin/splitmix.h>
#include <psc/plugin/strategyjson.h>

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>

namespace psc::strategies {

namespace {

constexpr int kAttempts = 64; // tries for a child not asked before, then a random candidate not asked before

/** a dominates b (minimisation), with Deb's constraint-domination for feasibility. */
bool dominates(const std::vector<double> &a, bool aFeasible, const std::vector<double> &b, bool bFeasible)
{
    if (aFeasible != bFeasible)
        return aFeasible;
    if (!aFeasible)
        return false; // infeasible trials carry no comparable objectives: they share the last rank
    bool better = false;
    for (std::size_t i = 0; i < a.size() && i < b.size(); ++i) {
        if (a[i] > b[i])
            return false;
        better = better || a[i] < b[i];
    }
    return better;
}

} // namespace

Nsga2Options parseNsga2Options(const std::string &json)
{
    const QJsonDocument doc = QJsonDocument::fromJson(QByteArray::fromStdString(json.empty() ? "{}" : json));
    if (!doc.isObject())
        throw std::invalid_argument("expected an object of options, got " + plugin::shortenedText(json));
    Nsga2Options o;
    const QJsonObject obj = doc.object();
    for (auto it = obj.begin(); it != obj.end(); ++it) {
        const std::string key = it.key().toStdString();
        const QJsonValue v = it.value();
        if (key == "population") {
            const double p = v.toDouble(-1);
            if (!v.isDouble() || p != std::floor(p) || p < 4 || p > 10000)
                throw std::invalid_argument("population: expected a whole number in [4, 10000], got " +
                                            plugin::describeJson(v));
            o.population = int(p);
        } else if (key == "crossover_rate" || key == "mutation_rate") {
            const double r = v.toDouble(-1);
            if (!v.isDouble() || r < 0 || r > 1)
                throw std::invalid_argument(key + ": expected a number in [0, 1], got " + plugin::describeJson(v));
            (key == "crossover_rate" ? o.crossoverRate : o.mutationRate) = r;
        } else {
            throw std::invalid_argument("unknown option \"" + key +
                                        "\" (nsga2 takes population, crossover_rate, mutation_rate)");
        }
    }
    return o;
}

std::vector<int> nondominatedRanks(const std::vector<std::vector<double>> &f, const std::vector<bool> &feasible)
{
    // Fast non-dominated sort (Deb et al. 2002, section III-A).
    const std::size_t n = f.size();
    std::vector<int> rank(n, -1), count(n, 0);
    std::vector<std::vector<std::size_t>> dominated(n);
    std::vector<std::size_t> front;
    for (std::size_t p = 0; p < n; ++p) {
        for (std::size_t q = 0; q < n; ++q) {
            if (p == q)
                continue;
            if (dominates(f[p], feasible[p], f[q], feasible[q]))
                dominated[p].push_back(q);
            else if (dominates(f[q], feasible[q], f[p], feasible[p]))
                ++count[p];
        }
        if (count[p] == 0) {
            rank[p] = 0;
            front.push_back(p);
        }
    }
    for (int r = 0; !front.empty(); ++r) {
        std::vector<std::size_t> next;
        for (std::size_t p : front)
            for (std::size_t q : dominated[p])
                if (--count[q] == 0) {
                    rank[q] = r + 1;
                    next.push_back(q);
                }
        front = std::move(next);
    }
    return rank;
}

std::vector<double> crowdingDistances(const std::vector<std::vector<double>> &f, const std::vector<int> &ranks)
{
    const std::size_t n = f.size();
    std::vector<double> d(n, 0.0);
    const std::size_t m = n ? f.front().size() : 0;
    const int maxRank = ranks.empty() ? -1 : *std::max_element(ranks.begin(), ranks.end());
    for (int r = 0; r <= maxRank; ++r) {
        std::vector<std::size_t> members;
        for (std::size_t i = 0; i < n; ++i)
            if (ranks[i] == r)
                members.push_back(i);
        for (std::size_t k = 0; k < m; ++k) {
            std::sort(members.begin(), members.end(),
                      [&](std::size_t a, std::size_t b) { return f[a][k] != f[b][k] ? f[a][k] < f[b][k] : a < b; });
            const double span = f[members.back()][k] - f[members.front()][k];
            d[members.front()] = d[members.back()] = std::numeric_limits<double>::infinity();
            if (span <= 0 || !std::isfinite(span))
                continue;
            for (std::size_t i = 1; i + 1 < members.size(); ++i)
                d[members[i]] += (f[members[i + 1]][k] - f[members[i - 1]][k]) / span;
        }
    }
    return d;
}

void Nsga2Strategy::configure(const std::string &optionsJson)
{
    m_options = parseNsga2Options(optionsJson);
}

void Nsga2Strategy::initialize(const std::vector<int> &cardinalities, std::uint64_t seed)
{
    for (int c : cardinalities)
        if (c < 1)
            throw std::invalid_argument("nsga2 strategy: every dimension needs at least one choice");
    m_cardinalities = cardinalities;
    m_seed = seed;
    m_rng = seed ^ 0x6A09E667F3BCC909ULL;
    m_asked = 0;
    m_seen.clear();
    m_told.clear();
}

int Nsga2Strategy::below(int n)
{
    return plugin::uniformIndex(m_rng, n);
}

double Nsga2Strategy::unit()
{
    return plugin::uniformUnit(m_rng);
}

plugin::Encoding Nsga2Strategy::randomCandidate()
{
    plugin::Encoding x;
    for (int c : m_cardinalities)
        x.push_back(below(c));
    return x;
}

std::vector<std::size_t> Nsga2Strategy::parents() const
{
    // Survival (section III-C): whole fronts in rank order, the last one cut by crowding distance.
    std::vector<std::vector<double>> f;
    std::vector<bool> ok;
    for (const Told &t : m_told) {
        f.push_back(t.f);
        ok.push_back(t.feasible);
    }
    const std::vector<int> ranks = nondominatedRanks(f, ok);
    const std::vector<double> crowding = crowdingDistances(f, ranks);
    std::vector<std::size_t> order(m_told.size());
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
        if (ranks[a] != ranks[b])
            return ranks[a] < ranks[b];
        if (crowding[a] != crowding[b])
            return crowding[a] > crowding[b];
        return a < b;
    });
    order.resize(std::min<std::size_t>(order.size(), std::size_t(m_options.population)));
    return order;
}

plugin::Encoding Nsga2Strategy::ask()
{
    ++m_asked;
    plugin::Encoding child;
    const bool evolving = m_told.size() >= std::size_t(m_options.population) && !m_cardinalities.empty();
    if (evolving) {
        const std::vector<std::size_t> pool = parents();
        // Rank and crowding of the parents, by position in `pool` (already sorted best first).
        auto tournament = [&] {
            const std::size_t a = std::size_t(below(int(pool.size()))), b = std::size_t(below(int(pool.size())));
            return pool[std::min(a, b)];
        };
        const double mutation =
            m_options.mutationRate >= 0 ? m_options.mutationRate : 1.0 / double(m_cardinalities.size());
        for (int attempt = 0; attempt < kAttempts; ++attempt) {
            const plugin::Encoding &p1 = m_told[tournament()].x, &p2 = m_told[tournament()].x;
            child = p1;
            if (unit() < m_options.crossoverRate)
                for (std::size_t i = 0; i < child.size() && i < p2.size(); ++i)
                    if (unit() < 0.5)
                        child[i] = p2[i];
            for (std::size_t i = 0; i < child.size(); ++i)
                if (m_cardinalities[i] > 1 && unit() < mutation) {
                    const int other = below(m_cardinalities[i] - 1); // a different choice, uniformly
                    child[i] = other >= child[i] ? other + 1 : other;
                }
            if (!m_seen.count(child))
                break;
        }
    }
    const bool bred = !child.empty() && !m_seen.count(child);
    for (int attempt = 0; (child.empty() || m_seen.count(child)) && attempt < kAttempts; ++attempt)
        child = randomCandidate();
    m_lastProposal = bred ? "offspring" : evolving ? "random" : "initial";
    m_seen.insert(child);
    return child;
}

void Nsga2Strategy::tell(const plugin::Encoding &candidate, const std::vector<double> &objectives, bool feasible)
{
    bool finite = true;
    for (double v : objectives)
        finite = finite && std::isfinite(v);
    m_told.push_back({candidate, objectives, feasible && finite});
    m_seen.insert(candidate);
}

std::string Nsga2Strategy::saveState() const
{
    QJsonObject o = plugin::streamStateJson("nsga2", {m_seed, m_rng, m_asked});
    o["seen"] = plugin::encodingsToJson(m_seen);
    return QJsonDocument(o).toJson(QJsonDocument::Compact).toStdString();
}

void Nsga2Strategy::loadState(const std::string &json)
{
    const QJsonObject o = QJsonDocument::fromJson(QByteArray::fromStdString(json)).object();
    const auto header = plugin::readStreamState(o, "nsga2");
    if (!header || !o.value("seen").isArray())
        throw std::invalid_argument("not an nsga2-strategy state: " + plugin::shortenedText(json));
    std::set<plugin::Encoding> seen;
    for (plugin::Encoding &x : plugin::encodingsFromJson(o.value("seen")))
        seen.insert(std::move(x));
    m_seed = header->seed;
    m_rng = header->rng;
    m_asked = header->asked;
    m_seen = std::move(seen);
    m_told.clear(); // the runner tells every finished trial again, in trial order
}

} // namespace psc::strategies
