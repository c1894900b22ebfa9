// SPDX-License-Identifier: GPL-3.0-or-later
#include "views/costbreakdownplot.h"

#include "models/metricformat.h"

#include "psc/targets/costinput.h"

#include <qcustomplot.h>

#include <QEvent>
#include <QLabel>
#include <QLocale>
#include <QToolTip>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>

namespace psc {
namespace {

const QString kRest = QStringLiteral("(rest)");
const QStringList kClasses{QStringLiteral("Compute"), QStringLiteral("SRAM"), QStringLiteral("Flash"),
                           QStringLiteral("DRAM"),    QStringLiteral("Host"), QStringLiteral("Other")};

QString boundLegend(const QString &boundClass)
{
    if (boundClass == QLatin1String("Compute"))
        return CostBreakdownPlot::tr("compute-bound");
    if (boundClass == QLatin1String("Host"))
        return CostBreakdownPlot::tr("on the host CPU (fallback)");
    if (boundClass == QLatin1String("Other"))
        return CostBreakdownPlot::tr("other (not assigned to a layer)");
    return CostBreakdownPlot::tr("%1-bound").arg(boundClass);
}

} // namespace

CostBreakdownPlot::CostBreakdownPlot(QWidget *parent) : QWidget(parent), m_plot(new QCustomPlot(this))
{
    m_plot->setObjectName(QStringLiteral("costBreakdownCanvas"));
    // Short enough that the inspector dock fits beside the study on a 720-pixel screen.
    m_plot->setMinimumSize(320, 130);
    m_plot->setMouseTracking(true);
    m_plot->setWhatsThis(tr("The trial's network layer by layer on one target: each bar is one layer, coloured by "
                            "what bounds it there (compute, a memory, or the host CPU it falls back to, marked *)."));
    // No data: a plain message instead of an empty chart.
    m_emptyHint = new QLabel(this);
    m_emptyHint->setAlignment(Qt::AlignCenter);
    m_emptyHint->setWordWrap(true);
    m_emptyHint->setStyleSheet(QStringLiteral("color: palette(placeholder-text);"));
    m_emptyHint->setToolTip(m_plot->whatsThis());
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_plot, 1);
    layout->addWidget(m_emptyHint, 1);

    // The legend gets a row of its own above the bars so it never hides them.
    auto *legendRow = new QCPLayoutGrid;
    m_plot->plotLayout()->insertRow(0);
    m_plot->plotLayout()->addElement(0, 0, legendRow);
    m_plot->axisRect()->insetLayout()->take(m_plot->legend);
    legendRow->addElement(0, 0, m_plot->legend);
    m_plot->plotLayout()->setRowStretchFactor(0, 0.001);
    m_plot->legend->setWrap(6);
    QFont small = font();
    small.setPointSizeF(small.pointSizeF() * 0.85);
    m_plot->legend->setFont(small);
    m_plot->legend->setFillOrder(QCPLegend::foColumnsFirst);
    m_plot->legend->setBorderPen(Qt::NoPen);
    m_plot->legend->setMargins(QMargins(4, 2, 4, 2));
    m_plot->legend->setVisible(true);
    m_plot->xAxis->setTickLabelRotation(45);
    m_plot->xAxis->setSubTicks(false);
    m_plot->xAxis->grid()->setVisible(false);
    connect(m_plot, &QCustomPlot::mouseMove, this, &CostBreakdownPlot::onMouseMove);
    // The plot shows its own tooltips on mouse moves; a ToolTip event left unhandled would climb to a parent with a
    // tooltip of its own (the inspector's) and replace the bar's.
    m_plot->installEventFilter(this);
    clear();
}

CostBreakdownPlot::~CostBreakdownPlot() = default;

bool CostBreakdownPlot::eventFilter(QObject *watched, QEvent *event)
{
    if (watched == m_plot && event->type() == QEvent::ToolTip)
        return true;
    return QWidget::eventFilter(watched, event);
}

QString CostBreakdownPlot::message() const
{
    return m_plot->isHidden() ? m_emptyHint->text() : QString();
}

