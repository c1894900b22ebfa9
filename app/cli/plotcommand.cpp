// SPDX-License-Identifier: GPL-3.0-or-later
// TEMPORARY during bring-up: replaced by the real plot command with the widgets library.
#include "cli.h"
#include "psc/core/error.h"
namespace psc::cli {
int plotCommand(const QStringList &) { throw RuntimeError("plot: under construction"); }
int runGui(int, char **, const QStringList &) { return 1; }
}
