// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "psc/study/studyspec.h"
#include "psc/study/trial.h"
#include "psc/targets/costinput.h"

#include <QColor>
#include <QWidget>

#include <vector>

class QComboBox;
class QLabel;
class QTabWidget;
class QTableWidget;
class QTextBrowser;
class QCustomPlot;

namespace psc {

class Shortlist;
class TargetLibrary;
class TrialSet;

/**
 * Two to four trials side by side, to choose between them:
 *  - *Metrics*: every metric any of them has (the study's objectives first, then the other model metrics, then
 *    each target's), one column per trial, the best value of each row highlighted (bold on green, by the
 *    objective's direction or the metric's natural one), with the trials' origin, Pareto rank and notes on top;
 *  - *Layers*: per layer, its deployed weight bytes and its cost on one target (latency, energy, cycles or working
 *    memory, chosen above the table), one pair of columns per trial, layers matched by name, a total row;
 *  - *Architecture*: what differs from the first trial's network to each other one's, layer by layer
 *    (diffArchitectures(): compared in their deployed form, so a compressed child reads as changes to its parent);
 *  - *On the front*: every trial of the study on its first two objectives, the front drawn, the compared trials
 *    ringed in their colours and labelled.
 * Each trial keeps one colour in every part (trialColour()). Costs are estimated here with the study's cost
 * models (estimateOnTargets()), the metrics are the stored ones. GUI thread only.
 */
class CompareView : public QWidget
{
    Q_OBJECT
public:
    enum class Quantity
    {
        Latency,
        Energy,
        Cycles,
        WorkingMemory,
    };

    explicit CompareView(QWidget *parent = nullptr);
    ~CompareView() override;

    QSize sizeHint() const override { return {1000, 640}; }

    /**
     * The study the trials come from: `set` (its trials and ranks, for the front; not owned, must outlive the view or
     * be replaced), the target library for per-layer costs and the shortlist for notes (both may be null).
     */
    void setContext(const TrialSet *set, const TargetLibrary *library, const Shortlist *shortlist);
    /**
     * Compares `trials` (at most four are shown; more are left out, and the title says so); `weights[i]`, if given,
     * are trial i's trained weight values, used for the weight encodings of the per-layer costs.
     */
    void setTrials(std::vector<Trial> trials, std::vector<WeightValues> weights = {});
    const std::vector<Trial> &trials() const { return m_trials; }

    /**
     * Compact: the metric table lists only the study's own metrics (objectives, model metrics, constrained ones)
     * rather than every metric the trials have (the presentation mode uses it). Takes effect at setTrials().
     */
    void setCompact(bool compact) { m_compact = compact; }

    /** Chooses the target of the per-layer table; false if no target has that id. */
    bool setLayerTarget(const QString &id);
    void setLayerQuantity(Quantity quantity);

    QTableWidget *metricTable() const { return m_metrics; }
    QTableWidget *layerTable() const { return m_layers; }
    QTextBrowser *architecture() const { return m_architecture; }
    QCustomPlot *frontPlot() const { return m_front; }
    QTabWidget *tabs() const { return m_tabs; }
    QLabel *title() const { return m_title; }

    /** The colour of the i-th compared trial (the same in every part). */
    static QColor trialColour(int i);

protected:
    void changeEvent(QEvent *event) override;

private:
    void fillMetrics();
    void fillLayers();
    void fillArchitecture();
    void fillFront();
    void fillTargetMenu();

    const TrialSet *m_set = nullptr;
    const TargetLibrary *m_library = nullptr;
    const Shortlist *m_shortlist = nullptr;
    std::vector<Trial> m_trials;
    std::vector<WeightValues> m_weights;
    bool m_compact = false;

    QLabel *m_title = nullptr;
    QTabWidget *m_tabs = nullptr;
    QTableWidget *m_metrics = nullptr;
    QComboBox *m_targetMenu = nullptr;
    QComboBox *m_quantityMenu = nullptr;
    QTableWidget *m_layers = nullptr;
    QTextBrowser *m_architecture = nullptr;
    QCustomPlot *m_front = nullptr;
};

} // namespace psc
