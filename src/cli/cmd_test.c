/* ceres test: run test ROM suites (manifests in suites/) or ad-hoc ROMs,
 * each isolated in a child process with its own flight recorder; report a
 * table per suite, the closing line "N passed, N failed", JUnit XML, HTML
 * and JSON on request; exit 1 when a result differs from the manifest's
 * expectation.
 *
 * Read top-down: cmd_test parses the options into a test_cli, checks what
 * applies to every test, selects the tests (suites or ROMs, --match,
 * --exclude, --shard), then lists or runs them and writes the reports. */
#define _XOPEN_SOURCE 700 /* realpath */
#include "cli.h"

#include "../gb/gb_events.h"
#include "../runner/html.h"
#include "../runner/rn_events.h"
#include "../runner/runner.h"
#include "../trace/ct_host.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *const prog = "ceres test";

static void usage(FILE *f) {
    fputs("usage: ceres test [options] [ROM...]\n"
          "       ceres test --merge-junit OUT.xml FILE.xml...\n"
          "\n"
          "Run the test ROM suites described by the manifests in the suites directory,\n"
          "or the ROMs given on the command line, in worker processes (-j): each test\n"
          "with a fresh machine and flight recorder, a crash or hang taking down only\n"
          "its own test; a failing, timed-out or crashing test leaves\n"
          "OUT/failures/<suite>/<test>/ with trace.perfetto-trace, trace.log, screen.png,\n"
          "state.txt and replay.perfetto-trace (the last cycles before the failure, every\n"
          "event, from a deterministic second run). Nothing is written for a pass.\n"
          "\n"
          "selection:\n"
          "  --suite NAME[,NAME]   suites to run (default: every manifest)\n"
          "  --suites DIR          manifest directory (default: $CERES_SUITES, else\n"
          "                        PREFIX/share/ceres/suites next to the program)\n"
          "  --match TEXT          only tests whose ROM path contains TEXT\n"
          "  --exclude TEXT        leave out tests whose ROM path contains TEXT (repeatable)\n"
          "  --shard K/N           only the K-th of N parts (1 <= K <= N), split by a hash\n"
          "                        of each test's suite and ROM: the N shards together run\n"
          "                        every selected test exactly once\n"
          "  --roms DIR            ROM root (default: $CERES_TESTROMS, else\n"
          "                        PREFIX/share/ceres/testroms next to the program)\n"
          "  -l, --list            list the selected tests and exit\n"
          "ad-hoc ROMs (ROM... given):\n"
          "  --check CHECK         mooneye (default) | blargg-serial | blargg-mem | sm83 |\n"
          "                        screenshot=FILE.png | mem=ADDR:PASS:FAIL |\n"
          "                        hex=GLYPHS.txt:DIGITS | audio0 | audio1 | frame=FILE.png\n"
          "  --timeout T           emulated time limit: 20s (default), 600f, 5000000c\n"
          "running:\n"
          "  -j, --jobs N          tests in parallel (default: number of cores)\n"
          "  --fail-fast           start no more tests after the first unexpected result\n"
          "                        (the rest are reported as errors, \"not run\")\n"
          "  --wall-limit S        wall-clock safety limit per test in seconds (default:\n"
          "                        generous, from the emulated limit); reported as a hang\n"
          "  --no-fork             run tests in this process (no isolation; debugging)\n"
          "  --boot-rom FILE       start from a 256-byte DMG boot ROM\n"
          "flight recorder:\n"
          "  --trace FILTER        events to record (env CERES_TRACE; default\n"
          "                        " GB_DEFAULT_FILTER ")\n"
          "  --trace-buffer SIZE   ring memory per test, used all but a few bytes, never\n"
          "                        more: 4M (default), 512K, 200000ev; 0 = off. A size\n"
          "                        is split into rings by class, merged at dump (an\n"
          "                        eighth for the rare events: interrupts, IO writes,\n"
          "                        DMA, banks, serial, state snapshots; an eighth for\n"
          "                        PPU modes, LY, IO reads, DMA bytes; the rest for\n"
          "                        instructions); all=4M: one ring; or your own rings,\n"
          "                        e.g. debug=512K,rest=3584K (as for ceres run)\n"
          "  --replay-window N     T-cycles before a failure kept by the replay\n"
          "                        (default 2000000; 0 = no replay)\n"
          "output:\n"
          "  --out DIR             failure folders under DIR/failures (default: out)\n"
          "  --junit FILE          JUnit XML report\n"
          "  --html FILE           one self-contained HTML page: per-suite table, each\n"
          "                        failure's screen, reference and difference image,\n"
          "                        state and trace links; passes as a grid\n"
          "  --json FILE           every result as JSON (- for stdout)\n"
          "  --update-expectations rewrite the manifests' expectations from this run\n"
          "  --merge-junit OUT     merge the JUnit files given as operands into OUT (no\n"
          "                        tests are run)\n"
          "\n"
          "Sharding in CI: run `ceres test --shard K/N --junit junit-K.xml` in N jobs\n"
          "(e.g. a GitHub Actions matrix over K = 1..N), collect the files, then\n"
          "`ceres test --merge-junit junit.xml junit-*.xml`.\n"
          "\n"
          "Output files are checked before any test runs. Exit status: 0 when every\n"
          "result matches its expectation, 1 otherwise, 2 on bad usage or input (or\n"
          "--out in use by another run), 3 when a failure artifact or report could not\n"
          "be written (each is named on stderr and in the reports), 130/143 when SIGINT/\n"
          "SIGTERM stopped the run (the tests not started are \"not run\"; the table,\n"
          "the failure folders and the reports are still written).\n",
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

/* ---- options ------------------------------------------------------------ */

#define MAX_EXCLUDES 32

/* Everything the command line says; runner options go straight to rn_opts. */
typedef struct test_cli {
    const char *suites_arg, *suites_dir, *match, *html, *junit, *json, *merge_out;
    const char *check_arg, *timeout_arg, *boot_path, *trace_buf;
    const char *exclude[MAX_EXCLUDES];
    unsigned nexclude, shard_k, shard_n; /* shard_n 0: no sharding */
    bool list, update;
    char **operands; /* ROMs, or the files to merge */
    size_t noperands;
    uint8_t *boot;
} test_cli;

enum {
    O_SUITE = 256,
    O_SUITES,
    O_MATCH,
    O_EXCLUDE,
    O_SHARD,
    O_ROMS,
    O_CHECK,
    O_TIMEOUT,
    O_WALL,
    O_NOFORK,
    O_BOOT,
    O_TRACE,
    O_BUFFER,
    O_REPLAY,
    O_OUT,
    O_HTML,
    O_JUNIT,
    O_JSON,
    O_UPDATE,
    O_MERGE,
    O_FAILFAST,
};

static const struct option longs[] = {
    {"help", no_argument, NULL, 'h'},
    {"list", no_argument, NULL, 'l'},
    {"jobs", required_argument, NULL, 'j'},
    {"suite", required_argument, NULL, O_SUITE},
    {"suites", required_argument, NULL, O_SUITES},
    {"match", required_argument, NULL, O_MATCH},
    {"exclude", required_argument, NULL, O_EXCLUDE},
    {"shard", required_argument, NULL, O_SHARD},
    {"roms", required_argument, NULL, O_ROMS},
    {"check", required_argument, NULL, O_CHECK},
    {"timeout", required_argument, NULL, O_TIMEOUT},
    {"wall-limit", required_argument, NULL, O_WALL},
    {"no-fork", no_argument, NULL, O_NOFORK},
    {"fail-fast", no_argument, NULL, O_FAILFAST},
    {"boot-rom", required_argument, NULL, O_BOOT},
    {"trace", required_argument, NULL, O_TRACE},
    {"trace-buffer", required_argument, NULL, O_BUFFER},
    {"replay-window", required_argument, NULL, O_REPLAY},
    {"out", required_argument, NULL, O_OUT},
    {"html", required_argument, NULL, O_HTML},
    {"junit", required_argument, NULL, O_JUNIT},
    {"json", required_argument, NULL, O_JSON},
    {"update-expectations", no_argument, NULL, O_UPDATE},
    {"merge-junit", required_argument, NULL, O_MERGE},
    {NULL, 0, NULL, 0},
};

/* K/N with 1 <= K <= N <= 10000. */
static int parse_shard(const char *v, unsigned *k, unsigned *n) {
    char *e;
    errno = 0;
    unsigned long a = strtoul(v, &e, 10);
    if (errno || e == v || *e != '/' || v[0] == '-') return -1;
    const char *w = e + 1;
    unsigned long b = strtoul(w, &e, 10);
    if (errno || e == w || *e || w[0] == '-' || a < 1 || a > b || b > 10000) return -1;
    *k = (unsigned)a;
    *n = (unsigned)b;
    return 0;
}

/* One option; 0, or an exit code after a message. */
static int take_option(test_cli *c, rn_opts *o, int code, const char *v) {
    uint64_t n;
    switch (code) {
    case 'l': c->list = true; return 0;
    case 'j':
        if (cli_parse_u64(v, &n) || n < 1 || n > 64) {
            fprintf(stderr, "%s: -j wants a number from 1 to 64, not '%s'\n", prog, v);
            return 2;
        }
        o->jobs = (int)n;
        return 0;
    case O_SUITE: c->suites_arg = v; return 0;
    case O_SUITES: c->suites_dir = v; return 0;
    case O_MATCH: c->match = v; return 0;
    case O_EXCLUDE:
        if (c->nexclude == MAX_EXCLUDES) {
            fprintf(stderr, "%s: at most %d --exclude\n", prog, MAX_EXCLUDES);
            return 2;
        }
        c->exclude[c->nexclude++] = v;
        return 0;
    case O_SHARD:
        if (parse_shard(v, &c->shard_k, &c->shard_n)) {
            fprintf(stderr, "%s: --shard wants K/N with 1 <= K <= N, not '%s'\n", prog, v);
            return 2;
        }
        return 0;
    case O_ROMS: o->rom_root = v; return 0;
    case O_CHECK: c->check_arg = v; return 0;
    case O_TIMEOUT: c->timeout_arg = v; return 0;
    case O_WALL:
        if (cli_parse_seconds(v, &o->wall_limit)) {
            fprintf(stderr, "%s: --wall-limit wants seconds > 0, not '%s'\n", prog, v);
            return 2;
        }
        return 0;
    case O_NOFORK: o->fork = false; return 0;
    case O_FAILFAST: o->fail_fast = true; return 0;
    case O_BOOT: c->boot_path = v; return 0;
    case O_TRACE: o->trace_filter = v; return 0;
    case O_BUFFER: c->trace_buf = v; return 0;
    case O_REPLAY:
        if (cli_parse_u64(v, &n)) {
            fprintf(stderr, "%s: --replay-window wants a number of T-cycles, not '%s'\n", prog, v);
            return 2;
        }
        o->replay_window = n;
        return 0;
    case O_OUT: o->out_dir = v; return 0;
    case O_HTML: c->html = v; return 0;
    case O_JUNIT: c->junit = v; return 0;
    case O_JSON: c->json = v; return 0;
    case O_UPDATE: c->update = true; return 0;
    case O_MERGE: c->merge_out = v; return 0;
    }
    return 2;
}

/* The command line into *c and *o; -1 to go on, else the exit code. */
static int parse_options(test_cli *c, rn_opts *o, int argc, char **argv) {
    memset(c, 0, sizeof *c);
    rn_opts_default(o);
    c->suites_dir = rn_default_suites_dir();
    c->check_arg = "mooneye";
    c->timeout_arg = "20s";
#ifdef CERES_TRACE_OFF
    c->trace_buf = "0"; /* nothing could ever be written to a ring */
#else
    c->trace_buf = "4M";
#endif
    o->trace_filter = getenv("CERES_TRACE");
    if (o->trace_filter && !*o->trace_filter) o->trace_filter = NULL;
    bool first = true;
    int code;
    while ((code = cli_getopt(prog, argc, argv, ":hlj:", longs, &first)) != -1) {
        if (code == '?') return 2;
        if (code == 'h') {
            usage(stdout);
            return 0;
        }
        int e = take_option(c, o, code, optarg);
        if (e) return e;
    }
    c->operands = argv + optind;
    c->noperands = (size_t)(argc - optind);
    return -1;
}

/* What applies to every test, checked once before any runs; 0 or 2. */
static int check_options(test_cli *c, rn_opts *o) {
    char err[512];
    if (strchr(c->trace_buf, '=')) {
        /* Rings by class, or all=SIZE: made in each test as given. */
        o->trace_buffer = c->trace_buf;
        o->trace_bytes = 1;
        o->trace_events = 0;
    } else if (ct_parse_size(c->trace_buf, &o->trace_bytes, &o->trace_events, err, sizeof err)) {
        fprintf(stderr, "%s: --trace-buffer: %s\n", prog, err);
        return 2;
    }
    if (o->trace_bytes || o->trace_events) {
        /* A ring the recorder cannot make fails here, not in every test. */
        ct_recorder *r = rn_recorder_create(&rn_schema, c->trace_buf, err, sizeof err);
        if (!r) {
            fprintf(stderr, "%s: --trace-buffer %s: %s\n", prog, c->trace_buf, err);
            return 2;
        }
        if (o->trace_buffer) o->trace_bytes = ct_recorder_bytes(r);
        ct_recorder_destroy(r);
        uint8_t flags[CT_MAX_EVENTS];
        if (ct_filter_parse(&rn_schema, o->trace_filter ? o->trace_filter : GB_DEFAULT_FILTER,
                            flags, err, sizeof err)) {
            fprintf(stderr, "%s: bad trace filter:\n%s\n", prog, err);
            return 2;
        }
    }
    if (c->boot_path) {
        if (cli_check_input(prog, "--boot-rom", c->boot_path)) return 2;
        size_t boot_size = 0;
        int e = rn_read_file(c->boot_path, &c->boot, &boot_size);
        if (e || boot_size != 256) {
            fprintf(stderr, "%s: boot ROM %s: %s\n", prog, c->boot_path,
                    e ? strerror(-e) : "must be exactly 256 bytes");
            return 2;
        }
        o->boot_rom = c->boot;
        o->boot_rom_size = boot_size;
    }
    for (size_t i = 0; i < c->noperands; i++)
        if (cli_check_input(prog, "ROM", c->operands[i])) return 2;
    if (cli_check_output(prog, "--junit", c->junit, 0) ||
        cli_check_output(prog, "--html", c->html, CLI_OUT_MAKES_DIR) ||
        cli_check_output(prog, "--json", c->json, CLI_OUT_DASH))
        return 2;
    if (c->noperands && (c->suites_arg || c->update)) {
        fprintf(stderr,
                "%s: --suite and --update-expectations are for suites, not ROMs given "
                "on the command line\n",
                prog);
        return 2;
    }
    return 0;
}

/* ---- selection ------------------------------------------------------------ */

static char *abs_path(const char *p) {
    char buf[PATH_MAX];
    if (realpath(p, buf)) return strdup(buf);
    return strdup(p); /* reported as an error when the test runs */
}

/* The tests to run, in order. */
typedef struct selection {
    rn_manifest *mans;
    size_t nmans;
    rn_test *adhoc;
    size_t nadhoc;
    const rn_test **tests;
    size_t ntests;
} selection;

static bool selected(const test_cli *c, const rn_test *t) {
    if (c->match && !strstr(t->rom, c->match)) return false;
    for (unsigned i = 0; i < c->nexclude; i++)
        if (strstr(t->rom, c->exclude[i])) return false;
    if (c->shard_n && rn_test_shard(t, c->shard_n) != c->shard_k - 1) return false;
    return true;
}

/* The ROMs of the command line, each an ad-hoc test; 0 or 2. */
static int select_adhoc(const test_cli *c, selection *s) {
    char err[512];
    rn_check chk;
    if (rn_check_parse(c->check_arg, &chk, err, sizeof err)) {
        fprintf(stderr, "%s: --check: %s\n", prog, err);
        return 2;
    }
    uint64_t limit;
    if (rn_limit_parse(c->timeout_arg, &limit, err, sizeof err)) {
        fprintf(stderr, "%s: --timeout: %s\n", prog, err);
        rn_check_free(&chk);
        return 2;
    }
    s->adhoc = calloc(c->noperands, sizeof *s->adhoc);
    s->tests = calloc(c->noperands, sizeof *s->tests);
    if (!s->adhoc || !s->tests) {
        rn_check_free(&chk);
        fprintf(stderr, "%s: out of memory\n", prog);
        return 2;
    }
    for (size_t i = 0; i < c->noperands; i++) {
        rn_test *t = &s->adhoc[s->nadhoc++];
        t->suite = strdup("adhoc");
        t->rom = abs_path(c->operands[i]);
        t->check = chk;
        t->check.ref = chk.ref ? abs_path(chk.ref) : NULL;
        t->check.digits = chk.digits ? strdup(chk.digits) : NULL;
        t->limit_cycles = limit;
        t->limit_text = strdup(c->timeout_arg);
        t->model = GB_MODEL_DMG;
        t->expect = RN_EXPECT_PASS;
        if (selected(c, t)) s->tests[s->ntests++] = t;
    }
    rn_check_free(&chk);
    return 0;
}

/* The manifests' tests; 0 or 2. */
static int select_suites(const test_cli *c, selection *s) {
    char err[512];
    if (rn_suites_load(c->suites_dir, c->suites_arg, &s->mans, &s->nmans, err, sizeof err)) {
        fprintf(stderr, "%s: %s\n", prog, err);
        return 2;
    }
    size_t total = 0;
    for (size_t i = 0; i < s->nmans; i++)
        total += s->mans[i].ntests;
    s->tests = calloc(total ? total : 1, sizeof *s->tests);
    if (!s->tests) {
        fprintf(stderr, "%s: out of memory\n", prog);
        return 2;
    }
    for (size_t i = 0; i < s->nmans; i++)
        for (size_t k = 0; k < s->mans[i].ntests; k++)
            if (selected(c, &s->mans[i].tests[k])) s->tests[s->ntests++] = &s->mans[i].tests[k];
    return 0;
}

static void selection_free(selection *s) {
    free(s->tests);
    for (size_t i = 0; i < s->nadhoc; i++)
        rn_test_free(&s->adhoc[i]);
    free(s->adhoc);
    rn_suites_free(s->mans, s->nmans);
}

static void list_tests(const selection *s) {
    for (size_t i = 0; i < s->ntests; i++) {
        const rn_test *t = s->tests[i];
        char chk[600];
        bool pass = t->expect == RN_EXPECT_PASS;
        printf("%-8s %-50s %-14s %-6s %s%s%s\n", t->suite, t->rom,
               rn_check_format(&t->check, chk, sizeof chk), t->limit_text,
               pass ? "pass" : "fail \"", pass ? "" : t->reason, pass ? "" : "\"");
    }
    printf("%zu tests\n", s->ntests);
}

/* ---- running and reporting ------------------------------------------------ */

/* SIGINT/SIGTERM outside the runner's own handling (while the reports are
 * written): noted, the reports finish, and the exit status says it. */
static volatile sig_atomic_t report_signal;

static void on_report_signal(int sig) {
    report_signal = sig;
}

static void catch_interrupts(struct sigaction *old_int, struct sigaction *old_term) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_report_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, old_int);
    sigaction(SIGTERM, &sa, old_term);
}

