// SPDX-License-Identifier: GPL-3.0-or-later
// The Pareto plot's third and fourth metric: colour (with a colour bar) and point size (with sizes in the legend).
#include "plot/paretoplotwidget.h"

#include "models/metricformat.h"
#include "plot/encodedpoints.h"
#include "plot/readablelogticker.h"

#include <qcustomplot.h>

#include <QActionGroup>
#include <QMenu>
#include <QToolButton>

#include <algorithm>
#include <cmath>

namespace psc {

bool ParetoPlotWidget::setEncoding(MetricRef &encoding, const MetricRef &metric)
{
    const auto &offered = availableMetrics();
    if (!metric.name.empty() && std::find(offered.begin(), offered.end(), metric) == offered.end())
        return false;
    encoding = metric;
    rebuild();
    return true;
}

bool ParetoPlotWidget::setColourMetric(const MetricRef &metric)
{
    return setEncoding(m_colourMetric, metric);
}

bool ParetoPlotWidget::setSizeMetric(const MetricRef &metric)
{
    return setEncoding(m_sizeMetric, metric);
}

const std::vector<EncodedPoint> &ParetoPlotWidget::encodedPoints() const
{
    return m_encoded->points();
}

QCPColorScale *ParetoPlotWidget::colourScale() const
{
    return m_colourBar && m_colourBar->layout() ? m_colourBar : nullptr;
}

void ParetoPlotWidget::showEncodingMenu()
{
    QMenu *menu = m_encodeButton->menu();
    menu->clear();
    auto addChoices = [this, menu](const QString &title, const MetricRef &current, bool colour) {
        QMenu *sub = menu->addMenu(title);
        auto *group = new QActionGroup(sub);
        auto add = [&](const QString &text, const MetricRef &ref) {
            QAction *a = sub->addAction(text);
            a->setCheckable(true);
            a->setChecked(ref == current);
            group->addAction(a);
            connect(a, &QAction::triggered, this,
                    [this, ref, colour] { colour ? setColourMetric(ref) : setSizeMetric(ref); });
        };
        add(tr("None"), MetricRef{});
        sub->addSeparator();
        for (const MetricRef &ref : availableMetrics())
            add(metricLabel(ref), ref);
    };
    addChoices(tr("Colour by"), m_colourMetric, true);
    addChoices(tr("Size by"), m_sizeMetric, false);
    if (showsAllTargets()) {
        menu->addSeparator();
        menu->addAction(tr("(colour shows the target while all targets are drawn)"))->setEnabled(false);
    }
}

void ParetoPlotWidget::updateEncodings()
{
    for (QCPGraph *g : m_sizeLegend)
        m_plot->removeGraph(g);
    m_sizeLegend.clear();
    const bool colour = !m_colourMetric.name.empty() && !showsAllTargets();
    const bool size = !m_sizeMetric.name.empty() && !showsAllTargets();
    if (m_colourBar && m_colourBar->layout() && !colour) {
        m_plot->plotLayout()->take(m_colourBar);
        m_plot->plotLayout()->simplify();
    }
    QString label = tr("Colour/size");
    if (colour || size)
        label = QStringLiteral("%1%2%3").arg(colour ? tr("Colour: %1").arg(metricLabel(m_colourMetric)) : QString(),
                                             colour && size ? QStringLiteral(" · ") : QString(),
                                             size ? tr("Size: %1").arg(metricLabel(m_sizeMetric)) : QString());
    m_encodeButton->setText(label);
    if (!colour && !size) {
        m_encoded->setPoints({});
        return;
    }

    // The complete trials drawn (dominated or on the front of the axes), with their third and fourth values.
    std::vector<EncodedPoint> points;
    std::vector<double> colours, sizes;
    for (const ScatterPoint &p : m_points) {
        if (p.kind != ScatterPoint::Kind::Dominated && p.kind != ScatterPoint::Kind::Front)
            continue;
        const Trial *t = trial(p.id);
        if (!t)
            continue;
        EncodedPoint e;
        e.id = p.id;
        e.x = p.x;
        e.y = p.y;
        e.front = p.kind == ScatterPoint::Kind::Front;
        points.push_back(e);
        colours.push_back(colour ? metricValue(*t, m_colourMetric).value_or(NAN) : NAN);
        sizes.push_back(size ? metricValue(*t, m_sizeMetric).value_or(NAN) : NAN);
    }
    const EncodingScale colourScale = EncodingScale::of(colours);
    const EncodingScale sizeScale = EncodingScale::of(sizes);
    for (std::size_t i = 0; i < points.size(); ++i) {
        points[i].colour = colour ? colourScale.normalise(colours[i]) : 0.5;
        points[i].diameter = size ? encodedDiameter(sizeScale.normalise(sizes[i])) : encodedDiameter(0.25);
    }
    // Small points in front of big ones.
    std::stable_sort(points.begin(), points.end(),
                     [](const EncodedPoint &a, const EncodedPoint &b) { return a.diameter > b.diameter; });
    m_encoded->setGradient(colour ? viridisGradient() : QCPColorGradient(QCPColorGradient::gpGrayscale));
    m_encoded->setPoints(std::move(points));

    if (colour) {
        if (!m_colourBar) {
            m_colourBar = new QCPColorScale(m_plot);
            m_colourBar->setGradient(viridisGradient());
            m_colourBar->setBarWidth(12);
            m_colourBar->setRangeDrag(false);
            m_colourBar->setRangeZoom(false);
            // The bar spans the axis rect's height.
            auto *group = new QCPMarginGroup(m_plot);
            m_plot->axisRect()->setMarginGroup(QCP::msBottom | QCP::msTop, group);
            m_colourBar->setMarginGroup(QCP::msBottom | QCP::msTop, group);
        }
        if (!m_colourBar->layout())
            m_plot->plotLayout()->addElement(1, 1, m_colourBar);
        const AxisScale unit =
            axisScale(m_colourMetric, std::max(std::abs(colourScale.min), std::abs(colourScale.max)));
        const double lo = colourScale.valid ? colourScale.min * unit.factor : 0.0;
        const double hi = colourScale.valid ? colourScale.max * unit.factor : 1.0;
        m_colourBar->setDataScaleType(colourScale.log ? QCPAxis::stLogarithmic : QCPAxis::stLinear);
        m_colourBar->setDataRange(QCPRange(lo, hi > lo ? hi : lo + 1e-9 * std::max(1.0, std::abs(lo))));
        m_colourBar->axis()->setTicker(colourScale.log ? createReadableLogTicker()
                                                       : QSharedPointer<QCPAxisTicker>::create());
        QString text = metricLabel(m_colourMetric);
        if (!unit.unit.isEmpty())
            text += QStringLiteral(" (%1)").arg(unit.unit);
        m_colourBar->setLabel(text);
    }
    // The largest size's circle needs a taller legend icon than the default.
    m_plot->legend->setIconSize(size ? QSize(32, int(std::ceil(encodedDiameter(1.0))) + 2) : QSize(32, 18));
    if (size && sizeScale.valid) {
        // Three legend entries: the smallest, middle and largest value as drawn.
        const int steps = sizeScale.max > sizeScale.min ? 3 : 1;
        for (int i = 0; i < steps; ++i) {
            const double t = steps == 1 ? 0.5 : i / 2.0;
            QCPGraph *g = m_plot->addGraph();
            g->setLineStyle(QCPGraph::lsNone);
            g->setScatterStyle(
                QCPScatterStyle(QCPScatterStyle::ssCircle, QPen(Qt::darkGray, 1.2), Qt::NoBrush, encodedDiameter(t)));
            const QString value = formatMetricValue(m_sizeMetric, sizeScale.valueAt(t));
            g->setName(i == 0 ? tr("%1 %2").arg(metricLabel(m_sizeMetric), value) : value);
            m_sizeLegend.push_back(g);
        }
    }
}

} // namespace psc
