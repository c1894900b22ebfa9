// SPDX-License-Identifier: GPL-3.0-or-later
#include "mobo.h"

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

constexpr double kInf = std::numeric_limits<double>::infinity();

double normalCdf(double z)
{
    return 0.5 * std::erfc(-z / std::sqrt(2.0));
}

double normalPdf(double z)
{
    return std::exp(-0.5 * z * z) / std::sqrt(2.0 * M_PI);
}

/** The integral of Phi from -infinity to z: z Phi(z) + phi(z). */
double psi(double z)
{
    if (z == -kInf)
        return 0.0;
    if (z == kInf)
        return kInf;
    return z * normalCdf(z) + normalPdf(z);
}

/** Area dominated by 2-D points (minimised) below `r`: sort by the first objective, sweep the running minimum. */
double area2d(std::vector<std::vector<double>> &p, double r0, double r1)
{
    std::sort(p.begin(), p.end(), [](const auto &a, const auto &b) { return a[0] < b[0]; });
    double area = 0.0, best = r1;
    for (std::size_t i = 0; i < p.size(); ++i) {
        best = std::min(best, p[i][1]);
        const double next = i + 1 < p.size() ? p[i + 1][0] : r0;
        area += (next - p[i][0]) * (r1 - best);
    }
    return area;
}

double sliced(std::vector<std::vector<double>> points, const std::vector<double> &r)
{
    const std::size_t d = r.size();
    if (points.empty())
        return 0.0;
    if (d == 0)
        return 1.0;
    if (d == 1) {
        double lo = r[0];
        for (const auto &p : points)
            lo = std::min(lo, p[0]);
        return r[0] - lo;
    }
    if (d == 2)
        return area2d(points, r[0], r[1]);
    std::sort(points.begin(), points.end(), [d](const auto &a, const auto &b) { return a[d - 1] < b[d - 1]; });
    const std::vector<double> lower(r.begin(), r.end() - 1);
    double volume = 0.0;
    std::vector<std::vector<double>> slice;
    for (std::size_t i = 0; i < points.size(); ++i) {
        slice.emplace_back(points[i].begin(), points[i].end() - 1);
        const double next = i + 1 < points.size() ? points[i + 1][d - 1] : r[d - 1];
        if (next > points[i][d - 1])
            volume += (next - points[i][d - 1]) * sliced(slice, lower);
    }
    return volume;
}

/** Deterministic standard normal draws (Box-Muller on a fixed SplitMix64 stream), for Monte Carlo EHVI. */
std::vector<double> normalDraws(std::size_t n)
{
    std::uint64_t state = 0x6d6f626fULL; // "mobo"
    std::vector<double> z;
    while (z.size() < n) {
        const double u1 = std::max(plugin::uniformUnit(state), 1e-300), u2 = plugin::uniformUnit(state);
        const double radius = std::sqrt(-2.0 * std::log(u1));
        z.push_back(radius * std::cos(2.0 * M_PI * u2));
        z.push_back(radius * std::sin(2.0 * M_PI * u2));
    }
    z.resize(n);
    return z;
}

/** The points no other point dominates (minimised; equal points kept once). */
std::vector<std::vector<double>> nondominated(const std::vector<std::vector<double>> &points)
{
    std::vector<std::vector<double>> out;
    for (std::size_t i = 0; i < points.size(); ++i) {
        bool dominated = false;
        for (std::size_t j = 0; j < points.size() && !dominated; ++j) {
            if (i == j)
                continue;
            bool noWorse = true, better = false;
            for (std::size_t k = 0; k < points[i].size(); ++k) {
                noWorse = noWorse && points[j][k] <= points[i][k];
                better = better || points[j][k] < points[i][k];
            }
            dominated = noWorse && (better || j < i);
        }
        if (!dominated)
            out.push_back(points[i]);
    }
    return out;
}

} // namespace

double hypervolume(std::vector<std::vector<double>> points, const std::vector<double> &reference)
{
    std::erase_if(points, [&](const std::vector<double> &p) {
        for (std::size_t k = 0; k < reference.size(); ++k)
            if (!(p[k] < reference[k]))
                return true;
        return false;
    });
    return sliced(std::move(points), reference);
}

