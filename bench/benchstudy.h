// SPDX-License-Identifier: GPL-3.0-or-later
// Synthetic studies for the GUI benchmarks: trials with the metrics of the bundled demo study, written through the
// study store, so the GUI reads them as it reads a real study. Benchmark input only: never shipped as results.
#pragma once

#include "psc/study/studyspec.h"
#include "psc/study/studystore.h"

#include <QElapsedTimer>
#include <QTemporaryDir>
#include <QTimer>

#include <algorithm>
#include <memory>
#include <random>
#include <string>
#include <vector>

namespace psc::bench {

/** The metrics of one demo trial, random but plausible (accuracy 60-90 %, 2-32 KB of weights, ...). */
inline std::vector<Metric> syntheticMetrics(std::mt19937 &rng)
{
    std::uniform_real_distribution<double> u(0.0, 1.0);
    const double acc = 0.6 + 0.3 * u(rng);
    const double bytes = 2000 + 30000 * u(rng);
    return {{"", "accuracy", acc},
            {"", "deployed_accuracy", acc - 0.01 * u(rng)},
            {"", "test_accuracy", acc - 0.005},
            {"", "weight_bytes", bytes},
            {"", "params", bytes},
            {"", "macs", 40 * bytes},
            {"ethos-u55-128", "latency_s", 1e-4 + 1e-3 * u(rng)},
            {"ethos-u55-128", "energy_j", 1e-6 + 1e-5 * u(rng)},
            {"stm32f746zg", "latency_s", 1e-3 + 1e-2 * u(rng)},
            {"stm32f746zg", "energy_j", 1e-5 + 1e-4 * u(rng)},
            {"stm32f446re", "peak_sram_bytes", 8000 + 40000 * u(rng)}};
}

/** Trial `i` in `state`, with metrics when complete. */
inline Trial syntheticTrial(int i, TrialState state, std::mt19937 &rng)
{
    Trial t;
    t.architectureJson = "{}";
    t.architectureHash = "hash-" + std::to_string(i);
    t.parametersJson = "{}";
    t.recipeJson = "{}";
    t.state = state;
    if (state == TrialState::Complete)
        t.metrics = syntheticMetrics(rng);
    return t;
}

/** Creates `file` with the demo spec and `n` complete synthetic trials in one transaction; returns the writer. */
inline std::unique_ptr<StudyStore> writeSyntheticStudy(const std::string &file, int n, std::mt19937 &rng)
{
    const StudySpec spec = StudySpec::fromFile(PSC_SOURCE_DIR "/resources/studies/fashion-mnist-demo.json");
    auto writer = StudyStore::create(file, spec.toJson());
    writer->writeBatch([&] {
        for (int i = 0; i < n; ++i) {
            Trial t = syntheticTrial(i, TrialState::Complete, rng);
            writer->insertTrial(t);
        }
    });
    return writer;
}

/**
 * Before the QApplication: offscreen when there is no display, and a settings directory of `config` (a fresh
 * temporary one), so the window opens at its first-start size whatever the user's settings.
 */
inline void prepareGuiBench(const QTemporaryDir &config)
{
    if (qEnvironmentVariableIsEmpty("DISPLAY"))
        qputenv("QT_QPA_PLATFORM", "offscreen");
    qputenv("XDG_CONFIG_HOME", config.path().toLocal8Bit());
}

/** The longest gap between turns of the GUI thread's event loop while it is armed: the longest busy stretch. */
class BusyMeter
{
public:
    BusyMeter()
    {
        m_timer.setInterval(0);
        QObject::connect(&m_timer, &QTimer::timeout, [this] {
            const qint64 now = m_clock.nsecsElapsed();
            if (m_last >= 0)
                m_longest = std::max(m_longest, now - m_last);
            m_last = now;
        });
        m_clock.start();
    }
    void start()
    {
        m_longest = 0;
        m_last = -1;
        m_timer.start();
    }
    /** Milliseconds. */
    double stop()
    {
        m_timer.stop();
        return double(m_longest) * 1e-6;
    }

private:
    QTimer m_timer;
    QElapsedTimer m_clock;
    qint64 m_last = -1;
    qint64 m_longest = 0;
};

} // namespace psc::bench
