// SCRATCH (not for commit): shows the main window running a study, for screenshots.
#include "mainwindow.h"
#include <QApplication>
#include <QTimer>
int main(int argc, char *argv[])
{
    QApplication app(argc, argv);
    psc::MainWindow w;
    w.show();
    const QStringList a = app.arguments();
    if (a.size() > 3 && a[1] == "new")
        w.newStudy(a[2], a[3]);
    else if (a.size() > 2 && a[1] == "resume") {
        w.openStudy(a[2]);
        w.runAction()->trigger();
    }
    QTimer::singleShot(120000, &app, &QApplication::quit);
    return app.exec();
}