double ehviOneUncertain(const std::vector<double> &known, double mean, double sd,
                        const std::vector<std::vector<double>> &front, const std::vector<double> &reference)
{
    const std::size_t k = known.size();
    const std::vector<double> rKnown(reference.begin(), reference.begin() + std::ptrdiff_t(k));
    const double rU = reference[k];
    double v0 = 1.0;
    for (std::size_t i = 0; i < k; ++i) {
        if (!(known[i] < rKnown[i]))
            return 0.0;
        v0 *= rKnown[i] - known[i];
    }
    // The front's boxes clipped to the candidate's known box, by their uncertain objective.
    std::vector<std::pair<double, std::vector<double>>> boxes;
    for (const auto &p : front) {
        if (!(p[k] < rU))
            continue;
        std::vector<double> q(k);
        bool inside = true;
        for (std::size_t i = 0; i < k && inside; ++i) {
            q[i] = std::max(known[i], p[i]);
            inside = q[i] < rKnown[i];
        }
        if (inside)
            boxes.emplace_back(p[k], std::move(q));
    }
    std::sort(boxes.begin(), boxes.end(), [](const auto &a, const auto &b) { return a.first < b.first; });
    sd = std::max(sd, 1e-12);
    auto z = [&](double t) { return t == -kInf ? -kInf : (t - mean) / sd; };
    double expected = 0.0, lo = -kInf, covered = 0.0;
    std::vector<std::vector<double>> seen;
    for (std::size_t j = 0; j <= boxes.size(); ++j) {
        const double hi = j < boxes.size() ? boxes[j].first : rU;
        const double a = v0 - covered; // A(t) on (lo, hi]
        if (hi > lo && a > 0)
            expected += a * sd * (psi(z(hi)) - psi(z(lo)));
        if (j < boxes.size()) {
            seen.push_back(boxes[j].second);
            covered = hypervolume(seen, rKnown);
            lo = hi;
        }
    }
    return std::max(expected, 0.0);
}

MoboOptions parseMoboOptions(const std::string &json)
{
    const QJsonDocument doc = QJsonDocument::fromJson(QByteArray::fromStdString(json.empty() ? "{}" : json));
    if (!doc.isObject())
        throw std::invalid_argument("expected an object of options, got " + plugin::shortenedText(json));
    MoboOptions o;
    const QJsonObject obj = doc.object();
    for (auto it = obj.begin(); it != obj.end(); ++it) {
        const std::string key = it.key().toStdString();
        const QJsonValue v = it.value();
        auto whole = [&](int lo, int hi) {
            const double x = v.toDouble(-1);
            if (!v.isDouble() || x != std::floor(x) || x < lo || x > hi)
                throw std::invalid_argument(key + ": expected a whole number in [" + std::to_string(lo) + ", " +
                                            std::to_string(hi) + "], got " + plugin::describeJson(v));
            return int(x);
        };
        if (key == "initial_trials")
            o.initialTrials = whole(2, 10000);
        else if (key == "candidates")
            o.candidates = whole(10, 1000000);
        else if (key == "samples")
            o.samples = whole(8, 100000);
        else
            throw std::invalid_argument("unknown option \"" + key +
                                        "\" (mobo takes initial_trials, candidates, samples)");
    }
    return o;
}

void MoboStrategy::configure(const std::string &optionsJson)
{
    m_options = parseMoboOptions(optionsJson);
}

void MoboStrategy::initialize(const std::vector<int> &cardinalities, std::uint64_t seed)
{
    for (int c : cardinalities)
        if (c < 1)
            throw std::invalid_argument("mobo: every dimension needs at least one choice");
    m_cardinalities = cardinalities;
    m_seed = seed;
    m_rng = seed ^ 0x4d4f424f5345454dULL;
    m_asked = 0;
    m_costCache.clear();
    m_identities.clear();
    m_pending.clear();
    m_told.clear();
}

void MoboStrategy::setCostOracle(plugin::CostOracle oracle)
{
    m_oracle = std::move(oracle);
    m_costCache.clear();
}

