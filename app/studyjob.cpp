// SPDX-License-Identifier: GPL-3.0-or-later
#include "studyjob.h"

#include "psc/study/studysession.h"
#include "psc/train/trainer.h"
#include "psc/train/trainermodule.h"

#include <QFileInfo>
#include <QThreadPool>

namespace psc {

std::unique_ptr<StudyJob> StudyJob::createStudy(const StudySpec &spec, const QString &studyPath, QThreadPool *heavyPool,
                                                int parallelTrials)
{
    std::unique_ptr<StudyJob> job(new StudyJob);
    job->m_spec = spec;
    job->m_path = studyPath;
    job->m_heavyPool = heavyPool;
    job->m_parallel = parallelTrials;
    return job;
}

std::unique_ptr<StudyJob> StudyJob::resumeStudy(const QString &studyPath, QThreadPool *heavyPool, int parallelTrials)
{
    std::unique_ptr<StudyJob> job(new StudyJob);
    job->m_path = studyPath;
    job->m_heavyPool = heavyPool;
    job->m_parallel = parallelTrials;
    return job;
}

QString StudyJob::title() const
{
    return QStringLiteral("Study %1").arg(QFileInfo(m_path).fileName());
}

void StudyJob::run(JobContext &ctx)
{
    const std::string path = m_path.toStdString();
    ctx.progress(0.0, "loading the dataset");
    const StudySession::Options options{m_heavyPool, m_parallel, {}};
    std::unique_ptr<StudySession> session;
    if (m_spec) {
        session = StudySession::create(path, *m_spec, options);
        if (m_hooks.storeCreated)
            m_hooks.storeCreated(m_path);
    } else {
        session = StudySession::open(path, options);
    }
    ctx.checkpoint();
    const std::unique_ptr<Trainer> trainer = trainermodule::createTrainer();
    // The session drains its trainings and closes the store (the study file complete on its own) on every way out.
    m_outcome->summary = session->search(*trainer, std::nullopt, ctx, [this](const Trial &) {
        if (m_hooks.trialFinished)
            m_hooks.trialFinished();
    });
    if (m_outcome->summary->cancelled)
        throw JobCancelled();
}

} // namespace psc
