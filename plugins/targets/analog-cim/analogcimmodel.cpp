// SPDX-License-Identifier: GPL-3.0-or-later
#include "analogcimmodel.h"

#include <psc/plugin/parameterreader.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace psc::targets::analogcim {

using plugin::Bound;
using plugin::CostEstimate;
using plugin::LayerCost;
using plugin::LayerDeployment;
using plugin::LayerInfo;
using plugin::LimitCheck;
using plugin::NetworkInfo;
using plugin::OpKind;

namespace {

std::int64_t ceilDiv(std::int64_t a, std::int64_t b)
{
    return (a + b - 1) / b;
}

bool isWeighted(OpKind op)
{
    return op == OpKind::Conv2d || op == OpKind::DepthwiseConv2d || op == OpKind::Dense;
}

std::string formatCount(double v)
{
    char buffer[48];
    if (v >= 1e6)
        std::snprintf(buffer, sizeof buffer, "%.2f M", v / 1e6);
    else if (v >= 1e4)
        std::snprintf(buffer, sizeof buffer, "%.1f k", v / 1e3);
    else
        std::snprintf(buffer, sizeof buffer, "%.0f", v);
    return buffer;
}

/** Energy totals by component, reported as extras so that users see what dominates. */
struct Breakdown
{
    double dacJ = 0, readJ = 0, adcJ = 0, digitalJ = 0, programJ = 0;
    double adcConversions = 0, mvms = 0;
};

/** A weightless layer runs on the digital periphery, one element of its inputs at a time. */
LayerCost digitalLayer(const LayerInfo &layer, const AnalogCimParameters &p, Breakdown &b, bool detail)
{
    LayerCost c;
    if (detail)
        c.layer = layer.name;
    const double elements = double(layer.inC) * layer.inH * layer.inW * std::max(1, layer.inputs);
    c.energyJ = elements * p.digitalEnergyPerOutputJ;
    c.latencyS = elements * p.digitalTimePerOutputS;
    c.bound = Bound::Compute;
    if (detail)
        c.note = "digital periphery: " + formatCount(elements) + " elements";
    b.digitalJ += c.energyJ;
    return c;
}

} // namespace

CrossbarMapping mapLayer(const LayerInfo &layer, const AnalogCimParameters &p)
{
    CrossbarMapping m;
    if (layer.op == OpKind::Dense)
        m.rows = std::int64_t(layer.inC) * layer.inH * layer.inW;
    else
        m.rows = std::int64_t(layer.kernelH) * layer.kernelW * layer.inC;
    m.cols = layer.outC;
    if (m.rows <= 0 || m.cols <= 0)
        return m;
    m.rowTiles = ceilDiv(m.rows, p.crossbarRows);
    m.colTiles = ceilDiv(m.cols, p.crossbarCols);
    m.tiles = m.rowTiles * m.colTiles;
    // Depthwise: only the block diagonal holds weights; a conv's weights fill its matrix.
    m.usedCells = layer.weights > 0 ? std::min(layer.weights, m.rows * m.cols) : m.rows * m.cols;
    m.allocatedCells =
        p.packing == CimPacking::Shared ? m.rows * m.cols : m.tiles * std::int64_t(p.crossbarRows) * p.crossbarCols;
    return m;
}

AnalogCimTarget::AnalogCimTarget(std::string targetId, const AnalogCimParameters &parameters)
    : m_targetId(std::move(targetId)), m_parameters(parameters)
{}

CostEstimate AnalogCimTarget::estimate(const NetworkInfo &network, const std::vector<LayerDeployment> &deployment) const
{
    return estimate(network, deployment, true);
}

CostEstimate AnalogCimTarget::estimateTotals(const NetworkInfo &network,
                                             const std::vector<LayerDeployment> &deployment) const
{
    return estimate(network, deployment, false);
}

