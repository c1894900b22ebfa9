// SPDX-License-Identifier: GPL-3.0-or-later
// `compress`: derives compressed trials from a trained one (docs/formats/compression-config.md).
#include "cli.h"
#include "cliutil.h"
#include "studyreport.h"
#include "trainingthreads.h"

#include "psc/compress/compressionconfig.h"
#include "psc/core/error.h"
#include "psc/jobs/jobcontext.h"
#include "psc/study/metrics.h"
#include "psc/study/studyfront.h"
#include "psc/study/studysession.h"
#include "psc/study/studyspec.h"
#include "psc/study/studystore.h"
#include "psc/train/trainer.h"
#include "psc/train/trainermodule.h"

#include <optional>

namespace psc::cli {
namespace {

/** "deployed_accuracy 86.20% (parent 87.10%, -0.90 points)" or "weight_bytes 10.2 KiB (parent 20.1 KiB, 0.51x)". */
std::string comparedWithParent(const Trial &child, const Trial &parent, const std::string &name)
{
    const auto c = metricValue(child, MetricRef{name, {}});
    if (!c)
        return {};
    std::string text = name + " " + psc::formatMetric(MetricRef{name, {}}, *c);
    if (const auto p = metricValue(parent, MetricRef{name, {}})) {
        char delta[48];
        if (name.find("accuracy") != std::string::npos)
            std::snprintf(delta, sizeof delta, "%+.2f points", 100.0 * (*c - *p));
        else
            std::snprintf(delta, sizeof delta, "%.2fx", *p != 0.0 ? *c / *p : 0.0);
        text += " (parent " + psc::formatMetric(MetricRef{name, {}}, *p) + ", " + delta + ")";
    }
    return text;
}

std::string childLine(const CompressedChild &c, const Trial &parent)
{
    const Trial &t = c.trial;
    std::string line = "trial " + std::to_string(t.number) + " (" + c.variant + ") " + std::string(toString(t.state));
    if (c.reused)
        line += " (derived before, not trained again)";
    std::string sep = ": ";
    for (const char *name : {"deployed_accuracy", "weight_bytes"})
        if (std::string part = comparedWithParent(t, parent, name); !part.empty()) {
            line += sep + part;
            sep = ", ";
        }
    if (!t.error.empty())
        line += " - " + t.error;
    return line + "\n";
}

} // namespace

int compressCommand(const QStringList &args)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Derives compressed trials from a trained trial of a study: for each variant of the compression config "
        "(docs/formats/compression-config.md: bit-widths, pruning, channel removal, factorisation) the trial's "
        "deployable model is changed, fine-tuned and measured like a search trial, and stored as a new trial linked "
        "to its parent. Sizes, costs and accuracies are those of the model that would be deployed. A variant already "
        "derived with the same fine-tuning is reported, not trained again. Exit codes: 0 every variant derived, 1 a "
        "variant failed or the run was interrupted (Ctrl-C; the same command finishes it), 2 bad input."));
    addStudyTrialArguments(parser, QStringLiteral("compress"));
    parser.addOption(
        {QStringLiteral("config"), QStringLiteral("Compression config (JSON)."), QStringLiteral("C.json")});
    if (!parseArgs(parser, QStringLiteral("compress"), args, 1))
        return Success;
    if (!parser.isSet(QStringLiteral("trial")))
        throw UsageError{QStringLiteral("--trial N is required")};
    if (!parser.isSet(QStringLiteral("config")))
        throw UsageError{QStringLiteral("--config C.json is required")};
    const std::int64_t given = parseTrialOption(parser.value(QStringLiteral("trial")));

    // Everything that can be wrong with the input is checked before the dataset is loaded and anything is written.
    const CompressionConfig config = CompressionConfig::fromFile(parser.value(QStringLiteral("config")).toStdString());
    const std::string file = parser.positionalArguments().front().toStdString();
    const ThreadBudget budget = studyThreadBudget(1);
    auto session = StudySession::open(file, {nullptr, 1, {}});
    const StudySpec &spec = session->spec();
    const std::int64_t number = given == kBestTrial ? bestTrialNumber(session->store(), spec, file) : given;
    const Trial parent = session->checkCompression(number, config);

    configureTrainingThreads(budget.torchThreads);
    const std::unique_ptr<Trainer> trainer = trainermodule::createTrainer();
    ProgressPrinter progress;
    JobContext ctx([&progress](double f, const std::string &text) { progress.update(f, text); });
    SignalCanceller canceller(ctx, "the same 'paretoscope compress' command finishes the interrupted variant");
    int failed = 0;
    printErr("compressing trial " + std::to_string(parent.number) + " of study " + spec.name + " (" + file +
             "): " + std::to_string(config.variants.size()) + " variant(s)\n");
    const CompressionSummary s = session->compress(*trainer, number, config, ctx, [&](const CompressedChild &c) {
        progress.finish();
        failed += c.trial.state == TrialState::Failed;
        printOut(childLine(c, parent));
    });
    progress.finish();
    if (s.cancelled) {
        printErr("cancelled; run the same command again to finish the remaining variants\n");
        return RuntimeFailure;
    }
    return failed > 0 ? RuntimeFailure : Success;
}

} // namespace psc::cli
