// SPDX-License-Identifier: GPL-3.0-or-later
#include "psc/train/trainermodule.h"

#include "psc/core/error.h"
#include "psc/train/trainer.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QLibrary>

#include <mutex>
#include <optional>

namespace psc::trainermodule {

namespace {

struct State
{
    std::mutex mutex;
    const TrainerModuleEntry *entry = nullptr; // the library stays loaded until the process ends
    std::optional<int> threads;
    bool threadsApplied = false;
};

State &state()
{
    static State s;
    return s;
}

QStringList candidates()
{
    QStringList paths;
    const QString fromEnvironment = qEnvironmentVariable("PSC_TRAINER_MODULE");
    if (!fromEnvironment.isEmpty())
        paths << fromEnvironment;
    if (QCoreApplication::instance()) {
        const QDir dir(QCoreApplication::applicationDirPath());
        paths << dir.filePath(QStringLiteral("libpsc_trainer.so"))
              << dir.filePath(QStringLiteral("../lib/paretoscope/libpsc_trainer.so"));
    }
#ifdef PSC_TRAINER_BUILD_PATH
    paths << QStringLiteral(PSC_TRAINER_BUILD_PATH);
#endif
    return paths;
}

/** Loads the module; the caller holds the state's mutex. */
const TrainerModuleEntry &load(State &s)
{
    if (s.entry)
        return *s.entry;
    std::string tried;
    for (const QString &path : candidates()) {
        if (!QFileInfo::exists(path)) {
            tried += "\n  " + path.toStdString() + ": no such file";
            continue;
        }
        auto *library = new QLibrary(path); // never unloaded: torch does not survive being unloaded
        library->setLoadHints(QLibrary::ExportExternalSymbolsHint);
        using EntryFunction = const TrainerModuleEntry *(*)();
        const auto function = reinterpret_cast<EntryFunction>(library->resolve(kTrainerModuleSymbol));
        if (!function) {
            tried += "\n  " + path.toStdString() + ": " + library->errorString().toStdString();
            delete library;
            continue;
        }
        const TrainerModuleEntry *entry = function();
        if (!entry || entry->apiVersion != kTrainerModuleApiVersion) {
            tried += "\n  " + path.toStdString() + ": built for another Paretoscope (module API " +
                     std::to_string(entry ? entry->apiVersion : -1) + ", expected " +
                     std::to_string(kTrainerModuleApiVersion) + ")";
            continue;
        }
        s.entry = entry;
        return *entry;
    }
    throw RuntimeError("cannot load the training module (LibTorch), needed to train:" + tried +
                       "\nreinstall Paretoscope or set PSC_TRAINER_MODULE to libpsc_trainer.so");
}

} // namespace

void setThreads(int torchThreads)
{
    State &s = state();
    std::lock_guard lock(s.mutex);
    if (s.threads)
        return;
    s.threads = torchThreads;
    if (s.entry && !s.threadsApplied) {
        s.entry->configureThreads(torchThreads);
        s.threadsApplied = true;
    }
}

std::unique_ptr<Trainer> createTrainer()
{
    State &s = state();
    std::lock_guard lock(s.mutex);
    const TrainerModuleEntry &entry = load(s);
    if (s.threads && !s.threadsApplied) {
        entry.configureThreads(*s.threads);
        s.threadsApplied = true;
    }
    return std::unique_ptr<Trainer>(entry.createTrainer());
}

bool isLoaded()
{
    State &s = state();
    std::lock_guard lock(s.mutex);
    return s.entry != nullptr;
}

} // namespace psc::trainermodule
