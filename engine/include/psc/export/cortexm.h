// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "psc/core/atomicfile.h"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

/**
 * @file
 * Measuring a C export as it would run on a Cortex-M: the model's own sections from `arm-none-eabi-size` and the
 * instructions of one inference counted on QEMU 7.2 (deploy/cortex-m: the bare-metal harness and the TCG plugin
 * that counts instructions between two markers). These are the measured numbers shown beside the MCU cost
 * model's estimates (docs/formats/export-c.md, "Measured beside estimated").
 */
namespace psc {

/** The QEMU board that emulates `core` ("cortex-m4", "cortex-m4f", "cortex-m7", "cortex-m55"), or nullopt. */
std::optional<std::string> qemuMachineForCore(std::string_view core);

/** Where the Cortex-M harness and the tools are; found once, then passed around by value. */
struct CortexMTools
{
    std::filesystem::path harness; ///< deploy/cortex-m: build.sh, run.sh, runner.c, startup, linker scripts
    std::filesystem::path plugin;  ///< libpsc_insn.so, the instruction-counting QEMU plugin
    std::string missing;           ///< empty when everything is there, else what is not (for a message)

    bool usable() const { return missing.empty(); }

    /**
     * Looks for the harness ($PSC_CORTEXM_DIR, then share/paretoscope/cortex-m beside the executable's folder, then
     * the source tree this build came from), the plugin ($PSC_INSN_PLUGIN, then the harness's plugin/ folder, then
     * this build's), and arm-none-eabi-gcc, arm-none-eabi-size and qemu-system-arm on the PATH. Any thread.
     */
    static CortexMTools locate();
};

/** A C export's figures on one Cortex-M core. */
struct CBuildMeasurement
{
    std::string core;    ///< as asked, e.g. "cortex-m7"
    std::string machine; ///< the QEMU board it ran on, e.g. "mps2-an500"
    /// The model's object file alone (compiled as the harness compiles it: -O2, one section per function and
    /// object), summed from `arm-none-eabi-size -A`.
    std::int64_t textBytes = 0;
    std::int64_t rodataBytes = 0;
    std::int64_t dataBytes = 0;
    std::int64_t bssBytes = 0;
    std::int64_t instructions = 0; ///< guest instructions of one psc_model_invoke(), counted by the QEMU plugin

    std::int64_t flashBytes() const { return textBytes + rodataBytes + dataBytes; }
    std::int64_t ramBytes() const { return dataBytes + bssBytes; }
};

/**
 * Sums the output of `arm-none-eabi-size -A` into text (.text*, .vectors, .ARM.ex*), rodata (.rodata*), data
 * (.data*) and bss (.bss*, COMMON); `instructions` stays 0. Pure.
 */
CBuildMeasurement parseSizeOutput(std::string_view sizeOutput);

/** The instruction count of the first region in the plugin's output ("region 0 insns N"), or nullopt. Pure. */
std::optional<std::int64_t> parseInstructionCount(std::string_view pluginOutput);

/**
 * Builds the C export `files` (the .c first, then its .h, whose PSC_MODEL_INPUT_SIZE and PSC_MODEL_OUTPUT_SIZE give
 * the runner's buffers) for `core` in a temporary folder, sizes the model's object and runs one inference on QEMU
 * with the counting plugin. RuntimeError
 * naming the step and what the tool printed when the tools are not usable, the core has no QEMU board, or a
 * tool fails. Takes a few seconds; any thread, never the GUI thread.
 */
CBuildMeasurement measureCExport(const CortexMTools &tools, const std::vector<FileToWrite> &files,
                                 std::string_view core);

} // namespace psc
