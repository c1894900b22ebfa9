// SPDX-License-Identifier: GPL-3.0-or-later
#include "plot/paretoplotwidget.h"

#include "models/trialset.h"

#include "models/metricformat.h"
#include "models/trialfilter.h"
#include "models/trialsummary.h"
#include "plot/axischooser.h"
#include "plot/compressionpaths.h"
#include "plot/encodedpoints.h"
#include "plot/paretographs.h"
#include "plot/paretoscatter.h"
#include "plot/plotexport.h"

#include "psc/pareto/pareto.h"
#include "psc/study/studyfront.h"

#include <qcustomplot.h>

#include <QCheckBox>
#include <QMenu>
#include <QToolButton>
#include <QToolTip>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>

namespace psc {
namespace {

constexpr double kPickRadius = 9.0; // pixels

QString readingHelp()
{
    return ParetoPlotWidget::tr(
        "<b>Reading the plot</b><br>Dots: complete trials. <span style='color:#e05a10'>Orange with a "
        "staircase</span>: the Pareto front of the two metrics shown, each in the direction the study "
        "optimises it (or its natural direction if it is not an objective): no other trial is at least as good "
        "on both axes. Rings: trials on the study's own front over <i>all</i> its objectives; with three "
        "objectives some of them look dominated in any two-dimensional view. Grey crosses: infeasible or "
        "failed trials. Open triangles: trials stopped early by the study's early-stopping rule, at their last "
        "validation "
        "accuracy (they have no deployed accuracy and are never on a front). With <i>All targets</i> in the Target "
        "menu every target's estimates are drawn in its own "
        "colour, with that target's front. <span style='color:#6a3d9a'>Arrows</span>: compression paths, from a "
        "trial to each network compressed from it (<i>Compression paths</i> hides them).<br>Hover a point for details, "
        "click to select its trial, drag to pan, use the wheel to zoom and double-click to fit.");
}

} // namespace

struct ParetoPlotWidget::Graphs
{
    QCPTextElement *title = nullptr;
    QCPItemText *emptyText = nullptr;
    std::unique_ptr<ParetoGraphs> scatter;
    std::unique_ptr<CompressionPaths> paths;
};

ParetoPlotWidget::ParetoPlotWidget(QWidget *parent, TrialSet *trials)
    : QWidget(parent), m_plot(new QCustomPlot(this)), m_axes(new AxisChooser(this)),
      m_graphs(std::make_unique<Graphs>()), m_set(trials ? trials : new TrialSet(this))
{
    m_axes->setHelpText(readingHelp());
    m_pathsToggle = new QCheckBox(tr("Compression paths"), this);
    m_pathsToggle->setObjectName(QStringLiteral("compressionPathsToggle"));
    m_pathsToggle->setChecked(true);
    m_pathsToggle->setToolTip(tr("Draw an arrow from each trial to the networks compressed from it (quantised, "
                                 "pruned), when both are on the plot: how far compression moved a network on these "
                                 "axes"));
    m_axes->addControl(m_pathsToggle);
    m_encodeButton = new QToolButton(this);
    m_encodeButton->setObjectName(QStringLiteral("encodeButton"));
    m_encodeButton->setText(tr("Colour/size"));
    m_encodeButton->setToolTip(tr("Show a third metric as the points' colour and a fourth as their size"));
    m_encodeButton->setPopupMode(QToolButton::InstantPopup);
    m_encodeButton->setMenu(new QMenu(m_encodeButton));
    connect(m_encodeButton->menu(), &QMenu::aboutToShow, this, &ParetoPlotWidget::showEncodingMenu);
    m_axes->addControl(m_encodeButton);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_axes);
    layout->addWidget(m_plot, 1);
    setUpPlot();
    connect(m_axes, &AxisChooser::axesChanged, this, [this] {
        m_autoRange = true;
        m_hovered = -1;
        if (!m_resetting) // the trial set's updated() redraws once the reset is complete
            rebuild();
        Q_EMIT axesChanged(xMetric(), yMetric());
    });
    connect(m_axes, &AxisChooser::logScaleChanged, this, [this] {
        m_autoRange = true;
        rebuild();
    });
    connect(m_pathsToggle, &QCheckBox::toggled, this, [this] {
        updateCompressionPaths();
        m_plot->replot();
    });
    connect(m_set, &TrialSet::wasReset, this, &ParetoPlotWidget::onReset);
    // Trials change many times a second during a run: those redraws are queued (see rebuild()).
    connect(m_set, &TrialSet::updated, this, [this] { rebuild(true); });
    onReset();
    rebuild();
}

