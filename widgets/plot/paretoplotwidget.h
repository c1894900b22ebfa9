// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "plot/compressionpaths.h"
#include "plot/paretoscatter.h"

#include "psc/study/studyspec.h"
#include "psc/study/trial.h"

#include <QList>
#include <QPointF>
#include <QSize>
#include <QString>
#include <QWidget>

#include <cmath>
#include <memory>
#include <unordered_map>
#include <utility>
#include <vector>

class QCPColorScale;
class QCPGraph;
class QCheckBox;
class QCustomPlot;
class QToolButton;
class QMouseEvent;

namespace psc {

class AxisChooser;
class EncodedPoints;
class TrialFilter;
class TrialSet;

/**
 * A scatter plot of a study's trials over two metrics chosen from the study's metrics, with the Pareto
 * front highlighted.
 *
 * Which front: the front of the two metrics on the axes, in the directions the study's objectives give
 * them (a metric that is not an objective uses its natural direction). That front is what the eye can
 * check on a 2-D plot, so it is drawn as filled points joined by the staircase that bounds the region
 * they dominate. Trials on the study's own front (all of its objectives) are ringed: with three
 * objectives some of them look dominated in any 2-D projection. Complete trials are plotted; infeasible
 * and failed trials that have both values (costs known before training) are drawn as grey crosses;
 * pending and running ones are not drawn.
 *
 * Compression paths: a trial made from another one (Trial::parentId, `paretoscope compress`) gets an arrow
 * from its parent's point to its own when both are drawn, on whatever axes are chosen; a toggle next to
 * the axis menus (shown for studies that have compressed trials) hides them.
 *
 * Hovering a point shows the trial's details, clicking selects it (trialClicked()); setSelectedTrial()
 * highlights a trial chosen elsewhere without emitting anything. Drag pans, the wheel zooms, a
 * double-click fits the data again. GUI thread only; the QCustomPlot is a member, never subclassed.
 */
class ParetoPlotWidget : public QWidget
{
    Q_OBJECT
public:
    /** A plot of its own trials (ranked immediately), or of `trials` (shared, must outlive the plot). */
    explicit ParetoPlotWidget(QWidget *parent = nullptr, TrialSet *trials = nullptr);
    ~ParetoPlotWidget() override;

    /** The trials shown; setStudy(), upsertTrials() and clear() change them for every view that shares them. */
    TrialSet *trialSet() const { return m_set; }

    /** Shows a study: fills the axis menus and picks defaultAxes(). */
    void setStudy(const StudySpec &spec, std::vector<Trial> trials);
    /** Adds new trials and replaces changed ones (by id), then redraws. */
    void upsertTrials(const std::vector<Trial> &changed);
    void clear();

    /** The default axes: x the first minimised objective, y the first maximised one (accuracy). */
    static std::pair<MetricRef, MetricRef> defaultAxes(const StudySpec &spec);
    /** The metrics the axis menus offer, in menu order. */
    const std::vector<MetricRef> &availableMetrics() const;
    MetricRef xMetric() const;
    MetricRef yMetric() const;
    /** Chooses the axes; false (and nothing changes) if either metric is not offered. */
    bool setAxes(const MetricRef &x, const MetricRef &y);
    /** The study's targets offered for target metrics ("latency_s@<target>"). */
    QStringList targets() const;
    /**
     * Chooses the target whose estimates the target metrics on the axes show; an empty id shows all
     * targets, each in its own colour with its own front and legend entry. False if the id is unknown.
     */
    bool setTarget(const QString &targetId);
    /** True while all targets are drawn (chosen, and an axis shows a target metric). */
    bool showsAllTargets() const;
    /** Log scale for an axis; ignored for metrics that can be zero or negative (accuracies). */
    void setLogScale(Qt::Orientation axis, bool on);
    bool isLogScale(Qt::Orientation axis) const;

    /**
     * Replay: draws only the trials numbered up to `number` and the fronts among them, on the axes of the
     * whole study (so points appear where they will stay); -1 draws every trial again.
     */
    void setTrialLimit(qint64 number);
    qint64 trialLimit() const { return m_trialLimit; }
    /**
     * Draws only the trials `filter` accepts (nullptr: all), on the axes of the whole study; the study's rings stay
     * those of every trial. Follows the filter's changes. Not owned.
     */
    void setTrialFilter(const TrialFilter *filter);

    /**
     * A third metric as the points' colour (with a colour bar beside the plot) and a fourth as their size (with
     * three sizes in the legend), chosen from availableMetrics(); an empty MetricRef removes the encoding. The two
     * axes' fronts and the study's rings stay drawn. With all targets shown, colour stands for the target and the
     * encodings wait. False (nothing changes) for a metric that is not offered.
     */
    bool setColourMetric(const MetricRef &metric);
    bool setSizeMetric(const MetricRef &metric);
    MetricRef colourMetric() const { return m_colourMetric; }
    MetricRef sizeMetric() const { return m_sizeMetric; }
    /** The points drawn with colour and size (empty while neither is chosen). */
    const std::vector<EncodedPoint> &encodedPoints() const;
    /** The colour bar while a colour metric is shown, else nullptr. */
    QCPColorScale *colourScale() const;

    /** Shows or hides the compression paths (shown by default). */
    void setShowCompressionPaths(bool on);
    bool showsCompressionPaths() const;
    /** The arrows drawn now, in the axes' display units (empty while hidden). */
    const std::vector<CompressionArrow> &compressionArrows() const;

