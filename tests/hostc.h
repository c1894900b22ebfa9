// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Building and running exported C models: a host program around a generated model (int8 inputs from one file,
// int8 outputs to another), and running a program to completion.

#include <QProcess>
#include <QString>
#include <QStringList>

namespace psc::test {

/** main.c for a model exported as model.c/model.h: `model INPUTS.bin OUTPUTS.bin`. */
inline constexpr const char *kHostHarness = R"c(#include "model.h"
#include <stdio.h>

int main(int argc, char **argv)
{
    static int8_t input[PSC_MODEL_INPUT_SIZE], output[PSC_MODEL_OUTPUT_SIZE];
    FILE *in, *out;
    if (argc != 3 || !(in = fopen(argv[1], "rb")) || !(out = fopen(argv[2], "wb")))
        return 3;
    while (fread(input, 1, sizeof input, in) == sizeof input) {
        if (psc_model_invoke(input, output) != 0)
            return 4;
        fwrite(output, 1, sizeof output, out);
    }
    return fclose(out) == 0 ? 0 : 5;
}
)c";

/** Runs `program` in `dir` to completion; empty if it exited with 0, else what went wrong and what it printed. */
inline QString runProgram(const QString &program, const QStringList &args, const QString &dir)
{
    QProcess p;
    p.setWorkingDirectory(dir);
    p.setProcessChannelMode(QProcess::MergedChannels);
    p.start(program, args);
    if (!p.waitForFinished(120000) || p.exitStatus() != QProcess::NormalExit || p.exitCode() != 0)
        return program + " " + args.join(' ') + " failed (" + QString::number(p.exitCode()) +
               "): " + QString::fromLocal8Bit(p.readAll());
    return {};
}

} // namespace psc::test