ParetoPlotWidget::~ParetoPlotWidget() = default;

void ParetoPlotWidget::setUpPlot()
{
    m_plot->setObjectName(QStringLiteral("paretoCanvas"));
    // Small enough that the controls, the canvas and the timeline fit a 720-pixel screen with the inspector open.
    m_plot->setMinimumSize(320, 180);
    m_plot->setMouseTracking(true);
    m_plot->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    m_plot->setWhatsThis(readingHelp());

    Graphs &g = *m_graphs;
    m_plot->plotLayout()->insertRow(0);
    QFont titleFont = font();
    titleFont.setBold(true);
    g.title = new QCPTextElement(m_plot, QString(), titleFont);
    m_plot->plotLayout()->addElement(0, 0, g.title);

    // The legend gets a row of its own below the axes so it never hides points.
    auto *legendRow = new QCPLayoutGrid;
    m_plot->plotLayout()->addElement(2, 0, legendRow);
    m_plot->axisRect()->insetLayout()->take(m_plot->legend);
    legendRow->addElement(0, 0, m_plot->legend);
    legendRow->setMargins(QMargins(6, 0, 6, 6));
    m_plot->plotLayout()->setRowStretchFactor(2, 0.001);
    m_plot->legend->setFillOrder(QCPLegend::foColumnsFirst);
    m_plot->legend->setBorderPen(Qt::NoPen);
    m_plot->legend->setVisible(true);

    g.scatter = std::make_unique<ParetoGraphs>(m_plot);
    // Coloured and sized points above the plain ones, below the rings and the selection (drawn later on the layer).
    m_plot->addLayer(QStringLiteral("encoded"), m_plot->layer(QStringLiteral("main")), QCustomPlot::limAbove);
    m_encoded = new EncodedPoints(m_plot->xAxis, m_plot->yAxis);
    m_encoded->setLayer(QStringLiteral("encoded"));
    m_encoded->removeFromLegend();
    m_encoded->setName(tr("Coloured points"));
    g.paths = std::make_unique<CompressionPaths>(m_plot);

    g.emptyText = new QCPItemText(m_plot);
    g.emptyText->position->setType(QCPItemPosition::ptAxisRectRatio);
    g.emptyText->position->setCoords(0.5, 0.5);
    g.emptyText->setPositionAlignment(Qt::AlignCenter);
    g.emptyText->setColor(palette().color(QPalette::PlaceholderText));

    connect(m_plot, &QCustomPlot::mouseMove, this, &ParetoPlotWidget::onMouseMove);
    connect(m_plot, &QCustomPlot::mousePress, this, &ParetoPlotWidget::onMousePress);
    connect(m_plot, &QCustomPlot::mouseRelease, this, &ParetoPlotWidget::onMouseRelease);
    connect(m_plot, &QCustomPlot::mouseDoubleClick, this, &ParetoPlotWidget::onMouseDoubleClick);
    connect(m_plot, &QCustomPlot::mouseWheel, this, [this] { m_autoRange = false; });
    // Pans, zooms and resizes move the points on screen: the hover grid is rebuilt on the next hover.
    connect(m_plot, &QCustomPlot::afterLayout, this, [this] { m_pickGrid.valid = false; });
    connect(m_plot->xAxis, qOverload<const QCPRange &>(&QCPAxis::rangeChanged), this,
            [this] { m_pickGrid.valid = false; });
    connect(m_plot->yAxis, qOverload<const QCPRange &>(&QCPAxis::rangeChanged), this,
            [this] { m_pickGrid.valid = false; });
    m_plot->installEventFilter(this);
}

