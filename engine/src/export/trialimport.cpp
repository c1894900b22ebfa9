// SPDX-License-Identifier: GPL-3.0-or-later
#include "psc/export/trialimport.h"

#include "psc/core/error.h"
#include "psc/data/dataset.h"
#include "psc/export/trialexport.h"
#include "psc/jobs/jobcontext.h"
#include "psc/net/networkparser.h"
#include "psc/quant/integerinference.h"
#include "psc/study/lineage.h"
#include "psc/study/trialevaluator.h"
#include "psc/targets/targetlibrary.h"
#include "psc/train/trainingrecipe.h"

#include <chrono>
#include <fstream>
#include <optional>
#include <sstream>

namespace psc {

ImportedTrial addImportedTrial(StudyStore &store, const StudySpec &spec, const TargetLibrary *targets,
                               const ImportedModel &model, const std::string &file, const std::string &sha256,
                               const Dataset *data, JobContext *ctx)
{
    const auto start = std::chrono::steady_clock::now();
    ImportedTrial result;
    result.notes = model.notes;
    const TrialEvaluator evaluator(spec, targets);
    std::vector<Metric> metrics = evaluator.beforeTraining(model.network);
    const std::string format = file.size() >= 5 && file.substr(file.size() - 5) == ".onnx" ? "onnx" : "tflite";
    if (model.model && data) {
        const Shape &in = model.network.input;
        const ImageSet &test = data->test;
        if (test.channels == in.channels && test.height == in.height && test.width == in.width) {
            const double accuracy = IntegerModel::quantize(*model.model).accuracy(test, spec.training.testSubset, ctx);
            metrics.push_back({"", "deployed_accuracy", accuracy});
        } else {
            result.notes.push_back("no deployed accuracy: the network takes " + toString(in) + ", the study's " +
                                   data->name + " images are " + std::to_string(test.channels) + "x" +
                                   std::to_string(test.height) + "x" + std::to_string(test.width));
        }
    } else if (!model.model) {
        result.notes.push_back("no deployed accuracy: no integer model to run");
    }
    if (ctx && ctx->cancelled())
        throw RuntimeError("the import was cancelled before anything was written");

    Trial t;
    t.state = TrialState::Complete;
    t.architectureJson = networkToJson(model.network);
    t.architectureHash = architectureHash(model.network);
    t.parametersJson = encodeImportLineage(file, format, sha256);
    t.recipeJson = "{}";
    t.metrics = metrics;
    const double now = double(std::chrono::duration_cast<std::chrono::milliseconds>(
                                  std::chrono::system_clock::now().time_since_epoch())
                                  .count()) /
                       1000.0;
    t.startedAt = now - std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    t.finishedAt = now;
    store.insertTrial(t);
    if (model.model)
        store.putArtifact(t.id, "weights", kTrainedModelFormat, serializeTrainedModel(*model.model));
    result.trial = t;
    return result;
}

ImportedTrial importIntoStudy(const std::filesystem::path &study, const std::filesystem::path &modelFile,
                              const ImportedModel *model)
{
    std::optional<ImportedModel> own;
    if (!model)
        model = &own.emplace(importModelFile(modelFile));
    const std::unique_ptr<StudyStore> store = StudyStore::open(study, StudyStore::Mode::ReadWrite);
    const StudySpec spec = StudySpec::fromJson(store->specJson(), study.string() + " (stored spec)");
    const BundledTargets targets;
    std::optional<Dataset> data;
    if (model->model)
        data = loadFashionMnist(spec.task.dataDirectory());
    std::ifstream in(modelFile, std::ios::binary);
    std::ostringstream bytes;
    bytes << in.rdbuf();
    return addImportedTrial(*store, spec, &targets.library, *model, std::filesystem::absolute(modelFile).string(),
                            sha256Hex(bytes.str()), data ? &*data : nullptr);
}

} // namespace psc
