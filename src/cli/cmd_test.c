/* ceres test: run test ROM suites (manifests in suites/) or ad-hoc ROMs,
 * each isolated in a child process with its own flight recorder; report a
 * table per suite, the closing line "N passed, N failed", JUnit XML on
 * request; exit 1 when a result differs from the manifest's expectation. */
#define _XOPEN_SOURCE 700 /* realpath */
#include "cli.h"

#include "../gb/gb_events.h"
#include "../runner/html.h"
#include "../runner/runner.h"
#include "../trace/ct_host.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void usage(FILE *f) {
    fputs("usage: ceres test [options] [ROM...]\n"
          "\n"
          "Run the test ROM suites described by the manifests in the suites directory,\n"
          "or the ROMs given on the command line. Each test runs in its own process with\n"
          "its own flight recorder; a failing, timed-out or crashing test leaves\n"
          "OUT/failures/<suite>/<test>/ with trace.perfetto-trace, trace.log, screen.png,\n"
          "state.txt and replay.perfetto-trace (the last cycles before the failure, every\n"
          "event, from a deterministic second run). Nothing is written for a pass.\n"
          "\n"
          "selection:\n"
          "  --suite NAME[,NAME]   suites to run (default: every manifest)\n"
          "  --suites DIR          manifest directory (default: $CERES_SUITES, else\n"
          "                        PREFIX/share/ceres/suites next to the program)\n"
          "  --match TEXT          only tests whose ROM path contains TEXT\n"
          "  --roms DIR            ROM root (default: $CERES_TESTROMS, else\n"
          "                        PREFIX/share/ceres/testroms next to the program)\n"
          "  --list                list the selected tests and exit\n"
          "ad-hoc ROMs (ROM... given):\n"
          "  --check CHECK         mooneye (default) | blargg-serial | blargg-mem | sm83 |\n"
          "                        screenshot=FILE.png | mem=ADDR:PASS:FAIL\n"
          "  --timeout T           emulated time limit: 20s (default), 600f, 5000000c\n"
          "running:\n"
          "  -j N                  tests in parallel (default: number of cores)\n"
          "  --wall-limit S        wall-clock safety limit per test in seconds (default:\n"
          "                        generous, from the emulated limit); reported as a hang\n"
          "  --no-fork             run tests in this process (no isolation; debugging)\n"
          "  --boot-rom FILE       start from a 256-byte DMG boot ROM\n"
          "flight recorder:\n"
          "  --trace FILTER        events to record (env CERES_TRACE; default\n"
          "                        " GB_DEFAULT_FILTER ")\n"
          "  --trace-buffer SIZE   ring per test: 4M (default), 512K, 200000ev; 0 = off\n"
          "  --replay-window N     T-cycles before a failure kept by the replay\n"
          "                        (default 2000000; 0 = no replay)\n"
          "output:\n"
          "  --out DIR             failure folders under DIR/failures (default: out)\n"
          "  --junit FILE          JUnit XML report\n"
          "  --html FILE           one self-contained HTML page: per-suite table, each\n"
          "                        failure's screen, reference and difference image,\n"
          "                        state and trace links; passes as a grid\n"
          "  --update-expectations rewrite the manifests' expectations from this run\n"
          "\n"
          "Exit status: 0 when every result matches its expectation, 1 otherwise, 2 on\n"
          "bad usage or input.\n",
          f);
}

/* ---- progress ---------------------------------------------------------- */

typedef struct progress {
    bool tty, color;
    size_t failed, unexpected;
    const rn_test *const *tests;
    rn_result *res;
    size_t total;
    const char *running; /* a test currently running */
    const rn_opts *o;
} progress;

static void print_result_line(FILE *f, const progress *p, const rn_test *t, const rn_result *r,
                              size_t done) {
    bool expected = rn_result_expected(t, r);
    const char *tag = "";
    if (!expected && t->line == 0)
        tag = ""; /* ROMs from the command line have no expectation to regress from */
    else if (!expected)
        tag = r->status == RN_PASS ? " [UNEXPECTED PASS]" : " [REGRESSION]";
    else if (r->status != RN_PASS)
        tag = " [known failure]";
    const char *c0 = "", *c1 = "";
    if (p->color) {
        c0 = !expected ? "\033[1;31m" : (r->status == RN_PASS ? "\033[32m" : "\033[33m");
        c1 = "\033[0m";
    }
    fprintf(f, "[%*zu/%zu] %s%-7s%s %-8s %s (%.2fs)%s", p->total >= 100 ? 4 : 3, done, p->total, c0,
            rn_status_name(r->status), c1, t->suite, t->rom, r->wall_seconds, tag);
    if (r->status != RN_PASS) fprintf(f, " -- %s", r->message);
    if (r->artifacts) {
        char dir[4200];
        rn_failure_dir(p->o, t, dir, sizeof dir);
        fprintf(f, " [%s]", dir);
    }
    if (r->replay == 0) fprintf(f, " (the replay did NOT reproduce this run: see state.txt)");
    fputc('\n', f);
}

