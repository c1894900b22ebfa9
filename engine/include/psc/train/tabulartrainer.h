// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "psc/train/trainer.h"

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace psc {

class StudyStore;

/**
 * A tabular benchmark (docs/formats/tabular.md): every candidate of a small search space trained once at one recipe,
 * with its learning curve and accuracies, so that strategies can be compared in seconds. Made from a study that
 * trained the whole space (tabulate()), read by TabularTrainer.
 */
struct TabularTable
{
    struct Row
    {
        std::string parametersJson;            ///< the search-space choices (JSON object text)
        std::string architectureHash;          ///< architectureHash() of the trained network: the key of the lookup
        std::vector<double> curve;             ///< float validation accuracy after each epoch
        double accuracy = 0.0;                 ///< float validation accuracy at the end (the curve's last value)
        double testAccuracy = 0.0;             ///< float test accuracy
        double quantizedAccuracy = 0.0;        ///< fake-quantised validation accuracy
        double deployedAccuracy = 0.0;         ///< integer (deployed) test accuracy
        double trainSeconds = 0.0;             ///< wall time of the float training
        std::map<std::string, double> metrics; ///< the model metrics measured before training (weight_bytes, macs, ...)
    };
    std::string name;
    std::string spaceJson;  ///< the search space, canonical JSON
    std::string recipeJson; ///< the training recipe, canonical JSON
    int epochs = 0;         ///< every row's curve has this length
    std::vector<Row> rows;

    /** Reads a table file; InputError ("file:line:col: /rows/3/curve: ...") for anything malformed. */
    static TabularTable fromFile(const std::filesystem::path &file);
    /** Canonical JSON text (rows in trial order). fromFile() of it gives an equal table. */
    std::string toJson() const;
};

/**
 * The table of a study that trained a space: its complete search trials with their curves. InputError if the study
 * has none, or if a trial has no learning curve or a curve of another length than the recipe's epochs.
 */
TabularTable tabulate(const StudyStore &store);

/**
 * A Trainer that looks results up in a TabularTable instead of training: the same TrainResult (curve, accuracies,
 * training time) as the real training, reported epoch by epoch to the observer so early stopping works on it.
 * Everything else in a study (strategy, store, front, costs) runs as usual. Thread-safe (read-only).
 */
class TabularTrainer : public Trainer
{
public:
    explicit TabularTrainer(TabularTable table);
    using Trainer::train;
    /** InputError if the network is not in the table or `recipe.epochs` differs from the table's. */
    TrainResult train(const NetworkDescription &network, const TrainingRecipe &recipe, const Dataset &data,
                      std::uint64_t seed, JobContext &ctx, const EpochObserver &onEpoch) override;
    /** Always InputError: a table holds no weights to fine-tune. */
    TrainResult fineTune(const TrainedModel &start, const TrainingRecipe &recipe, const Dataset &data,
                         std::uint64_t seed, JobContext &ctx) override;
    const TabularTable &table() const { return m_table; }
    /** Each train() takes this long (seconds), checking for cancellation: trainings of a fixed duration. */
    void setSimulatedSeconds(double seconds) { m_simulatedSeconds = seconds; }

private:
    TabularTable m_table;
    double m_simulatedSeconds = 0.0;
    std::map<std::string, std::size_t> m_index; ///< architecture hash -> row
};

} // namespace psc