void ParetoPlotWidget::setStudy(const StudySpec &spec, std::vector<Trial> trials)
{
    m_set->reset(spec, std::move(trials));
}

void ParetoPlotWidget::upsertTrials(const std::vector<Trial> &changed)
{
    m_set->upsert(changed);
}

void ParetoPlotWidget::clear()
{
    m_set->clear();
}

void ParetoPlotWidget::onReset()
{
    m_selected = -1;
    m_hovered = -1;
    m_autoRange = true;
    // The updated() that follows the reset redraws, once: not once per axis menu filled here.
    m_resetting = true;
    if (!m_set->hasStudy()) {
        m_axes->setMetrics({}, {});
    } else {
        m_axes->setMetrics(spec(), studyMetrics(spec()));
        const auto [x, y] = defaultAxes(spec());
        m_axes->setAxes(x, y);
    }
    m_resetting = false;
}

const StudySpec &ParetoPlotWidget::spec() const
{
    return m_set->spec();
}

const std::vector<Trial> &ParetoPlotWidget::trials() const
{
    return m_set->trials();
}

std::pair<MetricRef, MetricRef> ParetoPlotWidget::defaultAxes(const StudySpec &spec)
{
    std::optional<MetricRef> x, y;
    for (const Objective &o : spec.objectives) {
        if (!x && o.direction == Direction::Minimize)
            x = o.metric;
        if (!y && o.direction == Direction::Maximize)
            y = o.metric;
    }
    // Fallbacks for studies without a maximised or minimised objective: the natural cost/quality pair.
    const std::vector<MetricRef> all = studyMetrics(spec);
    if (!y)
        y = (x && x->name == "accuracy") ? all.at(1) : MetricRef{"accuracy", {}};
    if (!x)
        x = all.front() == *y ? MetricRef{"weight_bytes", {}} : all.front();
    return {*x, *y};
}

const std::vector<MetricRef> &ParetoPlotWidget::availableMetrics() const
{
    return m_axes->metrics();
}

MetricRef ParetoPlotWidget::xMetric() const
{
    return m_axes->x();
}

MetricRef ParetoPlotWidget::yMetric() const
{
    return m_axes->y();
}

bool ParetoPlotWidget::setAxes(const MetricRef &x, const MetricRef &y)
{
    return m_axes->setAxes(x, y);
}

void ParetoPlotWidget::setLogScale(Qt::Orientation axis, bool on)
{
    m_axes->setLogScale(axis, on);
}

bool ParetoPlotWidget::isLogScale(Qt::Orientation axis) const
{
    return m_axes->isLogScale(axis);
}

QStringList ParetoPlotWidget::targets() const
{
    return m_axes->targets();
}

bool ParetoPlotWidget::setTarget(const QString &targetId)
{
    return m_axes->setTarget(targetId);
}

bool ParetoPlotWidget::showsAllTargets() const
{
    return m_axes->allTargets();
}

const Trial *ParetoPlotWidget::trial(qint64 id) const
{
    return m_set->find(id);
}

