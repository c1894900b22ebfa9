// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <Eigen/Cholesky>
#include <Eigen/Core>

#include <vector>

/**
 * @file
 * Gaussian-process regression with the Matern 5/2 kernel and one length-scale per input dimension (ARD), as used by
 * the mobo strategy for the objectives known only after training (Rasmussen & Williams 2006, eq. 2.25-2.30 and 4.17).
 * The targets are standardised; the hyper-parameters (length-scales, noise) maximise the log marginal likelihood.
 * Linear algebra: Eigen 3's Cholesky (LLT).
 */
namespace psc::strategies {

struct GpHyperparameters
{
    std::vector<double> lengthScales; ///< one per input dimension, in the units of the inputs ([0, 1] features)
    double noise = 1e-2;              ///< noise variance, in units of the standardised targets' variance
};

class GaussianProcess
{
public:
    /**
     * Fits the hyper-parameters to (x, y) by maximising the log marginal likelihood: a grid over one shared
     * length-scale and the noise, then two rounds of coordinate search over each dimension's length-scale. Needs at
     * least one point; every x of equal size.
     */
    void fit(const std::vector<std::vector<double>> &x, const std::vector<double> &y);
    /** Conditions on (x, y) with the current hyper-parameters (no refit): the Kriging believer adds fantasies so. */
    void condition(const std::vector<std::vector<double>> &x, const std::vector<double> &y);
    /**
     * Standardises (x, y) afresh and conditions on them with `hyper` (a previous fit's), without searching: one
     * factorisation instead of about a hundred.
     */
    void fitWith(const std::vector<std::vector<double>> &x, const std::vector<double> &y,
                 const GpHyperparameters &hyper);

    struct Prediction
    {
        double mean = 0.0;
        double sd = 0.0; ///< of the latent function, in the targets' units
    };
    Prediction predict(const std::vector<double> &x) const;
    /** Log marginal likelihood of the standardised targets under the current hyper-parameters. */
    double logMarginalLikelihood() const { return m_lml; }
    const GpHyperparameters &hyperparameters() const { return m_hyper; }
    bool empty() const { return m_x.rows() == 0; }

    /** Matern 5/2 correlation at scaled distance r >= 0: (1 + sqrt(5) r + 5 r^2 / 3) exp(-sqrt(5) r). */
    static double matern52(double r);

private:
    void standardise(const std::vector<std::vector<double>> &x, const std::vector<double> &y);
    /** Factorises with `hyper`; returns the log marginal likelihood, or -inf if the matrix is not positive definite. */
    double factorise(const GpHyperparameters &hyper);
    Eigen::MatrixXd kernel(const Eigen::MatrixXd &a, const Eigen::MatrixXd &b, const GpHyperparameters &h) const;

    Eigen::MatrixXd m_x; ///< one row per point
    Eigen::VectorXd m_y; ///< standardised
    double m_mean = 0.0, m_scale = 1.0;
    GpHyperparameters m_hyper;
    Eigen::LLT<Eigen::MatrixXd> m_llt;
    Eigen::VectorXd m_alpha;
    double m_lml = 0.0;
};

} // namespace psc::strategies
