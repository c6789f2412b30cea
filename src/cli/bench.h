/* `ceres bench`: the benchmarks behind the performance budgets of DESIGN.md
 * section 5. Each bench measures what it owns in one run, prints a table with
 * a verdict per budget, and adds its figures to one flat result set, written
 * as a single JSON object ({"recorder.ns_per_event": 1.2, ...}) by --json.
 *
 * A bench returns 0 when every budget it checks is met, 1 when one is
 * missed, 2 on a usage or setup error. */
#ifndef CERES_BENCH_H
#define CERES_BENCH_H

#include <stdbool.h>
#include <stdio.h>

#define BENCH_MAX_RESULTS 128

typedef struct bench_results {
    unsigned n;
    struct {
        char key[64];
        double value;
    } r[BENCH_MAX_RESULTS];
} bench_results;

/* Set key (dotted, e.g. "dump.perfetto.seconds_per_1m") to value; a key set
 * twice keeps the last value. */
void bench_put(bench_results *out, const char *key, double value);
/* The value of key, or NULL. */
const double *bench_get(const bench_results *res, const char *key);
/* Write the results as one flat JSON object; "-" means stdout. 0 or -errno. */
int bench_write_json(const bench_results *res, const char *path);

/* Monotonic wall time in seconds. */
double bench_now(void);

/* One line of a bench's table. budget: text such as "<= 2 ns" or NULL;
 * ok: 1 met, 0 missed, -1 no budget. Returns ok == 0 (1 when missed), so a
 * bench can add up its misses. */
int bench_row(const char *what, double value, const char *unit, const char *budget, int ok);
void bench_header(const char *title);

int bench_recorder(int argc, char **argv, bench_results *out); /* bench_recorder.c */
int bench_emu(int argc, char **argv, bench_results *out);      /* bench_emu.c */
int bench_suite(int argc, char **argv, bench_results *out);    /* bench_suite.c */
int bench_ckpt(int argc, char **argv, bench_results *out);     /* bench_ckpt.c */

#endif