const plugin::CandidateCosts &MoboStrategy::costs(const plugin::Encoding &x)
{
    auto it = m_costCache.find(x);
    if (it != m_costCache.end())
        return it->second;
    plugin::CandidateCosts c;
    if (m_oracle) {
        c = m_oracle(x);
    } else { // outside the engine nothing is known before training: every objective is learned
        c.objectives.clear();
        c.feasible = true;
    }
    if (c.identity.empty())
        for (int v : x)
            c.identity += std::to_string(v) + ",";
    return m_costCache.emplace(x, std::move(c)).first->second;
}

std::vector<double> MoboStrategy::features(const plugin::Encoding &x) const
{
    std::vector<double> f(x.size());
    for (std::size_t i = 0; i < x.size(); ++i)
        f[i] = m_cardinalities[i] > 1 ? double(x[i]) / double(m_cardinalities[i] - 1) : 0.0;
    return f;
}

plugin::Encoding MoboStrategy::randomCandidate()
{
    plugin::Encoding x(m_cardinalities.size());
    for (std::size_t i = 0; i < x.size(); ++i)
        x[i] = plugin::uniformIndex(m_rng, m_cardinalities[i]);
    return x;
}

bool MoboStrategy::usable(const plugin::Encoding &x)
{
    const plugin::CandidateCosts &c = costs(x);
    return c.feasible && !m_identities.count(c.identity);
}

plugin::Encoding MoboStrategy::ask()
{
    ++m_asked;
    plugin::Encoding x;
    const bool initial = int(m_told.size() + m_pending.size()) < m_options.initialTrials;
    if (!initial)
        x = bestByAcquisition();
    m_lastProposal = initial ? "initial" : x.empty() ? "random" : "model";
    if (x.empty()) {
        // The random start, and the fallback when the surrogate has nothing to go on.
        for (int attempt = 0; attempt < 4096; ++attempt) {
            x = randomCandidate();
            if (usable(x))
                break;
        }
    }
    const std::string &identity = costs(x).identity;
    m_identities.insert(identity);
    m_pending[identity] = x;
    return x;
}

