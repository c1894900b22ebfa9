#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Builds the Debian package from the build tree (cpack -G DEB; build it first with scripts/build.sh) and checks it as
# a Debian maintainer would: lintian (errors fail; the warnings it may print are listed in docs/install.md),
# desktop-file-validate on the menu entry and appstreamcli on the AppStream metadata, both as packaged.
# Prints the package's path. Usage: scripts/package.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${PSC_BUILD_DIR:-$root/build}
"$root/packaging/install-deps.sh" >/dev/null

rm -f "$build"/packages/paretoscope_*.deb
(cd "$build" && cpack -G DEB --config CPackConfig.cmake >/dev/null)
deb=$(ls "$build"/packages/paretoscope_*.deb)

unpacked=$(mktemp -d)
trap 'rm -rf "$unpacked"' EXIT
dpkg-deb --extract "$deb" "$unpacked"
desktop-file-validate "$unpacked"/usr/share/applications/org.paretoscope.Paretoscope.desktop
appstreamcli validate --no-net "$unpacked"/usr/share/metainfo/org.paretoscope.Paretoscope.metainfo.xml
# Root's lintian refuses to unpack without --allow-root.
allow_root=()
[[ $(id -u) -eq 0 ]] && allow_root=(--allow-root)
lintian "${allow_root[@]}" --fail-on error --display-level '>=warning' "$deb"
echo "package: $deb"
