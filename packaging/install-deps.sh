#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Installs the Debian 12 packages Paretoscope needs to build, test and run. Idempotent: packages already
# present are not touched, and apt-get is called only if something is missing. Works as root or via sudo.
set -euo pipefail

packages=(
    build-essential cmake ninja-build ccache pkg-config clang-format
    qt6-base-dev qt6-base-dev-tools qt6-svg-dev libgl-dev
    libqcustomplot-dev libtorch-dev libsqlite3-dev sqlite3 libpq-dev postgresql-15 nlohmann-json3-dev zlib1g-dev
    slurm-wlm munge
    flatbuffers-compiler libflatbuffers-dev libeigen3-dev
    libarmnn-dev libarmnntfliteparser-dev libarmnn-cpuref-backend22
    gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm
    libonnx-dev libprotobuf-dev libopencv-dnn-dev
    dataset-fashion-mnist
    xvfb xauth imagemagick poppler-utils
    dpkg-dev lintian desktop-file-utils appstream
)

missing=()
for p in "${packages[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    [[ "$status" == "install ok installed" ]] || missing+=("$p")
done

if [[ ${#missing[@]} -eq 0 ]]; then
    echo "install-deps: all ${#packages[@]} packages present"
    exit 0
fi

sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null || { echo "install-deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
    sudo_cmd=(sudo)
fi
echo "install-deps: installing ${missing[*]}"
"${sudo_cmd[@]}" apt-get update -q
DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