static void on_progress(void *ctx, size_t idx, const rn_test *t, const rn_result *r, size_t done,
                        size_t total) {
    progress *p = ctx;
    (void)idx;
    (void)total;
    if (!r) {
        p->running = t->rom;
    } else {
        if (r->status != RN_PASS) p->failed++;
        bool expected = rn_result_expected(t, r);
        if (!expected) p->unexpected++;
        /* On a terminal only what needs a look gets a line; else every test. */
        if (!p->tty || !expected) {
            if (p->tty) fputs("\r\033[K", stdout);
            print_result_line(stdout, p, t, r, done);
        }
    }
    if (p->tty) {
        const char *red = p->color && p->unexpected ? "\033[1;31m" : "";
        const char *off = p->color && p->unexpected ? "\033[0m" : "";
        char cur[60];
        const char *run = p->running ? p->running : "";
        size_t rl = strlen(run);
        snprintf(cur, sizeof cur, "%s%s", rl > 50 ? "..." : "", rl > 50 ? run + rl - 47 : run);
        fprintf(stdout, "\r\033[K[%zu/%zu] %zu failed, %s%zu unexpected%s | %s", done, p->total,
                p->failed, red, p->unexpected, off, done == p->total ? "done" : cur);
    }
    fflush(stdout);
}

/* ---- suites ------------------------------------------------------------- */

/* Reasons written into manifests name ROMs relative to the ROM root, so
 * they do not depend on where the ROMs are. */
static void strip_root(char *s, const char *root) {
    size_t rl = strlen(root);
    if (!rl) return;
    char *p;
    while ((p = strstr(s, root)) != NULL) {
        size_t skip = rl + (p[rl] == '/');
        memmove(p, p + skip, strlen(p + skip) + 1);
    }
}

static char *abs_path(const char *p) {
    char buf[PATH_MAX];
    if (realpath(p, buf)) return strdup(buf);
    return strdup(p); /* reported as an error when the test runs */
}

int cmd_test(int argc, char **argv) {
    rn_opts o;
    rn_opts_default(&o);
    const char *suites_arg = NULL, *suites_dir = rn_default_suites_dir(), *match = NULL;
    const char *html = NULL;
    const char *junit = NULL, *check_arg = "mooneye", *timeout_arg = "20s";
    const char *boot_path = NULL, *trace_buf = "4M";
    bool list = false, update = false;
    o.trace_filter = getenv("CERES_TRACE");
    if (o.trace_filter && !*o.trace_filter) o.trace_filter = NULL;
    char **roms = calloc((size_t)argc, sizeof *roms);
    size_t nroms = 0;
    int rc = 2;
    char err[512];

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
#define NEED_ARG()                                                                                 \
    do {                                                                                           \
        if (!v) {                                                                                  \
            fprintf(stderr, "ceres test: %s needs a value\n", a);                                  \
            goto out;                                                                              \
        }                                                                                          \
        i++;                                                                                       \
    } while (0)
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            rc = 0;
            goto out;
        } else if (!strcmp(a, "--suite")) {
            NEED_ARG();
            suites_arg = v;
        } else if (!strcmp(a, "--suites")) {
            NEED_ARG();
            suites_dir = v;
        } else if (!strcmp(a, "--match")) {
            NEED_ARG();
            match = v;
        } else if (!strcmp(a, "--roms")) {
            NEED_ARG();
            o.rom_root = v;
        } else if (!strcmp(a, "--list")) {
            list = true;
        } else if (!strcmp(a, "--check")) {
            NEED_ARG();
            check_arg = v;
        } else if (!strcmp(a, "--timeout")) {
            NEED_ARG();
            timeout_arg = v;
        } else if (!strcmp(a, "-j") || !strncmp(a, "-j", 2)) {
            const char *num = a[2] ? a + 2 : v;
            if (!a[2]) NEED_ARG();
            char *e;
            long j = num ? strtol(num, &e, 10) : 0;
            if (!num || *e || j < 1 || j > 64) {
                fprintf(stderr, "ceres test: -j wants a number from 1 to 64\n");
                goto out;
            }
            o.jobs = (int)j;
        } else if (!strcmp(a, "--wall-limit")) {
            NEED_ARG();
            char *e;
            o.wall_limit = strtod(v, &e);
            if (*e || o.wall_limit <= 0) {
                fprintf(stderr, "ceres test: --wall-limit wants seconds > 0\n");
                goto out;
            }
        } else if (!strcmp(a, "--no-fork")) {
            o.fork = false;
        } else if (!strcmp(a, "--boot-rom")) {
            NEED_ARG();
            boot_path = v;
        } else if (!strcmp(a, "--trace")) {
            NEED_ARG();
            o.trace_filter = v;
        } else if (!strcmp(a, "--trace-buffer")) {
            NEED_ARG();
            trace_buf = v;
        } else if (!strcmp(a, "--replay-window")) {
            NEED_ARG();
            char *e;
            errno = 0;
            unsigned long long w = strtoull(v, &e, 0);
            if (errno || *e || v[0] == '-') {
                fprintf(stderr, "ceres test: --replay-window wants a number of T-cycles\n");
                goto out;
            }
            o.replay_window = w;
        } else if (!strcmp(a, "--out")) {
            NEED_ARG();
            o.out_dir = v;
        } else if (!strcmp(a, "--html")) {
            NEED_ARG();
            html = v;
        } else if (!strcmp(a, "--junit")) {
            NEED_ARG();
            junit = v;
        } else if (!strcmp(a, "--update-expectations")) {
            update = true;
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "ceres test: unknown option '%s' (see ceres test --help)\n", a);
            goto out;
        } else {
            roms[nroms++] = (char *)a;
        }
