// SPDX-License-Identifier: GPL-3.0-or-later
#include "plot/scattermatrix.h"

#include "models/metricformat.h"
#include "models/trialfilter.h"
#include "models/trialset.h"

#include <qcustomplot.h>

#include <QVBoxLayout>

#include <algorithm>
#include <cmath>

namespace psc {
namespace {

constexpr double kPickPixels = 6.0;

const QColor kKept(0x3b, 0x75, 0xaf, 170);
const QColor kFront(0xe0, 0x6c, 0x1f);
const QColor kContext(0xb0, 0xb0, 0xb0, 80);
const QColor kSelection(0x20, 0x20, 0x20);

QCPGraph *scatterGraph(QCPAxisRect *rect, const QCPScatterStyle &style)
{
    auto *g = new QCPGraph(rect->axis(QCPAxis::atBottom), rect->axis(QCPAxis::atLeft));
    g->setLineStyle(QCPGraph::lsNone);
    g->setScatterStyle(style);
    return g;
}

} // namespace

ScatterMatrix::ScatterMatrix(TrialSet *trials, QWidget *parent)
    : QWidget(parent), m_trials(trials), m_plot(new QCustomPlot(this))
{
    setObjectName(QStringLiteral("scatterMatrix"));
    m_plot->setObjectName(QStringLiteral("scatterMatrixCanvas"));
    m_plot->setMinimumSize(240, 180);
    m_plot->setToolTip(tr("Every pair of the study's objectives: orange points are on the study's front, grey ones "
                          "are filtered out; click a point to select its trial"));
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_plot);
    connect(m_plot, &QCustomPlot::mousePress, this, &ScatterMatrix::onMousePress);
    connect(m_trials, &TrialSet::wasReset, this, [this] {
        m_selected = -1;
        rebuild();
    });
    connect(m_trials, &TrialSet::updated, this, &ScatterMatrix::rebuild);
    rebuild();
}

ScatterMatrix::~ScatterMatrix() = default;

QWidget *ScatterMatrix::canvas() const
{
    return m_plot;
}

void ScatterMatrix::setTrialFilter(const TrialFilter *filter)
{
    if (m_filter)
        disconnect(m_filter, nullptr, this, nullptr);
    m_filter = filter;
    if (m_filter)
        connect(m_filter, &TrialFilter::changed, this, &ScatterMatrix::rebuild);
    rebuild();
}

void ScatterMatrix::setSelectedTrial(qint64 id)
{
    if (id == m_selected)
        return;
    m_selected = id;
    if (!isVisible()) {
        m_stale = true;
        return;
    }
    // Only the rings move: the matrix is not laid out again.
    placeSelectionRings();
    m_plot->replot();
}

void ScatterMatrix::placeSelectionRings()
{
    const Point *selected = nullptr;
    for (const Point &p : m_points)
        if (p.id == m_selected)
            selected = &p;
    for (const SelectionRing &ring : m_rings) {
        QVector<double> x, y;
        if (selected) {
            x << selected->values[std::size_t(ring.column)] * m_factors[std::size_t(ring.column)];
            y << selected->values[std::size_t(ring.row)] * m_factors[std::size_t(ring.row)];
        }
        ring.graph->setData(x, y);
    }
}

void ScatterMatrix::showEvent(QShowEvent *event)
{
    QWidget::showEvent(event);
    if (m_stale)
        rebuild();
}

void ScatterMatrix::rebuild()
{
    // Hidden (another tab shown), the matrix waits: a live study of 100,000 trials changes many times a minute.
    if (!isVisible()) {
        m_stale = true;
        return;
    }
    m_stale = false;
    m_metrics.clear();
    for (const Objective &o : m_trials->spec().objectives)
        m_metrics.push_back(o.metric);
    m_points.clear();
    const std::vector<Trial> &trials = m_trials->trials();
    const bool filtered = m_filter && m_filter->isActive();
    std::vector<double> maxAbs(m_metrics.size(), 0.0);
    for (std::size_t i = 0; i < trials.size(); ++i) {
        const Trial &t = trials[i];
        if (t.state != TrialState::Complete)
            continue;
        Point p;
        p.id = t.id;
        for (const MetricRef &m : m_metrics) {
            const auto v = metricValue(t, m);
            if (!v || !std::isfinite(*v))
                break;
            p.values.push_back(*v);
        }
        if (p.values.size() != m_metrics.size() || m_metrics.empty())
            continue;
        for (std::size_t k = 0; k < m_metrics.size(); ++k)
            maxAbs[k] = std::max(maxAbs[k], std::abs(p.values[k]));
        p.front = m_trials->isOnFront(int(i));
        p.accepted = !filtered || m_filter->accepts(t);
        m_points.push_back(std::move(p));
    }
    m_factors.clear();
    for (std::size_t k = 0; k < m_metrics.size(); ++k)
        m_factors.push_back(axisScale(m_metrics[k], maxAbs[k]).factor);
    draw();
}

