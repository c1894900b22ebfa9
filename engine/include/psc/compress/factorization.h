// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "psc/quant/trainedmodel.h"

#include <string>

namespace psc {

/** How to factorise one dense or 1x1 conv2d layer (docs/formats/network.md, "Factorised layers"). */
struct Factorization
{
    enum class Kind
    {
        None,
        LowRank,
        Kronecker,
    };
    Kind kind = Kind::None;
    int rank = 0;          ///< LowRank: 1 <= rank <= min(in, out)
    int aOut = 0, aIn = 0; ///< Kronecker: the shape of A; B is (out / aOut, in / aIn)
};

/**
 * Replaces the dense or 1x1, stride-1 conv2d `layer` of a trained deployable model with a factorised layer
 * initialised from its float weights W [out, in]:
 * - LowRank: the truncated SVD W ~ U_r S_r V_r^T, weight = U_r S_r^1/2 [out, r], factor = S_r^1/2 V_r^T [r, in]
 *   (the best rank-r approximation in the Frobenius norm, Eckart-Young);
 * - Kronecker: the nearest Kronecker product A kron B in the Frobenius norm (C. Van Loan, N. Pitsianis,
 *   "Approximation with Kronecker products", 1993): W rearranged so that A kron B becomes the rank-one matrix
 *   vec(A) vec(B)^T, whose leading singular pair sigma u v^T gives A = sqrt(sigma) u and B = sqrt(sigma) v;
 *   weight = A [aOut, aIn], factor = B [out / aOut, in / aIn].
 * Keeps the layer's name, inputs, bias, activation and bit-widths; a sparsity is dropped (the factors are
 * dense). The intermediate range "<layer>:mid" is left unset: training calibrates it. Kind::None returns the
 * model unchanged.
 *
 * Throws InputError naming the layer for an unknown layer, a layer that is not dense or a 1x1 stride-1 conv2d
 * with unchanged spatial size, binary weights, missing or mis-shaped weights, a rank outside 1..min(in, out)
 * and factor shapes that do not divide the layer's. Pure; any thread.
 */
TrainedModel factorizeLayer(const TrainedModel &model, const std::string &layer, const Factorization &f);

} // namespace psc