plugin::Encoding MoboStrategy::bestByAcquisition()
{
    const std::size_t m = m_told.empty() ? 0 : m_told.front().f.size();
    if (m == 0)
        return {};
    // Which objectives are learned: those the oracle cannot tell before training.
    std::vector<std::size_t> learned, exact;
    {
        const plugin::CandidateCosts &probe = costs(m_told.front().x);
        for (std::size_t j = 0; j < m; ++j)
            (j < probe.objectives.size() && std::isfinite(probe.objectives[j]) ? exact : learned).push_back(j);
    }
    if (learned.empty()) { // nothing to learn: the first objective is modelled as if it were (a degenerate study)
        learned.push_back(0);
        exact.erase(exact.begin());
    }
    // 1. One GP per learned objective on every told value (pruned trials' last values included), then the
    //    candidates in flight as fantasies at their predicted mean (Kriging believer).
    std::vector<GaussianProcess> gps(learned.size());
    for (std::size_t u = 0; u < learned.size(); ++u) {
        std::vector<std::vector<double>> xs;
        std::vector<double> ys;
        for (const Told &t : m_told)
            if (std::isfinite(t.f[learned[u]])) {
                xs.push_back(features(t.x));
                ys.push_back(t.f[learned[u]]);
            }
        if (xs.size() < 2)
            return {};
        // The hyper-parameter search (about a hundred factorisations) runs on every ask while the data are few; then
        // on the first m points only, for m = 20, 24, 28, 33, ... (a fifth more each time), and the last such fit's
        // hyper-parameters condition on all the data. m depends on the data size alone, so a resumed study (told
        // the same trials again) fits the same.
        std::size_t fitPoints = xs.size();
        if (fitPoints > 20) {
            std::size_t s = 20;
            while (s + std::max<std::size_t>(1, s / 5) <= xs.size())
                s += std::max<std::size_t>(1, s / 5);
            fitPoints = s;
        }
        if (m_fits.size() != learned.size())
            m_fits.assign(learned.size(), {});
        Fit &fit = m_fits[u];
        if (fitPoints == xs.size()) {
            gps[u].fit(xs, ys);
            fit = {fitPoints, gps[u].hyperparameters()};
        } else {
            if (fit.points != fitPoints) {
                GaussianProcess first;
                first.fit({xs.begin(), xs.begin() + std::ptrdiff_t(fitPoints)},
                          {ys.begin(), ys.begin() + std::ptrdiff_t(fitPoints)});
                fit = {fitPoints, first.hyperparameters()};
            }
            gps[u].fitWith(xs, ys, fit.hyper);
        }
        if (!m_pending.empty()) {
            for (const auto &[id, x] : m_pending) {
                xs.push_back(features(x));
                ys.push_back(gps[u].predict(xs.back()).mean);
            }
            gps[u].condition(xs, ys);
        }
    }
    auto fullPoint = [&](const plugin::Encoding &x, const std::vector<double> &learnedValues) {
        const plugin::CandidateCosts &c = costs(x);
        std::vector<double> p(m);
        for (std::size_t j : exact)
            p[j] = c.objectives[j];
        for (std::size_t u = 0; u < learned.size(); ++u)
            p[learned[u]] = learnedValues[u];
        return p;
    };
    // 2. The current front: feasible told trials and the fantasies.
    std::vector<std::vector<double>> points;
    for (const Told &t : m_told)
        if (t.feasible && std::all_of(t.f.begin(), t.f.end(), [](double v) { return std::isfinite(v); }))
            points.push_back(t.f);
    for (const auto &[id, x] : m_pending) {
        std::vector<double> mu;
        for (const GaussianProcess &gp : gps)
            mu.push_back(gp.predict(features(x)).mean);
        points.push_back(fullPoint(x, mu));
    }
    // 3. The pool: random candidates and every one-choice neighbour of the front, feasible and not asked before.
    std::vector<plugin::Encoding> pool;
    std::set<std::string> inPool;
    auto offer = [&](const plugin::Encoding &x) {
        if (usable(x) && inPool.insert(costs(x).identity).second)
            pool.push_back(x);
    };
    for (const Told &t : m_told)
        if (t.feasible)
            for (std::size_t i = 0; i < t.x.size(); ++i)
                for (int v = 0; v < m_cardinalities[i]; ++v)
                    if (v != t.x[i]) {
                        plugin::Encoding n = t.x;
                        n[i] = v;
                        offer(n);
                    }
    for (int i = 0; i < m_options.candidates; ++i)
        offer(randomCandidate());
    if (pool.empty())
        return {};
    // 4. Normalise every objective to [0, 1] over what is known (told values, the pool's exact costs); the
    //    reference point is 1.1, a tenth of the range beyond the worst.
    std::vector<double> lo(m, kInf), hi(m, -kInf);
    auto widen = [&](std::size_t j, double v) {
        if (std::isfinite(v)) {
            lo[j] = std::min(lo[j], v);
            hi[j] = std::max(hi[j], v);
        }
    };
    for (const auto &p : points)
        for (std::size_t j = 0; j < m; ++j)
            widen(j, p[j]);
    for (const Told &t : m_told)
        for (std::size_t j = 0; j < m; ++j)
            widen(j, t.f[j]);
    for (const auto &x : pool)
        for (std::size_t j : exact)
            widen(j, costs(x).objectives[j]);
    std::vector<double> span(m);
    for (std::size_t j = 0; j < m; ++j)
        span[j] = hi[j] > lo[j] ? hi[j] - lo[j] : 1.0;
    auto scaled = [&](std::size_t j, double v) { return (v - (std::isfinite(lo[j]) ? lo[j] : 0.0)) / span[j]; };
    // Layout for the closed form: exact objectives first, the learned one last.
    std::vector<std::size_t> order = exact;
    order.insert(order.end(), learned.begin(), learned.end());
    std::vector<std::vector<double>> front;
    for (const auto &p : nondominated(points)) {
        std::vector<double> q;
        for (std::size_t j : order)
            q.push_back(scaled(j, p[j]));
        front.push_back(std::move(q));
    }
    const std::vector<double> reference(m, 1.1);
    const std::vector<double> draws =
        learned.size() > 1 ? normalDraws(std::size_t(m_options.samples) * learned.size()) : std::vector<double>{};
    const double frontVolume = learned.size() > 1 ? hypervolume(front, reference) : 0.0;

    // 5. The candidate of largest EHVI; ties (often all zero once the front is good) go to the most uncertain.
    plugin::Encoding best;
    double bestScore = -1.0, bestSd = -1.0;
    for (const plugin::Encoding &x : pool) {
        const plugin::CandidateCosts &c = costs(x);
        const std::vector<double> f = features(x);
        std::vector<double> known;
        for (std::size_t j : exact)
            known.push_back(scaled(j, c.objectives[j]));
        double score = 0.0, sdSum = 0.0;
        if (learned.size() == 1) {
            const auto pr = gps[0].predict(f);
            score = ehviOneUncertain(known, scaled(learned[0], pr.mean), pr.sd / span[learned[0]], front, reference);
            sdSum = pr.sd / span[learned[0]];
        } else {
            std::vector<GaussianProcess::Prediction> pr;
            for (const GaussianProcess &gp : gps) {
                pr.push_back(gp.predict(f));
                sdSum += pr.back().sd;
            }
            for (int s = 0; s < m_options.samples; ++s) {
                std::vector<double> q = known;
                for (std::size_t u = 0; u < learned.size(); ++u)
                    q.push_back(scaled(learned[u], pr[u].mean + pr[u].sd * draws[std::size_t(s) * learned.size() + u]));
                std::vector<std::vector<double>> with = front;
                with.push_back(q);
                score += std::max(0.0, hypervolume(with, reference) - frontVolume);
            }
            score /= double(m_options.samples);
        }
        if (score > bestScore + 1e-15 || (std::abs(score - bestScore) <= 1e-15 && sdSum > bestSd)) {
            bestScore = score;
            bestSd = sdSum;
            best = x;
        }
    }
    return best;
}

