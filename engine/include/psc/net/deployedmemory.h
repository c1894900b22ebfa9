// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "psc/net/memoryplanner.h"
#include "psc/net/network.h"

#include <cstdint>
#include <vector>

namespace psc {

/**
 * The activation tensors of a network in deployable form (lowerForDeployment()) as Paretoscope's C export lays them
 * out: int8, one per layer that runs a kernel, numbered by step from 1; the network input stays in the caller's
 * buffer; flatten and softmax write nothing (they pass their input on: the export returns logits); a low_rank or
 * kronecker layer also holds its per-pixel intermediate during its own step; the network output lives one step past
 * the last (the final copy reads it). The C export and the MCU cost model's "paretoscope-c" runtime both plan this
 * list, so the arena the estimate charges is the one the file declares.
 */
struct DeployedTensors
{
    static constexpr int kCallerInput = -1;
    std::vector<TensorLifetime> tensors;
    std::vector<int> tensorOf;  ///< per layer: the tensor holding its value (kCallerInput: the network input)
    std::vector<int> scratchOf; ///< per layer: its intermediate tensor, or -1
    std::vector<int> stepOf;    ///< per layer: its step, or -1 for a layer without a kernel
    int steps = 0;
};

/** See DeployedTensors. `lowered` must be in deployable form with valid shapes. Pure. */
DeployedTensors deployedTensors(const NetworkDescription &lowered);

/** The arena of deployedTensors() placed by MemoryPlanner (16-byte alignment). Pure. */
std::int64_t deployedArenaBytes(const NetworkDescription &lowered);

} // namespace psc
