// SPDX-License-Identifier: GPL-3.0-or-later
// `tabulate`: a study that trained a whole space becomes a tabular benchmark file.
#include "cli.h"
#include "cliutil.h"

#include "psc/core/atomicfile.h"
#include "psc/study/studystore.h"
#include "psc/train/tabulartrainer.h"

namespace psc::cli {

int tabulateCommand(const QStringList &args)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Writes the complete search trials of a study (usually one that trained every candidate of a small space "
        "with the grid strategy) as a tabular benchmark: per network its choices, learning curve, float, quantised "
        "and deployed accuracies, training time and model metrics (docs/formats/tabular.md). A study with "
        "\"task\": {\"dataset\": \"tabular\", \"table\": FILE} then trains by looking results up, so strategies are "
        "compared in seconds. Read-only on the study."));
    parser.addPositionalArgument(QStringLiteral("FILE.psc"), QStringLiteral("Study file."));
    parser.addOption(
        {QStringLiteral("out"), QStringLiteral("The table file to write (.json)."), QStringLiteral("FILE")});
    parser.addOption({QStringLiteral("force"), QStringLiteral("Replace an existing file.")});
    if (!parseArgs(parser, QStringLiteral("tabulate"), args, 1))
        return Success;
    if (!parser.isSet(QStringLiteral("out")))
        throw UsageError{QStringLiteral("--out FILE is required")};
    const std::filesystem::path file = parser.positionalArguments().front().toStdString();
    const auto store = StudyStore::open(file, StudyStore::Mode::ReadOnly);
    const TabularTable table = tabulate(*store);
    const std::filesystem::path out = parser.value(QStringLiteral("out")).toStdString();
    writeFilesAtomically({{out, table.toJson()}}, parser.isSet(QStringLiteral("force")));
    printOut(std::to_string(table.rows.size()) + " networks, " + std::to_string(table.epochs) +
             " epochs each: " + out.string() + "\n");
    return Success;
}

} // namespace psc::cli
