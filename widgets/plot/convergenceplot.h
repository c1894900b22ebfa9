// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "models/latestrequest.h"

#include "psc/study/studyfront.h"

#include <QWidget>

class QCPItemStraightLine;
class QCustomPlot;
class QLabel;

namespace psc {

class TrialSet;

/**
 * How the study's front grew: its normalised hypervolume (docs/formats/show.md) after each trial, as a step line,
 * with the strategy and its options above it. Follows the trial set live; the curve is computed off the GUI thread
 * (latest request wins) and sampled to at most kMaxPoints points, and only while the widget is visible.
 */
class ConvergencePlot : public QWidget
{
    Q_OBJECT
public:
    static constexpr std::size_t kMaxPoints = 400;

    explicit ConvergencePlot(TrialSet *trials, QWidget *parent = nullptr);
    ~ConvergencePlot() override;

    /** The curve drawn (empty before the first computation or without ranked trials). */
    const HypervolumeCurve &curve() const { return m_curve; }
    /** The line above the plot: strategy, options, last hypervolume (and at the marker, with one). */
    QString summary() const;
    /**
     * Marks trial number `number` with a vertical line (a replay's position; -1 removes it) and says the
     * hypervolume there in the summary.
     */
    void setMarker(qint64 number);
    qint64 marker() const { return m_marker; }
    /** The hypervolume after trial `number` from the curve (the last point at or before it), or NaN. */
    double hypervolumeAt(qint64 number) const;
    /** Shows or hides the line above the plot (a compact plot beside another leaves it out). */
    void setSummaryVisible(bool on);
    /** True while a computation is on its way. */
    bool isBusy() const { return m_request.isBusy(); }
    QWidget *canvas() const;

protected:
    void showEvent(QShowEvent *event) override;

private:
    void refresh();
    void draw();

    TrialSet *m_trials = nullptr;
    QLabel *m_summary = nullptr;
    QCustomPlot *m_plot = nullptr;
    HypervolumeCurve m_curve;
    QCPItemStraightLine *m_markerLine = nullptr;
    qint64 m_marker = -1;
    bool m_stale = true;
    LatestRequest m_request{this};
};

} // namespace psc
