// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>

namespace psc {

/** Thrown by JobContext::checkpoint() when the job has been cancelled; jobs let it propagate. */
class JobCancelled : public std::exception
{
public:
    const char *what() const noexcept override { return "cancelled"; }
};

/**
 * The seam between a long-running algorithm and whoever runs it. Algorithms call progress() and
 * checkpoint() (per batch, per trial, per layer sweep); the owner calls cancel(), pause(), resume().
 * All members are thread-safe. A default-constructed context is never cancelled and reports nowhere,
 * so algorithms can run and be tested without an event loop.
 */
class JobContext
{
public:
    using ProgressSink = std::function<void(double fraction, const std::string &text)>;

    JobContext() = default;
    explicit JobContext(ProgressSink sink) : m_sink(std::move(sink)) {}
    /** A child context: cancelled or paused whenever `parent` is, with its own progress sink. */
    JobContext(const JobContext *parent, ProgressSink sink) : m_parent(parent), m_sink(std::move(sink)) {}
    JobContext(const JobContext &) = delete;
    JobContext &operator=(const JobContext &) = delete;

    /** Reports progress in [0, 1] with a short human-readable text; call from one thread at a time. */
    void progress(double fraction, const std::string &text) const
    {
        if (m_sink)
            m_sink(fraction, text);
    }

    bool cancelled() const
    {
        return m_cancelled.load(std::memory_order_relaxed) || (m_parent && m_parent->cancelled());
    }

    /**
     * Blocks while paused; throws JobCancelled if cancelled (also while paused). Call it at every point
     * where stopping is safe.
     */
    void checkpoint() const
    {
        if (m_parent)
            m_parent->checkpoint();
        if (m_paused.load(std::memory_order_relaxed)) {
            std::unique_lock lock(m_mutex);
            m_wake.wait(lock, [this] { return !m_paused.load() || m_cancelled.load(); });
        }
        if (cancelled())
            throw JobCancelled();
    }

    void cancel()
    {
        {
            std::lock_guard lock(m_mutex);
            m_cancelled = true;
        }
        m_wake.notify_all();
    }
    void pause() { m_paused = true; }
    void resume()
    {
        {
            std::lock_guard lock(m_mutex);
            m_paused = false;
        }
        m_wake.notify_all();
    }
    bool paused() const { return m_paused.load(); }

private:
    const JobContext *m_parent = nullptr;
    ProgressSink m_sink;
    std::atomic<bool> m_cancelled{false};
    std::atomic<bool> m_paused{false};
    mutable std::mutex m_mutex;
    mutable std::condition_variable m_wake;
};

} // namespace psc
