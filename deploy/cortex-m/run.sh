#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# usage: run.sh <machine> <elf> [guest args...]
# env: PSC_ICOUNT_OUT=<file>  -> load the counting plugin, regions to <file>
#      PSC_INSN_PLUGIN=<.so>   (default plugin/libpsc_insn.so beside this script)
#      PSC_TIMEOUT=<seconds>  (default 60)
# exit status = guest exit status (main's return value & 0xff),
#               128+n for a CPU exception n, 124 for timeout.
H=$(cd "$(dirname "$0")" && pwd)
M=$1; ELF=$2; shift 2
SH="enable=on,target=native,arg=$(basename "$ELF")"
for a in "$@"; do SH="$SH,arg=$a"; done     # note: args must not contain ','
PLUGIN=
[ -n "$PSC_ICOUNT_OUT" ] && PLUGIN="-plugin ${PSC_INSN_PLUGIN:-$H/plugin/libpsc_insn.so},out=$PSC_ICOUNT_OUT"
exec timeout "${PSC_TIMEOUT:-60}" qemu-system-arm -M "$M" -display none -monitor none -serial none \
     -semihosting-config "$SH" $PLUGIN -kernel "$ELF"
