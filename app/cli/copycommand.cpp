// SPDX-License-Identifier: GPL-3.0-or-later
// `copy`: a whole study from one backend to another (a file and a PostgreSQL server, either way).
#include "cli.h"
#include "cliutil.h"

#include "psc/study/studystore.h"

namespace psc::cli {

int copyCommand(const QStringList &args)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Copies a whole study - every trial with its metrics, learning curve, weights, exports and analog "
        "accuracies, and the study's settings - into a new study. Either may be a study file or a server URL "
        "postgresql://user@host:port/database?study=NAME (docs/database.md), so a study run by workers on a "
        "cluster comes home as one .psc file to open offline, and a file goes to a server for workers to share. "
        "The source is only read (it may be running: the copy is one consistent snapshot); the destination must "
        "not exist, and is removed again if the copy fails."));
    parser.addPositionalArgument(QStringLiteral("SOURCE"), QStringLiteral("Study file or URL to copy."));
    parser.addPositionalArgument(QStringLiteral("DESTINATION"), QStringLiteral("New study file or URL."));
    if (!parseArgs(parser, QStringLiteral("copy"), args, 2))
        return Success;
    const QStringList positional = parser.positionalArguments();
    const std::filesystem::path source = positional[0].toStdString();
    const std::filesystem::path destination = positional[1].toStdString();
    const std::int64_t trials = StudyStore::copy(source, destination);
    printOut(std::to_string(trials) + " trials copied: " + destination.string() + "\n");
    return Success;
}

} // namespace psc::cli
