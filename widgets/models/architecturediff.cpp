// SPDX-License-Identifier: GPL-3.0-or-later
#include "models/architecturediff.h"

#include "psc/net/networkparser.h"
#include "psc/quant/trainedmodel.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <algorithm>
#include <map>

namespace psc {
namespace {

/** The layers of `network` as its JSON writes them, by name, and their order. */
struct JsonLayers
{
    std::map<QString, QJsonObject> byName;
    QStringList order;
};

JsonLayers jsonLayers(const NetworkDescription &network)
{
    JsonLayers out;
    const QJsonDocument doc = QJsonDocument::fromJson(QByteArray::fromStdString(networkToJson(network, false)));
    for (const QJsonValue &v : doc.object().value(QStringLiteral("layers")).toArray()) {
        const QJsonObject layer = v.toObject();
        const QString name = layer.value(QStringLiteral("name")).toString();
        out.byName[name] = layer;
        out.order << name;
    }
    return out;
}

QString valueText(const QJsonValue &value)
{
    if (value.isUndefined() || value.isNull())
        return QStringLiteral("—");
    if (value.isString())
        return value.toString();
    if (value.isBool())
        return value.toBool() ? QStringLiteral("true") : QStringLiteral("false");
    if (value.isDouble())
        return QString::number(value.toDouble(), 'g', 6);
    const QJsonDocument doc = value.isArray() ? QJsonDocument(value.toArray()) : QJsonDocument(value.toObject());
    return QString::fromUtf8(doc.toJson(QJsonDocument::Compact));
}

} // namespace

int ArchitectureDiff::changed(LayerChange::Kind kind) const
{
    return int(std::count_if(changes.begin(), changes.end(), [kind](const LayerChange &c) { return c.kind == kind; }));
}

ArchitectureDiff diffArchitectures(const NetworkDescription &from, const NetworkDescription &to)
{
    ArchitectureDiff diff;
    const NetworkDescription a = lowerForDeployment(from);
    const NetworkDescription b = lowerForDeployment(to);
    diff.folded = a.layers.size() != from.layers.size() || b.layers.size() != to.layers.size();
    const JsonLayers la = jsonLayers(a);
    const JsonLayers lb = jsonLayers(b);
    for (const QString &name : la.order) {
        const QJsonObject &x = la.byName.at(name);
        const auto other = lb.byName.find(name);
        if (other == lb.byName.end()) {
            diff.changes.push_back({LayerChange::Kind::Removed, name, x.value(QStringLiteral("type")).toString(), {}});
            continue;
        }
        const QJsonObject &y = other->second;
        QStringList details;
        const QString typeA = x.value(QStringLiteral("type")).toString();
        const QString typeB = y.value(QStringLiteral("type")).toString();
        if (typeA != typeB) {
            // Another kind of layer (a conv2d factorised into low_rank): its new settings, and which old ones went.
            details << QStringLiteral("type %1 → %2").arg(typeA, typeB);
            QStringList gone;
            for (const QString &k : x.keys())
                if (k != QLatin1String("name") && k != QLatin1String("type") && !y.contains(k))
                    gone << k;
            for (const QString &k : y.keys())
                if (k != QLatin1String("name") && k != QLatin1String("type") && x.value(k) != y.value(k))
                    details << (x.contains(k)
                                    ? QStringLiteral("%1 %2 → %3").arg(k, valueText(x.value(k)), valueText(y.value(k)))
                                    : QStringLiteral("%1 %2").arg(k, valueText(y.value(k))));
            if (!gone.isEmpty())
                details << QStringLiteral("no %1").arg(gone.join(QStringLiteral(", ")));
        } else {
            QStringList keys = x.keys();
            for (const QString &k : y.keys())
                if (!keys.contains(k))
                    keys << k;
            for (const QString &k : keys)
                if (k != QLatin1String("name") && x.value(k) != y.value(k))
                    details << QStringLiteral("%1 %2 → %3").arg(k, valueText(x.value(k)), valueText(y.value(k)));
        }
        if (!details.isEmpty())
            diff.changes.push_back(
                {LayerChange::Kind::Changed, name, y.value(QStringLiteral("type")).toString(), details});
    }
    for (const QString &name : lb.order)
        if (!la.byName.count(name))
            diff.changes.push_back(
                {LayerChange::Kind::Added, name, lb.byName.at(name).value(QStringLiteral("type")).toString(), {}});
    return diff;
}

} // namespace psc
