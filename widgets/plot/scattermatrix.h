// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "psc/study/studyspec.h"

#include <QList>
#include <QWidget>

#include <vector>

class QCPAxisRect;
class QCPGraph;
class QCustomPlot;
class QMouseEvent;

namespace psc {

class TrialFilter;
class TrialSet;

/**
 * Every pair of the study's objectives at once: a grid of small scatter plots, metric i across and metric j up in
 * cell (row j, column i), each metric's name on the diagonal. Complete trials are drawn blue, those on the study's
 * front orange, those the shared TrialFilter rejects as faint grey context, the selected trial ringed in every cell;
 * a click on a point selects its trial. Follows the trial set and the filter live while shown (hidden, it catches up
 * when shown). GUI thread only; the QCustomPlot is a member.
 */
class ScatterMatrix : public QWidget
{
    Q_OBJECT
public:
    explicit ScatterMatrix(TrialSet *trials, QWidget *parent = nullptr);
    ~ScatterMatrix() override;

    /** The filter whose rejected trials are drawn as context (not owned; may be null). */
    void setTrialFilter(const TrialFilter *filter);
    /** Highlights trial `id` (-1: none); emits nothing. */
    void setSelectedTrial(qint64 id);
    qint64 selectedTrial() const { return m_selected; }

    /** The metrics, in row and column order (the study's objectives). */
    const std::vector<MetricRef> &metrics() const { return m_metrics; }
    /** Ids of the trials drawn (complete, with every metric), in trial order. */
    QList<qint64> drawnTrialIds() const;
    /** Of those, the ones the filter accepts. */
    QList<qint64> acceptedTrialIds() const;
    /** Where trial `id` is drawn in cell (row, column), in widget coordinates; (-1, -1) if it is not. */
    QPointF trialPosition(qint64 id, int row, int column) const;
    /** The trial drawn within a few pixels of `pos` (widget coordinates), or -1. */
    qint64 trialAt(const QPointF &pos) const;
    QWidget *canvas() const;

Q_SIGNALS:
    void trialClicked(qint64 id);

protected:
    void showEvent(QShowEvent *event) override;

private:
    struct Point
    {
        qint64 id = 0;
        std::vector<double> values; ///< SI, one per metric
        bool front = false;
        bool accepted = true;
    };

    void rebuild();
    void draw();
    /** Puts the selection ring of every cell on the selected trial (none without one). */
    void placeSelectionRings();
    void onMousePress(QMouseEvent *event);
    QCPAxisRect *cell(int row, int column) const;

    TrialSet *m_trials = nullptr;
    const TrialFilter *m_filter = nullptr;
    QCustomPlot *m_plot = nullptr;
    std::vector<MetricRef> m_metrics;
    std::vector<double> m_factors; ///< display unit per metric
    std::vector<Point> m_points;
    struct SelectionRing
    {
        QCPGraph *graph = nullptr; ///< owned by the plot
        int row = 0;
        int column = 0;
    };
    std::vector<SelectionRing> m_rings;
    qint64 m_selected = -1;
    bool m_stale = true; ///< the trials or the filter changed while hidden: rebuilt when shown
};

} // namespace psc
