// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QtPlugin>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

/**
 * @file
 * The hardware-target plugin interface: plain data in, plain data out. A target plugin implements one
 * cost model (MCU, NPU, systolic array, analog CiM); a target *file* (resources/targets/<id>.json) names the
 * model and gives its parameters, each with a source. The engine reads and validates the file, flattens
 * the parameters to name -> number/string, and asks the plugin's factory to create a configured
 * HardwareTarget. Estimating is a pure function of (network, deployment): no I/O, no globals, safe to call
 * from any number of threads at once.
 */
namespace psc::plugin {

/** Operators, mirroring the engine's layer types. */
enum class OpKind
{
    Conv2d,
    DepthwiseConv2d,
    Dense,
    AvgPool2d,
    MaxPool2d,
    GlobalAvgPool,
    Add,
    Flatten,
    BatchNorm,
    Relu,
    Relu6,
    Softmax,
};

/** Fused activation of a conv/dense layer. */
enum class FusedActivation
{
    None,
    Relu,
    Relu6,
    Softmax,
};

/** One layer as a cost model sees it. Shapes are channels x height x width without the batch. */
struct LayerInfo
{
    std::string name;
    OpKind op = OpKind::Relu;
    FusedActivation activation = FusedActivation::None;
    int inC = 0, inH = 0, inW = 0; ///< first input
    int outC = 0, outH = 0, outW = 0;
    int kernelH = 1, kernelW = 1, strideH = 1, strideW = 1;
    int inputs = 1;           ///< number of input tensors (add has >= 2)
    std::int64_t macs = 0;    ///< dense-equivalent multiply-accumulates
    std::int64_t weights = 0; ///< weight elements (no bias); 0 for weightless layers
    std::int64_t biases = 0;  ///< bias elements (deployed as int32)
    /// Removed by deployment (costs nothing): a batch_norm folded into the layer before it, or a relu/relu6 that
    /// became that layer's fused activation (then the producer's `activation` says so).
    bool foldedIntoProducer = false;
    std::int64_t inputBytes = 0;  ///< all input tensors at their activation bit-widths
    std::int64_t outputBytes = 0; ///< the output tensor at the layer's activation bit-width
    std::int64_t liveBytes = 0;   ///< sum of tensors alive while this layer runs (exact sweep)
};

/** A network as a cost model sees it (built by the engine from its analysis). */
struct NetworkInfo
{
    std::string name;
    int inC = 0, inH = 0, inW = 0;
    std::int64_t inputBytes = 0;
    std::vector<LayerInfo> layers;
    std::int64_t arenaBytes = 0;    ///< TFLite-Micro-style greedy arena, 16-byte aligned
    std::int64_t peakLiveBytes = 0; ///< maximum over steps of the live-tensor sum
    /// The arena of Paretoscope's C export: the deployable network (batch norms folded, ReLUs fused), int8
    /// tensors, the input in the caller's buffer, flatten and softmax in place (psc::deployedTensors()).
    std::int64_t deployedArenaBytes = 0;
};

enum class SparsityPattern
{
    None,
    Unstructured,      ///< any weight may be zero
    ChannelStructured, ///< whole output channels removed (already reflected in the network's shapes)
    Dbb,               ///< density-bound blocks: at most `maxNonZeros` per `blockSize` along input channels
    NM,                ///< N:M, at most `n` non-zeros in every `m` consecutive weights
};

/**
 * How often each deployed weight value occurs in one layer: the trained, quantised int8 weights (zero point 0) by
 * value, counts[v + 128] for v in [-128, 127]. Cost models that compress weights (Vela's encoder) use it; without it
 * they assume a prior distribution.
 */
struct WeightHistogram
{
    std::array<std::int64_t, 256> counts{};
    std::int64_t count(int value) const { return counts[std::size_t(value + 128)]; }
    std::int64_t total() const
    {
        std::int64_t n = 0;
        for (std::int64_t c : counts)
            n += c;
        return n;
    }
};

/** How one layer is deployed. Dense int8 is the default. */
struct LayerDeployment
{
    int weightBits = 8;
    int activationBits = 8;
    double sparsity = 0.0; ///< fraction of zero weights in [0, 1)
    SparsityPattern pattern = SparsityPattern::None;
    int blockSize = 8;   ///< DBB block size BZ
    int maxNonZeros = 8; ///< DBB NNZ bound
    int n = 0, m = 0;    ///< N:M
    /// The layer's trained weight values, when the trial has been trained; shared, immutable.
    std::shared_ptr<const WeightHistogram> weightValues;
};

/** What limits a layer. */
enum class Bound
{
    Compute,
    Sram,
    Flash,
    Dram,
    Host, ///< ran on the host MCU (fallback)
    None, ///< free (folded, reshaped)
};

struct LayerCost
{
    std::string layer;
    double cycles = NAN; ///< NAN where the target has no clock
    /// The part of `cycles` the compute takes alone, as a stall-free simulator reports it (SCALE-Sim's CALC mode,
    /// Vela's NPU cycles); NAN where the model does not separate compute from memory.
    double computeCycles = NAN;
    /// The rest of `cycles`: waiting for memory transfers the compute does not hide (NAN with computeCycles).
    double stallCycles = NAN;
    /// Cycles of the target's host processor, in its own clock, for an operator that falls back to it (0 if none).
    double hostCycles = 0.0;
    double latencyS = 0.0;
    double energyJ = 0.0;
    std::int64_t workingMemoryBytes = 0; ///< memory the layer needs while it runs (tensors + scratch)
    std::int64_t weightStorageBytes = 0; ///< stored weights, biases and quantisation parameters
    double utilization = 0.0;            ///< achieved / peak compute, in [0, 1]
    Bound bound = Bound::None;
    bool fallback = false; ///< operator not supported by the target, run on its host
    std::string note;      ///< e.g. "depthwise: 4 kernel elements per cycle"
};

/** One checked limit: "peak SRAM 212 KiB > 128 KiB". */
struct LimitCheck
{
    std::string name; ///< "sram", "flash", "crossbar_cells", ...
    double value = 0.0;
    double limit = 0.0;
    std::string unit; ///< "B", "s", "cells"
    bool ok = true;
    std::string message; ///< human-readable, names both numbers
};

/**
 * Model-specific metrics of an estimate by name ("tops_per_w", "flash_bytes"), SI units. A flat list in
 * insertion order with the names stored inline: an estimate fills a dozen of them for every candidate of a
 * search, so they cost one allocation instead of a tree node and a string each. Names are at most
 * kMaxNameLength characters.
 */
class ExtraMetrics
{
public:
    static constexpr std::size_t kMaxNameLength = 39;

private:
    struct Entry
    {
        char name[kMaxNameLength + 1] = {};
        std::uint8_t length = 0;
        double value = 0.0;
    };

public:
    using value_type = std::pair<std::string_view, double>;