QCPAxisRect *ScatterMatrix::cell(int row, int column) const
{
    const int k = int(m_metrics.size());
    if (row < 0 || column < 0 || row >= k || column >= k || row == column)
        return nullptr;
    auto *grid = qobject_cast<QCPLayoutGrid *>(m_plot->plotLayout());
    return grid ? qobject_cast<QCPAxisRect *>(grid->element(row, column)) : nullptr;
}

void ScatterMatrix::draw()
{
    m_rings.clear();
    m_plot->clearPlottables();
    m_plot->clearItems();
    m_plot->plotLayout()->clear();
    const int k = int(m_metrics.size());
    if (k < 2 || m_points.empty()) {
        auto *text =
            new QCPTextElement(m_plot, k < 2 ? tr("The scatter matrix needs a study with two objectives or more")
                                             : tr("No complete trials with every objective yet"));
        m_plot->plotLayout()->addElement(0, 0, text);
        m_plot->replot();
        return;
    }
    QFont small = font();
    small.setPointSizeF(small.pointSizeF() * 0.85);
    for (int row = 0; row < k; ++row)
        for (int column = 0; column < k; ++column) {
            if (row == column) {
                const AxisScale unit = axisScale(m_metrics[std::size_t(row)], 1.0 / m_factors[std::size_t(row)]);
                // A target metric's target on a line of its own: "Energy (ethos-u55-128)" is wider than a cell.
                QString label = metricLabel(m_metrics[std::size_t(row)]);
                if (!m_metrics[std::size_t(row)].target.empty())
                    label.replace(label.lastIndexOf(QStringLiteral(" (")), 1, QLatin1Char('\n'));
                if (!unit.unit.isEmpty())
                    label += QStringLiteral("\n(%1)").arg(unit.unit);
                // An empty axis rect with the name in its middle: a text element would cap the row at its own height.
                QFont bold = font();
                bold.setBold(true);
                auto *diagonal = new QCPAxisRect(m_plot, false);
                diagonal->setMinimumMargins(QMargins(column == 0 ? 40 : 6, 4, 4, row == k - 1 ? 22 : 4));
                m_plot->plotLayout()->addElement(row, column, diagonal);
                auto *name = new QCPItemText(m_plot);
                name->setClipToAxisRect(false);
                name->position->setAxisRect(diagonal);
                name->position->setType(QCPItemPosition::ptAxisRectRatio);
                name->position->setCoords(0.5, 0.5);
                name->setPositionAlignment(Qt::AlignCenter);
                name->setTextAlignment(Qt::AlignCenter);
                name->setFont(bold);
                name->setText(label);
                continue;
            }
            auto *rect = new QCPAxisRect(m_plot);
            rect->setupFullAxesBox(false);
            for (QCPAxis *axis : rect->axes()) {
                axis->setTickLabelFont(small);
                axis->grid()->setVisible(axis->axisType() == QCPAxis::atBottom || axis->axisType() == QCPAxis::atLeft);
            }
            // Tick labels on the outer edges only: the diagonal names each row's and column's metric.
            rect->axis(QCPAxis::atBottom)->setTickLabels(row == k - 1);
            rect->axis(QCPAxis::atLeft)->setTickLabels(column == 0);
            rect->setMinimumMargins(QMargins(column == 0 ? 40 : 6, 4, 4, row == k - 1 ? 22 : 4));
            m_plot->plotLayout()->addElement(row, column, rect);

            const double fx = m_factors[std::size_t(column)], fy = m_factors[std::size_t(row)];
            QVector<double> cx, cy, kx, ky, fx_, fy_;
            for (const Point &p : m_points) {
                const double x = p.values[std::size_t(column)] * fx, y = p.values[std::size_t(row)] * fy;
                if (!p.accepted) {
                    cx << x;
                    cy << y;
                } else if (p.front) {
                    fx_ << x;
                    fy_ << y;
                } else {
                    kx << x;
                    ky << y;
                }
            }
            scatterGraph(rect, QCPScatterStyle(QCPScatterStyle::ssDisc, kContext, 4))->setData(cx, cy);
            scatterGraph(rect, QCPScatterStyle(QCPScatterStyle::ssDisc, kKept, 5))->setData(kx, ky);
            scatterGraph(rect, QCPScatterStyle(QCPScatterStyle::ssDisc, kFront, 6))->setData(fx_, fy_);
            m_rings.push_back(
                {scatterGraph(rect, QCPScatterStyle(QCPScatterStyle::ssCircle, QPen(kSelection, 2), Qt::NoBrush, 12)),
                 row, column});
            rect->axis(QCPAxis::atBottom)->rescale();
            rect->axis(QCPAxis::atLeft)->rescale();
            for (QCPAxis *axis : {rect->axis(QCPAxis::atBottom), rect->axis(QCPAxis::atLeft)}) {
                const QCPRange r = axis->range();
                const double pad = r.size() > 0 ? 0.06 * r.size() : std::max(1e-9, 0.05 * std::abs(r.center()));
                axis->setRange(r.lower - pad, r.upper + pad);
            }
        }
    // Every cell the same size.
    for (int i = 0; i < k; ++i) {
        m_plot->plotLayout()->setRowStretchFactor(i, 1);
        m_plot->plotLayout()->setColumnStretchFactor(i, 1);
    }
    placeSelectionRings();
    m_plot->replot();
}

