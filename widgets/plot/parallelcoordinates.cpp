// SPDX-License-Identifier: GPL-3.0-or-later
#include "plot/parallelcoordinates.h"

#include "models/metricformat.h"
#include "models/trialfilter.h"
#include "models/trialset.h"
#include "plot/encodedpoints.h"

#include <QContextMenuEvent>
#include <QMenu>
#include <QMouseEvent>
#include <QPainter>
#include <QPolygonF>

#include <algorithm>
#include <cmath>

namespace psc {
namespace {

constexpr double kPickPixels = 5.0;
constexpr double kAxisPickPixels = 10.0;

// Opaque colours: the raster engine draws opaque lines some twenty times faster than translucent ones, which decides
// whether 100,000 trials take one second or twenty.
const QColor kLine(0x9c, 0xba, 0xd7);
const QColor kFrontLine(0xe0, 0x6c, 0x1f);
const QColor kRejected(0xe4, 0xe4, 0xe4);
/// Above this many lines only every k-th line that is not on the front is drawn (all front lines are).
constexpr std::size_t kMaxDrawnLines = 20000;
const QColor kSelected(0x20, 0x20, 0x20);
const QColor kBrush(0xe0, 0x6c, 0x1f, 60);

/** Distance from `p` to the segment a-b. */
double distanceToSegment(const QPointF &p, const QPointF &a, const QPointF &b)
{
    const QPointF ab = b - a;
    const double len2 = QPointF::dotProduct(ab, ab);
    const double t = len2 > 0 ? std::clamp(QPointF::dotProduct(p - a, ab) / len2, 0.0, 1.0) : 0.0;
    const QPointF d = p - (a + t * ab);
    return std::hypot(d.x(), d.y());
}

} // namespace

struct ParallelCoordinates::Axis
{
    EncodingScale scale;
    QString title;
    QString low;
    QString high;
};

ParallelCoordinates::ParallelCoordinates(TrialSet *trials, QWidget *parent) : QWidget(parent), m_trials(trials)
{
    setObjectName(QStringLiteral("parallelCoordinates"));
    setMouseTracking(false);
    setAutoFillBackground(true);
    setBackgroundRole(QPalette::Base);
    setToolTip(tr("One line per complete trial through its metrics. Drag along an axis to keep a range of it (the "
                  "table and the Pareto plot follow); click an axis to clear its range; click a line to select its "
                  "trial; right-click to choose the axes."));
    connect(m_trials, &TrialSet::wasReset, this, [this] {
        m_selected = -1;
        setAxes(defaultAxes(m_trials->spec()));
    });
    connect(m_trials, &TrialSet::updated, this, &ParallelCoordinates::rebuild);
    setAxes(defaultAxes(m_trials->spec()));
}

ParallelCoordinates::~ParallelCoordinates() = default;

std::vector<MetricRef> ParallelCoordinates::defaultAxes(const StudySpec &spec)
{
    std::vector<MetricRef> axes;
    auto add = [&axes](const MetricRef &m) {
        if (std::find(axes.begin(), axes.end(), m) == axes.end())
            axes.push_back(m);
    };
    for (const Objective &o : spec.objectives)
        add(o.metric);
    for (const Constraint &c : spec.constraints)
        add(c.metric);
    return axes;
}

void ParallelCoordinates::setTrialFilter(TrialFilter *filter)
{
    if (m_filter)
        disconnect(m_filter, nullptr, this, nullptr);
    m_filter = filter;
    if (m_filter)
        connect(m_filter, &TrialFilter::changed, this, &ParallelCoordinates::refilter);
    refilter();
}

void ParallelCoordinates::setAxes(std::vector<MetricRef> axes)
{
    m_axes = std::move(axes);
    rebuild();
}

void ParallelCoordinates::setSelectedTrial(qint64 id)
{
    if (id == m_selected)
        return;
    m_selected = id;
    update();
}

void ParallelCoordinates::showEvent(QShowEvent *event)
{
    QWidget::showEvent(event);
    if (m_stale)
        rebuild();
}

void ParallelCoordinates::rebuild()
{
    // Hidden (another tab shown), the lines wait: a live study of 100,000 trials changes many times a minute.
    if (!isVisible()) {
        m_stale = true;
        return;
    }
    m_stale = false;
    m_lines.clear();
    const std::vector<Trial> &trials = m_trials->trials();
    std::vector<std::vector<double>> columns(m_axes.size());
    for (std::size_t i = 0; i < trials.size(); ++i) {
        const Trial &t = trials[i];
        if (t.state != TrialState::Complete || m_axes.empty())
            continue;
        Line line;
        line.id = t.id;
        for (const MetricRef &m : m_axes) {
            const auto v = metricValue(t, m);
            if (!v || !std::isfinite(*v))
                break;
            line.values.push_back(*v);
        }
        if (line.values.size() != m_axes.size())
            continue;
        line.front = m_trials->isOnFront(int(i));
        for (std::size_t a = 0; a < m_axes.size(); ++a)
            columns[a].push_back(line.values[a]);
        m_lines.push_back(std::move(line));
    }
    m_scales.clear();
    const StudySpec &spec = m_trials->spec();
    for (std::size_t a = 0; a < m_axes.size(); ++a) {
        Axis axis;
        axis.scale = EncodingScale::of(columns[a]);
        const MetricRef &m = m_axes[a];
        axis.title = metricLabel(m) +
                     (metricDirection(spec, m) == Direction::Maximize ? QStringLiteral(" ↑") : QStringLiteral(" ↓"));
        if (axis.scale.valid) {
            axis.low = formatMetricValue(m, axis.scale.min);
            axis.high = formatMetricValue(m, axis.scale.max);
        }
        m_scales.push_back(axis);
    }
    for (Line &line : m_lines)
        for (std::size_t a = 0; a < m_axes.size(); ++a)
            line.places.push_back(m_scales[a].scale.normalise(line.values[a]));
    refilter();
}

void ParallelCoordinates::refilter()
{
    m_linesImage = QImage(); // redrawn on the next paint
    const bool active = m_filter && m_filter->isActive();
    for (Line &line : m_lines) {
        line.accepted = true;
        if (!active)
            continue;
        const Trial *t = m_trials->find(line.id);
        line.accepted = t && m_filter->accepts(*t);
    }
    update();
}

QList<qint64> ParallelCoordinates::drawnTrialIds() const
{
    QList<qint64> ids;
    for (const Line &l : m_lines)
        ids << l.id;
    return ids;
}

QList<qint64> ParallelCoordinates::acceptedTrialIds() const
{
    QList<qint64> ids;
    for (const Line &l : m_lines)
        if (l.accepted)
            ids << l.id;
    return ids;
}

QRectF ParallelCoordinates::plotArea() const
{
    // Room above for axis titles of up to three lines (target metrics on a narrow plot) and the high values, below
    // for the low values.
    const int line = fontMetrics().height();
    const double side = 48.0;
    return QRectF(side, 4.5 * line, std::max(10.0, width() - 2 * side), std::max(10.0, height() - 6.1 * line));
}

double ParallelCoordinates::axisX(int axis) const
{
    const QRectF area = plotArea();
    if (m_axes.size() <= 1)
        return area.center().x();
    return area.left() + area.width() * axis / double(m_axes.size() - 1);
}

double ParallelCoordinates::placeY(double place) const
{
    const QRectF area = plotArea();
    return area.bottom() - place * area.height();
}

QPointF ParallelCoordinates::pointOn(int axis, double value) const
{
    if (axis < 0 || axis >= int(m_scales.size()))
        return {-1, -1};
    return {axisX(axis), placeY(m_scales[std::size_t(axis)].scale.normalise(value))};
}

int ParallelCoordinates::axisNear(double x) const
{
    for (int a = 0; a < int(m_axes.size()); ++a)
        if (std::abs(x - axisX(a)) <= kAxisPickPixels)
            return a;
    return -1;
}

double ParallelCoordinates::valueAtY(int axis, double y) const
{
    const QRectF area = plotArea();
    const double place = std::clamp((area.bottom() - y) / area.height(), 0.0, 1.0);
    return m_scales[std::size_t(axis)].scale.valueAt(place);
}

qint64 ParallelCoordinates::trialAt(const QPointF &pos) const
{
    qint64 best = -1;
    double bestDistance = kPickPixels;
    for (const Line &l : m_lines) {
        for (std::size_t a = 0; a + 1 < l.places.size(); ++a) {
            const QPointF p0(axisX(int(a)), placeY(l.places[a]));
            const QPointF p1(axisX(int(a + 1)), placeY(l.places[a + 1]));
            if (pos.x() < p0.x() - kPickPixels || pos.x() > p1.x() + kPickPixels)
                continue;
            const double d = distanceToSegment(pos, p0, p1);
            if (d < bestDistance || (d == bestDistance && l.accepted)) {
                bestDistance = d;
                best = l.id;
            }
        }
    }
    return best;
}

void ParallelCoordinates::paintEvent(QPaintEvent *)
{
    QPainter painter(this);
    painter.setRenderHint(QPainter::Antialiasing);
    const QRectF area = plotArea();
    if (m_axes.empty() || m_lines.empty()) {
        painter.setPen(palette().color(QPalette::PlaceholderText));
        painter.drawText(rect(), Qt::AlignCenter,
                         m_axes.empty() ? tr("No metrics to show") : tr("No complete trials with every metric yet"));
        return;
    }
    const qreal ratio = devicePixelRatioF();
    if (m_linesImage.isNull() || m_linesImage.size() != size() * ratio) {
        // The lines change with the trials, the filter and the size only: drawn once into an image, so a repaint
        // (a brush being dragged, the selection) costs a blit. Tens of thousands of lines are drawn without
        // antialiasing, which is what keeps 100,000 of them under a second.
        m_linesImage = QImage(size() * ratio, QImage::Format_ARGB32_Premultiplied);
        m_linesImage.setDevicePixelRatio(ratio);
        m_linesImage.fill(Qt::transparent);
        QPainter lines(&m_linesImage);
        lines.setRenderHint(QPainter::Antialiasing, m_lines.size() <= 3000);
        // The geometry once (plotArea() measures the font): a line's points are then two multiply-adds each.
        std::vector<double> xs;
        for (int a = 0; a < int(m_axes.size()); ++a)
            xs.push_back(axisX(a));
        const double bottom = area.bottom(), height = area.height();
        QPolygonF polyline;
        const std::size_t stride = (m_lines.size() + kMaxDrawnLines - 1) / kMaxDrawnLines;
        m_drawnStride = int(stride);
        // Context first, then the kept lines, the front above them.
        for (int pass = 0; pass < 3; ++pass) {
            lines.setPen(QPen(pass == 0 ? kRejected : pass == 2 ? kFrontLine : kLine, pass == 2 ? 1.6 : 1.0));
            for (std::size_t i = 0; i < m_lines.size(); ++i) {
                const Line &l = m_lines[i];
                if ((!l.accepted ? 0 : l.front ? 2 : 1) != pass || (pass < 2 && i % stride != 0))
                    continue;
                polyline.clear();
                for (std::size_t a = 0; a < l.places.size(); ++a)
                    polyline << QPointF(xs[a], bottom - l.places[a] * height);
                lines.drawPolyline(polyline);
            }
        }
    }
    painter.drawImage(QPointF(0, 0), m_linesImage);
    if (m_drawnStride > 1) {
        painter.setPen(palette().color(QPalette::PlaceholderText));
        painter.drawText(rect().adjusted(4, 0, -4, -2), Qt::AlignRight | Qt::AlignBottom,
                         tr("1 in %1 lines drawn (every front line)").arg(m_drawnStride));
    }
    for (const Line &l : m_lines)
        if (l.id == m_selected) {
            QPolygonF polyline;
            for (std::size_t a = 0; a < l.places.size(); ++a)
                polyline << QPointF(axisX(int(a)), placeY(l.places[a]));
            painter.setPen(QPen(kSelected, 3.0));
            painter.drawPolyline(polyline);
        }

    // Axes, their ranges and brushes.
    const QFontMetrics fm = fontMetrics();
    for (int a = 0; a < int(m_axes.size()); ++a) {
        const double x = axisX(a);
        const Axis &axis = m_scales[std::size_t(a)];
        const TrialFilter::Range *range = m_filter ? m_filter->range(m_axes[std::size_t(a)]) : nullptr;
        double y0 = 0, y1 = 0;
        bool brushed = false;
        if (m_brushAxis == a) {
            y0 = m_brushStart;
            y1 = m_brushEnd;
            brushed = true;
        } else if (range && axis.scale.valid) {
            y0 = placeY(axis.scale.normalise(std::clamp(range->low, axis.scale.min, axis.scale.max)));
            y1 = placeY(axis.scale.normalise(std::clamp(range->high, axis.scale.min, axis.scale.max)));
            brushed = true;
        }
        if (brushed) {
            painter.setPen(QPen(kFrontLine, 1.0));
            painter.setBrush(kBrush);
            painter.drawRect(QRectF(x - 7, std::min(y0, y1), 14, std::max(2.0, std::abs(y1 - y0))));
            painter.setBrush(Qt::NoBrush);
        }
        painter.setPen(QPen(palette().color(QPalette::Text), 1.2));
        painter.drawLine(QPointF(x, area.top()), QPointF(x, area.bottom()));
        // Labels centred on their axis, kept inside the widget at the two ends; titles wrap onto two lines.
        const double w =
            std::min(double(width()), std::max(80.0, area.width() / std::max<std::size_t>(1, m_axes.size() - 1) - 6));
        const double left = std::clamp(x - w / 2, 0.0, width() - w);
        QFont bold = font();
        bold.setBold(true);
        painter.setFont(bold);
        painter.drawText(QRectF(left, 0, w, 3.3 * fm.height()), Qt::AlignHCenter | Qt::AlignBottom | Qt::TextWordWrap,
                         axis.title);
        painter.setFont(font());
        painter.drawText(QRectF(left, area.top() - fm.height() - 2, w, fm.height()), Qt::AlignHCenter,
                         axis.high + (axis.scale.log ? tr(" (log)") : QString()));
        painter.drawText(QRectF(left, area.bottom() + 2, w, fm.height()), Qt::AlignHCenter, axis.low);
    }
}

void ParallelCoordinates::mousePressEvent(QMouseEvent *event)
{
    if (event->button() != Qt::LeftButton)
        return QWidget::mousePressEvent(event);
    const QPointF pos = event->position();
    const int axis = axisNear(pos.x());
    if (axis >= 0 && m_filter && m_scales[std::size_t(axis)].scale.valid) {
        m_brushAxis = axis;
        m_brushStart = m_brushEnd = std::clamp(pos.y(), plotArea().top(), plotArea().bottom());
        update();
        return;
    }
    if (const qint64 id = trialAt(pos); id >= 0)
        emit trialClicked(id);
}

void ParallelCoordinates::mouseMoveEvent(QMouseEvent *event)
{
    if (m_brushAxis < 0)
        return QWidget::mouseMoveEvent(event);
    m_brushEnd = std::clamp(event->position().y(), plotArea().top(), plotArea().bottom());
    update();
}

void ParallelCoordinates::mouseReleaseEvent(QMouseEvent *event)
{
    if (m_brushAxis < 0)
        return QWidget::mouseReleaseEvent(event);
    const int axis = m_brushAxis;
    m_brushAxis = -1;
    const MetricRef metric = m_axes[std::size_t(axis)];
    if (std::abs(m_brushEnd - m_brushStart) < 3.0)
        m_filter->clearRange(metric); // a click: the axis's range goes
    else
        m_filter->setRange(metric, valueAtY(axis, m_brushStart), valueAtY(axis, m_brushEnd));
    update();
}

void ParallelCoordinates::contextMenuEvent(QContextMenuEvent *event)
{
    QMenu menu(this);
    menu.addSection(tr("Axes"));
    for (const MetricRef &m : studyMetrics(m_trials->spec())) {
        QAction *a = menu.addAction(metricLabel(m));
        a->setCheckable(true);
        a->setChecked(std::find(m_axes.begin(), m_axes.end(), m) != m_axes.end());
        connect(a, &QAction::toggled, this, [this, m](bool on) {
            std::vector<MetricRef> axes = m_axes;
            if (on)
                axes.push_back(m);
            else
                axes.erase(std::remove(axes.begin(), axes.end(), m), axes.end());
            if (!on && m_filter)
                m_filter->clearRange(m);
            setAxes(std::move(axes));
        });
    }
    menu.addSeparator();
    QAction *reset = menu.addAction(tr("Objectives and Constraints Only"));
    connect(reset, &QAction::triggered, this, [this] { setAxes(defaultAxes(m_trials->spec())); });
    if (m_filter && m_filter->isActive()) {
        QAction *clear = menu.addAction(tr("Clear All Ranges"));
        connect(clear, &QAction::triggered, m_filter, &TrialFilter::clear);
    }
    menu.exec(event->globalPos());
}

} // namespace psc
