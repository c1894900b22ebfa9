// SPDX-License-Identifier: GPL-3.0-or-later
#include "plot/readablelogticker.h"

#include <qcustomplot.h>

#include <cmath>
#include <vector>

namespace psc {

QVector<double> readableLogTicks(double lower, double upper)
{
    const double lo = std::min(lower, upper), hi = std::max(lower, upper);
    if (!(lo > 0) || !std::isfinite(hi) || hi / lo >= 1000.0)
        return {};
    const double ratio = hi / lo;
    const std::vector<double> mantissas = ratio < 10.0    ? std::vector<double>{1, 2, 3, 4, 5, 6, 7, 8, 9}
                                          : ratio < 100.0 ? std::vector<double>{1, 2, 5}
                                                          : std::vector<double>{1, 3};
    QVector<double> ticks;
    double below = 0, above = INFINITY;
    for (int exponent = int(std::floor(std::log10(lo))) - 1; exponent <= int(std::ceil(std::log10(hi))) + 1; ++exponent)
        for (double m : mantissas) {
            const double t = m * std::pow(10.0, exponent);
            if (t < lo * (1 - 1e-12))
                below = t;
            else if (t > hi * (1 + 1e-12))
                above = std::min(above, t);
            else
                ticks.push_back(t);
        }
    if (below > 0)
        ticks.prepend(below);
    if (std::isfinite(above))
        ticks.push_back(above);
    return ticks;
}

namespace {

class ReadableLogTicker : public QCPAxisTickerLog
{
protected:
    int getSubTickCount(double tickStep) override { return m_dense ? 0 : QCPAxisTickerLog::getSubTickCount(tickStep); }

    QVector<double> createTickVector(double tickStep, const QCPRange &range) override
    {
        QVector<double> ticks = readableLogTicks(range.lower, range.upper);
        m_dense = !ticks.isEmpty();
        return m_dense ? ticks : QCPAxisTickerLog::createTickVector(tickStep, range);
    }

private:
    bool m_dense = false; ///< the last tick vector was ours (no sub ticks then)
};

} // namespace

QSharedPointer<QCPAxisTicker> createReadableLogTicker()
{
    return QSharedPointer<ReadableLogTicker>::create();
}

} // namespace psc
