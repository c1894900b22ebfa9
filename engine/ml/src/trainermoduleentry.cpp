// SPDX-License-Identifier: GPL-3.0-or-later
// The entry point of the training module (libpsc_trainer.so), loaded at run time by psc::trainermodule.
#include "psc/ml/torchtrainer.h"
#include "psc/train/trainermodule.h"

namespace {

psc::Trainer *createTrainer()
{
    return new psc::ml::TorchTrainer;
}

void configureThreads(int threads)
{
    psc::ml::TorchTrainer::configureThreads(threads);
}

const psc::TrainerModuleEntry kEntry{psc::kTrainerModuleApiVersion, &createTrainer, &configureThreads};

} // namespace

extern "C" __attribute__((visibility("default"))) const psc::TrainerModuleEntry *psc_trainer_module_v1()
{
    return &kEntry;
}
