// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <memory>
#include <string>

namespace psc {

class Trainer;

/**
 * The training code (LibTorch, a large library that takes most of a second to load) lives in a module of its own,
 * `psc_trainer`, loaded the first time something trains. Commands that do not train (`targets`, `analyze`, `cost`,
 * `show`, `plot`) and the GUI until its first run never load it, so they start at once.
 *
 * The module is looked up in this order: $PSC_TRAINER_MODULE (a file), the directory of the executable,
 * ../lib/paretoscope beside it (an installed tree), and the build tree it was built in.
 *
 * Thread-safe: any thread may call these; the module is loaded once per process.
 */
namespace trainermodule {

/**
 * Torch's thread count for trainings, applied when the module loads (or at once if it is loaded); only the first
 * call has an effect, since torch's thread pools cannot be resized once used.
 */
void setThreads(int torchThreads);

/** A new trainer from the module, loading it if needed. Throws RuntimeError naming where it looked. */
std::unique_ptr<Trainer> createTrainer();

/** True once the module has been loaded in this process (for tests and benchmarks). */
bool isLoaded();

} // namespace trainermodule

/** The entry point the module exports (C linkage, so its name is fixed); see trainermodule.cpp. */
struct TrainerModuleEntry
{
    int apiVersion;                        ///< kTrainerModuleApiVersion
    Trainer *(*createTrainer)();           ///< a new trainer; the caller owns it (delete through Trainer)
    void (*configureThreads)(int threads); ///< torch's intra-op threads, once, before any training
};

inline constexpr int kTrainerModuleApiVersion = 1;
inline constexpr const char *kTrainerModuleSymbol = "psc_trainer_module_v1";

} // namespace psc
