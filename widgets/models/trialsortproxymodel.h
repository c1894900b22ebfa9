// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QSortFilterProxyModel>

namespace psc {

class TrialFilter;

/**
 * Sorts a TrialTableModel by TrialTableModel::RawValueRole: numbers numerically (so "9.8 KiB" comes
 * before "12.0 KiB"), text by locale. Cells without a value (a metric not measured yet) always sort
 * last, in either order, so the interesting rows stay on top. Ties keep trial order. Filters by a TrialFilter.
 */
class TrialSortProxyModel : public QSortFilterProxyModel
{
    Q_OBJECT
public:
    explicit TrialSortProxyModel(QObject *parent = nullptr);

    /** Shows only the rows whose trial `filter` accepts (nullptr: every row); follows its changes. Not owned. */
    void setTrialFilter(const TrialFilter *filter);

protected:
    bool lessThan(const QModelIndex &left, const QModelIndex &right) const override;
    bool filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const override;

private:
    const TrialFilter *m_filter = nullptr;
};

} // namespace psc
