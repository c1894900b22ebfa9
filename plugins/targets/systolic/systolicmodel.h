// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <psc/plugin/hardwaretarget.h>

#include <cstdint>
#include <optional>
#include <string>

/**
 * @file
 * Analytical cost model of a systolic array (SCALE-Sim-style folds, OS/WS/IS dataflows) and of a Systolic
 * Tensor Array with density-bound-block (DBB) weight sparsity. Pure C++: no Qt, no I/O, no globals. The
 * equations, assumptions and sources are in docs/targets/systolic.md.
 */
namespace psc::targets::systolic {

inline constexpr const char *kModelId = "systolic";
/// Bumped whenever a formula or a default changes the numbers the model produces.
inline constexpr const char *kModelVersion = "1.2.0";

enum class Dataflow
{
    OutputStationary, ///< "os"
    WeightStationary, ///< "ws"
    InputStationary,  ///< "is"
};

/** How many cycles a fold spends besides its T temporal steps (fill and drain of the pipeline). */
enum class FoldTiming
{
    FirstOrder,  ///< "first-order": 2r + c + T - 2 (SCALE-Sim ISPASS 2020 analytical model)
    PerDataflow, ///< "per-dataflow": OS r + c + T - 2, WS/IS 2r + 2c + T - 3 (SCALE-Sim v2 counts [D])
    /// "scale-sim-v2": what SCALE-Sim v2 reports as Total Cycles: every fold charged at the whole array, OS
    /// R + C + T - 2, WS/IS 2R + C + T - 2, and one cycle less per GEMM (docs/research/fidelity-references.md 1.3-1.4).
    ScaleSimV2,
};

/** Where a kind of tensor lives between layers. */
enum class Storage
{
    Dram,   ///< "dram": read from / written to DRAM by every layer (SCALE-Sim's default)
    OnChip, ///< "on-chip": stays in the array's SRAM; checked as a limit
};

/** A configured array. Sizes in bytes, energies in joules, rates per second or per cycle. */
struct SystolicParameters
{
    double clockHz = 0.0;
    int rows = 0; ///< R: PE rows (tensor-PE rows M for an STA)
    int cols = 0; ///< C: PE columns (tensor-PE columns N for an STA)
    Dataflow dataflow = Dataflow::OutputStationary;
    FoldTiming foldTiming = FoldTiming::FirstOrder;
    /// Tensor PE: an A x B x C product per cycle (A output pixels, B reduction elements, C filters).
    /// 1 x 1 x 1 is the classic scalar-PE systolic array.
    int tensorA = 1, tensorB = 1, tensorC = 1;
    int dbbBlockSize = 0;   ///< BZ the hardware skips on; 0 = no DBB support
    int dbbMaxNonZeros = 0; ///< NNZ slots per block the hardware provides
    int peBits = 8;         ///< operand width of one multiplier; wider operands take several passes
    double ifmapSramBytes = 0.0, filterSramBytes = 0.0, ofmapSramBytes = 0.0;
    double dramBandwidthBytesPerS = 0.0;
    double vectorElementsPerCycle = 0.0; ///< throughput of the unit running pooling/add/activations
    double energyPerMacJ = 0.0;          ///< one peBits x peBits MAC with its accumulate
    double sramEnergyPerByteJ = 0.0;
    double dramEnergyPerByteJ = 0.0;
    double vectorEnergyPerElementJ = 0.0;
    double staticPowerW = 0.0;
    /// Activations on chip: only the network input and output cross DRAM; peak live bytes must fit in the
    /// ifmap + ofmap SRAMs (limit "activation_sram").
    Storage activationStorage = Storage::Dram;
    /// Weights on chip: no weight DRAM traffic; all weights must fit in the filter SRAM (limit "weight_sram").
    Storage weightStorage = Storage::Dram;
    std::optional<double> latencyBudgetS;

    /** MACs per cycle at full utilisation: R * C * A * B * C_t. */
    double peakMacsPerCycle() const { return double(rows) * cols * tensorA * tensorB * tensorC; }
};

/**
 * Reads the flattened target-file parameters. Unknown names are rejected (they are typos: the engine passes
 * exactly what the file says). Returns nothing and fills `error` (parameter name + what was expected) on the
 * first problem. Pure; callable from any thread.
 */
std::optional<SystolicParameters> parseParameters(const plugin::Parameters &parameters, plugin::ParameterError &error);

/** "os", "ws" or "is". */
const char *toString(Dataflow dataflow);

/** A GEMM as SCALE-Sim builds it from a conv: (pixels x reduction) times (reduction x filters). */
struct Gemm
{
    std::int64_t pixels = 1;    ///< N_ofmap_px = E_h * E_w
    std::int64_t reduction = 1; ///< W_conv = K_h * K_w * C_in (after DBB compression if it applies)
    std::int64_t filters = 1;   ///< N_filter = C_out
    std::int64_t repeats = 1;   ///< independent copies run one after another (depthwise: one per channel)
};

/** How one GEMM maps onto the array, and what it costs in cycles and SRAM accesses (elements). */
struct Mapping
{
    std::int64_t sr = 0, sc = 0, t = 0;         ///< operand dims mapped to rows, columns, time (elements)
    std::int64_t foldsR = 0, foldsC = 0;        ///< ceil over the (tensor-)PE rows and columns
    double cycles = 0.0;                        ///< all folds of all repeats, one pass
    double work = 0.0;                          ///< MACs the PEs perform (pixels * reduction * filters * repeats)
    double utilization = 0.0;                   ///< work / (peak MACs per cycle * cycles)
    double ifmapReads = 0.0, filterReads = 0.0; ///< SRAM demand, elements (SCALE-Sim-style counts)
    double ofmapWrites = 0.0;
};

/** Maps `gemm` onto the array of `p` with its dataflow and fold timing. Pure. */
Mapping mapGemm(const SystolicParameters &p, const Gemm &gemm);

/**
 * The configured target. Immutable; estimate() is pure and re-entrant, so one instance may serve any
 * number of threads. A deployment list shorter than the network is padded with dense int8 defaults.
 */
class SystolicTarget : public plugin::HardwareTarget
{
public:
    SystolicTarget(std::string targetId, SystolicParameters parameters);
    plugin::CostEstimate estimate(const plugin::NetworkInfo &network,
                                  const std::vector<plugin::LayerDeployment> &deployment) const override;
    plugin::CostEstimate estimateTotals(const plugin::NetworkInfo &network,
                                        const std::vector<plugin::LayerDeployment> &deployment) const override;
    /** estimate() with (`detail`) or without the per-layer entries and notes. */
    plugin::CostEstimate estimate(const plugin::NetworkInfo &network,
                                  const std::vector<plugin::LayerDeployment> &deployment, bool detail) const;
    const SystolicParameters &parameters() const { return m_parameters; }

private:
    std::string m_targetId;
    SystolicParameters m_parameters;
};

} // namespace psc::targets::systolic
