/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Test runner: run psc_model_invoke on every image of an input file and
 * write all outputs to an output file, via semihosting file I/O.
 *   argv: <prog> <images.bin> <outputs.bin> [repeat]
 * images.bin = N * PSC_INPUT_SIZE bytes, outputs.bin = N * PSC_OUTPUT_SIZE.
 * Each inference is bracketed by psc_icount_begin/end (one plugin region
 * per image). Exit status 0 = ok, 2 = I/O error, 3 = model error. */
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include "psc_icount.h"

#ifndef PSC_INPUT_SIZE
#define PSC_INPUT_SIZE 1024
#endif
#ifndef PSC_OUTPUT_SIZE
#define PSC_OUTPUT_SIZE 10
#endif
int psc_model_invoke(const int8_t *input, int8_t *output);

static int8_t in_buf[PSC_INPUT_SIZE];
static int8_t out_buf[PSC_OUTPUT_SIZE];

int main(int argc, char **argv)
{
    if (argc < 3) { fprintf(stderr, "usage: %s images.bin outputs.bin\n", argv[0]); return 2; }
    FILE *fi = fopen(argv[1], "rb");
    FILE *fo = fopen(argv[2], "wb");
    if (!fi || !fo) { fprintf(stderr, "cannot open %s / %s\n", argv[1], argv[2]); return 2; }
    int n = 0;
    while (fread(in_buf, 1, sizeof in_buf, fi) == sizeof in_buf) {
        psc_icount_begin();
        int rc = psc_model_invoke(in_buf, out_buf);
        psc_icount_end();
        if (rc != 0) { fprintf(stderr, "image %d: model returned %d\n", n, rc); return 3; }
        if (fwrite(out_buf, 1, sizeof out_buf, fo) != sizeof out_buf) return 2;
        ++n;
    }
    fclose(fi);
    if (fclose(fo) != 0) return 2;
    printf("%d images\n", n);
    return 0;
}
