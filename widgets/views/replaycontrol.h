// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QWidget>

#include <vector>

class QLabel;
class QSlider;
class QTimer;
class QToolButton;

namespace psc {

/**
 * The study's timeline: a slider over its trials in trial-number order and a play button that replays the study,
 * one trial per step, so points appear in the order the search made them and the front grows. At the right end the
 * timeline shows every trial and follows a running study live (limit() -1). It only chooses; the Pareto plot and
 * the hypervolume plot draw. GUI thread only.
 */
class ReplayControl : public QWidget
{
    Q_OBJECT
public:
    /** A whole replay takes about this long, whatever the study's size (each step between 40 and 400 ms). */
    static constexpr int kReplayMs = 12000;

    explicit ReplayControl(QWidget *parent = nullptr);

    /** The study's trial numbers (any order, duplicates ignored); keeps the position on the same trial, or live. */
    void setTrialNumbers(std::vector<qint64> numbers);
    /** The highest trial number shown, or -1 for every trial (the live end). */
    qint64 limit() const;
    /** Shows the trials up to the `index`-th in number order (the last index, or beyond: all, live). */
    void setPosition(int index);
    int position() const;
    /** Starts the replay (from the first trial when at the end); steps until the end, then stops. */
    void play();
    void pause();
    bool isPlaying() const;
    /** The time between two steps of the replay, in milliseconds. */
    int stepMs() const;

    QSlider *slider() const { return m_slider; }
    QToolButton *playButton() const { return m_play; }
    QLabel *label() const { return m_label; }

Q_SIGNALS:
    /** The highest trial number to show, or -1 for all. */
    void limitChanged(qint64 limit);

private:
    void step();
    void showPosition();

    std::vector<qint64> m_numbers; ///< ascending, unique
    QToolButton *m_play = nullptr;
    QSlider *m_slider = nullptr;
    QLabel *m_label = nullptr;
    QTimer *m_timer = nullptr;
    qint64 m_emitted = -1;
};

} // namespace psc
