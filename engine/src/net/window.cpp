// SPDX-License-Identifier: GPL-3.0-or-later
#include "psc/net/window.h"

#include <algorithm>
#include <cstdint>

namespace psc {

WindowAxis windowAxis(int input, int kernel, int stride, const Padding &padding)
{
    // 64-bit intermediates: input + 2 * amount and (out - 1) * stride + kernel exceed int for absurd sizes.
    const std::int64_t in = input, k = kernel, s = stride;
    WindowAxis a;
    std::int64_t out = -1;
    switch (padding.mode) {
    case PaddingMode::Same: {
        // TensorFlow pads as much as needed, so any kernel fits and only the stride matters.
        out = (in + s - 1) / s;
        const std::int64_t total = std::max<std::int64_t>((out - 1) * s + k - in, 0);
        a.padBefore = int(total / 2);
        a.padAfter = int(total - total / 2);
        break;
    }
    case PaddingMode::Valid:
    case PaddingMode::Explicit: {
        const std::int64_t amount = padding.mode == PaddingMode::Explicit ? padding.amount : 0;
        const std::int64_t padded = in + 2 * amount;
        if (padded < k)
            return a;
        out = (padded - k) / s + 1;
        a.padBefore = a.padAfter = int(amount);
        break;
    }
    }
    a.out = int(out);
    a.span = int((out - 1) * s + k);
    return a;
}

} // namespace psc