QList<qint64> ScatterMatrix::drawnTrialIds() const
{
    QList<qint64> ids;
    for (const Point &p : m_points)
        ids << p.id;
    return ids;
}

QList<qint64> ScatterMatrix::acceptedTrialIds() const
{
    QList<qint64> ids;
    for (const Point &p : m_points)
        if (p.accepted)
            ids << p.id;
    return ids;
}

QPointF ScatterMatrix::trialPosition(qint64 id, int row, int column) const
{
    QCPAxisRect *rect = cell(row, column);
    if (!rect)
        return {-1, -1};
    for (const Point &p : m_points)
        if (p.id == id)
            return {
                rect->axis(QCPAxis::atBottom)
                    ->coordToPixel(p.values[std::size_t(column)] * m_factors[std::size_t(column)]),
                rect->axis(QCPAxis::atLeft)->coordToPixel(p.values[std::size_t(row)] * m_factors[std::size_t(row)])};
    return {-1, -1};
}

qint64 ScatterMatrix::trialAt(const QPointF &pos) const
{
    const int k = int(m_metrics.size());
    for (int row = 0; row < k; ++row)
        for (int column = 0; column < k; ++column) {
            QCPAxisRect *rect = cell(row, column);
            if (!rect || !rect->rect().contains(pos.toPoint()))
                continue;
            qint64 best = -1;
            double bestDistance = kPickPixels * kPickPixels;
            bool bestAccepted = false;
            for (const Point &p : m_points) {
                const double x = rect->axis(QCPAxis::atBottom)
                                     ->coordToPixel(p.values[std::size_t(column)] * m_factors[std::size_t(column)]);
                const double y =
                    rect->axis(QCPAxis::atLeft)->coordToPixel(p.values[std::size_t(row)] * m_factors[std::size_t(row)]);
                const double d = (x - pos.x()) * (x - pos.x()) + (y - pos.y()) * (y - pos.y());
                // The kept trials (drawn above the context) win ties.
                if (d < bestDistance || (d == bestDistance && p.accepted && !bestAccepted)) {
                    bestDistance = d;
                    best = p.id;
                    bestAccepted = p.accepted;
                }
            }
            return best;
        }
    return -1;
}

void ScatterMatrix::onMousePress(QMouseEvent *event)
{
    if (const qint64 id = trialAt(event->position()); id >= 0)
        emit trialClicked(id);
}

} // namespace psc