#undef NEED_ARG
    }

    /* Options that apply to every test. */
    if (ct_parse_size(trace_buf, &o.trace_bytes, &o.trace_events, err, sizeof err)) {
        fprintf(stderr, "ceres test: --trace-buffer: %s\n", err);
        goto out;
    }
    if (o.trace_bytes || o.trace_events) {
        uint8_t flags[CT_MAX_EVENTS];
        if (ct_filter_parse(&gb_schema, o.trace_filter ? o.trace_filter : GB_DEFAULT_FILTER, flags,
                            err, sizeof err)) {
            fprintf(stderr, "ceres test: bad trace filter:\n%s\n", err);
            goto out;
        }
    }
    uint8_t *boot = NULL;
    size_t boot_size = 0;
    if (boot_path) {
        int e = rn_read_file(boot_path, &boot, &boot_size);
        if (e || boot_size != 256) {
            fprintf(stderr, "ceres test: boot ROM %s: %s\n", boot_path,
                    e ? strerror(-e) : "must be exactly 256 bytes");
            free(boot);
            goto out;
        }
        o.boot_rom = boot;
        o.boot_rom_size = boot_size;
    }

    rn_manifest *mans = NULL;
    size_t nmans = 0;
    rn_test *adhoc = NULL;
    const rn_test **tests = NULL;
    rn_result *res = NULL;
    size_t ntests = 0;

    if (nroms) {
        if (suites_arg || update) {
            fprintf(stderr, "ceres test: --suite and --update-expectations are for suites, "
                            "not ROMs given on the command line\n");
            goto out2;
        }
        rn_check chk;
        if (rn_check_parse(check_arg, &chk, err, sizeof err)) {
            fprintf(stderr, "ceres test: --check: %s\n", err);
            goto out2;
        }
        uint64_t limit;
        if (rn_limit_parse(timeout_arg, &limit, err, sizeof err)) {
            fprintf(stderr, "ceres test: --timeout: %s\n", err);
            rn_check_free(&chk);
            goto out2;
        }
        adhoc = calloc(nroms, sizeof *adhoc);
        tests = calloc(nroms, sizeof *tests);
        if (!adhoc || !tests) {
            rn_check_free(&chk);
            goto out2;
        }
        for (size_t i = 0; i < nroms; i++) {
            rn_test *t = &adhoc[i];
            t->suite = strdup("adhoc");
            t->rom = abs_path(roms[i]);
            t->check = chk;
            t->check.ref = chk.ref ? abs_path(chk.ref) : NULL;
            t->limit_cycles = limit;
            t->limit_text = strdup(timeout_arg);
            t->model = GB_MODEL_DMG;
            t->expect = RN_EXPECT_PASS;
            tests[ntests++] = t;
        }
        rn_check_free(&chk);
    } else {
        if (rn_suites_load(suites_dir, suites_arg, &mans, &nmans, err, sizeof err)) {
            fprintf(stderr, "ceres test: %s\n", err);
            goto out2;
        }
        size_t total = 0;
        for (size_t i = 0; i < nmans; i++)
            total += mans[i].ntests;
        tests = calloc(total ? total : 1, sizeof *tests);
        for (size_t i = 0; i < nmans; i++)
            for (size_t k = 0; k < mans[i].ntests; k++)
                if (!match || strstr(mans[i].tests[k].rom, match))
                    tests[ntests++] = &mans[i].tests[k];
    }

    if (list) {
        for (size_t i = 0; i < ntests; i++) {
            char chk[600];
            printf("%-8s %-50s %-14s %-6s %s%s%s\n", tests[i]->suite, tests[i]->rom,
                   rn_check_format(&tests[i]->check, chk, sizeof chk), tests[i]->limit_text,
                   tests[i]->expect == RN_EXPECT_PASS ? "pass" : "fail \"",
                   tests[i]->expect == RN_EXPECT_PASS ? "" : tests[i]->reason,
                   tests[i]->expect == RN_EXPECT_PASS ? "" : "\"");
        }
        printf("%zu tests\n", ntests);
        rc = 0;
        goto out2;
    }

    if (!nroms && access(o.rom_root, R_OK | X_OK)) {
        fprintf(stderr,
                "ceres test: ROM root %s is not readable (%s): set --roms DIR or "
                "CERES_TESTROMS\n",
                o.rom_root, strerror(errno));
        goto out2;
    }

    res = calloc(ntests ? ntests : 1, sizeof *res);
    progress p = {
        .tty = isatty(STDOUT_FILENO), .tests = tests, .res = res, .total = ntests, .o = &o};
    const char *nc = getenv("NO_COLOR");
    p.color = p.tty && !(nc && *nc);
    double t0 = rn_now();
    int e = rn_run_all(tests, ntests, &o, res, on_progress, &p);
    if (p.tty) fputs("\r\033[K", stdout);
    if (e) fprintf(stderr, "ceres test: %s\n", strerror(-e));
    printf("\n");
    rn_report_table(stdout, tests, res, ntests);
    size_t nart = 0;
    for (size_t i = 0; i < ntests; i++)
        nart += res[i].artifacts;
    if (nart)
        printf("failure folders: %zu under %s/failures (%.1f s wall)\n", nart, o.out_dir,
               rn_now() - t0);
    else
        printf("(%.1f s wall)\n", rn_now() - t0);

    if (junit) {
        int je = rn_report_junit(junit, tests, res, ntests);
        if (je) fprintf(stderr, "ceres test: --junit %s: %s\n", junit, strerror(-je));
    }

    if (html) {
        int he = rn_report_html(html, tests, res, ntests, &o);
        if (he) fprintf(stderr, "ceres test: --html %s: %s\n", html, strerror(-he));
    }

    size_t unexpected = 0;
    for (size_t i = 0; i < ntests; i++)
        unexpected += !rn_result_expected(tests[i], &res[i]);

    if (update) {
        for (size_t m = 0; m < nmans; m++) {
            rn_manifest *mf = &mans[m];
            rn_expect *ex = calloc(mf->ntests ? mf->ntests : 1, sizeof *ex);
            const char **reasons = calloc(mf->ntests ? mf->ntests : 1, sizeof *reasons);
            char **owned = calloc(mf->ntests ? mf->ntests : 1, sizeof *owned);
            size_t changed = 0;
            for (size_t k = 0; k < mf->ntests; k++) {
                const rn_test *t = &mf->tests[k];
                ex[k] = t->expect;
                reasons[k] = t->reason;
                for (size_t i = 0; i < ntests; i++) {
                    if (tests[i] != t) continue;
                    if (res[i].status == RN_PASS) {
                        ex[k] = RN_EXPECT_PASS;
                        reasons[k] = NULL;
                    } else if (t->expect != RN_EXPECT_FAIL) {
                        ex[k] = RN_EXPECT_FAIL;
                        size_t l = strlen(res[i].message) + 16;
                        owned[k] = malloc(l);
                        snprintf(owned[k], l, "%s: %s", rn_status_name(res[i].status),
                                 res[i].message);
                        strip_root(owned[k], o.rom_root);
                        reasons[k] = owned[k];
                    }
                    changed += ex[k] != t->expect;
                }
            }
            if (changed) {
                if (rn_manifest_save(mf, mf->path, ex, reasons, err, sizeof err))
                    fprintf(stderr, "ceres test: %s\n", err);
                else
                    printf("updated %s: %zu expectations changed\n", mf->path, changed);
            }
            for (size_t k = 0; k < mf->ntests; k++)
                free(owned[k]);
            free(owned);
            free(reasons);
            free(ex);
        }
        unexpected = 0;
    } else if (unexpected) {
        printf("%zu results differ from the manifests' expectations\n", unexpected);
    }
    rn_report_summary(stdout, res, ntests);
    rc = unexpected ? 1 : 0;

out2:
    free(res);
    free(tests);
    for (size_t i = 0; adhoc && i < nroms; i++)
        rn_test_free(&adhoc[i]);
    free(adhoc);
    rn_suites_free(mans, nmans);
    free(boot);
out:
    free(roms);
    return rc;
}
