#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Quick start (b): install, build everything (tests and benchmarks included), run the whole test suite, then build
# the Debian package and check it (scripts/package.sh: lintian, desktop-file-validate, appstreamcli).
# Usage: scripts/test.sh [extra ctest arguments, e.g. -L engine]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/build.sh"
build=${PSC_BUILD_DIR:-$root/build}
export QT_QPA_PLATFORM=offscreen
# Parallel: tests that train on every core claim all slots (tests/CMakeLists.txt), the rest share them.
ctest --test-dir "$build" --output-on-failure -j "$(nproc)" "$@"
"$root/scripts/package.sh"
