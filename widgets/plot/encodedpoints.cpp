// SPDX-License-Identifier: GPL-3.0-or-later
#include "plot/encodedpoints.h"

#include <algorithm>
#include <cmath>

namespace psc {
namespace {

constexpr double kMinDiameter = 6.0;
constexpr double kMaxDiameter = 22.0;

bool inDomain(double v, QCP::SignDomain domain)
{
    return domain == QCP::sdBoth || (domain == QCP::sdPositive && v > 0) || (domain == QCP::sdNegative && v < 0);
}

} // namespace

EncodingScale EncodingScale::of(const std::vector<double> &values)
{
    EncodingScale s;
    for (double v : values) {
        if (!std::isfinite(v))
            continue;
        s.min = s.valid ? std::min(s.min, v) : v;
        s.max = s.valid ? std::max(s.max, v) : v;
        s.valid = true;
    }
    s.log = s.valid && s.min > 0 && s.max / s.min >= 100.0;
    return s;
}

double EncodingScale::normalise(double value) const
{
    if (!std::isfinite(value) || !valid)
        return NAN;
    if (max <= min)
        return 0.5;
    const double t = log ? std::log(value / min) / std::log(max / min) : (value - min) / (max - min);
    return std::clamp(t, 0.0, 1.0);
}

double EncodingScale::valueAt(double t) const
{
    if (max <= min)
        return min;
    return log ? min * std::pow(max / min, t) : min + t * (max - min);
}

double encodedDiameter(double t)
{
    if (!std::isfinite(t))
        return kMinDiameter;
    const double a0 = kMinDiameter * kMinDiameter, a1 = kMaxDiameter * kMaxDiameter;
    return std::sqrt(a0 + std::clamp(t, 0.0, 1.0) * (a1 - a0));
}

QCPColorGradient viridisGradient()
{
    // Five stops of matplotlib's viridis colour map (van der Walt and Smith, 2015).
    QCPColorGradient g;
    g.clearColorStops();
    g.setColorStopAt(0.0, QColor(0x44, 0x01, 0x54));
    g.setColorStopAt(0.25, QColor(0x3b, 0x52, 0x8b));
    g.setColorStopAt(0.5, QColor(0x21, 0x91, 0x8c));
    g.setColorStopAt(0.75, QColor(0x5e, 0xc9, 0x62));
    g.setColorStopAt(1.0, QColor(0xfd, 0xe7, 0x25));
    g.setColorInterpolation(QCPColorGradient::ciRGB);
    return g;
}

EncodedPoints::EncodedPoints(QCPAxis *keyAxis, QCPAxis *valueAxis)
    : QCPAbstractPlottable(keyAxis, valueAxis), m_gradient(viridisGradient())
{
    setSelectable(QCP::stNone);
    setAntialiasedScatters(true);
}

void EncodedPoints::setPoints(std::vector<Point> points)
{
    m_points = std::move(points);
}

QColor EncodedPoints::colourAt(double t) const
{
    if (!std::isfinite(t))
        return QColor(0x9e, 0x9e, 0x9e);
    return QColor::fromRgb(m_gradient.color(t, QCPRange(0.0, 1.0)));
}

double EncodedPoints::selectTest(const QPointF &, bool, QVariant *) const
{
    return -1.0;
}

QCPRange EncodedPoints::getKeyRange(bool &foundRange, QCP::SignDomain inSignDomain) const
{
    QCPRange r;
    foundRange = false;
    for (const Point &p : m_points)
        if (inDomain(p.x, inSignDomain)) {
            r = foundRange ? QCPRange(std::min(r.lower, p.x), std::max(r.upper, p.x)) : QCPRange(p.x, p.x);
            foundRange = true;
        }
    return r;
}

QCPRange EncodedPoints::getValueRange(bool &foundRange, QCP::SignDomain inSignDomain, const QCPRange &) const
{
    QCPRange r;
    foundRange = false;
    for (const Point &p : m_points)
        if (inDomain(p.y, inSignDomain)) {
            r = foundRange ? QCPRange(std::min(r.lower, p.y), std::max(r.upper, p.y)) : QCPRange(p.y, p.y);
            foundRange = true;
        }
    return r;
}

void EncodedPoints::draw(QCPPainter *painter)
{
    QCPAxis *key = keyAxis(), *value = valueAxis();
    if (!key || !value)
        return;
    applyScattersAntialiasingHint(painter);
    for (const Point &p : m_points) {
        const QPointF c(key->coordToPixel(p.x), value->coordToPixel(p.y));
        const double r = p.diameter / 2.0;
        const bool known = std::isfinite(p.colour);
        const QColor fill = colourAt(p.colour);
        painter->setPen(p.front ? QPen(QColor(0x20, 0x20, 0x20), 1.8) : QPen(known ? fill.darker(140) : fill, 1.0));
        painter->setBrush(known ? QBrush(fill) : Qt::NoBrush);
        painter->drawEllipse(c, r, r);
    }
}

void EncodedPoints::drawLegendIcon(QCPPainter *, const QRectF &) const {}

} // namespace psc
