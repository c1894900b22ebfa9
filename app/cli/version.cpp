// SPDX-License-Identifier: GPL-3.0-or-later
// `paretoscope --version`: what a bug report needs to know about the program and what it runs with.
#include "cli.h"

#include "pscrevision.h" // generated at build time (cmake/PscGitRevision.cmake)

#include "psc/plugin/hardwaretarget.h"
#include "psc/plugins/pluginregistry.h"
#include "psc/study/studyschema.h"

#include <QtGlobal>

namespace psc::cli {

std::string versionText()
{
    std::string text = std::string("paretoscope ") + PSC_VERSION;
    if (*PSC_GIT_REVISION)
        text += std::string(" (git ") + PSC_GIT_REVISION + ")";
    text += "\n";
    text += std::string("Qt ") + qVersion() + " (built with " + QT_VERSION_STR + ")\n";
    text +=
        std::string("LibTorch ") + PSC_TORCH_VERSION + " (the training module, lib/paretoscope/libpsc_trainer.so)\n";
    text += "SQLite " + sqliteLibraryVersion() + " (study files: schema version " +
            std::to_string(studySchemaVersion()) + ")\n";
    PluginRegistry registry;
    registry.load(PluginRegistry::defaultDirectories());
    std::string models, strategies;
    for (const std::string &id : registry.targetModelIds())
        models += (models.empty() ? "" : ", ") + id + " " + registry.targetModel(id)->modelVersion();
    for (const std::string &id : registry.strategyIds())
        strategies += (strategies.empty() ? "" : ", ") + id;
    text += "Cost models: " + (models.empty() ? std::string("none") : models) + "\n";
    text += "Strategies: " + (strategies.empty() ? std::string("none") : strategies) + "\n";
    return text;
}

} // namespace psc::cli
