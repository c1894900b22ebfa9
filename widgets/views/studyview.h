// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "psc/study/studyspec.h"
#include "psc/study/trial.h"

#include <QWidget>

#include <vector>

class QSplitter;
class QTabWidget;
class QLabel;
class QLineEdit;
class QTableView;

namespace psc {

class CandidateCards;
class ConvergencePlot;
class DriftTimeControl;
class ParallelCoordinates;
class ReplayControl;
class ScatterMatrix;
class Shortlist;
class TrialFilter;
class ParetoPlotWidget;
class TrialSortProxyModel;
class TrialTableModel;
class TrialSet;

/**
 * The trials of a study side by side: a sortable trial table and the Pareto plot, with one selection.
 * Selecting a row highlights its point, clicking a point selects (and scrolls to) its row. The view
 * only displays: trials come in through setStudy() and upsertTrials() and are held once, in a TrialSet that the
 * table and the plot share. GUI thread only.
 */
class StudyView : public QWidget
{
    Q_OBJECT
public:
    explicit StudyView(QWidget *parent = nullptr);
    ~StudyView() override;

    void setStudy(const StudySpec &spec, std::vector<Trial> trials);
    void upsertTrials(const std::vector<Trial> &changed);
    void clear();

    /** The selected trial's id, or -1. */
    qint64 selectedTrial() const;
    /** Selects trial `id` in the table and the plot (-1 clears). */
    void selectTrial(qint64 id);
    /**
     * The selected rows as tab-separated text, as the table shows them: a header line of the visible columns in
     * their on-screen order, then one line per row in table order; "" without a selection. Ctrl+C (Copy) in the
     * table puts it on the clipboard, ready for a spreadsheet.
     */
    QString selectedRowsAsTsv() const;
    /**
     * Shows or hides a column of the trial table (the header's context menu does this); the choice is kept in the
     * settings by column key (TrialTableModel::columnKey()) and applies to every study. The "#" column always shows.
     */
    void setColumnShown(int column, bool shown);

    /** The trials shown, shared by the table and the plot; ranked off the GUI thread. */
    TrialSet *trialSet() const { return m_trials; }
    TrialTableModel *model() const { return m_model; }
    TrialSortProxyModel *proxy() const { return m_proxy; }
    QTableView *table() const { return m_table; }
    ParetoPlotWidget *plot() const { return m_plot; }
    ConvergencePlot *convergence() const { return m_convergence; }
    /** The drift-time control above the plots; hidden unless shown for a study with analog targets. */
    DriftTimeControl *driftControl() const { return m_drift; }
    /** Which trials the table, the Pareto plot and the parallel coordinates show (brushes on the latter set it). */
    TrialFilter *filter() const { return m_filter; }
    /** The line above the table that says what is filtered, with a button that clears it (hidden without a filter). */
    QLabel *filterLabel() const { return m_filterLabel; }
    /** The filter expression above the table (TrialFilter::setExpression(); Enter applies it). */
    QLineEdit *filterEdit() const { return m_filterEdit; }
    /** Where a mistake in the expression is said (hidden while there is none). */
    QLabel *filterError() const { return m_filterError; }
    /** The starred trials and the notes of the open study; the table's ★ and Note columns show and edit them. */
    Shortlist *shortlist() const { return m_shortlist; }
    /** The trials selected in the table, by id, in table order (the current row's trial is selectedTrial()). */
    QList<qint64> selectedTrials() const;
    ParallelCoordinates *parallelCoordinates() const { return m_parallel; }
    ScatterMatrix *scatterMatrix() const { return m_matrix; }
    /** The candidate cards (shortlist and front) tab. */
    CandidateCards *cards() const { return m_cards; }
    /** The timeline under the plots: replays the study trial by trial. */
    ReplayControl *replay() const { return m_replay; }
    /** The hypervolume beside the Pareto plot while a replay shows part of the study (hidden otherwise). */
    ConvergencePlot *replayConvergence() const { return m_replayConvergence; }
    /** The tabs of the right side: the Pareto plot, parallel coordinates, scatter matrix, candidates, convergence. */
    QTabWidget *plotTabs() const { return m_plotTabs; }
    QSplitter *splitter() const { return m_splitter; }

Q_SIGNALS:
    void selectedTrialChanged(qint64 id);
    /** The cards' Compare button: put these trials (by id) side by side. */
    void compareRequested(const QList<qint64> &ids);

private:
    void fitColumns();
    void applyHiddenColumns();
    void showColumnMenu(const QPoint &pos);
    void onTableSelectionChanged();
    void onPlotClicked(qint64 id);
    void onReplayLimit(qint64 limit);
    void onFilterChanged();
    void applyFilterExpression();

    TrialSet *m_trials = nullptr; ///< shared by the model and the plot
    TrialTableModel *m_model = nullptr;
    TrialSortProxyModel *m_proxy = nullptr;
    QTableView *m_table = nullptr;
    ParetoPlotWidget *m_plot = nullptr;
    ConvergencePlot *m_convergence = nullptr;
    DriftTimeControl *m_drift = nullptr;
    ReplayControl *m_replay = nullptr;
    TrialFilter *m_filter = nullptr;
    Shortlist *m_shortlist = nullptr;
    ParallelCoordinates *m_parallel = nullptr;
    ScatterMatrix *m_matrix = nullptr;
    CandidateCards *m_cards = nullptr;
    QWidget *m_filterBar = nullptr;
    QLabel *m_filterLabel = nullptr;
    QLineEdit *m_filterEdit = nullptr;
    QLabel *m_filterError = nullptr;
    ConvergencePlot *m_replayConvergence = nullptr;
    QTabWidget *m_plotTabs = nullptr;
    QSplitter *m_splitter = nullptr;
    qint64 m_selected = -1;
};

} // namespace psc