/* Runs the selection; prints the table and the summary; writes the
 * reports. Returns the exit code: 128 + the signal when SIGINT or SIGTERM
 * interrupted the run (after the reports are written, as for a finished
 * run), else 2 (--out in use), 3 (an artifact not written), 1 (a result
 * differs from the manifests), 0. */
static int run_and_report(const test_cli *c, const rn_opts *o, selection *s) {
    if (!c->noperands && access(o->rom_root, R_OK | X_OK)) {
        fprintf(stderr, "%s: ROM root %s is not readable (%s): set --roms DIR or CERES_TESTROMS\n",
                prog, o->rom_root, strerror(errno));
        return 2;
    }
    size_t n = s->ntests;
    rn_result *res = calloc(n ? n : 1, sizeof *res);
    if (!res) {
        fprintf(stderr, "%s: out of memory\n", prog);
        return 2;
    }
    progress p = {.tty = isatty(STDOUT_FILENO), .tests = s->tests, .res = res, .total = n, .o = o};
    const char *nc = getenv("NO_COLOR");
    p.color = p.tty && !(nc && *nc);
    double t0 = rn_now();
    /* The runner handles SIGINT/SIGTERM while it forks tests (and puts this
     * handler back); without fork a signal stops the test in this process,
     * so the handler comes only after. */
    struct sigaction old_int, old_term;
    report_signal = 0;
    if (o->fork) catch_interrupts(&old_int, &old_term);
    int e = rn_run_all(s->tests, n, o, res, on_progress, &p);
    if (!o->fork) catch_interrupts(&old_int, &old_term);
    if (p.tty) fputs("\r\033[K", stdout);
    if (e == -EBUSY)
        fprintf(stderr, "%s: --out %s is in use by another `ceres test` run\n", prog, o->out_dir);
    else if (e)
        fprintf(stderr, "%s: %s\n", prog, strerror(-e));
    bool busy = e == -EBUSY;
    size_t lost = 0;
    for (size_t i = 0; i < n; i++) {
        if (!res[i].lost) continue;
        lost += res[i].lost;
        fprintf(stderr, "%s: %s: not written: %s\n", prog, s->tests[i]->rom, res[i].lost_what);
    }
    printf("\n");
    rn_report_table(stdout, s->tests, res, n);
    size_t nart = 0;
    for (size_t i = 0; i < n; i++)
        nart += res[i].artifacts;
    if (nart)
        printf("failure folders: %zu under %s/failures (%.1f s wall)\n", nart, o->out_dir,
               rn_now() - t0);
    else
        printf("(%.1f s wall)\n", rn_now() - t0);

    if (c->junit && (e = rn_report_junit(c->junit, s->tests, res, n)) && ++lost)
        fprintf(stderr, "%s: --junit %s: %s\n", prog, c->junit, ct_file_strerror(e));
    if (c->html && (e = rn_report_html(c->html, s->tests, res, n, o)) && ++lost)
        fprintf(stderr, "%s: --html %s: %s\n", prog, c->html, ct_file_strerror(e));
    if (c->json && (e = rn_report_json(c->json, s->tests, res, n, o)) && ++lost)
        fprintf(stderr, "%s: --json %s: %s\n", prog, c->json, ct_file_strerror(e));

    size_t unexpected = 0;
    for (size_t i = 0; i < n; i++)
        unexpected += !rn_result_expected(s->tests[i], &res[i]);
    if (c->update) {
        rn_update_expectations(s->mans, s->nmans, s->tests, res, n, o->rom_root, stdout, stderr);
        unexpected = 0;
    } else if (unexpected) {
        printf("%zu results differ from the manifests' expectations\n", unexpected);
    }
    rn_report_summary(stdout, res, n);
    free(res);
    int sig = o->fork ? rn_interrupted() : 0;
    if (!sig) sig = report_signal;
    if (sig) printf("interrupted (%s)\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
    fflush(stdout);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    return sig ? 128 + sig : busy ? 2 : lost ? 3 : unexpected ? 1 : 0;
}

/* --merge-junit OUT FILE...; 0 or 2. */
static int merge_junit(const test_cli *c) {
    char err[600];
    if (!c->noperands) {
        fprintf(stderr, "%s: --merge-junit OUT wants the JUnit files to merge\n", prog);
        return 2;
    }
    if (cli_check_output(prog, "--merge-junit", c->merge_out, 0)) return 2;
    for (size_t i = 0; i < c->noperands; i++)
        if (cli_check_input(prog, "JUnit file", c->operands[i])) return 2;
    if (rn_junit_merge(c->merge_out, (const char *const *)c->operands, c->noperands, err,
                       sizeof err)) {
        fprintf(stderr, "%s: --merge-junit: %s\n", prog, err);
        return 2;
    }
    return 0;
}

int cmd_test(int argc, char **argv) {
    test_cli c;
    rn_opts o;
    rn_report_set_run(time(NULL), argc, argv);
    int rc = parse_options(&c, &o, argc, argv);
    if (rc >= 0) return rc;
    if (c.merge_out) return merge_junit(&c);

    selection s = {0};
    rc = check_options(&c, &o);
    if (!rc) rc = c.noperands ? select_adhoc(&c, &s) : select_suites(&c, &s);
    if (!rc && c.list) {
        list_tests(&s);
        rc = 0;
    } else if (!rc) {
        rc = run_and_report(&c, &o, &s);
    }
    selection_free(&s);
    free(c.boot);
    return rc;
}
