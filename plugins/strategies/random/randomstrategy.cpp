// SPDX-License-Identifier: GPL-3.0-or-later
#include "randomstrategy.h"

#include <QJsonDocument>
#include <QJsonObject>

#include <stdexcept>

namespace psc::strategies {
namespace {

/** SplitMix64 (Steele, Lea, Flood 2014): a fast, well-mixed counter-based generator. */
std::uint64_t splitMix64(std::uint64_t &state)
{
    std::uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/** Unbiased draw in [0, n) by rejection (Lemire's bound is not needed at these sizes). */
int uniformIndex(std::uint64_t &state, int n)
{
    const std::uint64_t bound = std::uint64_t(n);
    const std::uint64_t limit = UINT64_MAX - UINT64_MAX % bound;
    std::uint64_t r = 0;
    do {
        r = splitMix64(state);
    } while (r >= limit);
    return int(r % bound);
}

} // namespace

void RandomStrategy::initialize(const std::vector<int> &cardinalities, std::uint64_t seed)
{
    for (int c : cardinalities)
        if (c < 1)
            throw std::invalid_argument("random strategy: every dimension needs at least one choice");
    m_cardinalities = cardinalities;
    m_seed = seed;
    m_asked = 0;
}

plugin::Encoding RandomStrategy::ask()
{
    std::uint64_t state = m_seed ^ (0xD1B54A32D192ED03ULL * (m_asked + 1));
    ++m_asked;
    plugin::Encoding x;
    x.reserve(m_cardinalities.size());
    for (int c : m_cardinalities)
        x.push_back(uniformIndex(state, c));
    return x;
}

std::string RandomStrategy::saveState() const
{
    QJsonObject o{{"strategy", "random"}, {"seed", QString::number(m_seed)}, {"asked", QString::number(m_asked)}};
    return QJsonDocument(o).toJson(QJsonDocument::Compact).toStdString();
}

void RandomStrategy::loadState(const std::string &json)
{
    const QJsonObject o = QJsonDocument::fromJson(QByteArray::fromStdString(json)).object();
    bool okSeed = false, okAsked = false;
    const std::uint64_t seed = o.value("seed").toString().toULongLong(&okSeed);
    const std::uint64_t asked = o.value("asked").toString().toULongLong(&okAsked);
    if (o.value("strategy").toString() != "random" || !okSeed || !okAsked)
        throw std::invalid_argument(
            "not a random-strategy state: " +
            (json.size() > 40 ? json.substr(0, 40) + "... (" + std::to_string(json.size()) + " characters)" : json));
    m_seed = seed;
    m_asked = asked;
}

} // namespace psc::strategies

std::unique_ptr<psc::plugin::SearchStrategy> RandomStrategyPlugin::create() const
{
    return std::make_unique<psc::strategies::RandomStrategy>();
}
