// SPDX-License-Identifier: GPL-3.0-or-later
#include "models/layercompressionmodel.h"

#include "models/metricformat.h"

#include <QFont>

#include <cmath>

namespace psc {
namespace {

const MetricRef kBytes{"weight_bytes", {}};
const MetricRef kParams{"params", {}};

QString fromView(std::string_view text)
{
    return QString::fromUtf8(text.data(), qsizetype(text.size()));
}

QString percent(double fraction)
{
    const double p = fraction * 100.0;
    return QString::number(p, 'f', std::abs(p - std::round(p)) < 0.05 ? 0 : 1) + QStringLiteral(" %");
}

QString ratioText(double ratio)
{
    return QString::number(ratio, 'f', ratio >= 100.0 ? 0 : 1) + QStringLiteral("×");
}

bool isNumberColumn(int column)
{
    return column != LayerCompressionModel::LayerColumn && column != LayerCompressionModel::TypeColumn &&
           column != LayerCompressionModel::PatternColumn;
}

} // namespace

LayerCompressionModel::LayerCompressionModel(QObject *parent) : QAbstractTableModel(parent) {}

QString LayerCompressionModel::patternText(const SparsitySpec &s)
{
    if (!s.isSparse())
        return QStringLiteral("none");
    switch (s.pattern) {
    case SparsityPattern::None:
        return QStringLiteral("none");
    case SparsityPattern::Unstructured:
        return QStringLiteral("unstructured");
    case SparsityPattern::ChannelStructured:
        return QStringLiteral("channel");
    case SparsityPattern::Dbb:
        return QStringLiteral("DBB %1/%2").arg(s.maxNonZeros).arg(s.blockSize);
    case SparsityPattern::NM:
        return QStringLiteral("%1:%2").arg(s.n).arg(s.m);
    }
    return {};
}

QString LayerCompressionModel::encodingText(WeightEncoding encoding)
{
    switch (encoding) {
    case WeightEncoding::Dense:
        return tr("dense, bit-packed");
    case WeightEncoding::Bitmask:
        return tr("a presence bitmask and the non-zero values");
    case WeightEncoding::Csr:
        return tr("compressed sparse rows (CSR)");
    case WeightEncoding::Dbb:
        return tr("density-bound blocks (value slots and a mask per block)");
    case WeightEncoding::NM:
        return tr("N:M groups (value slots and their positions)");
    }
    return {};
}

void LayerCompressionModel::setNetwork(const NetworkDescription &network, const NetworkDescription *parent)
{
    beginResetModel();
    m_network = {};
    m_analysis = {};
    m_extra.clear();
    m_totals = {};
    try {
        m_analysis = analyzeNetwork(network);
        m_network = network;
    } catch (...) {
        m_analysis = {};
        endResetModel();
        throw;
    }
    // analyzeNetwork() resolves a copy when names are missing; its layers carry the resolved names.
    for (std::size_t i = 0; i < m_analysis.layers.size(); ++i) {
        const LayerAnalysis &l = m_analysis.layers[i];
        const LayerSpec &spec = m_network.layers[i];
        LayerExtra x;
        x.compressible = hasWeights(l.type) && l.type != LayerType::BatchNorm;
        if (x.compressible) {
            // Counts and encodings come from the analysis, which knows every weighted layer type's tensors.
            x.weights = l.weights;
            // Removed channels are gone, not zero: the sparsity is that of the weights the layer still has.
            x.sparsity = x.weights > 0 ? 1.0 - double(l.nonZeroWeights) / double(x.weights) : 0.0;
            x.encoding = l.encoding;
            if (parent && (spec.type == LayerType::Conv2d || spec.type == LayerType::Dense)) {
                for (const LayerSpec &p : parent->layers)
                    if (p.name == l.name && p.type == spec.type && p.outChannels > spec.outChannels)
                        x.parentChannels = p.outChannels;
            }
            if (x.parentChannels == 0 && spec.sparsity.pattern == SparsityPattern::ChannelStructured &&
                spec.sparsity.fraction > 0.0 && spec.sparsity.fraction < 1.0)
                x.parentChannels = int(std::lround(spec.outChannels / (1.0 - spec.sparsity.fraction)));
            if (x.parentChannels > 0) {
                m_totals.channelsBefore += x.parentChannels;
                m_totals.channelsRemoved += x.parentChannels - spec.outChannels;
            }
            m_totals.weights += x.weights;
            m_totals.nonZeros += l.nonZeroWeights;
            m_totals.weightBitSum += double(x.weights) * l.weightBits;
        }
        m_totals.params += l.params;
        m_totals.before += float32Bytes(l);
        m_totals.after += l.weightBytes;
        m_extra.push_back(x);
    }
    endResetModel();
}

void LayerCompressionModel::clear()
{
    beginResetModel();
    m_network = {};
    m_analysis = {};
    m_extra.clear();
    m_totals = {};
    endResetModel();
}

int LayerCompressionModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() || m_analysis.layers.empty() ? 0 : int(m_analysis.layers.size()) + 1;
}

int LayerCompressionModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant LayerCompressionModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const int row = index.row();
    const int column = index.column();
    const bool totals = row == totalsRow();
    switch (role) {
    case Qt::TextAlignmentRole:
        return QVariant::fromValue(Qt::AlignVCenter | (isNumberColumn(column) ? Qt::AlignRight : Qt::AlignLeft));
    case Qt::FontRole:
        if (totals) {
            QFont font;
            font.setBold(true);
            return font;
        }
        return {};
    case Qt::ToolTipRole:
        return toolTip(row, column);
    case Qt::DisplayRole:
    case RawValueRole:
        return totals ? totalsData(column, role) : layerData(row, column, role);
    default:
        return {};
    }
}

QVariant LayerCompressionModel::layerData(int row, int column, int role) const
{
    const LayerAnalysis &l = m_analysis.layers[std::size_t(row)];
    const LayerExtra &x = m_extra[std::size_t(row)];
    const SparsitySpec &sparsity = m_network.layers[std::size_t(row)].sparsity;
    const bool raw = role == RawValueRole;
    const bool weighted = l.params > 0;
    switch (column) {
    case LayerColumn:
        return QString::fromStdString(l.name);
    case TypeColumn:
        return fromView(toString(l.type)) + (l.foldedIntoProducer ? tr(" (folded)") : QString());
    case WeightBitsColumn:
        return !weighted ? QVariant() : raw ? QVariant(qint64(l.weightBits)) : QVariant(QString::number(l.weightBits));
    case ActivationBitsColumn:
        return raw ? QVariant(qint64(l.activationBits)) : QVariant(QString::number(l.activationBits));
    case SparsityColumn:
        return !x.compressible ? QVariant() : raw ? QVariant(x.sparsity) : QVariant(percent(x.sparsity));
    case PatternColumn:
        if (!x.compressible)
            return {};
        if (x.parentChannels > 0) {
            const QString channels =
                tr("%1 of %2 channels").arg(m_network.layers[std::size_t(row)].outChannels).arg(x.parentChannels);
            // Channel removal alone leaves the remaining weights dense: the channels say it all.
            return sparsity.pattern == SparsityPattern::ChannelStructured
                       ? channels
                       : QStringLiteral("%1, %2").arg(patternText(sparsity), channels);
        }
        return patternText(sparsity);
    case ParamsColumn:
        return !weighted ? QVariant()
               : raw     ? QVariant(qint64(l.params))
                         : QVariant(formatMetricValue(kParams, double(l.params)));
    case SizeBeforeColumn:
        return !weighted ? QVariant()
               : raw     ? QVariant(qint64(float32Bytes(l)))
                         : QVariant(formatMetricValue(kBytes, double(float32Bytes(l))));
    case SizeAfterColumn:
        return !weighted ? QVariant()
               : raw     ? QVariant(qint64(l.weightBytes))
                         : QVariant(formatMetricValue(kBytes, double(l.weightBytes)));
    case RatioColumn:
        if (!weighted || l.weightBytes <= 0)
            return {};
        return raw ? QVariant(double(float32Bytes(l)) / double(l.weightBytes))
                   : QVariant(ratioText(double(float32Bytes(l)) / double(l.weightBytes)));
    default:
        return {};
    }
}

QVariant LayerCompressionModel::totalsData(int column, int role) const
{
    const bool raw = role == RawValueRole;
    const Totals &t = m_totals;
    switch (column) {
    case LayerColumn:
        return tr("Total");
    case TypeColumn:
        return raw ? QVariant() : QVariant(tr("%n layer(s)", nullptr, int(m_analysis.layers.size())));
    case WeightBitsColumn: {
        if (t.weights <= 0)
            return {};
        const double mean = t.weightBitSum / double(t.weights); // bits per weight, weighted by the weight count
        return raw ? QVariant(mean) : QVariant(tr("%1 avg").arg(QString::number(mean, 'f', 1)));
    }
    case SparsityColumn: {
        if (t.weights <= 0)
            return {};
        const double fraction = 1.0 - double(t.nonZeros) / double(t.weights);
        return raw ? QVariant(fraction) : QVariant(percent(fraction));
    }
    case PatternColumn:
        if (t.channelsRemoved <= 0 || raw)
            return {};
        return tr("%1 of %2 channels removed").arg(t.channelsRemoved).arg(t.channelsBefore);
    case ParamsColumn:
        return raw ? QVariant(qint64(t.params)) : QVariant(formatMetricValue(kParams, double(t.params)));
    case SizeBeforeColumn:
        return raw ? QVariant(qint64(t.before)) : QVariant(formatMetricValue(kBytes, double(t.before)));
    case SizeAfterColumn:
        return raw ? QVariant(qint64(t.after)) : QVariant(formatMetricValue(kBytes, double(t.after)));
    case RatioColumn:
        if (t.after <= 0)
            return {};
        return raw ? QVariant(double(t.before) / double(t.after))
                   : QVariant(ratioText(double(t.before) / double(t.after)));
    default:
        return {};
    }
}

