// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "psc/jobs/jobmanager.h"

namespace psc {

/** The machine's thread budget, with `parallel` trainings at once if > 0 (each gets cores/parallel torch threads). */
ThreadBudget studyThreadBudget(int parallel = 0);

/** Sets torch's thread count for trainings; only the first call in a process has an effect. */
void configureTrainingThreads(int torchThreads);

} // namespace psc
