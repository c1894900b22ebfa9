// SPDX-License-Identifier: GPL-3.0-or-later
#include "trainingthreads.h"

#include "psc/ml/torchtrainer.h"

#include <algorithm>
#include <mutex>

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
    // torch's thread pools are process-wide and cannot be resized once a training has used them.
    static std::once_flag once;
    std::call_once(once, [torchThreads] { ml::TorchTrainer::configureThreads(torchThreads); });
}

} // namespace psc