void MoboStrategy::record(const plugin::Encoding &x, const std::vector<double> &f, bool feasible)
{
    const std::string &identity = costs(x).identity;
    m_pending.erase(identity);
    m_identities.insert(identity);
    m_told.push_back({x, f, feasible});
}

void MoboStrategy::tell(const plugin::Encoding &candidate, const std::vector<double> &objectives, bool feasible)
{
    record(candidate, objectives, feasible);
}

void MoboStrategy::tellPruned(const plugin::Encoding &candidate, const std::vector<double> &objectives)
{
    // Its last accuracy is a pessimistic observation: it teaches the surrogate, but is no point of the front.
    record(candidate, objectives, false);
}

std::string MoboStrategy::saveState() const
{
    std::vector<plugin::Encoding> pending;
    for (const auto &[id, x] : m_pending)
        pending.push_back(x);
    QJsonObject o = plugin::streamStateJson("mobo", {m_seed, m_rng, m_asked});
    o["pending"] = plugin::encodingsToJson(pending);
    return QJsonDocument(o).toJson(QJsonDocument::Compact).toStdString();
}

void MoboStrategy::loadState(const std::string &json)
{
    const QJsonObject o = QJsonDocument::fromJson(QByteArray::fromStdString(json)).object();
    const auto header = plugin::readStreamState(o, "mobo");
    if (!header || !o.value("pending").isArray())
        throw std::invalid_argument("not a mobo state: " + plugin::shortenedText(json));
    std::vector<plugin::Encoding> pending = plugin::encodingsFromJson(o.value("pending"));
    for (const plugin::Encoding &x : pending) {
        if (x.size() != m_cardinalities.size())
            throw std::invalid_argument("not a mobo state: a pending candidate has " + std::to_string(x.size()) +
                                        " choices, the space " + std::to_string(m_cardinalities.size()));
        for (std::size_t i = 0; i < x.size(); ++i)
            if (x[i] < 0 || x[i] >= m_cardinalities[i])
                throw std::invalid_argument("not a mobo state: a pending candidate's choice is out of range");
    }
    m_seed = header->seed;
    m_rng = header->rng;
    m_asked = header->asked;
    m_pending.clear();
    for (const auto &x : pending) {
        const std::string &identity = costs(x).identity;
        m_identities.insert(identity);
        m_pending[identity] = x;
    }
}

} // namespace psc::strategies
