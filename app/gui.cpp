// SPDX-License-Identifier: GPL-3.0-or-later
// The GUI entry point: `paretoscope [FILE.psc [--trial N]]`.
#include "cli/cli.h"
#include "mainwindow.h"

#include <QApplication>
#include <QIcon>

namespace psc::cli {

int runGui(int argc, char *argv[], const QStringList &args)
{
    QApplication app(argc, argv);
    QApplication::setApplicationDisplayName(QStringLiteral("Paretoscope"));
    // The installed menu entry and icon (packaging/): the desktop shell matches windows to the entry by this name;
    // the icon theme's copy wins where one is installed, the built-in one otherwise (a build tree).
    QGuiApplication::setDesktopFileName(QStringLiteral("org.paretoscope.Paretoscope"));
    QApplication::setWindowIcon(QIcon::fromTheme(QStringLiteral("org.paretoscope.Paretoscope"),
                                                 QIcon(QStringLiteral(":/icons/org.paretoscope.Paretoscope.svg"))));
    MainWindow window;
    window.show();
    // QApplication has removed the arguments it understands (-style, ...); the first remaining one is a study,
    // `--trial N` selects its trial number N (e.g. one that `paretoscope compress` reported).
    const QStringList remaining = QApplication::arguments().mid(1);
    const QStringList &list = remaining.isEmpty() ? args : remaining;
    QString study;
    qint64 trialNumber = -1;
    for (qsizetype i = 0; i < list.size(); ++i) {
        if (list[i] == QLatin1String("--trial") && i + 1 < list.size())
            trialNumber = list[++i].toLongLong();
        else if (!list[i].startsWith(QLatin1Char('-')) && study.isEmpty())
            study = list[i];
    }
    if (!study.isEmpty() && window.openStudy(study) && trialNumber >= 0)
        window.selectTrialNumber(trialNumber);
    return app.exec();
}

} // namespace psc::cli
