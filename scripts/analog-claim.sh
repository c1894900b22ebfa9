#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# The AnalogNets measurement (docs/training.md): trains the plain CNN of the fashion-mnist-analog study, derives
# three noise-aware children of it (PCM programming noise with distillation, with and without ADC output noise in
# training), and evaluates the parent and the children on the simulated aon-cim crossbar from 1 second to a month
# after programming with global drift compensation. About 15 minutes on two cores.
# Usage: scripts/analog-claim.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/build.sh" paretoscope
build=${PSC_BUILD_DIR:-$root/build}
out=$root/out
mkdir -p "$out"
db=$out/fashion-mnist-analog-$(date +%Y%m%d-%H%M%S).psc
"$build/app/paretoscope" run "$root/resources/studies/fashion-mnist-analog.json" --db "$db" --parallel 1
"$build/app/paretoscope" compress "$db" --trial 0 --config "$root/resources/compress/fashion-mnist-analog-claim.json"
"$build/app/paretoscope" evaluate "$db" --trial 0 --children --target aon-cim --times 1s,1h,1d,1mo --repeats 5 \
    --images 2000
echo "study file: $db"
