// SPDX-License-Identifier: GPL-3.0-or-later
#include "psc/study/analogdrift.h"

#include <algorithm>
#include <cmath>

namespace psc {

AnalogRecord analogRecord(std::int64_t trialId, const std::string &target, const AnalogAccuracy &accuracy,
                          const AnalogOptions &options, int images)
{
    AnalogRecord r;
    r.trialId = trialId;
    r.target = target;
    r.seconds = accuracy.seconds;
    r.compensation = std::string(toString(options.compensation.value_or(plugin::AnalogDriftCompensation::Global)));
    r.repeats = options.repeats;
    r.images = images;
    r.seed = std::int64_t(options.seed);
    r.mean = accuracy.mean;
    r.std = accuracy.std;
    r.draws = accuracy.draws;
    return r;
}

const std::vector<double> &driftTimeGrid()
{
    static const std::vector<double> grid{1.0, 60.0, 3600.0, 86400.0, 604800.0, 2592000.0, 31536000.0, 315360000.0};
    return grid;
}

std::optional<AnalogEstimate> interpolateAnalog(const std::vector<AnalogRecord> &records, std::int64_t trialId,
                                                const std::string &target, const std::string &compensation,
                                                double seconds)
{
    if (!(seconds > 0.0))
        return std::nullopt;
    const AnalogRecord *before = nullptr;
    const AnalogRecord *after = nullptr;
    for (const AnalogRecord &r : records) {
        if (r.trialId != trialId || r.target != target || r.compensation != compensation)
            continue;
        if (r.seconds == seconds)
            return AnalogEstimate{r.mean, r.std, true};
        if (r.seconds < seconds && (!before || r.seconds > before->seconds))
            before = &r;
        if (r.seconds > seconds && (!after || r.seconds < after->seconds))
            after = &r;
    }
    if (!before || !after)
        return std::nullopt;
    const double f =
        (std::log(seconds) - std::log(before->seconds)) / (std::log(after->seconds) - std::log(before->seconds));
    return AnalogEstimate{before->mean + f * (after->mean - before->mean), before->std + f * (after->std - before->std),
                          false};
}

} // namespace psc
