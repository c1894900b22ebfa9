// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <vector>

namespace psc {

/** Mean and sample standard deviation of a set of draws. */
struct MeanStd
{
    double mean = 0.0;
    double std = 0.0; ///< with Bessel's correction (n - 1); 0 for fewer than two values
};

/** Of `values`; both 0 when it is empty. Any thread. */
MeanStd meanAndStd(const std::vector<double> &values);

} // namespace psc
