// SPDX-License-Identifier: GPL-3.0-or-later
// Per-layer and whole-network estimates of the Ethos-U model: cycles = max(compute, memory areas).
#include "npumodel.h"

#include "npuweights.h"

#include <psc/plugin/parameterreader.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <optional>
#include <sstream>

namespace psc::targets::npu {

using plugin::Bound;
using plugin::LayerCost;
using plugin::LayerDeployment;
using plugin::LayerInfo;
using plugin::OpKind;

namespace {

// Vela lowers SOFTMAX into a chain of element-wise and LUT passes; we charge ten element-wise passes [R].
constexpr double kSoftmaxPasses = 10.0;

std::int64_t ifmElements(const LayerInfo &l)
{
    return std::int64_t(l.inC) * l.inH * l.inW * std::max(1, l.inputs);
}
std::int64_t ofmElements(const LayerInfo &l)
{
    return std::int64_t(l.outC) * l.outH * l.outW;
}
bool isMacOrPool(OpKind op)
{
    return op == OpKind::Conv2d || op == OpKind::DepthwiseConv2d || op == OpKind::Dense || op == OpKind::AvgPool2d ||
           op == OpKind::MaxPool2d || op == OpKind::GlobalAvgPool;
}

std::string formatBytes(double v)
{
    // snprintf rather than a stream: limits are formatted for every estimate, searches included.
    char buffer[48];
    if (v >= 1024.0 * 1024.0)
        std::snprintf(buffer, sizeof buffer, "%g MiB", v / (1024.0 * 1024.0));
    else if (v >= 1024.0)
        std::snprintf(buffer, sizeof buffer, "%g KiB", v / 1024.0);
    else
        std::snprintf(buffer, sizeof buffer, "%g B", v);
    return buffer;
}

plugin::LimitCheck limit(const std::string &name, double value, double cap, const std::string &what, bool detail)
{
    plugin::LimitCheck l;
    l.name = name;
    l.value = value;
    l.limit = cap;
    l.unit = "B";
    l.ok = value <= cap;
    if (detail || !l.ok) // a search needs the message only for a violated limit
        l.message = what + " " + formatBytes(value) + (l.ok ? " <= " : " > ") + formatBytes(cap);
    return l;
}

} // namespace

LayerCost NpuTarget::layerCost(const LayerInfo &layer, const LayerDeployment &deployment, std::int64_t &sramBytesPlaced,
                               std::int64_t &weightBufferBytes, double &macsOnNpu, bool detail) const
{
    const NpuConfig &c = m_config;
    LayerCost cost;
    if (detail)
        cost.layer = layer.name;
    cost.workingMemoryBytes = layer.liveBytes;
    sramBytesPlaced = 0;
    weightBufferBytes = 0;
    macsOnNpu = 0;

    if (layer.op == OpKind::Flatten || (layer.op == OpKind::BatchNorm && layer.foldedIntoProducer)) {
        cost.cycles = 0;
        cost.bound = Bound::None;
        if (detail)
            cost.note = layer.op == OpKind::Flatten ? "reshape: no data movement" : "folded into the producer";
        return cost;
    }

    auto hostSeconds = [&](double macs, double elements) {
        return (c.hostCyclesPerMac * macs + c.hostCyclesPerElement * elements) / c.hostClockHz;
    };

    const std::string reason = unsupportedReason(layer, deployment);
    if (!reason.empty()) {
        // The whole layer runs on the host MCU (TFLM + CMSIS-NN), reading and writing the SRAM arena.
        const double elements = double(std::max(ifmElements(layer), ofmElements(layer)));
        cost.latencyS = hostSeconds(double(layer.macs), elements);
        cost.cycles = cost.latencyS * c.clockHz; // in NPU-clock cycles, so that layer cycles add up
        cost.energyJ = (c.hostActivePowerW + c.staticPowerW) * cost.latencyS;
        cost.bound = Bound::Host;
        cost.fallback = true;
        if (detail) {
            std::ostringstream note;
            note << "host fallback: " << reason << "; " << cost.latencyS * c.hostClockHz << " host cycles";
            cost.note = note.str();
        }
        // Weights of a fallback layer are stored as in a TFLite file: raw bytes + int32 biases.
        if (layer.weights > 0)
            cost.weightStorageBytes = (layer.weights * deployment.weightBits + 7) / 8 + 4 * layer.biases;
        return cost;
    }

    const int eb = deployment.activationBits > 8 ? 2 : 1;
    double computeCycles = 0;
    double sramBytes = 0, offchipBytes = 0;
    double weightStreamBytes = 0;
    // Notes are for people; a search asks for totals only and skips the (comparatively costly) formatting.
    std::optional<std::ostringstream> note;
    if (detail)
        note.emplace();
    const double ifmBytes = double(ifmElements(layer)) * eb, ofmBytes = double(ofmElements(layer)) * eb;
    double ifmTraffic = ifmBytes;

    if (isMacOrPool(layer.op)) {
        const ComputeEstimate e = compute(layer, deployment);
        computeCycles = e.cycles;
        ifmTraffic = ifmBytes * double(e.ifmRereads);
        if (layer.weights > 0) {
            const WeightStream w = compressWeights(layer.weights, deployment, e.weightStreams);
            weightStreamBytes = double(w.bytes) + c.scaleBiasBytesPerChannel * layer.outC;
            cost.weightStorageBytes = std::int64_t(std::ceil(weightStreamBytes));
            // Double-buffered weights of one OFM depth block while the previous one is consumed. Fully connected
            // weights are never buffered: the NPU reads them straight from flash or DRAM (Vela 3.10
            // scheduler.propose_weight_buffering; research 2.9).
            if (layer.op != OpKind::Dense)
                weightBufferBytes = 2 * std::int64_t(std::ceil(weightStreamBytes / e.weightStreams));
            if (note)
                *note << "weights " << w.bitsPerValue << " bit/value" << (w.palette ? ", palette" : "")
                      << (w.zeroRuns ? ", zero-runs" : "") << "; ";
        }
        if (note)
            *note << "block " << e.block.width << "x" << e.block.height << "x" << e.block.depth << ", " << e.blocks
                  << " blocks";
        if (layer.op == OpKind::DepthwiseConv2d)
            if (note)
                *note << ", depthwise: 4 kernel elements per step";
        if (e.partKernelFirst && note)
            *note << ", part-kernel-first (4 kernel elements x 8 channels per step)";
        if (e.loweredWeightBytes > 0) {
            // MEAN as Vela lowers it: an all-ones depthwise kernel (streamed like any weights) and a MUL.
            weightStreamBytes = double(e.loweredWeightBytes);
            cost.weightStorageBytes = e.loweredWeightBytes;
            weightBufferBytes = 2 * e.loweredWeightBytes / std::max(1, e.weightStreams);
            if (note)
                *note << ", lowered to an all-ones depthwise conv + MUL (as Vela does)";
        }
        macsOnNpu = double(layer.macs);
        offchipBytes += weightStreamBytes * double(e.weightRereads);
    } else if (layer.op == OpKind::Relu || layer.op == OpKind::Relu6) {
        // Vela runs a standalone activation as a 1x1 average-pool no-op with the activation attached
        // (pass_packing.create_primary_op, research 2.6): the output stage's rate, which on every shipped
        // configuration equals the activation table's.
        computeCycles = double(ofmElements(layer)) * c.outputCyclesPerElement;
        if (note)
            *note << "activation as a 1x1 pool";
    } else {
        // Element-wise: add, non-folded batch norm, softmax (a chain of passes), at the ADD/SUB rate.
        const double passes = layer.op == OpKind::Softmax ? kSoftmaxPasses : 1.0;
        computeCycles = double(ofmElements(layer)) * c.elementwiseCyclesPerElement * passes;
        ifmTraffic = ifmBytes * passes;
        if (note)
            *note << "element-wise" << (passes > 1 ? " x10 passes (softmax)" : "");
        // A batch norm that is not folded becomes MUL + ADD with constant int8 per-channel operands.
        if (layer.weights > 0) {
            weightStreamBytes = double(layer.weights);
            cost.weightStorageBytes = layer.weights;
            offchipBytes += weightStreamBytes;
        }
    }

    double hostS = 0;
    if (layer.activation == plugin::FusedActivation::Softmax) {
        if (c.fallbackOps.count("softmax")) {
            hostS = hostSeconds(0, double(ofmElements(layer)));
            cost.fallback = true;
            if (note)
                *note << "; fused softmax on the host";
        } else {
            computeCycles += double(ofmElements(layer)) * c.elementwiseCyclesPerElement * kSoftmaxPasses;
            if (note)
                *note << "; fused softmax on the NPU";
        }
    }

    // Feature maps: in SRAM unless the arena lives off-chip and this layer's tensors overflow the cache.
    const double fmBytes = ifmTraffic + ofmBytes;
    bool fmInSram = true;
    if (c.memoryMode == MemoryMode::DedicatedSram) {
        const double live = layer.liveBytes > 0 ? double(layer.liveBytes) : ifmBytes + ofmBytes;
        fmInSram = live + double(weightBufferBytes) <= double(c.sramBytes);
        if (fmInSram)
            sramBytesPlaced = std::int64_t(live);
    }
    (fmInSram ? sramBytes : offchipBytes) += fmBytes;
    if (c.memoryMode == MemoryMode::SramOnly) {
        sramBytes += offchipBytes; // the weights too
        offchipBytes = 0;
    }

    const double sramPerCycle = c.sramBandwidth / c.clockHz, offPerCycle = c.offchipBandwidth / c.clockHz;
    const double sramCycles = sramBytes > 0 ? sramBytes / sramPerCycle + c.sramLatencyCycles : 0.0;
    const double offCycles = offchipBytes > 0 ? offchipBytes / offPerCycle + c.offchipLatencyCycles : 0.0;
    const double npuCycles = std::max({computeCycles, sramCycles, offCycles});
    cost.bound = Bound::Compute;
    if (npuCycles > computeCycles)
        cost.bound = sramCycles >= offCycles ? Bound::Sram : (c.offchipIsDram ? Bound::Dram : Bound::Flash);
    const double npuS = npuCycles / c.clockHz;
    cost.latencyS = npuS + hostS;
    cost.cycles = npuCycles + hostS * c.clockHz;
    if (hostS > npuS)
        cost.bound = Bound::Host;
    cost.utilization = npuCycles > 0 ? std::min(1.0, double(layer.macs) / (npuCycles * c.macsPerCycle)) : 0.0;
    cost.energyJ = double(layer.macs) * c.energyPerMacJ + sramBytes * c.sramEnergyPerByteJ +
                   offchipBytes * c.offchipEnergyPerByteJ + c.staticPowerW * cost.latencyS + c.hostActivePowerW * hostS;
    if (note)
        *note << "; compute " << computeCycles << ", sram " << sramCycles << ", "
              << (c.offchipIsDram ? "dram " : "flash ") << offCycles << " cycles";
    if (note)
        cost.note = note->str();
    return cost;
}

plugin::CostEstimate NpuTarget::estimate(const plugin::NetworkInfo &network,
                                         const std::vector<LayerDeployment> &deployment) const
{
    return estimate(network, deployment, true);
}

plugin::CostEstimate NpuTarget::estimateTotals(const plugin::NetworkInfo &network,
                                               const std::vector<LayerDeployment> &deployment) const
{
    return estimate(network, deployment, false);
}

plugin::CostEstimate NpuTarget::estimate(const plugin::NetworkInfo &network,
                                         const std::vector<LayerDeployment> &deployment, bool detail) const
{
    const NpuConfig &c = m_config;
    plugin::CostEstimate out;
    out.targetId = m_targetId;
    out.model = kModelId;
    out.modelVersion = kModelVersion;
    out.cycles = 0;

    std::int64_t maxWeightBuffer = 0, maxSramPlaced = 0, weightBytes = 0, fallbackLayers = 0;
    double macsOnNpu = 0;
    plugin::requireDeploymentPerLayer(m_targetId, network, deployment);
    for (std::size_t i = 0; i < network.layers.size(); ++i) {
        const LayerDeployment &d = deployment[i];
        std::int64_t placed = 0, buffer = 0;
        double macs = 0;
        LayerCost lc = layerCost(network.layers[i], d, placed, buffer, macs, detail);
        out.cycles += lc.cycles;
        out.latencyS += lc.latencyS;
        out.energyJ += lc.energyJ;
        out.weightStorageBytes += lc.weightStorageBytes;
        weightBytes += lc.weightStorageBytes;
        fallbackLayers += lc.fallback ? 1 : 0;
        maxWeightBuffer = std::max(maxWeightBuffer, buffer);
        maxSramPlaced = std::max(maxSramPlaced, placed);
        macsOnNpu += macs;
        if (detail)
            out.layers.push_back(std::move(lc));
    }

    std::int64_t arena = network.arenaBytes > 0 ? network.arenaBytes : network.peakLiveBytes;
    for (const LayerInfo &l : network.layers)
        arena = std::max(arena, l.liveBytes);

    std::int64_t sramUsed = 0, offchipUsed = 0;
    switch (c.memoryMode) {
    case MemoryMode::SramOnly:
        sramUsed = arena + weightBytes;
        break;
    case MemoryMode::SharedSram:
        sramUsed = arena + maxWeightBuffer;
        offchipUsed = weightBytes;
        break;
    case MemoryMode::DedicatedSram:
        sramUsed = maxSramPlaced + maxWeightBuffer;
        offchipUsed = weightBytes + arena;
        break;
    }
    out.peakMemoryBytes = arena + maxWeightBuffer;
    out.utilization = out.cycles > 0 ? std::min(1.0, macsOnNpu / (out.cycles * c.macsPerCycle)) : 0.0;

    out.limits.push_back(limit("sram", double(sramUsed), double(c.sramBytes),
                               c.memoryMode == MemoryMode::DedicatedSram ? "SRAM cache" : "peak SRAM", detail));
    const std::string offName = c.offchipIsDram ? "dram" : "flash";
    if (c.offchipBytes && c.memoryMode != MemoryMode::SramOnly)
        out.limits.push_back(
            limit(offName, double(offchipUsed), double(*c.offchipBytes), c.offchipIsDram ? "DRAM" : "flash", detail));

    out.extra["cycles"] = out.cycles;
    out.extra["sram_bytes"] = double(sramUsed);
    out.extra[c.offchipIsDram ? "dram_bytes" : "flash_bytes"] = double(offchipUsed);
    out.extra["weight_bytes"] = double(weightBytes);
    out.extra["fallback_layers"] = double(fallbackLayers);
    out.extra["macs_per_cycle"] = double(c.macsPerCycle);
    return out;
}

} // namespace psc::targets::npu
