// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "psc/study/studyspec.h"
#include "psc/study/trial.h"

#include <QAbstractTableModel>

#include <unordered_map>
#include <vector>

namespace psc {

/**
 * The trials of one study as a table: "#", state, Pareto front, the study's metrics (objectives first,
 * then the other model metrics) and the error. Rows are kept in the order trials arrive; sorting is the
 * job of a TrialSortProxyModel on RawValueRole.
 *
 * Live updates: upsertTrials() takes the trials that changed (StudyStore::changesSince()) and inserts the
 * new ones with beginInsertRows()/endInsertRows() and reports changed rows with dataChanged(), so views
 * keep their selection and scroll position while a study runs. GUI thread only.
 */
class TrialTableModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Role
    {
        RawValueRole = Qt::UserRole + 1, ///< number for metrics and "#", state order, front flag; for sorting
        TrialIdRole,                     ///< the trial's database id (qint64), in every column
    };
    enum Column
    {
        NumberColumn,
        StateColumn,
        FrontColumn,
        FirstMetricColumn,
    };

    explicit TrialTableModel(QObject *parent = nullptr);
    ~TrialTableModel() override;

    /** Replaces the study and all rows (a model reset). */
    void setStudy(const StudySpec &spec, std::vector<Trial> trials);
    /** Removes all rows and the study. */
    void clear();
    /** Inserts trials with unknown ids at the end and updates the rows of known ones. */
    void upsertTrials(const std::vector<Trial> &changed);
    /**
     * Study ranks come from outside (StudyView ranks off the GUI thread, latest request wins): the model stops
     * ranking on every change and shows the front that setStudyRanks() gives it. Off by default, so a model used
     * alone ranks for itself.
     */
    void setExternalRanks(bool external) { m_externalRanks = external; }
    /** The study ranks by trial id (0 = on the front); rows whose ★ changes are reported as changed. */
    void setStudyRanks(const std::unordered_map<qint64, int> &ranksById);

    const StudySpec &spec() const { return m_spec; }
    const std::vector<Trial> &trials() const { return m_trials; }
    const std::vector<MetricRef> &metricColumns() const { return m_metrics; }
    /** The metric shown in `column`, or nullptr for the other columns. */
    const MetricRef *metricAt(int column) const;
    int errorColumn() const { return FirstMetricColumn + int(m_metrics.size()); }
    /** The row of the trial with database id `id`, or -1. */
    int rowOfTrial(qint64 id) const;
    const Trial *trialAt(int row) const;
    /** True if the trial in `row` is on the Pareto front of the study's objectives. */
    bool isOnFront(int row) const;

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    QVariant displayData(const Trial &trial, int row, int column) const;
    QVariant rawData(const Trial &trial, int row, int column) const;
    QString headerToolTip(int column) const;
    /** Recomputes the front; returns the rows whose membership changed. */
    std::vector<int> updateFront();
    void emitRowsChanged(std::vector<int> rows);

    StudySpec m_spec;
    std::vector<MetricRef> m_metrics;
    std::vector<Trial> m_trials;
    std::vector<char> m_onFront;
    std::unordered_map<qint64, int> m_rowById;
    bool m_externalRanks = false;
};

} // namespace psc
