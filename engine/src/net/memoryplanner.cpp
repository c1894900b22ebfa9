// SPDX-License-Identifier: GPL-3.0-or-later
#include "psc/net/memoryplanner.h"

#include <algorithm>
#include <map>
#include <numeric>
#include <stdexcept>

namespace psc {

namespace {

bool lifetimesIntersect(const TensorLifetime &a, const TensorLifetime &b)
{
    return a.firstUse <= b.lastUse && b.firstUse <= a.lastUse;
}

std::int64_t alignUp(std::int64_t value, std::int64_t alignment)
{
    return (value + alignment - 1) / alignment * alignment;
}

/** The largest live sum and the first step reaching it. */
std::pair<std::int64_t, int> livePeak(const std::vector<TensorLifetime> &tensors)
{
    // Sweep over lifetime boundaries: +bytes when a tensor appears, -bytes the step after its last use.
    std::map<int, std::int64_t> delta;
    for (const TensorLifetime &t : tensors) {
        delta[t.firstUse] += t.bytes;
        delta[t.lastUse + 1] -= t.bytes;
    }
    std::int64_t live = 0, peak = 0;
    int peakStep = 0;
    for (const auto &[step, change] : delta) {
        live += change;
        if (live > peak) {
            peak = live;
            peakStep = step;
        }
    }
    return {peak, peakStep};
}

} // namespace

MemoryPlanner::MemoryPlanner(std::int64_t alignment) : m_alignment(alignment)
{
    if (alignment < 1)
        throw std::invalid_argument("MemoryPlanner: alignment must be >= 1");
}

int MemoryPlanner::addTensor(std::int64_t bytes, int firstUse, int lastUse)
{
    if (bytes < 0 || firstUse < 0 || lastUse < firstUse)
        throw std::invalid_argument("MemoryPlanner: a tensor needs bytes >= 0 and 0 <= firstUse <= lastUse");
    m_tensors.push_back(TensorLifetime{bytes, firstUse, lastUse});
    return int(m_tensors.size()) - 1;
}

MemoryPlan MemoryPlanner::plan() const
{
    const std::size_t count = m_tensors.size();
    std::vector<std::size_t> order(count);
    std::iota(order.begin(), order.end(), std::size_t(0));
    std::stable_sort(order.begin(), order.end(), [this](std::size_t a, std::size_t b) {
        const TensorLifetime &ta = m_tensors[a], &tb = m_tensors[b];
        if (ta.bytes != tb.bytes)
            return ta.bytes > tb.bytes;
        return ta.firstUse < tb.firstUse;
    });

    MemoryPlan result;
    result.offsets.assign(count, 0);
    std::vector<std::size_t> placed;
    placed.reserve(count);
    std::vector<std::pair<std::int64_t, std::int64_t>> busy; // [offset, end) of placed tensors alive at the same time
    for (std::size_t index : order) {
        const TensorLifetime &tensor = m_tensors[index];
        busy.clear();
        for (std::size_t other : placed) {
            if (lifetimesIntersect(tensor, m_tensors[other]) && m_tensors[other].bytes > 0)
                busy.emplace_back(result.offsets[other], result.offsets[other] + m_tensors[other].bytes);
        }
        std::sort(busy.begin(), busy.end());
        // Walk the conflicting blocks bottom-up and take the first gap the tensor fits into.
        std::int64_t offset = 0;
        for (const auto &[start, end] : busy) {
            if (offset + tensor.bytes <= start)
                break;
            offset = std::max(offset, alignUp(end, m_alignment));
        }
        result.offsets[index] = offset;
        result.arenaBytes = std::max(result.arenaBytes, offset + tensor.bytes);
        placed.push_back(index);
    }
    return result;
}

std::int64_t MemoryPlanner::peakLiveBytes() const
{
    return livePeak(m_tensors).first;
}

int MemoryPlanner::peakLiveStep() const
{
    return livePeak(m_tensors).second;
}

} // namespace psc
