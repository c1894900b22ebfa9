// SPDX-License-Identifier: GPL-3.0-or-later
// Vela 3.10's per-operation performance formulas (docs/research/fidelity-references.md 2.2-2.5, 2.8), written for
// Paretoscope's Ethos-U model.
#include "npuperformance.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

namespace psc::targets::npu {

namespace {

constexpr int kBankBytes = 1024;
constexpr int kReservedOutputBanks = 2;
constexpr int kSplitDepth = 16;             // ArchitectureFeatures.OFMSplitDepth
constexpr Shape3 kOfmBlockMax{32, 64, 128}; // h, w, d (ArchitectureFeatures.ofm_block_max)
constexpr int kSubKernelMax = 8;

enum Granule
{
    Ifm8,
    Ifm16,
    Ifm8Ew,
    Ifm16Ew,
    Ifm32,
    Acc16,
    Acc32,
    Acc40,
};

// ArchitectureFeatures.accelerator_configs and _generate_output_perf_tables, Vela 3.10 (research 2.2-2.4).
// macs is the per-core MAC count: w*h*8*d of the OFM micro-block.
constexpr std::array<double, 8> kOut32{2.0, 3.0, 3.0, 3.0, 4.0, 6.0, 1.0, 2.0};
constexpr std::array<double, 8> kOut64{1.0, 1.5, 1.5, 1.5, 2.0, 3.0, 0.5, 1.0};
constexpr std::array<double, 8> kOut128{0.75, 1.25, 0.75, 0.75, 1.0, 1.5, 0.25, 0.5};
constexpr std::array<double, 8> kOut256{0.625, 1.125, 0.5, 0.375, 0.5, 0.75, 0.125, 0.25};
constexpr std::array<double, 8> kOut512{0.3125, 0.5625, 0.25, 0.1875, 0.25, 0.375, 0.0625, 0.125};
const NpuArch kArchs[] = {
    {"ethos-u55-32", 32, 1, {1, 1, 4}, {1, 1, 8}, 16, {2, 2, 2, 2, 4, 4, 4, 4}, kOut32, {1.0, 1.0, 0.0}},
    {"ethos-u55-64", 64, 1, {1, 1, 8}, {1, 1, 8}, 16, {2, 2, 2, 2, 4, 4, 4, 8}, kOut64, {1.0, 1.0, 0.0}},
    {"ethos-u55-128", 128, 1, {1, 2, 8}, {1, 2, 8}, 24, {4, 4, 4, 4, 8, 4, 8, 12}, kOut128, {1.0, 0.5, 0.0}},
    {"ethos-u55-256", 256, 1, {2, 2, 8}, {2, 2, 8}, 48, {8, 8, 8, 8, 16, 8, 16, 20}, kOut256, {1.0, 0.25, 0.0}},
    {"ethos-u65-256", 256, 1, {2, 2, 8}, {2, 2, 8}, 48, {8, 8, 8, 8, 16, 8, 16, 20}, kOut256, {1.0, 0.25, 0.0}},
    {"ethos-u65-512", 256, 2, {2, 2, 8}, {2, 2, 8}, 48, {8, 8, 8, 8, 16, 8, 16, 20}, kOut512, {0.5, 0.125, 0.0}},
};

std::int64_t ceilDiv(std::int64_t a, std::int64_t b)
{
    return (a + b - 1) / b;
}
std::int64_t roundUp(std::int64_t a, std::int64_t b)
{
    return ceilDiv(a, b) * b;
}
Shape3 minShape(const Shape3 &a, const Shape3 &b)
{
    return {std::min(a.h, b.h), std::min(a.w, b.w), std::min(a.d, b.d)};
}
std::int64_t blocksOver(const Shape3 &shape, const Shape3 &block)
{
    return ceilDiv(shape.h, block.h) * ceilDiv(shape.w, block.w) * ceilDiv(shape.d, block.d);
}

bool isEqualDepth(BlockType t)
{
    return t == BlockType::ElementWise || t == BlockType::Pooling || t == BlockType::ConvolutionDepthWise;
}
bool isConvolution(BlockType t)
{
    return t == BlockType::ConvolutionMxN || t == BlockType::ConvolutionDepthWise;
}
int subKernelLimit(BlockType t)
{
    return t == BlockType::VectorProduct || t == BlockType::ElementWise ? 1 : kSubKernelMax;
}

/** IFM rows (or columns) that feed `ofm` outputs: architecture_allocator._required_size without resampling. */
int requiredSize(int ofm, int stride, int kernel)
{
    return (ofm - 1) * stride + kernel;
}

Shape3 ifmBlockFor(const Shape3 &ofmBlock, const NpuOp &op, const Shape3 &ublock)
{
    const int h = requiredSize(ofmBlock.h, op.strideH, std::min(op.kernelH, kSubKernelMax));
    const int w = requiredSize(ofmBlock.w, op.strideW, std::min(op.kernelW, kSubKernelMax));
    return {int(roundUp(h, ublock.h)), int(roundUp(w, ublock.w)), ofmBlock.d};
}

int ifmBlockDepth(const NpuArch &arch, const Shape3 &ifm, int bits, bool partKernel)
{
    if (bits == 16)
        return int(roundUp(std::min(ifm.d, 16), 4));
    return int(roundUp(std::min(ifm.d, partKernel ? 16 : 32), arch.ifmUblock.d));
}

/** The Conv1D special case of a 2-high micro-block (architecture_allocator.fit_block_for_ofm). */
Shape3 fitBlockForOfm(const NpuArch &arch, const NpuOp &op, Shape3 block)
{
    if (op.ofm.h == 1 && op.kernelH == 1 && arch.ofmUblock.h == 2)
        block.h = std::min(block.h, op.ofm.h);
    return block;
}

/** Does the block fit the SHRAM's banks (architecture_allocator._try_block_config)? */
bool fitsShram(const NpuArch &arch, const NpuOp &op, const Shape3 &ofmBlock, const Shape3 &ifmBlock, bool acc40,
               bool usesLut)
{
    const bool elementwise = op.type == BlockType::ElementWise;
    const int ifmGranule = elementwise ? arch.granules[op.ifmBits == 16   ? Ifm16Ew
                                                       : op.ifmBits == 32 ? Ifm32
                                                                          : Ifm8Ew]
                                       : arch.granules[op.ifmBits == 16   ? Ifm16
                                                       : op.ifmBits == 32 ? Ifm32
                                                                          : Ifm8];
    const int reservedEnd = arch.shramBanks > 16 ? 2 : 0;
    const int lutBanks = std::max(usesLut ? 2 : 0, reservedEnd);
    const std::int64_t ifmBytes = ifmBlock.elementsWh() * roundUp(ceilDiv(std::int64_t(ifmBlock.d) * op.ifmBits, 8), 8);
    const std::int64_t ifmBanks = roundUp(ceilDiv(ifmBytes, kBankBytes) * 2, ifmGranule);
    const std::int64_t lutStart = arch.shramBanks - lutBanks;
    std::int64_t ifmEnd = kReservedOutputBanks + ifmBanks;
    std::int64_t accStart = lutStart;
    if (!elementwise) {
        const int accBits = acc40 ? 40 : 32;
        const std::int64_t accBytes = ofmBlock.elementsWh() * roundUp(ofmBlock.d, 8) * accBits / 8;
        accStart -= roundUp(ceilDiv(accBytes, kBankBytes) * 2, arch.granules[acc40 ? Acc40 : Acc32]);
    } else {
        const std::int64_t ifm2Banks = op.ifm2 && !op.ifm2Scalar ? ifmBanks : 0;
        if (ifmEnd + ifm2Banks > accStart)
            return false;
        ifmEnd = accStart;
    }
    return ifmEnd <= accStart;
}

} // namespace

const NpuArch *findArch(std::string_view accelerator)
{
    for (const NpuArch &a : kArchs)
        if (a.accelerator == accelerator)
            return &a;
    return nullptr;
}

std::string knownAccelerators()
{
    std::string names;
    for (const NpuArch &a : kArchs)
        names += (names.empty() ? "" : ", ") + std::string(a.accelerator);
    return names;
}

bool choosePartKernel(int ifmDepth, int ifmBits, int kernelElements)
{
    // architecture_allocator._choose_kernel_method (research 2.3).
    if (ifmDepth <= 8)
        return true;
    const double depthUtilisation = double(ifmDepth) / double(roundUp(ifmDepth, ifmBits == 8 ? 32 : 16));
    const double partUtilisation = double(ifmDepth) * kernelElements /
                                   double(roundUp(ifmDepth, 8) * roundUp(kernelElements, ifmBits == 8 ? 4 : 2));
    return partUtilisation > depthUtilisation;
}

std::optional<BlockConfig> findBlockConfig(const NpuArch &arch, const NpuOp &op)
{
    // architecture_allocator.find_block_config (research 2.2): every block the micro-block tiles up to 32x64x128,
    // the cheapest in IFM + weight fetches per OFM element that fits the SHRAM.
    Shape3 ifmShape = op.ifm;
    if (op.ifm2 && op.ifm2->elements() > ifmShape.elements())
        ifmShape = *op.ifm2;
    BlockConfig config;
    config.partKernel =
        op.type == BlockType::ConvolutionMxN && choosePartKernel(ifmShape.d, op.ifmBits, op.kernelH * op.kernelW);
    config.acc40 = op.ifmBits == 16 && op.type != BlockType::Pooling; // int16 with scaling
    const bool equalDepth = isEqualDepth(op.type);
    const bool depthwise = op.type == BlockType::ConvolutionDepthWise;
    const std::int64_t ifmRepeats = ceilDiv(op.kernelW, kSubKernelMax) * ceilDiv(op.kernelH, kSubKernelMax);
    const int ifmDepth = ifmBlockDepth(arch, ifmShape, op.ifmBits, config.partKernel);
    const std::int64_t weightFetchWh = isConvolution(op.type) ? std::int64_t(op.kernelH) * op.kernelW : 0;
    const bool usesLut = op.activation == ActivationRate::Lut;

    const Shape3 space{int(roundUp(std::min(op.ofm.h, kOfmBlockMax.h), arch.ofmUblock.h)),
                       int(roundUp(std::min(op.ofm.w, kOfmBlockMax.w), arch.ofmUblock.w)),
                       int(roundUp(std::min(op.ofm.d, kOfmBlockMax.d), arch.ofmUblock.d))};
    double bestCost = std::numeric_limits<double>::infinity(), bestCoverage = bestCost;
    int depth = std::max(arch.ofmUblock.d, std::min(space.d, kSplitDepth));
    if (depth < op.ofm.d)
        depth = int(roundUp(depth, kSplitDepth));
    std::optional<BlockConfig> best;
    while (depth <= space.d) {
        // (height, width) pairs that did not fit: the transposed block is skipped, as Vela does.
        std::vector<std::pair<int, int>> wontFit;
        for (int height = arch.ofmUblock.h; height <= space.h; height += arch.ofmUblock.h) {
            for (int width = arch.ofmUblock.w; width <= space.w; width += arch.ofmUblock.w) {
                if (std::find(wontFit.begin(), wontFit.end(), std::pair{height, width}) != wontFit.end())
                    continue;
                const Shape3 ofmBlock{height, width, depth};
                Shape3 ifmBlock = ifmBlockFor(ofmBlock, op, arch.ofmUblock);
                if (!equalDepth)
                    ifmBlock.d = ifmDepth;
                if (!fitsShram(arch, op, fitBlockForOfm(arch, op, ofmBlock), ifmBlock, config.acc40, usesLut)) {
                    wontFit.emplace_back(width, height);
                    continue;
                }
                const double fullBlocksWh = double(ceilDiv(op.ofm.h, height) * ceilDiv(op.ofm.w, width));
                const double fullBlocksD = double(ceilDiv(op.ofm.d, depth));
                const double blocksWh = (double(op.ofm.h) / height) * (double(op.ofm.w) / width);
                const double blocksD = double(op.ofm.d) / depth;
                double weightFetch = double(weightFetchWh) * ifmShape.d * fullBlocksWh;
                if (!depthwise)
                    weightFetch *= depth * blocksD;
                double ifmFetch = double(ifmBlock.elementsWh()) * ifmShape.d * double(ifmRepeats) * blocksWh;
                if (!equalDepth)
                    ifmFetch *= fullBlocksD;
                double cost = op.type == BlockType::ElementWise
                                  ? std::max(double(op.ofm.elements()) / double(ofmBlock.elements()), 1.0)
                                  : (ifmFetch + weightFetch) / double(op.ofm.elements());
                if (ifmShape.elements() < ifmBlock.elements() * 2)
                    cost /= 2;
                if (cost <= bestCost) {
                    bool choose = false;
                    if (cost == bestCost) {
                        const Shape3 covered = minShape(ifmShape, ifmBlock);
                        const double coverage = double(ifmShape.elementsWh()) / double(covered.elementsWh());
                        if (coverage <= bestCoverage && height <= 4 && width <= 4) {
                            bestCoverage = coverage;
                            choose = true;
                        }
                    } else {
                        bestCoverage = std::numeric_limits<double>::infinity();
                        choose = true;
                    }
                    if (choose) {
                        bestCost = cost;
                        config.ofmBlock = ofmBlock;
                        config.ifmBlock = ifmBlock;
                        best = config;
                    }
                }
            }
        }
        depth += arch.ofmUblock.d;
        if (depth < op.ofm.d)
            depth = int(roundUp(depth, kSplitDepth));
    }
    return best;
}

double burstScaledBytes(const NpuArch &arch, bool read, const MemoryArea &area, bool linear, int bits,
                        const Shape3 &shape, const Shape3 &block, double bytes)
{
    // npu_performance._estimate_memory_transfer_efficiency (research 2.8), burst lengths in bits first. In NHWC the
    // channel stride is one element; in NHCWB16 a 16-channel brick row is 16 x W elements.
    const double elementBytes = bits / 8.0;
    double burstBits = 0;
    if (linear) {
        const bool stridesMatch = double(block.d) == elementBytes;
        if (read)
            burstBits = stridesMatch ? double(bits) * block.d * block.w : double(bits) * block.d;
        else
            burstBits = block.d <= 16 && stridesMatch
                            ? double(bits) * block.d * block.w
                            : std::min({64.0 * 8, 16.0 * bits * arch.cores, double(block.d) * bits});
    } else if (16.0 * shape.w * elementBytes == double(block.d)) {
        burstBits = double(bits) * block.d * block.w;
    } else {
        burstBits = read ? 16.0 * bits * block.w : 16.0 * bits * block.w * arch.cores;
    }
    const double burst = std::min(double(area.burstBytes), std::floor(burstBits / 8));
    return burst > 0 ? bytes * (area.burstBytes / burst) : bytes;
}

namespace {

double outputCyclesPerElement(const NpuArch &arch, const NpuOp &op, const BlockConfig &config)
{
    // npu_performance._estimate_output_cycles_per_element (research 2.4).
    OutputRate rate = op.outputRate;
    if (op.type == BlockType::ElementWise && op.ifmBits == 32)
        rate = op.ifm2 ? OutputRate::Elementwise32BitBinary : OutputRate::Elementwise32BitUnary;
    else if (rate == OutputRate::MulOr40BitAccumulator && op.ofmBits == 32)
        rate = OutputRate::Mul32BitOutput;
    else if (config.acc40 && op.type != BlockType::ElementWise)
        rate = OutputRate::MulOr40BitAccumulator;
    double cpe = std::max(arch.outputCycles[std::size_t(rate)], arch.activationCycles[std::size_t(op.activation)]);
    if (op.type == BlockType::ElementWise) {
        // A per-block command floor: the memory latencies of one block over the four command queues.
        const double blockElements = double(config.ofmBlock.elements());
        const Shape3 ifmPart = minShape(op.ifm, config.ifmBlock), ofmPart = minShape(op.ofm, config.ofmBlock);
        const double ifmCycles =
            op.ifmArea.readLatency + burstScaledBytes(arch, true, op.ifmArea, op.ifmLinear, op.ifmBits, op.ifm,
                                                      config.ifmBlock, double(ifmPart.elements())) /
                                         op.ifmArea.bytesPerCycle;
        const double ofmCycles =
            op.ofmArea.writeLatency + burstScaledBytes(arch, false, op.ofmArea, op.ofmLinear, op.ofmBits, op.ofm,
                                                       config.ofmBlock, double(ofmPart.elements())) /
                                          op.ofmArea.bytesPerCycle;
        const double command = (ifmCycles + ofmCycles + cpe * blockElements) / 4;
        cpe = std::max(cpe, command / blockElements);
    }
    return cpe;
}

} // namespace

OpCycles opCycles(const NpuArch &arch, const NpuOp &op, const BlockConfig &config)
{
    OpCycles out;
    if (op.type == BlockType::ElementWise) {
        // measure_cycle_cost: element-wise ops are output-stage bound over the OFM stored in 16-deep bricks.
        const Shape3 stored{op.ofm.h, op.ofm.w, op.ofmLinear ? op.ofm.d : int(roundUp(op.ofm.d, 16))};
        out.cycles = std::ceil(outputCyclesPerElement(arch, op, config) * double(stored.elements()));
        out.blocks = blocksOver(op.ofm, config.ofmBlock);
        return out;
    }
    // npu_performance._estimate_conv_cycles (research 2.3, 2.5).
    const Shape3 ifmBlock = minShape(op.ifm, config.ifmBlock);
    Shape3 ofmBlock = minShape(op.ofm, config.ofmBlock);
    Shape3 ublock = arch.ofmUblock;
    if (arch.ofmUblock.h == 2 &&
        (op.type == BlockType::ConvolutionMxN || op.type == BlockType::ConvolutionDepthWise ||
         op.type == BlockType::VectorProduct) &&
        op.ofm.h == 1 && op.ofm.w % 2 == 0 && op.kernelH == 1) {
        ublock = {1, 4, arch.ofmUblock.d}; // the Conv1D micro-block
        ofmBlock.h = 1;
    }
    const std::int64_t nX = ceilDiv(ofmBlock.w, ublock.w), nY = ceilDiv(ofmBlock.h, ublock.h);
    const std::int64_t nXY = nX * nY, nZ = ceilDiv(ofmBlock.d, ublock.d);
    const int limit = subKernelLimit(op.type);
    const double cyclesWb = 32.0 * ublock.d / 8;
    const bool u55x32 = arch.accelerator == "ethos-u55-32";
    const bool u55x64or128 = arch.accelerator == "ethos-u55-64" || arch.accelerator == "ethos-u55-128";

    double dpu = 0;
    for (int y = 0; y < op.kernelH; y += limit) {
        for (int x = 0; x < op.kernelW; x += limit) {
            const std::int64_t elements =
                std::int64_t(std::min(limit, op.kernelH - y)) * std::min(limit, op.kernelW - x);
            std::int64_t steps = 1;
            double cycles = 0;
            switch (op.type) {
            case BlockType::Pooling:
                cycles = double(std::max<std::int64_t>(4, elements) * nXY * nZ);
                if (op.ifmBits == 16 && !u55x32)
                    cycles *= 2;
                break;
            case BlockType::ConvolutionDepthWise:
                steps = ceilDiv(elements, 4);
                cycles = std::max(cyclesWb, 4.0 * nXY * (op.ifmBits == 16 ? 2 : 1)) * double(steps * nZ);
                break;
            case BlockType::ConvolutionMxN:
                if (config.partKernel) {
                    steps = ceilDiv(elements, op.ifmBits == 16 ? 2 : 4);
                    cycles = std::max(cyclesWb, 4.0 * nXY) * double(steps * ceilDiv(ifmBlock.d, 8) * nZ);
                    break;
                }
                [[fallthrough]];
            default: // depth-first convolution, vector product, reduce-sum
                steps = elements;
                cycles = std::max(cyclesWb, 4.0 * nXY) * double(steps * nZ);
                break;
            }
            double delayCycles = 0;
            const double delay = u55x32 ? (config.acc40 ? 7 : 3) : (config.acc40 && u55x64or128 ? 3 : 2);
            if (nX == 1 && nY == 1) {
                if (nZ == 1)
                    delayCycles = delay * double(steps);
                else if (steps > 1)
                    delayCycles = delay * double((steps - 1) * nZ);
            }
            if (u55x32 && config.acc40 && (nX == 1 || nY == 1) && nZ > 1)
                delayCycles += delay * double(nZ);
            if (op.type == BlockType::ConvolutionMxN && config.partKernel)
                delayCycles *= double(ceilDiv(ifmBlock.d, 8));
            dpu += cycles + delayCycles;
        }
    }
    if (op.type == BlockType::ConvolutionMxN || op.type == BlockType::VectorProduct || op.type == BlockType::ReduceSum)
        dpu *= double(ceilDiv(op.ifm.d, ifmBlock.d));
    dpu /= arch.cores;

    out.blocks = blocksOver(op.ofm, ofmBlock);
    double output = std::ceil(outputCyclesPerElement(arch, op, config) * double(ofmBlock.elements()));
    if (op.hasBias) // scales and biases: 10 bytes per channel behind the const area's latency
        output = std::max(output, 10.0 * ofmBlock.d * op.constArea.readLatency / 256);
    // The command floor (_estimate_minimum_memory_cycles): each block waits at least for its memory latencies.
    const double ifmCycles = op.ifmArea.readLatency +
                             burstScaledBytes(arch, true, op.ifmArea, op.ifmLinear, op.ifmBits, op.ifm, config.ifmBlock,
                                              double(minShape(op.ifm, config.ifmBlock).elements())) /
                                 op.ifmArea.bytesPerCycle;
    const double ofmCycles = op.ofmArea.writeLatency +
                             burstScaledBytes(arch, false, op.ofmArea, op.ofmLinear, op.ofmBits, op.ofm,
                                              config.ofmBlock, double(minShape(op.ofm, config.ofmBlock).elements())) /
                                 op.ofmArea.bytesPerCycle;
    const double command = (ifmCycles + ofmCycles + output + dpu) / 4;
    dpu = std::max(dpu, command);
    output = std::max(output, command);
    out.dpuPerBlock = dpu;
    out.outputPerBlock = output;
    out.cycles = std::floor(std::max(dpu, output) * double(out.blocks) + std::min(dpu, output));
    return out;
}

ElementAccess elementAccess(const NpuArch &, const NpuOp &op, const BlockConfig &config)
{
    // npu_performance.measure_element_access (research 2.8). NHCWB16 tensors are stored in 16-deep bricks.
    ElementAccess a;
    const auto stored = [](const Shape3 &s, bool linear) {
        return Shape3{s.h, s.w, linear ? s.d : int(roundUp(s.d, 16))};
    };
    const Shape3 ifmBlock = minShape(op.ifm, config.ifmBlock), ofmBlock = minShape(op.ofm, config.ofmBlock);
    if (op.type == BlockType::ElementWise) {
        if (op.ifm.elements() > 1)
            a.ifm = double(stored(op.ofm, op.ifmLinear).elements());
        if (op.ifm2 && op.ifm2->elements() > 1)
            a.ifm2 = double(stored(op.ofm, op.ifmLinear).elements());
    } else {
        const bool equalDepth = op.type == BlockType::ConvolutionDepthWise || op.type == BlockType::Pooling;
        Shape3 blocks{int(ceilDiv(op.ofm.h, ofmBlock.h)), int(ceilDiv(op.ofm.w, ofmBlock.w)),
                      int(ceilDiv(op.ofm.d, ofmBlock.d))};
        int blockDepth = ofmBlock.d;
        if (equalDepth) {
            blocks.d = 1;
            blockDepth = op.ifm.d;
        }
        const int limit = subKernelLimit(op.type);
        const double subkernels = double(ceilDiv(op.kernelW, limit) * ceilDiv(op.kernelH, limit));
        const double ifmFetch = double(ifmBlock.elementsWh()) * stored(op.ifm, op.ifmLinear).d;
        a.ifm = ifmFetch * subkernels * double(blocks.elements());
        if (op.type != BlockType::Pooling && op.type != BlockType::ReduceSum) {
            const double kernelRead = double(op.kernelH) * op.kernelW * (equalDepth ? 1 : op.ifm.d);
            a.weights = kernelRead * blockDepth * double(blocks.elements());
            a.scales = op.ofm.d;
        }
    }
    a.ofm = double(stored(op.ofm, op.ofmLinear).elements());
    return a;
}

std::optional<BlockConfig> BlockConfigCache::find(const NpuArch &arch, const NpuOp &op)
{
    // The search depends on these and not on memory areas or formats.
    const Memo<18, std::optional<BlockConfig>>::Key key{std::int64_t(arch.macs * arch.cores),
                                                        std::int64_t(op.type),
                                                        op.activation == ActivationRate::Lut,
                                                        op.ifm.h,
                                                        op.ifm.w,
                                                        op.ifm.d,
                                                        op.ofm.h,
                                                        op.ofm.w,
                                                        op.ofm.d,
                                                        op.ifm2 ? op.ifm2->elements() : -1,
                                                        op.ifm2 ? op.ifm2->d : -1,
                                                        op.ifm2Scalar,
                                                        op.ifmBits,
                                                        op.kernelH,
                                                        op.kernelW,
                                                        op.strideH,
                                                        op.strideW,
                                                        std::int64_t(arch.shramBanks) * 16 + arch.ofmUblock.h};
    return m_configs.get(key, [&] { return findBlockConfig(arch, op); });
}

} // namespace psc::targets::npu
