// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <psc/plugin/hardwaretarget.h>

#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

/**
 * @file
 * What Paretoscope's own C export (`paretoscope export --format c`, docs/formats/export-c.md) takes on a Cortex-M:
 * flash (its constants, counted exactly from the layers, plus its kernels' code), RAM (the static arena, the plan
 * the export itself declares) and the instructions of one inference. The code sizes and instruction slopes are
 * fitted to measurements of generated models (arm-none-eabi-gcc 12 -O2, instructions counted on QEMU 7.2) by
 * bench_cexport_calibrate; bench_cexport checks them on a study's trained networks. Pure C++; any thread.
 */
namespace psc::targets::mcu {

/**
 * The work counters of the instruction model, per network: the loops of the export's kernels. Taps and window
 * elements count only those inside the input (the kernels skip padding after a bounds check).
 */
enum class CWork
{
    ConvTaps,      ///< multiply-accumulates of conv2d, depthwise and dense inside the input (with its column check)
    FactorMacs,    ///< multiply-accumulates of both stages of low_rank and kronecker
    PackedMacs,    ///< multiply-accumulates with 1- to 7-bit weights (unpacked per use), of either kind
    RowChecks,     ///< conv/dense: outputs x filter channels x kernel rows (one bounds check each)
    Requantized,   ///< outputs of conv/dense and of each factor stage: one requantisation each
    PoolWindow,    ///< max/average pooled input elements inside the input
    PoolOutputs,   ///< max/average pooled output elements
    AddElements,   ///< output elements x inputs of an add
    ClampElements, ///< elements of an unfused relu/relu6
    Calls,         ///< kernel calls
    MaskTests,     ///< bitmask/DBB-stored conv/dense: outputs x filter size (one presence bit tested each)
    SparseTaps,    ///< sparse-stored conv/dense: outputs x the filter's non-zeros (N:M: its slots) decoded
    SparseMacs,    ///< sparse-stored conv/dense: multiply-accumulates of non-zeros inside the input
    MeanElements,  ///< global average pooling: input elements summed
    SparseGroups,  ///< DBB / N:M-stored conv/dense: outputs x the channel's blocks or groups
};
inline constexpr int kCWorkCounters = 15;

/** The kernels the export emits only when a layer needs them. */
enum class CKernel
{
    Conv,       ///< conv2d, depthwise_conv2d and dense
    Factorized, ///< low_rank and kronecker
    Pool,       ///< max and average pooling
    Add,
    Clamp,      ///< a relu/relu6 that could not be fused
    SparseConv, ///< conv2d, depthwise_conv2d and dense with bitmask-stored weights
    Mean,       ///< global average pooling, requantised (TFLite's MEAN)
};
inline constexpr int kCKernels = 7;

/** A network's counters: instruction regressors, which kernels, and the constants' bytes (exact). */
struct CExportCounters
{
    std::array<double, kCWorkCounters> work{};
    std::array<bool, kCKernels> kernels{};
    std::int64_t constantBytes = 0; ///< weights, biases, requantisation constants and layer descriptors (.rodata)
};

/** The weight encodings of the export (engine/src/export/csparse.h). */
enum class CEncoding
{
    Dense,
    Bitmask,
    Csr,
    Dbb,
    NM,
};

/**
 * How the export stores a conv2d, depthwise or dense layer's weights: a pruned layer (unstructured, DBB, N:M) in the
 * encoding the study's analysis charges for it (docs/formats/weight-encodings.md: unstructured the smaller of bitmask
 * and CSR, DBB and N:M their own; one whose weights break its DBB / N:M bound as unstructured), dense where that is
 * not smaller; others dense at their bits (binary weights holding a zero at 2). The zeros come from the trained
 * weights' histogram when the deployment has it, else from the layer's sparsity.
 */
struct CStoredWeights
{
    CEncoding encoding = CEncoding::Dense;
    std::int64_t bytes = 0;
    double density = 1.0;        ///< non-zeros / weights
    std::int64_t valueSlots = 0; ///< N:M: value slots (padding included)
    std::int64_t groups = 0;     ///< DBB / N:M: blocks or groups in all rows
};
CStoredWeights cStoredWeights(const plugin::LayerInfo &layer, const plugin::LayerDeployment &deployment);

/** The fitted coefficients for one core. */
struct CExportCoefficients
{
    double instructionsFixed = 0.0;
    std::array<double, kCWorkCounters> instructionsPer{};
    double codeBytesFixed = 0.0; ///< psc_model_invoke's frame and final copy
    std::array<double, kCKernels> codeBytesPerKernel{};
    double codeBytesPerCall = 0.0; ///< one call in psc_model_invoke
};

/** The counters of `network` as the C export would write it. `deployment` has one entry per layer. */
CExportCounters cExportCounters(const plugin::NetworkInfo &network,
                                const std::vector<plugin::LayerDeployment> &deployment);

/** The measured coefficients for `core`; cores without their own measurements use the closest measured one. */
const CExportCoefficients &cExportCoefficients(std::string_view core);

/** The C export's estimate. */
struct CExportEstimate
{
    std::int64_t flashBytes = 0; ///< .text + .rodata of the model's object
    std::int64_t sramBytes = 0;  ///< .bss: the arena
    double instructions = 0.0;   ///< of one psc_model_invoke()
};

CExportEstimate estimateCExport(const CExportCounters &counters, const CExportCoefficients &coefficients,
                                std::int64_t arenaBytes);

} // namespace psc::targets::mcu
