// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "psc/study/compressionrunner.h"
#include "psc/study/studyrunner.h"
#include "psc/study/studyspec.h"

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>

class QThreadPool;

namespace psc {

struct CompressionConfig;
class JobContext;
class StudyStore;
class TargetLibrary;
class Trainer;
struct Dataset;
namespace plugin {
class StrategyFactory;
}

/**
 * An open study with everything that runs it: the store (the study's one writer), the plugins and targets its spec
 * names, its strategy, its dataset and the heavy pool its trainings run on. The command line (`run`, `resume`,
 * `compress`) and the GUI's jobs use it alike, so both check the same things in the same order and both leave the
 * study the same way: the destructor waits for every training the session started and then closes the store, which
 * folds the write-ahead log into the study file, on every path (success, cancellation, an exception).
 *
 * Threads: a session is used by one thread at a time (the CLI's main thread, or a GUI job's pool thread); its
 * trainings run on the heavy pool. It is not copyable or movable.
 */
class StudySession
{
public:
    struct Options
    {
        /** Where trainings run; null: the session owns a pool of `parallelTrials` threads. */
        QThreadPool *heavyPool = nullptr;
        /** Trainings at once (at most the pool's threads). */
        int parallelTrials = 1;
        /** open() joins the study as one of its workers (StudyStore::Mode::Shared; StudyRunner::Options::worker). */
        std::optional<StudyRunner::Options::Worker> worker;
    };

    /**
     * Reads a study spec file with every name it uses (targets, their metrics, the strategy) checked against the
     * bundled plugins while parsing, so a bad name is reported with file:line:col and JSON pointer. InputError.
     */
    static StudySpec readSpec(const std::filesystem::path &specFile);

    /**
     * Checks everything about `spec` that can be checked without training (its strategy and the targets its
     * objectives and constraints name exist, its dataset loads), then creates `file`. So a spec that is refused
     * leaves no file behind. Throws InputError for bad input; `file` must not exist.
     */
    static std::unique_ptr<StudySession> create(const std::filesystem::path &file, const StudySpec &spec,
                                                Options options);
    /** Opens an existing study to continue or extend it (the study's write lock is held until destruction). */
    static std::unique_ptr<StudySession> open(const std::filesystem::path &file, Options options);

    ~StudySession();
    StudySession(const StudySession &) = delete;
    StudySession &operator=(const StudySession &) = delete;

    StudyStore &store();
    const StudySpec &spec() const;
    const TargetLibrary &targets() const;
    /** The task's dataset, loaded on first use (a second or two). Throws InputError if it is missing. */
    const Dataset &data();

    /**
     * Runs the search to its budget (StudyRunner); `trials` overrides the budget and is stored with the study.
     * `onTrial` is called on this thread after each trial is committed.
     */
    StudyRunSummary search(Trainer &trainer, std::optional<int> trials, JobContext &ctx,
                           std::function<void(const Trial &)> onTrial = {});

    /**
     * Everything about compressing trial `parentNumber` with `config` that can be checked without training: the
     * parent has trained weights and every variant applies to its model. Throws InputError; writes nothing.
     * Returns the parent as stored.
     */
    Trial checkCompression(std::int64_t parentNumber, const CompressionConfig &config) const;

    /**
     * Derives the compressed children (CompressionRunner) after returning trials a dead process left Running to
     * Pending, so an interrupted child is finished rather than derived again.
     */
    CompressionSummary compress(Trainer &trainer, std::int64_t parentNumber, const CompressionConfig &config,
                                JobContext &ctx, std::function<void(const CompressedChild &)> onChild = {});

    /** "12 trained, 3 cached, 2 infeasible, 1 failed in 5.2 min": the run summary the CLI and the GUI print. */
    static std::string describe(const StudyRunSummary &summary);

private:
    struct Impl;
    explicit StudySession(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> d;
};

} // namespace psc
