// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "views/costbreakdownplot.h"

#include "psc/net/network.h"
#include "psc/study/trial.h"
#include "psc/targets/costinput.h"

#include <psc/plugin/hardwaretarget.h>

#include <QStringList>

#include <QWidget>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

class QComboBox;
class QLabel;
class QSplitter;
class QTabWidget;

namespace psc {

class FitMatrix;
class LayerCostTable;
class TargetLibrary;

/**
 * The trial inspector's cost tab: the selected trial's network costed on every loaded target as that
 * network deploys (each layer's own weight and activation bits and sparsity, defaultDeployment()), shown as
 *  - one target's per-layer breakdown (the study's first target by default; choosing a row of the fit
 *    matrix shows that target): a chart of latency or energy per layer coloured by bound, and a table of
 *    MACs, cycles, utilisation, latency, energy, memory and weights per layer as Vela's per-layer report, and
 *  - a fit matrix: every target against its limits (SRAM, flash, crossbar cells, ...), green or red with
 *    the margin.
 * Estimating is microseconds per target, so it runs on the GUI thread when the trial changes. GUI thread
 * only; the target library is not owned and must outlive the view.
 */
class TrialCostView : public QWidget
{
    Q_OBJECT
public:
    explicit TrialCostView(QWidget *parent = nullptr);
    ~TrialCostView() override;
    /** Tall enough for the rotated layer names and a dozen rows of the fit matrix. */
    QSize sizeHint() const override { return {900, 400}; }

    /** The targets to cost against (nullptr: none). */
    void setTargetLibrary(const TargetLibrary *library);
    /** The study's own targets; the breakdown shows the first by default. Unknown ids are ignored. */
    void setStudyTargets(const QStringList &ids);

    /**
     * Costs trial `trial`'s network; a trial without a readable architecture shows why. `weights` (may be null or
     * empty: the models' priors) are its trained weight values, which weight encodings such as Ethos-U's depend on.
     */
    void setTrial(const Trial &trial, const WeightValues *weights = nullptr);
    /** Costs `network` directly; `title` heads the view. */
    void setNetwork(const NetworkDescription &network, const QString &title, const WeightValues *weights = nullptr);
    void clear();

    /** Latency or energy in the breakdown. */
    void setQuantity(CostBreakdownPlot::Quantity quantity);
    CostBreakdownPlot::Quantity quantity() const;
    /** The target whose per-layer breakdown is shown: a target id, or "" for the study's first target. */
    bool setBreakdownTarget(const QString &id);
    /** The target the breakdown shows, or "" when nothing is costed. */
    QString breakdownTarget() const;

    /** The estimates of every loaded target for the current network, in library order. */
    const std::vector<plugin::CostEstimate> &estimates() const { return m_estimates; }
    const plugin::CostEstimate *estimate(const QString &targetId) const;
    CostBreakdownPlot *breakdown() const { return m_breakdown; }
    FitMatrix *fitMatrix() const { return m_fit; }
    LayerCostTable *layerTable() const { return m_layerTable; }
    /** The message shown instead of the cost (no trial, bad architecture), or empty. */
    QString message() const { return m_message; }

private:
    void estimateAll(const NetworkDescription &network, const WeightValues *weights);
    void showBreakdown();
    void showMessage(const QString &text);

    const TargetLibrary *m_library = nullptr;
    QStringList m_studyTargets;
    std::vector<plugin::CostEstimate> m_estimates;
    std::map<std::string, std::int64_t> m_macs; ///< per layer of the costed network
    QString m_message;

    QLabel *m_title = nullptr;
    QComboBox *m_quantityMenu = nullptr;
    QComboBox *m_targetMenu = nullptr;
    CostBreakdownPlot *m_breakdown = nullptr;
    LayerCostTable *m_layerTable = nullptr;
    QTabWidget *m_breakdownTabs = nullptr;
    FitMatrix *m_fit = nullptr;
    QSplitter *m_splitter = nullptr;
};

} // namespace psc
