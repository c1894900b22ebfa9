// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "analogcimmodel.h"

#include <psc/net/analysis.h>
#include <psc/net/networkparser.h>
#include <psc/targets/costinput.h>

#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QString>
#include <QStringList>

#include <memory>
#include <string>

/**
 * Helpers shared by the analog-cim tests: a target file flattened the way the engine does it, and a network
 * file converted to the plugin's NetworkInfo (the engine's own converter is written in parallel; this one
 * only fills what the analog-cim model reads). Test-only; main thread.
 */
namespace cimtest {

inline QString targetsDir()
{
    return QStringLiteral(PSC_SOURCE_DIR "/resources/targets");
}

inline QJsonObject readJson(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return QJsonDocument::fromJson(f.readAll()).object();
}

/** "parameters": {name: {"value": number|text, ...}} -> name -> {number or text}. */
inline psc::plugin::Parameters flatten(const QJsonObject &target)
{
    psc::plugin::Parameters out;
    const QJsonObject parameters = target.value(QStringLiteral("parameters")).toObject();
    for (auto it = parameters.begin(); it != parameters.end(); ++it) {
        const QJsonValue v = it.value().toObject().value(QStringLiteral("value"));
        psc::plugin::ParameterValue pv;
        if (v.isDouble())
            pv.number = v.toDouble();
        else
            pv.text = v.toString().toStdString();
        out[it.key().toStdString()] = pv;
    }
    return out;
}

/** The paths of every target file whose "model" is analog-cim. */
inline QStringList analogCimTargetFiles()
{
    QStringList files;
    const QDir dir(targetsDir());
    for (const QString &name : dir.entryList({QStringLiteral("*.json")}, QDir::Files, QDir::Name)) {
        const QString path = dir.filePath(name);
        if (readJson(path).value(QStringLiteral("model")).toString() == QLatin1String("analog-cim"))
            files << path;
    }
    return files;
}

inline psc::targets::analogcim::AnalogCimParameters parametersOf(const QString &targetId)
{
    psc::plugin::ParameterError error;
    const auto p = psc::targets::analogcim::parseAnalogCimParameters(
        flatten(readJson(targetsDir() + "/" + targetId + ".json")), error);
    return p ? *p : psc::targets::analogcim::AnalogCimParameters{};
}

inline psc::plugin::NetworkInfo networkInfo(const std::string &networkFile)
{
    const psc::NetworkDescription description =
        psc::parseNetwork(std::string(PSC_SOURCE_DIR) + "/resources/networks/" + networkFile);
    return psc::toNetworkInfo(description, psc::analyzeNetwork(description));
}

inline std::vector<psc::plugin::LayerDeployment> uniform(const psc::plugin::NetworkInfo &n, int activationBits,
                                                         double sparsity = 0.0, int weightBits = 8)
{
    psc::plugin::LayerDeployment d;
    d.activationBits = activationBits;
    d.weightBits = weightBits;
    d.sparsity = sparsity;
    if (sparsity > 0)
        d.pattern = psc::plugin::SparsityPattern::Unstructured;
    return std::vector<psc::plugin::LayerDeployment>(n.layers.size(), d);
}

} // namespace cimtest
