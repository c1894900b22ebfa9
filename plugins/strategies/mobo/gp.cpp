// SPDX-License-Identifier: GPL-3.0-or-later
#include "gp.h"

#include <cmath>
#include <limits>
#include <numeric>

namespace psc::strategies {

namespace {

constexpr double kTwoPi = 6.283185307179586;

Eigen::MatrixXd toMatrix(const std::vector<std::vector<double>> &x)
{
    const Eigen::Index n = Eigen::Index(x.size()), d = n ? Eigen::Index(x.front().size()) : 0;
    Eigen::MatrixXd m(n, d);
    for (Eigen::Index i = 0; i < n; ++i)
        for (Eigen::Index j = 0; j < d; ++j)
            m(i, j) = x[std::size_t(i)][std::size_t(j)];
    return m;
}

} // namespace

double GaussianProcess::matern52(double r)
{
    const double s = std::sqrt(5.0) * r;
    return (1.0 + s + s * s / 3.0) * std::exp(-s);
}

Eigen::MatrixXd GaussianProcess::kernel(const Eigen::MatrixXd &a, const Eigen::MatrixXd &b,
                                        const GpHyperparameters &h) const
{
    Eigen::MatrixXd k(a.rows(), b.rows());
    for (Eigen::Index i = 0; i < a.rows(); ++i)
        for (Eigen::Index j = 0; j < b.rows(); ++j) {
            double r2 = 0.0;
            for (Eigen::Index d = 0; d < a.cols(); ++d) {
                const double u = (a(i, d) - b(j, d)) / h.lengthScales[std::size_t(d)];
                r2 += u * u;
            }
            k(i, j) = matern52(std::sqrt(r2)); // signal variance 1: the targets are standardised
        }
    return k;
}

double GaussianProcess::factorise(const GpHyperparameters &hyper)
{
    Eigen::MatrixXd k = kernel(m_x, m_x, hyper);
    k.diagonal().array() += hyper.noise + 1e-8;
    m_llt.compute(k);
    if (m_llt.info() != Eigen::Success)
        return -std::numeric_limits<double>::infinity();
    m_alpha = m_llt.solve(m_y);
    const Eigen::MatrixXd l = m_llt.matrixL();
    const double logDet = 2.0 * l.diagonal().array().log().sum();
    return -0.5 * m_y.dot(m_alpha) - 0.5 * logDet - 0.5 * double(m_y.size()) * std::log(kTwoPi);
}

void GaussianProcess::fitWith(const std::vector<std::vector<double>> &x, const std::vector<double> &y,
                              const GpHyperparameters &hyper)
{
    standardise(x, y);
    m_hyper = hyper;
    m_lml = factorise(m_hyper);
}

void GaussianProcess::standardise(const std::vector<std::vector<double>> &x, const std::vector<double> &y)
{
    m_x = toMatrix(x);
    const double n = double(y.size());
    m_mean = std::accumulate(y.begin(), y.end(), 0.0) / n;
    double var = 0.0;
    for (double v : y)
        var += (v - m_mean) * (v - m_mean);
    m_scale = y.size() > 1 && var > 0 ? std::sqrt(var / (n - 1.0)) : 1.0;
    m_y.resize(Eigen::Index(y.size()));
    for (std::size_t i = 0; i < y.size(); ++i)
        m_y(Eigen::Index(i)) = (y[i] - m_mean) / m_scale;
}

void GaussianProcess::fit(const std::vector<std::vector<double>> &x, const std::vector<double> &y)
{
    standardise(x, y);
    const std::size_t dims = std::size_t(m_x.cols());
    GpHyperparameters best{std::vector<double>(dims, 1.0), 0.4}; // kept if no setting factorises
    double bestLml = -std::numeric_limits<double>::infinity();
    // 1. One length-scale for every dimension, and the noise, on a grid.
    for (double ls : {0.1, 0.2, 0.35, 0.5, 0.75, 1.0, 1.5, 2.5, 4.0})
        for (double noise : {1e-4, 1e-3, 1e-2, 0.05, 0.15, 0.4}) {
            GpHyperparameters h{std::vector<double>(dims, ls), noise};
            if (const double lml = factorise(h); lml > bestLml) {
                bestLml = lml;
                best = h;
            }
        }
    // 2. Automatic relevance: each dimension's length-scale in turn, twice (a long one switches a dimension off).
    for (int round = 0; round < 2; ++round)
        for (std::size_t d = 0; d < dims; ++d)
            for (double factor : {0.5, 2.0, 8.0}) {
                GpHyperparameters h = best;
                h.lengthScales[d] *= factor;
                if (const double lml = factorise(h); lml > bestLml) {
                    bestLml = lml;
                    best = h;
                }
            }
    m_hyper = best;
    m_lml = factorise(m_hyper);
}

void GaussianProcess::condition(const std::vector<std::vector<double>> &x, const std::vector<double> &y)
{
    m_x = toMatrix(x);
    m_y.resize(Eigen::Index(y.size()));
    for (std::size_t i = 0; i < y.size(); ++i)
        m_y(Eigen::Index(i)) = (y[i] - m_mean) / m_scale;
    m_lml = factorise(m_hyper);
}

GaussianProcess::Prediction GaussianProcess::predict(const std::vector<double> &x) const
{
    if (m_x.rows() == 0)
        return {m_mean, m_scale};
    Eigen::MatrixXd q(1, Eigen::Index(x.size()));
    for (std::size_t j = 0; j < x.size(); ++j)
        q(0, Eigen::Index(j)) = x[j];
    const Eigen::VectorXd k = kernel(m_x, q, m_hyper).col(0);
    const double mean = k.dot(m_alpha);
    const Eigen::VectorXd v = m_llt.matrixL().solve(k);
    const double var = std::max(1.0 - v.squaredNorm(), 1e-12);
    return {m_mean + m_scale * mean, m_scale * std::sqrt(var)};
}

} // namespace psc::strategies
