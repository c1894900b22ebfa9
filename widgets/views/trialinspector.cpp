// SPDX-License-Identifier: GPL-3.0-or-later
#include "views/trialinspector.h"

#include "plot/analogdriftplot.h"
#include "plot/learningcurveplot.h"
#include "views/deploymentview.h"
#include "views/layercompressionview.h"
#include "views/trialcostview.h"

#include <QHBoxLayout>
#include <QTextBrowser>
#include <QToolButton>

namespace psc {

TrialInspector::TrialInspector(QWidget *parent)
    : QTabWidget(parent), m_layers(new LayerCompressionView(this)), m_cost(new TrialCostView(this)),
      m_deployments(new DeploymentView(this)), m_curve(new LearningCurvePlot(this))
{
    setObjectName(QStringLiteral("trialInspector"));
    m_layers->setObjectName(QStringLiteral("layerCompressionView"));
    m_cost->setObjectName(QStringLiteral("trialCostView"));
    setDocumentMode(true);
    m_summary = new QTextBrowser(this);
    m_summary->setObjectName(QStringLiteral("trialSummary"));
    m_summary->setOpenLinks(false);
    setTabToolTip(addTab(m_summary, tr("Summary")),
                  tr("Every metric of the trial, why it failed or is infeasible, its architecture and search choices"));
    setTabToolTip(
        addTab(m_layers, tr("Layers && compression")),
        tr("Per layer: bits, sparsity and its pattern, parameters, weight size before and after compression"));
    setTabToolTip(addTab(m_cost, tr("Cost on targets")),
                  tr("Latency or energy per layer on the hardware targets, and whether the network fits each "
                     "target's limits"));
    setTabToolTip(addTab(m_deployments, tr("Deployments")),
                  tr("The files this trial was exported to, with what was measured on them beside what was "
                     "estimated: flash, SRAM and instructions of the C build on Cortex-M, file sizes"));
    m_curve->setObjectName(QStringLiteral("learningCurvePlot"));
    setTabToolTip(addTab(m_curve, tr("Learning curve")),
                  tr("Validation accuracy after each training epoch against the study's other trials; where early "
                     "stopping cut a trial and why"));
    m_analog = new AnalogDriftPlot(this);
    m_analog->setObjectName(QStringLiteral("analogDriftPlot"));
    addTab(m_analog, tr("Analog drift"));
    setTabToolTip(indexOf(m_analog), tr("Accuracy on the study's analog target against time after programming, with "
                                        "and without drift compensation"));
}

void TrialInspector::setStudyCurves(const Trial &trial, const std::vector<Trial> &trials)
{
    m_curve->setTrial(trial, trials);
}

void TrialInspector::setTrial(const Trial &trial, const Trial *parent, const WeightValues *weights)
{
    m_layers->setTrial(trial, parent);
    m_cost->setTrial(trial, weights);
}

void TrialInspector::setSummary(const QString &html)
{
    m_summary->setHtml(html);
}

QString TrialInspector::summaryHtml() const
{
    return m_summary->toHtml();
}

void TrialInspector::addCornerAction(QAction *action)
{
    auto *corner = cornerWidget(Qt::TopRightCorner);
    if (!corner) {
        corner = new QWidget(this);
        corner->setObjectName(QStringLiteral("inspectorCorner"));
        auto *row = new QHBoxLayout(corner);
        row->setContentsMargins(0, 0, 0, 0);
        row->setSpacing(2);
        setCornerWidget(corner, Qt::TopRightCorner);
    }
    auto *button = new QToolButton(corner);
    button->setDefaultAction(action);
    button->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    button->setAutoRaise(true);
    corner->layout()->addWidget(button);
}

void TrialInspector::clear()
{
    m_summary->clear();
    m_layers->clear();
    m_cost->clear();
    m_deployments->clear();
    m_curve->clear();
    m_analog->clear();
}

} // namespace psc
