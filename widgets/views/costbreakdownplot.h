// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <psc/plugin/hardwaretarget.h>

#include <QColor>
#include <QStringList>
#include <QVector>
#include <QWidget>

class QCustomPlot;
class QLabel;
class QMouseEvent;

namespace psc {

/**
 * A network's cost layer by layer on one target: one bar per layer (layer names on the axis, in network
 * order), coloured by what bounds the layer there (compute, a memory, the host CPU it falls back to), as
 * Vela's per-layer report classifies them. Layers free on the target (folded batch norms, reshapes) are left
 * out; cost not assigned to any layer (static energy, runtime overhead) gets a "(rest)" bar, so the bars add
 * up to the estimate's total. Hovering a bar shows its value, share of the total, cycles and bound. GUI
 * thread only; the QCustomPlot is a member.
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

    /** Shows `estimate` (one network on one target). */
    void setEstimate(const plugin::CostEstimate &estimate, Quantity quantity);
    /** Shows `message` (default: "select a trial") instead of the chart. */
    void clear(const QString &message = {});
    /** The message shown instead of the chart, or empty while bars are shown. */
    QString message() const;

    /** The target shown, or empty. */
    QString target() const { return QString::fromStdString(m_estimate.targetId); }
    /** The bar labels (layer names, "(rest)"), without the fallback star. */
    QStringList layerNames() const { return m_layers; }
    /** The plotted values per layer, SI (seconds or joules), in layerNames() order. */
    QVector<double> values() const { return m_values; }
    /** The bound class of each bar, in layerNames() order: "Compute", "SRAM", "Flash", "DRAM", "Host", "Other". */
    QStringList boundClasses() const { return m_classes; }
    /** Layers that fall back to the host. */
    QStringList fallbackLayers() const { return m_fallback; }
    Quantity quantity() const { return m_quantity; }
    QWidget *canvas() const;

    /** The colour of a bound class's bars (and of its rows in the per-layer table). */
    static QColor boundColour(const QString &boundClass);
    /** A layer's bound class (see boundClasses()). */
    static QString boundClass(plugin::Bound bound);

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    void onMouseMove(QMouseEvent *event);
    double valueOf(const plugin::LayerCost &cost) const;
    double total() const;

    QCustomPlot *m_plot = nullptr;
    QLabel *m_emptyHint = nullptr;
    plugin::CostEstimate m_estimate;
    Quantity m_quantity = Quantity::Latency;
    QStringList m_layers;
    QStringList m_classes;
    QStringList m_fallback;
    QVector<double> m_values; ///< per bar, SI
    int m_hovered = -1;
};

} // namespace psc
