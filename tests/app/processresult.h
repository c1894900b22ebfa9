// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Running a program from an app test: the real executable (runApp) or any other (runProcess).

#include <QProcess>
#include <QProcessEnvironment>
#include <QString>
#include <QStringList>

namespace psc::test {

/** What a finished process said: its exit code (-1 if it crashed or was killed on timeout), stdout and stderr. */
struct ProcessResult
{
    int exitCode = -1;
    QString out;
    QString err;
};

/** Runs `program` with `args` and `env` to its end, killing it after `timeoutMs`. */
inline ProcessResult runProcess(const QString &program, const QStringList &args,
                                const QProcessEnvironment &env = QProcessEnvironment::systemEnvironment(),
                                int timeoutMs = 240000)
{
    QProcess p;
    p.setProcessEnvironment(env);
    p.start(program, args);
    if (!p.waitForFinished(timeoutMs)) {
        p.kill();
        p.waitForFinished();
    }
    return {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1, QString::fromUtf8(p.readAllStandardOutput()),
            QString::fromUtf8(p.readAllStandardError())};
}

#ifdef PSC_APP_EXECUTABLE
/** Runs the build tree's paretoscope with `args`. */
inline ProcessResult runApp(const QStringList &args, int timeoutMs = 240000)
{
    return runProcess(QStringLiteral(PSC_APP_EXECUTABLE), args, QProcessEnvironment::systemEnvironment(), timeoutMs);
}
#endif

} // namespace psc::test
