// SPDX-License-Identifier: GPL-3.0-or-later
#include "plot/compressionpaths.h"

#include <qcustomplot.h>

#include <QPainterPath>

#include <cmath>
#include <unordered_map>

namespace psc {
namespace {

const QColor kArrow(0x6a, 0x3d, 0x9a, 215);
const QString kLayerName = QStringLiteral("compressionPaths");

// Pixels. The gaps keep the line off the discs (radius 3.5, front 4.5) so both ends stay readable.
constexpr double kStartGap = 5.0;
constexpr double kEndGap = 6.0;
constexpr double kHeadLength = 8.0;
constexpr double kHeadHalfWidth = 3.5;
constexpr double kPenWidth = 1.3;

/** Shafts as one batch of lines and heads as one filled path: two draw calls for any number of arrows. */
void drawArrows(QCPPainter *painter, const std::vector<QLineF> &lines, double startGap, double endGap)
{
    QVector<QLineF> shafts;
    QPainterPath heads;
    shafts.reserve(qsizetype(lines.size()));
    for (const QLineF &l : lines) {
        const double length = l.length();
        const double available = length - startGap - endGap;
        if (!(available > 2.0))
            continue; // parent and child (almost) coincide: an arrow would be a blob
        const QPointF unit = (l.p2() - l.p1()) / length;
        const QPointF normal(-unit.y(), unit.x());
        const QPointF start = l.p1() + unit * startGap;
        const QPointF tip = l.p2() - unit * endGap;
        const double head = std::min(kHeadLength, available);
        const QPointF base = tip - unit * head;
        if (available > head)
            shafts.push_back(QLineF(start, base));
        const double half = kHeadHalfWidth * head / kHeadLength;
        heads.addPolygon(QPolygonF{tip, base + normal * half, base - normal * half, tip});
    }
    painter->setPen(QPen(kArrow, kPenWidth, Qt::SolidLine, Qt::FlatCap));
    painter->drawLines(shafts);
    painter->setPen(Qt::NoPen);
    painter->setBrush(kArrow);
    painter->drawPath(heads);
}

/** An arrow and its text in the legend. */
class ArrowLegendItem : public QCPAbstractLegendItem
{
public:
    ArrowLegendItem(QCPLegend *legend, QString text) : QCPAbstractLegendItem(legend), m_text(std::move(text)) {}

protected:
    QSize minimumOuterSizeHint() const override
    {
        const QSize icon = mParentLegend->iconSize();
        const QRect text = QFontMetrics(mFont).boundingRect(0, 0, 0, icon.height(), Qt::TextDontClip, m_text);
        return QSize(icon.width() + mParentLegend->iconTextPadding() + text.width(),
                     std::max(text.height(), icon.height())) +
               QSize(mMargins.left() + mMargins.right(), mMargins.top() + mMargins.bottom());
    }

    void draw(QCPPainter *painter) override
    {
        const QSize icon = mParentLegend->iconSize();
        painter->setFont(mFont);
        const QRect text = painter->fontMetrics().boundingRect(0, 0, 0, icon.height(), Qt::TextDontClip, m_text);
        const int height = std::max(text.height(), icon.height());
        const double y = mRect.y() + height / 2.0;
        drawArrows(painter, {QLineF(mRect.x() + 2.0, y, mRect.x() + icon.width() - 2.0, y)}, 0.0, 0.0);
        painter->setPen(QPen(mTextColor));
        painter->drawText(mRect.x() + icon.width() + mParentLegend->iconTextPadding(), mRect.y(), text.width(), height,
                          Qt::TextDontClip, m_text);
    }

private:
    QString m_text;
};

} // namespace

class CompressionArrowLayer : public QCPLayerable
{
public:
    explicit CompressionArrowLayer(QCustomPlot *plot) : QCPLayerable(plot, kLayerName) {}

    std::vector<CompressionArrow> arrows;
    ArrowLegendItem *legendItem = nullptr; ///< owned by the legend

protected:
    void applyDefaultAntialiasingHint(QCPPainter *painter) const override
    {
        applyAntialiasingHint(painter, mAntialiased, QCP::aeItems);
    }

    QRect clipRect() const override { return mParentPlot->axisRect()->rect(); }

    void draw(QCPPainter *painter) override
    {
        if (arrows.empty())
            return;
        const QCPAxis *x = mParentPlot->xAxis;
        const QCPAxis *y = mParentPlot->yAxis;
        std::vector<QLineF> lines;
        lines.reserve(arrows.size());
        for (const CompressionArrow &a : arrows)
            lines.emplace_back(x->coordToPixel(a.from.x()), y->coordToPixel(a.from.y()), x->coordToPixel(a.to.x()),
                               y->coordToPixel(a.to.y()));
        drawArrows(painter, lines, kStartGap, kEndGap);
    }
};

std::vector<CompressionArrow> computeCompressionArrows(const std::vector<Trial> &trials,
                                                       const std::vector<ScatterPoint> &points)
{
    std::unordered_map<qint64, qint64> parentOf;
    for (const Trial &t : trials)
        if (t.parentId)
            parentOf.emplace(t.id, *t.parentId);
    std::vector<CompressionArrow> out;
    if (parentOf.empty())
        return out;
    // Points by (series, trial): with all targets a trial has one point per target.
    auto key = [](int series, qint64 id) {
        return (std::uint64_t(std::uint32_t(series + 1)) << 48) ^ std::uint64_t(id);
    };
    std::unordered_map<std::uint64_t, const ScatterPoint *> pointOf;
    pointOf.reserve(points.size());
    for (const ScatterPoint &p : points)
        pointOf.emplace(key(p.series, p.id), &p);
    for (const ScatterPoint &child : points) {
        const auto parent = parentOf.find(child.id);
        if (parent == parentOf.end())
            continue;
        const auto from = pointOf.find(key(child.series, parent->second));
        if (from == pointOf.end())
            continue;
        const ScatterPoint &p = *from->second;
        out.push_back(CompressionArrow{p.id, child.id, QPointF(p.x, p.y), QPointF(child.x, child.y), child.series});
    }
    return out;
}

CompressionPaths::CompressionPaths(QCustomPlot *plot) : m_plot(plot)
{
    if (!plot->layer(kLayerName))
        plot->addLayer(kLayerName, plot->layer(QStringLiteral("main")), QCustomPlot::limBelow);
    m_layer = new CompressionArrowLayer(plot);
}

void CompressionPaths::set(std::vector<CompressionArrow> arrows)
{
    m_layer->arrows = std::move(arrows);
    updateLegend();
}

const std::vector<CompressionArrow> &CompressionPaths::arrows() const
{
    return m_layer->arrows;
}

void CompressionPaths::updateLegend()
{
    QCPLegend *legend = m_plot->legend;
    if (m_layer->legendItem) {
        legend->removeItem(m_layer->legendItem); // deletes it
        m_layer->legendItem = nullptr;
    }
    if (!m_layer->arrows.empty()) {
        m_layer->legendItem = new ArrowLegendItem(legend, QCustomPlot::tr("Compression path (parent → child)"));
        legend->addItem(m_layer->legendItem);
    }
}

} // namespace psc
