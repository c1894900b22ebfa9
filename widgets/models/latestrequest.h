// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QMetaObject>
#include <QObject>
#include <QThreadPool>

#include <memory>
#include <mutex>
#include <utility>

namespace psc {

/**
 * Work that runs off the GUI thread, "latest request wins": run() starts `work` on a thread pool and hands its
 * result to `done` on the receiver's thread, unless a newer run() was made in the meantime (then the older result
 * is dropped) or the LatestRequest was destroyed (the result is dropped too). Make it a member of the receiver:
 * its destructor detaches from results still on their way, so no callback ever reaches a dead object.
 *
 * The result travels as a queued call posted to the receiver (QMetaObject::invokeMethod), not as a QFuture
 * continuation. `work` runs on a pool thread and must neither throw nor touch the receiver; `done` runs on the
 * receiver's thread. Create, run() and destroy on the receiver's thread.
 */
class LatestRequest
{
public:
    explicit LatestRequest(QObject *receiver, QThreadPool *pool = QThreadPool::globalInstance())
        : m_shared(std::make_shared<Shared>(receiver)), m_pool(pool)
    {}
    ~LatestRequest()
    {
        const std::lock_guard lock(m_shared->mutex);
        m_shared->receiver = nullptr;
    }
    LatestRequest(const LatestRequest &) = delete;
    LatestRequest &operator=(const LatestRequest &) = delete;

    template <class Work, class Done> void run(Work work, Done done)
    {
        const quint64 generation = ++m_generation;
        m_busy = true;
        std::shared_ptr<Shared> shared = m_shared;
        m_pool->start([shared, generation, work = std::move(work), done = std::move(done), this]() mutable {
            // A shared_ptr, because a queued functor is copied and results (maps, strings) need not be copyable.
            auto result = std::make_shared<decltype(work())>(work());
            const std::lock_guard lock(shared->mutex);
            if (!shared->receiver)
                return; // the LatestRequest is gone; `this` must not be touched
            QMetaObject::invokeMethod(
                shared->receiver,
                [shared, generation, result, done = std::move(done), this]() mutable {
                    {
                        const std::lock_guard relock(shared->mutex);
                        if (!shared->receiver)
                            return;
                    }
                    if (generation != m_generation)
                        return; // a newer request is on its way
                    m_busy = false;
                    done(std::move(*result));
                },
                Qt::QueuedConnection);
        });
    }

    /** True from run() until the latest request's result has been delivered (or cancel()). */
    bool isBusy() const { return m_busy; }

    /** Drops every result still on its way; later run()s deliver again. */
    void cancel()
    {
        ++m_generation;
        m_busy = false;
    }

private:
    struct Shared
    {
        explicit Shared(QObject *r) : receiver(r) {}
        std::mutex mutex;
        QObject *receiver; ///< null once the LatestRequest is destroyed; guarded by mutex
    };

    std::shared_ptr<Shared> m_shared;
    QThreadPool *m_pool;
    quint64 m_generation = 0;
    bool m_busy = false;
};

} // namespace psc
