// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "plot/paretoscatter.h"

#include <qcustomplot.h>

#include <vector>

namespace psc {

/**
 * How a value maps onto a visual channel (a colour or a point's size): the range of the values present and whether
 * it is read on a log scale (positive values spanning two decades or more, as byte counts and latencies do).
 */
struct EncodingScale
{
    double min = 0.0;
    double max = 0.0;
    bool log = false;
    bool valid = false; ///< at least one value

    /** The scale of `values` (NaN values are skipped). */
    static EncodingScale of(const std::vector<double> &values);
    /** `value`'s place in [0, 1] (0.5 when the range is a single value), or NaN for NaN. */
    double normalise(double value) const;
    /** The value at place `t` in [0, 1]: the inverse of normalise(). */
    double valueAt(double t) const;
};

/** The diameter in pixels of a point whose size value sits at `t` in [0, 1]: area grows linearly with t. */
double encodedDiameter(double t);

/** Viridis (perceptually uniform, readable in grey and by most colour-blind readers), dark purple to yellow. */
QCPColorGradient viridisGradient();

/**
 * A plottable of points each with its own colour and size (the Pareto plot's third and fourth metric). A point
 * whose colour value is missing is drawn hollow in grey. Not selectable (the plot finds points itself); drawn in
 * the order given. GUI thread only.
 */
class EncodedPoints : public QCPAbstractPlottable
{
    Q_OBJECT
public:
    using Point = EncodedPoint;

    EncodedPoints(QCPAxis *keyAxis, QCPAxis *valueAxis);

    void setPoints(std::vector<Point> points);
    const std::vector<Point> &points() const { return m_points; }
    void setGradient(const QCPColorGradient &gradient) { m_gradient = gradient; }
    /** The colour drawn for a place `t` on the colour scale (grey for NaN). */
    QColor colourAt(double t) const;

    double selectTest(const QPointF &pos, bool onlySelectable, QVariant *details = nullptr) const override;
    QCPRange getKeyRange(bool &foundRange, QCP::SignDomain inSignDomain = QCP::sdBoth) const override;
    QCPRange getValueRange(bool &foundRange, QCP::SignDomain inSignDomain = QCP::sdBoth,
                           const QCPRange &inKeyRange = QCPRange()) const override;

protected:
    void draw(QCPPainter *painter) override;
    void drawLegendIcon(QCPPainter *painter, const QRectF &rect) const override;

private:
    std::vector<Point> m_points;
    mutable QCPColorGradient m_gradient; ///< color() fills its lookup table on first use
};

} // namespace psc
