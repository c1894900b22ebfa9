// SPDX-License-Identifier: GPL-3.0-or-later
#include "views/costbreakdownplot.h"

#include "models/metricformat.h"
#include "plot/targetgraphs.h"

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

} // namespace

CostBreakdownPlot::CostBreakdownPlot(QWidget *parent) : QWidget(parent), m_plot(new QCustomPlot(this))
{
    m_plot->setObjectName(QStringLiteral("costBreakdownCanvas"));
    m_plot->setMinimumSize(320, 200);
    m_plot->setMouseTracking(true);
    m_plot->setWhatsThis(tr("The trial's network layer by layer: each bar is one layer, stacked over the targets "
                            "in their colours. * marks layers that run on a host CPU (fallback) on some target."));
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

void CostBreakdownPlot::clear(const QString &message)
{
    m_estimates.clear();
    m_layers.clear();
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

void CostBreakdownPlot::setEstimates(std::vector<plugin::CostEstimate> estimates, Quantity quantity,
                                     const std::vector<int> &colourIndex)
{
    clear();
    m_estimates = std::move(estimates);
    m_quantity = quantity;
    if (m_estimates.empty()) {
        clear(tr("No targets to show"));
        return;
    }

    // Layers in network order; a layer is kept if it costs something on some target.
    std::vector<std::string> order;
    for (const plugin::LayerCost &c : m_estimates.front().layers)
        order.push_back(c.layer);
    std::vector<std::string> kept;
    for (const std::string &name : order) {
        bool costs = false, fallback = false;
        for (const plugin::CostEstimate &e : m_estimates)
            for (const plugin::LayerCost &c : e.layers)
                if (c.layer == name) {
                    costs = costs || valueOf(c) > 0.0;
                    fallback = fallback || c.fallback;
                }
        if (costs) {
            kept.push_back(name);
            m_layers << QString::fromStdString(name);
            if (fallback)
                m_fallback << QString::fromStdString(name);
        }
    }
    bool rest = false;
    for (const plugin::CostEstimate &e : m_estimates) {
        QVector<double> v(m_layers.size() + 1, 0.0);
        double sum = 0.0;
        for (const plugin::LayerCost &c : e.layers) {
            const auto it = std::find(kept.begin(), kept.end(), c.layer);
            if (it != kept.end()) {
                v[int(it - kept.begin())] += valueOf(c);
                sum += valueOf(c);
            }
        }
        const double total = m_quantity == Quantity::Latency ? e.latencyS : e.energyJ;
        v.back() = total - sum;
        rest = rest || std::abs(v.back()) > 1e-9 * std::max(std::abs(total), 1e-30);
        m_values.push_back(v);
    }
    if (rest)
        m_layers << kRest;
    else
        for (QVector<double> &v : m_values)
            v.removeLast();

    // Display unit from the tallest stack.
    double tallest = 0.0;
    for (int l = 0; l < m_layers.size(); ++l) {
        double stack = 0.0;
        for (const QVector<double> &v : m_values)
            stack += std::max(v[l], 0.0);
        tallest = std::max(tallest, stack);
    }
    const MetricRef metric{m_quantity == Quantity::Latency ? "latency_s" : "energy_j", "target"};
    const AxisScale scale = axisScale(metric, tallest);

    auto ticker = QSharedPointer<QCPAxisTickerText>::create();
    QVector<double> keys;
    for (int l = 0; l < m_layers.size(); ++l) {
        keys << l;
        ticker->addTick(l, m_fallback.contains(m_layers[l]) ? m_layers[l] + QStringLiteral(" *") : m_layers[l]);
    }
    m_plot->xAxis->setTicker(ticker);
    m_plot->xAxis->setTickLabels(true);
    m_plot->yAxis->setTickLabels(true);
    m_plot->xAxis->setRange(-0.7, m_layers.size() - 0.3);
    m_plot->yAxis->setRange(0, std::max(tallest * scale.factor * 1.08, 1e-12));
    m_plot->xAxis->setLabel(m_fallback.isEmpty() ? tr("Layer") : tr("Layer (* runs on a host CPU on some target)"));
    m_plot->yAxis->setLabel(QStringLiteral("%1 (%2)").arg(metricLabel(MetricRef{metric.name, {}}), scale.unit));

    QCPBars *below = nullptr;
    for (std::size_t i = 0; i < m_estimates.size(); ++i) {
        auto *bars = new QCPBars(m_plot->xAxis, m_plot->yAxis);
        bars->setName(QString::fromStdString(m_estimates[i].targetId));
        const QColor c = TargetGraphs::colour(i < colourIndex.size() ? colourIndex[i] : int(i));
        bars->setPen(QPen(c.darker(130)));
        bars->setBrush(c);
        bars->setWidth(0.7);
        bars->setStackingGap(0);
        QVector<double> scaled;
        for (double v : m_values[i])
            scaled << std::max(v, 0.0) * scale.factor;
        bars->setData(keys, scaled, true);
        if (below)
            bars->moveAbove(below);
        below = bars;
    }
    m_plot->legend->setVisible(true);
    m_emptyHint->hide();
    m_plot->show();
    m_plot->replot();
}

QStringList CostBreakdownPlot::targets() const
{
    QStringList ids;
    for (const plugin::CostEstimate &e : m_estimates)
        ids << QString::fromStdString(e.targetId);
    return ids;
}

QVector<double> CostBreakdownPlot::values(const QString &id) const
{
    for (std::size_t i = 0; i < m_estimates.size(); ++i)
        if (QString::fromStdString(m_estimates[i].targetId) == id)
            return m_values[i];
    return {};
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
    QString tip = QStringLiteral("<b>%1</b><table>").arg(m_layers[l].toHtmlEscaped());
    for (std::size_t i = 0; i < m_estimates.size(); ++i) {
        QString detail;
        for (const plugin::LayerCost &c : m_estimates[i].layers)
            if (QString::fromStdString(c.layer) == m_layers[l]) {
                detail = QString::fromUtf8(toString(c.bound).data(), qsizetype(toString(c.bound).size())) +
                         QStringLiteral(" bound");
                if (std::isfinite(c.computeCycles) && std::isfinite(c.stallCycles) && c.cycles > 0)
                    detail += tr(", %1 compute + %2 memory-stall cycles")
                                  .arg(QLocale().toString(c.computeCycles, 'f', 0),
                                       QLocale().toString(c.stallCycles, 'f', 0));
                if (c.hostCycles > 0)
                    detail += tr(", %1 host cycles").arg(QLocale().toString(c.hostCycles, 'f', 0));
                if (c.fallback)
                    detail += tr(", runs on the host (fallback)");
                if (!c.note.empty())
                    detail += QStringLiteral(", ") + QString::fromStdString(c.note);
            }
        tip += QStringLiteral("<tr><td>%1</td><td align=right>%2</td><td>%3</td></tr>")
                   .arg(QString::fromStdString(m_estimates[i].targetId).toHtmlEscaped(),
                        formatMetricValue(metric, m_values[i][l]), detail.toHtmlEscaped());
    }
    tip += QStringLiteral("</table>");
    QToolTip::showText(event->globalPosition().toPoint(), tip, m_plot);
}

} // namespace psc
