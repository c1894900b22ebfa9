/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Minimal Cortex-M startup for QEMU mps2-an386 / mps2-an500 / mps3-an547.
 * Written for Paretoscope; no vendor (CMSIS) code used.
 *
 *  - vector table in section .vectors (linker script puts it at 0x0)
 *  - Reset_Handler: enable FPU/MVE (CPACR), copy .data, zero .bss,
 *    run .init_array, open semihosting stdio, build argv from
 *    SYS_GET_CMDLINE, call main(), exit(status) -> SYS_EXIT_EXTENDED.
 *  - every fault/unexpected exception: message via SYS_WRITE0 + exit(128+n)
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

extern int main(int argc, char **argv);
extern void initialise_monitor_handles(void);   /* librdimon */

/* symbols provided by the linker script */
extern uint32_t __stack_top;
extern uint32_t __data_load, __data_start, __data_end;
extern uint32_t __bss_start, __bss_end;
extern void (*__preinit_array_start[])(void), (*__preinit_array_end[])(void);
extern void (*__init_array_start[])(void), (*__init_array_end[])(void);

/* ---- raw semihosting (BKPT 0xAB is the M-profile trap) ---------------- */
static inline uint32_t psc_semihost(uint32_t op, const void *arg)
{
    register uint32_t r0 __asm__("r0") = op;
    register const void *r1 __asm__("r1") = arg;
    __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}
#define SYS_WRITE0        0x04u
#define SYS_GET_CMDLINE   0x15u
#define SYS_EXIT          0x18u
#define SYS_EXIT_EXTENDED 0x20u
#define ADP_Stopped_ApplicationExit 0x20026u

/* exit with a status even before newlib is usable (QEMU >= 4.0 supports
 * SYS_EXIT_EXTENDED; the status becomes qemu's exit status) */
__attribute__((noreturn)) void psc_raw_exit(uint32_t status)
{
    uint32_t blk[2] = { ADP_Stopped_ApplicationExit, status };
    psc_semihost(SYS_EXIT_EXTENDED, blk);
    for (;;) { }
}

/* ---- faults --------------------------------------------------------------- */
static void psc_puthex(char *p, uint32_t v)
{
    for (int i = 7; i >= 0; --i) { p[i] = "0123456789abcdef"[v & 15u]; v >>= 4; }
}

__attribute__((noreturn)) void psc_fault(uint32_t *frame)
{
    uint32_t ipsr;
    __asm__ volatile("mrs %0, ipsr" : "=r"(ipsr));
    static char msg[] = "\n*** CPU exception nn pc=xxxxxxxx cfsr=xxxxxxxx ***\n";
    msg[19] = (char)('0' + (ipsr & 0x1ffu) / 10 % 10);
    msg[20] = (char)('0' + (ipsr & 0x1ffu) % 10);
    psc_puthex(&msg[25], frame ? frame[6] : 0u);
    psc_puthex(&msg[39], *(volatile uint32_t *)0xE000ED28u); /* CFSR */
    psc_semihost(SYS_WRITE0, msg);
    psc_raw_exit(128u + (ipsr & 0x7fu));
}

__attribute__((naked)) void Default_Handler(void)
{
    /* pass the stacked exception frame (MSP or PSP) to psc_fault */
    __asm__ volatile(
        "tst lr, #4      \n"
        "ite eq          \n"
        "mrseq r0, msp   \n"
        "mrsne r0, psp   \n"
        "b psc_fault     \n");
}

/* ---- reset ------------------------------------------------------------------ */
#define PSC_MAX_ARGS 32
static char psc_cmdline[1024];   /* QEMU fails SYS_GET_CMDLINE if too small */
static char *psc_argv[PSC_MAX_ARGS + 1];

static int psc_build_argv(void)
{
    struct { char *buf; uint32_t len; } blk = { psc_cmdline, sizeof psc_cmdline - 1 };
    int argc = 0;
    if (psc_semihost(SYS_GET_CMDLINE, &blk) != 0)
        return 0;
    psc_cmdline[blk.len] = '\0';
    char *p = psc_cmdline;
    while (*p && argc < PSC_MAX_ARGS) {
        while (*p == ' ') *p++ = '\0';
        if (!*p) break;
        psc_argv[argc++] = p;
        while (*p && *p != ' ') ++p;
    }
    psc_argv[argc] = 0;
    return argc;
}

/* Everything that may touch FP/MVE registers lives here, after CPACR. */
__attribute__((noreturn, noinline)) static void psc_c_runtime(void)
{
    uint32_t *src = &__data_load, *dst = &__data_start;
    while (dst < &__data_end) *dst++ = *src++;
    for (dst = &__bss_start; dst < &__bss_end; ) *dst++ = 0u;

    for (void (**f)(void) = __preinit_array_start; f < __preinit_array_end; ++f) (*f)();
    for (void (**f)(void) = __init_array_start; f < __init_array_end; ++f) (*f)();

    initialise_monitor_handles();   /* opens ":tt" stdin/stdout/stderr */
    int argc = psc_build_argv();
    exit(main(argc, psc_argv));     /* flushes stdio, then SYS_EXIT_EXTENDED */
}

__attribute__((noreturn)) void Reset_Handler(void)
{
#if defined(__ARM_FP) || defined(__ARM_FEATURE_MVE)
    /* CPACR: CP10 + CP11 full access (FPU, and MVE on Cortex-M55) */
    *(volatile uint32_t *)0xE000ED88u |= (0xFu << 20);
    __asm__ volatile("dsb\n isb" ::: "memory");
#endif
    psc_c_runtime();
}

/* ---- vector table ------------------------------------------------------------ */
typedef void (*psc_vector)(void);
#define PSC_NUM_IRQ 96   /* enough for all three machines (AN547 has 96) */

__attribute__((section(".vectors"), used))
const psc_vector psc_vector_table[16 + PSC_NUM_IRQ] = {
    [0] = (psc_vector)(uintptr_t)&__stack_top,
    [1] = Reset_Handler,
    [2 ... 16 + PSC_NUM_IRQ - 1] = Default_Handler,
};

/* newlib may reference these when -nostartfiles drops crti/crtn */
void _init(void) {}
void _fini(void) {}
