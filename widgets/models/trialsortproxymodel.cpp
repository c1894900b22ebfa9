// SPDX-License-Identifier: GPL-3.0-or-later
#include "models/trialsortproxymodel.h"

#include "models/trialfilter.h"
#include "models/trialtablemodel.h"

namespace psc {
namespace {

bool isNumber(const QVariant &v)
{
    switch (v.typeId()) {
    case QMetaType::Double:
    case QMetaType::Float:
    case QMetaType::Int:
    case QMetaType::LongLong:
    case QMetaType::UInt:
    case QMetaType::ULongLong:
        return true;
    default:
        return false;
    }
}

} // namespace

TrialSortProxyModel::TrialSortProxyModel(QObject *parent) : QSortFilterProxyModel(parent)
{
    setSortRole(TrialTableModel::RawValueRole);
    setDynamicSortFilter(true);
}

bool TrialSortProxyModel::lessThan(const QModelIndex &left, const QModelIndex &right) const
{
    // The trial number and the metrics compare without QVariants: a study of 100,000 trials sorts in a fraction of
    // the time (the same order as the general path below).
    if (const auto *model = qobject_cast<const TrialTableModel *>(sourceModel());
        model && sortRole() == TrialTableModel::RawValueRole) {
        const Trial *a = model->trialAt(left.row());
        const Trial *b = model->trialAt(right.row());
        if (a && b && left.column() == TrialTableModel::NumberColumn)
            return a->number < b->number;
        if (const MetricRef *metric = a && b ? model->metricAt(left.column()) : nullptr) {
            const auto va = metricValue(*a, *metric);
            const auto vb = metricValue(*b, *metric);
            if (va.has_value() != vb.has_value())
                return sortOrder() == Qt::AscendingOrder ? va.has_value() : vb.has_value();
            if (va && *va != *vb)
                return *va < *vb;
            return sortOrder() == Qt::AscendingOrder ? a->id < b->id : a->id > b->id;
        }
    }
    const QVariant l = left.data(sortRole());
    const QVariant r = right.data(sortRole());
    const bool lMissing = !l.isValid() || (l.typeId() == QMetaType::QString && l.toString().isEmpty());
    const bool rMissing = !r.isValid() || (r.typeId() == QMetaType::QString && r.toString().isEmpty());
    // Descending order sorts by lessThan(right, left): swap the answer so missing values stay at the end.
    if (lMissing != rMissing)
        return sortOrder() == Qt::AscendingOrder ? rMissing : lMissing;
    if (lMissing) {
        // both missing: fall through to trial order
    } else if (isNumber(l) && isNumber(r)) {
        const double a = l.toDouble();
        const double b = r.toDouble();
        if (a != b)
            return a < b;
    } else {
        const int c = QString::localeAwareCompare(l.toString(), r.toString());
        if (c != 0)
            return c < 0;
    }
    // Equal keys: trial order, regardless of the direction, so rows do not jump around while a study runs.
    const bool before =
        left.data(TrialTableModel::TrialIdRole).toLongLong() < right.data(TrialTableModel::TrialIdRole).toLongLong();
    return sortOrder() == Qt::AscendingOrder ? before : !before;
}

void TrialSortProxyModel::setTrialFilter(const TrialFilter *filter)
{
    if (m_filter)
        disconnect(m_filter, nullptr, this, nullptr);
    m_filter = filter;
    // invalidate(), not invalidateFilter(): the latter removes the rows a filter drops range by range, and a view
    // pays for every range (seconds for a filter that keeps one trial in eight of 100,000); a relayout is one step.
    if (m_filter)
        connect(m_filter, &TrialFilter::changed, this, &TrialSortProxyModel::invalidate);
    invalidate();
}

bool TrialSortProxyModel::filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const
{
    if (!m_filter || !m_filter->isActive())
        return true;
    const auto *model = qobject_cast<const TrialTableModel *>(sourceModel());
    const Trial *trial = model ? model->trialAt(sourceRow) : nullptr;
    return !trial || m_filter->accepts(*trial) || sourceParent.isValid();
}

} // namespace psc
