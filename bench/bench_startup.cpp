// SPDX-License-Identifier: GPL-3.0-or-later
// Start-up time of the commands that do not train (issue: scripts cost hundreds of networks, one process each).
// Runs the real executable N times per command and prints the median and the worst wall time, the peak resident
// memory of one run, and whether LibTorch was mapped into the process. Goal: each under 0.1 s for a small network.
//
// Usage: bench_startup [runs=15]
#include <QCoreApplication>
#include <QElapsedTimer>
#include <QProcess>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <sys/resource.h>

namespace {

struct Figures
{
    double median = 0.0, worst = 0.0;
    long peakKiB = 0;
    bool ok = true;
};

/** Runs `args` `runs` times; wall time per run, and the children's peak RSS (ru_maxrss of the largest). */
Figures measure(const QString &program, const QStringList &args, int runs)
{
    std::vector<double> seconds;
    Figures f;
    for (int i = 0; i < runs; ++i) {
        QProcess p;
        p.setProgram(program);
        p.setArguments(args);
        QElapsedTimer timer;
        timer.start();
        p.start();
        p.waitForFinished(60000);
        seconds.push_back(double(timer.nsecsElapsed()) * 1e-9);
        f.ok = f.ok && p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0;
    }
    std::sort(seconds.begin(), seconds.end());
    f.median = seconds[seconds.size() / 2];
    f.worst = seconds.back();
    rusage usage{};
    getrusage(RUSAGE_CHILDREN, &usage);
    f.peakKiB = usage.ru_maxrss;
    return f;
}

/** True if a run of `args` loads LibTorch, as the dynamic loader reports what it loads (LD_DEBUG=files). */
bool loadsTorch(const QString &program, const QStringList &args)
{
    QProcess p;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("LD_DEBUG"), QStringLiteral("files"));
    p.setProcessEnvironment(env);
    p.start(program, args);
    p.waitForFinished(60000);
    return p.readAllStandardError().contains("libtorch");
}

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    const int runs = argc > 1 ? std::max(3, std::atoi(argv[1])) : 15;
    const QString exe = QStringLiteral(PSC_BINARY_DIR "/app/paretoscope");
    const QString net = QStringLiteral(PSC_SOURCE_DIR "/resources/networks/ds-cnn.json");
    struct Case
    {
        const char *name;
        QStringList args;
    };
    const std::vector<Case> cases{
        {"--version", {QStringLiteral("--version")}},
        {"targets", {QStringLiteral("targets")}},
        {"analyze ds-cnn", {QStringLiteral("analyze"), net}},
        {"cost ds-cnn on stm32f746zg",
         {QStringLiteral("cost"), net, QStringLiteral("--target"), QStringLiteral("stm32f746zg")}},
    };
    std::printf("paretoscope start-up, %d runs per command (%s)\n\n", runs, qPrintable(exe));
    std::printf("%-30s %10s %10s %8s\n", "command", "median s", "worst s", "torch");
    bool met = true;
    long peakKiB = 0;
    for (const Case &c : cases) {
        const Figures f = measure(exe, c.args, runs);
        peakKiB = std::max(peakKiB, f.peakKiB);
        const bool torch = loadsTorch(exe, c.args);
        met = met && f.median < 0.1 && !torch && f.ok;
        std::printf("%-30s %10.3f %10.3f %8s%s\n", c.name, f.median, f.worst, torch ? "loaded" : "no",
                    f.ok ? "" : "  (exit code not 0)");
    }
    std::printf("\nlargest resident set of any run: %.1f MiB\n", double(peakKiB) / 1024.0);
    std::printf("goal: median under 0.1 s and LibTorch not loaded: %s\n", met ? "met" : "missed");
    return 0;
}