QWidget *CostBreakdownPlot::canvas() const
{
    return m_plot;
}

double CostBreakdownPlot::valueOf(const plugin::LayerCost &cost) const
{
    return m_quantity == Quantity::Latency ? cost.latencyS : cost.energyJ;
}

QString CostBreakdownPlot::boundClass(plugin::Bound bound)
{
    switch (bound) {
    case plugin::Bound::Compute:
        return kClasses[0];
    case plugin::Bound::Sram:
        return kClasses[1];
    case plugin::Bound::Flash:
        return kClasses[2];
    case plugin::Bound::Dram:
        return kClasses[3];
    case plugin::Bound::Host:
        return kClasses[4];
    case plugin::Bound::None:
        break;
    }
    return kClasses[5];
}

QColor CostBreakdownPlot::boundColour(const QString &boundClass)
{
    // Compute blue, the memories in warm tones from near (SRAM) to far (DRAM), the host grey-violet.
    static const QColor colours[] = {QColor(0x3b, 0x75, 0xaf), QColor(0xef, 0x8a, 0x3c), QColor(0xd6, 0x5f, 0x5f),
                                     QColor(0x9c, 0x3d, 0x3d), QColor(0x8e, 0x7c, 0xc3), QColor(0x9e, 0x9e, 0x9e)};
    const qsizetype i = kClasses.indexOf(boundClass);
    return colours[i < 0 ? 5 : i];
}

void CostBreakdownPlot::clear(const QString &message)
{
    m_estimate = {};
    m_layers.clear();
    m_classes.clear();
    m_fallback.clear();
    m_values.clear();
    m_hovered = -1;
    m_plot->clearPlottables();
    m_plot->clearItems();
    m_plot->xAxis->setTicker(QSharedPointer<QCPAxisTicker>::create());
    m_plot->xAxis->setTickLabels(false);
    m_plot->yAxis->setTickLabels(false);
    m_plot->xAxis->setLabel(QString());
    m_plot->yAxis->setLabel(QString());
    m_plot->legend->setVisible(false);
    m_emptyHint->setText(message.isEmpty() ? tr("Select a trial to see its cost per layer") : message);
    m_plot->hide();
    m_emptyHint->show();
}

double CostBreakdownPlot::total() const
{
    return m_quantity == Quantity::Latency ? m_estimate.latencyS : m_estimate.energyJ;
}

