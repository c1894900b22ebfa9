#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Builds the engine tests with AddressSanitizer and UndefinedBehaviorSanitizer in build-asan/ and runs them.
# Slow (an instrumented build of the engine); not part of scripts/test.sh. Any report fails the run.
# Usage: scripts/sanitize.sh [ctest regex, default: the engine's study and store tests, the importers (fuzzed) and
# the Cortex-M measurement]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/packaging/install-deps.sh"
build=${PSC_ASAN_DIR:-$root/build-asan}
regex=${1:-^engine_tst_(studyrunner|compressionrunner|studystore|studysession|trialevaluator|importer|cortexm)$}
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPSC_SANITIZE=address,undefined \
    -DPSC_BUILD_BENCH=OFF >/dev/null
# Only the tests asked for (and what they link), not the whole tree.
mapfile -t targets < <(ctest --test-dir "$build" -N -R "$regex" | sed -n 's/^ *Test *#[0-9]*: \(.*\)$/\1/p')
[[ ${#targets[@]} -gt 0 ]] || { echo "no test matches $regex" >&2; exit 2; }
ninja -C "$build" -j "$(nproc)" "${targets[@]}"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export QT_QPA_PLATFORM=offscreen
ctest --test-dir "$build" --output-on-failure -j "$(nproc)" -R "$regex"
