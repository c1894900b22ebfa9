// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Trials written by hand for the widget tests: ids from 1, numbers from 0, metrics as given.

#include "psc/study/trial.h"

#include <vector>

namespace psc::test {

/** A trial with database id `id` (number id - 1) in `state` with `metrics`. */
inline Trial sampleTrial(qint64 id, TrialState state, std::vector<Metric> metrics = {})
{
    Trial t;
    t.id = id;
    t.number = id - 1;
    t.state = state;
    t.metrics = std::move(metrics);
    return t;
}

/** A complete trial with accuracy and weight_bytes. */
inline Trial completeTrial(qint64 id, double accuracy, double weightBytes)
{
    return sampleTrial(id, TrialState::Complete, {{"", "accuracy", accuracy}, {"", "weight_bytes", weightBytes}});
}

} // namespace psc::test
