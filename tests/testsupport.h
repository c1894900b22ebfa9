// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Helpers shared by the test executables (every test has tests/ on its include path).

#include "psc/core/error.h"

#include <QByteArray>
#include <QFile>
#include <QString>
#include <QTemporaryDir>

#include <filesystem>
#include <functional>
#include <string>

namespace psc::test {

/** What `f` throws as InputError, or "<no InputError>" if it returns (any other exception propagates). */
inline std::string errorOf(const std::function<void()> &f)
{
    try {
        f();
    } catch (const InputError &e) {
        return e.what();
    }
    return "<no InputError>";
}

/** Writes `bytes` to `path` (replacing it) and returns the path; a file that cannot be written stops the test run. */
inline QString writeFile(const QString &path, const QByteArray &bytes)
{
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate) || f.write(bytes) != bytes.size())
        qFatal("cannot write %s", qPrintable(path));
    return path;
}

/** writeFile() of `name` in `dir`. */
inline QString writeFile(const QTemporaryDir &dir, const QString &name, const QByteArray &bytes)
{
    return writeFile(dir.filePath(name), bytes);
}

inline std::filesystem::path writeFile(const std::filesystem::path &file, const QByteArray &bytes)
{
    writeFile(QString::fromStdString(file.string()), bytes);
    return file;
}

/** The bytes of `file`, or empty if it cannot be read. */
inline QByteArray readAll(const std::filesystem::path &file)
{
    QFile f(QString::fromStdString(file.string()));
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

} // namespace psc::test
