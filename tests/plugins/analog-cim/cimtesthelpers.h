// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "analogcimmodel.h"

#include <psc/net/analysis.h>
#include <psc/net/networkparser.h>

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

inline psc::targets::AnalogCimParameters parametersOf(const QString &targetId)
{
    psc::plugin::ParameterError error;
    const auto p =
        psc::targets::parseAnalogCimParameters(flatten(readJson(targetsDir() + "/" + targetId + ".json")), error);
    return p ? *p : psc::targets::AnalogCimParameters{};
}

inline psc::plugin::NetworkInfo networkInfo(const std::string &networkFile)
{
    const psc::NetworkDescription description =
        psc::parseNetwork(std::string(PSC_SOURCE_DIR) + "/resources/networks/" + networkFile);
    const psc::ModelAnalysis analysis = psc::analyzeNetwork(description);
    psc::plugin::NetworkInfo n;
    n.name = analysis.networkName;
    n.inC = analysis.inputShape.channels;
    n.inH = analysis.inputShape.height;
    n.inW = analysis.inputShape.width;
    n.inputBytes = analysis.inputBytes;
    n.arenaBytes = analysis.arenaBytes;
    n.peakLiveBytes = analysis.peakLiveBytes;
    for (std::size_t i = 0; i < analysis.layers.size(); ++i) {
        const psc::LayerAnalysis &a = analysis.layers[i];
        const psc::LayerSpec &spec = description.layers[i];
        psc::plugin::LayerInfo l;
        l.name = a.name;
        // The plugin enums mirror the engine's, in the same order.
        l.op = static_cast<psc::plugin::OpKind>(static_cast<int>(a.type));
        l.activation = static_cast<psc::plugin::FusedActivation>(static_cast<int>(spec.activation));
        if (!a.inputShapes.empty()) {
            l.inC = a.inputShapes[0].channels;
            l.inH = a.inputShapes[0].height;
            l.inW = a.inputShapes[0].width;
        }
        l.outC = a.outputShape.channels;
        l.outH = a.outputShape.height;
        l.outW = a.outputShape.width;
        l.kernelH = spec.kernelH;
        l.kernelW = spec.kernelW;
        l.strideH = spec.strideH;
        l.strideW = spec.strideW;
        l.inputs = int(a.inputs.size());
        l.macs = a.macs;
        const bool weighted = l.op == psc::plugin::OpKind::Conv2d || l.op == psc::plugin::OpKind::DepthwiseConv2d ||
                              l.op == psc::plugin::OpKind::Dense;
        l.biases = weighted && spec.bias ? l.outC : 0;
        l.weights = weighted ? a.params - l.biases : 0;
        l.foldedIntoProducer = a.foldedIntoProducer;
        l.outputBytes = a.activationBytes;
        n.layers.push_back(l);
    }
    return n;
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
