// SPDX-License-Identifier: GPL-3.0-or-later
#include "systolicmodel.h"

#include <psc/plugin/parameterreader.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <utility>

namespace psc::targets::systolic {

using plugin::Bound;
using plugin::CostEstimate;
using plugin::LayerCost;
using plugin::LayerDeployment;
using plugin::LayerInfo;
using plugin::NetworkInfo;
using plugin::OpKind;
using plugin::SparsityPattern;

namespace {

std::int64_t ceilDiv(std::int64_t a, std::int64_t b)
{
    return (a + b - 1) / b;
}

/**
 * DRAM bytes for one operand: its unique bytes once when they fit in their SRAM; otherwise part of the SRAM
 * demand is refetched. The refetched share falls linearly from all of the demand (no SRAM) to none (the
 * operand fits) - a deliberately simple stand-in for SCALE-Sim's double-buffered scratchpad simulation.
 */
double dramBytes(double unique, double demand, double capacity)
{
    demand = std::max(demand, unique);
    if (unique <= capacity)
        return unique;
    return unique + (demand - unique) * (1.0 - capacity / unique);
}

std::string format(const char *pattern, double a, double b)
{
    char buffer[160];
    std::snprintf(buffer, sizeof buffer, pattern, a, b);
    return buffer;
}

/** Which of a layer's operands cross DRAM (see Storage). */
struct Residency
{
    bool ifmap = true, weights = true, ofmap = true;
};

/** Cost figures of one layer before the totals are summed. */
struct LayerFigures
{
    LayerCost cost;
    double work = 0.0;          ///< MACs the PEs executed (times operand passes)
    double denseMacs = 0.0;     ///< dense-equivalent MACs (LayerInfo::macs)
    double computeCycles = 0.0; ///< without DRAM stalls
    double sramReadBytes = 0.0, sramWriteBytes = 0.0, dram = 0.0;
    double energyCompute = 0.0, energySram = 0.0, energyDram = 0.0;
};

/** Elements the vector unit touches for a layer the array cannot run. */
double vectorElements(const LayerInfo &l)
{
    const double out = double(l.outC) * l.outH * l.outW;
    switch (l.op) {
    case OpKind::AvgPool2d:
    case OpKind::MaxPool2d:
        return out * l.kernelH * l.kernelW;
    case OpKind::GlobalAvgPool:
        return double(l.inC) * l.inH * l.inW;
    case OpKind::Add:
        return out * std::max(1, l.inputs);
    default:
        return out; // activations, softmax, an unfolded batch norm: one operation per element
    }
}

} // namespace

Mapping mapGemm(const SystolicParameters &p, const Gemm &g)
{
    Mapping m;
    // Table 3.1 of docs/targets/systolic.md, with the tensor-PE factor of the dimension mapped to each axis.
    std::int64_t fR = 1, fC = 1, fT = 1;
    switch (p.dataflow) {
    case Dataflow::OutputStationary:
        m.sr = g.pixels, fR = p.tensorA;
        m.sc = g.filters, fC = p.tensorC;
        m.t = g.reduction, fT = p.tensorB;
        break;
    case Dataflow::WeightStationary:
        m.sr = g.reduction, fR = p.tensorB;
        m.sc = g.filters, fC = p.tensorC;
        m.t = g.pixels, fT = p.tensorA;
        break;
    case Dataflow::InputStationary:
        m.sr = g.reduction, fR = p.tensorB;
        m.sc = g.pixels, fC = p.tensorA;
        m.t = g.filters, fT = p.tensorC;
        break;
    }
    const std::int64_t srUnits = ceilDiv(m.sr, fR); // rows of tensor PEs the operand needs
    const std::int64_t scUnits = ceilDiv(m.sc, fC);
    const std::int64_t steps = ceilDiv(m.t, fT);
    m.foldsR = ceilDiv(srUnits, p.rows);
    m.foldsC = ceilDiv(scUnits, p.cols);

    // Fold (i, j) occupies r_i rows and c_j columns and costs a*r_i + b*c_j + T + k cycles; summing over all
    // folds gives a*S_R*foldsC + b*S_C*foldsR + folds*(T + k) since the r_i add up to S_R and the c_j to S_C.
    double a = 2.0, b = 1.0, k = -2.0;
    if (p.foldTiming == FoldTiming::PerDataflow) {
        if (p.dataflow == Dataflow::OutputStationary)
            a = 1.0, b = 1.0, k = -2.0;
        else
            a = 2.0, b = 2.0, k = -3.0;
    }
    double perRepeat = a * double(srUnits) * double(m.foldsC) + b * double(scUnits) * double(m.foldsR) +
                       double(m.foldsR) * double(m.foldsC) * (double(steps) + k);
    if (p.foldTiming == FoldTiming::ScaleSimV2) {
        // SCALE-Sim v2 pads every fold's demand matrices to the whole array (an edge fold lasts as long as a full
        // one) and reports the index of the last serviced row: folds x per-fold - 1 per GEMM.
        const double perFold = (p.dataflow == Dataflow::OutputStationary ? 1.0 : 2.0) * double(p.rows) +
                               double(p.cols) + double(steps) - 2.0;
        perRepeat = double(m.foldsR) * double(m.foldsC) * perFold - 1.0;
    }
    const double repeats = double(g.repeats);
    m.cycles = perRepeat * repeats;
    m.work = double(g.pixels) * double(g.reduction) * double(g.filters) * repeats;
    m.utilization = m.cycles > 0.0 ? m.work / (p.peakMacsPerCycle() * m.cycles) : 0.0;

    // SRAM demand: the stationary operand is loaded once per fold (rows x cols), the two streamed operands are
    // re-read once per fold along the other axis (SCALE-Sim demand matrices, without their skew padding).
    const double sr = double(m.sr), sc = double(m.sc), t = double(m.t);
    const double fr = double(m.foldsR), fc = double(m.foldsC);
    switch (p.dataflow) {
    case Dataflow::OutputStationary:
        m.ifmapReads = sr * t * fc;
        m.filterReads = sc * t * fr;
        m.ofmapWrites = sr * sc;
        break;
    case Dataflow::WeightStationary:
        m.filterReads = sr * sc;
        m.ifmapReads = t * sr * fc;
        m.ofmapWrites = t * sc * fr;
        break;
    case Dataflow::InputStationary:
        m.ifmapReads = sr * sc;
        m.filterReads = t * sr * fc;
        m.ofmapWrites = t * sc * fr;
        break;
    }
    m.ifmapReads *= repeats;
    m.filterReads *= repeats;
    m.ofmapWrites *= repeats;
    return m;
}

SystolicTarget::SystolicTarget(std::string targetId, SystolicParameters parameters)
    : m_targetId(std::move(targetId)), m_parameters(std::move(parameters))
{}

namespace {

LayerFigures arrayLayer(const SystolicParameters &p, const LayerInfo &l, const LayerDeployment &d, double inBytes,
                        double outBytes, Residency dramAccess, bool detail)
{
    LayerFigures f;
    Gemm g;
    std::int64_t reductionDense = 1, channels = 1, spatial = 1;
    if (l.op == OpKind::Conv2d) {
        g.pixels = std::int64_t(l.outH) * l.outW;
        spatial = std::int64_t(l.kernelH) * l.kernelW;
        channels = l.inC;
        g.filters = l.outC;
    } else if (l.op == OpKind::DepthwiseConv2d) {
        // One GEMM per input channel with its depth-multiplier filters: a plain systolic array has no
        // cross-channel reduction to fill its rows/columns with, so most of them idle.
        g.pixels = std::int64_t(l.outH) * l.outW;
        spatial = std::int64_t(l.kernelH) * l.kernelW;
        channels = 1;
        g.filters = std::max(1, l.inC > 0 ? l.outC / l.inC : 1);
        g.repeats = std::max(1, l.inC);
    } else { // Dense: a 1x1 conv on a 1x1 map
        g.pixels = 1;
        channels = std::int64_t(l.inC) * std::max(1, l.inH) * std::max(1, l.inW);
        g.filters = l.outC;
    }
    reductionDense = spatial * channels;
    g.reduction = reductionDense;

    std::string note;
    bool dbb = false;
    if (d.pattern == SparsityPattern::Dbb) {
        if (p.dbbBlockSize == 0)
            note = "DBB runs dense: target has no DBB support";
        else if (l.op == OpKind::DepthwiseConv2d)
            note = "DBB runs dense: depthwise has no channel reduction to block";
        else if (d.blockSize != p.dbbBlockSize || d.maxNonZeros < 1 || d.maxNonZeros > p.dbbMaxNonZeros)
            note = "DBB " + std::to_string(d.maxNonZeros) + "/" + std::to_string(d.blockSize) +
                   " runs dense: target supports " + std::to_string(p.dbbMaxNonZeros) + "/" +
                   std::to_string(p.dbbBlockSize);
        else
            dbb = true;
    } else if (d.pattern == SparsityPattern::Unstructured || d.pattern == SparsityPattern::NM) {
        note = "unstructured/N:M sparsity runs dense (no skipping hardware)";
    }
    if (dbb) {
        // The hardware provides dbbMaxNonZeros MAC slots per block whatever the layer's own bound is.
        g.reduction = std::min(reductionDense, spatial * ceilDiv(channels, p.dbbBlockSize) * p.dbbMaxNonZeros);
        note = "DBB " + std::to_string(p.dbbMaxNonZeros) + "/" + std::to_string(p.dbbBlockSize);
        if (g.reduction == reductionDense) {
            // Fewer input channels than non-zero slots: nothing to skip, so weights stay dense (no index bits).
            dbb = false;
            note += " has nothing to skip with " + std::to_string(channels) + " input channels: dense";
        }
    }
    const double density = reductionDense > 0 ? double(g.reduction) / double(reductionDense) : 1.0;

    const Mapping m = mapGemm(p, g);
    const double passes =
        double(ceilDiv(std::max(1, d.weightBits), p.peBits) * ceilDiv(std::max(1, d.activationBits), p.peBits));
    f.computeCycles = m.cycles * passes;
    f.work = m.work * passes;
    f.denseMacs = l.macs > 0 ? double(l.macs) : double(g.pixels) * reductionDense * g.filters * g.repeats;

    const double indexBits = dbb ? std::ceil(std::log2(double(p.dbbBlockSize))) : 0.0;
    const double filterBits = d.weightBits + indexBits;
    const double weightElements = l.weights > 0 ? double(l.weights) : double(reductionDense) * g.filters * g.repeats;
    f.cost.weightStorageBytes = std::int64_t(std::ceil(weightElements * density * filterBits / 8.0)) + 4 * l.biases;

    // DBB: the mux in front of each tensor PE needs the whole activation block, so IFM reads stay dense.
    const double sramIfmap = m.ifmapReads / density * d.activationBits / 8.0;
    const double sramFilter = m.filterReads * filterBits / 8.0;
    const double sramOfmap = m.ofmapWrites * d.activationBits / 8.0;
    f.sramReadBytes = sramIfmap + sramFilter;
    f.sramWriteBytes = sramOfmap;
    const double weightBytes = double(f.cost.weightStorageBytes);
    f.dram = (dramAccess.ifmap ? dramBytes(inBytes, sramIfmap, p.ifmapSramBytes) : 0.0) +
             (dramAccess.weights ? dramBytes(weightBytes, sramFilter, p.filterSramBytes) : 0.0) +
             (dramAccess.ofmap ? dramBytes(outBytes, sramOfmap, p.ofmapSramBytes) : 0.0);
    f.cost.workingMemoryBytes =
        std::int64_t(std::min(inBytes, p.ifmapSramBytes) + std::min(weightBytes, p.filterSramBytes) +
                     std::min(outBytes, p.ofmapSramBytes));
    f.energyCompute = f.work * p.energyPerMacJ;
    if (l.activation == plugin::FusedActivation::Softmax) {
        // ReLU/ReLU6 are a clamp in the output path (free); softmax needs the vector unit after the array.
        const double elements = double(l.outC) * l.outH * l.outW;
        f.computeCycles += std::ceil(elements / p.vectorElementsPerCycle);
        f.energyCompute += elements * p.vectorEnergyPerElementJ;
        note += note.empty() ? "softmax on the vector unit" : "; softmax on the vector unit";
    }

    if (detail) { // notes are for people; a search asks for totals only
        char mapping[160];
        std::snprintf(mapping, sizeof mapping, "%s S_R=%lld S_C=%lld T=%lld folds %lldx%lld%s", toString(p.dataflow),
                      static_cast<long long>(m.sr), static_cast<long long>(m.sc), static_cast<long long>(m.t),
                      static_cast<long long>(m.foldsR), static_cast<long long>(m.foldsC),
                      g.repeats > 1 ? (" x" + std::to_string(g.repeats) + " channels").c_str() : "");
        f.cost.note = note.empty() ? std::string(mapping) : std::string(mapping) + "; " + note;
    }
    return f;
}

LayerFigures vectorLayer(const SystolicParameters &p, const LayerInfo &l, double inBytes, double outBytes,
                         Residency dramAccess, bool detail)
{
    LayerFigures f;
    const double elements = vectorElements(l);
    f.computeCycles = std::ceil(elements / p.vectorElementsPerCycle);
    f.sramReadBytes = inBytes;
    f.sramWriteBytes = outBytes;
    f.dram = (dramAccess.ifmap ? inBytes : 0.0) + (dramAccess.ofmap ? outBytes : 0.0);
    f.energyCompute = elements * p.vectorEnergyPerElementJ;
    f.cost.workingMemoryBytes =
        std::int64_t(std::min(inBytes, p.ifmapSramBytes) + std::min(outBytes, p.ofmapSramBytes));
    if (detail)
        f.cost.note = "vector unit: " + std::to_string(static_cast<long long>(elements)) + " elements";
    return f;
}

} // namespace

CostEstimate SystolicTarget::estimate(const NetworkInfo &network, const std::vector<LayerDeployment> &deployment) const
{
    return estimate(network, deployment, true);
}

CostEstimate SystolicTarget::estimateTotals(const NetworkInfo &network,
                                            const std::vector<LayerDeployment> &deployment) const
{
    return estimate(network, deployment, false);
}

CostEstimate SystolicTarget::estimate(const NetworkInfo &network, const std::vector<LayerDeployment> &deployment,
                                      bool detail) const
{
    plugin::requireDeploymentPerLayer(m_targetId, network, deployment);
    const SystolicParameters &p = m_parameters;
    CostEstimate e;
    e.targetId = m_targetId;
    e.model = kModelId;
    e.modelVersion = kModelVersion;
    e.cycles = 0.0;

    double work = 0.0, denseMacs = 0.0, computeCycles = 0.0, sramRead = 0.0, sramWrite = 0.0, dram = 0.0;
    double energyCompute = 0.0, energySram = 0.0, energyDram = 0.0, largestLayerActivations = 0.0;
    for (std::size_t i = 0; i < network.layers.size(); ++i) {
        const LayerInfo &l = network.layers[i];
        const LayerDeployment &d = deployment[i];
        const double inBytes =
            l.inputBytes > 0
                ? double(l.inputBytes)
                : std::ceil(double(l.inC) * l.inH * l.inW * std::max(1, l.inputs) * d.activationBits / 8.0);
        const double outBytes = l.outputBytes > 0
                                    ? double(l.outputBytes)
                                    : std::ceil(double(l.outC) * l.outH * l.outW * d.activationBits / 8.0);

        Residency dramAccess;
        if (p.activationStorage == Storage::OnChip) {
            // Only the network input comes from DRAM and only the network output goes back.
            dramAccess.ifmap = i == 0;
            dramAccess.ofmap = i + 1 == network.layers.size();
        }
        dramAccess.weights = p.weightStorage == Storage::Dram;

        LayerFigures f;
        const bool free = l.op == OpKind::Flatten || l.foldedIntoProducer;
        if (free) {
            f.cost.bound = Bound::None;
            if (detail)
                f.cost.note = l.op == OpKind::Flatten ? "reshape: free" : "folded into the producer";
        } else if (l.op == OpKind::Conv2d || l.op == OpKind::DepthwiseConv2d || l.op == OpKind::Dense) {
            f = arrayLayer(p, l, d, inBytes, outBytes, dramAccess, detail);
        } else {
            f = vectorLayer(p, l, inBytes, outBytes, dramAccess, detail);
        }
        if (detail)
            f.cost.layer = l.name;
        if (!free) {
            f.energySram = (f.sramReadBytes + f.sramWriteBytes) * p.sramEnergyPerByteJ;
            f.energyDram = f.dram * p.dramEnergyPerByteJ;
            // SRAM demand is met by construction (one operand row/column per cycle); DRAM is double-buffered,
            // so a layer takes the longer of compute and its DRAM transfer.
            const double computeS = f.computeCycles / p.clockHz;
            const double dramS = f.dram / p.dramBandwidthBytesPerS;
            f.cost.latencyS = std::max(computeS, dramS);
            f.cost.bound = dramS > computeS ? Bound::Dram : Bound::Compute;
            f.cost.cycles = f.cost.latencyS * p.clockHz;
            f.cost.computeCycles = f.computeCycles;
            f.cost.stallCycles = std::max(0.0, f.cost.cycles - f.computeCycles); // waiting for DRAM
            f.cost.utilization =
                f.cost.cycles > 0.0 ? std::min(1.0, f.work / (p.peakMacsPerCycle() * f.cost.cycles)) : 0.0;
            f.cost.energyJ = f.energyCompute + f.energySram + f.energyDram + p.staticPowerW * f.cost.latencyS;
        } else {
            f.cost.cycles = f.cost.computeCycles = f.cost.stallCycles = 0.0;
        }

        e.cycles += f.cost.cycles;
        e.latencyS += f.cost.latencyS;
        e.energyJ += f.cost.energyJ;
        e.peakMemoryBytes = std::max(e.peakMemoryBytes, f.cost.workingMemoryBytes);
        largestLayerActivations = std::max(largestLayerActivations, inBytes + outBytes);
        e.weightStorageBytes += f.cost.weightStorageBytes;
        work += f.work;
        denseMacs += f.denseMacs;
        computeCycles += f.computeCycles;
        sramRead += f.sramReadBytes;
        sramWrite += f.sramWriteBytes;
        dram += f.dram;
        energyCompute += f.energyCompute;
        energySram += f.energySram;
        energyDram += f.energyDram;
        if (detail)
            e.layers.push_back(std::move(f.cost));
    }
    e.utilization = e.cycles > 0.0 ? std::min(1.0, work / (p.peakMacsPerCycle() * e.cycles)) : 0.0;

    e.extra["cycles"] = e.cycles;
    e.extra["compute_cycles"] = computeCycles;
    e.extra["stall_cycles"] = std::max(0.0, e.cycles - computeCycles); // waiting for DRAM
    e.extra["macs"] = denseMacs;
    e.extra["executed_macs"] = work;
    // Effective TOPS/W counts dense-equivalent operations (2 per MAC), as the STA/DBB papers report it.
    e.extra["tops_per_w"] = e.energyJ > 0.0 ? 2.0 * denseMacs / e.energyJ / 1e12 : 0.0;
    e.extra["peak_ops_per_s"] = 2.0 * p.peakMacsPerCycle() * p.clockHz;
    e.extra["sram_read_bytes"] = sramRead;
    e.extra["sram_write_bytes"] = sramWrite;
    e.extra["dram_bytes"] = dram;
    e.extra["energy_compute_j"] = energyCompute;
    e.extra["energy_sram_j"] = energySram;
    e.extra["energy_dram_j"] = energyDram;
    e.extra["energy_static_j"] = p.staticPowerW * e.latencyS;
    e.extra["dram_arena_bytes"] = double(network.arenaBytes);

    // Messages name both numbers: "peak live activations 70000 B > ifmap + ofmap SRAM 65536 B".
    auto limit = [&e, detail](const char *name, double value, double cap, const char *unit,
                              const std::string &valueName, const std::string &capName) {
        plugin::LimitCheck c;
        c.name = name;
        c.value = value;
        c.limit = cap;
        c.unit = unit;
        c.ok = value <= cap;
        if (detail || !c.ok) { // a search needs the message only for a violated limit
            const std::string u = std::string(" ") + unit;
            c.message = valueName + format(" %.6g", value, 0.0) + u + (c.ok ? " <= " : " > ") + capName +
                        format(" %.6g", cap, 0.0) + u;
        }
        e.limits.push_back(std::move(c));
    };
    if (p.activationStorage == Storage::OnChip) {
        const double live = network.peakLiveBytes > 0 ? double(network.peakLiveBytes) : largestLayerActivations;
        limit("activation_sram", live, p.ifmapSramBytes + p.ofmapSramBytes, "B", "peak live activations",
              "ifmap + ofmap SRAM");
    }
    if (p.weightStorage == Storage::OnChip)
        limit("weight_sram", double(e.weightStorageBytes), p.filterSramBytes, "B", "weights", "filter SRAM");
    if (p.latencyBudgetS)
        limit("latency", e.latencyS, *p.latencyBudgetS, "s", "latency", "budget");
    return e;
}

} // namespace psc::targets::systolic
