// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "psc/study/trial.h"

#include "psc/targets/costinput.h"

#include <QTabWidget>

class QAction;
class QTextBrowser;

namespace psc {

class AnalogDriftPlot;
class DeploymentView;
class LayerCompressionView;
class LearningCurvePlot;
class TrialCostView;

/**
 * The trial inspector: a summary of the selected trial (every metric, why it is infeasible or failed, its choices), its
 * layers and their compression (LayerCompressionView), its cost on every
 * hardware target (TrialCostView), the files it was exported to, measured beside estimated (DeploymentView), and its
 * learning curve against the study's (LearningCurvePlot) and its analog accuracy against drift time (AnalogDriftPlot),
 * as tabs. GUI thread only.
 */
class TrialInspector : public QTabWidget
{
    Q_OBJECT
public:
    explicit TrialInspector(QWidget *parent = nullptr);

    /** Shows `trial`; `parent` is the trial it was compressed from, if it has one and it is known. */
    void setTrial(const Trial &trial, const Trial *parent = nullptr, const WeightValues *weights = nullptr);
    /** The "Summary" tab (the first): trialDetailsHtml() of the selected trial. */
    void setSummary(const QString &html);
    QString summaryHtml() const;
    /** Shows `trial`'s learning curve against the study's `trials` (the "Learning curve" tab). */
    void setStudyCurves(const Trial &trial, const std::vector<Trial> &trials);
    void clear();
    /** Adds `action` as a button at the right end of the tab bar (e.g. the window's "Compress Trial…"). */
    void addCornerAction(QAction *action);

    LayerCompressionView *layerView() const { return m_layers; }
    TrialCostView *costView() const { return m_cost; }
    DeploymentView *deploymentView() const { return m_deployments; }
    LearningCurvePlot *learningCurve() const { return m_curve; }
    AnalogDriftPlot *analogDrift() const { return m_analog; }

private:
    QTextBrowser *m_summary = nullptr;
    LayerCompressionView *m_layers = nullptr;
    TrialCostView *m_cost = nullptr;
    DeploymentView *m_deployments = nullptr;
    LearningCurvePlot *m_curve = nullptr;
    AnalogDriftPlot *m_analog = nullptr;
};

} // namespace psc
