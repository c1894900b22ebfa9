// SPDX-License-Identifier: GPL-3.0-or-later
#include "plot/frontsketch.h"

#include "models/metricformat.h"
#include "models/trialset.h"

#include <qcustomplot.h>

#include <algorithm>
#include <cmath>

namespace psc {

void drawFrontSketch(QCustomPlot *plot, const TrialSet &set, const MetricRef &x, const MetricRef &y,
                     const std::vector<MarkedTrial> &marked, const std::vector<std::pair<qint64, qint64>> &arrows,
                     const FrontSketchStyle &style)
{
    plot->clearGraphs();
    plot->clearItems();
    const QColor ink = style.dark ? QColor(0xe8, 0xe8, 0xe8) : QColor(0x20, 0x20, 0x20);
    const QColor paper = style.dark ? QColor(0x1e, 0x1e, 0x1e) : QColor(Qt::white);
    const QColor grid = style.dark ? QColor(0x50, 0x50, 0x50) : QColor(0xdd, 0xdd, 0xdd);
    plot->setBackground(paper);
    QFont font = plot->font();
    if (style.fontPointSize > 0)
        font.setPointSizeF(style.fontPointSize);
    for (QCPAxis *axis : {plot->xAxis, plot->yAxis}) {
        axis->setBasePen(QPen(ink, style.lineWidth));
        axis->setTickPen(QPen(ink, style.lineWidth));
        axis->setSubTickPen(QPen(ink, style.lineWidth));
        axis->setTickLabelColor(ink);
        axis->setLabelColor(ink);
        axis->setTickLabelFont(font);
        axis->setLabelFont(font);
        axis->grid()->setPen(QPen(grid, 1, Qt::DotLine));
    }
    plot->legend->setFont(font);
    plot->legend->setTextColor(ink);
    plot->legend->setBrush(paper);
    plot->legend->setBorderPen(QPen(grid));
    if (!set.hasStudy()) {
        plot->replot();
        return;
    }
    double maxX = 0.0, maxY = 0.0;
    for (const Trial &t : set.trials()) {
        if (const auto v = metricValue(t, x))
            maxX = std::max(maxX, std::abs(*v));
        if (const auto v = metricValue(t, y))
            maxY = std::max(maxY, std::abs(*v));
    }
    const AxisScale xs = axisScale(x, maxX);
    const AxisScale ys = axisScale(y, maxY);
    auto title = [](const MetricRef &m, const AxisScale &s) {
        return s.unit.isEmpty() ? metricLabel(m) : QStringLiteral("%1 (%2)").arg(metricLabel(m), s.unit);
    };
    plot->xAxis->setLabel(title(x, xs));
    plot->yAxis->setLabel(title(y, ys));
    const bool logX = isLogScalable(x);
    plot->xAxis->setScaleType(logX ? QCPAxis::stLogarithmic : QCPAxis::stLinear);
    if (logX)
        plot->xAxis->setTicker(QSharedPointer<QCPAxisTickerLog>::create());
    else
        plot->xAxis->setTicker(QSharedPointer<QCPAxisTicker>::create());

    auto position = [&](const Trial &t) -> std::optional<QPointF> {
        const auto vx = metricValue(t, x);
        const auto vy = metricValue(t, y);
        if (t.state != TrialState::Complete || !vx || !vy || (logX && *vx <= 0))
            return std::nullopt;
        return QPointF(*vx * xs.factor, *vy * ys.factor);
    };
    QVector<double> ox, oy, fx, fy;
    for (int i = 0; i < set.size(); ++i)
        if (const auto p = position(set.trials()[std::size_t(i)])) {
            (set.isOnFront(i) ? fx : ox) << p->x();
            (set.isOnFront(i) ? fy : oy) << p->y();
        }
    auto scatter = [plot](const QVector<double> &vx, const QVector<double> &vy, const QColor &colour, double size,
                          const QString &name) {
        QCPGraph *g = plot->addGraph();
        g->setLineStyle(QCPGraph::lsNone);
        g->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, colour, colour, size));
        g->setData(vx, vy);
        g->setName(name);
    };
    scatter(ox, oy, style.dark ? QColor(0x70, 0x70, 0x70) : QColor(0xc0, 0xc0, 0xc0), style.pointSize - 1,
            QObject::tr("other trials"));
    scatter(fx, fy, style.dark ? QColor(0xf0, 0xf0, 0xf0) : QColor(0x40, 0x40, 0x40), style.pointSize,
            QObject::tr("Pareto front (all objectives)"));
    QFont bold = font;
    bold.setBold(true);
    for (const auto &[from, to] : arrows) {
        const Trial *a = set.find(from);
        const Trial *b = set.find(to);
        const auto pa = a ? position(*a) : std::nullopt;
        const auto pb = b ? position(*b) : std::nullopt;
        if (!pa || !pb)
            continue;
        auto *arrow = new QCPItemLine(plot);
        arrow->start->setCoords(*pa);
        arrow->end->setCoords(*pb);
        arrow->setPen(QPen(QColor(0x94, 0x67, 0xbd), style.lineWidth * 1.5));
        arrow->setHead(QCPLineEnding(QCPLineEnding::esSpikeArrow, 6 + 3 * style.lineWidth, 8 + 4 * style.lineWidth));
    }
    for (const MarkedTrial &m : marked) {
        const Trial *t = set.find(m.id);
        const auto p = t ? position(*t) : std::nullopt;
        if (!p)
            continue;
        QCPGraph *g = plot->addGraph();
        g->setLineStyle(QCPGraph::lsNone);
        g->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, QPen(m.colour, 2 * style.lineWidth + 1),
                                           Qt::NoBrush, 2 * style.pointSize + 2));
        g->setData(QVector<double>{p->x()}, QVector<double>{p->y()});
        g->setName(QObject::tr("trial %1").arg(t->number));
        if (!style.legendMarked)
            g->removeFromLegend();
        auto *label = new QCPItemText(plot);
        label->position->setCoords(*p);
        label->setPositionAlignment(Qt::AlignLeft | Qt::AlignBottom);
        label->setPadding(QMargins(8, 0, 0, 8));
        label->setText(m.label);
        label->setColor(m.colour);
        label->setFont(bold);
    }
    plot->legend->setVisible(true);
    plot->axisRect()->insetLayout()->setInsetAlignment(0, Qt::AlignBottom | Qt::AlignRight);
    plot->rescaleAxes();
    plot->xAxis->scaleRange(1.1, plot->xAxis->range().center());
    plot->yAxis->scaleRange(1.1, plot->yAxis->range().center());
    plot->replot();
}

} // namespace psc
