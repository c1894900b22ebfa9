// SPDX-License-Identifier: GPL-3.0-or-later
#include "plot/learningcurveplot.h"

#include <qcustomplot.h>

#include <QLabel>
#include <QVBoxLayout>

#include <algorithm>

namespace psc {

namespace {

const QColor kOther(0xb8, 0xc2, 0xcc);
const QColor kOtherPruned(0xf0, 0xc0, 0x98);
const QColor kSelected(0x2b, 0x6c, 0xb0);
const QColor kSelectedPruned(0xd0, 0x60, 0x10);
const QColor kMedian(0x40, 0x40, 0x40);

} // namespace

LearningCurvePlot::LearningCurvePlot(QWidget *parent) : QWidget(parent)
{
    m_summary = new QLabel(this);
    m_summary->setObjectName(QStringLiteral("learningCurveSummary"));
    m_summary->setWordWrap(true);
    m_plot = new QCustomPlot(this);
    m_plot->setObjectName(QStringLiteral("learningCurveCanvas"));
    m_plot->xAxis->setLabel(tr("Epoch"));
    m_plot->yAxis->setLabel(tr("Val. accuracy %")); // short: the tab is low on a 720-pixel screen
    m_plot->setToolTip(tr("Float validation accuracy after each training epoch: this trial bold, the study's other "
                          "trials thin (orange: stopped early by the study's early-stopping rule), the study's median "
                          "at each epoch dashed"));
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addWidget(m_summary);
    layout->addWidget(m_plot, 1);
    clear();
}

void LearningCurvePlot::clear()
{
    m_plot->clearGraphs();
    m_median.clear();
    m_summary->setText(tr("Select a trial to see its learning curve."));
    m_plot->replot();
}

QString LearningCurvePlot::summary() const
{
    return m_summary->text();
}

void LearningCurvePlot::setTrial(const Trial &trial, const std::vector<Trial> &study)
{
    m_plot->clearGraphs();
    auto addCurve = [this](const std::vector<double> &curve, QPen pen) {
        QCPGraph *g = m_plot->addGraph();
        QVector<double> x, y;
        for (std::size_t e = 0; e < curve.size(); ++e) {
            x << double(e + 1);
            y << 100.0 * curve[e];
        }
        g->setData(x, y, true);
        g->setPen(pen);
        if (curve.size() == 1)
            g->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, pen.color(), 4));
        return g;
    };
    std::size_t epochs = trial.learningCurve.size();
    double lo = 100.0, hi = 0.0;
    std::vector<std::vector<double>> byEpoch;
    for (const Trial &t : study) {
        if (t.id == trial.id || t.learningCurve.empty() || t.parentId)
            continue;
        addCurve(t.learningCurve, QPen(t.state == TrialState::Pruned ? kOtherPruned : kOther, 1));
        epochs = std::max(epochs, t.learningCurve.size());
        for (std::size_t e = 0; e < t.learningCurve.size(); ++e) {
            if (byEpoch.size() <= e)
                byEpoch.resize(e + 1);
            byEpoch[e].push_back(t.learningCurve[e]);
        }
    }
    m_median.clear();
    for (auto &values : byEpoch) {
        std::sort(values.begin(), values.end());
        const std::size_t n = values.size();
        m_median.push_back(n % 2 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]));
    }
    if (!m_median.empty()) {
        QPen pen(kMedian, 1.5, Qt::DashLine);
        addCurve(m_median, pen)->setName(tr("Study median"));
    }
    if (!trial.learningCurve.empty()) {
        const bool pruned = trial.state == TrialState::Pruned;
        addCurve(trial.learningCurve, QPen(pruned ? kSelectedPruned : kSelected, 2.5));
    }
    for (int i = 0; i < m_plot->graphCount(); ++i)
        for (auto it = m_plot->graph(i)->data()->begin(); it != m_plot->graph(i)->data()->end(); ++it) {
            lo = std::min(lo, it->value);
            hi = std::max(hi, it->value);
        }
    m_plot->xAxis->setRange(0.8, std::max<double>(2.0, double(epochs)) + 0.2);
    if (hi >= lo)
        m_plot->yAxis->setRange(std::max(0.0, lo - 2.0), std::min(100.0, hi + 2.0));
    QSharedPointer<QCPAxisTickerFixed> ticker(new QCPAxisTickerFixed);
    ticker->setTickStep(1.0);
    ticker->setScaleStrategy(QCPAxisTickerFixed::ssMultiples);
    m_plot->xAxis->setTicker(ticker);

    const QString number = QString::number(trial.number);
    if (trial.learningCurve.empty()) {
        m_summary->setText(tr("Trial %1 has no learning curve (cached, imported, compressed, not trained yet, or "
                              "trained before curves were recorded).")
                               .arg(number));
    } else {
        const std::size_t n = trial.learningCurve.size();
        QString text = tr("Trial %1: %2 % validation accuracy after epoch %3")
                           .arg(number, QLocale().toString(100.0 * trial.learningCurve.back(), 'f', 2))
                           .arg(n);
        if (n <= m_median.size())
            text += tr(" (study median there %1 %)").arg(QLocale().toString(100.0 * m_median[n - 1], 'f', 2));
        if (trial.state == TrialState::Pruned)
            text += tr(" · <b>stopped early</b>: %1").arg(QString::fromStdString(trial.error).toHtmlEscaped());
        m_summary->setText(text);
    }
    m_plot->replot();
}

} // namespace psc