QString LayerCompressionModel::toolTip(int row, int column) const
{
    if (row == totalsRow()) {
        switch (column) {
        case WeightBitsColumn:
            return tr("Mean bits per weight over the conv and dense layers, weighted by their weight counts");
        case SparsityColumn:
            return tr("Share of zero weights over the conv and dense layers");
        default:
            return headerData(column, Qt::Horizontal, Qt::ToolTipRole).toString();
        }
    }
    const LayerAnalysis &l = m_analysis.layers[std::size_t(row)];
    const LayerExtra &x = m_extra[std::size_t(row)];
    switch (column) {
    case TypeColumn:
        return l.foldedIntoProducer ? tr("Folded into the layer before it when deployed: it costs no extra weights "
                                         "(only a bias if that layer has none)")
                                    : QString();
    case SparsityColumn:
    case PatternColumn:
        if (!x.compressible)
            return {};
        if (x.parentChannels > 0)
            return tr("%1 of %2 weights are non-zero; %3 of the %4 output channels were removed (structured "
                      "pruning: the layer is smaller, its shape, parameters and sizes are those after the removal)")
                .arg(l.nonZeroWeights)
                .arg(x.weights)
                .arg(x.parentChannels - m_network.layers[std::size_t(row)].outChannels)
                .arg(x.parentChannels);
        return tr("%1 of %2 weights are non-zero").arg(l.nonZeroWeights).arg(x.weights);
    case SizeAfterColumn:
        if (l.params <= 0)
            return {};
        if (!x.compressible)
            return l.foldedIntoProducer ? tr("Folded: nothing stored but a missing bias")
                                        : tr("int32 scale and offset "
                                             "per channel");
        return tr("Weights stored as %1 at %2 bits (%3 before pruning, packed), plus 4 B per int32 bias")
            .arg(encodingText(x.encoding))
            .arg(l.weightBits)
            .arg(formatMetricValue(kBytes, double(l.denseWeightBytes)));
    default:
        return headerData(column, Qt::Horizontal, Qt::ToolTipRole).toString();
    }
}

QVariant LayerCompressionModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || section < 0 || section >= ColumnCount)
        return {};
    static const char *const titles[] = {QT_TR_NOOP("Layer"),      QT_TR_NOOP("Type"),        QT_TR_NOOP("Weight bits"),
                                         QT_TR_NOOP("Act. bits"),  QT_TR_NOOP("Sparsity"),    QT_TR_NOOP("Pattern"),
                                         QT_TR_NOOP("Parameters"), QT_TR_NOOP("Size before"), QT_TR_NOOP("Size after"),
                                         QT_TR_NOOP("Ratio")};
    static const char *const tips[] = {
        QT_TR_NOOP("The layer's name in the network description"),
        QT_TR_NOOP("Operator; \"folded\": a batch norm merged into the layer before it at deployment"),
        QT_TR_NOOP("Bits per deployed weight"),
        QT_TR_NOOP("Bits per element of the layer's output tensor"),
        QT_TR_NOOP("Share of the layer's remaining weights that are zero (removed channels are not counted: they "
                   "are gone, and the sizes are those of the smaller layer)"),
        QT_TR_NOOP("How the zeros are arranged: unstructured, DBB NNZ/BZ (at most NNZ non-zeros per block of BZ), "
                   "N:M (at most N non-zeros in every M weights); \"6 of 8 channels\": output channels removed by "
                   "structured pruning"),
        QT_TR_NOOP("Trainable parameters: weights and biases"),
        QT_TR_NOOP("Float32, dense: 4 bytes per weight and bias"),
        QT_TR_NOOP("Deployed: the weights in their stored encoding (packed at their bits, or sparse) plus 4 bytes "
                   "per int32 bias"),
        QT_TR_NOOP("Size before / size after"),
    };
    switch (role) {
    case Qt::DisplayRole:
        return tr(titles[section]);
    case Qt::ToolTipRole:
        return tr(tips[section]);
    case Qt::TextAlignmentRole:
        return QVariant::fromValue(Qt::AlignVCenter | (isNumberColumn(section) ? Qt::AlignRight : Qt::AlignLeft));
    default:
        return {};
    }
}

} // namespace psc