    /** The value named `name`, added as 0 if absent. Throws std::length_error for an over-long name. */
    double &operator[](std::string_view name)
    {
        if (Entry *e = entry(name))
            return e->value;
        if (name.size() > kMaxNameLength)
            throw std::length_error("extra metric name longer than 39 characters: " + std::string(name));
        if (m_entries.empty())
            m_entries.reserve(16);
        Entry &e = m_entries.emplace_back();
        std::memcpy(e.name, name.data(), name.size());
        e.length = static_cast<std::uint8_t>(name.size());
        return e.value;
    }
    /** Throws std::out_of_range when absent. */
    double at(std::string_view name) const
    {
        if (const Entry *e = const_cast<ExtraMetrics *>(this)->entry(name))
            return e->value;
        throw std::out_of_range("no extra metric named " + std::string(name));
    }
    std::optional<double> value(std::string_view name) const
    {
        if (const Entry *e = const_cast<ExtraMetrics *>(this)->entry(name))
            return e->value;
        return std::nullopt;
    }
    std::size_t count(std::string_view name) const { return value(name) ? 1 : 0; }
    std::size_t size() const { return m_entries.size(); }
    bool empty() const { return m_entries.empty(); }

    class const_iterator
    {
    public:
        using iterator_category = std::forward_iterator_tag;
        using value_type = ExtraMetrics::value_type;
        using difference_type = std::ptrdiff_t;
        using pointer = void;
        using reference = value_type;
        const_iterator() = default;
        value_type operator*() const { return {std::string_view(m_at->name, m_at->length), m_at->value}; }
        const_iterator &operator++()
        {
            ++m_at;
            return *this;
        }
        const_iterator operator++(int)
        {
            const_iterator old = *this;
            ++m_at;
            return old;
        }
        bool operator==(const const_iterator &other) const = default;

