// SPDX-License-Identifier: GPL-3.0-or-later
// Per-layer and whole-network estimates of the Ethos-U model: cycles = max(compute, memory areas).
#include "npumodel.h"

#include "npuweights.h"

#include <psc/plugin/parameterreader.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <optional>
#include <sstream>
#include <string_view>

namespace psc::targets::npu {

using plugin::Bound;
using plugin::LayerCost;
using plugin::LayerDeployment;
using plugin::LayerInfo;
using plugin::OpKind;

namespace {

std::int64_t ifmElements(const LayerInfo &l)
{
    return std::int64_t(l.inC) * l.inH * l.inW * std::max(1, l.inputs);
}
std::int64_t ofmElements(const LayerInfo &l)
{
    return std::int64_t(l.outC) * l.outH * l.outW;
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

/**
 * Bytes of the feature maps live while `l` runs as the NPU stores them: intermediate tensors in NHCWB16, their
 * channels rounded up to 16, the network's input and output in NHWC. With Dedicated_Sram the network's input and
 * output stay in DRAM and only the rest is cached in SRAM.
 */
std::int64_t storedLiveBytes(const LayerInfo &l, const LayerContext &context, MemoryMode mode)
{
    const std::int64_t outElements = std::max<std::int64_t>(1, std::int64_t(l.outC) * l.outH * l.outW);
    const std::int64_t elementBytes = std::max<std::int64_t>(1, l.outputBytes / outElements); // 2 for int16
    const auto bricks = [elementBytes](int c, int h, int w) {
        return std::int64_t(h) * w * ((c + 15) / 16 * 16) * elementBytes;
    };
    const std::int64_t in = l.inputBytes, out = l.outputBytes;
    const std::int64_t inStored =
        context.networkInput ? in : std::max<std::int64_t>(1, l.inputs) * bricks(l.inC, l.inH, l.inW);
    const std::int64_t outStored = context.networkOutput ? out : bricks(l.outC, l.outH, l.outW);
    std::int64_t live =
        std::max<std::int64_t>(0, l.liveBytes - in - out) + std::max(in, inStored) + std::max(out, outStored);
    if (mode == MemoryMode::DedicatedSram)
        live -= (context.networkInput ? in : 0) + (context.networkOutput ? out : 0);
    return live;
}

} // namespace

OpEstimate NpuTarget::costOp(const char *what, const NpuOp &op, const plugin::LayerDeployment *weights,
                             std::int64_t weightsPerChannel, bool bufferWeights, double previousSlack) const
{
    const NpuConfig &c = m_config;
    const NpuArch &arch = c.arch;
    OpEstimate e;
    e.what = what;
    e.op = op;
    // The weights' home: flash or DRAM, except with Sram_Only, where Vela treats them as on-chip flash with the
    // SRAM's speed (research 2.8). Conv and depthwise weights are copied by DMA into SRAM buffers first; fully
    // connected weights never are (scheduler.propose_weight_buffering, research 2.9).
    const bool weightsOffchip = c.memoryMode != MemoryMode::SramOnly;
    const std::int64_t weightElements = weights ? weightsPerChannel * op.ofm.d : 0;
    const bool dma = weightElements > 0 && bufferWeights && weightsOffchip;
    const MemoryArea sram = sramArea(), offchip = offchipArea();
    NpuOp costed = op;
    costed.constArea = dma || !weightsOffchip ? sram : offchip;

    std::optional<BlockConfig> block = m_blocks->find(arch, costed);
    if (!block) { // nothing fits the SHRAM (an enormous kernel): one micro-block, as the hardware would stream it
        block = BlockConfig{arch.ofmUblock, arch.ifmUblock, false, false};
    }
    e.block = *block;
    e.op = costed;
    const OpCycles cycles = opCycles(arch, costed, e.block);
    // The encoded weights of the whole depth (one stream per core), as Vela first encodes them.
    WeightLayout layout;
    std::int64_t weightBytes = 0;
    if (weights) {
        layout.ofmDepth = costed.ofm.d;
        layout.ifmDepth = costed.ifm.d;
        layout.kernelH = costed.kernelH;
        layout.kernelW = costed.kernelW;
        layout.depthwise = costed.type == BlockType::ConvolutionDepthWise;
        layout.partKernel = e.block.partKernel;
        layout.ofmBlockDepth = e.block.ofmBlock.d;
        layout.ofmUblockDepth = arch.ofmUblock.d;
        layout.cores = arch.cores;
        layout.weightsPerChannel = weightsPerChannel;
        layout.scaleBytesPerChannel = c.scaleBiasBytesPerChannel;
        weightBytes = m_encodings->sliceBytes(layout, {0, costed.ofm.d}, *weights).front();
    }
    e.weightBytes = weightBytes;
    e.computeCycles = cycles.cycles;
    e.npuCycles = e.computeCycles;
    // The time the next operation's weight transfer can hide under is this operation's compute as Vela's reference
    // schedule costs it: with Dedicated_Sram, before feature maps move into the SRAM cache, so with their blocks'
    // DRAM latencies (scheduler.propose_operator_buffering).
    NpuOp reference = costed;
    if (c.memoryMode == MemoryMode::DedicatedSram)
        reference.ifmArea = reference.ofmArea = offchip;
    e.slack = c.memoryMode == MemoryMode::DedicatedSram ? opCycles(arch, reference, e.block).cycles : e.computeCycles;

    // Bytes per memory area, burst-scaled, and the cycles each area needs (npu_performance.update_summary_cycles).
    const ElementAccess a = elementAccess(arch, costed, e.block);
    double sramBytes = 0, offchipBytes = 0, onchipFlashBytes = 0;
    auto onSram = [](const MemoryArea &area) { return !area.offchip; };
    const double ifmBytes = burstScaledBytes(arch, true, costed.ifmArea, costed.ifmLinear, costed.ifmBits, costed.ifm,
                                             e.block.ifmBlock, a.ifm * costed.ifmBits / 8);
    (onSram(costed.ifmArea) ? sramBytes : offchipBytes) += ifmBytes;
    if (costed.ifm2 && a.ifm2 > 0)
        (onSram(costed.ifmArea) ? sramBytes : offchipBytes) +=
            burstScaledBytes(arch, true, costed.ifmArea, costed.ifmLinear, costed.ifmBits, *costed.ifm2,
                             e.block.ifmBlock, a.ifm2 * costed.ifmBits / 8);
    (onSram(costed.ofmArea) ? sramBytes : offchipBytes) +=
        burstScaledBytes(arch, false, costed.ofmArea, costed.ofmLinear, costed.ofmBits, costed.ofm, e.block.ofmBlock,
                         a.ofm * costed.ofmBits / 8);

    if (weightElements > 0 && !dma) {
        // Read where they live, scaled by the compression ratio, without burst scaling.
        const double biasBytes = 4.0 * costed.ofm.d;
        const double ratio = std::max(0.0, double(weightBytes) - biasBytes) / double(weightElements);
        const double bytes = a.weights * ratio + a.scales * 4.0;
        (weightsOffchip ? offchipBytes : onchipFlashBytes) += bytes;
    } else if (dma) {
        // Weight DMA into SRAM, overlapped with the previous operation as far as its run time allows; what does
        // not fit under it is cut into depth slices that are double-buffered (research 2.9).
        auto transfer = [&](double bytes) {
            return std::max(std::floor(bytes / offchip.bytesPerCycle) + offchip.readLatency,
                            std::floor(bytes / sram.bytesPerCycle));
        };
        const double full = transfer(double(weightBytes));
        const int depth = costed.ofm.d;
        auto roundDown = [](double v, int q) { return double(std::int64_t(v / q) * q); };
        const double prebufferDepth =
            full > previousSlack ? std::max(16.0, roundDown(depth * previousSlack / full, 16)) : double(depth);
        if (prebufferDepth >= depth) {
            e.npuCycles = e.computeCycles + full - std::min(full, previousSlack);
            e.weightBufferBytes = e.firstBufferBytes = e.lastBufferBytes = weightBytes;
        } else {
            NpuOp part = reference;
            part.ofm.d = int(prebufferDepth);
            const double preCycles = opCycles(arch, part, e.block).cycles;
            const int blockDepth = e.block.ofmBlock.d;
            double buffering = std::ceil(depth * preCycles / full / blockDepth) * blockDepth;
            buffering = buffering > blockDepth ? roundDown(buffering, blockDepth) : roundDown(buffering, 16);
            buffering = std::max(16.0, buffering);
            std::vector<int> slices{0};
            for (double d = prebufferDepth; d < depth; d += buffering)
                slices.push_back(int(d));
            slices.push_back(depth);
            part.ofm.d = slices.back() - slices[slices.size() - 2];
            const double tail = opCycles(arch, part, e.block).cycles;
            // Each depth slice is encoded as streams of its own (weight_compressor.encode_weight_and_scale_tensor).
            const std::vector<std::int64_t> sliceBytes = m_encodings->sliceBytes(layout, slices, *weights);
            e.weightBytes = std::accumulate(sliceBytes.begin(), sliceBytes.end(), std::int64_t(0));
            const double first = transfer(double(sliceBytes.front()));
            e.npuCycles = std::max(full - previousSlack + tail, e.computeCycles + std::max(first - previousSlack, 0.0));
            std::int64_t even = 0, odd = 0; // the two buffers hold alternate slices
            for (std::size_t i = 0; i < sliceBytes.size(); ++i)
                (i % 2 ? odd : even) = std::max(i % 2 ? odd : even, sliceBytes[i]);
            e.weightBufferBytes = even + odd;
            e.firstBufferBytes = even;
            e.lastBufferBytes = sliceBytes.size() % 2 ? even : odd; // the buffer of the last slice
            e.depthSlices = slices;
            e.slack = tail;
        }
    }
    if (op.constantElements > 0) // an int32 constant operand, read where the weights live
        (weightsOffchip ? offchipBytes : onchipFlashBytes) +=
            burstScaledBytes(arch, true, weightsOffchip ? offchip : sram, true, 32, Shape3{}, e.block.ifmBlock,
                             4.0 * op.constantElements);
    if (op.activation == ActivationRate::Lut) {
        // The 256-entry int32 table is copied by DMA into the SHRAM before the operation; only what the previous
        // operation's run time does not hide adds up (npu_performance.estimate_full_op_performance).
        const MemoryArea &home = weightsOffchip ? offchip : sram;
        const double lut = std::floor(1024.0 / home.bytesPerCycle) + home.readLatency;
        e.npuCycles += std::max(lut - previousSlack, 0.0);
    }
    e.sramAccessCycles = sramBytes / sram.bytesPerCycle;
    e.offchipAccessCycles = offchipBytes / offchip.bytesPerCycle;
    const double onchipFlashCycles = onchipFlashBytes / sram.bytesPerCycle;
    e.cycles = std::max({e.npuCycles, e.sramAccessCycles, e.offchipAccessCycles, onchipFlashCycles});
    return e;
}

LayerCost NpuTarget::layerCost(const LayerInfo &layer, const LayerDeployment &deployment, const LayerContext &context,
                               LayerTotals &totals, bool detail) const
{
    const NpuConfig &c = m_config;
    LayerCost cost;
    if (detail)
        cost.layer = layer.name;
    cost.workingMemoryBytes = layer.liveBytes;
    totals = {};
    totals.slack = context.previousSlack;

    if (layer.op == OpKind::Flatten && context.networkInput && c.memoryMode == MemoryMode::DedicatedSram) {
        // Reshaping the network input, which stays in DRAM, is a DMA copy into the SRAM cache (Vela's Memcpy):
        // what the previous operation's run time does not hide.
        const MemoryArea off = offchipArea();
        const double copy = std::floor(double(ifmElements(layer)) / off.bytesPerCycle) + off.readLatency;
        cost.cycles = cost.stallCycles = std::max(copy - context.previousSlack, 0.0);
        cost.computeCycles = 0;
        cost.latencyS = cost.cycles / c.clockHz;
        cost.bound = Bound::Dram;
        if (detail)
            cost.note = "reshape of the network input: DMA copy from DRAM into the SRAM cache";
        return cost;
    }
    if (layer.op == OpKind::Flatten || layer.foldedIntoProducer) {
        cost.cycles = cost.computeCycles = cost.stallCycles = 0;
        cost.bound = Bound::None;
        if (detail)
            cost.note = layer.op == OpKind::Flatten ? "reshape: no data movement" : "folded into its producer";
        return cost;
    }

    auto hostSeconds = [&](double macs, double elements) {
        return (c.hostCyclesPerMac * macs + c.hostCyclesPerElement * elements) / c.hostClockHz;
    };

    const std::string reason = unsupportedReason(layer, deployment);
    if (!reason.empty()) {
        // The whole layer runs on the host MCU (TFLM + CMSIS-NN), reading and writing the SRAM arena. Vela does not
        // estimate CPU operators; the host cycles are reported apart from the NPU's.
        const double elements = double(std::max(ifmElements(layer), ofmElements(layer)));
        cost.latencyS = hostSeconds(double(layer.macs), elements);
        cost.hostCycles = cost.latencyS * c.hostClockHz;
        cost.cycles = 0;
        cost.energyJ = (c.hostActivePowerW + c.staticPowerW) * cost.latencyS;
        cost.bound = Bound::Host;
        cost.fallback = true;
        if (detail)
            cost.note = "host fallback: " + reason;
        // Weights of a fallback layer are stored as in a TFLite file: raw bytes + int32 biases.
        if (layer.weights > 0)
            cost.weightStorageBytes = (layer.weights * deployment.weightBits + 7) / 8 + 4 * layer.biases;
        return cost;
    }

    // A softmax's 31 operations cost the same whatever runs before them (their first has no weights to prefetch):
    // a search asks for them once per shape.
    std::vector<OpEstimate> ops;
    OpTotals sum;
    if (layer.op == OpKind::Softmax && !detail) {
        const Memo<4, OpTotals>::Key key{layer.outH, layer.outW, layer.outC,
                                         context.networkOutput + 2 * deployment.activationBits};
        sum = m_softmax->get(key, [&] { return OpTotals::of(lower(layer, deployment, context)); });
    } else {
        ops = lower(layer, deployment, context);
        sum = OpTotals::of(ops);
    }
    if (sum.operations == 0)
        sum.slack = context.previousSlack;
    const double compute = sum.compute, npu = sum.npu, total = sum.total, sramCycles = sum.sram,
                 offCycles = sum.offchip;
    cost.weightStorageBytes = sum.weightBytes;
    totals.weightBufferBytes = sum.weightBuffer;
    totals.firstBufferBytes = sum.firstBuffer;
    totals.lastBufferBytes = sum.lastBuffer;
    totals.slack = sum.slack;
    double hostS = 0;
    if (layer.activation == plugin::FusedActivation::Softmax && c.fallbackOps.count("softmax")) {
        hostS = hostSeconds(0, double(ofmElements(layer)));
        cost.hostCycles = hostS * c.hostClockHz;
        cost.fallback = true;
    }
    totals.macsOnNpu = double(layer.macs);

    cost.cycles = total;
    cost.computeCycles = compute;
    cost.stallCycles = total - compute;
    cost.latencyS = total / c.clockHz + hostS;
    cost.bound = Bound::Compute;
    if (total > npu)
        cost.bound = sramCycles >= offCycles ? Bound::Sram : (c.offchipIsDram ? Bound::Dram : Bound::Flash);
    else if (npu > compute)
        cost.bound = c.offchipIsDram ? Bound::Dram : Bound::Flash; // waiting for the weight DMA
    if (hostS > total / c.clockHz)
        cost.bound = Bound::Host;
    cost.utilization = total > 0 ? std::min(1.0, double(layer.macs) / (total * c.macsPerCycle)) : 0.0;
    // Energy: MACs, the burst-scaled bytes moved in SRAM and off-chip (a short burst costs a full one), static power
    // over the run.
    const double sramPerCycle = c.sramBandwidth / c.clockHz, offPerCycle = c.offchipBandwidth / c.clockHz;
    cost.energyJ = double(layer.macs) * c.energyPerMacJ + sramCycles * sramPerCycle * c.sramEnergyPerByteJ +
                   offCycles * offPerCycle * c.offchipEnergyPerByteJ + c.staticPowerW * cost.latencyS +
                   c.hostActivePowerW * hostS;
    if (detail) {
        // One entry per operation; a run of operations of one kind (softmax's 31 passes) as one entry with sums, so
        // that notes stay a line or two.
        std::ostringstream note;
        for (std::size_t i = 0; i < ops.size();) {
            std::size_t end = i + 1;
            while (end < ops.size() && std::string_view(ops[end].what) == ops[i].what)
                ++end;
            double busy = 0, dma = 0, sram = 0, off = 0;
            for (std::size_t k = i; k < end; ++k) {
                busy += ops[k].computeCycles;
                dma += ops[k].npuCycles - ops[k].computeCycles;
                sram += ops[k].sramAccessCycles;
                off += ops[k].offchipAccessCycles;
            }
            if (i > 0)
                note << "; ";
            note << ops[i].what;
            if (end - i > 1) {
                note << " x" << end - i;
            } else {
                const Shape3 &b = ops[i].block.ofmBlock;
                note << ": block " << b.h << "x" << b.w << "x" << b.d;
                if (ops[i].block.partKernel)
                    note << " part-kernel-first";
            }
            note << (end - i > 1 ? ": compute " : ", compute ") << busy;
            if (dma > 0)
                note << " + DMA " << dma; // weights, or softmax's exp table
            note << ", sram " << std::lround(sram) << ", " << (c.offchipIsDram ? "dram " : "flash ")
                 << std::lround(off);
            i = end;
        }
        if (hostS > 0)
            note << "; fused softmax on the host";
        cost.note = note.str();
    }
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

    std::int64_t maxWeightBuffer = 0, weightBytes = 0, fallbackLayers = 0;
    double macsOnNpu = 0, computeCycles = 0, hostCycles = 0, slack = 0;
    // For Vela's "Total SRAM used": per running layer, its live feature maps as the NPU stores them and its
    // weight buffers.
    struct Resident
    {
        std::int64_t live = 0, buffers = 0, firstBuffer = 0, lastBuffer = 0;
    };
    std::vector<Resident> resident;
    plugin::requireDeploymentPerLayer(m_targetId, network, deployment);
    std::size_t last = network.layers.size();
    while (last > 0 && network.layers[last - 1].op == OpKind::Flatten)
        --last;
    for (std::size_t i = 0; i < network.layers.size(); ++i) {
        LayerContext context;
        context.networkInput = i == 0;
        context.networkOutput = i + 1 >= last;
        context.previousSlack = slack;
        LayerTotals totals;
        LayerCost lc = layerCost(network.layers[i], deployment[i], context, totals, detail);
        slack = totals.slack;
        out.cycles += lc.cycles;
        out.latencyS += lc.latencyS;
        out.energyJ += lc.energyJ;
        out.weightStorageBytes += lc.weightStorageBytes;
        weightBytes += lc.weightStorageBytes;
        fallbackLayers += lc.fallback ? 1 : 0;
        computeCycles += std::isfinite(lc.computeCycles) ? lc.computeCycles : 0.0;
        hostCycles += lc.hostCycles;
        maxWeightBuffer = std::max(maxWeightBuffer, totals.weightBufferBytes);
        const LayerInfo &l = network.layers[i];
        if (!l.foldedIntoProducer && l.op != OpKind::Flatten && !(lc.fallback && lc.cycles == 0))
            resident.push_back({storedLiveBytes(l, context, c.memoryMode), totals.weightBufferBytes,
                                totals.firstBufferBytes, totals.lastBufferBytes});
        macsOnNpu += totals.macsOnNpu;
        if (detail)
            out.layers.push_back(std::move(lc));
    }

    std::int64_t arena = network.arenaBytes > 0 ? network.arenaBytes : network.peakLiveBytes;
    for (const LayerInfo &l : network.layers)
        arena = std::max(arena, l.liveBytes);

    // A layer's feature maps live with its weight buffers while it runs; between it and the next layer they live
    // with the next layer's first weight buffer, filled ahead (Vela's pre-buffering, live_range.py), and with this
    // layer's buffer that is used last (its only one, or of a double buffer the one holding its last slice).
    std::int64_t velaSram = 0;
    for (std::size_t i = 0; i < resident.size(); ++i) {
        const std::int64_t next = i + 1 < resident.size() ? resident[i + 1].firstBuffer : 0;
        velaSram = std::max(
            {velaSram, resident[i].live + resident[i].buffers, resident[i].live + resident[i].lastBuffer + next});
    }
    std::int64_t sramUsed = 0, offchipUsed = 0;
    switch (c.memoryMode) {
    case MemoryMode::SramOnly:
        sramUsed = velaSram + weightBytes;
        break;
    case MemoryMode::SharedSram:
        sramUsed = velaSram;
        offchipUsed = weightBytes;
        break;
    case MemoryMode::DedicatedSram:
        sramUsed = velaSram;
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

    out.extra["cycles"] = out.cycles; // NPU cycles, as Vela totals them
    out.extra["compute_cycles"] = computeCycles;
    out.extra["stall_cycles"] = out.cycles - computeCycles;
    out.extra["host_cycles"] = hostCycles; // fallback operators, in the host's clock
    out.extra["sram_bytes"] = double(sramUsed);
    out.extra[c.offchipIsDram ? "dram_bytes" : "flash_bytes"] = double(offchipUsed);
    out.extra["weight_bytes"] = double(weightBytes);
    out.extra["fallback_layers"] = double(fallbackLayers);
    out.extra["macs_per_cycle"] = double(c.macsPerCycle);
    return out;
}

} // namespace psc::targets::npu
