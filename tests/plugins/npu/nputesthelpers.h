// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Shared by the Ethos-U model tests: a hand-written U55-128 configuration and layer builders, so that
// the hand-computed cases do not depend on the target files.

#include "npumodel.h"

#include <psc/net/analysis.h>
#include <psc/net/network.h>
#include <psc/targets/costinput.h>

namespace npu_test {

using namespace psc::plugin;

inline ParameterValue num(double v)
{
    return ParameterValue{v, {}};
}
inline ParameterValue text(const std::string &t)
{
    return ParameterValue{std::nullopt, t};
}

/** Ethos-U55-128 in Ethos_U55_High_End_Embedded (500 MHz, SRAM 8 B/cycle, flash 1 B/cycle), Shared_Sram. */
inline Parameters u55x128HighEnd()
{
    return {
        {"accelerator", text("ethos-u55-128")},
        {"system_config", text("Ethos_U55_High_End_Embedded")},
        {"clock_hz", num(500e6)},
        {"macs_per_cycle", num(128)},
        {"ublock_width", num(2)},
        {"ublock_height", num(1)},
        {"ublock_depth", num(8)},
        {"cores", num(1)},
        {"shram_bytes", num(24 * 1024)},
        {"memory_mode", text("shared_sram")},
        {"sram_bandwidth_bytes_per_s", num(4e9)},
        {"sram_latency_cycles", num(32)},
        {"sram_burst_bytes", num(32)},
        {"sram_bytes", num(2 * 1024 * 1024)},
        {"offchip_memory", text("flash")},
        {"offchip_bandwidth_bytes_per_s", num(0.5e9)},
        {"offchip_latency_cycles", num(64)},
        {"offchip_write_latency_cycles", num(64)},
        {"offchip_burst_bytes", num(128)},
        {"scale_bias_bytes_per_channel", num(10)},
        {"energy_per_mac_j", num(0.5e-12)},
        {"sram_energy_per_byte_j", num(12.5e-12)},
        {"offchip_energy_per_byte_j", num(250e-12)},
        {"static_power_w", num(0.005)},
        {"host_clock_hz", num(500e6)},
        {"host_cycles_per_mac", num(1.7)},
        {"host_cycles_per_element", num(20)},
        {"host_active_power_w", num(0.05)},
    };
}

/** The same accelerator in Ethos_U55_Deep_Embedded: 200 MHz, SRAM 1.6 GB/s (8 B/cycle), flash 0.1 GB/s (0.5 B/cycle).
 */
inline Parameters u55x128DeepEmbedded()
{
    Parameters p = u55x128HighEnd();
    p["clock_hz"] = num(200e6);
    p["sram_bandwidth_bytes_per_s"] = num(1.6e9);
    p["offchip_bandwidth_bytes_per_s"] = num(0.1e9);
    p["host_clock_hz"] = num(200e6);
    return p;
}

/** Ethos-U65-512 in Ethos_U65_Client_Server (1 GHz, SRAM 16 B/cycle, DRAM 12 B/cycle, read latency 500), Dedicated_Sram
 * with Vela's 384 KiB cache. */
inline Parameters u65x512ClientServer()
{
    Parameters p = u55x128HighEnd();
    p["accelerator"] = text("ethos-u65-512");
    p["system_config"] = text("Ethos_U65_Client_Server");
    p["clock_hz"] = num(1e9);
    p["macs_per_cycle"] = num(512);
    p["ublock_height"] = num(2);
    p["cores"] = num(2);
    p["shram_bytes"] = num(48 * 1024);
    p["memory_mode"] = text("dedicated_sram");
    p["sram_bandwidth_bytes_per_s"] = num(16e9);
    p["sram_bytes"] = num(384 * 1024);
    p["offchip_memory"] = text("dram");
    p["offchip_bandwidth_bytes_per_s"] = num(12e9);
    p["offchip_latency_cycles"] = num(500);
    p["offchip_write_latency_cycles"] = num(250);
    p["host_clock_hz"] = num(1e9);
    return p;
}

inline psc::targets::npu::NpuTarget makeTarget(const Parameters &p, const std::string &id = "test")
{
    ParameterError error;
    auto config = psc::targets::npu::parseConfig(p, error);
    if (!config)
        throw std::runtime_error(error.parameter + ": " + error.message);
    return psc::targets::npu::NpuTarget(id, *config);
}

inline LayerInfo conv(const std::string &name, int inC, int inH, int inW, int outC, int k, int stride = 1)
{
    LayerInfo l;
    l.name = name;
    l.op = OpKind::Conv2d;
    l.inC = inC, l.inH = inH, l.inW = inW;
    l.outC = outC, l.outH = (inH + stride - 1) / stride, l.outW = (inW + stride - 1) / stride; // "same" padding
    l.kernelH = l.kernelW = k;
    l.strideH = l.strideW = stride;
    l.macs = std::int64_t(l.outC) * l.outH * l.outW * inC * k * k;
    l.weights = std::int64_t(outC) * inC * k * k;
    l.biases = outC;
    l.inputBytes = std::int64_t(inC) * inH * inW;
    l.outputBytes = std::int64_t(l.outC) * l.outH * l.outW;
    l.liveBytes = l.inputBytes + l.outputBytes;
    return l;
}

inline LayerInfo depthwise(const std::string &name, int c, int h, int w, int k)
{
    LayerInfo l = conv(name, c, h, w, c, k);
    l.op = OpKind::DepthwiseConv2d;
    l.macs = std::int64_t(c) * h * w * k * k;
    l.weights = std::int64_t(c) * k * k;
    return l;
}

inline LayerInfo dense(const std::string &name, int in, int out)
{
    LayerInfo l;
    l.name = name;
    l.op = OpKind::Dense;
    l.inC = in, l.inH = 1, l.inW = 1;
    l.outC = out, l.outH = 1, l.outW = 1;
    l.macs = std::int64_t(in) * out;
    l.weights = std::int64_t(in) * out;
    l.biases = out;
    l.inputBytes = in;
    l.outputBytes = out;
    l.liveBytes = in + out;
    return l;
}

inline LayerInfo elementwise(const std::string &name, OpKind op, int c, int h, int w)
{
    LayerInfo l;
    l.name = name;
    l.op = op;
    l.inC = l.outC = c, l.inH = l.outH = h, l.inW = l.outW = w;
    l.inputBytes = l.outputBytes = std::int64_t(c) * h * w;
    l.liveBytes = 2 * l.inputBytes;
    return l;
}

inline NetworkInfo network(std::vector<LayerInfo> layers)
{
    NetworkInfo n;
    n.name = "hand";
    std::int64_t peak = 0;
    for (const LayerInfo &l : layers)
        peak = std::max(peak, l.liveBytes);
    n.layers = std::move(layers);
    n.arenaBytes = n.peakLiveBytes = peak;
    return n;
}

/** NetworkInfo as the engine hands it to the plugin. */
inline NetworkInfo fromAnalysis(const psc::NetworkDescription &desc, const psc::ModelAnalysis &a)
{
    return psc::toNetworkInfo(desc, a);
}

} // namespace npu_test
