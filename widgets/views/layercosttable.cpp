// SPDX-License-Identifier: GPL-3.0-or-later
#include "views/layercosttable.h"

#include "views/costbreakdownplot.h"

#include "psc/core/siformat.h"

#include <QAction>
#include <QApplication>
#include <QClipboard>
#include <QHeaderView>
#include <QLocale>

#include <cmath>

namespace psc {
namespace {

/** A numeric cell, right-aligned. */
QTableWidgetItem *number(const QString &text)
{
    auto *item = new QTableWidgetItem(text);
    item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
    return item;
}

/** A count; blank where there is none (NaN) or it is zero (a free layer: folded, reshaped). */
QString count(double value)
{
    return std::isfinite(value) && value != 0.0 ? QLocale().toString(value, 'f', 0) : QString();
}

/** A quantity in its unit; blank for zero (a free layer), so the layers that cost stand out. */
QString quantity(double value, const char *unit)
{
    return value != 0.0 ? QString::fromStdString(formatQuantity(value, unit)) : QString();
}

} // namespace

LayerCostTable::LayerCostTable(QWidget *parent) : QTableWidget(parent)
{
    setObjectName(QStringLiteral("layerCostTable"));
    setEditTriggers(QAbstractItemView::NoEditTriggers);
    setSelectionBehavior(QAbstractItemView::SelectRows);
    setWordWrap(false);
    setAlternatingRowColors(false);
    verticalHeader()->hide();
    verticalHeader()->setDefaultSectionSize(fontMetrics().height() + 6);
    horizontalHeader()->setStretchLastSection(true);
    setColumnCount(ColumnCount);
    const QStringList titles{tr("Layer"),       tr("MACs"),    tr("Cycles"), tr("Compute"), tr("Stall"),
                             tr("Utilisation"), tr("Latency"), tr("Share"),  tr("Energy"),  tr("Memory"),
                             tr("Weights"),     tr("Bound"),   tr("Note")};
    const QStringList tips{
        tr("The layer, in network order"),
        tr("Multiply-accumulates of the layer"),
        tr("Cycles the layer takes on the target's clock (blank where the target has none)"),
        tr("Cycles of compute alone, as a stall-free simulator counts them"),
        tr("Cycles spent waiting for memory transfers the compute does not hide"),
        tr("Achieved over peak compute while the layer runs"),
        tr("Estimated latency of the layer"),
        tr("The layer's part of the network's latency"),
        tr("Estimated energy of the layer"),
        tr("Memory the layer needs while it runs: its tensors and scratch"),
        tr("Stored weights, biases and quantisation parameters of the layer, as encoded for this target"),
        tr("What limits the layer on this target: compute, a memory, or the host CPU it falls back to"),
        tr("The cost model's note on the layer"),
    };
    setHorizontalHeaderLabels(titles);
    for (int c = 0; c < ColumnCount; ++c)
        horizontalHeaderItem(c)->setToolTip(tips[c]);
    setToolTip(tr("The trial's cost per layer on the chosen target, in network order; Ctrl+C copies the table "
                  "for a spreadsheet"));

    auto *copy = new QAction(tr("&Copy Table"), this);
    copy->setShortcut(QKeySequence::Copy);
    copy->setShortcutContext(Qt::WidgetShortcut);
    connect(copy, &QAction::triggered, this, [this] { QApplication::clipboard()->setText(toTsv()); });
    addAction(copy);
    setContextMenuPolicy(Qt::ActionsContextMenu);
}

void LayerCostTable::clearEstimate()
{
    setRowCount(0);
}

void LayerCostTable::setEstimate(const plugin::CostEstimate &estimate, const std::map<std::string, std::int64_t> &macs)
{
    clearEstimate();
    const QLocale locale;
    auto macsOf = [&macs](const std::string &layer) -> double {
        const auto it = macs.find(layer);
        return it == macs.end() ? NAN : double(it->second);
    };
    double totalMacs = 0.0, totalCycles = 0.0, totalCompute = 0.0, totalStall = 0.0;
    std::int64_t totalWeights = 0, peakMemory = 0;
    bool cycles = false, split = false;
    setRowCount(int(estimate.layers.size()) + 1);
    for (std::size_t i = 0; i < estimate.layers.size(); ++i) {
        const plugin::LayerCost &c = estimate.layers[i];
        const int r = int(i);
        const double m = macsOf(c.layer);
        const QString cls = c.fallback ? QStringLiteral("Host") : CostBreakdownPlot::boundClass(c.bound);
        auto *name = new QTableWidgetItem(QString::fromStdString(c.layer));
        setItem(r, LayerColumn, name);
        setItem(r, MacsColumn, number(count(m)));
        setItem(r, CyclesColumn, number(count(c.cycles)));
        setItem(r, ComputeColumn, number(count(c.computeCycles)));
        setItem(r, StallColumn, number(count(c.stallCycles)));
        setItem(r, UtilizationColumn,
                number(c.cycles > 0 ? locale.toString(100.0 * c.utilization, 'f', 1) + " %" : ""));
        setItem(r, LatencyColumn, number(quantity(c.latencyS, "s")));
        const double share = estimate.latencyS > 0 ? c.latencyS / estimate.latencyS : 0.0;
        setItem(r, ShareColumn, number(share > 0 ? locale.toString(100.0 * share, 'f', 1) + " %" : QString()));
        setItem(r, EnergyColumn, number(quantity(c.energyJ, "J")));
        setItem(r, MemoryColumn, number(quantity(double(c.workingMemoryBytes), "B")));
        setItem(r, WeightsColumn, number(quantity(double(c.weightStorageBytes), "B")));
        auto *bound = new QTableWidgetItem(c.bound == plugin::Bound::None && !c.fallback ? QString() : cls);
        if (c.bound != plugin::Bound::None || c.fallback)
            bound->setBackground(CostBreakdownPlot::boundColour(cls).lighter(150));
        setItem(r, BoundColumn, bound);
        setItem(r, NoteColumn, new QTableWidgetItem(QString::fromStdString(c.note)));
        if (std::isfinite(m))
            totalMacs += m;
        if (std::isfinite(c.cycles)) {
            cycles = true;
            totalCycles += c.cycles;
        }
        if (std::isfinite(c.computeCycles) && std::isfinite(c.stallCycles)) {
            split = true;
            totalCompute += c.computeCycles;
            totalStall += c.stallCycles;
        }
        totalWeights += c.weightStorageBytes;
        peakMemory = std::max(peakMemory, c.workingMemoryBytes);
    }

    // The total row: the estimate's own totals (they include what no layer is charged for).
    const int t = rowCount() - 1;
    QFont bold = font();
    bold.setBold(true);
    auto put = [&](int column, QTableWidgetItem *item) {
        item->setFont(bold);
        item->setFlags(item->flags() & ~Qt::ItemIsSelectable);
        setItem(t, column, item);
    };
    put(LayerColumn, new QTableWidgetItem(tr("Total")));
    put(MacsColumn, number(count(totalMacs)));
    put(CyclesColumn, number(cycles ? count(totalCycles) : QString()));
    put(ComputeColumn, number(split ? count(totalCompute) : QString()));
    put(StallColumn, number(split ? count(totalStall) : QString()));
    put(UtilizationColumn, number(QString()));
    put(LatencyColumn, number(quantity(estimate.latencyS, "s")));
    put(ShareColumn, number(QStringLiteral("100 %")));
    put(EnergyColumn, number(quantity(estimate.energyJ, "J")));
    put(MemoryColumn, number(tr("peak %1").arg(quantity(double(peakMemory), "B"))));
    put(WeightsColumn, number(quantity(double(estimate.weightStorageBytes), "B")));
    put(BoundColumn, new QTableWidgetItem());
    put(NoteColumn,
        new QTableWidgetItem(
            totalWeights != estimate.weightStorageBytes
                ? tr("totals are the estimate's own (layers: %1 of weights)").arg(quantity(double(totalWeights), "B"))
                : QString()));
    resizeColumnsToContents();
}

int LayerCostTable::layerRow(const QString &name) const
{
    for (int r = 0; r + 1 < rowCount(); ++r)
        if (item(r, LayerColumn) && item(r, LayerColumn)->text() == name)
            return r;
    return -1;
}

QString LayerCostTable::toTsv() const
{
    QStringList lines;
    QStringList header;
    for (int c = 0; c < columnCount(); ++c)
        header << horizontalHeaderItem(c)->text();
    lines << header.join(QLatin1Char('\t'));
    for (int r = 0; r < rowCount(); ++r) {
        QStringList cells;
        for (int c = 0; c < columnCount(); ++c)
            cells << (item(r, c) ? item(r, c)->text() : QString());
        lines << cells.join(QLatin1Char('\t'));
    }
    return lines.join(QLatin1Char('\n')) + QLatin1Char('\n');
}

} // namespace psc