void ParetoPlotWidget::rebuild(bool queued)
{
    Graphs &g = *m_graphs;
    const MetricRef x = xMetric();
    const MetricRef y = yMetric();
    const bool all = showsAllTargets();
    std::vector<std::string> targetIds;
    for (const QString &t : targets())
        targetIds.push_back(t.toStdString());
    auto scatterOf = [&](const std::vector<int> *ranks, const std::vector<char> *shown) {
        return all ? computeTargetScatters(spec(), trials(), x, y, targetIds, isLogScale(Qt::Horizontal),
                                           isLogScale(Qt::Vertical), ranks, shown, m_set)
                   : computeParetoScatter(spec(), trials(), x, y, isLogScale(Qt::Horizontal), isLogScale(Qt::Vertical),
                                          ranks, shown, m_set);
    };
    // The study's ranks come with the trials (-1 until a background ranking arrives).
    ParetoScatter scatter = scatterOf(&m_set->ranks(), nullptr);
    const bool filtered = m_filter && m_filter->isActive();
    std::vector<char> shown; // a replay's or a filter's trials, by index: marked, not copied
    m_rangePoints.clear();
    if (m_trialLimit >= 0 || filtered) {
        shown.assign(trials().size(), 1);
        for (std::size_t i = 0; i < trials().size(); ++i)
            shown[i] = (m_trialLimit < 0 || trials()[i].number <= m_trialLimit) &&
                       (!filtered || m_filter->accepts(trials()[i]));
        // A replay rings the study's front among the trials so far (only front membership matters there); a filter
        // keeps the study's own ranks. The whole study's points set the axes, so points stay where they are.
        std::vector<int> replayRanks;
        if (m_trialLimit >= 0) {
            ObjectivePoints points = objectivePoints(trials(), spec().objectives);
            ObjectivePoints sofar;
            sofar.directions = points.directions;
            sofar.trials = points.trials;
            const std::size_t m = points.directions.size();
            for (std::size_t k = 0; k < points.members.size(); ++k)
                if (trials()[points.members[k]].number <= m_trialLimit) {
                    sofar.members.push_back(points.members[k]);
                    sofar.values.insert(sofar.values.end(), points.values.begin() + std::ptrdiff_t(k * m),
                                        points.values.begin() + std::ptrdiff_t((k + 1) * m));
                }
            replayRanks.assign(trials().size(), -1);
            for (std::size_t member : sofar.members)
                replayRanks[member] = 1;
            if (m > 0 && !sofar.members.empty())
                for (std::size_t k : paretoFront(sofar.values, sofar.directions))
                    replayRanks[sofar.members[k]] = 0;
        }
        ParetoScatter part = scatterOf(m_trialLimit >= 0 ? &replayRanks : &m_set->ranks(), &shown);
        m_rangePoints = std::move(scatter.points);
        part.maxAbsX = scatter.maxAbsX;
        part.maxAbsY = scatter.maxAbsY;
        scatter = std::move(part);
    }
    m_points = std::move(scatter.points);
    m_front = std::move(scatter.front);
    m_pickGrid.valid = false;
    const double maxX = scatter.maxAbsX;
    const double maxY = scatter.maxAbsY;
    const AxisScale sx = axisScale(x, maxX);
    const AxisScale sy = axisScale(y, maxY);
    m_xFactor = sx.factor;
    m_yFactor = sy.factor;

    for (std::vector<ScatterPoint> *points : {&m_points, &m_rangePoints})
        for (ScatterPoint &p : *points) {
            p.x *= m_xFactor;
            p.y *= m_yFactor;
            p.xError *= m_xFactor;
            p.yError *= m_yFactor;
        }
    // The rings only add information when the study's objectives are not just the two axes shown.
    const bool rings = spec().objectives.size() > 2 || !isObjective(spec(), x) || !isObjective(spec(), y);
    g.scatter->set(m_points, all ? targets() : QStringList(), metricDirection(spec(), x) == Direction::Minimize, rings);
    updateEncodings();
    // The legend's entries may have changed (targets, sizes): wrap them again for the plot's width.
    wrapLegend(m_plot->legend, m_plot->width() - 12);
    updateCompressionPaths();

    int complete = 0, pruned = 0;
    for (std::size_t i = 0; i < trials().size(); ++i)
        if (shown.empty() || shown[i]) {
            complete += trials()[i].state == TrialState::Complete;
            pruned += trials()[i].state == TrialState::Pruned;
        }
    const QString name = QString::fromStdString(spec().name);
    const QString prunedText = pruned ? tr(", %1 stopped early").arg(pruned) : QString();
    g.title->setText(spec().name.empty() ? QString()
                     : all               ? tr("%1 — %2 complete trials on %3 targets%4")
                                 .arg(name)
                                 .arg(complete)
                                 .arg(targetIds.size())
                                 .arg(prunedText)
                           : tr("%1 — %2 complete trials, %3 on the front of these axes%4")
                                     .arg(name)
                                     .arg(complete)
                                     .arg(m_front.size())
                                     .arg(prunedText) +
                                 (filtered ? tr(" (filtered)") : QString())); // a replay says where it is below
    g.emptyText->setText(spec().name.empty() ? tr("Open or run a study to see its trials")
                                             : tr("No trials with both metrics yet"));
    g.emptyText->setVisible(m_points.empty());
    m_plot->xAxis->setTickLabels(!m_points.empty());
    m_plot->yAxis->setTickLabels(!m_points.empty());
    m_plot->legend->setVisible(!m_points.empty());

    auto axisLabel = [this, all](const MetricRef &ref, const AxisScale &s) {
        if (ref.name.empty())
            return AxisLabels{};
        QString label =
            all && !ref.target.empty() ? metricLabel(MetricRef{ref.name, {}}) + tr(" (all targets)") : metricLabel(ref);
        if (!s.unit.isEmpty())
            label += QStringLiteral(" (%1)").arg(s.unit);
        const bool higher = metricDirection(spec(), ref) == Direction::Maximize;
        // The long form where it fits, else the arrow the table's headers use.
        return AxisLabels{label + (higher ? tr(" — higher is better") : tr(" — lower is better")),
                          label + (higher ? QStringLiteral(" ↑") : QStringLiteral(" ↓"))};
    };
    m_xLabels = axisLabel(x, sx);
    m_yLabels = axisLabel(y, sy);
    updateAxes();
    updateSelectionGraph();
    // Drawing 10,000 points takes longer than computing them: queued, the drawing is a turn of the event loop of its
    // own, and the two rebuilds of a live update (the trials, then their ranks) are drawn once if they come together.
    // What the user does (axes, targets) is drawn at once, so positions (trialPosition()) follow it immediately.
    m_plot->replot(queued ? QCustomPlot::rpQueuedReplot : QCustomPlot::rpRefreshHint);
}

