// SPDX-License-Identifier: GPL-3.0-or-later
#include "studyjob.h"

#include "studysession.h"

#include "psc/core/error.h"
#include "psc/ml/torchtrainer.h"
#include "psc/study/studystore.h"

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
    std::unique_ptr<StudyStore> store;
    StudySpec spec;
    if (m_spec) {
        spec = *m_spec;
    } else {
        store = StudyStore::open(path, StudyStore::Mode::ReadWrite);
        spec = StudySpec::fromJson(store->specJson(), path + " (stored spec)");
    }
    ctx.progress(0.0, "loading the dataset");
    StudyEnvironment env;
    prepareStudyEnvironment(env, spec);
    ctx.checkpoint();
    if (!store) {
        store = StudyStore::create(path, spec.toJson());
        if (m_hooks.storeCreated)
            m_hooks.storeCreated(m_path);
    }

    ml::TorchTrainer trainer;
    StudyRunner runner(*store, spec, *env.strategy, trainer, env.data, m_heavyPool,
                       StudyRunner::Options{std::nullopt, m_parallel, &env.targets});
    runner.setTrialFinishedCallback([this](const Trial &) {
        if (m_hooks.trialFinished)
            m_hooks.trialFinished();
    });
    const StudyRunSummary summary = runner.run(ctx);
    // run() has collected every training it started, but their tasks may still be returning: the runner
    // must outlive them. Only this job trains on the heavy pool.
    if (m_heavyPool)
        m_heavyPool->waitForDone();
    m_outcome->summary = summary;
    if (summary.cancelled)
        throw JobCancelled();
}

} // namespace psc
