/* `ceres bench ckpt`: what a checkpoint costs and weighs, taken as the
 * debugger takes it (gb_ckpt_take: the parts of the state the machine
 * marked as changed since the last checkpoint, compared with it and kept
 * as a reverse delta of 32-byte blocks, src/trace/ckpt.c) and, for
 * comparison, a whole save state alone and compressed with zlib (levels 1
 * and 6). At every frame end of three workloads (the ROMs of `ceres bench
 * emu`) each method runs in a pass of its own, timed (thread CPU time);
 * the frames are timed too, so each method's cost reads as a share of a
 * frame. */
#define _POSIX_C_SOURCE 200809L
#include "bench.h"

#include "../debug/gb_ckpt.h"
#include "../gb/gb.h"
#include "../runner/runner.h"
#include "../trace/ckpt.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

#define FRAME_CYCLES 70224u

static const char *const roms[] = {
    "blargg/cpu_instrs/cpu_instrs.gb",
    "dmg-acid2/dmg-acid2.gb",
    "mooneye/acceptance/ppu/intr_2_0_timing.gb",
};
#define NROMS (sizeof roms / sizeof roms[0])

static double cpu_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

enum { M_SAVE, M_DELTA, M_Z1, M_Z6, NM };

typedef struct sums {
    double secs[NM], bytes[NM], frame_secs;
    unsigned long n;
} sums;

/* One pass of `frames` frames on a fresh machine, a checkpoint at every
 * frame end by method m (the passes are apart, so one method's memory
 * traffic does not cool the caches of another). */
static int one_pass(const char *path, unsigned frames, int m, sums *s) {
    uint8_t *rom = NULL;
    size_t size = 0;
    char err[300];
    if (rn_read_rom(path, &rom, &size, err, sizeof err)) {
        fprintf(stderr, "ceres bench ckpt: %s: %s (set CERES_TESTROMS to the test ROM folder)\n",
                path, err);
        return 2;
    }
    gb *g = gb_create(rom, size, NULL, err, sizeof err);
    free(rom);
    if (!g) {
        fprintf(stderr, "ceres bench ckpt: %s: %s\n", path, err);
        return 2;
    }
    const size_t n = gb_state_size(g);
    /* The ring as gb_ckpt keeps it: the changes the machine marked since
     * the last checkpoint (gb_state_changes) against the newest entry. */
    gb_ckpt *ck =
        m == M_DELTA ? gb_ckpt_create(g, 0, GB_CKPT_DEFAULT_BYTES, 0, err, sizeof err) : NULL;
    uint8_t *buf = calloc(1, n);
    uLongf zcap = compressBound((uLong)n);
    uint8_t *z = malloc(zcap);
    if ((m == M_DELTA && !ck) || !buf || !z) {
        fprintf(stderr, "ceres bench ckpt: %s\n", m == M_DELTA && !ck ? err : "out of memory");
        gb_ckpt_destroy(ck);
        free(buf);
        free(z);
        gb_destroy(g);
        return 2;
    }
    for (unsigned f = 0; f < frames; f++) {
        double t0 = cpu_now();
        gb_run(g, FRAME_CYCLES, GB_STOP_FRAME);
        double t1 = cpu_now();
        double kept = (double)n;
        if (m == M_DELTA) {
            gb_ckpt_take(ck, g, 0);
            const ct_ckpt *ring = gb_ckpt_ring(ck);
            unsigned c = ct_ckpt_count(ring);
            /* What the previous checkpoint became: its delta against this one. */
            if (c >= 2) kept = (double)ct_ckpt_stored(ring, c - 2);
        } else {
            gb_state_save(g, buf, n);
        }
        if (m == M_Z1 || m == M_Z6) {
            uLongf zl = zcap;
            compress2(z, &zl, buf, (uLong)n, m == M_Z6 ? 6 : 1);
            kept = (double)zl;
        }
        double t2 = cpu_now();
        if (m == M_SAVE) s->frame_secs += t1 - t0;
        s->secs[m] += t2 - t1;
        s->bytes[m] += kept;
        if (m == M_SAVE) s->n++;
    }
    gb_ckpt_destroy(ck);
    free(buf);
    free(z);
    gb_destroy(g);
    return 0;
}

int bench_ckpt(int argc, char **argv, bench_results *out) {
    unsigned frames = 600;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--frames") && i + 1 < argc) {
            frames = (unsigned)strtoul(argv[++i], NULL, 10);
        } else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs("usage: ceres bench ckpt [--frames N]\n"
                  "\n"
                  "A checkpoint every frame of three workloads (the ROMs of `ceres bench emu`,\n"
                  "N frames each, default 600): the cost and size of a checkpoint as the\n"
                  "debugger takes it (what changed since the last one, kept as a reverse\n"
                  "delta) and, for comparison, of a whole save state alone and of zlib\n"
                  "levels 1 and 6 on the whole state.\n",
                  stdout);
            return 0;
        } else {
            fprintf(stderr, "ceres bench ckpt: unknown option '%s'\n", argv[i]);
            return 2;
        }
    }
    if (!frames) frames = 1;
    const char *root = rn_default_rom_root();
    sums s;
    memset(&s, 0, sizeof s);
    for (size_t r = 0; r < NROMS; r++) {
        char path[4200];
        rn_path_join(path, sizeof path, root, roms[r]);
        for (int m = 0; m < NM; m++) {
            int rc = one_pass(path, frames, m, &s);
            if (rc) return rc;
        }
    }
    const double fus = s.frame_secs / (double)s.n * 1e6;
    char title[160];
    snprintf(title, sizeof title,
             "checkpoint per frame (%u frames x %zu workloads; a frame takes %.1f us)", frames,
             NROMS, fus);
    bench_header(title);
    static const char *const what[NM] = {"whole save state", "checkpoint (the ring)", "zlib -1",
                                         "zlib -6"};
    static const char *const key[NM] = {"save", "delta", "zlib1", "zlib6"};
    for (int m = 0; m < NM; m++) {
        double us = s.secs[m] / (double)s.n * 1e6, bytes = s.bytes[m] / (double)s.n;
        char k[64], label[96];
        snprintf(label, sizeof label, "%s: bytes kept", what[m]);
        bench_row(label, bytes, "B", NULL, -1);
        snprintf(label, sizeof label, "%s: time", what[m]);
        bench_row(label, us, "us", NULL, -1);
        snprintf(label, sizeof label, "%s: speed with it", what[m]);
        bench_row(label, fus / (fus + us), "x", NULL, -1);
        snprintf(k, sizeof k, "ckpt.%s.bytes", key[m]);
        bench_put(out, k, bytes);
        snprintf(k, sizeof k, "ckpt.%s.us", key[m]);
        bench_put(out, k, us);
    }
    bench_put(out, "ckpt.frame.us", fus);
    return 0;
}