void ParetoPlotWidget::setTrialFilter(const TrialFilter *filter)
{
    if (m_filter)
        disconnect(m_filter, nullptr, this, nullptr);
    m_filter = filter;
    if (m_filter)
        connect(m_filter, &TrialFilter::changed, this, [this] { rebuild(); });
    rebuild();
}

void ParetoPlotWidget::setTrialLimit(qint64 number)
{
    number = std::max<qint64>(number, -1);
    if (number == m_trialLimit)
        return;
    m_trialLimit = number;
    rebuild();
}

void ParetoPlotWidget::updateAxes()
{
    m_pickGrid.valid = false;
    fitAxes(*m_plot, m_rangePoints.empty() ? m_points : m_rangePoints, isLogScale(Qt::Horizontal),
            isLogScale(Qt::Vertical), m_autoRange);
}

void ParetoPlotWidget::updateSelectionGraph()
{
    m_graphs->scatter->setSelection(m_points, m_selected);
}

void ParetoPlotWidget::updateCompressionPaths()
{
    // Only studies with compressed trials need the toggle; the others keep the room for the axis menus.
    const bool any = std::any_of(trials().begin(), trials().end(), [](const Trial &t) { return t.parentId; });
    m_pathsToggle->setVisible(any);
    m_graphs->paths->set(m_pathsToggle->isChecked() ? computeCompressionArrows(trials(), m_points)
                                                    : std::vector<CompressionArrow>());
    fitToSize(m_plot->isVisible() ? m_plot->size() : QSize(900, 600));
}

QString ParetoPlotWidget::axisLabel(Qt::Orientation axis) const
{
    return (axis == Qt::Horizontal ? m_plot->xAxis : m_plot->yAxis)->label();
}

