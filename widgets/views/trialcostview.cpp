// SPDX-License-Identifier: GPL-3.0-or-later
#include "views/trialcostview.h"

#include "models/networkcosts.h"
#include "views/fitmatrix.h"
#include "views/layercosttable.h"

#include "psc/net/analysis.h"
#include "psc/net/networkparser.h"
#include "psc/targets/costinput.h"
#include "psc/targets/targetlibrary.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QSplitter>
#include <QTabWidget>
#include <QVBoxLayout>

#include <exception>

namespace psc {

TrialCostView::TrialCostView(QWidget *parent) : QWidget(parent)
{
    m_title = new QLabel(this);
    m_title->setObjectName(QStringLiteral("trialCostTitle"));
    m_title->setTextFormat(Qt::RichText);
    m_title->setWordWrap(true);
    m_title->setToolTip(tr("The selected trial's network, costed on every hardware target as it deploys: each "
                           "layer at its own bit-widths and sparsity"));

    m_quantityMenu = new QComboBox(this);
    m_quantityMenu->setObjectName(QStringLiteral("costQuantityMenu"));
    m_quantityMenu->addItem(tr("Latency"), int(CostBreakdownPlot::Quantity::Latency));
    m_quantityMenu->addItem(tr("Energy"), int(CostBreakdownPlot::Quantity::Energy));
    m_quantityMenu->setToolTip(tr("What the bars show per layer: estimated latency or energy"));
    m_targetMenu = new QComboBox(this);
    m_targetMenu->setObjectName(QStringLiteral("costTargetMenu"));
    m_targetMenu->setToolTip(tr("The target whose per-layer cost is shown (a click on a row of the fit matrix "
                                "chooses it too)"));

    m_breakdown = new CostBreakdownPlot(this);
    m_breakdown->setObjectName(QStringLiteral("costBreakdown"));
    m_layerTable = new LayerCostTable(this);
    m_breakdownTabs = new QTabWidget(this);
    m_breakdownTabs->setObjectName(QStringLiteral("costBreakdownTabs"));
    m_breakdownTabs->setDocumentMode(true);
    m_breakdownTabs->addTab(m_breakdown, tr("Chart"));
    m_breakdownTabs->addTab(m_layerTable, tr("Table"));
    m_breakdownTabs->setTabToolTip(0, tr("Latency or energy per layer on the chosen target, coloured by bound"));
    m_breakdownTabs->setTabToolTip(1, tr("MACs, cycles, latency, energy, memory and bound per layer on the chosen "
                                         "target, as Vela's per-layer report"));
    m_fit = new FitMatrix(this);

    auto *barsBox = new QWidget(this);
    auto *controls = new QHBoxLayout;
    controls->setContentsMargins(0, 0, 0, 0);
    controls->addWidget(new QLabel(tr("Target:"), barsBox));
    controls->addWidget(m_targetMenu, 1);
    controls->addSpacing(8);
    controls->addWidget(new QLabel(tr("Chart:"), barsBox));
    controls->addWidget(m_quantityMenu);
    auto *barsLayout = new QVBoxLayout(barsBox);
    barsLayout->setContentsMargins(0, 0, 0, 0);
    barsLayout->addLayout(controls);
    barsLayout->addWidget(m_breakdownTabs, 1);

    auto *fitBox = new QWidget(this);
    auto *fitLayout = new QVBoxLayout(fitBox);
    fitLayout->setContentsMargins(0, 0, 0, 0);
    auto *fitLabel = new QLabel(tr("<b>Fit</b> — every target's limits: headroom (green) or excess (red)"), fitBox);
    fitLabel->setToolTip(m_fit->toolTip());
    fitLayout->addWidget(fitLabel);
    fitLayout->addWidget(m_fit, 1);

    // Side by side: the view sits in a wide dock below the study.
    m_splitter = new QSplitter(Qt::Horizontal, this);
    m_splitter->setObjectName(QStringLiteral("trialCostSplitter"));
    m_splitter->addWidget(barsBox);
    m_splitter->addWidget(fitBox);
    m_splitter->setChildrenCollapsible(false);
    m_splitter->setStretchFactor(0, 3);
    m_splitter->setStretchFactor(1, 2);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addWidget(m_title);
    layout->addWidget(m_splitter, 1);

    connect(m_quantityMenu, &QComboBox::currentIndexChanged, this, &TrialCostView::showBreakdown);
    connect(m_targetMenu, &QComboBox::currentIndexChanged, this, &TrialCostView::showBreakdown);
    auto chooseRow = [this](int row) {
        if (const QTableWidgetItem *item = m_fit->verticalHeaderItem(row))
            setBreakdownTarget(item->text());
    };
    connect(m_fit, &QTableWidget::cellClicked, this, chooseRow);
    connect(m_fit->verticalHeader(), &QHeaderView::sectionClicked, this, chooseRow);
    setTargetLibrary(nullptr);
}

TrialCostView::~TrialCostView() = default;

void TrialCostView::setTargetLibrary(const TargetLibrary *library)
{
    m_library = library;
    const QSignalBlocker block(m_targetMenu);
    const QString current = m_targetMenu->currentData().toString();
    m_targetMenu->clear();
    if (m_library) {
        for (const TargetDefinition *d : m_library->definitions()) {
            m_targetMenu->addItem(QString::fromStdString(d->id), QString::fromStdString(d->id));
            m_targetMenu->setItemData(m_targetMenu->count() - 1, QString::fromStdString(d->name), Qt::ToolTipRole);
        }
    }
    m_targetMenu->setCurrentIndex(std::max(0, m_targetMenu->findData(current)));
    m_targetMenu->setEnabled(m_targetMenu->count() > 0);
    clear();
}

void TrialCostView::setStudyTargets(const QStringList &ids)
{
    m_studyTargets.clear();
    for (const QString &id : ids)
        if (m_library && m_library->find(id.toStdString()))
            m_studyTargets << id;
    if (!m_studyTargets.isEmpty())
        setBreakdownTarget(QString());
    showBreakdown();
}

void TrialCostView::setQuantity(CostBreakdownPlot::Quantity quantity)
{
    m_quantityMenu->setCurrentIndex(m_quantityMenu->findData(int(quantity)));
}

CostBreakdownPlot::Quantity TrialCostView::quantity() const
{
    return CostBreakdownPlot::Quantity(m_quantityMenu->currentData().toInt());
}

bool TrialCostView::setBreakdownTarget(const QString &id)
{
    const QString chosen = id.isEmpty() && !m_studyTargets.isEmpty() ? m_studyTargets.front() : id;
    const int index = m_targetMenu->findData(chosen);
    if (index < 0)
        return false;
    m_targetMenu->setCurrentIndex(index);
    return true;
}

QString TrialCostView::breakdownTarget() const
{
    return m_estimates.empty() ? QString() : m_breakdown->target();
}

const plugin::CostEstimate *TrialCostView::estimate(const QString &targetId) const
{
    for (const plugin::CostEstimate &e : m_estimates)
        if (QString::fromStdString(e.targetId) == targetId)
            return &e;
    return nullptr;
}

void TrialCostView::clear()
{
    showMessage(tr("Select a trial to see its cost on every target."));
}

void TrialCostView::showMessage(const QString &text)
{
    m_estimates.clear();
    m_message = text;
    m_title->setText(QStringLiteral("<i>%1</i>").arg(text.toHtmlEscaped()));
    m_breakdown->clear(text);
    m_layerTable->clearEstimate();
    m_fit->clearEstimates();
}

void TrialCostView::setTrial(const Trial &trial, const WeightValues *weights)
{
    const QString title = tr("Trial %1").arg(trial.number);
    if (trial.architectureJson.empty()) {
        showMessage(tr("%1 has no architecture yet.").arg(title));
        return;
    }
    try {
        setNetwork(parseNetworkJson(trial.architectureJson, "trial " + std::to_string(trial.number)), title, weights);
    } catch (const std::exception &e) {
        showMessage(tr("%1: cannot read its architecture: %2").arg(title, QString::fromUtf8(e.what())));
    }
}

void TrialCostView::setNetwork(const NetworkDescription &network, const QString &title, const WeightValues *weights)
{
    if (!m_library || m_library->definitions().empty()) {
        showMessage(tr("No hardware targets are loaded."));
        return;
    }
    try {
        estimateAll(network, weights);
    } catch (const std::exception &e) {
        showMessage(tr("%1: cannot estimate its cost: %2").arg(title, QString::fromUtf8(e.what())));
        return;
    }
    m_message.clear();
    int fits = 0;
    QStringList names;
    for (const plugin::CostEstimate &e : m_estimates) {
        fits += e.feasible() ? 1 : 0;
        const TargetDefinition *d = m_library->find(e.targetId);
        names << (d ? QStringLiteral("%1 (%2)").arg(QString::fromStdString(d->name), QString::fromStdString(d->model))
                    : QString::fromStdString(e.targetId));
    }
    m_title->setText(tr("<b>%1</b> — %2 layers; fits %3 of %4 targets; %5")
                         .arg(title.toHtmlEscaped())
                         .arg(network.layers.size())
                         .arg(fits)
                         .arg(m_estimates.size())
                         .arg(weights && !weights->empty() ? tr("weights as trained")
                                                           : tr("weights not trained: encodings from a prior")));
    m_title->setToolTip(tr("Weight encodings (Ethos-U weight bytes, and through them weight transfers) follow the "
                           "trained weights when the trial has them, and a documented prior distribution before."));
    m_fit->setEstimates(m_estimates, names);
    showBreakdown();
}

void TrialCostView::estimateAll(const NetworkDescription &network, const WeightValues *weights)
{
    NetworkCosts costs = estimateOnTargets(*m_library, network, weights);
    m_macs = std::move(costs.macs);
    m_estimates = std::move(costs.estimates);
}

void TrialCostView::showBreakdown()
{
    if (m_estimates.empty())
        return;
    const plugin::CostEstimate *e = estimate(m_targetMenu->currentData().toString());
    if (!e)
        e = &m_estimates.front();
    m_breakdown->setEstimate(*e, quantity());
    m_layerTable->setEstimate(*e, m_macs);
    m_fit->setCurrentTarget(QString::fromStdString(e->targetId));
}

} // namespace psc
