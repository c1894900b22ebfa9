// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <array>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

/**
 * @file
 * The per-operation performance formulas of the Ethos-U model, as Arm's Vela compiler 3.10 computes them: the
 * hardware facts of each accelerator configuration, the OFM block search that fits the shared buffer (SHRAM),
 * the MAC-array and output-stage cycles of a block, the per-block command floor and the burst efficiency of
 * memory transfers. Formulas and facts only (docs/research/fidelity-references.md Part 2 gives each with the Vela
 * function it comes from); the code is ours. Plain C++, pure functions, callable from any thread.
 */
namespace psc::targets::npu {

/** Height, width and depth of a feature map, a block or a micro-block. */
struct Shape3
{
    int h = 1, w = 1, d = 1;
    std::int64_t elements() const { return std::int64_t(h) * w * d; }
    std::int64_t elementsWh() const { return std::int64_t(h) * w; }
    bool operator==(const Shape3 &) const = default;
};

/** What Vela's performance model needs to know about one Ethos-U configuration (architecture_features.py). */
struct NpuArch
{
    std::string_view accelerator; ///< "ethos-u55-128", ...
    int macs = 0;                 ///< MACs per cycle per core
    int cores = 1;
    Shape3 ofmUblock, ifmUblock;
    int shramBanks = 0; ///< 1 KiB banks
    /// Bank granules: IFM8, IFM16, IFM8 element-wise, IFM16 element-wise, IFM32, Acc16, Acc32, Acc40.
    std::array<int, 8> granules{};
    /// Output-stage cycles per element by Vela's index 0-7 (research 2.4) and by activation (LUT, ReLU, none).
    std::array<double, 8> outputCycles{};
    std::array<double, 3> activationCycles{};
};

/** The configuration named `accelerator`, or nothing if Vela 3.10 does not know it. */
const NpuArch *findArch(std::string_view accelerator);
/** "ethos-u55-32, ethos-u55-64, ...", for messages. */
std::string knownAccelerators();

/** Vela's NPU block types: which datapath an operation uses. */
enum class BlockType
{
    ConvolutionMxN,
    ConvolutionDepthWise,
    VectorProduct, ///< fully connected
    Pooling,
    ElementWise,
    ReduceSum,
};

/** The output-stage rate an operation uses: Vela's output table index (research 2.4). */
enum class OutputRate
{
    Elementwise32BitBinary = 0,
    Elementwise32BitUnary = 1,
    Mul32BitOutput = 2,
    MulOr40BitAccumulator = 3,
    AddSub = 5,
    MaxPool = 6,
    Default = 7,
};

enum class ActivationRate
{
    Lut = 0,  ///< sigmoid, tanh, table look-up
    Relu = 1, ///< relu, relu6
    None = 2,
};

/** A memory area as Vela's system configuration describes it (vela.ini). */
struct MemoryArea
{
    double bytesPerCycle = 8;
    double readLatency = 0, writeLatency = 0; ///< cycles
    int burstBytes = 32;
    bool offchip = false; ///< flash or DRAM rather than the SRAM
};

/** One operation as the NPU runs it: an Ethos-U command with its shapes, formats and memory areas. */
struct NpuOp
{
    BlockType type = BlockType::ConvolutionMxN;
    OutputRate outputRate = OutputRate::Default;
    ActivationRate activation = ActivationRate::None;
    Shape3 ifm, ofm;
    std::optional<Shape3> ifm2; ///< second input of a binary element-wise op
    bool ifm2Scalar = false;
    int ifmBits = 8, ofmBits = 8;
    int kernelH = 1, kernelW = 1, strideH = 1, strideW = 1;
    bool hasBias = false; ///< scales and biases are read (conv, depthwise, fully connected)
    /// int32 elements of a constant operand read from the weights' memory (the scalars of softmax's passes).
    int constantElements = 0;
    bool ifmLinear = false, ofmLinear = false; ///< NHWC; otherwise the NPU's NHCWB16 brick format
    MemoryArea ifmArea, ofmArea, constArea;
};

/** An OFM block and the IFM block that feeds it (architecture_allocator.find_block_config). */
struct BlockConfig
{
    Shape3 ofmBlock, ifmBlock;
    bool partKernel = false; ///< part-kernel-first traversal
    bool acc40 = false;      ///< 40-bit accumulators (int16 with scaling)
};

/** Vela's kernel traversal choice for a convolution: part-kernel-first (true) or depth-first. */
bool choosePartKernel(int ifmDepth, int ifmBits, int kernelElements);

/** The best OFM block that fits the SHRAM, by Vela's search and cost. Nothing if no block fits. */
std::optional<BlockConfig> findBlockConfig(const NpuArch &arch, const NpuOp &op);

/** Cycles of the MAC array and output stage for the whole op (npu_performance.measure_cycle_cost). */
struct OpCycles
{
    double cycles = 0;
    double dpuPerBlock = 0, outputPerBlock = 0;
    std::int64_t blocks = 0;
};
OpCycles opCycles(const NpuArch &arch, const NpuOp &op, const BlockConfig &config);

/** Elements each operand is read or written (npu_performance.measure_element_access). */
struct ElementAccess
{
    double ifm = 0, ifm2 = 0, ofm = 0;
    double weights = 0; ///< weight elements fetched, before compression
    double scales = 0;  ///< channels of scales and biases
};
ElementAccess elementAccess(const NpuArch &arch, const NpuOp &op, const BlockConfig &config);

/**
 * `bytes` scaled by the burst efficiency of a transfer in blocks of `block` to or from a tensor of `shape`
 * (npu_performance._estimate_memory_transfer_efficiency): short bursts cost as much as full ones.
 */
double burstScaledBytes(const NpuArch &arch, bool read, const MemoryArea &area, bool linear, int bits,
                        const Shape3 &shape, const Shape3 &block, double bytes);

/**
 * A thread-safe memo keyed by N integers. A search costs the same layer shapes over and over; the block search looks
 * at hundreds of blocks and the weight encoder at every value, so both remember their answers. Cleared when it
 * holds a million entries, which bounds its memory.
 */
template <std::size_t N, typename Value> class Memo
{
public:
    using Key = std::array<std::int64_t, N>;
    template <typename Make> Value get(const Key &key, Make &&make)
    {
        {
            std::lock_guard lock(m_mutex);
            if (auto it = m_values.find(key); it != m_values.end())
                return it->second;
        }
        Value value = make();
        std::lock_guard lock(m_mutex);
        if (m_values.size() >= 1000000)
            m_values.clear();
        m_values.emplace(key, value);
        return value;
    }

private:
    struct Hash
    {
        std::size_t operator()(const Key &key) const
        {
            std::uint64_t h = 14695981039346656037ull; // FNV-1a over the integers
            for (std::int64_t v : key) {
                h ^= std::uint64_t(v);
                h *= 1099511628211ull;
            }
            return std::size_t(h);
        }
    };
    std::mutex m_mutex;
    std::unordered_map<Key, Value, Hash> m_values;
};

/** The block search, remembered per architecture, block type, shapes, bits, kernel and LUT use. */
class BlockConfigCache
{
public:
    std::optional<BlockConfig> find(const NpuArch &arch, const NpuOp &op);

private:
    Memo<18, std::optional<BlockConfig>> m_configs;
};

} // namespace psc::targets::npu
