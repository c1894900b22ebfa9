// SPDX-License-Identifier: GPL-3.0-or-later
#include "compressionjob.h"

#include "models/metricformat.h"

#include "psc/compress/compressvariant.h"
#include "psc/jobs/jobcontext.h"
#include "psc/study/studysession.h"
#include "psc/train/trainer.h"
#include "psc/train/trainermodule.h"

#include <QStringList>

#include <algorithm>
#include <cmath>

namespace psc {
namespace {

const MetricRef kDeployedAccuracy{"deployed_accuracy", {}};
const MetricRef kWeightBytes{"weight_bytes", {}};

QString names(const std::vector<const CompressedChild *> &children)
{
    QStringList list;
    for (const CompressedChild *c : children)
        list << QString::fromStdString(c->variant);
    return list.join(QStringLiteral(", "));
}

} // namespace

QString compressionSummaryText(const CompressionSummary &s, std::size_t variants)
{
    const CompressedChild *best = nullptr;
    std::vector<const CompressedChild *> failed, infeasible;
    int reused = 0;
    for (const CompressedChild &c : s.children) {
        reused += c.reused;
        if (c.trial.state == TrialState::Failed)
            failed.push_back(&c);
        else if (c.trial.state == TrialState::Infeasible)
            infeasible.push_back(&c);
        else if (c.trial.state == TrialState::Complete) {
            // The most accurate deployed model; the smaller one of equals.
            const double acc = metricValue(c.trial, kDeployedAccuracy).value_or(-1.0);
            const double bestAcc = best ? metricValue(best->trial, kDeployedAccuracy).value_or(-1.0) : -2.0;
            if (acc > bestAcc || (acc == bestAcc && metricValue(c.trial, kWeightBytes).value_or(INFINITY) <
                                                        metricValue(best->trial, kWeightBytes).value_or(INFINITY)))
                best = &c;
        }
    }
    const QString trial = QString::number(s.parent.number);
    QString text = variants == 1 ? QStringLiteral("1 variant of trial %1").arg(trial)
                                 : QStringLiteral("%1 variants of trial %2").arg(variants).arg(trial);
    if (s.cancelled)
        text = QStringLiteral("Cancelled after %1 of %2 (compressing it again with the same config finishes the rest)")
                   .arg(std::count_if(s.children.begin(), s.children.end(),
                                      [](const CompressedChild &c) {
                                          // the child in flight when it stopped went back to Pending
                                          return c.trial.state != TrialState::Running &&
                                                 c.trial.state != TrialState::Pending;
                                      }))
                   .arg(text);
    QStringList parts;
    if (best) {
        const auto acc = metricValue(best->trial, kDeployedAccuracy);
        const auto bytes = metricValue(best->trial, kWeightBytes);
        parts << QStringLiteral("best deployed %1 at %2 (%3, trial %4)")
                     .arg(formatMetricValue(kDeployedAccuracy, acc.value_or(NAN)),
                          formatMetricValue(kWeightBytes, bytes.value_or(NAN)), QString::fromStdString(best->variant))
                     .arg(best->trial.number);
    }
    if (!failed.empty())
        parts << QStringLiteral("%1 failed (%2)").arg(failed.size()).arg(names(failed));
    if (!infeasible.empty())
        parts << QStringLiteral("%1 infeasible (%2)").arg(infeasible.size()).arg(names(infeasible));
    if (reused > 0)
        parts << QStringLiteral("%1 derived before, not trained again").arg(reused);
    return parts.isEmpty() ? text : text + QStringLiteral(": ") + parts.join(QStringLiteral("; "));
}

CompressionJob::CompressionJob(const QString &studyPath, std::int64_t parentNumber, CompressionConfig config)
    : m_path(studyPath), m_parentNumber(parentNumber), m_config(std::move(config))
{
    m_outcome->variants = m_config.variants.size();
}

QString CompressionJob::title() const
{
    return QStringLiteral("Compression of trial %1").arg(m_parentNumber);
}

void CompressionJob::run(JobContext &ctx)
{
    // The GUI runs one job per study at a time and this session holds the study's writer.
    auto session = StudySession::open(m_path.toStdString(), StudySession::Options{});
    // Bad input (the parent, a variant that does not fit it) fails here, before the dataset is loaded and before
    // anything is written.
    session->checkCompression(m_parentNumber, m_config);
    ctx.progress(0.0, "compressing trial " + std::to_string(m_parentNumber) + ": loading the dataset");
    session->data();
    ctx.checkpoint();

    const std::unique_ptr<Trainer> trainer = trainermodule::createTrainer();
    // The status bar shows one line: say which trial the "child 2/3 (int4): fine-tuning" belongs to.
    const std::string prefix = "compressing trial " + std::to_string(m_parentNumber) + ": ";
    JobContext labelled(&ctx, [&ctx, &prefix](double f, const std::string &text) { ctx.progress(f, prefix + text); });
    m_outcome->summary =
        session->compress(*trainer, m_parentNumber, m_config, labelled, [this](const CompressedChild &c) {
            if (m_childFinished)
                m_childFinished(c);
        });
    if (m_outcome->summary->cancelled)
        throw JobCancelled();
}

} // namespace psc
