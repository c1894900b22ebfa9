// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "psc/jobs/jobmanager.h"
#include "psc/study/studyrunner.h"
#include "psc/study/studyspec.h"

#include <QString>

#include <functional>
#include <memory>
#include <mutex>
#include <optional>

class QThreadPool;

namespace psc {

/**
 * Runs one study to its budget as a Job (on the light pool; trainings go to `heavyPool`). Either creates
 * the study file from a spec (after the strategy and dataset are known to be usable, so a bad spec leaves
 * no file) or resumes an existing one. The hooks are called on the job's thread; they must not touch
 * widgets (StudyController forwards them with queued calls).
 */
class StudyJob : public Job
{
public:
    struct Hooks
    {
        std::function<void(const QString &path)> storeCreated; ///< the new study file exists
        std::function<void()> trialFinished;                   ///< a trial's final state is committed
    };
    /** The outcome, readable by the owner after jobFinished (the queued signal orders the accesses). */
    struct Outcome
    {
        std::optional<StudyRunSummary> summary;
    };

    /** A job that creates `studyPath` from `spec` and runs it. */
    static std::unique_ptr<StudyJob> createStudy(const StudySpec &spec, const QString &studyPath,
                                                 QThreadPool *heavyPool, int parallelTrials);
    /** A job that continues the study in `studyPath`. */
    static std::unique_ptr<StudyJob> resumeStudy(const QString &studyPath, QThreadPool *heavyPool, int parallelTrials);

    QString title() const override;
    void run(JobContext &ctx) override;

    void setHooks(Hooks hooks) { m_hooks = std::move(hooks); }
    std::shared_ptr<Outcome> outcome() const { return m_outcome; }

private:
    StudyJob() = default;

    std::optional<StudySpec> m_spec; ///< set when creating
    QString m_path;
    QThreadPool *m_heavyPool = nullptr;
    int m_parallel = 1;
    Hooks m_hooks;
    std::shared_ptr<Outcome> m_outcome = std::make_shared<Outcome>();
};

} // namespace psc
