// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "psc/compress/compressionconfig.h"
#include "psc/jobs/jobmanager.h"
#include "psc/study/compressionrunner.h"

#include <QString>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>

namespace psc {

/**
 * Derives compressed trials from one trained trial (CompressionRunner) as a Job on the heavy pool: it opens the
 * study's one writing StudyStore for as long as it runs (the GUI keeps only readers), checks the parent and every
 * variant before the dataset is loaded, then fine-tunes one child at a time. The hook is called on the job's
 * thread after each child is committed; it must not touch widgets (StudyController forwards it with a queued
 * call). Cancelling leaves the child in flight Running: compressing the same trial with the same config again
 * finishes it (the job returns interrupted trials to Pending first, as `paretoscope compress` does).
 */
class CompressionJob : public Job
{
public:
    /** The outcome, readable by the owner after jobFinished (the queued signal orders the accesses). */
    struct Outcome
    {
        std::optional<CompressionSummary> summary; ///< set when run() returned, also when cancelled
        std::size_t variants = 0;                  ///< in the config
    };

    CompressionJob(const QString &studyPath, std::int64_t parentNumber, CompressionConfig config);

    QString title() const override;
    void run(JobContext &ctx) override;

    void setChildFinishedHook(std::function<void(const CompressedChild &)> hook) { m_childFinished = std::move(hook); }
    std::shared_ptr<Outcome> outcome() const { return m_outcome; }

private:
    QString m_path;
    std::int64_t m_parentNumber = 0;
    CompressionConfig m_config;
    std::function<void(const CompressedChild &)> m_childFinished;
    std::shared_ptr<Outcome> m_outcome = std::make_shared<Outcome>();
};

/**
 * One line for the status bar: "3 variants of trial 5: best deployed 86.10 % at 4.20 KiB (int4)", with the
 * variants that failed, were infeasible or had been derived before, and how far a cancelled run got.
 */
QString compressionSummaryText(const CompressionSummary &summary, std::size_t variants);

} // namespace psc
