// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "psc/analog/analoginference.h"
#include "psc/study/studystore.h"
#include "psc/study/trial.h"

#include <QObject>
#include <QPointer>

#include <cstdint>

#include <memory>
#include <set>
#include <string>
#include <vector>

class QTimer;

namespace psc {

class AnalogDriftPlot;
class JobContext;
class StudyController;
class StudyView;

/**
 * The drift-time control at work (docs/analog.md, "In the GUI"). For a study whose objectives or constraints name
 * analog-cim targets, it shows the view's DriftTimeControl and re-scores every trial's analog_accuracy@TARGET at
 * the chosen time after programming, so the table, the plot and the front follow the slider live.
 *
 * The values come from the study's analog_accuracy table, interpolated in log time (interpolateAnalog()). Trials
 * whose records do not bracket the chosen time are computed in the background on the drift-time grid (1 s ... 10 y,
 * the spec's draws and seed, at most 1,000 test images each) with progress and cancel in the control, never on the
 * GUI thread; the results are written to the study when no run holds its writer (else kept for the session). Until
 * then such a trial has no analog accuracy at that time and is not drawn on that axis. GUI thread only.
 */
class DriftController : public QObject
{
    Q_OBJECT
public:
    DriftController(StudyController *controller, StudyView *view, QObject *parent = nullptr);
    ~DriftController() override;

    /** True if the open study has analog targets (the control is shown). */
    bool isActive() const { return !m_targets.empty(); }
    /** `trials` as shown at the chosen time: analog_accuracy@TARGET from the records; cheap. */
    std::vector<Trial> rescored(std::vector<Trial> trials);
    /** True while a background computation runs. */
    bool isComputing() const { return m_job != nullptr; }
    /** Stops a background computation and waits for it (what it finished is kept). */
    void cancel();
    /** Where showCurves() draws (the inspector's "Analog drift" tab). */
    void setCurvePlot(AnalogDriftPlot *plot);
    /**
     * Shows `trial`'s accuracy against time on the first analog target, with the target's drift compensation and
     * without; computes what is missing in the background (once per trial). Clears the plot for other studies.
     */
    void showCurves(const Trial *trial);

Q_SIGNALS:
    void statusMessage(const QString &text);
    /** A background computation ended and its results are on the view. */
    void computationFinished();

private:
    struct Target
    {
        AnalogTarget analog;
        std::string compensation; ///< the target's drift compensation, as its records name it
    };
    struct Outcome;

    void onStudyOpened();
    void onStudyClosed();
    void onSecondsChanged(double seconds);
    /** Re-scores every trial of the view at the chosen time. */
    void rescoreView();
    /** Starts computing the grid for trials that cannot be scored at the chosen time (once per trial). */
    void computeMissing();
    /**
     * Computes the drift-time grid of trials `numbers` (ids `ids`) on every analog target in the background, with
     * the target's compensation and, if `uncompensated`, without.
     */
    void startJob(const std::vector<std::int64_t> &numbers, const std::vector<qint64> &ids, bool uncompensated);
    /** True if the records have trial `id` on the whole grid with `compensation` on the first target. */
    bool hasCurve(qint64 id, const std::string &compensation) const;
    void onComputed(const Outcome &outcome);

    StudyController *m_controller = nullptr;
    StudyView *m_view = nullptr;
    QTimer *m_debounce = nullptr;
    std::vector<Target> m_targets;
    std::vector<AnalogRecord> m_records;
    std::set<qint64> m_attempted;       ///< trial ids computed (or tried) this session
    std::set<qint64> m_curvesAttempted; ///< trial ids whose uncompensated curve was computed (or tried)
    QPointer<AnalogDriftPlot> m_curvePlot;
    qint64 m_curveTrial = -1; ///< the trial showCurves() shows
    int m_curveNumber = 0;
    std::shared_ptr<JobContext> m_job;
};

} // namespace psc
