// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "psc/study/studyspec.h"

#include <QImage>
#include <QList>
#include <QWidget>

#include <vector>

namespace psc {

class TrialFilter;
class TrialSet;

/**
 * Parallel coordinates of a study: one vertical axis per metric (the study's objectives and the metrics its
 * constraints limit by default; right-click to add or remove any metric), one line per complete trial through its
 * values. Higher values are up; an axis spanning two decades or more of positive values is logarithmic, as in the
 * colour scale of the Pareto plot. Lines on the study's front are orange, the selected trial is drawn thick.
 *
 * Dragging along an axis brushes a range of it into the shared TrialFilter (the table and the Pareto plot show the
 * trials it accepts too); a click on an axis clears its brush; a click on a line selects its trial. Lines the filter
 * rejects stay as faint context. The lines are drawn once into an image (again when the trials, the filter or the
 * size change); above 20,000 of them only every k-th line off the front is drawn, and a note says so. Follows the
 * trial set live. GUI thread only.
 */
class ParallelCoordinates : public QWidget
{
    Q_OBJECT
public:
    explicit ParallelCoordinates(TrialSet *trials, QWidget *parent = nullptr);
    ~ParallelCoordinates() override;

    /** The filter the brushes write to and the lines follow (nullptr: no brushing). Not owned. */
    void setTrialFilter(TrialFilter *filter);
    /** The axes, left to right; a study's reset sets defaultAxes(). */
    void setAxes(std::vector<MetricRef> axes);
    const std::vector<MetricRef> &axes() const { return m_axes; }
    /** The study's objectives, then the metrics its constraints limit (each once). */
    static std::vector<MetricRef> defaultAxes(const StudySpec &spec);
    /** Highlights trial `id` (-1: none); emits nothing. */
    void setSelectedTrial(qint64 id);
    qint64 selectedTrial() const { return m_selected; }

    /** Ids of the trials drawn (complete, with a value on every axis), in trial order. */
    QList<qint64> drawnTrialIds() const;
    /** Of those, the ones the filter accepts. */
    QList<qint64> acceptedTrialIds() const;
    /** Where axis `axis` is drawn and where `value` sits on it, in widget coordinates (for tests and picking). */
    QPointF pointOn(int axis, double value) const;
    /** The trial whose line passes within a few pixels of `pos`, or -1. */
    qint64 trialAt(const QPointF &pos) const;

    QSize sizeHint() const override { return {600, 320}; }
    QSize minimumSizeHint() const override { return {240, 160}; }

Q_SIGNALS:
    void trialClicked(qint64 id);

protected:
    void paintEvent(QPaintEvent *event) override;
    void mousePressEvent(QMouseEvent *event) override;
    void mouseMoveEvent(QMouseEvent *event) override;
    void mouseReleaseEvent(QMouseEvent *event) override;
    void contextMenuEvent(QContextMenuEvent *event) override;
    void showEvent(QShowEvent *event) override;

private:
    struct Axis;
    struct Line
    {
        qint64 id = 0;
        std::vector<double> values; ///< SI, one per axis
        std::vector<double> places; ///< in [0, 1] on each axis
        bool front = false;
        bool accepted = true;
    };

    void rebuild();
    void refilter();
    QRectF plotArea() const;
    double axisX(int axis) const;
    double placeY(double place) const;
    /** The axis whose line is within a few pixels of x, or -1. */
    int axisNear(double x) const;
    double valueAtY(int axis, double y) const;

    TrialSet *m_trials = nullptr;
    TrialFilter *m_filter = nullptr;
    std::vector<MetricRef> m_axes;
    std::vector<Axis> m_scales;
    std::vector<Line> m_lines;
    QImage m_linesImage;   ///< every line but the selected one, for the current size; null when stale
    int m_drawnStride = 1; ///< 1 in this many lines off the front is drawn (a large study)
    bool m_stale = true;   ///< the trials changed while hidden: rebuilt when shown
    qint64 m_selected = -1;
    int m_brushAxis = -1; ///< the axis being brushed, while the mouse is down
    double m_brushStart = 0.0;
    double m_brushEnd = 0.0;
};

} // namespace psc
