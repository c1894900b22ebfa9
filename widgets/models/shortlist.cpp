// SPDX-License-Identifier: GPL-3.0-or-later
#include "models/shortlist.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <cmath>

namespace psc {

Shortlist::Shortlist(QObject *parent) : QObject(parent) {}

void Shortlist::setStarred(qint64 number, bool starred)
{
    if (starred == isStarred(number))
        return;
    if (starred)
        m_starred.append(number);
    else
        m_starred.removeAll(number);
    Q_EMIT changed(number);
}

QString Shortlist::note(qint64 number) const
{
    const auto it = m_notes.find(number);
    return it == m_notes.end() ? QString() : it->second;
}

void Shortlist::setNote(qint64 number, const QString &text)
{
    const QString kept = text.trimmed();
    if (kept == note(number))
        return;
    if (kept.isEmpty())
        m_notes.erase(number);
    else
        m_notes[number] = kept;
    Q_EMIT changed(number);
}

void Shortlist::clear()
{
    if (isEmpty())
        return;
    m_starred.clear();
    m_notes.clear();
    Q_EMIT changed(-1);
}

QString Shortlist::toJson() const
{
    QJsonArray starred;
    for (qint64 n : m_starred)
        starred.append(n);
    QJsonObject notes;
    for (const auto &[number, text] : m_notes)
        notes.insert(QString::number(number), text);
    return QString::fromUtf8(
        QJsonDocument(QJsonObject{{QStringLiteral("starred"), starred}, {QStringLiteral("notes"), notes}})
            .toJson(QJsonDocument::Compact));
}

namespace {

/** A trial number from JSON: a non-negative integer, or -1. */
qint64 trialNumber(const QJsonValue &value)
{
    const double d = value.toDouble(-1.0);
    return d >= 0.0 && std::floor(d) == d && d < 9.0e15 ? qint64(d) : -1;
}

} // namespace

bool Shortlist::restore(const QString &json)
{
    const QJsonDocument doc = QJsonDocument::fromJson(json.toUtf8());
    if (!doc.isObject())
        return false;
    m_starred.clear();
    m_notes.clear();
    const QJsonObject object = doc.object();
    for (const QJsonValue &v : object.value(QStringLiteral("starred")).toArray())
        if (const qint64 n = trialNumber(v); n >= 0 && !m_starred.contains(n))
            m_starred.append(n);
    const QJsonObject notes = object.value(QStringLiteral("notes")).toObject();
    for (auto it = notes.begin(); it != notes.end(); ++it) {
        bool ok = false;
        const qint64 n = it.key().toLongLong(&ok);
        if (ok && n >= 0 && it.value().isString() && !it.value().toString().trimmed().isEmpty())
            m_notes[n] = it.value().toString().trimmed();
    }
    Q_EMIT restored();
    return true;
}

} // namespace psc
