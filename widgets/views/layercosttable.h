// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <psc/plugin/hardwaretarget.h>

#include <QTableWidget>

#include <cstdint>
#include <map>
#include <string>

namespace psc {

/**
 * A network's per-layer cost on one target as a table, in the manner of Vela's per-layer report: one row per
 * layer in network order with its MACs, cycles (compute and memory stall where the model separates them),
 * utilisation, latency and its share of the total, energy, working memory, stored weight bytes, what bounds it
 * and the model's note; a bold total row last. Rows are tinted with the bound's colour of the per-layer chart.
 * Read only; Copy puts it on the clipboard as tab-separated text. GUI thread only.
 */
class LayerCostTable : public QTableWidget
{
    Q_OBJECT
public:
    enum Column
    {
        LayerColumn,
        MacsColumn,
        CyclesColumn,
        ComputeColumn,
        StallColumn,
        UtilizationColumn,
        LatencyColumn,
        ShareColumn,
        EnergyColumn,
        MemoryColumn,
        WeightsColumn,
        BoundColumn,
        NoteColumn,
        ColumnCount
    };

    explicit LayerCostTable(QWidget *parent = nullptr);

    /** Shows `estimate`; `macs` maps layer names to their multiply-accumulates (missing: blank). */
    void setEstimate(const plugin::CostEstimate &estimate, const std::map<std::string, std::int64_t> &macs);
    void clearEstimate();

    /** The row of layer `name`, or -1; the total row is rowCount() - 1. */
    int layerRow(const QString &name) const;
    /** The table as tab-separated text with a header line (what Copy puts on the clipboard). */
    QString toTsv() const;
};

} // namespace psc
