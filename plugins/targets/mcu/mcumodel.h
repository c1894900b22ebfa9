// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <psc/plugin/hardwaretarget.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

/**
 * @file
 * The "mcu" cost model: a Cortex-M microcontroller running TFLite Micro with CMSIS-NN int8 kernels.
 * Pure C++ (no Qt); the equations and their sources are in docs/targets/mcu.md.
 */
namespace psc::targets::mcu {

inline constexpr const char *kModelId = "mcu";
/// Bumped whenever the model's numbers change for the same inputs.
inline constexpr const char *kModelVersion = "1.1.1";

/** Which CMSIS-NN code path sizes the im2col scratch buffers (chosen from the "core" parameter). */
enum class KernelPath
{
    Dsp, ///< Cortex-M4/M7/M33: SMLAD on sign-extended int16 pairs
    Mve, ///< Cortex-M55/M85: Helium (MVE) vectors
};

/** How sparse weights are stored in flash; CMSIS-NN kernels are dense either way (no speed-up). */
enum class SparseWeightFormat
{
    Dense,   ///< zeros stored as zeros
    Bitmask, ///< non-zeros packed at their bit-width plus a 1-bit-per-weight mask
};

/** The per-operator-class work counters of the latency model (one slope each). */
enum class WorkClass
{
    Conv,      ///< MACs of standard convolutions
    Depthwise, ///< MACs of depthwise convolutions
    Dense,     ///< MACs of fully connected layers
    Pool,      ///< output elements x window of pooling layers
    Eltwise,   ///< element operations of add, activations, softmax, unfolded batch norm
};
inline constexpr int kWorkClasses = 5;

/** A configured MCU: every field comes from a target file parameter of the same (snake_case) name. */
struct McuParameters
{
    std::string core; ///< "core", e.g. "cortex-m7"
    KernelPath path = KernelPath::Dsp;
    double clockHz = 0.0;        ///< "clock_hz"
    std::int64_t sramBytes = 0;  ///< "sram_bytes": usable for the tensor arena
    std::int64_t flashBytes = 0; ///< "flash_bytes"
    /// Cycles per unit of work, indexed by WorkClass: "cycles_per_mac_conv", "cycles_per_mac_depthwise",
    /// "cycles_per_mac_dense", "cycles_per_elem_pool", "cycles_per_elem_eltwise".
    std::array<double, kWorkClasses> slopes{};
    double overheadCyclesPerLayer = 0.0;      ///< "overhead_cycles_per_layer": per operator invocation
    double activePowerW = 0.0;                ///< "active_power_w": run-mode power at clock_hz
    std::int64_t runtimeCodeBytes = 0;        ///< "runtime_code_bytes": TFLM + kernels + graph metadata
    std::int64_t persistentBytesPerLayer = 0; ///< "persistent_bytes_per_layer": TFLM tail per operator
    std::int64_t persistentBytesFixed = 0;    ///< "persistent_bytes_fixed": interpreter, tensor structs
    SparseWeightFormat sparseWeightFormat = SparseWeightFormat::Dense; ///< "sparse_weight_format" (optional)
};

/** The parameter name of each slope, indexed by WorkClass. */
const std::array<const char *, kWorkClasses> &slopeParameterNames();

/**
 * Reads and checks a flattened parameter set. Returns nullopt and fills `error` (naming the parameter and
 * what was expected) for a missing, mistyped or out-of-range parameter. Pure; any thread.
 */
std::optional<McuParameters> parseMcuParameters(const plugin::Parameters &parameters, plugin::ParameterError &error);

/** What one layer costs the latency model: work per class and operator invocations (each pays the overhead). */
struct LayerWork
{
    std::array<double, kWorkClasses> work{};
    int invocations = 0;
};

/** The work counters of one layer (deployment-independent: CMSIS-NN runs dense int8 kernels). */
LayerWork layerWork(const plugin::LayerInfo &layer);

/** CMSIS-NN im2col/scratch bytes of one layer on `path` (0 for layers without a scratch buffer). */
std::int64_t scratchBytes(const plugin::LayerInfo &layer, KernelPath path);

/** Flash bytes of one layer's weights (packed, after the sparse format), int32 biases and quantisation. */
std::int64_t layerFlashBytes(const plugin::LayerInfo &layer, const plugin::LayerDeployment &deployment,
                             SparseWeightFormat format);

/**
 * The MCU cost model. Immutable after construction; estimate() is pure, so one instance may be shared by any
 * number of threads.
 */
class McuTarget final : public plugin::HardwareTarget
{
public:
    McuTarget(std::string targetId, McuParameters parameters);

    /// Throws std::invalid_argument if `deployment` does not have one entry per layer.
    plugin::CostEstimate estimate(const plugin::NetworkInfo &network,
                                  const std::vector<plugin::LayerDeployment> &deployment) const override;
    plugin::CostEstimate estimateTotals(const plugin::NetworkInfo &network,
                                        const std::vector<plugin::LayerDeployment> &deployment) const override;
    /** estimate() with (`detail`) or without the per-layer entries and notes. */
    plugin::CostEstimate estimate(const plugin::NetworkInfo &network,
                                  const std::vector<plugin::LayerDeployment> &deployment, bool detail) const;

    const McuParameters &parameters() const { return m_parameters; }
    const std::string &targetId() const { return m_targetId; }

private:
    std::string m_targetId;
    McuParameters m_parameters;
};

/** The fraction of zero weights a storage format can exploit: channel-structured pruning is already in the
 *  network's shapes; DBB and N:M imply a density bound even when `sparsity` was left at 0. */
double effectiveSparsity(const plugin::LayerDeployment &deployment);

} // namespace psc::targets::mcu
