// SPDX-License-Identifier: GPL-3.0-or-later
#include "mcucalibration.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QString>

#include <cmath>
#include <cstdio>
#include <limits>
#include <stdexcept>

namespace psc::targets::mcu {

namespace {

constexpr int kUnknowns = kWorkClasses + 1; // five slopes and the per-layer overhead

std::array<double, kUnknowns> row(const McuFeatures &f)
{
    std::array<double, kUnknowns> r{};
    for (int c = 0; c < kWorkClasses; ++c)
        r[c] = f.work[c];
    r[kWorkClasses] = f.invocations;
    return r;
}

/// Least squares on the columns in `subset` (normal equations, partial pivoting); false if singular.
bool solveSubset(const std::vector<std::array<double, kUnknowns>> &a, const std::vector<double> &b,
                 const std::vector<int> &subset, std::vector<double> &x)
{
    const int n = int(subset.size());
    std::vector<std::vector<double>> m(n, std::vector<double>(n + 1, 0.0));
    for (std::size_t i = 0; i < a.size(); ++i) {
        for (int r = 0; r < n; ++r) {
            for (int c = 0; c < n; ++c)
                m[r][c] += a[i][subset[r]] * a[i][subset[c]];
            m[r][n] += a[i][subset[r]] * b[i];
        }
    }
    for (int col = 0; col < n; ++col) {
        int pivot = col;
        for (int r = col + 1; r < n; ++r)
            if (std::abs(m[r][col]) > std::abs(m[pivot][col]))
                pivot = r;
        // Columns are scaled to unit norm, so an absolute threshold is meaningful.
        if (std::abs(m[pivot][col]) < 1e-12)
            return false;
        std::swap(m[col], m[pivot]);
        for (int r = 0; r < n; ++r) {
            if (r == col)
                continue;
            const double factor = m[r][col] / m[col][col];
            for (int c = col; c <= n; ++c)
                m[r][c] -= factor * m[col][c];
        }
    }
    x.assign(n, 0.0);
    for (int r = 0; r < n; ++r)
        x[r] = m[r][n] / m[r][r];
    return true;
}

std::string formatNumber(double v, const char *format)
{
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, format, v);
    return buffer;
}

} // namespace

McuFeatures networkFeatures(const plugin::NetworkInfo &network)
{
    McuFeatures f;
    for (const plugin::LayerInfo &l : network.layers) {
        const LayerWork w = layerWork(l);
        for (int c = 0; c < kWorkClasses; ++c)
            f.work[c] += w.work[c];
        f.invocations += w.invocations;
    }
    return f;
}

