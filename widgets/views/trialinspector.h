// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "psc/study/trial.h"

#include "psc/targets/costinput.h"

#include <QTabWidget>

class QAction;

namespace psc {

class DeploymentView;
class LayerCompressionView;
class TrialCostView;

/**
 * The trial inspector: the selected trial's layers and their compression (LayerCompressionView), its cost on every
 * hardware target (TrialCostView) and the files it was exported to, measured beside estimated (DeploymentView), as
 * tabs. GUI thread only.
 */
class TrialInspector : public QTabWidget
{
    Q_OBJECT
public:
    explicit TrialInspector(QWidget *parent = nullptr);

    /** Shows `trial`; `parent` is the trial it was compressed from, if it has one and it is known. */
    void setTrial(const Trial &trial, const Trial *parent = nullptr, const WeightValues *weights = nullptr);
    void clear();
    /** Adds `action` as a button at the right end of the tab bar (e.g. the window's "Compress Trial…"). */
    void addCornerAction(QAction *action);

    LayerCompressionView *layerView() const { return m_layers; }
    TrialCostView *costView() const { return m_cost; }
    DeploymentView *deploymentView() const { return m_deployments; }

private:
    LayerCompressionView *m_layers = nullptr;
    TrialCostView *m_cost = nullptr;
    DeploymentView *m_deployments = nullptr;
};

} // namespace psc
