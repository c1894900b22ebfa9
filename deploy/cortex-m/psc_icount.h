/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Markers for instruction counting with plugin/libpsc_insn.so.
 * Each begin/end pair = one "region" line in the plugin output.
 * Without the plugin these are just two empty calls (2 x (bl + bx lr)). */
#ifndef PSC_ICOUNT_H
#define PSC_ICOUNT_H
void psc_icount_begin(void);
void psc_icount_end(void);
#endif