CostEstimate AnalogCimTarget::estimate(const NetworkInfo &network, const std::vector<LayerDeployment> &deployment,
                                       bool detail) const
{
    plugin::requireDeploymentPerLayer(m_targetId, network, deployment);
    const AnalogCimParameters &p = m_parameters;
    CostEstimate e;
    e.targetId = m_targetId;
    e.model = kAnalogCimModelId;
    e.modelVersion = kAnalogCimModelVersion;

    // Pass 1: placement. Decides whether every weight stays resident.
    std::int64_t usedCells = 0, allocatedCells = 0, tiles = 0, largestAllocated = 0, largestTiles = 0;
    double macs = 0;
    for (const LayerInfo &layer : network.layers) {
        macs += double(layer.macs);
        if (!isWeighted(layer.op))
            continue;
        const CrossbarMapping m = mapLayer(layer, p);
        usedCells += m.usedCells;
        allocatedCells += m.allocatedCells;
        tiles += m.tiles;
        largestAllocated = std::max(largestAllocated, m.allocatedCells);
        largestTiles = std::max(largestTiles, m.tiles);
    }
    const std::int64_t capacity = p.capacityCells();
    const bool fits = allocatedCells <= capacity && (p.packing == CimPacking::Shared || tiles <= p.crossbarTiles);
    const bool reprogram = !fits && p.residency == CimResidency::Reprogram;

    LimitCheck cells;
    cells.name = "crossbar_cells";
    cells.value = double(reprogram ? largestAllocated : allocatedCells);
    cells.limit = double(capacity);
    cells.unit = "cells";
    cells.ok = cells.value <= cells.limit;
    if (detail || !cells.ok) // a search needs the message only for a violated limit
        cells.message =
            (reprogram ? "largest layer " : "") + std::string("crossbar cells ") + formatCount(cells.value) +
            (cells.ok ? " <= " : " > ") + formatCount(cells.limit) +
            (reprogram ? " (all layers reprogrammed every inference: " + formatCount(double(allocatedCells)) +
                             " cells in total)"
                       : "");
    e.limits.push_back(cells);
    if (p.packing == CimPacking::Tiles) {
        LimitCheck t;
        t.name = "tiles";
        t.value = double(reprogram ? largestTiles : tiles);
        t.limit = double(p.crossbarTiles);
        t.unit = "tiles";
        t.ok = t.value <= t.limit;
        if (detail || !t.ok)
            t.message = (reprogram ? "largest layer " : "") + std::string("crossbar tiles ") + formatCount(t.value) +
                        (t.ok ? " <= " : " > ") + formatCount(t.limit);
        e.limits.push_back(t);
    }

    // Pass 2: per-layer latency and energy, layer after layer on the same hardware (no overlap).
    Breakdown b;
    bool afterWeighted = false; // a standalone ReLU right after a conv/dense is applied by the periphery for free
    for (std::size_t i = 0; i < network.layers.size(); ++i) {
        const LayerInfo &layer = network.layers[i];
        const LayerDeployment &dep = deployment[i];
        LayerCost c;
        if (detail) // notes and names are for people; a search asks for totals only
            c.layer = layer.name;
        c.workingMemoryBytes = layer.liveBytes;

        if (isWeighted(layer.op) && mapLayer(layer, p).tiles == 0) {
            c.note = "empty weight matrix"; // a degenerate shape: nothing to map or compute
        } else if (isWeighted(layer.op)) {
            const CrossbarMapping m = mapLayer(layer, p);
            const int a = std::max(1, dep.activationBits);
            const int dacBits = p.dacBits ? std::min(*p.dacBits, a) : a;
            const int adcBits = p.adcBits ? *p.adcBits : a;
            const double inputCycles = double(ceilDiv(a, dacBits));
            const double dacJ = p.dacEnergyPerRowJ * std::exp2(dacBits - p.dacReferenceBits);
            const double adcJ = p.adcEnergyPerConversionJ * std::exp2(adcBits - p.adcReferenceBits);
            const double adcS = p.adcTimePerConversionS * adcBits / p.adcReferenceBits;
            const double sparsity = std::clamp(dep.sparsity, 0.0, 1.0);

            // Per MVM and input cycle: every row piece is driven, every column of every row piece digitised.
            const double rowDrives = double(m.rows * m.colTiles);
            const double conversions = double(m.cols * m.rowTiles);
            // A zero weight is a pair of devices at g = 0: it keeps its cell but draws no read current.
            const double activeCells = double(m.usedCells) * (1.0 - sparsity);
            const double adcs = double(p.adcsPerTile) * double(std::min<std::int64_t>(m.tiles, p.crossbarTiles));
            const double muxSteps = std::ceil(conversions / adcs);

            const double mvms = layer.op == OpKind::Dense ? 1.0 : double(layer.outH) * layer.outW;
            const double dacE = mvms * inputCycles * rowDrives * dacJ;
            const double readE = mvms * inputCycles * activeCells * p.readEnergyPerCellJ;
            const double adcE = mvms * inputCycles * conversions * adcJ;
            const double digitalE = mvms * double(m.cols) * p.digitalEnergyPerOutputJ;
            const double cycleS = p.crossbarReadTimeS + muxSteps * adcS;
            c.latencyS = mvms * (inputCycles * cycleS + double(m.cols) * p.digitalTimePerOutputS);
            c.energyJ = dacE + readE + adcE + digitalE;
            b.dacJ += dacE;
            b.readJ += readE;
            b.adcJ += adcE;
            b.digitalJ += digitalE;
            b.adcConversions += mvms * inputCycles * conversions;
            b.mvms += mvms;

            c.utilization = m.allocatedCells > 0 ? double(m.usedCells) / double(m.allocatedCells) : 0.0;
            c.bound = Bound::Compute;
            c.weightStorageBytes = ceilDiv(layer.weights * std::max(1, dep.weightBits), 8) + 4 * layer.biases;
            if (detail) {
                char note[160];
                std::snprintf(note, sizeof note, "%lldx%lld on %lld tile(s), %g MVMs x %g input cycle(s), ADC %d b",
                              static_cast<long long>(m.rows), static_cast<long long>(m.cols),
                              static_cast<long long>(m.tiles), mvms, inputCycles, adcBits);
                c.note = note;
            }
            if (reprogram) {
                const double programE = double(m.usedCells) * p.programEnergyPerCellJ;
                c.energyJ += programE;
                c.latencyS += double(m.rows * m.colTiles) * p.programTimePerRowS;
                b.programJ += programE;
                if (detail)
                    c.note += "; reprogramming " + formatCount(double(m.usedCells)) + " cells";
            }
            afterWeighted = true;
        } else if (layer.op == OpKind::Flatten || layer.foldedIntoProducer) {
            if (detail)
                c.note = layer.op == OpKind::Flatten ? "reshape" : "folded into the producer";
        } else if ((layer.op == OpKind::Relu || layer.op == OpKind::Relu6) && afterWeighted) {
            if (detail)
                c.note = "applied by the ADC periphery";
            afterWeighted = false;
        } else {
            const std::int64_t live = c.workingMemoryBytes;
            c = digitalLayer(layer, p, b, detail);
            c.workingMemoryBytes = live;
            afterWeighted = false;
        }
        if (p.clockHz > 0)
            c.cycles = c.latencyS * p.clockHz;
        e.latencyS += c.latencyS;
        e.energyJ += c.energyJ;
        e.weightStorageBytes += c.weightStorageBytes;
        if (detail)
            e.layers.push_back(std::move(c));
    }

    e.peakMemoryBytes = std::max(network.peakLiveBytes, network.inputBytes);
    e.utilization = allocatedCells > 0 ? double(usedCells) / double(allocatedCells) : 0.0;
    if (p.clockHz > 0) {
        e.cycles = e.latencyS * p.clockHz;
        e.extra["cycles"] = e.cycles;
    }
    if (e.energyJ > 0)
        e.extra["tops_per_w"] = 2.0 * macs / e.energyJ / 1e12;
    e.extra["crossbar_cells_used"] = double(usedCells);
    e.extra["crossbar_cells_allocated"] = double(allocatedCells);
    e.extra["pcm_devices_used"] = double(usedCells) * p.devicesPerWeight;
    e.extra["tiles"] = double(tiles);
    e.extra["mvms"] = b.mvms;
    e.extra["adc_conversions"] = b.adcConversions;
    e.extra["energy_dac_j"] = b.dacJ;
    e.extra["energy_read_j"] = b.readJ;
    e.extra["energy_adc_j"] = b.adcJ;
    e.extra["energy_digital_j"] = b.digitalJ;
    e.extra["energy_program_j"] = b.programJ;
    e.extra["reprogrammed"] = reprogram ? 1.0 : 0.0;
    return e;
}

} // namespace psc::targets::analogcim
