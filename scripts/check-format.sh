#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Checks that every C++ source and header follows .clang-format (the test suite runs this as style_format).
# Usage: scripts/check-format.sh [--fix]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
formatter=$(command -v clang-format || command -v clang-format-14 || true)
[[ -n "$formatter" ]] || { echo "check-format: clang-format is not installed (packaging/install-deps.sh installs it)" >&2; exit 1; }
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    # Tracked files and new ones not yet added (so that --fix before a commit covers them too).
    mapfile -t files < <(git ls-files --cached --others --exclude-standard -- '*.cpp' '*.h' | sort -u)
else
    mapfile -t files < <(find app engine plugins widgets tests bench -name '*.cpp' -o -name '*.h' | sort)
fi
if [[ "${1:-}" == "--fix" ]]; then
    "$formatter" -i "${files[@]}"
    exit 0
fi
# One clang-format process for all files (one per file costs tens of seconds); it names each file that differs.
report=$("$formatter" --dry-run "${files[@]}" 2>&1 || true)
mapfile -t bad < <(grep -oE '^[^:]+:[0-9]+:[0-9]+: (warning|error)' <<<"$report" | cut -d: -f1 | sort -u)
if [[ ${#bad[@]} -gt 0 ]]; then
    echo "check-format: ${#bad[@]} of ${#files[@]} files differ from .clang-format (fix: scripts/check-format.sh --fix):" >&2
    printf '  %s\n' "${bad[@]}" >&2
    exit 1
fi
echo "check-format: ${#files[@]} files follow .clang-format"
