// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <psc/plugin/analognoise.h>
#include <psc/plugin/hardwaretarget.h>

#include <cstdint>
#include <optional>
#include <string>

/**
 * @file
 * The analog compute-in-memory cost model (model id "analog-cim"): layer-serial execution of every weighted
 * layer on PCM crossbars, AON-CiM-like (Zhou et al., arXiv 2111.06503). Equations, parameters and sources:
 * docs/targets/analog-cim.md. Pure C++ (no Qt needed), so it is tested without the plugin layer.
 */
namespace psc::targets::analogcim {

inline constexpr const char *kAnalogCimModelId = "analog-cim";
/// Bumped whenever the model's equations change the numbers it produces.
inline constexpr const char *kAnalogCimModelVersion = "1.0";

/** How weight matrices are placed on the crossbars. */
enum class CimPacking
{
    Shared, ///< one or a few large arrays: layer pieces are packed side by side, allocation = their rectangles
    Tiles,  ///< every layer piece occupies a whole tile of its own (multi-core chips), allocation = whole tiles
};

/** What happens when the weights do not all fit on the crossbars at once. */
enum class CimResidency
{
    Resident,  ///< all weights stay programmed; a network that does not fit is infeasible
    Reprogram, ///< if the network does not fit, every weighted layer is programmed before it runs, per inference
};

/**
 * The configuration of one analog-CiM target, in SI units. A "cell" is one weight position of a crossbar
 * (devicesPerWeight PCM devices, 2 for a differential pair). Bit counts given as std::nullopt follow the
 * layer's activation bits. Energies at a reference resolution scale with 2^(bits - reference bits).
 */
struct AnalogCimParameters
{
    int crossbarRows = 1024;
    int crossbarCols = 512;
    int crossbarTiles = 1;
    int devicesPerWeight = 2;
    CimPacking packing = CimPacking::Shared;
    CimResidency residency = CimResidency::Resident;

    std::optional<int> dacBits; ///< input bits applied per cycle; nullopt = all activation bits in one cycle
    double dacReferenceBits = 8.0;
    double dacEnergyPerRowJ = 0.0; ///< one row driven for one input cycle at the reference resolution

    std::optional<int> adcBits; ///< nullopt = ADC resolution follows the layer's activation bits
    double adcReferenceBits = 8.0;
    double adcEnergyPerConversionJ = 0.0; ///< at the reference resolution (Walden: energy ~ 2^bits)
    double adcTimePerConversionS = 0.0;   ///< at the reference resolution (SAR: time ~ bits)
    int adcsPerTile = 1;

    double crossbarReadTimeS = 0.0;  ///< one analog read (one input cycle) of the array
    double readEnergyPerCellJ = 0.0; ///< one non-zero weight cell read for one input cycle

    double digitalEnergyPerOutputJ = 0.0; ///< accumulate, scale, activation, pooling per output element
    double digitalTimePerOutputS = 0.0;

    double programEnergyPerCellJ = 0.0; ///< write-verify of one weight cell (Reprogram residency only)
    double programTimePerRowS = 0.0;    ///< write-verify of one crossbar row (Reprogram residency only)

    double clockHz = 0.0; ///< 0 = not clocked: CostEstimate::cycles stays NAN

    /// Device and converter non-idealities: not used by the cost model, read here so that a target file is
    /// checked once, in full (the engine's analog inference reads the same parameters).
    plugin::AnalogNoiseParameters noise;

    std::int64_t capacityCells() const { return std::int64_t(crossbarRows) * crossbarCols * crossbarTiles; }
};

/**
 * Reads and checks the flattened parameters of a target file. Returns nullopt and fills `error` (the
 * parameter name and what was expected) for a missing, mistyped or out-of-range parameter. Reentrant.
 */
std::optional<AnalogCimParameters> parseAnalogCimParameters(const plugin::Parameters &parameters,
                                                            plugin::ParameterError &error);

/** How one weighted layer maps onto the crossbars (exposed for tests and the documentation). */
struct CrossbarMapping
{
    std::int64_t rows = 0;           ///< unrolled matrix rows: K_h*K_w*C_in (dense: C_in*H*W)
    std::int64_t cols = 0;           ///< unrolled matrix columns: C_out
    std::int64_t rowTiles = 0;       ///< ceil(rows / crossbarRows)
    std::int64_t colTiles = 0;       ///< ceil(cols / crossbarCols)
    std::int64_t tiles = 0;          ///< rowTiles * colTiles
    std::int64_t usedCells = 0;      ///< weights actually stored (depthwise: K_h*K_w*C_out of the block diagonal)
    std::int64_t allocatedCells = 0; ///< Shared: rows*cols; Tiles: tiles*crossbarRows*crossbarCols
};

/**
 * Maps a Conv2d, DepthwiseConv2d or Dense layer: the weights unrolled to a rows x cols matrix, tiled onto
 * crossbarRows x crossbarCols arrays. A depthwise layer is a block-diagonal K_h*K_w*C_in x C_out matrix,
 * so one MVM computes every channel but most allocated cells hold zeros.
 */
CrossbarMapping mapLayer(const plugin::LayerInfo &layer, const AnalogCimParameters &p);

/** Immutable configured target; estimate() is pure and may run on any number of threads at once. */
class AnalogCimTarget : public plugin::HardwareTarget
{
public:
    AnalogCimTarget(std::string targetId, const AnalogCimParameters &parameters);

    plugin::CostEstimate estimate(const plugin::NetworkInfo &network,
                                  const std::vector<plugin::LayerDeployment> &deployment) const override;
    plugin::CostEstimate estimateTotals(const plugin::NetworkInfo &network,
                                        const std::vector<plugin::LayerDeployment> &deployment) const override;
    /** estimate() with (`detail`) or without the per-layer entries and notes. */
    plugin::CostEstimate estimate(const plugin::NetworkInfo &network,
                                  const std::vector<plugin::LayerDeployment> &deployment, bool detail) const;

    const AnalogCimParameters &parameters() const { return m_parameters; }

private:
    std::string m_targetId;
    AnalogCimParameters m_parameters;
};

} // namespace psc::targets::analogcim
