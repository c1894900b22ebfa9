// SPDX-License-Identifier: GPL-3.0-or-later
#include "mcumodel.h"

#include "mcucexport.h"

#include <psc/plugin/parameterreader.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>
#include <stdexcept>

namespace psc::targets::mcu {

using plugin::Bound;
using plugin::CostEstimate;
using plugin::LayerCost;
using plugin::LayerDeployment;
using plugin::LayerInfo;
using plugin::LimitCheck;
using plugin::NetworkInfo;
using plugin::OpKind;
using plugin::ParameterError;
using plugin::Parameters;
using plugin::SparsityPattern;

const std::array<const char *, kWorkClasses> &slopeParameterNames()
{
    static const std::array<const char *, kWorkClasses> names = {"cycles_per_mac_conv", "cycles_per_mac_depthwise",
                                                                 "cycles_per_mac_dense", "cycles_per_elem_pool",
                                                                 "cycles_per_elem_eltwise"};
    return names;
}

namespace {

const char *const kOverheadName = "overhead_cycles_per_layer";

std::int64_t outputElements(const LayerInfo &l)
{
    return std::int64_t(l.outC) * l.outH * l.outW;
}

std::int64_t ceilDiv(std::int64_t a, std::int64_t b)
{
    return (a + b - 1) / b;
}

std::int64_t align16(std::int64_t bytes)
{
    return ceilDiv(bytes, 16) * 16;
}

std::string kib(double bytes)
{
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%.1f KiB", bytes / 1024.0);
    return buffer;
}

LimitCheck memoryLimit(const std::string &name, const std::string &label, double value, double limit, bool detail)
{
    LimitCheck check;
    check.name = name;
    check.value = value;
    check.limit = limit;
    check.unit = "B";
    check.ok = value <= limit;
    if (detail || !check.ok) // a search needs the message only for a violated limit
        check.message = label + " " + kib(value) + (check.ok ? " <= " : " > ") + kib(limit);
    return check;
}

} // namespace

double effectiveSparsity(const LayerDeployment &d)
{
    double s = std::clamp(d.sparsity, 0.0, 1.0);
    switch (d.pattern) {
    case SparsityPattern::ChannelStructured:
        return 0.0;
    case SparsityPattern::Dbb:
        if (d.blockSize > 0)
            s = std::max(s, 1.0 - double(std::clamp(d.maxNonZeros, 0, d.blockSize)) / d.blockSize);
        break;
    case SparsityPattern::NM:
        if (d.m > 0)
            s = std::max(s, 1.0 - double(std::clamp(d.n, 0, d.m)) / d.m);
        break;
    case SparsityPattern::None:
    case SparsityPattern::Unstructured:
        break;
    }
    return s;
}

std::optional<McuParameters> parseMcuParameters(const Parameters &parameters, ParameterError &error)
{
    // Ranges: docs/targets/mcu.md, "Parameters". Wide enough for any real part, finite so no estimate overflows.
    constexpr std::int64_t kMaxBytes = std::int64_t(1) << 40; // 1 TiB
    plugin::ParameterReader r(parameters, error, kModelId);
    McuParameters p;
    static const std::vector<std::string> dspCores = {"cortex-m4", "cortex-m4f", "cortex-m7", "cortex-m33"};
    static const std::vector<std::string> mveCores = {"cortex-m55", "cortex-m85"};
    std::vector<std::string> cores = dspCores;
    cores.insert(cores.end(), mveCores.begin(), mveCores.end());
    p.core = r.choice("core", cores);
    p.path = std::find(mveCores.begin(), mveCores.end(), p.core) != mveCores.end() ? KernelPath::Mve : KernelPath::Dsp;
    p.clockHz = r.number("clock_hz", 1e3, 1e10, "Hz");
    p.sramBytes = r.integer("sram_bytes", 1, kMaxBytes, "B");
    p.flashBytes = r.integer("flash_bytes", 1, kMaxBytes, "B");
    for (int c = 0; c < kWorkClasses; ++c)
        p.slopes[c] = r.number(slopeParameterNames()[c], 1e-3, 1e4, c < 3 ? "cycles per MAC" : "cycles per element");
    p.overheadCyclesPerLayer = r.number(kOverheadName, 0.0, 1e9, "cycles");
    p.activePowerW = r.number("active_power_w", 1e-6, 100.0, "W");
    p.runtimeCodeBytes = r.integer("runtime_code_bytes", 0, kMaxBytes, "B");
    p.persistentBytesPerLayer = r.integer("persistent_bytes_per_layer", 0, kMaxBytes, "B");
    p.persistentBytesFixed = r.integer("persistent_bytes_fixed", 0, kMaxBytes, "B");
    p.sparseWeightFormat = r.choice("sparse_weight_format", {"dense", "bitmask"}, "dense") == "bitmask"
                               ? SparseWeightFormat::Bitmask
                               : SparseWeightFormat::Dense;
    r.rejectUnknown();
    if (r.failed())
        return std::nullopt;
    return p;
}

LayerWork layerWork(const LayerInfo &l)
{
    LayerWork w;
    if (l.foldedIntoProducer) // a folded batch norm or a fused ReLU: part of its producer's kernel
        return w;
    const double elements = double(outputElements(l));
    auto add = [&w](WorkClass c, double amount) { w.work[int(c)] += amount; };
    switch (l.op) {
    case OpKind::Conv2d:
        add(WorkClass::Conv, double(l.macs));
        w.invocations = 1;
        break;
    case OpKind::DepthwiseConv2d:
        add(WorkClass::Depthwise, double(l.macs));
        w.invocations = 1;
        break;
    case OpKind::Dense:
        add(WorkClass::Dense, double(l.macs));
        w.invocations = 1;
        break;
    case OpKind::AvgPool2d:
    case OpKind::MaxPool2d:
        add(WorkClass::Pool, elements * l.kernelH * l.kernelW);
        w.invocations = 1;
        break;
    case OpKind::GlobalAvgPool:
        // Every input element is read once: output elements x (inH x inW) window.
        add(WorkClass::Pool, double(std::int64_t(l.inC) * l.inH * l.inW));
        w.invocations = 1;
        break;
    case OpKind::Add:
        add(WorkClass::Eltwise, elements * std::max(l.inputs, 1));
        w.invocations = 1;
        break;
    case OpKind::Relu:
    case OpKind::Relu6:
    case OpKind::Softmax:
        add(WorkClass::Eltwise, elements);
        w.invocations = 1;
        break;
    case OpKind::BatchNorm:
        // Unfolded, TFLite runs it as a MUL and an ADD per element; folded, it is part of its producer's weights.
        if (!l.foldedIntoProducer) {
            add(WorkClass::Eltwise, 2.0 * elements);
            w.invocations = 2;
        }
        break;
    case OpKind::Flatten:
        // A reshape aliases its input in TFLM: no kernel work, and no measurable per-layer overhead.
        break;
    }
    // ReLU/ReLU6 fused into conv/dense are a clamp in CMSIS-NN's requantisation (free); softmax is its own
    // TFLite operator.
    if (l.activation == plugin::FusedActivation::Softmax && w.invocations > 0) {
        add(WorkClass::Eltwise, elements);
        w.invocations += 1;
    }
    return w;
}

std::int64_t scratchBytes(const LayerInfo &l, KernelPath path)
{
    const std::int64_t column = std::int64_t(l.inC) * l.kernelW * l.kernelH;
    if (l.op == OpKind::Conv2d) {
        // arm_convolve_1x1_s8_fast needs no buffer; the others unpack one im2col column (two on DSP) to int16.
        if (l.kernelH == 1 && l.kernelW == 1 && l.strideH == 1 && l.strideW == 1)
            return 0;
        return path == KernelPath::Dsp ? 2 * column * 2 : 4 * ceilDiv(column, 8) * 8;
    }
    if (l.op == OpKind::DepthwiseConv2d) {
        // Only the optimised kernel (channel multiplier 1) takes a buffer: C_in*K_w*K_h int16 on DSP, twice that
        // on MVE (CMSIS-NN arm_depthwise_conv_s8_opt_get_buffer_size, older version). The generic kernel: none.
        if (l.inC != l.outC)
            return 0;
        return path == KernelPath::Dsp ? column * 2 : 2 * column * 2;
    }
    return 0;
}

std::int64_t layerFlashBytes(const LayerInfo &l, const LayerDeployment &d, SparseWeightFormat format)
{
    std::int64_t bytes = 4 * l.biases; // int32 biases, as TFLite stores them
    if (l.weights <= 0)
        return bytes;
    const std::int64_t bits = std::max(d.weightBits, 1);
    std::int64_t weightBytes = ceilDiv(l.weights * bits, 8);
    const double sparsity = effectiveSparsity(d);
    if (format == SparseWeightFormat::Bitmask && sparsity > 0.0) {
        const auto nonZeros = std::int64_t(std::ceil(double(l.weights) * (1.0 - sparsity)));
        // A converter keeps the dense layout when the mask would not pay for itself.
        weightBytes = std::min(weightBytes, ceilDiv(nonZeros * bits, 8) + ceilDiv(l.weights, 8));
    }
    // Per-output-channel requantisation: an int32 multiplier and an int32 shift per channel.
    return bytes + weightBytes + 8 * std::int64_t(std::max(l.outC, 0));
}

McuTarget::McuTarget(std::string targetId, McuParameters parameters)
    : m_targetId(std::move(targetId)), m_parameters(std::move(parameters))
{}

CostEstimate McuTarget::estimate(const NetworkInfo &network, const std::vector<LayerDeployment> &deployment) const
{
    return estimate(network, deployment, true);
}

CostEstimate McuTarget::estimateTotals(const NetworkInfo &network, const std::vector<LayerDeployment> &deployment) const
{
    return estimate(network, deployment, false);
}

CostEstimate McuTarget::estimate(const NetworkInfo &network, const std::vector<LayerDeployment> &deployment,
                                 bool detail) const
{
    plugin::requireDeploymentPerLayer(m_targetId, network, deployment);
    const McuParameters &p = m_parameters;
    CostEstimate e;
    e.targetId = m_targetId;
    e.model = kModelId;
    e.modelVersion = kModelVersion;
    e.cycles = 0.0;

    double macCycles = 0.0;
    std::int64_t maxScratch = 0;
    std::int64_t operators = 0;
    std::int64_t weightFlash = 0;
    std::int64_t macs = 0;
    for (std::size_t i = 0; i < network.layers.size(); ++i) {
        const LayerInfo &l = network.layers[i];
        const LayerDeployment &d = deployment[i];
        const LayerWork w = layerWork(l);
        LayerCost c;
        if (detail)
            c.layer = l.name;
        double layerMacCycles = 0.0;
        c.cycles = p.overheadCyclesPerLayer * w.invocations;
        for (int k = 0; k < kWorkClasses; ++k) {
            const double cycles = p.slopes[k] * w.work[k];
            c.cycles += cycles;
            if (k <= int(WorkClass::Dense))
                layerMacCycles += cycles;
        }
        c.latencyS = c.cycles / p.clockHz;
        c.energyJ = p.activePowerW * c.latencyS;
        c.utilization = c.cycles > 0.0 ? layerMacCycles / c.cycles : 0.0;
        c.bound = w.invocations > 0 ? Bound::Compute : Bound::None;
        const std::int64_t scratch = scratchBytes(l, p.path);
        c.workingMemoryBytes = l.liveBytes + scratch;
        c.weightStorageBytes = layerFlashBytes(l, d, p.sparseWeightFormat);

        if (detail) { // notes are for people; a search asks for totals only
            std::string note;
            auto addNote = [&note](const std::string &text) { note += (note.empty() ? "" : "; ") + text; };
            if (w.invocations == 0)
                addNote(l.foldedIntoProducer ? "folded into its producer" : "reshape: no kernel");
            if (scratch > 0)
                addNote("im2col scratch " + std::to_string(scratch) + " B");
            if (l.weights > 0 && d.weightBits < 8)
                addNote(std::to_string(d.weightBits) + "-bit weights unpacked to int8 at run time (no speed-up)");
            if (l.weights > 0 && effectiveSparsity(d) > 0.0)
                addNote("sparse weights run on dense kernels (no speed-up)");
            c.note = note;
        }

        e.cycles += c.cycles;
        e.latencyS += c.latencyS;
        e.energyJ += c.energyJ;
        macCycles += layerMacCycles;
        maxScratch = std::max(maxScratch, scratch);
        if (!l.foldedIntoProducer)
            ++operators;
        weightFlash += c.weightStorageBytes;
        macs += l.macs;
        if (detail)
            e.layers.push_back(std::move(c));
    }
    e.utilization = e.cycles > 0.0 ? macCycles / e.cycles : 0.0;

    // Scratch buffers are planned in the arena by TFLM; adding the largest on top is an upper bound (the
    // planner may fit it into a gap), which is the safe side for a fits/does-not-fit decision.
    const std::int64_t scratch = align16(maxScratch);
    const std::int64_t persistent = p.persistentBytesPerLayer * operators + p.persistentBytesFixed;
    e.peakMemoryBytes = network.arenaBytes + scratch + persistent;
    e.weightStorageBytes = weightFlash + p.runtimeCodeBytes;

    e.limits.push_back(memoryLimit("sram", "peak SRAM", double(e.peakMemoryBytes), double(p.sramBytes), detail));
    e.limits.push_back(memoryLimit("flash", "flash", double(e.weightStorageBytes), double(p.flashBytes), detail));

    e.extra["cycles"] = e.cycles;
    e.extra["sram_bytes"] = double(e.peakMemoryBytes);
    e.extra["flash_bytes"] = double(e.weightStorageBytes);
    e.extra["arena_bytes"] = double(network.arenaBytes);
    e.extra["scratch_bytes"] = double(scratch);
    e.extra["persistent_bytes"] = double(persistent);
    e.extra["model_flash_bytes"] = double(weightFlash);
    e.extra["macs"] = double(macs);
    e.extra["macs_per_cycle"] = e.cycles > 0.0 ? double(macs) / e.cycles : 0.0;

    // The same network as Paretoscope's own C export on this core (mcucexport.h): what `paretoscope export --format c`
    // measures against.
    const CExportEstimate c =
        estimateCExport(cExportCounters(network, deployment), cExportCoefficients(p.core), network.deployedArenaBytes);
    e.extra["c_flash_bytes"] = double(c.flashBytes);
    e.extra["c_sram_bytes"] = double(c.sramBytes);
    e.extra["c_instructions"] = c.instructions;
    return e;
}

} // namespace psc::targets::mcu