void ParetoPlotWidget::fitToSize(QSize size)
{
    wrapLegend(m_plot->legend, size.width() - 12); // the legend row's margins
    // An axis label longer than its axis is cut by the plot: the short form then (title, legend and tick labels take
    // about 170 pixels of the height and 90 of the width).
    auto fitting = [](const AxisLabels &labels, const QFont &font, int room) {
        return QFontMetrics(font).horizontalAdvance(labels.full) <= room ? labels.full : labels.brief;
    };
    m_plot->xAxis->setLabel(fitting(m_xLabels, m_plot->xAxis->labelFont(), size.width() - 90));
    m_plot->yAxis->setLabel(fitting(m_yLabels, m_plot->yAxis->labelFont(), size.height() - 170));
}

bool ParetoPlotWidget::eventFilter(QObject *watched, QEvent *event)
{
    if (watched == m_plot && event->type() == QEvent::Resize)
        fitToSize(m_plot->size()); // before the plot lays itself out for the new size
    return QWidget::eventFilter(watched, event);
}

void ParetoPlotWidget::setShowCompressionPaths(bool on)
{
    m_pathsToggle->setChecked(on);
}

bool ParetoPlotWidget::showsCompressionPaths() const
{
    return m_pathsToggle->isChecked();
}

const std::vector<CompressionArrow> &ParetoPlotWidget::compressionArrows() const
{
    return m_graphs->paths->arrows();
}

void ParetoPlotWidget::setSelectedTrial(qint64 id)
{
    if (id == m_selected)
        return;
    m_selected = id;
    updateSelectionGraph();
    m_plot->replot(QCustomPlot::rpQueuedReplot);
}

QList<qint64> ParetoPlotWidget::plottedTrialIds() const
{
    QList<qint64> ids;
    for (const ScatterPoint &p : m_points)
        ids.push_back(p.id);
    return ids;
}

QList<qint64> ParetoPlotWidget::plottedTrialIds(const QString &target) const
{
    QList<qint64> ids;
    const int series = int(targets().indexOf(target));
    for (const ScatterPoint &p : m_points)
        if (series >= 0 && p.series == series)
            ids.push_back(p.id);
    return ids;
}

QStringList ParetoPlotWidget::legendEntries() const
{
    QStringList names;
    for (int i = 0; i < m_plot->legend->itemCount(); ++i)
        if (auto *item = qobject_cast<QCPPlottableLegendItem *>(m_plot->legend->item(i)))
            names << item->plottable()->name();
    return names;
}

QList<qint64> ParetoPlotWidget::studyFrontTrialIds() const
{
    QList<qint64> ids;
    for (const ScatterPoint &p : m_points)
        if (p.onStudyFront)
            ids.push_back(p.id);
    return ids;
}

QWidget *ParetoPlotWidget::canvas() const
{
    return m_plot;
}

QPointF ParetoPlotWidget::trialPosition(qint64 id) const
{
    for (const ScatterPoint &p : m_points)
        if (p.id == id)
            return {m_plot->xAxis->coordToPixel(p.x), m_plot->yAxis->coordToPixel(p.y)};
    return {-1, -1};
}

qint64 ParetoPlotWidget::trialAt(const QPointF &pos) const
{
    const int i = pointAt(pos);
    return i < 0 ? -1 : m_points[std::size_t(i)].id;
}

void ParetoPlotWidget::buildPickGrid() const
{
    // Every point's pixel position, bucketed in cells of the pick radius: a hover looks at 3x3 cells, not at every
    // point (100,000 of them in a large study). Rebuilt when the points or the axes' ranges or size change.
    PickGrid &g = m_pickGrid;
    g.cells.clear();
    g.pixels.resize(m_points.size());
    for (std::size_t i = 0; i < m_points.size(); ++i) {
        const QPointF px(m_plot->xAxis->coordToPixel(m_points[i].x), m_plot->yAxis->coordToPixel(m_points[i].y));
        g.pixels[i] = px;
        if (std::isfinite(px.x()) && std::isfinite(px.y()))
            g.cells[PickGrid::key(px)].push_back(int(i));
    }
    g.valid = true;
}

