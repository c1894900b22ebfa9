// SPDX-License-Identifier: GPL-3.0-or-later
// The training module: commands that do not train never load LibTorch; the first trainer loads it, once.
#include "cli/cli.h"

#include "psc/train/trainer.h"
#include "psc/train/trainermodule.h"

#include <QTest>

#include <cstdio>
#include <link.h>
#include <string>

using namespace psc;

namespace {

/** True if a shared object whose path contains `name` is mapped into this process. */
bool mapped(const char *name)
{
    struct Search
    {
        const char *name;
        bool found = false;
    } search{name};
    dl_iterate_phdr(
        [](dl_phdr_info *info, size_t, void *data) {
            auto *s = static_cast<Search *>(data);
            if (info->dlpi_name && std::string(info->dlpi_name).find(s->name) != std::string::npos)
                s->found = true;
            return 0;
        },
        &search);
    return search.found;
}

} // namespace

class TestTrainerModule : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void commandsThatDoNotTrainLeaveTorchUnloaded()
    {
        QVERIFY(!mapped("libtorch")); // the application library does not link it
        std::fflush(stdout);
        QCOMPARE(cli::runCommand({QStringLiteral("targets")}), 0);
        QCOMPARE(cli::runCommand(
                     {QStringLiteral("analyze"), QStringLiteral(PSC_SOURCE_DIR "/resources/networks/ds-cnn.json")}),
                 0);
        QVERIFY(!trainermodule::isLoaded());
        QVERIFY(!mapped("libtorch"));
        QVERIFY(!mapped("libpsc_trainer"));
    }

    void theFirstTrainerLoadsTheModuleOnce()
    {
        trainermodule::setThreads(1);
        const std::unique_ptr<Trainer> first = trainermodule::createTrainer();
        QVERIFY(first);
        QVERIFY(trainermodule::isLoaded());
        QVERIFY(mapped("libpsc_trainer"));
        QVERIFY(mapped("libtorch"));
        const std::unique_ptr<Trainer> second = trainermodule::createTrainer();
        QVERIFY(second && second.get() != first.get());
    }
};

QTEST_GUILESS_MAIN(TestTrainerModule)
#include "tst_trainermodule.moc"
