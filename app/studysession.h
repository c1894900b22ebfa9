// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "psc/data/dataset.h"
#include "psc/jobs/jobmanager.h"
#include "psc/plugins/pluginregistry.h"
#include "psc/study/studyspec.h"
#include "psc/targets/targetlibrary.h"

namespace psc {

/**
 * What running a study needs besides its store: the plugins, the study's search strategy and the
 * dataset. Shared by the command line (`run`, `resume`) and the GUI's StudyController so both check and
 * load the same things in the same order.
 */
struct StudyEnvironment
{
    StudyEnvironment() = default;
    StudyEnvironment(StudyEnvironment &&) = delete; // `targets` refers to `registry`

    PluginRegistry registry;
    TargetLibrary targets{registry}; ///< the bundled targets, for "metric@target" objectives and constraints
    const plugin::StrategyFactory *strategy = nullptr;
    Dataset data;
    bool pluginsLoaded = false; ///< set by loadStudyPlugins()
};

/** Loads the plugins and the bundled targets into `env`, once; later calls do nothing. Throws InputError. */
void loadStudyPlugins(StudyEnvironment &env);

/**
 * The targets and strategies a study spec may name in `env` (loading its plugins first), for
 * StudySpec::fromFile(path, names), which reports a bad name with its file, line:column and JSON pointer.
 */
StudySpecNames studySpecNames(StudyEnvironment &env);

/**
 * Loads the plugins and the bundled targets (unless loaded already), checks the spec's targets, target metrics
 * and strategy (StudySpec::validate()), looks up its strategy and loads its dataset. Throws InputError naming the
 * study and what is missing. Call it before creating a study file so a bad spec leaves no file behind.
 * Any thread; takes a second or two (the dataset).
 */
void prepareStudyEnvironment(StudyEnvironment &env, const StudySpec &spec);

/** The machine's thread budget, with `parallel` trainings at once if > 0 (each gets cores/parallel torch threads). */
ThreadBudget studyThreadBudget(int parallel = 0);

/** Sets torch's thread count for trainings; only the first call in a process has an effect. */
void configureTrainingThreads(int torchThreads);

} // namespace psc
