// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "psc/study/studyspec.h"

#include <QWidget>

#include <vector>

class QCheckBox;
class QComboBox;
class QToolButton;

namespace psc {

/**
 * The row above the Pareto plot: a menu of metrics for each axis (labels with units in tooltips,
 * objectives first with ↑/↓ for their direction), a log-scale box per axis (enabled for positive costs
 * only) and a help button. GUI thread only.
 */
class AxisChooser : public QWidget
{
    Q_OBJECT
public:
    explicit AxisChooser(QWidget *parent = nullptr);

    /** Fills both menus with `metrics` (the first spec.objectives.size() are the study's objectives). */
    void setMetrics(const StudySpec &spec, const std::vector<MetricRef> &metrics);
    const std::vector<MetricRef> &metrics() const { return m_metrics; }

    MetricRef x() const;
    MetricRef y() const;
    /** Chooses both metrics; false (nothing changes) if either is not in the menus. Emits axesChanged(). */
    bool setAxes(const MetricRef &x, const MetricRef &y);
    void setLogScale(Qt::Orientation axis, bool on);
    bool isLogScale(Qt::Orientation axis) const;
    void setHelpText(const QString &html);

Q_SIGNALS:
    void axesChanged();
    void logScaleChanged();

private:
    void onMenuChanged();

    QComboBox *m_xMenu = nullptr;
    QComboBox *m_yMenu = nullptr;
    QCheckBox *m_xLog = nullptr;
    QCheckBox *m_yLog = nullptr;
    QToolButton *m_help = nullptr;
    std::vector<MetricRef> m_metrics;
    bool m_updating = false;
};

} // namespace psc
