// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Private engine header: the JSON form of a TrainingRecipe, shared with the study spec parser so that
// errors in a spec's "training" object point into the spec file.

#include "psc/train/trainingrecipe.h"

#include <nlohmann/json.hpp>

#include <string>

namespace psc {

class JsonSource;

/** Parses the training object at `pointer`; absent keys keep the defaults. Throws InputError. */
TrainingRecipe parseTrainingRecipe(const JsonSource &source, const std::string &pointer);

/**
 * Reads the noise-robust training keys of `obj` (at `pointer`) into `recipe`: weight_noise, weight_noise_model,
 * distill_weight, distill_temperature, adc_clip (not noise_epochs). Absent keys keep recipe's values; the caller
 * checks for unknown keys. Shared with the compression config's `noise_aware` variant. Throws InputError.
 */
void readNoiseTraining(const JsonSource &source, const nlohmann::json &obj, const std::string &pointer,
                       TrainingRecipe &recipe);

/** Every field, keys sorted (nlohmann::json), numbers as the shortest text that reads back exactly. */
nlohmann::json trainingRecipeToJson(const TrainingRecipe &recipe);

} // namespace psc
