// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "psc/net/analysis.h"
#include "psc/net/networkparser.h"

#include <psc/plugin/hardwaretarget.h>

#include <string>

/**
 * @file
 * Test helper: the NetworkInfo the engine hands a cost model, built here from a real network file with the
 * engine's parser and analysis (the engine's own conversion is written in parallel; this one is ours, int8).
 */
namespace psc::test {

using namespace psc::plugin;

inline psc::plugin::OpKind opKind(psc::LayerType t)
{
    // The plugin API mirrors the engine's enum one to one.
    return static_cast<OpKind>(static_cast<int>(t));
}

/** Builds the NetworkInfo the engine will hand us, from a real network file. */
inline psc::plugin::NetworkInfo networkInfoFromFile(const std::string &file)
{
    const psc::NetworkDescription desc = psc::parseNetwork(std::string(PSC_SOURCE_DIR) + "/resources/networks/" + file);
    const psc::ModelAnalysis a = psc::analyzeNetwork(desc);
    NetworkInfo n;
    n.name = a.networkName;
    n.inC = a.inputShape.channels, n.inH = a.inputShape.height, n.inW = a.inputShape.width;
    n.inputBytes = a.inputBytes;
    n.arenaBytes = a.arenaBytes;
    n.peakLiveBytes = a.peakLiveBytes;
    for (std::size_t i = 0; i < a.layers.size(); ++i) {
        const psc::LayerAnalysis &la = a.layers[i];
        const psc::LayerSpec &spec = desc.layers[i];
        LayerInfo l;
        l.name = la.name;
        l.op = opKind(la.type);
        l.inC = la.inputShapes.at(0).channels, l.inH = la.inputShapes[0].height, l.inW = la.inputShapes[0].width;
        l.outC = la.outputShape.channels, l.outH = la.outputShape.height, l.outW = la.outputShape.width;
        l.kernelH = spec.kernelH, l.kernelW = spec.kernelW, l.strideH = spec.strideH, l.strideW = spec.strideW;
        l.inputs = int(la.inputShapes.size());
        l.macs = la.macs;
        const bool mac = la.type == psc::LayerType::Conv2d || la.type == psc::LayerType::DepthwiseConv2d ||
                         la.type == psc::LayerType::Dense;
        l.biases = mac && spec.bias ? l.outC : 0;
        l.weights = mac ? la.params - l.biases : 0;
        l.foldedIntoProducer = la.foldedIntoProducer;
        l.outputBytes = la.activationBytes;
        for (const psc::Shape &s : la.inputShapes)
            l.inputBytes += s.elements(); // int8 activations
        n.layers.push_back(l);
    }
    return n;
}

} // namespace psc::test
