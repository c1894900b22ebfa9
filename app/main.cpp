// SPDX-License-Identifier: GPL-3.0-or-later
#include "cli/cli.h"

#include <QApplication>
#include <QCoreApplication>

#include <memory>

int main(int argc, char *argv[])
{
    QStringList args;
    for (int i = 1; i < argc; ++i)
        args << QString::fromLocal8Bit(argv[i]);

    QCoreApplication::setOrganizationName(QStringLiteral("Paretoscope"));
    QCoreApplication::setApplicationName(QStringLiteral("paretoscope"));
    QCoreApplication::setApplicationVersion(QStringLiteral(PSC_VERSION));

    if (psc::cli::isCommand(args)) {
        // `plot` and `report` render widgets off screen; everything else needs no GUI at all.
        std::unique_ptr<QCoreApplication> app;
        if (args.front() == QLatin1String("plot") || args.front() == QLatin1String("report")) {
            if (qEnvironmentVariableIsEmpty("DISPLAY") && qEnvironmentVariableIsEmpty("WAYLAND_DISPLAY"))
                qputenv("QT_QPA_PLATFORM", "offscreen");
            app = std::make_unique<QApplication>(argc, argv);
        } else {
            app = std::make_unique<QCoreApplication>(argc, argv);
        }
        return psc::cli::runCommand(args);
    }
    // Anything else opens the GUI, so a typo or a missing file must fail here, not in a window that may never show.
    if (const int code = psc::cli::checkGuiArguments(args); code != psc::cli::Success)
        return code;
    return psc::cli::runGui(argc, argv, args);
}
