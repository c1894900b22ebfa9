// SPDX-License-Identifier: GPL-3.0-or-later
#include "plot/plotexport.h"

#include <qcustomplot.h>

#include <QCoreApplication>
#include <QFile>
#include <QFileInfo>
#include <QSvgGenerator>

namespace psc {

QStringList plotExportFormats()
{
    return {QStringLiteral("png"), QStringLiteral("svg"), QStringLiteral("pdf")};
}

bool exportPlot(QCustomPlot &plot, const QString &path, QSize size, const QString &title, QString *error)
{
    const QString format = QFileInfo(path).suffix().toLower();
    bool ok = false;
    if (format == QLatin1String("png")) {
        ok = plot.savePng(path, size.width(), size.height(), 2.0);
    } else if (format == QLatin1String("pdf")) {
        ok = plot.savePdf(path, size.width(), size.height(), QCP::epNoCosmetic, QStringLiteral("Paretoscope"), title);
    } else if (format == QLatin1String("svg")) {
        QSvgGenerator svg;
        svg.setFileName(path);
        svg.setSize(size);
        svg.setViewBox(QRect(QPoint(0, 0), size));
        svg.setTitle(title);
        svg.setDescription(QStringLiteral("Pareto plot written by Paretoscope"));
        QCPPainter painter;
        if (painter.begin(&svg)) {
            plot.toPainter(&painter, size.width(), size.height());
            ok = painter.end();
        }
        ok = ok && QFileInfo(path).size() > 0;
    } else {
        if (error)
            *error = QCoreApplication::translate("psc::exportPlot", "%1: unknown image format \"%2\" (use .png, .svg "
                                                                    "or .pdf)")
                         .arg(path, format);
        return false;
    }
    if (!ok) {
        QFile::remove(path);
        if (error)
            *error = QCoreApplication::translate("psc::exportPlot", "%1: could not write the file").arg(path);
    }
    return ok;
}

} // namespace psc
