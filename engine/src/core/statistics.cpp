// SPDX-License-Identifier: GPL-3.0-or-later
#include "psc/core/statistics.h"

#include <cmath>

namespace psc {

MeanStd meanAndStd(const std::vector<double> &values)
{
    MeanStd r;
    if (values.empty())
        return r;
    for (double v : values)
        r.mean += v;
    r.mean /= double(values.size());
    double sq = 0.0;
    for (double v : values)
        sq += (v - r.mean) * (v - r.mean);
    r.std = values.size() > 1 ? std::sqrt(sq / double(values.size() - 1)) : 0.0;
    return r;
}

} // namespace psc
