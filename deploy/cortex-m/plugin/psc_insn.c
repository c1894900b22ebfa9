/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * psc_insn: count guest instructions between marker functions.
 *
 * The guest calls   psc_icount_begin();  ...work...  psc_icount_end();
 * (two tiny noinline functions). Every begin/end pair produces one line
 *     region <k> insns <n>
 * and at exit a line "total insns <n>".
 *
 * Plugin arguments (comma separated after the .so path):
 *   begin=<symbol|0xaddr>  default psc_icount_begin
 *   end=<symbol|0xaddr>    default psc_icount_end
 *   out=<file>             default: stderr
 *   mode=tb|insn           tb (default): one inline add per translated block
 *                          insn: one inline add per instruction (slower,
 *                          exact even if a block is left early)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "psc_plugin_api.h"

PSC_EXPORT int qemu_plugin_version = 1;

static uint64_t g_count;           /* all mps2/mps3 machines are single-core */
static uint64_t g_start;
static unsigned g_region;
static int g_open;
static FILE *g_out;
static int g_per_insn;
static const char *g_begin_sym = "psc_icount_begin", *g_end_sym = "psc_icount_end";
static uint64_t g_begin_addr = UINT64_MAX, g_end_addr = UINT64_MAX;

static void on_begin(unsigned vcpu, void *u)
{
    (void)vcpu; (void)u;
    g_start = g_count;
    g_open = 1;
}

static void on_end(unsigned vcpu, void *u)
{
    (void)vcpu; (void)u;
    if (!g_open) return;
    g_open = 0;
    fprintf(g_out, "region %u insns %llu\n", g_region++, (unsigned long long)(g_count - g_start));
    fflush(g_out);
}

static int is_marker(struct qemu_plugin_insn *insn, uint64_t addr, const char *sym)
{
    if (addr != UINT64_MAX)
        return (qemu_plugin_insn_vaddr(insn) & ~1ull) == addr;
    const char *s = qemu_plugin_insn_symbol(insn);
    return s && strcmp(s, sym) == 0;
}

static void on_tb_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
    (void)id;
    size_t n = qemu_plugin_tb_n_insns(tb);
    if (!g_per_insn)
        qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64, &g_count, n);
    for (size_t i = 0; i < n; ++i) {
        struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
        if (g_per_insn)
            qemu_plugin_register_vcpu_insn_exec_inline(insn, QEMU_PLUGIN_INLINE_ADD_U64, &g_count, 1);
        if (is_marker(insn, g_begin_addr, g_begin_sym))
            qemu_plugin_register_vcpu_insn_exec_cb(insn, on_begin, QEMU_PLUGIN_CB_NO_REGS, NULL);
        else if (is_marker(insn, g_end_addr, g_end_sym))
            qemu_plugin_register_vcpu_insn_exec_cb(insn, on_end, QEMU_PLUGIN_CB_NO_REGS, NULL);
    }
}

static void on_exit_cb(qemu_plugin_id_t id, void *u)
{
    (void)id; (void)u;
    if (g_region == 0)
        fprintf(g_out, "warning: no begin/end marker pair executed "
                       "(stripped ELF? pass begin=0x...,end=0x...)\n");
    fprintf(g_out, "total insns %llu\n", (unsigned long long)g_count);
    fflush(g_out);
    if (g_out != stderr) fclose(g_out);
}

static int parse_marker(const char *v, const char **sym, uint64_t *addr)
{
    if (v[0] == '0' && (v[1] == 'x' || v[1] == 'X')) {
        char *e;
        *addr = strtoull(v, &e, 16) & ~1ull;   /* drop the Thumb bit */
        return *e == '\0';
    }
    *sym = v;
    return 1;
}

PSC_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc, char **argv)
{
    (void)info;
    g_out = stderr;
    for (int i = 0; i < argc; ++i) {
        const char *a = argv[i];
        if (!strncmp(a, "begin=", 6)) { if (!parse_marker(a + 6, &g_begin_sym, &g_begin_addr)) return -1; }
        else if (!strncmp(a, "end=", 4)) { if (!parse_marker(a + 4, &g_end_sym, &g_end_addr)) return -1; }
        else if (!strncmp(a, "out=", 4)) {
            g_out = fopen(a + 4, "w");
            if (!g_out) { perror(a + 4); return -1; }
        }
        else if (!strcmp(a, "mode=insn")) g_per_insn = 1;
        else if (!strcmp(a, "mode=tb")) g_per_insn = 0;
        else { fprintf(stderr, "psc_insn: unknown argument %s\n", a); return -1; }
    }
    qemu_plugin_register_vcpu_tb_trans_cb(id, on_tb_trans);
    qemu_plugin_register_atexit_cb(id, on_exit_cb, NULL);
    return 0;
}
