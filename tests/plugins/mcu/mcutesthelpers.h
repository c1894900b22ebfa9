// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <psc/plugin/hardwaretarget.h>

#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QString>
#include <QStringList>

#include <string>
#include <vector>

/** Shared by the mcu tests: reading target files the way the engine does (flattening "parameters"). */
namespace psc::mcutest {

inline QString targetsDir()
{
    return QStringLiteral(PSC_SOURCE_DIR "/resources/targets");
}

/** The JSON object of a target file, or an empty object if it cannot be read. */
inline QJsonObject readTargetObject(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return {};
    return QJsonDocument::fromJson(file.readAll()).object();
}

/** Every target file of model "mcu" under resources/targets. */
inline QStringList mcuTargetFiles()
{
    QStringList files;
    const QDir dir(targetsDir());
    for (const QString &name : dir.entryList({QStringLiteral("*.json")}, QDir::Files, QDir::Name)) {
        const QString path = dir.filePath(name);
        if (readTargetObject(path).value(QStringLiteral("model")).toString() == QLatin1String("mcu"))
            files << path;
    }
    return files;
}

/** name -> {number or text}, as the engine passes parameters to TargetFactory::create(). */
inline plugin::Parameters flattenParameters(const QJsonObject &target)
{
    plugin::Parameters parameters;
    const QJsonObject object = target.value(QStringLiteral("parameters")).toObject();
    for (auto it = object.begin(); it != object.end(); ++it) {
        const QJsonValue value = it.value().toObject().value(QStringLiteral("value"));
        plugin::ParameterValue v;
        if (value.isDouble())
            v.number = value.toDouble();
        else
            v.text = value.toString().toStdString();
        parameters[it.key().toStdString()] = v;
    }
    return parameters;
}

inline plugin::Parameters targetParameters(const std::string &id)
{
    return flattenParameters(
        readTargetObject(targetsDir() + QLatin1Char('/') + QString::fromStdString(id) + QStringLiteral(".json")));
}

inline plugin::ParameterValue number(double v)
{
    plugin::ParameterValue p;
    p.number = v;
    return p;
}

inline plugin::ParameterValue text(const std::string &t)
{
    plugin::ParameterValue p;
    p.text = t;
    return p;
}

} // namespace psc::mcutest
