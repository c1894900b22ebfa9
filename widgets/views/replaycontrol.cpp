// SPDX-License-Identifier: GPL-3.0-or-later
#include "views/replaycontrol.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QSlider>
#include <QStyle>
#include <QTimer>
#include <QToolButton>

#include <algorithm>

namespace psc {

ReplayControl::ReplayControl(QWidget *parent) : QWidget(parent)
{
    m_play = new QToolButton(this);
    m_play->setObjectName(QStringLiteral("replayPlayButton"));
    m_play->setAutoRaise(true);
    m_slider = new QSlider(Qt::Horizontal, this);
    m_slider->setObjectName(QStringLiteral("replaySlider"));
    m_slider->setToolTip(tr("Replay: show the trials up to a point of the search, in trial order, and the front "
                            "they made. At the right end every trial shows, live while the study runs."));
    m_slider->setPageStep(10);
    m_label = new QLabel(this);
    m_label->setObjectName(QStringLiteral("replayLabel"));
    m_label->setMinimumWidth(m_label->fontMetrics().horizontalAdvance(tr("Up to trial 99999 (99999 of 99999)")));
    m_timer = new QTimer(this);
    auto *title = new QLabel(tr("Timeline"), this);
    title->setToolTip(m_slider->toolTip());
    auto *layout = new QHBoxLayout(this);
    layout->setContentsMargins(6, 0, 6, 2);
    layout->addWidget(title);
    layout->addWidget(m_play);
    layout->addWidget(m_slider, 1);
    layout->addWidget(m_label);

    connect(m_play, &QToolButton::clicked, this, [this] { isPlaying() ? pause() : play(); });
    connect(m_slider, &QSlider::valueChanged, this, &ReplayControl::showPosition);
    // Dragging the slider takes over from the replay.
    connect(m_slider, &QSlider::sliderPressed, this, &ReplayControl::pause);
    connect(m_timer, &QTimer::timeout, this, &ReplayControl::step);
    setTrialNumbers({});
}

void ReplayControl::setTrialNumbers(std::vector<qint64> numbers)
{
    std::sort(numbers.begin(), numbers.end());
    numbers.erase(std::unique(numbers.begin(), numbers.end()), numbers.end());
    const qint64 shown = limit();
    m_numbers = std::move(numbers);
    const int last = std::max(0, int(m_numbers.size()) - 1);
    int position = last; // live
    if (shown >= 0) {
        // Stay on the same trial: the last one numbered at most the limit shown.
        const auto it = std::upper_bound(m_numbers.begin(), m_numbers.end(), shown);
        position = std::max(0, int(it - m_numbers.begin()) - 1);
    }
    {
        const QSignalBlocker block(m_slider);
        m_slider->setRange(0, last);
        m_slider->setValue(position);
    }
    setEnabled(m_numbers.size() > 1);
    showPosition();
}

qint64 ReplayControl::limit() const
{
    const int p = m_slider->value();
    if (m_numbers.empty() || p >= int(m_numbers.size()) - 1)
        return -1;
    return m_numbers[std::size_t(p)];
}

void ReplayControl::setPosition(int index)
{
    m_slider->setValue(std::clamp(index, 0, m_slider->maximum()));
}

int ReplayControl::position() const
{
    return m_slider->value();
}

int ReplayControl::stepMs() const
{
    return std::clamp(kReplayMs / std::max<int>(1, int(m_numbers.size())), 40, 400);
}

void ReplayControl::play()
{
    if (m_numbers.size() < 2)
        return;
    if (m_slider->value() >= m_slider->maximum())
        m_slider->setValue(0);
    m_timer->start(stepMs());
    showPosition();
}

void ReplayControl::pause()
{
    m_timer->stop();
    showPosition();
}

bool ReplayControl::isPlaying() const
{
    return m_timer->isActive();
}

void ReplayControl::step()
{
    if (m_slider->value() >= m_slider->maximum()) {
        pause();
        return;
    }
    m_slider->setValue(m_slider->value() + 1);
    if (m_slider->value() >= m_slider->maximum())
        pause();
}

void ReplayControl::showPosition()
{
    const bool playing = isPlaying();
    m_play->setIcon(style()->standardIcon(playing ? QStyle::SP_MediaPause : QStyle::SP_MediaPlay));
    m_play->setToolTip(playing ? tr("Pause the replay") : tr("Replay the study trial by trial"));
    const qint64 l = limit();
    const int n = int(m_numbers.size());
    m_label->setText(l < 0 ? (n == 1 ? tr("All 1 trial") : tr("All %1 trials").arg(n))
                           : tr("Up to trial %1 (%2 of %3)").arg(l).arg(m_slider->value() + 1).arg(n));
    if (l != m_emitted) {
        m_emitted = l;
        emit limitChanged(l);
    }
}

} // namespace psc
