// SPDX-License-Identifier: GPL-3.0-or-later
// Measured beside estimated: exports every complete trial of a study to C and TFLite and compares what the files
// take with what the MCU cost model estimates for Paretoscope's C export ("c_*" figures of an mcu target):
//   flash:  c_flash_bytes        vs .text + .rodata + .data of the model's object (arm-none-eabi-size -A)
//   SRAM:   c_sram_bytes         vs .bss + .data
//   time:   c_instructions       vs the instructions of one inference counted on QEMU (deploy/cortex-m plugin)
//   TFLite: weight_bytes         vs the .tflite file's bytes
// Prints one row per network, then median / max relative errors and R^2 of the instruction estimate (the fit of
// measured = a * estimate + b, and the estimate taken as it is), and R^2 of the plot's latency_s estimate (CMSIS-NN
// cycles) fitted to the same counts. Needs arm-none-eabi-gcc and qemu-system-arm.
//
// Usage: bench_cexport STUDY.psc [target=stm32f746zg]

#include "psc/export/cortexm.h"
#include "psc/export/trialexport.h"
#include "psc/net/analysis.h"
#include "psc/net/networkparser.h"
#include "psc/study/studystore.h"
#include "psc/targets/costinput.h"
#include "psc/targets/targetlibrary.h"

#include <QCoreApplication>
#include <QTemporaryDir>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

using namespace psc;

