#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# usage: psc_size.sh file.o|file.elf ...
# Sums `arm-none-eabi-size -A` sections into text / rodata / data / bss.
# .vectors, .ARM.ex* count as text; .init_array as rodata.
for f in "$@"; do
arm-none-eabi-size -A "$f" | awk -v f="$f" '
  NR > 2 && NF == 3 {
    s = $1; n = $2
    if (s ~ /^\.(text|vectors|ARM\.ex|glue|init$|fini$)/) t += n
    else if (s ~ /^\.(rodata|init_array|fini_array|preinit_array)/) r += n
    else if (s ~ /^\.(data|sdata)/) d += n
    else if (s ~ /^\.(bss|sbss|noinit)/ || s == "COMMON") b += n
  }
  END { printf "%s: text=%d rodata=%d data=%d bss=%d flash(text+rodata+data)=%d ram(data+bss)=%d\n",
        f, t, r, d, b, t + r + d, d + b }'
done
