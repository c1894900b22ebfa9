// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "npuperformance.h"
#include "npuweights.h"

#include <psc/plugin/hardwaretarget.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>

/**
 * @file
 * Arm Ethos-U55/U65 cost model following Vela 3.10's performance estimate (per operation, cycles =
 * max(NPU, memory access)), its SRAM use and its weight encoder, and a host-MCU fallback for operators the
 * NPU cannot run. Plain C++; no Qt. The equations and sources are in docs/targets/npu.md.
 */
namespace psc::targets::npu {

inline constexpr const char *kModelId = "npu";
/// Bump whenever a number the model produces changes.
inline constexpr const char *kModelVersion = "2.0";

/** Where the tensor arena and the weights live (Vela's memory modes, cost-models.md 2.2). */
enum class MemoryMode
{
    SramOnly,      ///< arena and weights in SRAM
    SharedSram,    ///< arena in SRAM, weights in the off-chip memory (U55 default)
    DedicatedSram, ///< arena and weights in the off-chip memory; SRAM is the NPU's own cache (U65 default)
};

/** A configured accelerator + system. All quantities in SI units; bandwidths in bytes per second. */
struct NpuConfig
{
    std::string accelerator;  ///< informative, e.g. "ethos-u55-128"
    std::string systemConfig; ///< informative, e.g. "Ethos_U55_High_End_Embedded"
    double clockHz = 0;
    int macsPerCycle = 0;
    int ublockWidth = 0, ublockHeight = 0, ublockDepth = 0;
    int cores = 1;
    std::int64_t shramBytes = 0;
    /// Vela's facts for the accelerator (output tables, SHRAM banks, granules); the target file may override the
    /// output table's conv rate (index 7, output_cycles_per_element) and ADD/SUB rate (index 5,
    /// elementwise_cycles_per_element).
    NpuArch arch;

    MemoryMode memoryMode = MemoryMode::SharedSram;
    double sramBandwidth = 0; ///< bytes/s
    double sramLatencyCycles = 0;
    int sramBurstBytes = 32;
    std::int64_t sramBytes = 0;      ///< SRAM available to the NPU (arena or cache)
    bool offchipIsDram = false;      ///< false: flash
    double offchipBandwidth = 0;     ///< bytes/s
    double offchipLatencyCycles = 0; ///< read latency
    double offchipWriteLatencyCycles = 0;
    int offchipBurstBytes = 128;
    std::optional<std::int64_t> offchipBytes; ///< capacity, if the target file gives one

    double scaleBiasBytesPerChannel = 10;
    double energyPerMacJ = 0, sramEnergyPerByteJ = 0, offchipEnergyPerByteJ = 0, staticPowerW = 0;

