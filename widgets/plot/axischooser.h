// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "psc/study/studyspec.h"

#include <QStringList>
#include <QWidget>

#include <vector>

class QCheckBox;
class QComboBox;
class QLabel;
class QToolButton;

namespace psc {

/**
 * The controls above the Pareto plot (a row that wraps onto a second line when narrow): a menu of metric *names* for
 * each axis (labels with units in tooltips, objectives first with ↑/↓ for their direction), a "Target" menu for the
 * target metrics (latency_s, energy_j, ... of one of the study's targets, or "All targets"), a log-scale box per axis
 * (enabled for positive costs only) and a help button. Both axes share the target: a study's two target
 * metrics are compared on the same hardware. The target menu is enabled only while an axis shows a target
 * metric. GUI thread only.
 */
class AxisChooser : public QWidget
{
    Q_OBJECT
public:
    explicit AxisChooser(QWidget *parent = nullptr);

    /**
     * Fills the menus from `metrics` (the first spec.objectives.size() are the study's objectives): model
     * metrics as they are, target metrics by name, with the targets they name in the target menu; every
     * standard target metric (latency_s, energy_j, cycles, ...) is offered for those targets too.
     */
    void setMetrics(const StudySpec &spec, const std::vector<MetricRef> &metrics);
    /** Every concrete metric the menus can express (model metrics, and each target metric on each target). */
    const std::vector<MetricRef> &metrics() const { return m_metrics; }
    /** The study's targets, in target-menu order (without "All targets"). */
    const QStringList &targets() const { return m_targets; }

    /** The chosen metrics; a target metric carries the chosen target (the first one with "All targets"). */
    MetricRef x() const;
    MetricRef y() const;
    /** True when "All targets" is chosen and at least one axis shows a target metric. */
    bool allTargets() const;
    /**
     * Chooses both metrics; false (nothing changes) if either is not offered or two target metrics name
     * different targets. Choosing a target metric selects its target. Emits axesChanged().
     */
    bool setAxes(const MetricRef &x, const MetricRef &y);
    /** Chooses a target (one of targets()) or, with an empty id, "All targets"; false if unknown. */
    bool setTarget(const QString &targetId);
    void setLogScale(Qt::Orientation axis, bool on);
    bool isLogScale(Qt::Orientation axis) const;
    void setHelpText(const QString &html);
    /** Adds `widget` (a plot option such as a toggle) to the row, just before the help button. */
    void addControl(QWidget *widget);

Q_SIGNALS:
    void axesChanged();
    void logScaleChanged();

private:
    void onMenuChanged();
    MetricRef refAt(const QComboBox *menu) const;
    QString currentTarget() const;

    QComboBox *m_xMenu = nullptr;
    QComboBox *m_yMenu = nullptr;
    QLabel *m_targetLabel = nullptr;
    QComboBox *m_targetMenu = nullptr;
    QCheckBox *m_xLog = nullptr;
    QCheckBox *m_yLog = nullptr;
    QToolButton *m_help = nullptr;
    std::vector<MetricRef> m_metrics;
    QStringList m_targets;
    bool m_updating = false;
};

} // namespace psc