void CostBreakdownPlot::setEstimate(const plugin::CostEstimate &estimate, Quantity quantity)
{
    clear();
    m_estimate = estimate;
    m_quantity = quantity;

    // Layers in network order; a layer is kept if it costs something here.
    double sum = 0.0;
    for (const plugin::LayerCost &c : m_estimate.layers) {
        const double v = valueOf(c);
        if (!(v > 0.0))
            continue;
        const QString name = QString::fromStdString(c.layer);
        m_layers << name;
        m_values << v;
        m_classes << (c.fallback ? kClasses[4] : boundClass(c.bound));
        if (c.fallback)
            m_fallback << name;
        sum += v;
    }
    const double rest = total() - sum;
    if (std::abs(rest) > 1e-9 * std::max(std::abs(total()), 1e-30)) {
        m_layers << kRest;
        m_values << rest;
        m_classes << kClasses[5];
    }
    if (m_layers.isEmpty()) {
        clear(tr("%1 costs nothing on %2")
                  .arg(m_quantity == Quantity::Latency ? tr("The network's latency") : tr("The network's energy"),
                       QString::fromStdString(estimate.targetId)));
        return;
    }

    double tallest = 0.0;
    for (double v : m_values)
        tallest = std::max(tallest, v);
    const MetricRef metric{m_quantity == Quantity::Latency ? "latency_s" : "energy_j", "target"};
    const AxisScale scale = axisScale(metric, tallest);

    auto ticker = QSharedPointer<QCPAxisTickerText>::create();
    for (int l = 0; l < m_layers.size(); ++l)
        ticker->addTick(l, m_fallback.contains(m_layers[l]) ? m_layers[l] + QStringLiteral(" *") : m_layers[l]);
    m_plot->xAxis->setTicker(ticker);
    m_plot->xAxis->setTickLabels(true);
    m_plot->yAxis->setTickLabels(true);
    m_plot->xAxis->setRange(-0.7, m_layers.size() - 0.3);
    m_plot->yAxis->setRange(0, std::max(tallest * scale.factor * 1.08, 1e-12));
    m_plot->xAxis->setLabel(m_fallback.isEmpty() ? tr("Layer on %1").arg(target())
                                                 : tr("Layer on %1 (* runs on its host CPU)").arg(target()));
    m_plot->yAxis->setLabel(QStringLiteral("%1 (%2)").arg(metricLabel(MetricRef{metric.name, {}}), scale.unit));

    // One bar series per bound class present, so the legend explains the colours.
    for (const QString &cls : kClasses) {
        QVector<double> keys, heights;
        for (int l = 0; l < m_layers.size(); ++l)
            if (m_classes[l] == cls) {
                keys << l;
                heights << std::max(m_values[l], 0.0) * scale.factor;
            }
        if (keys.isEmpty())
            continue;
        auto *bars = new QCPBars(m_plot->xAxis, m_plot->yAxis);
        bars->setName(boundLegend(cls));
        const QColor c = boundColour(cls);
        bars->setPen(QPen(c.darker(130)));
        bars->setBrush(c);
        bars->setWidth(0.7);
        bars->setData(keys, heights, true);
    }
    m_plot->legend->setVisible(true);
    m_emptyHint->hide();
    m_plot->show();
    m_plot->replot();
}

void CostBreakdownPlot::onMouseMove(QMouseEvent *event)
{
    if (m_layers.isEmpty())
        return;
    const double key = m_plot->xAxis->pixelToCoord(event->position().x());
    const int l = int(std::lround(key));
    const bool inside = l >= 0 && l < m_layers.size() && std::abs(key - l) <= 0.35 &&
                        m_plot->axisRect()->rect().contains(event->position().toPoint());
    const int hovered = inside ? l : -1;
    if (hovered == m_hovered)
        return;
    m_hovered = hovered;
    if (hovered < 0) {
        QToolTip::hideText();
        return;
    }
    const MetricRef metric{m_quantity == Quantity::Latency ? "latency_s" : "energy_j", "target"};
    const QLocale locale;
    QStringList lines;
    lines << QStringLiteral("<b>%1</b> on %2").arg(m_layers[l].toHtmlEscaped(), target().toHtmlEscaped());
    lines << tr("%1 (%2 % of the total)")
                 .arg(formatMetricValue(metric, m_values[l]))
                 .arg(locale.toString(100.0 * m_values[l] / std::max(total(), 1e-300), 'f', 1));
    if (m_layers[l] == kRest)
        lines << tr("cost the model does not assign to a layer: static power, runtime overhead");
    for (const plugin::LayerCost &c : m_estimate.layers) {
        if (QString::fromStdString(c.layer) != m_layers[l])
            continue;
        lines << boundLegend(m_classes[l]);
        if (std::isfinite(c.computeCycles) && std::isfinite(c.stallCycles) && c.cycles > 0)
            lines << tr("%1 cycles: %2 compute + %3 memory stall")
                         .arg(locale.toString(c.cycles, 'f', 0), locale.toString(c.computeCycles, 'f', 0),
                              locale.toString(c.stallCycles, 'f', 0));
        else if (std::isfinite(c.cycles) && c.cycles > 0)
            lines << tr("%1 cycles").arg(locale.toString(c.cycles, 'f', 0));
        if (c.hostCycles > 0)
            lines << tr("%1 host cycles").arg(locale.toString(c.hostCycles, 'f', 0));
        if (!c.note.empty())
            lines << QString::fromStdString(c.note).toHtmlEscaped();
    }
    QToolTip::showText(event->globalPosition().toPoint(), lines.join(QStringLiteral("<br>")), m_plot);
}

} // namespace psc
