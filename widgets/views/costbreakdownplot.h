// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <psc/plugin/hardwaretarget.h>

#include <QStringList>
#include <QVector>
#include <QWidget>

#include <vector>

class QCustomPlot;
class QLabel;
class QMouseEvent;

namespace psc {

/**
 * A network's cost layer by layer on several targets: one bar per layer (layer names on the axis, in
 * network order), stacked over the targets in their colours (TargetGraphs::colour() of the target's
 * index). Layers free on every target (folded batch norms, reshapes) are left out; a target's cost not
 * assigned to any layer (static energy, runtime overhead) gets a "(rest)" bar, so each target's bars add
 * up to its estimate's total. Layers that fall back to a host CPU on some target are starred. Hovering a
 * bar shows the layer on every target. GUI thread only; the QCustomPlot is a member.
 */
class CostBreakdownPlot : public QWidget
{
    Q_OBJECT
public:
    enum class Quantity
    {
        Latency,
        Energy,
    };

    explicit CostBreakdownPlot(QWidget *parent = nullptr);
    ~CostBreakdownPlot() override;

    /** Shows `estimates` (of one network); `colourIndex[i]` picks estimate i's colour (default: i). */
    void setEstimates(std::vector<plugin::CostEstimate> estimates, Quantity quantity,
                      const std::vector<int> &colourIndex = {});
    /** Shows `message` (default: "select a trial") instead of the chart. */
    void clear(const QString &message = {});
    /** The message shown instead of the chart, or empty while bars are shown. */
    QString message() const;

    /** The bar labels (layer names, "(rest)"), without the fallback star. */
    QStringList layerNames() const { return m_layers; }
    /** The targets stacked, bottom first. */
    QStringList targets() const;
    /** Target `id`'s plotted values per layer, SI (seconds or joules), in layerNames() order. */
    QVector<double> values(const QString &id) const;
    /** Layers that fall back to the host on at least one target. */
    QStringList fallbackLayers() const { return m_fallback; }
    Quantity quantity() const { return m_quantity; }
    QWidget *canvas() const;

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    void onMouseMove(QMouseEvent *event);
    double valueOf(const plugin::LayerCost &cost) const;

    QCustomPlot *m_plot = nullptr;
    QLabel *m_emptyHint = nullptr;
    std::vector<plugin::CostEstimate> m_estimates;
    Quantity m_quantity = Quantity::Latency;
    QStringList m_layers;
    QStringList m_fallback;
    std::vector<QVector<double>> m_values; ///< per estimate, per layer, SI
    int m_hovered = -1;
};

} // namespace psc
