// SPDX-License-Identifier: GPL-3.0-or-later
#include "cli.h"
#include "cliutil.h"

#include "psc/net/analysis.h"
#include "psc/net/networkparser.h"

namespace psc::cli {

int analyzeCommand(const QStringList &args)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Reads a network description (docs/formats/network.md) and prints, per layer and in total, the output "
        "shape, MACs, parameters, weight bytes at the layer's bit-width and activation bytes, and the peak "
        "activation memory both as the sum of live tensors and as a 16-byte-aligned greedy arena."));
    parser.addPositionalArgument(QStringLiteral("NET.json"), QStringLiteral("Network description file."));
    const QCommandLineOption json(QStringLiteral("json"), QStringLiteral("Print JSON instead of a table."));
    parser.addOption(json);
    if (!parseArgs(parser, QStringLiteral("analyze"), args, 1))
        return Success;
    const ModelAnalysis a = analyzeNetwork(parseNetwork(parser.positionalArguments().front().toStdString()));
    printOut(parser.isSet(json) ? analysisToJson(a) + "\n" : formatAnalysisTable(a));
    return Success;
}

} // namespace psc::cli
