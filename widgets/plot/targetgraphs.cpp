// SPDX-License-Identifier: GPL-3.0-or-later
#include "plot/targetgraphs.h"

#include <qcustomplot.h>

#include <algorithm>

namespace psc {

TargetGraphs::TargetGraphs(QCustomPlot *plot) : m_plot(plot) {}

QColor TargetGraphs::colour(int index)
{
    // Tableau 10: distinct for the usual handful of targets, readable on white.
    static const QColor colours[] = {QColor(0x4e, 0x79, 0xa7), QColor(0xf2, 0x8e, 0x2b), QColor(0xe1, 0x57, 0x59),
                                     QColor(0x76, 0xb7, 0xb2), QColor(0x59, 0xa1, 0x4f), QColor(0xed, 0xc9, 0x48),
                                     QColor(0xb0, 0x7a, 0xa1), QColor(0xff, 0x9d, 0xa7), QColor(0x9c, 0x75, 0x5f),
                                     QColor(0xba, 0xb0, 0xac)};
    return colours[std::max(index, 0) % 10];
}

void TargetGraphs::clear()
{
    for (QCPGraph *g : m_graphs)
        m_plot->removeGraph(g);
    m_graphs.clear();
    m_drawn.clear();
}

void TargetGraphs::set(const QStringList &targets, const std::vector<ScatterPoint> &points, bool stepLeft)
{
    clear();
    for (int i = 0; i < targets.size(); ++i) {
        std::vector<const ScatterPoint *> front;
        QVector<double> dx, dy;
        for (const ScatterPoint &p : points) {
            if (p.series != i || p.kind == ScatterPoint::Kind::Rejected || p.kind == ScatterPoint::Kind::Pruned)
                continue;
            if (p.kind == ScatterPoint::Kind::Front) {
                front.push_back(&p);
            } else {
                dx.push_back(p.x);
                dy.push_back(p.y);
            }
        }
        if (front.empty() && dx.isEmpty())
            continue;
        std::stable_sort(front.begin(), front.end(),
                         [](const ScatterPoint *a, const ScatterPoint *b) { return a->x < b->x; });
        const QColor c = colour(i);
        QColor fill = c;
        fill.setAlpha(150);

        QCPGraph *dominated = m_plot->addGraph();
        dominated->setLineStyle(QCPGraph::lsNone);
        dominated->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, fill, 7));
        dominated->setData(dx, dy);
        dominated->removeFromLegend();

        QCPGraph *line = m_plot->addGraph();
        QVector<double> fx, fy;
        for (const ScatterPoint *p : front) {
            fx.push_back(p->x);
            fy.push_back(p->y);
        }
        line->setData(fx, fy, true);
        line->setName(targets[i]);
        line->setPen(QPen(c, 1.6));
        line->setLineStyle(stepLeft ? QCPGraph::lsStepLeft : QCPGraph::lsStepRight);
        line->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, QPen(c.darker(140), 1), c, 9));
        m_graphs.push_back(dominated);
        m_graphs.push_back(line);
        m_drawn << targets[i];
    }
}

} // namespace psc