namespace {

struct Row
{
    std::int64_t trial = 0;
    double flashEst = 0, flashMeas = 0, sramEst = 0, sramMeas = 0, insnEst = 0, insnMeas = 0, tfliteEst = 0,
           tfliteMeas = 0, latencyEst = 0;
};

double relative(double estimate, double measured)
{
    return measured != 0.0 ? (estimate - measured) / measured : 0.0;
}

struct Summary
{
    double median = 0, max = 0;
};

Summary summarize(std::vector<double> errors)
{
    for (double &e : errors)
        e = std::abs(e);
    std::sort(errors.begin(), errors.end());
    if (errors.empty())
        return {};
    const std::size_t n = errors.size();
    return {n % 2 ? errors[n / 2] : 0.5 * (errors[n / 2 - 1] + errors[n / 2]), errors.back()};
}

/** R^2 of measured = a * estimate + b (least squares), and of measured = estimate as it is. */
std::pair<double, double> rSquared(const std::vector<double> &x, const std::vector<double> &y)
{
    const double n = double(x.size());
    double mx = 0, my = 0;
    for (std::size_t i = 0; i < x.size(); ++i) {
        mx += x[i] / n;
        my += y[i] / n;
    }
    double sxy = 0, sxx = 0, syy = 0, ssIdentity = 0;
    for (std::size_t i = 0; i < x.size(); ++i) {
        sxy += (x[i] - mx) * (y[i] - my);
        sxx += (x[i] - mx) * (x[i] - mx);
        syy += (y[i] - my) * (y[i] - my);
        ssIdentity += (y[i] - x[i]) * (y[i] - x[i]);
    }
    const double fitted = sxx > 0 && syy > 0 ? sxy * sxy / (sxx * syy) : 0.0;
    return {fitted, syy > 0 ? 1.0 - ssIdentity / syy : 0.0};
}

double extra(const plugin::CostEstimate &e, const std::string &name)
{
    return e.extra.value(name).value_or(std::nan(""));
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    if (argc < 2) {
        std::fprintf(stderr, "usage: bench_cexport STUDY.psc [target=stm32f746zg]\n");
        return 2;
    }
    const std::string studyFile = argv[1];
    const std::string targetId = argc > 2 ? argv[2] : "stm32f746zg";
    const CortexMTools tools = CortexMTools::locate();
    if (!tools.usable()) {
        std::fprintf(stderr, "cannot measure: missing %s\n", tools.missing.c_str());
        return 1;
    }
    BundledTargets targets;
    TargetLibrary &library = targets.library;
    const TargetDefinition &def = library.resolve(targetId);
    std::string core;
    for (const TargetParameter &p : def.parameters)
        if (p.name == "core")
            core = p.value.text;
    const std::shared_ptr<const plugin::HardwareTarget> target = library.target(def.id);

    const std::unique_ptr<StudyStore> db = StudyStore::open(studyFile, StudyStore::Mode::ReadOnly);
    const StudyStore &store = *db;
    QTemporaryDir dir;
    std::vector<Row> rows;
    std::printf("C export of every complete trial of %s, measured on %s (QEMU %s) against target %s\n\n",
                studyFile.c_str(), core.c_str(), qemuMachineForCore(core).value_or("?").c_str(), def.id.c_str());
    std::printf("%6s %10s %10s %7s %9s %9s %7s %12s %12s %7s %9s %9s %7s\n", "trial", "flash est", "flash", "err",
                "SRAM est", "SRAM", "err", "insn est", "insn", "err", "weights", "tflite", "err");
    const auto start = std::chrono::steady_clock::now();
    for (const Trial &t : store.trials()) {
        if (t.state != TrialState::Complete)
            continue;
        TrialExport c, tflite;
        try {
            c = prepareTrialExport(store, studyFile, t.number, ExportFormat::C,
                                   dir.filePath(QStringLiteral("model.c")).toStdString());
            tflite = prepareTrialExport(store, studyFile, t.number, ExportFormat::Tflite,
                                        dir.filePath(QStringLiteral("model.tflite")).toStdString());
        } catch (const std::exception &e) {
            std::printf("%6lld  skipped: %s\n", static_cast<long long>(t.number), e.what());
            continue;
        }
        const NetworkDescription net = parseNetworkJson(t.architectureJson, "trial architecture");
        const ModelAnalysis analysis = analyzeNetwork(net);
        const plugin::NetworkInfo info = toNetworkInfo(net, analysis);
        std::vector<plugin::LayerDeployment> deployment = defaultDeployment(net);
        attachWeightValues(deployment, info, c.weightValues); // as the trial's own estimate saw them
        const plugin::CostEstimate e = target->estimate(info, deployment);
        const CBuildMeasurement m = measureCExport(tools, c.files, core);
        Row r;
        r.trial = t.number;
        r.flashEst = extra(e, "c_flash_bytes");
        r.flashMeas = double(m.flashBytes());
        r.sramEst = extra(e, "c_sram_bytes");
        r.sramMeas = double(m.ramBytes());
        r.insnEst = extra(e, "c_instructions");
        r.insnMeas = double(m.instructions);
        r.latencyEst = e.latencyS;
        r.tfliteEst = double(analysis.totalWeightBytes);
        r.tfliteMeas = double(tflite.files.front().bytes.size());
        std::printf("%6lld %10.0f %10.0f %+6.1f%% %9.0f %9.0f %+6.1f%% %12.0f %12.0f %+6.1f%% %9.0f %9.0f %+6.1f%%"
                    "   (text %lld rodata %lld data %lld bss %lld)\n",
                    static_cast<long long>(r.trial), r.flashEst, r.flashMeas, 100 * relative(r.flashEst, r.flashMeas),
                    r.sramEst, r.sramMeas, 100 * relative(r.sramEst, r.sramMeas), r.insnEst, r.insnMeas,
                    100 * relative(r.insnEst, r.insnMeas), r.tfliteEst, r.tfliteMeas,
                    100 * relative(r.tfliteEst, r.tfliteMeas), static_cast<long long>(m.textBytes),
                    static_cast<long long>(m.rodataBytes), static_cast<long long>(m.dataBytes),
                    static_cast<long long>(m.bssBytes));
        std::fflush(stdout);
        rows.push_back(r);
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (rows.empty()) {
        std::printf("no complete trial with a deployable model\n");
        return 1;
    }
    std::vector<double> flash, sram, insn, tfl, xs, ys, latency;
    for (const Row &r : rows) {
        flash.push_back(relative(r.flashEst, r.flashMeas));
        sram.push_back(relative(r.sramEst, r.sramMeas));
        insn.push_back(relative(r.insnEst, r.insnMeas));
        tfl.push_back(relative(r.tfliteEst, r.tfliteMeas));
        xs.push_back(r.insnEst);
        ys.push_back(r.insnMeas);
        latency.push_back(r.latencyEst);
    }
    auto line = [](const char *what, const std::vector<double> &errors, const char *goal) {
        const Summary s = summarize(errors);
        std::printf("%-34s median %6.2f %%  max %6.2f %%   %s\n", what, 100 * s.median, 100 * s.max, goal);
    };
    std::printf("\n%zu networks, %.1f s (%.2f s per network: two exports, two cross builds, one QEMU run)\n",
                rows.size(), seconds, seconds / double(rows.size()));
    line("flash (c_flash_bytes vs measured)", flash, "target: within 3 %");
    line("SRAM (c_sram_bytes vs measured)", sram, "target: within 5 %");
    line("instructions (c_instructions)", insn, "");
    line("TFLite file vs weight_bytes", tfl, "(the file adds graph, shapes, quantisation)");
    const auto [fitted, identity] = rSquared(xs, ys);
    std::printf("R^2 of the instruction counts: %.4f (linear fit), %.4f (estimate as it is)   target: >= 0.95\n",
                fitted, identity);
    // The plot's latency is the CMSIS-NN estimate (cycles of the optimised kernels), not of this plain-C build: a
    // linear fit says how well it ranks and scales with what the exported C executes.
    const double latencyFit = rSquared(latency, ys).first;
    std::printf("R^2 of the plot's latency_s@%s (CMSIS-NN estimate) to the same counts: %.4f (linear fit)\n",
                def.id.c_str(), latencyFit);
    return 0;
}
