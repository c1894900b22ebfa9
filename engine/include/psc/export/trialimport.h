// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "psc/export/importer.h"
#include "psc/study/studyspec.h"
#include "psc/study/studystore.h"

#include <filesystem>
#include <string>
#include <vector>

namespace psc {

class JobContext;
class TargetLibrary;
struct Dataset;

/** What adding an imported model to a study did. */
struct ImportedTrial
{
    Trial trial;                    ///< as stored, with its metrics
    std::vector<std::string> notes; ///< e.g. why there is no deployed accuracy
};

/**
 * Adds a model made elsewhere to a study as an external trial, to compare it on the plot: complete, with the
 * metrics the study evaluates (the analysis, and every target of its objectives and constraints, estimated from the
 * imported network) and, when the model is int8 and `data` is given and its images fit the network's input, the
 * deployed accuracy of its integer reference on the test set (the recipe's test subset). Its trained model is stored
 * as its weights, so it can be exported and compressed like any trial. Its lineage record ({"imported": {file,
 * format, sha256}}, encodeImportLineage()) marks it: not a search trial, so the study's budget does not count it and
 * `--trial best` does not pick it. The study's constraints are not applied (it is there to be compared). `store` is
 * the study's writer; `targets` may be null (no target metrics). Throws InputError for a network the study cannot
 * analyse; cancelled through `ctx` before anything is written.
 */
ImportedTrial addImportedTrial(StudyStore &store, const StudySpec &spec, const TargetLibrary *targets,
                               const ImportedModel &model, const std::string &file, const std::string &sha256,
                               const Dataset *data, JobContext *ctx = nullptr);

/**
 * What `paretoscope import MODEL --into STUDY` and the GUI's *Import Model…* do: imports `modelFile` (unless `model`
 * is given: that import of it) and adds it to the study file `study`, opened as its writer, with the bundled targets
 * and, for an int8 model, its task's dataset for the deployed accuracy. InputError for a study another process
 * writes, a bad model file or network; any thread (a second or two).
 */
ImportedTrial importIntoStudy(const std::filesystem::path &study, const std::filesystem::path &modelFile,
                              const ImportedModel *model = nullptr);

} // namespace psc
