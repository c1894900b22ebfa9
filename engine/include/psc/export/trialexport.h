// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "psc/core/atomicfile.h"
#include "psc/export/exporter.h"
#include "psc/study/studystore.h"

#include <filesystem>
#include <string>
#include <vector>

namespace psc {

/**
 * An export of one trial, prepared but not written: what `paretoscope export` and the GUI's *Export Trial…* show
 * before anything touches the disk (the files, their sizes, the warnings). Preparing reads the study only.
 */
struct TrialExport
{
    Trial trial;
    ExportFormat format = ExportFormat::C;
    ExportOutput output;
    std::vector<FileToWrite> files; ///< the main file at the requested path first, the others beside it
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

/**
 * Writes a prepared export (writeFilesAtomically(); existing files only with `overwrite`) and records it in
 * `store` (opened read-write) with the main file's size and SHA-256, the warnings and the figures. Returns the
 * record. The files are written before the record: a failure to record leaves correct files and throws.
 */
ExportRecord writeTrialExport(StudyStore &store, const TrialExport &prepared, bool overwrite);

/** SHA-256 of `bytes` as 64 lowercase hex digits. */
std::string sha256Hex(const std::string &bytes);

} // namespace psc
