// SPDX-License-Identifier: GPL-3.0-or-later
#include "trainingthreads.h"

#include "psc/train/trainermodule.h"

#include <algorithm>

namespace psc {

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
    // Applied when the training module loads (the first training), so setting it loads nothing.
    trainermodule::setThreads(torchThreads);
}

} // namespace psc
