// SPDX-License-Identifier: GPL-3.0-or-later
// Search strategies compared on the tabular benchmark (resources/studies/fashion-mnist-tabular.json): for random,
// nsga2, mobo (batches of 1 and 4) and mobo with asha early stopping, SEEDS studies each of TRIALS trials through the
// real study runner and store (training is a table lookup). Prints the hypervolume of the front after 10, 25, 50 and
// 100 trials (median and interquartile range, as a fraction of the whole table's front), the trials and training
// epochs each needs to reach random's median hypervolume at TRIALS trials, and the wall time.
// Usage: bench_search [--seeds N] [--trials N] [--spec STUDY.json]
#include "psc/data/dataset.h"
#include "psc/jobs/jobcontext.h"
#include "psc/pareto/pareto.h"
#include "psc/plugins/pluginregistry.h"
#include "psc/study/studyrunner.h"
#include "psc/study/studystore.h"
#include "psc/targets/targetlibrary.h"
#include "psc/train/tabulartrainer.h"

#include <QCoreApplication>
#include <QTemporaryDir>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <numeric>
#include <optional>
#include <string>
#include <vector>

namespace {

struct Config
{
    std::string label;
    std::string strategy;
    int batch = 1;
    bool asha = false;
};

struct Run
{
    std::vector<double> hvAfter;  ///< normalised hypervolume after each finished trial (index = trials - 1)
    std::vector<int> epochsAfter; ///< training epochs spent after each trial
    double seconds = 0.0;
};

/** Objective values of the complete trials, minimised and scaled by the table's bounds. */
class Scale
{
public:
    Scale(const std::vector<psc::Objective> &objectives, const std::vector<psc::Trial> &all) : m_objectives(objectives)
    {
        m_lo.assign(objectives.size(), INFINITY);
        m_hi.assign(objectives.size(), -INFINITY);
        for (const psc::Trial &t : all)
            if (auto v = values(t))
                for (std::size_t j = 0; j < v->size(); ++j) {
                    m_lo[j] = std::min(m_lo[j], (*v)[j]);
                    m_hi[j] = std::max(m_hi[j], (*v)[j]);
                }
    }
    std::optional<std::vector<double>> values(const psc::Trial &t) const
    {
        if (t.state != psc::TrialState::Complete)
            return std::nullopt;
        std::vector<double> v;
        for (const psc::Objective &o : m_objectives) {
            const auto x = psc::metricValue(t, o.metric);
            if (!x || !std::isfinite(*x))
                return std::nullopt;
            v.push_back(o.direction == psc::Direction::Maximize ? -*x : *x);
        }
        return v;
    }
    std::optional<std::vector<double>> scaled(const psc::Trial &t) const
    {
        auto v = values(t);
        if (v)
            for (std::size_t j = 0; j < v->size(); ++j)
                (*v)[j] = m_hi[j] > m_lo[j] ? ((*v)[j] - m_lo[j]) / (m_hi[j] - m_lo[j]) : 0.0;
        return v;
    }

private:
    std::vector<psc::Objective> m_objectives;
    std::vector<double> m_lo, m_hi;
};

double hv(const std::vector<double> &points, std::size_t m)
{
    const std::vector<double> ref(m, 1.1);
    const std::vector<psc::Direction> dirs(m, psc::Direction::Minimize);
    return psc::hypervolume(points, ref, dirs);
}

std::vector<psc::Trial> runStudy(const psc::StudySpec &spec, const psc::plugin::StrategyFactory &factory,
                                 psc::Trainer &trainer, const psc::TargetLibrary &targets, int trials, int batch,
                                 const std::filesystem::path &file, double *seconds)
{
    static const psc::Dataset none;
    auto store = psc::StudyStore::create(file, spec.toJson());
    psc::StudyRunner runner(*store, spec, factory, trainer, none, nullptr, {trials, batch, &targets, {}});
    psc::JobContext ctx;
    const auto start = std::chrono::steady_clock::now();
    runner.run(ctx);
    if (seconds)
        *seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return store->trials();
}

double quantile(std::vector<double> v, double q)
{
    std::sort(v.begin(), v.end());
    const double pos = q * double(v.size() - 1);
    const auto i = std::size_t(std::floor(pos));
    return i + 1 < v.size() ? v[i] + (pos - double(i)) * (v[i + 1] - v[i]) : v[i];
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    int seeds = 20, trials = 100;
    std::string specFile = PSC_SOURCE_DIR "/resources/studies/fashion-mnist-tabular.json";
    for (int i = 1; i < argc; ++i) {
        if (!std::strcmp(argv[i], "--seeds") && i + 1 < argc)
            seeds = std::max(1, std::atoi(argv[++i]));
        else if (!std::strcmp(argv[i], "--trials") && i + 1 < argc)
            trials = std::max(10, std::atoi(argv[++i]));
        else if (!std::strcmp(argv[i], "--spec") && i + 1 < argc)
            specFile = argv[++i];
        else {
            std::fprintf(stderr, "usage: bench_search [--seeds N] [--trials N] [--spec STUDY.json]\n");
            return 2;
        }
    }
    psc::PluginRegistry registry;
    registry.load();
    psc::TargetLibrary targets(registry);
    targets.loadDirectory(psc::TargetLibrary::defaultDirectory());
    const psc::StudySpec base = psc::StudySpec::fromFile(specFile);
    psc::TabularTrainer trainer(psc::TabularTable::fromFile(base.task.table));
    QTemporaryDir dir;
    const std::size_t m = base.objectives.size();

    // The whole table through the grid strategy: the bounds that scale every objective, and the best front there is.
    psc::StudySpec gridSpec = base;
    gridSpec.strategy = {"grid", "{}"};
    const int tableSize = int(trainer.table().rows.size());
    const auto all = runStudy(gridSpec, *registry.strategy("grid"), trainer, targets, tableSize, 1,
                              dir.filePath("grid.psc").toStdString(), nullptr);
    const Scale scale(base.objectives, all);
    std::vector<double> allPoints;
    for (const psc::Trial &t : all)
        if (auto v = scale.scaled(t))
            allPoints.insert(allPoints.end(), v->begin(), v->end());
    const double bestHv = hv(allPoints, m);
    // How well an early epoch predicts the end: Spearman's rank correlation, over the table, of the validation
    // accuracy after each epoch with the final deployed accuracy (what early stopping bets on).
    {
        const auto &rows = trainer.table().rows;
        auto ranks = [](std::vector<double> v) {
            std::vector<std::size_t> idx(v.size());
            std::iota(idx.begin(), idx.end(), 0);
            std::sort(idx.begin(), idx.end(), [&](std::size_t a, std::size_t b) { return v[a] < v[b]; });
            std::vector<double> r(v.size());
            for (std::size_t i = 0; i < idx.size(); ++i)
                r[idx[i]] = double(i);
            return r;
        };
        for (const bool deployed : {true, false}) {
            std::vector<double> finals;
            for (const auto &row : rows)
                finals.push_back(deployed ? row.deployedAccuracy : row.accuracy);
            const std::vector<double> rf = ranks(finals);
            std::printf("rank correlation of the validation accuracy after each epoch with the final %s:",
                        deployed ? "deployed (integer) test accuracy" : "float validation accuracy");
            for (int e = 0; e < trainer.table().epochs; ++e) {
                std::vector<double> at;
                for (const auto &row : rows)
                    at.push_back(row.curve[std::size_t(e)]);
                const std::vector<double> ra = ranks(at);
                const double n = double(rows.size());
                double d2 = 0.0;
                for (std::size_t i = 0; i < ra.size(); ++i)
                    d2 += (ra[i] - rf[i]) * (ra[i] - rf[i]);
                std::printf(" epoch %d %.3f", e + 1, 1.0 - 6.0 * d2 / (n * (n * n - 1.0)));
            }
            std::printf("\n");
        }
    }
    std::printf("tabular benchmark %s: %d networks, %zu objectives; hypervolume as a fraction of the whole table's "
                "front; %d seeds x %d trials\n",
                trainer.table().name.c_str(), tableSize, m, seeds, trials);

    const std::vector<Config> configs{{"random", "random"},
                                      {"nsga2", "nsga2"},
                                      {"mobo (batch 1)", "mobo"},
                                      {"mobo (batch 4)", "mobo", 4},
                                      {"mobo + asha", "mobo", 1, true},
                                      {"random + asha", "random", 1, true}};
    std::vector<std::vector<Run>> runs(configs.size());
    for (std::size_t c = 0; c < configs.size(); ++c) {
        const Config &cfg = configs[c];
        psc::StudySpec spec = base;
        spec.strategy = {cfg.strategy, "{}"};
        if (cfg.asha) {
            spec.earlyStopping.type = psc::EarlyStoppingSpec::Type::Asha;
            spec.earlyStopping.minEpochs = 1;
            spec.earlyStopping.reductionFactor = 3;
        }
        // Early stopping spends fewer epochs per trial: it gets three times the trials (within the table), and is
        // compared on epochs.
        const int budget = cfg.asha ? std::min(3 * trials, tableSize) : trials;
        for (int s = 0; s < seeds; ++s) {
            spec.seed = std::uint64_t(1000 + s);
            Run run;
            const auto ts = runStudy(spec, *registry.strategy(cfg.strategy), trainer, targets, budget, cfg.batch,
                                     dir.filePath(QString::fromStdString(cfg.strategy + std::to_string(c) + "-" +
                                                                         std::to_string(s) + ".psc"))
                                         .toStdString(),
                                     &run.seconds);
            std::vector<double> points;
            int epochs = 0;
            for (const psc::Trial &t : ts) {
                if (auto v = scale.scaled(t))
                    points.insert(points.end(), v->begin(), v->end());
                if (!t.cachedFrom)
                    epochs += int(t.learningCurve.size());
                run.hvAfter.push_back(hv(points, m) / bestHv);
                run.epochsAfter.push_back(epochs);
            }
            runs[c].push_back(std::move(run));
        }
    }

    const std::vector<int> checkpoints{10, 25, 50, trials};
    const int epochsPerTrial = trainer.table().epochs;
    const std::vector<int> epochCheckpoints{25 * epochsPerTrial, 50 * epochsPerTrial, trials * epochsPerTrial};
    std::printf("\n  %-16s", "strategy");
    for (int k : checkpoints)
        std::printf("   HV@%-3d trials [IQR]  ", k);
    for (int e : epochCheckpoints)
        std::printf("   HV@%-3d epochs [IQR]  ", e);
    std::printf("  trials to target   epochs to target   s/study\n");
    std::vector<double> randomFinal;
    for (const Run &r : runs[0])
        randomFinal.push_back(r.hvAfter[std::size_t(trials - 1)]);
    const double target = quantile(randomFinal, 0.5);
    for (std::size_t c = 0; c < configs.size(); ++c) {
        std::printf("  %-16s", configs[c].label.c_str());
        for (int k : checkpoints) {
            std::vector<double> v;
            for (const Run &r : runs[c])
                v.push_back(r.hvAfter[std::size_t(std::min<int>(k, int(r.hvAfter.size())) - 1)]);
            std::printf("   %.4f [%.4f-%.4f]", quantile(v, 0.5), quantile(v, 0.25), quantile(v, 0.75));
        }
        for (int e : epochCheckpoints) {
            std::vector<double> v;
            for (const Run &r : runs[c]) {
                double h = 0.0; // the front after the last trial whose training fits in e epochs
                for (std::size_t i = 0; i < r.hvAfter.size() && r.epochsAfter[i] <= e; ++i)
                    h = r.hvAfter[i];
                v.push_back(h);
            }
            std::printf("   %.4f [%.4f-%.4f]", quantile(v, 0.5), quantile(v, 0.25), quantile(v, 0.75));
        }
        // Trials and epochs to reach random's median final hypervolume; runs that never reach it count as beyond.
        std::vector<double> toTarget, epochsToTarget; // trials and epochs to random's median
        double seconds = 0.0;
        for (const Run &r : runs[c]) {
            seconds += r.seconds;
            const auto it =
                std::find_if(r.hvAfter.begin(), r.hvAfter.end(), [&](double h) { return h >= target - 1e-12; });
            const std::size_t n = std::size_t(it - r.hvAfter.begin());
            toTarget.push_back(it == r.hvAfter.end() ? INFINITY : double(n + 1));
            epochsToTarget.push_back(it == r.hvAfter.end() ? INFINITY : double(r.epochsAfter[n]));
        }
        const double med = quantile(toTarget, 0.5), medEpochs = quantile(epochsToTarget, 0.5);
        if (std::isfinite(med))
            std::printf("   %8.0f          %8.0f        ", med, medEpochs);
        else
            std::printf("   %8s          %8s        ", "never", "-");
        std::printf(" %7.2f\n", seconds / double(runs[c].size()));
    }
    std::printf("\ntarget: random's median hypervolume after %d trials = %.4f of the table's front; epochs count every "
                "epoch trained (a pruned trial's too); configurations with asha ran up to %d trials; 'never': the "
                "median run did not reach the target\n",
                trials, target, std::min(3 * trials, tableSize));
    return 0;
}
