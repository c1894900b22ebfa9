// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// The bundled tabular study (resources/studies/fashion-mnist-tabular.json) as a study of `budget` trials whose
// training takes `seconds` each (the tabular task's simulated_seconds): the trainer of fixed duration that the worker
// tests (app_tst_workers) and the worker benchmark (bench_workers) run real workers with.

#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QString>

namespace psc::test {

/** Writes the spec to `path` with absolute paths and the given strategy; returns `path`, or "" if it failed. */
inline QString writeTimedTabularSpec(const QString &path, int budget, double seconds,
                                     const QString &strategy = QStringLiteral("mobo"))
{
    QFile in(QStringLiteral(PSC_SOURCE_DIR "/resources/studies/fashion-mnist-tabular.json"));
    if (!in.open(QIODevice::ReadOnly))
        return {};
    QJsonObject spec = QJsonDocument::fromJson(in.readAll()).object();
    spec[QStringLiteral("task")] = QJsonObject{
        {QStringLiteral("dataset"), QStringLiteral("tabular")},
        {QStringLiteral("table"), QStringLiteral(PSC_SOURCE_DIR "/resources/tables/fashion-mnist-tabular.json")},
        {QStringLiteral("simulated_seconds"), seconds}};
    spec[QStringLiteral("search_space")] =
        QStringLiteral(PSC_SOURCE_DIR "/resources/spaces/fashion-mnist-tabular.json");
    spec[QStringLiteral("budget")] = QJsonObject{{QStringLiteral("trials"), budget}};
    spec[QStringLiteral("strategy")] =
        QJsonObject{{QStringLiteral("id"), strategy}, {QStringLiteral("options"), QJsonObject{}}};
    QFile out(path);
    if (!out.open(QIODevice::WriteOnly) || out.write(QJsonDocument(spec).toJson()) < 0)
        return {};
    return path;
}

} // namespace psc::test
