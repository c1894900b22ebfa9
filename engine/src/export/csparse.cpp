// SPDX-License-Identifier: GPL-3.0-or-later
// The C export's sparse weight streams: bitmask, CSR, DBB and N:M in the byte counts of encodedWeightSize().

#include "csparse.h"

#include "psc/core/error.h"

#include <algorithm>
#include <stdexcept>

namespace psc {
namespace {

/** Appends `bits`-wide unsigned fields LSB first, continuing across bytes. */
class BitWriter
{
public:
    void put(std::uint32_t field, int bits)
    {
        for (int b = 0; b < bits; ++b, ++m_bit) {
            if (m_bit % 8 == 0)
                m_bytes.push_back(0);
            if ((field >> b) & 1u)
                m_bytes.back() |= std::uint8_t(1u << (m_bit % 8));
        }
    }
    std::vector<std::uint8_t> take() { return std::move(m_bytes); }

private:
    std::vector<std::uint8_t> m_bytes;
    std::int64_t m_bit = 0;
};

void putLittleEndian(std::vector<std::uint8_t> &out, std::uint64_t value, int bytes)
{
    for (int b = 0; b < bytes; ++b)
        out.push_back(std::uint8_t(value >> (8 * b)));
}

/** The layer's weights as rows (see CSparseWeights), in storage order. */
std::vector<std::int8_t> rowOrder(const std::vector<std::int8_t> &oihw, const WeightShape &s, bool windowRows)
{
    if (windowRows) // [out, 1, kh, kw]: already a window row per channel
        return oihw;
    std::vector<std::int8_t> rows;
    rows.reserve(oihw.size());
    for (int o = 0; o < s.out; ++o)
        for (int ky = 0; ky < s.kernelH; ++ky)
            for (int kx = 0; kx < s.kernelW; ++kx)
                for (int c = 0; c < s.in; ++c)
                    rows.push_back(
                        oihw[((std::size_t(o) * std::size_t(s.in) + std::size_t(c)) * std::size_t(s.kernelH) +
                              std::size_t(ky)) *
                                 std::size_t(s.kernelW) +
                             std::size_t(kx)]);
    return rows;
}

/** Block formats: per group of `group` elements of a row, `slots` value slots (DBB: presence bits of the group
 *  first; N:M: a position per slot). False if a group holds more non-zeros than its slots. */
bool encodeBlocks(CSparseWeights &w, const std::vector<std::int8_t> &rows, std::int64_t rowCount)
{
    const bool dbb = w.encoding == WeightEncoding::Dbb;
    std::vector<std::int8_t> kept;
    BitWriter index;
    for (std::int64_t r = 0; r < rowCount; ++r) {
        const std::int8_t *row = rows.data() + r * w.rowLength;
        for (int g = 0; g < w.rowLength; g += w.group) {
            const int length = std::min(w.group, w.rowLength - g);
            const int slots = std::min(w.groupSlots, length);
            int used = 0;
            for (int t = 0; t < length; ++t) {
                if (dbb)
                    index.put(row[g + t] != 0 ? 1u : 0u, 1);
                if (row[g + t] == 0)
                    continue;
                if (++used > slots)
                    return false;
                kept.push_back(row[g + t]);
                if (!dbb)
                    index.put(std::uint32_t(t), w.positionBits);
            }
            for (; used < slots; ++used) { // padding slots: value 0 (and position 0)
                kept.push_back(0);
                if (!dbb)
                    index.put(0, w.positionBits);
            }
        }
    }
    w.values = packWeightFields(kept, w.bits);
    w.index = index.take();
    return true;
}

void encodeBitmask(CSparseWeights &w, const std::vector<std::int8_t> &rows)
{
    std::vector<std::int8_t> kept;
    BitWriter index;
    for (const std::int8_t v : rows) {
        index.put(v != 0 ? 1u : 0u, 1);
        if (v != 0)
            kept.push_back(v);
    }
    w.values = packWeightFields(kept, w.bits);
    w.index = index.take();
}

void encodeCsr(CSparseWeights &w, const std::vector<std::int8_t> &rows, int out, std::int64_t nonZeros)
{
    const std::int64_t columns = std::int64_t(w.rowLength) * w.rows;
    w.indexBytes = csrColumnIndexBits(columns) / 8;
    w.rowPointerBytes = csrRowPointerBits(nonZeros) / 8;
    std::vector<std::int8_t> kept;
    std::int64_t offset = 0;
    for (int o = 0; o < out; ++o) {
        putLittleEndian(w.rowPointers, std::uint64_t(offset), w.rowPointerBytes);
        for (std::int64_t col = 0; col < columns; ++col)
            if (const std::int8_t v = rows[std::size_t(o * columns + col)]; v != 0) {
                kept.push_back(v);
                putLittleEndian(w.index, std::uint64_t(col), w.indexBytes);
                ++offset;
            }
    }
    putLittleEndian(w.rowPointers, std::uint64_t(offset), w.rowPointerBytes);
    w.values = packWeightFields(kept, w.bits);
}

} // namespace

std::vector<std::uint8_t> packWeightFields(const std::vector<std::int8_t> &values, int bits)
{
    if (bits == 8)
        return {values.begin(), values.end()};
    std::vector<std::uint8_t> packed((values.size() * std::size_t(bits) + 7) / 8, 0);
    const std::uint32_t mask = (1u << bits) - 1u;
    for (std::size_t i = 0; i < values.size(); ++i) {
        const std::uint32_t field = bits == 1 ? (values[i] > 0 ? 1u : 0u) : std::uint32_t(values[i]) & mask;
        const std::size_t pos = i * std::size_t(bits);
        packed[pos / 8] |= std::uint8_t(field << (pos % 8));
        if (pos % 8 + std::size_t(bits) > 8)
            packed[pos / 8 + 1] |= std::uint8_t(field >> (8 - pos % 8));
    }
    return packed;
}

std::optional<CSparseWeights> encodeSparseWeights(const LayerSpec &l, const Shape &in,
                                                  const std::vector<std::int8_t> &values, int bits,
                                                  std::string *fallback)
{
    const bool weighted =
        l.type == LayerType::Conv2d || l.type == LayerType::DepthwiseConv2d || l.type == LayerType::Dense;
    if (!weighted || !l.sparsity.isSparse() || l.sparsity.pattern == SparsityPattern::ChannelStructured ||
        values.empty())
        return std::nullopt;
    WeightShape shape;
    shape.in = l.type == LayerType::Dense ? int(in.elements()) : l.type == LayerType::Conv2d ? in.channels : 1;
    shape.kernelH = l.type == LayerType::Dense ? 1 : l.kernelH;
    shape.kernelW = l.type == LayerType::Dense ? 1 : l.kernelW;
    const std::int64_t perChannel = std::int64_t(shape.in) * shape.kernelH * shape.kernelW;
    shape.out = int(std::int64_t(values.size()) / perChannel);
    if (shape.count() != std::int64_t(values.size()))
        throw std::logic_error("C export: the weights of layer " + l.name + " do not fill their shape");
    const std::int64_t nonZeros =
        std::int64_t(values.size()) - std::count(values.begin(), values.end(), std::int8_t(0));

    CSparseWeights w;
    w.bits = bits;
    w.windowRows = shape.in == 1; // the analysis' reduction groups (reductionGroups())
    w.rowLength = w.windowRows ? shape.kernelH * shape.kernelW : shape.in;
    w.rows = w.windowRows ? 1 : shape.kernelH * shape.kernelW;
    const std::vector<std::int8_t> rows = rowOrder(values, shape, w.windowRows);

    // The encoding the study charges; a DBB / N:M layer whose weights break its bound cannot be stored in it.
    WeightEncoding encoding = WeightEncoding::Dense;
    try {
        encoding = deployedEncoding(shape, bits, l.sparsity, nonZeros);
    } catch (const InputError &e) {
        if (fallback)
            *fallback = e.what();
        SparsitySpec unstructured;
        unstructured.pattern = SparsityPattern::Unstructured;
        unstructured.fraction = l.sparsity.fraction;
        encoding = deployedEncoding(shape, bits, unstructured, nonZeros);
    }
    if (encoding == WeightEncoding::NM && bits == 1) {
        // A padding slot holds 0, which one bit (+1 / -1) cannot: binary N:M is stored as unstructured. (Binary
        // layers cannot be pruned in the network format; a deployment could still ask for it.)
        if (fallback)
            *fallback = "1-bit N:M value slots cannot hold the padding zeros";
        SparsitySpec unstructured;
        unstructured.pattern = SparsityPattern::Unstructured;
        unstructured.fraction = l.sparsity.fraction;
        encoding = deployedEncoding(shape, bits, unstructured, nonZeros);
    }
    if (encoding == WeightEncoding::Dense)
        return std::nullopt;
    w.encoding = encoding;
    switch (encoding) {
    case WeightEncoding::Bitmask:
        encodeBitmask(w, rows);
        break;
    case WeightEncoding::Csr:
        encodeCsr(w, rows, shape.out, nonZeros);
        break;
    case WeightEncoding::Dbb:
    case WeightEncoding::NM: {
        const bool dbb = encoding == WeightEncoding::Dbb;
        w.group = dbb ? l.sparsity.blockSize : l.sparsity.m;
        w.groupSlots = dbb ? l.sparsity.maxNonZeros : l.sparsity.n;
        w.positionBits = dbb ? 0 : addressBits(w.group);
        if (!encodeBlocks(w, rows, std::int64_t(shape.out) * w.rows)) {
            // Within the layer's total bound but not in every group: the smaller of bitmask and CSR holds them.
            if (fallback)
                *fallback = std::string(dbb ? "a block" : "a group") + " holds more than " +
                            std::to_string(w.groupSlots) + " non-zeros";
            SparsitySpec unstructured;
            unstructured.pattern = SparsityPattern::Unstructured;
            unstructured.fraction = l.sparsity.fraction;
            const WeightEncoding other = deployedEncoding(shape, bits, unstructured, nonZeros);
            if (other == WeightEncoding::Dense)
                return std::nullopt;
            w.encoding = other;
            w.group = w.groupSlots = w.positionBits = 0;
            w.index.clear();
            if (other == WeightEncoding::Csr)
                encodeCsr(w, rows, shape.out, nonZeros);
            else
                encodeBitmask(w, rows);
        }
        break;
    }
    case WeightEncoding::Dense:
        break;
    }
    const std::int64_t expected = encodedWeightSize(w.encoding, shape, bits, nonZeros, l.sparsity).totalBytes;
    if (w.bytes() != expected)
        throw std::logic_error("C export: layer " + l.name + " takes " + std::to_string(w.bytes()) + " B as " +
                               std::string(toString(w.encoding)) + ", the analysis counts " + std::to_string(expected));
    return w;
}

} // namespace psc
