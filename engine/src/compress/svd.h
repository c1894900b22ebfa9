// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Private engine header: a small dense singular value decomposition for factorising layer weights.

#include <vector>

namespace psc {

/**
 * A = U diag(s) V^T for a rows x cols matrix, k = min(rows, cols): `u` is rows x k and `v` cols x k, both
 * row-major, `s` descending and >= 0. Columns of U (or V) that belong to a zero singular value are zero.
 */
struct SingularValueDecomposition
{
    int rows = 0;
    int cols = 0;
    int k = 0;
    std::vector<double> u;
    std::vector<double> s;
    std::vector<double> v;
};

/**
 * One-sided Jacobi SVD (Hestenes 1958; Demmel and Veselic 1992): plane rotations orthogonalise the columns of
 * the (taller) matrix until every pair is orthogonal to machine precision. O(k^2 max(rows, cols)) per sweep,
 * a handful of sweeps: fine for the weight matrices of tiny networks (hundreds of rows and columns). `a` is
 * row-major rows x cols. Pure.
 */
SingularValueDecomposition singularValueDecomposition(const std::vector<double> &a, int rows, int cols);

} // namespace psc
