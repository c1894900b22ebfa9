// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QSharedPointer>
#include <QVector>

class QCPAxisTicker;

namespace psc {

/**
 * Major ticks for a logarithmic axis over [lower, upper] that label short ranges too: QCustomPlot's log ticker puts
 * them at powers of ten only, so an axis from 2 ms to 40 ms shows one label. Below three decades this gives 1 and 3
 * times each power of ten; below two, 1, 2 and 5; within one, 1, 2, ..., 9; plus one tick beyond each end. Empty for
 * three decades or more, or a range that is not positive (QCustomPlot's decades are right there). Pure.
 */
QVector<double> readableLogTicks(double lower, double upper);

/** A QCPAxisTickerLog that uses readableLogTicks() where it is not empty (without sub ticks then). */
QSharedPointer<QCPAxisTicker> createReadableLogTicker();

} // namespace psc
