// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "psc/compress/sparsity.h"

#include <cstdint>
#include <optional>
#include <string_view>

namespace psc {

/**
 * How a layer's quantised weights are laid out in the deployed binary (byte layouts and sources:
 * docs/formats/weight-encodings.md).
 */
enum class WeightEncoding
{
    Dense,   ///< every weight, bit-packed
    Bitmask, ///< one presence bit per weight, then the non-zero values packed
    Csr,     ///< compressed sparse rows: rows = output channels, columns = in * kernelH * kernelW
    Dbb,     ///< density-bound blocks: maxNonZeros value slots plus a blockSize-bit mask per block
    NM,      ///< N:M: n value slots per group of m, each with a ceil(log2 m)-bit position
};

/** "dense", "bitmask", "csr", "dbb" or "n:m". */
std::string_view toString(WeightEncoding encoding);
/** Inverse of toString(WeightEncoding); nullopt for any other text. */
std::optional<WeightEncoding> weightEncodingFromString(std::string_view text);

/** ceil(log2 n) for n >= 1: the bits that address n positions (0 for one); an N:M position has addressBits(m). */
int addressBits(std::int64_t n);
/** CSR column index width: ceil(log2 columns) rounded up to a whole integer type of 8, 16 or 32 bits. */
int csrColumnIndexBits(std::int64_t columns);
/** CSR row pointers hold offsets 0..nonZeros: 16 bits while they fit, else 32. */
int csrRowPointerBits(std::int64_t nonZeros);

/** Bytes of one encoded weight tensor, without biases. */
struct EncodedSize
{
    std::int64_t valueBytes = 0; ///< the weight values (with padding slots for DBB / N:M)
    std::int64_t indexBytes = 0; ///< masks, column indices, row pointers, positions
    std::int64_t totalBytes = 0; ///< valueBytes + indexBytes
    bool operator==(const EncodedSize &) const = default;
};

/**
 * The bytes `shape` takes in `encoding` at `bits` (1..32) per value with `nonZeros` non-zero weights; biases
 * not included (callers add 4 B per int32 bias). Each stream (values, mask, indices, row pointers) is rounded
 * up to whole bytes once per layer.
 * - Dense: ceil(count * bits / 8); nonZeros unused.
 * - Bitmask: ceil(count / 8) mask + ceil(nonZeros * bits / 8) values.
 * - Csr: ceil(nonZeros * bits / 8) values; nonZeros column indices of 8, 16 or 32 bits (the smallest holding
 *   ceil(log2 columns) bits); out + 1 row pointers of 16 bits if nonZeros <= 65535, else 32.
 * - Dbb (spec.blockSize BZ, spec.maxNonZeros NNZ): per reduction group min(NNZ, L) value slots, zero padded,
 *   and an L-bit mask (L = BZ except in partial groups); nonZeros must fit in the slots.
 * - NM (spec.n, spec.m): per reduction group min(n, L) value slots, each with a ceil(log2 m)-bit position;
 *   nonZeros must fit in the slots.
 * Throws InputError for a bad shape, bits, nonZeros outside [0, count] (or beyond the DBB / N:M slots) or bad
 * DBB / N:M parameters in `spec` (only those of the requested encoding are read). Pure; any thread.
 */
EncodedSize encodedWeightSize(WeightEncoding encoding, const WeightShape &shape, int bits, std::int64_t nonZeros,
                              const SparsitySpec &spec);

/**
 * The encoding a pattern implies, regardless of sizes: None and ChannelStructured (the zero channels are
 * removed from the shape, the rest is dense) give Dense, Unstructured Bitmask (deployedEncoding() picks
 * between Bitmask and Csr), Dbb Dbb, NM NM.
 */
WeightEncoding defaultEncoding(const SparsitySpec &spec);

/** Bitmask or Csr, whichever is smaller for these sizes (Bitmask on a tie). */
WeightEncoding smallestUnstructuredEncoding(const WeightShape &shape, int bits, std::int64_t nonZeros);

/**
 * The encoding deployment uses: defaultEncoding(spec), Unstructured as smallestUnstructuredEncoding(), then
 * Dense instead if the sparse encoding would be strictly larger than dense (a dense layout can hold any
 * tensor; it is what a deployment falls back to when the index overhead does not pay off). Pure.
 */
WeightEncoding deployedEncoding(const WeightShape &shape, int bits, const SparsitySpec &spec, std::int64_t nonZeros);

/** encodedWeightSize(deployedEncoding(...), ...).totalBytes: never more than the dense size. Pure. */
std::int64_t deployedWeightBytes(const WeightShape &shape, int bits, const SparsitySpec &spec, std::int64_t nonZeros);

} // namespace psc
