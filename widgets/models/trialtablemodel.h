// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "models/trialset.h"

#include "psc/study/studyspec.h"
#include "psc/study/trial.h"

#include <QAbstractTableModel>

#include <vector>

namespace psc {

class Shortlist;

/**
 * The trials of one study as a table: "#", shortlist star, state, Pareto front, origin (search, compressed from a
 * trial, imported), the study's metrics (objectives first, then the other model metrics), the error and the user's
 * note. Rows are kept in the order trials arrive; sorting is the job of a TrialSortProxyModel on RawValueRole.
 *
 * The rows are the trials of a TrialSet, which the model may share with other views (StudyView shares one with
 * the Pareto plot: the trials are stored and ranked once). New trials arrive with beginInsertRows()/
 * endInsertRows() and changed rows with dataChanged(), so views keep their selection and scroll position while a
 * study runs. GUI thread only.
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
        StarColumn, ///< ★ for a trial in the shortlist (setShortlist()); clicking it in StudyView toggles it
        StateColumn,
        FrontColumn,
        OriginColumn, ///< "search", "from 4: int4" (a compressed child of trial 4), "imported (tflite)"
        FirstMetricColumn,
    };

    /** A model of its own trials (ranked immediately). */
    explicit TrialTableModel(QObject *parent = nullptr);
    /** A model of `trials`, which must outlive it. */
    explicit TrialTableModel(TrialSet *trials, QObject *parent = nullptr);
    ~TrialTableModel() override;

    /** The trials shown; setStudy(), upsertTrials() and clear() change them for every view that shares them. */
    TrialSet *trialSet() const { return m_set; }
    /** Replaces the study and all rows (a model reset). */
    void setStudy(const StudySpec &spec, std::vector<Trial> trials);
    /** Removes all rows and the study. */
    void clear();
    /** Inserts trials with unknown ids at the end and updates the rows of known ones. */
    void upsertTrials(const std::vector<Trial> &changed);

    const StudySpec &spec() const;
    const std::vector<Trial> &trials() const;
    const std::vector<MetricRef> &metricColumns() const { return m_metrics; }
    /** The metric shown in `column`, or nullptr for the other columns. */
    const MetricRef *metricAt(int column) const;
    int errorColumn() const { return FirstMetricColumn + int(m_metrics.size()); }
    /** The user's note on the trial (Shortlist::note()); editable in place. The last column. */
    int noteColumn() const { return errorColumn() + 1; }
    /**
     * The shortlist the star and note columns show and edit (not owned; may be null: then both stay empty and the
     * notes are read-only). Rows follow its changes.
     */
    void setShortlist(Shortlist *shortlist);
    Shortlist *shortlist() const { return m_shortlist; }
    /** The row of the trial with database id `id`, or -1. */
    int rowOfTrial(qint64 id) const;
    const Trial *trialAt(int row) const;
    /** How the trial in `row` came to be: "search", "from 4: int4" (compressed from trial 4), "imported (tflite)". */
    QString originText(int row) const;
    /** A stable name of `column` for saved settings: "#", "state", "front", "origin", "error" or the metric's text. */
    QString columnKey(int column) const;
    /** True if the trial in `row` is on the Pareto front of the study's objectives. */
    bool isOnFront(int row) const;

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    bool setData(const QModelIndex &index, const QVariant &value, int role = Qt::EditRole) override;
    Qt::ItemFlags flags(const QModelIndex &index) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    QVariant displayData(const Trial &trial, int row, int column) const;
    QVariant rawData(const Trial &trial, int row, int column) const;
    QString headerToolTip(int column) const;
    void connectSet();
    /** One dataChanged() per run of consecutive rows (ascending). */
    void emitRowsChanged(const QList<int> &rows);

    TrialSet *m_set = nullptr;
    Shortlist *m_shortlist = nullptr;
    std::vector<MetricRef> m_metrics;
};

} // namespace psc
