// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "psc/core/atomicfile.h"
#include "psc/export/cortexm.h"
#include "psc/export/exporter.h"
#include "psc/quant/trainedmodel.h"
#include "psc/study/studystore.h"
#include "psc/targets/costinput.h"

#include <filesystem>
#include <string>
#include <vector>

namespace psc {

class TargetLibrary;

/**
 * An export of one trial, prepared but not written: what `paretoscope export` and the GUI's *Export Trial…* show
 * before anything touches the disk (the files, their sizes, the warnings). Preparing reads the study only.
 */
/** A complete trial and its deployable model. */
struct TrialModel
{
    Trial trial;
    TrainedModel model;
};

/**
 * Trial `number` of a study and its stored deployable model (the weights of the trial a cache hit reused).
 * Throws InputError naming `file` and the trial for an unknown number, a trial that is not complete, one without
 * weights or with weights in an older format; `verb` ("export", "evaluate") completes those messages.
 */
TrialModel loadTrialModel(const StudyStore &store, std::int64_t number, const std::string &file,
                          const std::string &verb);

struct TrialExport
{
    Trial trial;
    ExportFormat format = ExportFormat::C;
    ExportOutput output;
    std::vector<FileToWrite> files; ///< the main file at the requested path first, the others beside it
    WeightValues weightValues;      ///< the exported weights' values, as the trial's cost estimates saw them
};

/**
 * Loads trial number `number` of `store` (its trained model: a cache hit uses the weights of the trial it reused),
 * quantises it as the integer reference does and runs the format's exporter, naming the main file `out` (absolute,
 * or relative to the working folder). Writes nothing. InputError, naming `studyLabel` (the study file as the user
 * named it): no such trial, not complete, no trained weights or weights in another format, an output path whose
 * extension is not the format's, a format this build cannot write, a network the format cannot express. Any thread;
 * the store must not be used by another thread meanwhile.
 */
TrialExport prepareTrialExport(const StudyStore &store, const std::string &studyLabel, std::int64_t number,
                               ExportFormat format, const std::filesystem::path &out);

/** A C export measured on the core of one MCU target, beside that target's estimate for it. */
struct CortexMCheck
{
    std::string targetId;
    CBuildMeasurement measured;
    double flashEstimate = 0.0;        ///< the target's c_flash_bytes
    double sramEstimate = 0.0;         ///< c_sram_bytes
    double instructionsEstimate = 0.0; ///< c_instructions
};

/**
 * Measures a prepared C export (measureCExport()) on the core of every MCU target among the trial's metrics, once per
 * core, and puts each target's estimate for the export beside it. The estimates are computed now from the trial's
 * network with `library`'s targets, so studies evaluated before these estimates existed get them too. A target whose
 * core QEMU cannot run, or that the library no longer has, is skipped with a line in `notes`. RuntimeError when a
 * tool fails. About a second per core: never on the GUI thread.
 */
std::vector<CortexMCheck> checkOnCortexM(const TrialExport &prepared, const TargetLibrary &library,
                                         const CortexMTools &tools, std::vector<std::string> *notes);

/**
 * Writes a prepared export (writeFilesAtomically(); existing files only with `overwrite`) and records it in
 * `store` (opened read-write) with the main file's size and SHA-256, the warnings and the figures, with `checks` under
 * "cortex_m" (docs/database.md). Returns the record. The files are written before the record: a failure to record
 * leaves correct files and throws.
 */
ExportRecord writeTrialExport(StudyStore &store, const TrialExport &prepared, bool overwrite,
                              const std::vector<CortexMCheck> &checks = {});

/** One line of "measured beside estimated" for an export. */
struct ExportComparison
{
    std::string quantity;       ///< "flash", "SRAM", "instructions" or "file"
    std::string estimateMetric; ///< the estimate's metric, e.g. "c_flash_bytes@stm32f746zg" or "weight_bytes"
    std::string measuredAs;     ///< what was measured, e.g. ".text + .rodata + .data on cortex-m7 (QEMU mps2-an500)"
    std::string unit;           ///< "B", or "" for instructions
    double estimated = 0.0;
    double measured = 0.0;
    /// (estimated - measured) / measured; 0 when nothing was measured.
    double relativeError() const { return measured != 0.0 ? (estimated - measured) / measured : 0.0; }
};

/**
 * The measured-beside-estimated lines of an export record: for a C export, flash, SRAM and instructions per checked
 * MCU target; for TFLite and ONNX, the file's bytes beside the trial's weight_bytes. `trial` is the exported trial.
 * Records without figures give what they have. Pure; any thread.
 */
std::vector<ExportComparison> compareExport(const ExportRecord &record, const Trial &trial);

/** SHA-256 of `bytes` as 64 lowercase hex digits. */
std::string sha256Hex(const std::string &bytes);

} // namespace psc
