// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// What the ML benchmarks share: the demo family's reference network and a wall clock.

#include <chrono>

namespace psc::bench {

// The reference network of the demo family: stem of 16 channels, two separable blocks of 24 (stride 2, expansion
// 2), global pooling and the classifier; 5.5 KiB at int8 (issue 13's measurement network).
inline const char *kReferenceNetwork =
    R"({"name": "bench-reference", "input": {"channels": 1, "height": 28, "width": 28}, "layers": [
  {"type": "conv2d", "name": "stem", "out_channels": 16, "kernel": 3, "stride": 2, "padding": "same", "bias": false},
  {"type": "batch_norm", "name": "stem_bn"}, {"type": "relu", "name": "stem_relu"},
  {"type": "conv2d", "name": "b1_expand", "out_channels": 32, "kernel": 1, "bias": false},
  {"type": "batch_norm", "name": "b1_expand_bn"}, {"type": "relu6", "name": "b1_expand_relu"},
  {"type": "depthwise_conv2d", "name": "b1_dw", "kernel": 3, "stride": 2, "padding": "same", "bias": false},
  {"type": "batch_norm", "name": "b1_dw_bn"}, {"type": "relu6", "name": "b1_dw_relu"},
  {"type": "conv2d", "name": "b1_project", "out_channels": 24, "kernel": 1, "bias": false},
  {"type": "batch_norm", "name": "b1_project_bn"},
  {"type": "conv2d", "name": "b2_expand", "out_channels": 48, "kernel": 1, "bias": false},
  {"type": "batch_norm", "name": "b2_expand_bn"}, {"type": "relu6", "name": "b2_expand_relu"},
  {"type": "depthwise_conv2d", "name": "b2_dw", "kernel": 3, "stride": 2, "padding": "same", "bias": false},
  {"type": "batch_norm", "name": "b2_dw_bn"}, {"type": "relu6", "name": "b2_dw_relu"},
  {"type": "conv2d", "name": "b2_project", "out_channels": 24, "kernel": 1, "bias": false},
  {"type": "batch_norm", "name": "b2_project_bn"},
  {"type": "global_avg_pool", "name": "pool"}, {"type": "flatten", "name": "flat"},
  {"type": "dense", "name": "logits", "units": 10}]})";

using Clock = std::chrono::steady_clock;

inline double secondsSince(Clock::time_point since)
{
    return std::chrono::duration<double>(Clock::now() - since).count();
}

} // namespace psc::bench
