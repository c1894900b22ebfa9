// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <psc/plugin/hardwaretarget.h>

#include <cstdint>
#include <optional>
#include <set>
#include <string>

/**
 * @file
 * Arm Ethos-U55/U65 cost model: a Vela-like analytical performance model (per layer, cycles =
 * max(compute, memory transfers)), a weight-compression proxy, and a host-MCU fallback for operators the
 * NPU cannot run. Plain C++; no Qt. The equations and sources are in docs/targets/npu.md.
 */
namespace psc::targets::npu {

inline constexpr const char *kModelId = "npu";
/// Bump whenever a number the model produces changes.
inline constexpr const char *kModelVersion = "1.1";

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
    double outputCyclesPerElement = 0;      ///< conv/FC/pool output stage
    double elementwiseCyclesPerElement = 0; ///< add, standalone activations, non-folded batch norm

    MemoryMode memoryMode = MemoryMode::SharedSram;
    double sramBandwidth = 0; ///< bytes/s
    double sramLatencyCycles = 0;
    std::int64_t sramBytes = 0;  ///< SRAM available to the NPU (arena or cache)
    bool offchipIsDram = false;  ///< false: flash
    double offchipBandwidth = 0; ///< bytes/s
    double offchipLatencyCycles = 0;
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

/** The OFM block the model schedules a layer with (a fixed rule instead of Vela's block search). */
struct OfmBlock
{
    int width = 1, height = 1, depth = 1;
};

/** The compute side of one layer on the NPU, exposed for tests and documentation. */
struct ComputeEstimate
{
    OfmBlock block;
    std::int64_t blocks = 0;      ///< OFM blocks (spatial x depth)
    double dpuCyclesPerBlock = 0; ///< MAC array
    double outputCyclesPerBlock = 0;
    double cycles = 0;                   ///< pipelined total over the blocks
    std::int64_t ifmRereads = 1;         ///< how often the IFM is streamed
    std::int64_t weightRereads = 1;      ///< how often the weights are streamed (OFM spatial blocks)
    int weightStreams = 1;               ///< OFM depth blocks x cores: independently encoded weight streams
    bool partKernelFirst = false;        ///< conv traversal: 4 kernel elements x 8 channels per step (Vela's choice)
    std::int64_t loweredWeightBytes = 0; ///< global average pool: the all-ones depthwise kernel Vela stores
    double mulCycles = 0;                ///< global average pool: the MUL by 1/(H*W) after the depthwise sum
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

    /** Compute cycles of a layer that runs on the NPU (conv, depthwise, dense, pooling). */
    ComputeEstimate compute(const plugin::LayerInfo &layer, const plugin::LayerDeployment &deployment) const;

    /** The reason the layer cannot run on the NPU, or "" if it can. */
    std::string unsupportedReason(const plugin::LayerInfo &layer, const plugin::LayerDeployment &deployment) const;

private:
    plugin::LayerCost layerCost(const plugin::LayerInfo &layer, const plugin::LayerDeployment &deployment,
                                std::int64_t &sramBytesPlaced, std::int64_t &weightBufferBytes, double &macsOnNpu,
                                bool detail) const;
    plugin::CostEstimate estimate(const plugin::NetworkInfo &network,
                                  const std::vector<plugin::LayerDeployment> &deployment, bool detail) const;
    std::string m_targetId;
    NpuConfig m_config;
};

/** The network-format name of an operator ("conv2d", "depthwise_conv2d", ...). */
const char *opName(plugin::OpKind op);

} // namespace psc::targets::npu