McuCalibration fitMcuLatency(const std::vector<McuSample> &samples, double clockHz)
{
    if (!(clockHz > 0.0))
        throw std::invalid_argument("calibration needs a positive clock frequency");
    McuCalibration fit;
    fit.clockHz = clockHz;
    fit.samples = int(samples.size());

    // Relative weighting: each row is divided by its measured cycles, so the target vector is all ones.
    std::vector<std::array<double, kUnknowns>> raw, a;
    std::vector<double> measuredCycles;
    for (const McuSample &s : samples) {
        if (!(s.measuredLatencyS > 0.0) || !std::isfinite(s.measuredLatencyS))
            throw std::invalid_argument("measured latency of " + s.network.name + " is not a positive number");
        raw.push_back(row(networkFeatures(s.network)));
        measuredCycles.push_back(s.measuredLatencyS * clockHz);
        std::array<double, kUnknowns> weighted = raw.back();
        for (double &v : weighted)
            v /= measuredCycles.back();
        a.push_back(weighted);
    }
    std::array<double, kUnknowns> norm{};
    std::vector<int> identified;
    for (int c = 0; c < kUnknowns; ++c) {
        for (const auto &r : a)
            norm[c] += r[c] * r[c];
        norm[c] = std::sqrt(norm[c]);
        if (norm[c] > 0.0) {
            identified.push_back(c);
            for (auto &r : a)
                r[c] /= norm[c];
        }
    }
    if (samples.size() < identified.size() || identified.empty())
        throw std::invalid_argument("calibration needs at least " +
                                    std::to_string(std::max<std::size_t>(identified.size(), 1)) +
                                    " measurements of different networks, got " + std::to_string(samples.size()));
    const std::vector<double> ones(samples.size(), 1.0);

    // Exact NNLS for few unknowns: the optimum is the unconstrained fit on its support, so try every support.
    double bestResidual = std::numeric_limits<double>::infinity();
    std::array<double, kUnknowns> best{};
    const int k = int(identified.size());
    for (unsigned mask = 1; mask < (1u << k); ++mask) {
        std::vector<int> subset;
        for (int j = 0; j < k; ++j)
            if (mask & (1u << j))
                subset.push_back(identified[j]);
        std::vector<double> x;
        if (!solveSubset(a, ones, subset, x))
            continue;
        bool feasible = true;
        for (double v : x)
            feasible = feasible && v >= 0.0;
        if (!feasible)
            continue;
        double residual = 0.0;
        for (std::size_t i = 0; i < a.size(); ++i) {
            double predicted = 0.0;
            for (std::size_t j = 0; j < subset.size(); ++j)
                predicted += a[i][subset[j]] * x[j];
            residual += (predicted - 1.0) * (predicted - 1.0);
        }
        if (residual < bestResidual) {
            bestResidual = residual;
            best.fill(0.0);
            for (std::size_t j = 0; j < subset.size(); ++j)
                best[subset[j]] = x[j] / norm[subset[j]];
        }
    }
    for (int c = 0; c < kWorkClasses; ++c) {
        fit.slopes[c] = best[c];
        fit.slopeIdentified[c] = norm[c] > 0.0;
    }
    fit.overheadCyclesPerLayer = best[kWorkClasses];
    fit.overheadIdentified = norm[kWorkClasses] > 0.0;

    double mean = 0.0;
    for (const McuSample &s : samples)
        mean += s.measuredLatencyS / double(samples.size());
    double ssRes = 0.0, ssTot = 0.0;
    for (std::size_t i = 0; i < samples.size(); ++i) {
        double predictedCycles = 0.0;
        for (int c = 0; c < kUnknowns; ++c)
            predictedCycles += raw[i][c] * best[c];
        const double predicted = predictedCycles / clockHz;
        const double measured = samples[i].measuredLatencyS;
        ssRes += (predicted - measured) * (predicted - measured);
        ssTot += (measured - mean) * (measured - mean);
        fit.maxRelativeError = std::max(fit.maxRelativeError, std::abs(predicted - measured) / measured);
    }
    fit.rSquared = ssTot > 0.0 ? 1.0 - ssRes / ssTot : (ssRes == 0.0 ? 1.0 : 0.0);
    return fit;
}

std::string calibratedTargetJson(const std::string &targetJson, const McuCalibration &fit,
                                 const std::string &measurementsName, const std::string &newId, std::string &error)
{
    QJsonParseError parseError;
    const QJsonDocument document = QJsonDocument::fromJson(QByteArray::fromStdString(targetJson), &parseError);
    if (document.isNull() || !document.isObject()) {
        error = "target file is not a JSON object: " + parseError.errorString().toStdString();
        return {};
    }
    QJsonObject root = document.object();
    if (root.value(QStringLiteral("model")).toString() != QLatin1String(kModelId)) {
        error = "target file is not of model \"mcu\"";
        return {};
    }
    if (!newId.empty())
        root.insert(QStringLiteral("id"), QString::fromStdString(newId));
    QJsonObject parameters = root.value(QStringLiteral("parameters")).toObject();
    const std::string source = "calibrated from " + std::to_string(fit.samples) + " measurements (" + measurementsName +
                               "), non-negative least squares on relative error; R^2 " +
                               formatNumber(fit.rSquared, "%.4f") + ", max relative error " +
                               formatNumber(100.0 * fit.maxRelativeError, "%.1f") + " % [D]";
    auto set = [&](const char *name, double value, const char *unit) {
        QJsonObject p;
        p.insert(QStringLiteral("value"), value);
        p.insert(QStringLiteral("unit"), QString::fromLatin1(unit));
        p.insert(QStringLiteral("source"), QString::fromStdString(source));
        parameters.insert(QString::fromLatin1(name), p);
    };
    const char *units[kWorkClasses] = {"cycles/MAC", "cycles/MAC", "cycles/MAC", "cycles/element", "cycles/element"};
    // A slope fitted to exactly 0 would not pass parseMcuParameters (slopes are positive): keep the prior.
    for (int c = 0; c < kWorkClasses; ++c)
        if (fit.slopeIdentified[c] && fit.slopes[c] > 0.0)
            set(slopeParameterNames()[c], fit.slopes[c], units[c]);
    if (fit.overheadIdentified)
        set("overhead_cycles_per_layer", fit.overheadCyclesPerLayer, "cycles");
    root.insert(QStringLiteral("parameters"), parameters);
    return QJsonDocument(root).toJson(QJsonDocument::Indented).toStdString();
}

} // namespace psc::targets::mcu
