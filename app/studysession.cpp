// SPDX-License-Identifier: GPL-3.0-or-later
#include "studysession.h"

#include "psc/core/error.h"
#include "psc/ml/torchtrainer.h"

#include <algorithm>
#include <mutex>

namespace psc {

void loadStudyPlugins(StudyEnvironment &env)
{
    if (env.pluginsLoaded)
        return;
    env.registry.load();
    env.targets.loadDirectory(TargetLibrary::defaultDirectory());
    env.pluginsLoaded = true;
}

StudySpecNames studySpecNames(StudyEnvironment &env)
{
    loadStudyPlugins(env);
    return StudySpecNames{&env.targets, env.registry.strategyIds()};
}

void prepareStudyEnvironment(StudyEnvironment &env, const StudySpec &spec)
{
    // Specs read with studySpecNames() have been checked with their positions already; this catches the rest
    // (a spec built in code, a stored spec whose target files have changed) before anything is created.
    spec.validate(studySpecNames(env), "study \"" + spec.name + "\"");
    env.strategy = env.registry.strategy(spec.strategy.id);
    if (!env.strategy) {
        std::string known;
        for (const auto &id : env.registry.strategyIds())
            known += (known.empty() ? "" : ", ") + id;
        throw InputError("study \"" + spec.name + "\": unknown strategy \"" + spec.strategy.id +
                         "\" (available: " + known + ")");
    }
    env.data = loadFashionMnist(spec.task.dataDirectory());
}

ThreadBudget studyThreadBudget(int parallel)
{
    ThreadBudget budget = ThreadBudget::forMachine();
    if (parallel > 0) {
        budget.heavyThreads = std::min(parallel, budget.cores);
        budget.torchThreads = std::max(1, budget.cores / budget.heavyThreads);
    }
    return budget;
}

void configureTrainingThreads(int torchThreads)
{
    // torch's thread pools are process-wide and cannot be resized once a training has used them.
    static std::once_flag once;
    std::call_once(once, [torchThreads] { ml::TorchTrainer::configureThreads(torchThreads); });
}

} // namespace psc
