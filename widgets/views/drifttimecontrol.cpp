// SPDX-License-Identifier: GPL-3.0-or-later
#include "views/drifttimecontrol.h"

#include "psc/core/duration.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QProgressBar>
#include <QSlider>
#include <QStyle>
#include <QToolButton>

#include <algorithm>
#include <cmath>

namespace psc {

namespace {

constexpr int kStepsPerDecade = 100; // the slider's integer positions: 0.01 decade each

int positionOf(double seconds)
{
    return int(std::lround(std::log10(seconds) * kStepsPerDecade));
}

double secondsAt(int position)
{
    return std::clamp(std::pow(10.0, double(position) / kStepsPerDecade), DriftTimeControl::kMinSeconds,
                      DriftTimeControl::kMaxSeconds);
}

} // namespace

DriftTimeControl::DriftTimeControl(QWidget *parent) : QWidget(parent)
{
    m_title = new QLabel(tr("Drift time:"), this);
    m_slider = new QSlider(Qt::Horizontal, this);
    m_slider->setObjectName(QStringLiteral("driftTimeSlider"));
    m_slider->setRange(positionOf(kMinSeconds), positionOf(kMaxSeconds));
    m_slider->setPageStep(kStepsPerDecade / 2);
    m_slider->setSingleStep(5);
    m_slider->setMinimumWidth(180);
    m_time = new QLabel(this);
    m_time->setObjectName(QStringLiteral("driftTimeLabel"));
    m_time->setMinimumWidth(m_time->fontMetrics().horizontalAdvance(QStringLiteral("10.0 mo")) + 8);
    m_progress = new QProgressBar(this);
    m_progress->setRange(0, 1000);
    m_progress->setMinimumWidth(
        m_progress->fontMetrics().horizontalAdvance(QStringLiteral("trial 9999 on aon-cim 100%")) + 24);
    m_progress->setTextVisible(true);
    m_progress->hide();
    m_cancel = new QToolButton(this);
    m_cancel->setIcon(style()->standardIcon(QStyle::SP_DialogCancelButton));
    m_cancel->setToolTip(tr("Stop computing analog accuracies (what is done is kept)"));
    m_cancel->setAutoRaise(true);
    m_cancel->hide();

    auto *layout = new QHBoxLayout(this);
    layout->setContentsMargins(6, 2, 6, 2);
    layout->addWidget(m_title);
    layout->addWidget(m_slider, 1);
    layout->addWidget(m_time);
    layout->addWidget(m_progress);
    layout->addWidget(m_cancel);
    setTargets({});

    m_slider->setValue(positionOf(m_seconds));
    m_time->setText(QString::fromStdString(formatDuration(m_seconds)));
    connect(m_slider, &QSlider::valueChanged, this, &DriftTimeControl::onSliderMoved);
    connect(m_cancel, &QToolButton::clicked, this, &DriftTimeControl::cancelRequested);
}

void DriftTimeControl::setSeconds(double seconds)
{
    seconds = std::clamp(seconds, kMinSeconds, kMaxSeconds);
    if (seconds == m_seconds && m_slider->value() == positionOf(seconds))
        return;
    m_seconds = seconds;
    m_time->setText(QString::fromStdString(formatDuration(m_seconds)));
    {
        const QSignalBlocker block(m_slider); // the exact time, not the slider position's rounding of it
        m_slider->setValue(positionOf(seconds));
    }
    Q_EMIT secondsChanged(m_seconds);
}

void DriftTimeControl::onSliderMoved(int position)
{
    const double seconds = secondsAt(position);
    if (seconds == m_seconds)
        return;
    m_seconds = seconds;
    m_time->setText(QString::fromStdString(formatDuration(m_seconds)));
    Q_EMIT secondsChanged(m_seconds);
}

void DriftTimeControl::setTargets(const QStringList &targets)
{
    const QString list = targets.isEmpty() ? tr("the analog targets") : targets.join(QStringLiteral(", "));
    const QString tip =
        tr("Time since the crossbar of %1 was programmed, 1 second to 10 years (log scale). The analog accuracy "
           "(analog_accuracy@target) of every trial, the plot and the front follow it: PCM conductances drift, "
           "so accuracy falls with time even with drift compensation. Values between the precomputed times (1 s, "
           "1 min, 1 h, 1 d, 1 w, 1 mo, 1 y, 10 y) are interpolated in log time; missing ones are computed in the "
           "background.")
            .arg(list);
    m_title->setToolTip(tip);
    m_slider->setToolTip(tip);
    m_time->setToolTip(tip);
}

void DriftTimeControl::setProgress(double fraction, const QString &text)
{
    m_progress->setValue(int(std::lround(std::clamp(fraction, 0.0, 1.0) * 1000.0)));
    m_progress->setFormat(text + QStringLiteral(" %p%"));
    m_progress->setToolTip(text);
    m_progress->show();
    m_cancel->show();
}

void DriftTimeControl::finishProgress()
{
    m_progress->hide();
    m_cancel->hide();
}

} // namespace psc
