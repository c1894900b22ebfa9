// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QSize>
#include <QString>
#include <QStringList>

class QCustomPlot;

namespace psc {

/**
 * Writes `plot` to `path` as PNG (twice the pixels of `size`, for documents), SVG (vector, through
 * QSvgGenerator) or PDF (vector), chosen by the file extension. On failure returns false, removes any
 * partial file and sets `error` to a message naming the file. GUI thread.
 */
bool exportPlot(QCustomPlot &plot, const QString &path, QSize size, const QString &title, QString *error = nullptr);

/** The extensions exportPlot() understands: "png", "svg", "pdf". */
QStringList plotExportFormats();

} // namespace psc
