// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <cstdint>
#include <vector>

namespace psc {

/** A tensor to place: its size and the execution steps (inclusive) during which it must stay in memory. */
struct TensorLifetime
{
    std::int64_t bytes = 0;
    int firstUse = 0; ///< step that produces it (0 for a network input present before the first layer runs)
    int lastUse = 0;  ///< last step that reads it
    bool operator==(const TensorLifetime &) const = default;
};

/** Result of planning: one arena offset per tensor (in the order they were given) and the arena size. */
struct MemoryPlan
{
    std::vector<std::int64_t> offsets;
    std::int64_t arenaBytes = 0;
};

/**
 * Plans one arena for the activation tensors of a network, the way TensorFlow Lite Micro's greedy
 * planner does: tensors are taken largest first (ties: earlier first use, then given order) and each goes
 * to the lowest aligned offset where it overlaps no already placed tensor whose lifetime intersects its
 * own. The arena is the largest end offset. Greedy placement can leave gaps, so the arena may exceed
 * peakLiveBytes(), which is the lower bound any planner must meet.
 *
 * Plain value type, no shared state; O(n^2 log n) in the tensor count, which is fine for hundreds of tensors.
 */
class MemoryPlanner
{
public:
    /** `alignment` in bytes (>= 1); TFLM aligns tensor offsets to 16. */
    explicit MemoryPlanner(std::int64_t alignment = 16);

    /** Adds a tensor and returns its index. Throws std::invalid_argument for negative sizes or lifetimes. */
    int addTensor(std::int64_t bytes, int firstUse, int lastUse);
    int addTensor(const TensorLifetime &tensor) { return addTensor(tensor.bytes, tensor.firstUse, tensor.lastUse); }

    const std::vector<TensorLifetime> &tensors() const { return m_tensors; }
    std::int64_t alignment() const { return m_alignment; }

    /** Places every tensor added so far. */
    MemoryPlan plan() const;

    /** The largest sum of the sizes of the tensors alive at one step (unaligned). */
    std::int64_t peakLiveBytes() const;
    /** The first step at which peakLiveBytes() is reached (0 if there are no tensors). */
    int peakLiveStep() const;

private:
    std::int64_t m_alignment;
    std::vector<TensorLifetime> m_tensors;
};

} // namespace psc
