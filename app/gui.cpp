// SPDX-License-Identifier: GPL-3.0-or-later
// The GUI entry point: `paretoscope [FILE.psc]`.
#include "cli/cli.h"
#include "mainwindow.h"

#include <QApplication>

namespace psc::cli {

int runGui(int argc, char *argv[], const QStringList &args)
{
    QApplication app(argc, argv);
    QApplication::setApplicationDisplayName(QStringLiteral("Paretoscope"));
    MainWindow window;
    window.show();
    // QApplication has removed the arguments it understands (-style, ...); the first remaining one is a study.
    const QStringList remaining = QApplication::arguments().mid(1);
    for (const QString &arg : remaining.isEmpty() ? args : remaining)
        if (!arg.startsWith(QLatin1Char('-'))) {
            window.openStudy(arg);
            break;
        }
    return app.exec();
}

} // namespace psc::cli
