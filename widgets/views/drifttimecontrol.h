// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QWidget>

class QLabel;
class QProgressBar;
class QSlider;
class QToolButton;

namespace psc {

/**
 * The drift-time control of a study with analog targets: a slider over the time since the crossbar was programmed,
 * 1 second to 10 years on a log scale, with the chosen time as text, and a progress bar with a cancel button for
 * analog accuracies being computed in the background. It only chooses and displays; DriftController (app) re-scores
 * the trials. GUI thread only.
 */
class DriftTimeControl : public QWidget
{
    Q_OBJECT
public:
    static constexpr double kMinSeconds = 1.0;
    static constexpr double kMaxSeconds = 10.0 * 365.0 * 86400.0; ///< 10 years

    explicit DriftTimeControl(QWidget *parent = nullptr);

    /** The chosen time after programming, in seconds. */
    double seconds() const { return m_seconds; }
    /** Moves the slider to `seconds` (clamped to the range); emits secondsChanged() if the time changes. */
    void setSeconds(double seconds);
    /** The analog targets re-scored, for the label and tooltip ("aon-cim"). */
    void setTargets(const QStringList &targets);
    /** Shows background work: `fraction` in [0, 1] and what is being computed. */
    void setProgress(double fraction, const QString &text);
    /** Hides the progress bar. */
    void finishProgress();

    QSlider *slider() const { return m_slider; }
    QLabel *timeLabel() const { return m_time; }

Q_SIGNALS:
    /** While the slider moves, too: re-scoring from precomputed times is cheap. */
    void secondsChanged(double seconds);
    /** The user pressed the progress bar's cancel button. */
    void cancelRequested();

private:
    void onSliderMoved(int position);

    QLabel *m_title = nullptr;
    QSlider *m_slider = nullptr;
    QLabel *m_time = nullptr;
    QProgressBar *m_progress = nullptr;
    QToolButton *m_cancel = nullptr;
    double m_seconds = 86400.0;
};

} // namespace psc
