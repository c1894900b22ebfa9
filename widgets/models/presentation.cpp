// SPDX-License-Identifier: GPL-3.0-or-later
#include "models/presentation.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <algorithm>
#include <cmath>

namespace psc {

QString slideKindName(Slide::Kind kind)
{
    switch (kind) {
    case Slide::Kind::Front:
        return QStringLiteral("front");
    case Slide::Kind::Card:
        return QStringLiteral("card");
    case Slide::Kind::Compare:
        return QStringLiteral("compare");
    case Slide::Kind::CompressionPath:
        return QStringLiteral("compression");
    }
    return {};
}

bool slideKindFromName(const QString &name, Slide::Kind *kind)
{
    for (Slide::Kind k : {Slide::Kind::Front, Slide::Kind::Card, Slide::Kind::Compare, Slide::Kind::CompressionPath})
        if (slideKindName(k) == name) {
            *kind = k;
            return true;
        }
    return false;
}

Presentation::Presentation(QObject *parent) : QObject(parent) {}

void Presentation::append(Slide slide)
{
    m_slides.push_back(std::move(slide));
    Q_EMIT changed();
}

void Presentation::remove(int index)
{
    if (index < 0 || index >= size())
        return;
    m_slides.erase(m_slides.begin() + index);
    Q_EMIT changed();
}

void Presentation::move(int index, int delta)
{
    const int to = std::clamp(index + delta, 0, size() - 1);
    if (index < 0 || index >= size() || to == index)
        return;
    Slide s = m_slides[std::size_t(index)];
    m_slides.erase(m_slides.begin() + index);
    m_slides.insert(m_slides.begin() + to, std::move(s));
    Q_EMIT changed();
}

void Presentation::setTitle(int index, const QString &title)
{
    if (index < 0 || index >= size() || m_slides[std::size_t(index)].title == title)
        return;
    m_slides[std::size_t(index)].title = title;
    Q_EMIT changed();
}

void Presentation::setNote(int index, const QString &note)
{
    if (index < 0 || index >= size() || m_slides[std::size_t(index)].note == note)
        return;
    m_slides[std::size_t(index)].note = note;
    Q_EMIT changed();
}

void Presentation::setDark(bool dark)
{
    if (dark == m_dark)
        return;
    m_dark = dark;
    Q_EMIT changed();
}

void Presentation::clear()
{
    m_slides.clear();
    m_dark = true;
}

QString Presentation::toJson() const
{
    QJsonArray slides;
    for (const Slide &s : m_slides) {
        QJsonObject o{{QStringLiteral("kind"), slideKindName(s.kind)},
                      {QStringLiteral("title"), s.title},
                      {QStringLiteral("note"), s.note}};
        if (!s.x.name.empty())
            o.insert(QStringLiteral("x"), QString::fromStdString(s.x.toString()));
        if (!s.y.name.empty())
            o.insert(QStringLiteral("y"), QString::fromStdString(s.y.toString()));
        if (!s.trials.isEmpty()) {
            QJsonArray trials;
            for (qint64 n : s.trials)
                trials.append(n);
            o.insert(QStringLiteral("trials"), trials);
        }
        slides.append(o);
    }
    return QString::fromUtf8(
        QJsonDocument(QJsonObject{{QStringLiteral("theme"), m_dark ? QStringLiteral("dark") : QStringLiteral("light")},
                                  {QStringLiteral("slides"), slides}})
            .toJson(QJsonDocument::Compact));
}

bool Presentation::restore(const QString &json)
{
    const QJsonDocument doc = QJsonDocument::fromJson(json.toUtf8());
    if (!doc.isObject())
        return false;
    const QJsonObject root = doc.object();
    m_dark = root.value(QStringLiteral("theme")).toString() != QLatin1String("light");
    m_slides.clear();
    for (const QJsonValue &v : root.value(QStringLiteral("slides")).toArray()) {
        const QJsonObject o = v.toObject();
        Slide s;
        if (!slideKindFromName(o.value(QStringLiteral("kind")).toString(), &s.kind))
            continue;
        s.title = o.value(QStringLiteral("title")).toString();
        s.note = o.value(QStringLiteral("note")).toString();
        bool ok = true;
        for (auto [key, ref] : {std::pair{QStringLiteral("x"), &s.x}, std::pair{QStringLiteral("y"), &s.y}})
            if (o.contains(key)) {
                const auto parsed = parseMetricRef(o.value(key).toString().toStdString());
                ok = ok && parsed.has_value();
                if (parsed)
                    *ref = *parsed;
            }
        for (const QJsonValue &t : o.value(QStringLiteral("trials")).toArray()) {
            const double d = t.toDouble(-1.0);
            if (d >= 0 && std::floor(d) == d)
                s.trials << qint64(d);
        }
        const bool needsAxes = s.kind == Slide::Kind::Front || s.kind == Slide::Kind::CompressionPath;
        const bool needsTrials = s.kind != Slide::Kind::Front;
        if (ok && (!needsAxes || (!s.x.name.empty() && !s.y.name.empty())) && (!needsTrials || !s.trials.isEmpty()))
            m_slides.push_back(std::move(s));
    }
    Q_EMIT restored();
    return true;
}

} // namespace psc