    /** Ids of the trials drawn, in trial order (with all targets: target by target). */
    QList<qint64> plottedTrialIds() const;
    /** With all targets shown, the ids of the trials drawn for `target`. */
    QList<qint64> plottedTrialIds(const QString &target) const;
    /** The names in the legend, in order (one per target with all targets shown). */
    QStringList legendEntries() const;
    /** Ids of the trials on the front of the two shown axes, ordered along the x axis. */
    QList<qint64> frontTrialIds() const { return m_front; }
    /** Ids of the plotted trials that are on the study's Pareto front (all objectives). */
    QList<qint64> studyFrontTrialIds() const;
    /** The highlighted trial, or -1. */
    qint64 selectedTrial() const { return m_selected; }
    /** The drawn trial nearest to `pos` (canvas coordinates) within a few pixels, or -1. */
    qint64 trialAt(const QPointF &pos) const;
    /** Where trial `id` is drawn, in canvas coordinates; nullopt-like (-1, -1) if it is not drawn. */
    QPointF trialPosition(qint64 id) const;
    /** The axis's label as drawn: with "— higher/lower is better" where it fits, else with ↑/↓. */
    QString axisLabel(Qt::Orientation axis) const;
    /** The QCustomPlot canvas (for tests and for mapping mouse positions). */
    QWidget *canvas() const;

    /**
     * Writes the plot to `path` as PNG, SVG or PDF, chosen by the extension. `size` in pixels (points for
     * PDF) defaults to the on-screen size, or 900x600 when hidden. On failure returns false, removes any
     * partial file and sets `error`.
     */
    bool save(const QString &path, QSize size = {}, QString *error = nullptr);
    /** "png", "svg", "pdf". */
    static QStringList saveFormats();

public Q_SLOTS:
    /** Highlights trial `id` (-1 clears); emits nothing, so it can follow a selection made elsewhere. */
    void setSelectedTrial(qint64 id);

Q_SIGNALS:
    /** The user clicked trial `id`'s point (a click where there is no trial changes nothing). */
    void trialClicked(qint64 id);
    void axesChanged(const psc::MetricRef &x, const psc::MetricRef &y);

private:
    /** An axis label with the direction spelled out, and a short form with an arrow for small plots. */
    struct AxisLabels
    {
        QString full;
        QString brief;
    };

    void setUpPlot();
    /** Recomputes the points and redraws, at once or (`queued`) in a later turn of the event loop. */
    void rebuild(bool queued = false);
    void updateAxes();
    void updateSelectionGraph();
    /** Colours and sizes the points by the chosen metrics (or removes the encodings). */
    void updateEncodings();
    void showEncodingMenu();
    /** Sets `encoding` (the colour or size metric) if `metric` is offered or empty, and redraws. */
    bool setEncoding(MetricRef &encoding, const MetricRef &metric);
    void updateCompressionPaths();
    /** Wraps the legend and picks the axis labels (long or short form) for a plot of `size`. */
    void fitToSize(QSize size);
    bool eventFilter(QObject *watched, QEvent *event) override;
    void onMouseMove(QMouseEvent *event);
    void onMousePress(QMouseEvent *event);
    void onMouseRelease(QMouseEvent *event);
    void onMouseDoubleClick(QMouseEvent *event);
    const Trial *trial(qint64 id) const;
    int pointAt(const QPointF &pos) const;
    void buildPickGrid() const;

    /** The drawn points' pixel positions bucketed by cell, for hovering: a uniform grid as spatial index. */
    struct PickGrid
    {
        static constexpr double kCell = 16.0; ///< pixels, more than the pick radius: 3x3 cells cover it
        static qint64 key(qint64 cx, qint64 cy) { return (cx << 32) ^ (cy & 0xffffffff); }
        static qint64 key(const QPointF &px)
        {
            return key(qint64(std::floor(px.x() / kCell)), qint64(std::floor(px.y() / kCell)));
        }
        std::unordered_map<qint64, std::vector<int>> cells;
        std::vector<QPointF> pixels; ///< by index into m_points
        bool valid = false;
    };
    mutable PickGrid m_pickGrid;

    struct Graphs;
    QCustomPlot *m_plot = nullptr;
    AxisChooser *m_axes = nullptr;
    QCheckBox *m_pathsToggle = nullptr;
    QToolButton *m_encodeButton = nullptr;
    MetricRef m_colourMetric;
    MetricRef m_sizeMetric;
    EncodedPoints *m_encoded = nullptr;
    QCPColorScale *m_colourBar = nullptr; ///< in the plot's layout only while a colour metric is shown
    std::vector<QCPGraph *> m_sizeLegend; ///< empty graphs whose legend entries show three sizes
    std::unique_ptr<Graphs> m_graphs;

    void onReset();
    const StudySpec &spec() const;
    const std::vector<Trial> &trials() const;

    TrialSet *m_set = nullptr;
    bool m_resetting = false;                ///< inside onReset(): axis changes do not redraw
    std::vector<ScatterPoint> m_points;      ///< values scaled to the axes' display units
    std::vector<ScatterPoint> m_rangePoints; ///< during a replay: every trial's point, for the axes' ranges
    qint64 m_trialLimit = -1;
    const TrialFilter *m_filter = nullptr;
    QList<qint64> m_front;
    double m_xFactor = 1.0;
    double m_yFactor = 1.0;
    qint64 m_selected = -1;
    int m_hovered = -1; ///< index into m_points
    AxisLabels m_xLabels;
    AxisLabels m_yLabels;
    bool m_autoRange = true; ///< false once the user pans or zooms, until a double-click or an axis change
    QPointF m_pressPos;
};

} // namespace psc
