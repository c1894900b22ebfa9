// SPDX-License-Identifier: GPL-3.0-or-later
#include "plot/paretographs.h"

#include "plot/readablelogticker.h"

#include <qcustomplot.h>

#include <algorithm>
#include <cmath>
#include <tuple>

namespace psc {
namespace {

const QColor kDominated(0x4f, 0x81, 0xbd);
const QColor kFront(0xe0, 0x5a, 0x10);
const QColor kRing(0x30, 0x30, 0x30);
const QColor kRejected(0xa8, 0xa8, 0xa8);
const QColor kSelection(0x10, 0xa0, 0x60);
const QColor kImported(0x80, 0x30, 0xa0);
const QColor kPruned(0x6a, 0x8c, 0xaf);
constexpr qsizetype kAntialiasedPointLimit = 2000;
/// Above this many dominated points they are drawn as one image (RasterScatter) rather than one disc each by
/// QCPGraph: 100,000 discs take QCustomPlot about 100 ms, the image a few.
constexpr qsizetype kRasterPointLimit = 20000;

void showInLegend(QCPGraph *graph, bool show)
{
    if (show)
        graph->addToLegend();
    else
        graph->removeFromLegend();
}

} // namespace

/**
 * Many points of one colour drawn as one image: each point's disc (antialiased, `diameter` pixels) is blended into a
 * transparent image the size of the axis rect, which is then drawn once. A second point centred on the same pixel is
 * skipped (it would only darken the disc a little). Drawn at the painter's scale, so exports at twice the pixels
 * stay sharp; vector exports (PDF, SVG) embed the image. On a layer below the graphs, so the front and the markers
 * stay on top.
 */
class RasterScatter : public QCPLayerable
{
public:
    RasterScatter(QCustomPlot *plot, const QColor &fill, double diameter)
        : QCPLayerable(plot, QStringLiteral("raster")), m_fill(fill), m_diameter(diameter)
    {}
    void setPoints(QVector<QPointF> points) { m_points = std::move(points); }
    qsizetype size() const { return m_points.size(); }

protected:
    void applyDefaultAntialiasingHint(QCPPainter *painter) const override
    {
        applyAntialiasingHint(painter, false, QCP::aeScatters);
    }
    QRect clipRect() const override { return mParentPlot->axisRect()->rect(); }
    void draw(QCPPainter *painter) override;

private:
    QVector<QPointF> m_points;
    QColor m_fill;
    double m_diameter = 7.0;
};

namespace {

/** Pixel position along `axis` of values, by the axis's own mapping of its range ends (linear or logarithmic). */
struct AxisMap
{
    double origin = 0.0, scale = 0.0, start = 0.0;
    bool log = false;
    AxisMap(const QCPAxis *axis, double offset, double factor)
    {
        log = axis->scaleType() == QCPAxis::stLogarithmic;
        const QCPRange r = axis->range();
        const double p0 = axis->coordToPixel(r.lower), p1 = axis->coordToPixel(r.upper);
        start = log ? std::log(r.lower) : r.lower;
        const double end = log ? std::log(r.upper) : r.upper;
        origin = (p0 - offset) * factor;
        scale = end != start ? (p1 - p0) * factor / (end - start) : 0.0;
    }
    double operator()(double v) const { return origin + ((log ? std::log(v) : v) - start) * scale; }
};

} // namespace

void RasterScatter::draw(QCPPainter *painter)
{
    if (m_points.isEmpty())
        return;
    const QRect area = mParentPlot->axisRect()->rect();
    const double scale = painter->transform().m11() > 0 ? painter->transform().m11() : 1.0;
    const int width = int(std::ceil(area.width() * scale)), height = int(std::ceil(area.height() * scale));
    if (width <= 0 || height <= 0)
        return;
    // The disc once, antialiased: its coverage per pixel (the fill's own alpha included).
    const double diameter = m_diameter * scale;
    const int side = int(std::ceil(diameter)) + 2;
    QImage sprite(side, side, QImage::Format_ARGB32_Premultiplied);
    sprite.fill(Qt::transparent);
    {
        QPainter p(&sprite);
        p.setRenderHint(QPainter::Antialiasing);
        p.setPen(Qt::NoPen);
        p.setBrush(QColor(0, 0, 0, m_fill.alpha()));
        p.drawEllipse(QRectF((side - diameter) / 2.0, (side - diameter) / 2.0, diameter, diameter));
    }
    // Every disc has the same colour, so blending them "source over" leaves a pixel that colour with an opacity of
    // 1 - prod(1 - coverage): only that product is kept per pixel (as its logarithm, a sum), one disc per pixel.
    struct Tap
    {
        int dx, dy;
        float logClear;
    };
    std::vector<Tap> taps;
    const int half = side / 2;
    for (int sy = 0; sy < side; ++sy)
        for (int sx = 0; sx < side; ++sx)
            if (const int a = qAlpha(sprite.pixel(sx, sy)); a > 0)
                taps.push_back({sx - half, sy - half, a >= 255 ? -30.0f : float(std::log1p(-a / 255.0))});
    std::vector<std::uint8_t> hit(std::size_t(width) * std::size_t(height), 0);
    std::vector<float> logClear(hit.size(), 0.0f);
    const AxisMap mapX(mParentPlot->xAxis, area.left(), scale), mapY(mParentPlot->yAxis, area.top(), scale);
    const bool logX = mapX.log, logY = mapY.log;
    for (const QPointF &p : m_points) {
        if ((logX && p.x() <= 0) || (logY && p.y() <= 0))
            continue;
        const double fx = mapX(p.x()), fy = mapY(p.y());
        if (!(fx > -side && fy > -side && fx < width + side && fy < height + side))
            continue;
        const int cx = int(std::lround(fx)), cy = int(std::lround(fy));
        if (cx >= 0 && cy >= 0 && cx < width && cy < height) {
            std::uint8_t &h = hit[std::size_t(cy) * std::size_t(width) + std::size_t(cx)];
            if (h)
                continue;
            h = 1;
        }
        const bool inside = cx - half >= 0 && cy - half >= 0 && cx + half < width && cy + half < height;
        for (const Tap &t : taps) {
            const int x = cx + t.dx, y = cy + t.dy;
            if (inside || (x >= 0 && y >= 0 && x < width && y < height))
                logClear[std::size_t(y) * std::size_t(width) + std::size_t(x)] += t.logClear;
        }
    }
    QImage image(width, height, QImage::Format_ARGB32_Premultiplied);
    const double r = m_fill.redF(), g = m_fill.greenF(), b = m_fill.blueF();
    for (int y = 0; y < height; ++y) {
        auto *line = reinterpret_cast<QRgb *>(image.scanLine(y));
        const float *clear = logClear.data() + std::size_t(y) * std::size_t(width);
        for (int x = 0; x < width; ++x) {
            if (clear[x] == 0.0f) {
                line[x] = 0;
                continue;
            }
            const double opacity = 1.0 - std::exp(double(clear[x]));
            line[x] = qRgba(int(r * opacity * 255.0 + 0.5), int(g * opacity * 255.0 + 0.5),
                            int(b * opacity * 255.0 + 0.5), int(opacity * 255.0 + 0.5));
        }
    }
    painter->drawImage(QRectF(area), image);
}

ParetoGraphs::ParetoGraphs(QCustomPlot *plot) : m_targets(plot)
{
    auto scatter = [plot](const QString &name, QCPScatterStyle style) {
        QCPGraph *graph = plot->addGraph();
        graph->setName(name);
        graph->setLineStyle(QCPGraph::lsNone);
        graph->setScatterStyle(style);
        return graph;
    };
    m_rejected = scatter(QCustomPlot::tr("Infeasible / failed"),
                         QCPScatterStyle(QCPScatterStyle::ssCross, QPen(kRejected, 1.5), Qt::NoBrush, 7));
    m_pruned = scatter(QCustomPlot::tr("Stopped early (pruned)"),
                       QCPScatterStyle(QCPScatterStyle::ssTriangleInverted, QPen(kPruned, 1.3), Qt::NoBrush, 7));
    QColor dominatedFill = kDominated;
    dominatedFill.setAlpha(170);
    m_dominated = scatter(QCustomPlot::tr("Dominated"), QCPScatterStyle(QCPScatterStyle::ssDisc, dominatedFill, 7));
    m_front = scatter(QCustomPlot::tr("Pareto front (these two axes)"),
                      QCPScatterStyle(QCPScatterStyle::ssDisc, QPen(kFront.darker(130), 1), kFront, 9));
    m_front->setPen(QPen(kFront, 1.6));
    m_studyFront = scatter(QCustomPlot::tr("On the study's front (all objectives)"),
                           QCPScatterStyle(QCPScatterStyle::ssCircle, QPen(kRing, 1.3), Qt::NoBrush, 14));
    m_imported = scatter(QCustomPlot::tr("Imported model (not searched)"),
                         QCPScatterStyle(QCPScatterStyle::ssDiamond, QPen(kImported, 1.6), Qt::NoBrush, 16));
    m_selection = scatter(QString(), QCPScatterStyle(QCPScatterStyle::ssCircle, QPen(kSelection, 3), Qt::NoBrush, 20));
    m_selection->removeFromLegend();
    // Rings, diamonds and the selection on a layer of their own above the points, so points drawn later (coloured by a
    // third metric, EncodedPoints) go between them.
    if (!plot->layer(QStringLiteral("markers")))
        plot->addLayer(QStringLiteral("markers"), plot->layer(QStringLiteral("main")), QCustomPlot::limAbove);
    for (QCPGraph *marker : {m_studyFront, m_imported, m_selection})
        marker->setLayer(QStringLiteral("markers"));
    auto bars = [plot](QCPGraph *graph, QCPErrorBars::ErrorType type, const QColor &colour) {
        auto *b = new QCPErrorBars(plot->xAxis, plot->yAxis);
        b->removeFromLegend();
        b->setDataPlottable(graph);
        b->setErrorType(type);
        b->setPen(QPen(colour, 1.0));
        b->setWhiskerWidth(5);
        return b;
    };
    if (!plot->layer(QStringLiteral("raster")))
        plot->addLayer(QStringLiteral("raster"), plot->layer(QStringLiteral("main")), QCustomPlot::limBelow);
    m_raster = new RasterScatter(plot, dominatedFill, 7);
    m_dominatedXErrors = bars(m_dominated, QCPErrorBars::etKeyError, kDominated);
    m_dominatedYErrors = bars(m_dominated, QCPErrorBars::etValueError, kDominated);
    m_frontXErrors = bars(m_front, QCPErrorBars::etKeyError, kFront);
    m_frontYErrors = bars(m_front, QCPErrorBars::etValueError, kFront);
}

void ParetoGraphs::set(const std::vector<ScatterPoint> &points, const QStringList &targets, bool stepLeft, bool rings)
{
    const bool all = !targets.isEmpty();
    QVector<double> rx, ry, sfx, sfy, ix, iy, px, py;
    // Dominated and front points sorted by x, as QCPGraph keeps its data: error bars are index-aligned with it.
    std::vector<const ScatterPoint *> dominated, front;
    for (const ScatterPoint &p : points) {
        if (p.imported) {
            ix.push_back(p.x);
            iy.push_back(p.y);
        }
        if (p.kind == ScatterPoint::Kind::Pruned) {
            px.push_back(p.x);
            py.push_back(p.y);
            continue;
        }
        if (all && p.kind != ScatterPoint::Kind::Rejected)
            continue; // drawn by the target graphs
        if (p.kind == ScatterPoint::Kind::Dominated) {
            dominated.push_back(&p);
        } else if (p.kind == ScatterPoint::Kind::Front) {
            front.push_back(&p);
        } else {
            rx.push_back(p.x);
            ry.push_back(p.y);
        }
        if (p.onStudyFront) {
            sfx.push_back(p.x);
            sfy.push_back(p.y);
        }
    }
    // Very many dominated points are drawn as one image; no error bars for them then (their spread is in the tooltip).
    QVector<QPointF> raster;
    if (qsizetype(dominated.size()) > kRasterPointLimit) {
        raster.reserve(qsizetype(dominated.size()));
        for (const ScatterPoint *p : dominated)
            raster.push_back(QPointF(p->x, p->y));
        dominated.clear();
    }
    m_raster->setPoints(std::move(raster));
    const auto byX = [](const ScatterPoint *a, const ScatterPoint *b) { return a->x < b->x; };
    std::stable_sort(dominated.begin(), dominated.end(), byX);
    std::stable_sort(front.begin(), front.end(), byX);
    QVector<double> dx, dy, dxe, dye, fx, fy, fxe, fye;
    bool anyXError = false, anyYError = false;
    for (const auto &[list, x, y, xe, ye] : {std::tie(dominated, dx, dy, dxe, dye), std::tie(front, fx, fy, fxe, fye)})
        for (const ScatterPoint *p : list) {
            x.push_back(p->x);
            y.push_back(p->y);
            xe.push_back(p->xError);
            ye.push_back(p->yError);
            anyXError = anyXError || p->xError > 0.0;
            anyYError = anyYError || p->yError > 0.0;
        }
    m_dominated->setData(dx, dy, true);
    // Thousands of antialiased discs take tens of milliseconds to draw; that many overlap anyway, so large studies
    // draw their dominated points without antialiasing (vector exports are unaffected: PDF and SVG viewers smooth).
    m_dominated->setAntialiasedScatters(dx.size() < kAntialiasedPointLimit);
    m_rejected->setData(rx, ry);
    m_front->setData(fx, fy, true); // sorted by x: the staircase runs along the front
    m_dominatedXErrors->setData(dxe);
    m_dominatedYErrors->setData(dye);
    m_frontXErrors->setData(fxe);
    m_frontYErrors->setData(fye);
    // With all targets the target graphs draw the points; their spread is in the tooltips only.
    m_dominatedXErrors->setVisible(anyXError && !all);
    m_frontXErrors->setVisible(anyXError && !all);
    m_dominatedYErrors->setVisible(anyYError && !all);
    m_frontYErrors->setVisible(anyYError && !all);
    // Minimising x, a point's value holds to the right until the next point; maximising, to the left.
    m_front->setLineStyle(stepLeft ? QCPGraph::lsStepLeft : QCPGraph::lsStepRight);
    showInLegend(m_dominated, !all);
    showInLegend(m_front, !all);
    if (all)
        m_targets.set(targets, points, stepLeft);
    else
        m_targets.clear();
    // With all targets a trial has several points: rings would mark each of them, so they are left out.
    rings = rings && !all;
    m_studyFront->setData(sfx, sfy);
    showInLegend(m_studyFront, rings && !sfx.isEmpty());
    m_studyFront->setVisible(rings);
    showInLegend(m_rejected, !rx.isEmpty());
    m_pruned->setData(px, py);
    showInLegend(m_pruned, !px.isEmpty());
    m_imported->setData(ix, iy);
    showInLegend(m_imported, !ix.isEmpty());
}

void ParetoGraphs::setSelection(const std::vector<ScatterPoint> &points, qint64 id)
{
    QVector<double> sx, sy;
    for (const ScatterPoint &p : points)
        if (p.id == id) {
            sx.push_back(p.x);
            sy.push_back(p.y);
        }
    m_selection->setData(sx, sy);
}

void fitAxes(QCustomPlot &plot, const std::vector<ScatterPoint> &points, bool logX, bool logY, bool fitRanges)
{
    const std::pair<QCPAxis *, bool> axes[] = {{plot.xAxis, logX}, {plot.yAxis, logY}};
    for (const auto &[axis, log] : axes) {
        const bool wasLog = axis->scaleType() == QCPAxis::stLogarithmic;
        if (log != wasLog) {
            axis->setScaleType(log ? QCPAxis::stLogarithmic : QCPAxis::stLinear);
            if (log)
                axis->setTicker(createReadableLogTicker());
            else
                axis->setTicker(QSharedPointer<QCPAxisTicker>::create());
        }
    }
    if (!fitRanges)
        return;
    if (points.empty()) {
        plot.xAxis->setRange(0, 1);
        plot.yAxis->setRange(0, 1);
        return;
    }
    for (const auto &[axis, log] : axes) {
        const bool isX = axis == plot.xAxis;
        double lo = INFINITY, hi = -INFINITY;
        for (const ScatterPoint &p : points) {
            lo = std::min(lo, isX ? p.x : p.y);
            hi = std::max(hi, isX ? p.x : p.y);
        }
        if (log) {
            axis->setRange(lo / 1.25, hi * 1.25);
        } else {
            const double margin = hi > lo ? (hi - lo) * 0.08 : std::max(std::abs(hi) * 0.1, 1.0);
            axis->setRange(lo - margin, hi + margin);
        }
    }
}

void wrapLegend(QCPLegend *legend, int width)
{
    // Cells in fill order; a wrapped grid has empty cells after the last entry.
    std::vector<int> widths;
    for (int i = 0; i < legend->itemCount(); ++i)
        if (const QCPAbstractLegendItem *item = legend->item(i))
            widths.push_back(item->minimumOuterSizeHint().width());
    const int count = int(widths.size());
    const QMargins m = legend->margins();
    const int available = width - m.left() - m.right();
    int columns = std::max(count, 1);
    for (; columns > 1; --columns) {
        // Filled columns first: a column is as wide as its widest entry over all rows.
        std::vector<int> column(std::size_t(columns), 0);
        for (int i = 0; i < count; ++i)
            column[std::size_t(i % columns)] = std::max(column[std::size_t(i % columns)], widths[std::size_t(i)]);
        int total = legend->columnSpacing() * (columns - 1);
        for (int w : column)
            total += w;
        if (total <= available)
            break;
    }
    if (legend->wrap() != (columns >= count ? 0 : columns)) {
        legend->setWrap(columns >= count ? 0 : columns);
        legend->setFillOrder(QCPLegend::foColumnsFirst, true);
    }
}

} // namespace psc