int ParetoPlotWidget::pointAt(const QPointF &pos) const
{
    if (!m_pickGrid.valid)
        buildPickGrid();
    const PickGrid &g = m_pickGrid;
    int best = -1;
    double bestDistance = kPickRadius * kPickRadius;
    const qint64 cx = qint64(std::floor(pos.x() / PickGrid::kCell)), cy = qint64(std::floor(pos.y() / PickGrid::kCell));
    for (qint64 dx = -1; dx <= 1; ++dx)
        for (qint64 dy = -1; dy <= 1; ++dy) {
            const auto it = g.cells.find(PickGrid::key(cx + dx, cy + dy));
            if (it == g.cells.end())
                continue;
            for (int i : it->second) {
                const QPointF d = g.pixels[std::size_t(i)] - pos;
                const double dist = d.x() * d.x() + d.y() * d.y();
                // The nearest; at equal distance a front point (drawn on top), then the first in trial order.
                auto rank = [this](int k) {
                    return m_points[std::size_t(k)].kind == ScatterPoint::Kind::Front ? 0 : 1;
                };
                const bool better =
                    best < 0 ? dist < bestDistance
                             : dist < bestDistance || (dist == bestDistance &&
                                                       (rank(i) < rank(best) || (rank(i) == rank(best) && i < best)));
                if (better) {
                    bestDistance = dist;
                    best = i;
                }
            }
        }
    return best;
}

void ParetoPlotWidget::onMouseMove(QMouseEvent *event)
{
    if (event->buttons() != Qt::NoButton)
        return; // panning
    const int index = pointAt(event->position());
    m_plot->setCursor(index >= 0 ? Qt::PointingHandCursor : Qt::CrossCursor);
    if (index == m_hovered)
        return;
    m_hovered = index;
    const ScatterPoint *point = index < 0 ? nullptr : &m_points[std::size_t(index)];
    const Trial *t = point ? trial(point->id) : nullptr;
    if (!t) {
        QToolTip::hideText();
        return;
    }
    QString tip = trialToolTip(*t, spec(), point->onStudyFront) + lineageToolTip(*t, trials());
    if (point->series >= 0)
        tip += tr("<p>Point for target <b>%1</b>%2.</p>")
                   .arg(targets().value(point->series).toHtmlEscaped(),
                        point->kind == ScatterPoint::Kind::Front ? tr(", on its front of the two axes") : QString());
    else if (m_front.contains(point->id))
        tip += tr("<p>On the Pareto front of the two axes shown.</p>");
    QToolTip::showText(event->globalPosition().toPoint(), tip, m_plot);
}

void ParetoPlotWidget::onMousePress(QMouseEvent *event)
{
    m_pressPos = event->position();
}

void ParetoPlotWidget::onMouseRelease(QMouseEvent *event)
{
    if (event->button() != Qt::LeftButton)
        return;
    if ((event->position() - m_pressPos).manhattanLength() > 4) {
        m_autoRange = false; // the user panned
        return;
    }
    // A click that misses every point keeps the selection: a near miss must not lose the trial being looked at.
    const qint64 id = trialAt(event->position());
    if (id < 0)
        return;
    setSelectedTrial(id);
    Q_EMIT trialClicked(id);
}

void ParetoPlotWidget::onMouseDoubleClick(QMouseEvent *)
{
    m_autoRange = true;
    updateAxes();
    m_plot->replot();
}

QStringList ParetoPlotWidget::saveFormats()
{
    return plotExportFormats();
}

bool ParetoPlotWidget::save(const QString &path, QSize size, QString *error)
{
    if (!size.isValid())
        size = m_plot->isVisible() && m_plot->width() >= 200 ? m_plot->size() : QSize(900, 600);
    fitToSize(size);
    const bool ok = exportPlot(*m_plot, path, size, QString::fromStdString(spec().name), error);
    fitToSize(m_plot->isVisible() ? m_plot->size() : QSize(900, 600));
    return ok;
}

} // namespace psc
