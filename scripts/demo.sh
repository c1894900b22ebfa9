#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Quick start (a): install, build, and run the bundled Fashion-MNIST demo study headless, then save its
# Pareto plots. With --gui, the study is then opened in the main window.
# Usage: scripts/demo.sh [--gui]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
gui=0
[[ "${1:-}" == "--gui" ]] && gui=1
"$root/scripts/build.sh" paretoscope
build=${PSC_BUILD_DIR:-$root/build}
out=$root/out
mkdir -p "$out"
db=$out/fashion-mnist-demo-$(date +%Y%m%d-%H%M%S).psc
start=$(date +%s)
"$build/app/paretoscope" run "$root/resources/studies/fashion-mnist-demo.json" --db "$db"
echo "demo study finished in $(( $(date +%s) - start )) s"
# Derive compressed variants (int4, pruning, DBB, channel removal, low-rank) of the best trial by deployed
# accuracy: they appear as arrows from parent to children in the plots.
start=$(date +%s)
"$build/app/paretoscope" compress "$db" --trial best --config "$root/resources/compress/fashion-mnist-demo.json"
echo "compression finished in $(( $(date +%s) - start )) s"
# For analog compute-in-memory: a noise-aware child of the best trial (PCM programming noise and distillation from
# its parent, docs/training.md), then the parent and its children on the simulated aon-cim crossbar after an hour
# and a day of conductance drift (docs/analog.md).
start=$(date +%s)
"$build/app/paretoscope" compress "$db" --trial best --config "$root/resources/compress/fashion-mnist-analog.json"
"$build/app/paretoscope" evaluate "$db" --trial best --children --target aon-cim --times 1h,1d --repeats 5 \
    --images 1000
echo "noise-aware variant and analog accuracy finished in $(( $(date +%s) - start )) s"
# The best trial as C for a microcontroller, TFLite and ONNX (docs/formats/export-*.md), with what the plot's gains
# each file does not realise.
for format in c tflite onnx; do
    "$build/app/paretoscope" export "$db" --trial best --format "$format" --out "${db%.psc}-best.$format"
done
echo "study file: $db"
echo "plots:"
"$build/app/paretoscope" plot "$db" --out "$out"
if [[ $gui -eq 1 ]]; then
    "$build/app/paretoscope" "$db"
fi
