// SPDX-License-Identifier: GPL-3.0-or-later
// Byte sizes of deployed weight encodings. Formulas and sources: docs/formats/weight-encodings.md.
#include "psc/compress/weightencoding.h"

#include "psc/core/error.h"

#include <algorithm>
#include <array>
#include <utility>

namespace psc {

namespace {

constexpr std::array<std::pair<WeightEncoding, std::string_view>, 5> kEncodingNames{{
    {WeightEncoding::Dense, "dense"},
    {WeightEncoding::Bitmask, "bitmask"},
    {WeightEncoding::Csr, "csr"},
    {WeightEncoding::Dbb, "dbb"},
    {WeightEncoding::NM, "n:m"},
}};

std::int64_t bytesForBits(std::int64_t bits)
{
    return (bits + 7) / 8;
}

EncodedSize makeSize(std::int64_t valueBytes, std::int64_t indexBytes)
{
    return {valueBytes, indexBytes, valueBytes + indexBytes};
}

/** Value slots of a block format: `bound` per full group, min(bound, L) per partial group of L weights. */
std::int64_t slots(const ReductionGroups &g, int bound)
{
    return g.full * bound + g.partial * std::min(bound, g.partialLength);
}

void checkSlots(std::string_view format, std::int64_t nonZeros, std::int64_t capacity)
{
    if (nonZeros > capacity)
        throw InputError(std::string(format) + " encoding: " + std::to_string(nonZeros) +
                         " non-zeros do not fit in its " + std::to_string(capacity) + " value slots");
}

} // namespace

int addressBits(std::int64_t n)
{
    int bits = 0;
    while ((std::int64_t(1) << bits) < n)
        ++bits;
    return bits;
}

int csrColumnIndexBits(std::int64_t columns)
{
    const int needed = addressBits(columns);
    return needed <= 8 ? 8 : needed <= 16 ? 16 : 32;
}

int csrRowPointerBits(std::int64_t nonZeros)
{
    return nonZeros <= 65535 ? 16 : 32;
}

std::string_view toString(WeightEncoding encoding)
{
    for (const auto &[value, name] : kEncodingNames) {
        if (value == encoding)
            return name;
    }
    return "unknown";
}

std::optional<WeightEncoding> weightEncodingFromString(std::string_view text)
{
    for (const auto &[value, name] : kEncodingNames) {
        if (name == text)
            return value;
    }
    return std::nullopt;
}

EncodedSize encodedWeightSize(WeightEncoding encoding, const WeightShape &shape, int bits, std::int64_t nonZeros,
                              const SparsitySpec &spec)
{
    validateWeightShape(shape);
    const std::int64_t count = shape.count();
    if (bits < 1 || bits > 32)
        throw InputError("weight bits " + std::to_string(bits) + " outside 1..32");
    if (nonZeros < 0 || nonZeros > count)
        throw InputError(std::to_string(nonZeros) + " non-zeros outside 0.." + std::to_string(count) +
                         " (the layer's weights)");

    switch (encoding) {
    case WeightEncoding::Dense:
        return makeSize(bytesForBits(count * bits), 0);
    case WeightEncoding::Bitmask:
        return makeSize(bytesForBits(nonZeros * bits), bytesForBits(count));
    case WeightEncoding::Csr: {
        const std::int64_t columns = count / shape.out;
        const std::int64_t columnIndexBytes = nonZeros * (csrColumnIndexBits(columns) / 8);
        const std::int64_t rowPointerBytes = (std::int64_t(shape.out) + 1) * (csrRowPointerBits(nonZeros) / 8);
        return makeSize(bytesForBits(nonZeros * bits), columnIndexBytes + rowPointerBytes);
    }
    case WeightEncoding::Dbb: {
        SparsitySpec dbb = spec;
        dbb.pattern = SparsityPattern::Dbb;
        validateSparsitySpec(dbb);
        const ReductionGroups g = reductionGroups(shape, spec.blockSize);
        const std::int64_t valueSlots = slots(g, spec.maxNonZeros);
        checkSlots("DBB", nonZeros, valueSlots);
        // Fixed NNZ slots per block (Liu, Whatmough, Mattina, Systolic Tensor Array, IEEE CAL 2020,
        // arXiv:2005.08098) plus one presence bit per weight of the block: full blocks BZ bits, a partial block
        // its own length. cost-models.md 3.2 [D] and the systolic target charge NNZ * ceil(log2 BZ) position bits
        // instead; which form the STA-DBB hardware stores is not settled (docs/formats/weight-encodings.md).
        const std::int64_t maskBits = g.full * spec.blockSize + g.partial * g.partialLength;
        return makeSize(bytesForBits(valueSlots * bits), bytesForBits(maskBits));
    }
    case WeightEncoding::NM: {
        SparsitySpec nm = spec;
        nm.pattern = SparsityPattern::NM;
        validateSparsitySpec(nm);
        const ReductionGroups g = reductionGroups(shape, spec.m);
        const std::int64_t valueSlots = slots(g, spec.n);
        checkSlots("N:M", nonZeros, valueSlots);
        // Every kept value carries its position within the group of m: 2 bits for 2:4, as in NVIDIA's sparse
        // tensor-core metadata (Mishra et al., arXiv:2104.08378) and AMD hipSPARSELt's index matrix.
        return makeSize(bytesForBits(valueSlots * bits), bytesForBits(valueSlots * addressBits(spec.m)));
    }
    }
    throw InputError("unknown weight encoding");
}

WeightEncoding defaultEncoding(const SparsitySpec &spec)
{
    switch (spec.pattern) {
    case SparsityPattern::None:
    case SparsityPattern::ChannelStructured:
        return WeightEncoding::Dense;
    case SparsityPattern::Unstructured:
        return WeightEncoding::Bitmask;
    case SparsityPattern::Dbb:
        return WeightEncoding::Dbb;
    case SparsityPattern::NM:
        return WeightEncoding::NM;
    }
    return WeightEncoding::Dense;
}

WeightEncoding smallestUnstructuredEncoding(const WeightShape &shape, int bits, std::int64_t nonZeros)
{
    const SparsitySpec none;
    const std::int64_t bitmask = encodedWeightSize(WeightEncoding::Bitmask, shape, bits, nonZeros, none).totalBytes;
    const std::int64_t csr = encodedWeightSize(WeightEncoding::Csr, shape, bits, nonZeros, none).totalBytes;
    return csr < bitmask ? WeightEncoding::Csr : WeightEncoding::Bitmask;
}

WeightEncoding deployedEncoding(const WeightShape &shape, int bits, const SparsitySpec &spec, std::int64_t nonZeros)
{
    WeightEncoding encoding = defaultEncoding(spec);
    if (encoding == WeightEncoding::Dense)
        return encoding;
    if (spec.pattern == SparsityPattern::Unstructured)
        encoding = smallestUnstructuredEncoding(shape, bits, nonZeros);
    const std::int64_t sparse = encodedWeightSize(encoding, shape, bits, nonZeros, spec).totalBytes;
    const std::int64_t dense = encodedWeightSize(WeightEncoding::Dense, shape, bits, nonZeros, spec).totalBytes;
    return sparse > dense ? WeightEncoding::Dense : encoding;
}

std::int64_t deployedWeightBytes(const WeightShape &shape, int bits, const SparsitySpec &spec, std::int64_t nonZeros)
{
    return encodedWeightSize(deployedEncoding(shape, bits, spec, nonZeros), shape, bits, nonZeros, spec).totalBytes;
}

} // namespace psc
