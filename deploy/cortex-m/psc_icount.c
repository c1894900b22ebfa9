/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "psc_icount.h"
/* noipa: never inlined, cloned or dropped; the body is a single "bx lr" */
__attribute__((noipa)) void psc_icount_begin(void) { __asm__ volatile("" ::: "memory"); }
__attribute__((noipa)) void psc_icount_end(void)   { __asm__ volatile("" ::: "memory"); }
