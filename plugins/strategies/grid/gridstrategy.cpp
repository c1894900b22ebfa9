// SPDX-License-Identifier: GPL-3.0-or-later
#include "gridstrategy.h"

#include <QJsonDocument>
#include <QJsonObject>

#include <stdexcept>

namespace psc::strategies {

void GridStrategy::initialize(const std::vector<int> &cardinalities, std::uint64_t)
{
    for (int c : cardinalities)
        if (c < 1)
            throw std::invalid_argument("grid strategy: every dimension needs at least one choice");
    m_cardinalities = cardinalities;
    m_asked = 0;
}

plugin::Encoding GridStrategy::ask()
{
    std::uint64_t k = m_asked++;
    plugin::Encoding x(m_cardinalities.size());
    for (std::size_t i = m_cardinalities.size(); i-- > 0;) {
        const auto c = std::uint64_t(m_cardinalities[i]);
        x[i] = int(k % c);
        k /= c;
    }
    return x;
}

std::string GridStrategy::saveState() const
{
    QJsonObject o{{"strategy", "grid"}, {"asked", QString::number(m_asked)}};
    return QJsonDocument(o).toJson(QJsonDocument::Compact).toStdString();
}

void GridStrategy::loadState(const std::string &json)
{
    const QJsonObject o = QJsonDocument::fromJson(QByteArray::fromStdString(json)).object();
    bool ok = false;
    const std::uint64_t asked = o.value("asked").toString().toULongLong(&ok);
    if (o.value("strategy").toString() != "grid" || !ok)
        throw std::invalid_argument(
            "not a grid-strategy state: " +
            (json.size() > 40 ? json.substr(0, 40) + "... (" + std::to_string(json.size()) + " characters)" : json));
    m_asked = asked;
}

} // namespace psc::strategies

std::unique_ptr<psc::plugin::SearchStrategy> GridStrategyPlugin::create() const
{
    return std::make_unique<psc::strategies::GridStrategy>();
}
