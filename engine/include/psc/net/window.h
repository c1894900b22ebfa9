// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "psc/net/network.h"

namespace psc {

/**
 * The geometry of a sliding window (conv2d, depthwise_conv2d, pools) along one axis, TensorFlow conventions
 * (docs/formats/network.md, "padding"):
 * - same: out = ceil(input / stride); the total padding max((out - 1) * stride + kernel - input, 0) is split
 *   with the odd row or column after (padBefore = total / 2).
 * - valid: out = floor((input - kernel) / stride) + 1, no padding.
 * - explicit: `amount` zeros on both sides, out = floor((input + 2 amount - kernel) / stride) + 1.
 * Shape inference, the LibTorch trainer and the integer reference inference all take their windows from
 * windowAxis(), so training and integer inference agree exactly.
 */
struct WindowAxis
{
    int out = -1;      ///< output size; -1 if the kernel does not fit into the (padded) input
    int padBefore = 0; ///< zeros before the input (top or left)
    int padAfter = 0;  ///< zeros after the input (bottom or right) as the padding mode declares them
    /// (out - 1) * stride + kernel: the extent, padding included, that the windows read. It can be shorter
    /// than padBefore + input + padAfter (valid or explicit padding with a stride that does not divide: the
    /// last rows are never read) and longer than padBefore + input only by padding.
    int span = 0;
    bool operator==(const WindowAxis &) const = default;
};

/**
 * The window geometry of one axis for an input of `input` elements. `kernel` and `stride` must be >= 1 and
 * `input` >= 1 (shape inference checks them first); sizes up to kMaxDimension cannot overflow. Pure; any thread.
 */
WindowAxis windowAxis(int input, int kernel, int stride, const Padding &padding);

} // namespace psc
