// SPDX-License-Identifier: GPL-3.0-or-later
#include "compress/svd.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace psc {

namespace {

constexpr int kMaxSweeps = 60;

/** Columns of a matrix stored one after another (column-major), so that rotations touch contiguous memory. */
struct Columns
{
    int length = 0;
    std::vector<double> data;
    double *column(int j) { return data.data() + std::size_t(j) * std::size_t(length); }
};

} // namespace

SingularValueDecomposition singularValueDecomposition(const std::vector<double> &a, int rows, int cols)
{
    // Orthogonalise the columns of the tall form: A itself, or A^T for a wide matrix (then U and V swap).
    const bool wide = rows < cols;
    const int m = wide ? cols : rows; // column length
    const int n = wide ? rows : cols; // column count = k
    Columns g{m, std::vector<double>(std::size_t(m) * std::size_t(n))};
    for (int r = 0; r < rows; ++r) {
        for (int c = 0; c < cols; ++c) {
            const double value = a[std::size_t(r) * std::size_t(cols) + std::size_t(c)];
            if (wide)
                g.column(r)[c] = value;
            else
                g.column(c)[r] = value;
        }
    }
    Columns w{n, std::vector<double>(std::size_t(n) * std::size_t(n), 0.0)}; // accumulated rotations
    for (int j = 0; j < n; ++j)
        w.column(j)[j] = 1.0;

    const double eps = std::numeric_limits<double>::epsilon();
    for (int sweep = 0; sweep < kMaxSweeps; ++sweep) {
        bool rotated = false;
        for (int p = 0; p + 1 < n; ++p) {
            for (int q = p + 1; q < n; ++q) {
                double *gp = g.column(p), *gq = g.column(q);
                double alpha = 0.0, beta = 0.0, gamma = 0.0;
                for (int i = 0; i < m; ++i) {
                    alpha += gp[i] * gp[i];
                    beta += gq[i] * gq[i];
                    gamma += gp[i] * gq[i];
                }
                if (gamma == 0.0 || std::abs(gamma) <= eps * std::sqrt(alpha * beta))
                    continue;
                rotated = true;
                // The rotation that zeroes the off-diagonal of [[alpha, gamma], [gamma, beta]], the smaller angle.
                const double zeta = (beta - alpha) / (2.0 * gamma);
                const double t = (zeta >= 0 ? 1.0 : -1.0) / (std::abs(zeta) + std::sqrt(1.0 + zeta * zeta));
                const double c = 1.0 / std::sqrt(1.0 + t * t);
                const double s = c * t;
                for (int i = 0; i < m; ++i) {
                    const double x = gp[i], y = gq[i];
                    gp[i] = c * x - s * y;
                    gq[i] = s * x + c * y;
                }
                double *wp = w.column(p), *wq = w.column(q);
                for (int i = 0; i < n; ++i) {
                    const double x = wp[i], y = wq[i];
                    wp[i] = c * x - s * y;
                    wq[i] = s * x + c * y;
                }
            }
        }
        if (!rotated)
            break;
    }

    // The column norms are the singular values; normalised columns the left singular vectors.
    std::vector<double> norms(static_cast<std::size_t>(n));
    for (int j = 0; j < n; ++j) {
        const double *col = g.column(j);
        double sum = 0.0;
        for (int i = 0; i < m; ++i)
            sum += col[i] * col[i];
        norms[std::size_t(j)] = std::sqrt(sum);
    }
    std::vector<int> order(static_cast<std::size_t>(n));
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
                     [&](int x, int y) { return norms[std::size_t(x)] > norms[std::size_t(y)]; });

    SingularValueDecomposition out;
    out.rows = rows;
    out.cols = cols;
    out.k = n;
    out.s.resize(std::size_t(n));
    out.u.assign(std::size_t(rows) * std::size_t(n), 0.0);
    out.v.assign(std::size_t(cols) * std::size_t(n), 0.0);
    // Tall: A = G W^T with G = U S, so U = G / s and V = W. Wide: A^T = G W^T, so V = G / s and U = W.
    std::vector<double> &left = wide ? out.v : out.u;
    std::vector<double> &right = wide ? out.u : out.v;
    const double tiny = eps * (norms.empty() ? 0.0 : norms[std::size_t(order.front())]) * std::max(m, n);
    for (int k = 0; k < n; ++k) {
        const int j = order[std::size_t(k)];
        const double sigma = norms[std::size_t(j)];
        out.s[std::size_t(k)] = sigma;
        const double *col = g.column(j);
        if (sigma > tiny && sigma > 0.0) {
            for (int i = 0; i < m; ++i)
                left[std::size_t(i) * std::size_t(n) + std::size_t(k)] = col[i] / sigma;
        }
        const double *rot = w.column(j);
        for (int i = 0; i < n; ++i)
            right[std::size_t(i) * std::size_t(n) + std::size_t(k)] = rot[i];
    }
    return out;
}

} // namespace psc
