/* `ceres bench [recorder|emu|suite|ckpt] [--json FILE]`: dispatch to the benches
 * and the small results writer they share. */
#include "bench.h"
#include "cli.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The emulator and suite benches live in their own files; a build without
 * them still has the recorder bench. */
#if defined(__GNUC__) || defined(__clang__)
#pragma weak bench_emu
#pragma weak bench_suite
#define BENCH_PRESENT(f) ((f) != NULL)
#else
#define BENCH_PRESENT(f) 1
#endif

void bench_put(bench_results *out, const char *key, double value) {
    for (unsigned i = 0; i < out->n; i++)
        if (!strcmp(out->r[i].key, key)) {
            out->r[i].value = value;
            return;
        }
    if (out->n == BENCH_MAX_RESULTS) return;
    snprintf(out->r[out->n].key, sizeof out->r[out->n].key, "%s", key);
    out->r[out->n++].value = value;
}

const double *bench_get(const bench_results *res, const char *key) {
    for (unsigned i = 0; i < res->n; i++)
        if (!strcmp(res->r[i].key, key)) return &res->r[i].value;
    return NULL;
}

int bench_write_json(const bench_results *res, const char *path) {
    FILE *f = strcmp(path, "-") ? fopen(path, "w") : stdout;
    if (!f) return -errno;
    fputs("{", f);
    for (unsigned i = 0; i < res->n; i++) {
        double v = res->r[i].value;
        fprintf(f, "%s\n  \"%s\": ", i ? "," : "", res->r[i].key);
        if (isfinite(v))
            fprintf(f, "%.9g", v);
        else
            fputs("null", f);
    }
    fputs("\n}\n", f);
    int rc = ferror(f) ? -EIO : 0;
    if (f != stdout && fclose(f) != 0 && !rc) rc = -errno;
    return rc;
}

double bench_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void bench_header(const char *title) {
    printf("\n%s\n  %-44s %14s  %-16s %s\n", title, "what", "value", "budget", "verdict");
}

int bench_row(const char *what, double value, const char *unit, const char *budget, int ok) {
    char v[32];
    snprintf(v, sizeof v, "%.3f %s", value, unit);
    printf("  %-44s %14s  %-16s %s\n", what, v, budget ? budget : "",
           ok < 0 ? ""
           : ok   ? "ok"
                  : "MISSED");
    fflush(stdout);
    return ok == 0;
}

static void usage(FILE *f) {
    fputs("usage: ceres bench [recorder|emu|suite|ckpt] [--json FILE] [bench options]\n"
          "\n"
          "Measure the performance budgets (DESIGN.md section 5) and print a table\n"
          "with a verdict per budget. Without a bench name, run them all.\n"
          "\n"
          "  recorder   record path against a plain store, dump time and size\n"
          "  emu        emulator speed with tracing off/on (ceres-notrace twin)\n"
          "  suite      the whole ROM suite with the recorder on and off\n"
          "  ckpt       a checkpoint per frame: reverse delta vs zlib, time and size\n"
          "\n"
          "options:\n"
          "  --json FILE  also write all figures as one flat JSON object\n"
          "  --help       this text (`ceres bench NAME --help` for a bench's options)\n"
          "\n"
          "Exit status: 0 all budgets met, 1 a budget missed, 2 usage error.\n",
          f);
}

typedef int (*bench_fn)(int, char **, bench_results *);

int cmd_bench(int argc, char **argv) {
    const char *json = NULL;
    const char *which = NULL;
    char **rest = calloc((size_t)argc + 1, sizeof *rest);
    int nrest = 0;
    if (!rest) return 2;
    rest[nrest++] = argv[0];
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--json")) {
            if (i + 1 >= argc) {
                fprintf(stderr, "ceres bench: --json needs a file name\n");
                free(rest);
                return 2;
            }
            json = argv[++i];
        } else if (!strncmp(a, "--json=", 7)) {
            json = a + 7;
        } else if (!which && (!strcmp(a, "recorder") || !strcmp(a, "emu") || !strcmp(a, "suite") ||
                              !strcmp(a, "ckpt"))) {
            which = a;
        } else if (!which && (!strcmp(a, "--help") || !strcmp(a, "-h"))) {
            usage(stdout);
            free(rest);
            return 0;
        } else if (!which && a[0] != '-') {
            fprintf(stderr, "ceres bench: unknown bench '%s'\n", a);
            usage(stderr);
            free(rest);
            return 2;
        } else {
            rest[nrest++] = argv[i]; /* the bench's own options */
        }
    }
    const struct {
        const char *name;
        bench_fn fn;
        bool present;
    } benches[] = {
        {"recorder", bench_recorder, true},
        {"emu", bench_emu, BENCH_PRESENT(bench_emu)},
        {"suite", bench_suite, BENCH_PRESENT(bench_suite)},
        {"ckpt", bench_ckpt, true},
    };
    bench_results *res = calloc(1, sizeof *res);
    int status = 0;
    if (!res) status = 2;
    for (size_t i = 0; res && i < sizeof benches / sizeof benches[0]; i++) {
        if (which && strcmp(which, benches[i].name)) continue;
        if (!benches[i].present) {
            fprintf(stderr, "ceres bench: the %s bench is not part of this build\n",
                    benches[i].name);
            if (which) status = 2;
            continue;
        }
        rest[0] = (char *)benches[i].name;
        int rc = benches[i].fn(nrest, rest, res);
        if (rc > status) status = rc;
        if (rc == 2 && which) break;
    }
    if (res && json && status != 2) {
        int rc = bench_write_json(res, json);
        if (rc) {
            fprintf(stderr, "ceres bench: cannot write %s: %s\n", json, strerror(-rc));
            status = 2;
        }
    }
    free(res);
    free(rest);
    return status;
}
