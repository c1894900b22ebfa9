// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "psc/compress/weightencoding.h"
#include "psc/net/analysis.h"
#include "psc/net/network.h"

#include <QAbstractTableModel>

#include <cstdint>
#include <vector>

namespace psc {

/**
 * One network's layers and how each is compressed: bits, sparsity and its pattern, parameters, and the
 * weight size before (float32, 4 bytes per weight and bias) and after (the deployed encoding of
 * analyzeNetwork(): packed at the layer's bits, or its sparse encoding, plus 4 bytes per int32 bias). One row
 * per layer in network order, then a totals row. Layers without weights leave the weight columns empty.
 *
 * A channel-pruned layer (pattern "channel") already has the smaller shape: its sizes are those after the
 * channels were removed, and its sparsity is the share of output channels removed. GUI thread only.
 */
class LayerCompressionModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column
    {
        LayerColumn,
        TypeColumn,
        WeightBitsColumn,
        ActivationBitsColumn,
        SparsityColumn,
        PatternColumn,
        ParamsColumn,
        SizeBeforeColumn,
        SizeAfterColumn,
        RatioColumn,
        ColumnCount,
    };
    enum Role
    {
        /// The unformatted value: bits and counts as qint64, sparsity and ratio as double, sizes in bytes
        /// (qint64); invalid where the display is empty.
        RawValueRole = Qt::UserRole + 1,
    };

    explicit LayerCompressionModel(QObject *parent = nullptr);

    /**
     * Shows `network`. Throws NetworkError (an InputError) if it cannot be analysed; the model is then empty.
     * With the network of a compressed trial's `parent`, a conv2d or dense layer that has fewer output channels
     * than the parent's layer of the same name says so in its pattern ("unstructured, 36 of 48 channels"): channel
     * removal from an already sparse layer keeps the layer's sparsity pattern, so only the shapes show it.
     */
    void setNetwork(const NetworkDescription &network, const NetworkDescription *parent = nullptr);
    void clear();

    const NetworkDescription &network() const { return m_network; }
    const ModelAnalysis &analysis() const { return m_analysis; }
    /** The row of the totals (the last row), or -1 when empty. */
    int totalsRow() const { return m_analysis.layers.empty() ? -1 : int(m_analysis.layers.size()); }

    /** Float32 bytes of a layer: 4 per parameter (weights and biases; batch norm's scale and shift). */
    static std::int64_t float32Bytes(const LayerAnalysis &layer) { return 4 * layer.params; }
    /** "none", "unstructured", "channel", "DBB 2/8" (NNZ/BZ) or "2:4" (N:M). */
    static QString patternText(const SparsitySpec &sparsity);
    /** "dense", "bitmask", "CSR", "DBB blocks", "N:M groups": how the deployed weights are stored. */
    static QString encodingText(WeightEncoding encoding);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    /** Per layer: what the analysis does not keep. */
    struct LayerExtra
    {
        bool compressible = false; ///< conv, dense, low_rank, kronecker: weights that bits (and sparsity) apply to
        std::int64_t weights = 0;  ///< weights without biases
        double sparsity = 0.0;     ///< zero weights / remaining weights
        WeightEncoding encoding = WeightEncoding::Dense;
        /// Output channels before channel pruning (the parent's layer, or from a "channel" fraction), else 0.
        int parentChannels = 0;
    };
    struct Totals
    {
        std::int64_t params = 0, before = 0, after = 0, weights = 0, nonZeros = 0;
        std::int64_t channelsBefore = 0, channelsRemoved = 0; ///< over the channel-pruned layers
        double weightBitSum = 0.0;                            ///< sum of weights x bits over the compressible layers
    };

    QVariant layerData(int row, int column, int role) const;
    QVariant totalsData(int column, int role) const;
    QString toolTip(int row, int column) const;

    NetworkDescription m_network;
    ModelAnalysis m_analysis;
    std::vector<LayerExtra> m_extra;
    Totals m_totals;
};

} // namespace psc
