// SPDX-License-Identifier: GPL-3.0-or-later
#include "plot/analogdriftplot.h"

#include "plot/readablelogticker.h"

#include <qcustomplot.h>

#include <QLabel>
#include <QVBoxLayout>

#include <algorithm>
#include <map>

namespace psc {

namespace {

struct Style
{
    const char *compensation;
    const char *label;
    QColor colour;
};
const Style kStyles[] = {
    {"global", QT_TRANSLATE_NOOP("psc::AnalogDriftPlot", "global drift compensation"), QColor(0x2b, 0x6c, 0xb0)},
    {"per_column", QT_TRANSLATE_NOOP("psc::AnalogDriftPlot", "per-column compensation"), QColor(0x20, 0x90, 0x60)},
    {"none", QT_TRANSLATE_NOOP("psc::AnalogDriftPlot", "no compensation"), QColor(0xc0, 0x50, 0x20)},
};

} // namespace

AnalogDriftPlot::AnalogDriftPlot(QWidget *parent) : QWidget(parent)
{
    m_summary = new QLabel(this);
    m_summary->setObjectName(QStringLiteral("analogDriftSummary"));
    m_summary->setWordWrap(true);
    m_plot = new QCustomPlot(this);
    m_plot->setObjectName(QStringLiteral("analogDriftCanvas"));
    m_plot->xAxis->setLabel(tr("Time after programming (s)"));
    m_plot->yAxis->setLabel(tr("Analog accuracy %"));
    m_plot->xAxis->setScaleType(QCPAxis::stLogarithmic);
    m_plot->xAxis->setTicker(createReadableLogTicker());
    m_plot->xAxis->setNumberFormat(QStringLiteral("eb"));
    m_plot->xAxis->setNumberPrecision(0);
    m_plot->legend->setVisible(true);
    m_plot->axisRect()->insetLayout()->setInsetAlignment(0, Qt::AlignBottom | Qt::AlignLeft);
    m_plot->setToolTip(tr("The trial's accuracy on the simulated PCM crossbar against time after programming, mean "
                          "± 1 standard deviation over the device draws, with and without drift compensation"));
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addWidget(m_summary);
    layout->addWidget(m_plot, 1);
    clear();
}

void AnalogDriftPlot::clear()
{
    m_plot->clearPlottables();
    m_curves.clear();
    m_summary->setText(tr("Select a trial of a study with analog targets to see its accuracy against drift time."));
    m_plot->replot();
}

QString AnalogDriftPlot::summary() const
{
    return m_summary->text();
}

void AnalogDriftPlot::setComputing(const QString &text)
{
    m_summary->setText(text);
}

void AnalogDriftPlot::setTrial(qint64 trialId, int trialNumber, const std::string &target,
                               const std::vector<AnalogRecord> &records)
{
    m_plot->clearPlottables();
    m_curves.clear();
    std::map<std::string, std::vector<const AnalogRecord *>> byCompensation;
    for (const AnalogRecord &r : records)
        if (r.trialId == trialId && r.target == target)
            byCompensation[r.compensation].push_back(&r);
    double lo = 100.0, hi = 0.0;
    for (const Style &style : kStyles) {
        auto it = byCompensation.find(style.compensation);
        if (it == byCompensation.end())
            continue;
        std::vector<const AnalogRecord *> &points = it->second;
        std::sort(points.begin(), points.end(),
                  [](const AnalogRecord *a, const AnalogRecord *b) { return a->seconds < b->seconds; });
        QVector<double> x, y, e;
        for (const AnalogRecord *r : points) {
            x << r->seconds;
            y << 100.0 * r->mean;
            e << 100.0 * r->std;
            lo = std::min(lo, 100.0 * (r->mean - r->std));
            hi = std::max(hi, 100.0 * (r->mean + r->std));
        }
        QCPGraph *g = m_plot->addGraph();
        g->setName(tr(style.label));
        g->setPen(QPen(style.colour, 1.6));
        g->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, style.colour, 5));
        g->setData(x, y, true);
        auto *bars = new QCPErrorBars(m_plot->xAxis, m_plot->yAxis);
        bars->removeFromLegend();
        bars->setDataPlottable(g);
        bars->setData(e);
        bars->setPen(QPen(style.colour, 1.0));
        m_curves << QString::fromLatin1(style.compensation);
    }
    if (m_curves.isEmpty()) {
        m_summary->setText(
            tr("Trial %1 has no analog accuracy on %2 yet.").arg(trialNumber).arg(QString::fromStdString(target)));
    } else {
        m_summary->setText(tr("Trial %1 on %2: accuracy against time after programming, ± 1 std over the draws.")
                               .arg(trialNumber)
                               .arg(QString::fromStdString(target)));
        m_plot->xAxis->setRange(0.5, 6.3e8);
        m_plot->yAxis->setRange(std::max(0.0, lo - 3.0), std::min(100.0, hi + 3.0));
    }
    m_plot->replot();
}

} // namespace psc
