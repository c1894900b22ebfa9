// SPDX-License-Identifier: GPL-3.0-or-later
#include "randomstrategy.h"

#include <psc/plugin/splitmix.h>

#include <QJsonDocument>
#include <QJsonObject>

#include <stdexcept>

namespace psc::strategies {

using plugin::uniformIndex;

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