    double hostClockHz = 0, hostCyclesPerMac = 0, hostCyclesPerElement = 0, hostActivePowerW = 0;
    std::set<std::string, std::less<>> fallbackOps; ///< op names of the network format ("softmax", ...) run on the host
};

/**
 * Reads a configuration from a target file's flattened parameters. Returns nothing and fills `error`
 * (naming the parameter and what was expected) on the first bad or missing parameter.
 */
std::optional<NpuConfig> parseConfig(const plugin::Parameters &parameters, plugin::ParameterError &error);

/** Where a layer sits in the network: what the costs of its operations depend on beyond the layer itself. */
struct LayerContext
{
    bool networkInput = false;  ///< its input is the network's input (NHWC, in the arena's home memory)
    bool networkOutput = false; ///< its output is the network's output
    double previousSlack = 0;   ///< NPU cycles of the previous operation, under which weights are prefetched
};

/** One NPU operation of a layer (a layer may lower to several, e.g. softmax to 31) and its cost. */
struct OpEstimate
{
    const char *what = "";
    NpuOp op;
    BlockConfig block;
    double computeCycles = 0;           ///< MAC array and output stage (Vela's op cycles)
    double npuCycles = 0;               ///< compute plus the weight transfer not hidden under the previous operation
    double sramAccessCycles = 0;        ///< burst-scaled SRAM bytes over SRAM bytes per cycle
    double offchipAccessCycles = 0;     ///< the same for flash or DRAM
    double cycles = 0;                  ///< the largest of the three, as Vela totals an operation
    double slack = 0;                   ///< cycles the next operation's weight prefetch can hide under
    std::int64_t weightBytes = 0;       ///< encoded weights, scales and biases
    std::int64_t weightBufferBytes = 0; ///< SRAM the weight buffers take while the operation runs
    std::int64_t firstBufferBytes = 0;  ///< the first of them, which Vela fills during the previous operation
    std::int64_t lastBufferBytes = 0; ///< the one used last (of a double buffer: the last slice's), live until the next
    std::vector<int> depthSlices;     ///< OFM channels [0, s1, ..., depth] its weights are encoded and sent in
    bool partKernelFirst() const { return block.partKernel; }
};

/** The sums over a layer's operations that its cost needs. */
struct OpTotals
{
    double compute = 0, npu = 0, total = 0, sram = 0, offchip = 0, slack = 0;
    std::int64_t weightBytes = 0, weightBuffer = 0, firstBuffer = 0, lastBuffer = 0;
    std::size_t operations = 0;
    static OpTotals of(const std::vector<OpEstimate> &ops)
    {
        OpTotals t;
        for (const OpEstimate &op : ops) {
            t.compute += op.computeCycles;
            t.npu += op.npuCycles;
            t.total += op.cycles;
            t.sram += op.sramAccessCycles;
            t.offchip += op.offchipAccessCycles;
            t.weightBytes += op.weightBytes;
            t.weightBuffer = std::max(t.weightBuffer, op.weightBufferBytes);
            if (t.firstBuffer == 0)
                t.firstBuffer = op.firstBufferBytes;
            t.lastBuffer = op.lastBufferBytes;
            t.slack = op.slack;
        }
        t.operations = ops.size();
        return t;
    }
};

/** Configured Ethos-U target. Immutable; estimate() is pure and re-entrant. */
class NpuTarget : public plugin::HardwareTarget
{
public:
    NpuTarget(std::string targetId, NpuConfig config);

    plugin::CostEstimate estimate(const plugin::NetworkInfo &network,
                                  const std::vector<plugin::LayerDeployment> &deployment) const override;
    plugin::CostEstimate estimateTotals(const plugin::NetworkInfo &network,
                                        const std::vector<plugin::LayerDeployment> &deployment) const override;

    const NpuConfig &config() const { return m_config; }

    /**
     * The NPU operations a layer that runs on the NPU lowers to, each costed as Vela 3.10 does (research Part 2).
     * Empty for layers that cost nothing (flatten, folded batch norm).
     */
    std::vector<OpEstimate> lower(const plugin::LayerInfo &layer, const plugin::LayerDeployment &deployment,
                                  const LayerContext &context) const;

    /** The reason the layer cannot run on the NPU, or "" if it can. */
    std::string unsupportedReason(const plugin::LayerInfo &layer, const plugin::LayerDeployment &deployment) const;

private:
    struct LayerTotals
    {
        std::int64_t weightBufferBytes = 0, firstBufferBytes = 0, lastBufferBytes = 0;
        double macsOnNpu = 0, slack = 0;
    };
    plugin::LayerCost layerCost(const plugin::LayerInfo &layer, const plugin::LayerDeployment &deployment,
                                const LayerContext &context, LayerTotals &totals, bool detail) const;
    std::vector<NpuOp> softmaxOps(const NpuOp &tensor) const;
    static void foldStrideIntoDepth(const plugin::LayerInfo &layer, NpuOp &op);
    MemoryArea sramArea() const;
    MemoryArea offchipArea() const;
    OpEstimate costOp(const char *what, const NpuOp &op, const plugin::LayerDeployment *weights,
                      std::int64_t weightsPerChannel, bool bufferWeights, double previousSlack) const;
    plugin::CostEstimate estimate(const plugin::NetworkInfo &network,
                                  const std::vector<plugin::LayerDeployment> &deployment, bool detail) const;
    std::string m_targetId;
    NpuConfig m_config;
    std::shared_ptr<BlockConfigCache> m_blocks = std::make_shared<BlockConfigCache>();
    std::shared_ptr<WeightEncodingCache> m_encodings = std::make_shared<WeightEncodingCache>();
    std::shared_ptr<Memo<4, OpTotals>> m_softmax = std::make_shared<Memo<4, OpTotals>>();
};

/** The network-format name of an operator ("conv2d", "depthwise_conv2d", ...). */
const char *opName(plugin::OpKind op);

} // namespace psc::targets::npu
