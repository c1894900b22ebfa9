// SPDX-License-Identifier: GPL-3.0-or-later
#include "plot/convergenceplot.h"

#include "models/trialset.h"

#include <qcustomplot.h>

#include <QLabel>
#include <QLocale>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>

namespace psc {

ConvergencePlot::ConvergencePlot(TrialSet *trials, QWidget *parent) : QWidget(parent), m_trials(trials)
{
    m_summary = new QLabel(this);
    m_summary->setObjectName(QStringLiteral("convergenceSummary"));
    m_summary->setWordWrap(true);
    m_summary->setToolTip(tr("The search strategy and its options (the study spec's \"strategy\"), and the study's "
                             "normalised hypervolume: the fraction of the box between the best value of every "
                             "objective and a reference 10 % beyond the worst that the front dominates."));
    m_plot = new QCustomPlot(this);
    m_plot->setObjectName(QStringLiteral("convergenceCanvas"));
    m_plot->xAxis->setLabel(tr("Trial"));
    m_plot->yAxis->setLabel(tr("Hypervolume"));
    m_plot->yAxis->setRange(0, 1.02);
    m_plot->addGraph();
    m_plot->graph(0)->setLineStyle(QCPGraph::lsStepLeft);
    m_plot->graph(0)->setPen(QPen(QColor(0x2b, 0x6c, 0xb0), 2));
    m_plot->graph(0)->setBrush(QColor(0x2b, 0x6c, 0xb0, 40));
    m_markerLine = new QCPItemStraightLine(m_plot);
    m_markerLine->setPen(QPen(QColor(0xd0, 0x50, 0x30), 1.5, Qt::DashLine));
    m_markerLine->setVisible(false);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addWidget(m_summary);
    layout->addWidget(m_plot, 1);
    connect(m_trials, &TrialSet::updated, this, [this] {
        m_stale = true;
        if (isVisible())
            refresh();
    });
    connect(m_trials, &TrialSet::wasReset, this, [this] {
        m_stale = true;
        if (isVisible())
            refresh();
    });
    draw();
}

ConvergencePlot::~ConvergencePlot() = default;

QWidget *ConvergencePlot::canvas() const
{
    return m_plot;
}

void ConvergencePlot::showEvent(QShowEvent *event)
{
    QWidget::showEvent(event);
    if (m_stale)
        refresh();
    else
        m_plot->replot();
}

void ConvergencePlot::refresh()
{
    m_stale = false;
    // A copy of the trials and objectives travels to the pool; the hypervolumes (a front's worth each) are computed
    // there, at most kMaxPoints of them.
    std::vector<Trial> trials = m_trials->trials();
    std::vector<Objective> objectives = m_trials->spec().objectives;
    m_request.run([trials = std::move(trials),
                   objectives = std::move(objectives)] { return hypervolumeCurve(trials, objectives, kMaxPoints); },
                  [this](HypervolumeCurve curve) {
                      m_curve = std::move(curve);
                      draw();
                  });
}

QString ConvergencePlot::summary() const
{
    const StrategySpec &s = m_trials->spec().strategy;
    QString text =
        tr("Strategy: <b>%1</b>").arg(QString::fromStdString(s.id.empty() ? "random" : s.id).toHtmlEscaped());
    if (!s.optionsJson.empty() && s.optionsJson != "{}")
        text += QStringLiteral(" ") + QString::fromStdString(s.optionsJson).toHtmlEscaped();
    if (!m_curve.values.empty())
        text += tr(" · hypervolume %1 after %2 trials")
                    .arg(QLocale().toString(m_curve.values.back(), 'f', 3))
                    .arg(m_curve.trialNumbers.back() + 1);
    else
        text += tr(" · no ranked trials yet");
    if (const double at = hypervolumeAt(m_marker); m_marker >= 0 && std::isfinite(at))
        text += tr(" · <b>%1</b> after trial %2").arg(QLocale().toString(at, 'f', 3)).arg(m_marker);
    return text;
}

double ConvergencePlot::hypervolumeAt(qint64 number) const
{
    // The curve's trial numbers ascend; a sampled curve holds the value of its last point at or before `number`.
    const auto &n = m_curve.trialNumbers;
    const auto it = std::upper_bound(n.begin(), n.end(), number);
    if (it == n.begin())
        return std::nan("");
    return m_curve.values[std::size_t(it - n.begin()) - 1];
}

void ConvergencePlot::setMarker(qint64 number)
{
    if (number == m_marker)
        return;
    m_marker = number;
    draw();
}

void ConvergencePlot::setSummaryVisible(bool on)
{
    m_summary->setVisible(on);
}

void ConvergencePlot::draw()
{
    QVector<double> x, y;
    for (std::size_t i = 0; i < m_curve.values.size(); ++i) {
        x << double(m_curve.trialNumbers[i]);
        y << m_curve.values[i];
    }
    m_plot->graph(0)->setData(x, y, true);
    m_plot->xAxis->setRange(-0.5, std::max(1.0, x.isEmpty() ? 1.0 : x.back() + 0.5));
    m_markerLine->setVisible(m_marker >= 0);
    m_markerLine->point1->setCoords(double(m_marker), 0.0);
    m_markerLine->point2->setCoords(double(m_marker), 1.0);
    m_summary->setText(summary());
    // A hidden plot (the replay's, beside the front, until a replay starts) has no paint buffer to draw into: it
    // draws when shown.
    if (isVisible())
        m_plot->replot();
}

} // namespace psc