    private:
        friend class ExtraMetrics;
        explicit const_iterator(const Entry *at) : m_at(at) {}
        const Entry *m_at = nullptr;
    };
    const_iterator begin() const { return const_iterator(m_entries.data()); }
    const_iterator end() const { return const_iterator(m_entries.data() + m_entries.size()); }

private:
    Entry *entry(std::string_view name)
    {
        for (Entry &e : m_entries)
            if (e.length == name.size() && std::memcmp(e.name, name.data(), name.size()) == 0)
                return &e;
        return nullptr;
    }
    std::vector<Entry> m_entries;
};

struct CostEstimate
{
    std::string targetId;
    std::string model;        ///< the plugin's model id, e.g. "mcu-linear"
    std::string modelVersion; ///< bumped whenever the model's numbers change
    std::vector<LayerCost> layers;
    double cycles = NAN;
    double latencyS = 0.0;
    double energyJ = 0.0;
    std::int64_t peakMemoryBytes = 0;    ///< peak working memory (SRAM arena + scratch + persistent)
    std::int64_t weightStorageBytes = 0; ///< flash / weight memory including runtime overhead if any
    double utilization = 0.0;
    std::vector<LimitCheck> limits;
    /** Further target metrics by name (e.g. "tops_per_w", "flash_bytes"), SI units. */
    ExtraMetrics extra;

    bool feasible() const
    {
        for (const LimitCheck &l : limits)
            if (!l.ok)
                return false;
        return true;
    }
};

/** A configured target. Immutable; estimate() is pure and re-entrant. */
class HardwareTarget
{
public:
    virtual ~HardwareTarget() = default;
    /** `deployment` has one entry per layer of `network` (same order). Fills every field, per layer too. */
    virtual CostEstimate estimate(const NetworkInfo &network, const std::vector<LayerDeployment> &deployment) const = 0;

    /**
     * The same totals, limits and extras without the per-layer entries and notes, and with messages only
     * for violated limits: what a search needs for every candidate, so a model may override it to skip the
     * formatting. The default drops the layers of a full estimate.
     */
    virtual CostEstimate estimateTotals(const NetworkInfo &network,
                                        const std::vector<LayerDeployment> &deployment) const
    {
        CostEstimate e = estimate(network, deployment);
        e.layers.clear();
        return e;
    }
};

/** A parameter value from a target file: a number or a string. */
struct ParameterValue
{
    std::optional<double> number;
    std::string text;
};
using Parameters = std::map<std::string, ParameterValue>;

/** Reported by TargetFactory::create() for a bad parameter; the engine adds file and line:column. */
struct ParameterError
{
    std::string parameter; ///< the offending parameter name ("" for the whole set)
    std::string message;   ///< what was expected
};

/** The Qt plugin interface of a cost model. */
class TargetFactory
{
public:
    virtual ~TargetFactory() = default;
    virtual std::string modelId() const = 0; ///< matches a target file's "model"
    virtual std::string modelVersion() const = 0;
    virtual std::string description() const = 0;
    /** Configures a target from its parameters, or returns nullptr and fills `error`. */
    virtual std::unique_ptr<HardwareTarget> create(const std::string &targetId, const Parameters &parameters,
                                                   ParameterError &error) const = 0;
};

} // namespace psc::plugin

#define PSC_TARGET_FACTORY_IID "org.paretoscope.HardwareTarget/4.0"
Q_DECLARE_INTERFACE(psc::plugin::TargetFactory, PSC_TARGET_FACTORY_IID)
