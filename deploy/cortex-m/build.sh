#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# usage: build.sh <machine> <out.elf> <sources...>   (links with startup.c and the board's linker script)
#        build.sh <machine> <out.o> <source.c> [flags...]   (compiles only, same flags: for arm-none-eabi-size)
# machine (= linker script name): mps2-an386 | mps2-an500 | mps3-an547 | mps3-an547-tcm
# env: FLOAT=hard|softfp (default hard); PRINTF_FLOAT=1 (printf %f in newlib-nano)
#      EXTRA_LDFLAGS=...
set -e
H=$(cd "$(dirname "$0")" && pwd)
M=$1; OUT=$2; shift 2
FLOAT=${FLOAT:-hard}
case $M in
  mps2-an386) CPU="-mcpu=cortex-m4 -mfpu=fpv4-sp-d16 -mfloat-abi=$FLOAT" ;;
  mps2-an500) CPU="-mcpu=cortex-m7 -mfpu=fpv5-d16 -mfloat-abi=$FLOAT" ;;
  mps3-an547|mps3-an547-tcm) CPU="-mcpu=cortex-m55 -mfloat-abi=$FLOAT" ;;  # FPU+MVE; multilib v8-m.main+dp
  *) echo "unknown machine $M" >&2; exit 1 ;;
esac
COMMON="-mthumb $CPU -std=c99 -O2 -g -ffunction-sections -fdata-sections"
case $OUT in
  *.o) exec arm-none-eabi-gcc $COMMON -I "$H" -c -o "$OUT" "$@" ;;
esac
exec arm-none-eabi-gcc $COMMON -I "$H" \
  --specs=nano.specs --specs=rdimon.specs -nostartfiles \
  -T "$H/$M.ld" -L "$H" -Wl,--gc-sections -Wl,-Map="$OUT.map" \
  ${PRINTF_FLOAT:+-u _printf_float} \
  -o "$OUT" "$H/startup.c" "$@" ${EXTRA_LDFLAGS}
