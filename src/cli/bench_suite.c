/* `ceres bench suite`: the test suites with the flight recorder off
 * (--trace-buffer 0) and on (the default 4 MiB ring per test), alternating,
 * -j 2 both, in two groups measured apart: the ROM suites (every manifest
 * but the SM83 vectors, where the recorder runs as users see it) and the
 * SM83 vector files (flat test mode: the recorder is idle there, so they
 * would dilute the ratio). Budgets: ROM suites on <= 1.10x off (CPU time),
 * and nothing written to the output folder when every test passes.
 *
 * The tests are every manifest's tests that are expected to pass (a known
 * failure writes its failure folder by design, which is not what the byte
 * count is about); the table says how many were left out.
 *
 * Keys, G = roms or sm83: suite.G.tests, suite.G.seconds.off|ring (wall,
 * best round), suite.G.cpu_seconds.off|ring (CPU time of the test
 * processes, best round), suite.G.ratio (CPU, ring / off); suite.tests,
 * suite.cpu_seconds.off|ring and suite.ratio for both groups together,
 * suite.bytes_written (over all runs). The verdict on time uses CPU time,
 * which other load on the machine disturbs far less than wall time.
 * Instruction counts, which load does not disturb at all, come from
 * scripts/suite-instructions.sh (callgrind over the same processes). */
#include "bench.h"
#include "cli.h"
#include "runner/runner.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

static void usage(FILE *f) {
    fputs("usage: ceres bench suite [--rounds N] [-j N] [--only roms|sm83] [--suite NAME,...]\n"
          "                         [--recorder off|on] [--suites DIR] [--roms DIR]\n"
          "\n"
          "The test suites (tests expected to pass) with the flight recorder off and\n"
          "on, alternating, best of N rounds each (default 3); -j 2 (default). Two\n"
          "groups, measured apart: the ROM suites (every manifest but sm83) and the\n"
          "SM83 vector files (--only picks one). --suite NAME,... takes only those\n"
          "manifests; --recorder off|on runs one side only (no ratio), for counting\n"
          "instructions.\n"
          "Budgets: ROM suites with the recorder on <= 1.10x the CPU time of the\n"
          "test processes with it off; 0 bytes written to the output folder when\n"
          "all tests pass. Instruction counts of the same runs (callgrind):\n"
          "scripts/suite-instructions.sh.\n",
          f);
}

static double children_cpu(void) {
    struct rusage ru;
    if (getrusage(RUSAGE_CHILDREN, &ru)) return 0;
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec * 1e-6 + (double)ru.ru_stime.tv_sec +
           ru.ru_stime.tv_usec * 1e-6;
}

/* Bytes in the files under dir, which is then emptied (the folder itself
 * stays). */
static uint64_t bytes_and_clear(const char *dir) {
    uint64_t n = 0;
    DIR *d = opendir(dir);
    if (!d) return 0;
    for (struct dirent *e; (e = readdir(d));) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        char path[4096];
        struct stat sb;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (lstat(path, &sb)) continue;
        if (S_ISDIR(sb.st_mode)) {
            n += bytes_and_clear(path);
            rmdir(path);
        } else {
            n += (uint64_t)sb.st_size;
            unlink(path);
        }
    }
    closedir(d);
    return n;
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Is the manifest name (n bytes) in the comma-separated list? */
static bool name_listed(const char *list, const char *name, size_t n) {
    for (const char *p = list; *p;) {
        size_t l = strcspn(p, ",");
        if (l == n && !strncmp(p, name, n)) return true;
        p += l + (p[l] == ',');
    }
    return false;
}

/* The two groups of tests measured apart. */
enum { G_ROMS, G_SM83, G_COUNT };
static const char *const group_key[G_COUNT] = {"roms", "sm83"};
static const char *const group_name[G_COUNT] = {"ROM suites", "SM83 vectors"};

typedef struct group {
    const rn_test **tests;
    size_t n;
    double wall[2], cpu[2]; /* best round, [recorder on] */
} group;

int bench_suite(int argc, char **argv, bench_results *out) {
    unsigned rounds = 3;
    int jobs = 2;
    const char *suites_dir = rn_default_suites_dir();
    const char *roms = NULL;
    bool want[G_COUNT] = {true, true};
    const char *only_suites = NULL;
    int sides = 3; /* bit 0: recorder off, bit 1: on */
    static const struct option longs[] = {
        {"help", no_argument, NULL, 'h'},
        {"rounds", required_argument, NULL, 'r'},
        {"jobs", required_argument, NULL, 'j'},
        {"suites", required_argument, NULL, 's'},
        {"roms", required_argument, NULL, 'R'},
        {"only", required_argument, NULL, 'o'},
        {"suite", required_argument, NULL, 'S'},
        {"recorder", required_argument, NULL, 'e'},
        {NULL, 0, NULL, 0},
    };
    bool first = true;
    int c;
    while ((c = cli_getopt("ceres bench suite", argc, argv, ":hj:", longs, &first)) != -1) {
        uint64_t v;
        switch (c) {
        case 'r':
        case 'j':
            if (cli_parse_u64(optarg, &v) || v == 0 || v > 64) {
                fprintf(stderr, "ceres bench suite: %s needs a number from 1 to 64\n",
                        c == 'j' ? "-j" : "--rounds");
                return 2;
            }
            if (c == 'j')
                jobs = (int)v;
            else
                rounds = (unsigned)v;
            break;
        case 'o':
            if (strcmp(optarg, "roms") && strcmp(optarg, "sm83")) {
                fprintf(stderr, "ceres bench suite: --only takes roms or sm83, not '%s'\n", optarg);
                return 2;
            }
            want[G_ROMS] = !strcmp(optarg, "roms");
            want[G_SM83] = !want[G_ROMS];
            break;
        case 'e':
            if (strcmp(optarg, "off") && strcmp(optarg, "on")) {
                fprintf(stderr, "ceres bench suite: --recorder takes off or on, not '%s'\n",
                        optarg);
                return 2;
            }
            sides = strcmp(optarg, "on") ? 1 : 2;
            break;
        case 'S': only_suites = optarg; break;
        case 's': suites_dir = optarg; break;
        case 'R': roms = optarg; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "ceres bench suite: unexpected argument '%s'\n", argv[optind]);
        return 2;
    }

    int status = 2;
    char err[1024];
    char tmp[64] = "";
    rn_manifest *mans = NULL;
    size_t nmans = 0, nknown = 0;
    group grp[G_COUNT];
    memset(grp, 0, sizeof grp);
    rn_result *res = NULL;
    char **names = NULL;
    size_t nnames = 0;

    DIR *d = opendir(suites_dir);
    if (!d) {
        fprintf(stderr, "ceres bench suite: %s: %s\n", suites_dir, strerror(errno));
        return 2;
    }
    for (struct dirent *e; (e = readdir(d));) {
        size_t l = strlen(e->d_name);
        if (l <= 6 || strcmp(e->d_name + l - 6, ".suite") || e->d_name[0] == '.') continue;
        if (only_suites && !name_listed(only_suites, e->d_name, l - 6)) continue;
        char **nn = realloc(names, (nnames + 1) * sizeof *nn);
        if (!nn) break;
        names = nn;
        if ((names[nnames] = strdup(e->d_name))) nnames++;
    }
    closedir(d);
    if (!nnames) {
        fprintf(stderr, "ceres bench suite: no suite manifests (*.suite) in %s\n", suites_dir);
        goto done;
    }
    qsort(names, nnames, sizeof *names, cmp_str);
    mans = calloc(nnames, sizeof *mans);
    if (!mans) goto done;
    for (size_t i = 0; i < nnames; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", suites_dir, names[i]);
        if (rn_manifest_load(path, &mans[nmans], err, sizeof err)) {
            fprintf(stderr, "ceres bench suite: %s\n", err);
            goto done;
        }
        nmans++;
    }
    size_t all = 0;
    for (size_t m = 0; m < nmans; m++)
        all += mans[m].ntests;
    res = calloc(all ? all : 1, sizeof *res);
    for (int gi = 0; gi < G_COUNT; gi++)
        grp[gi].tests = calloc(all ? all : 1, sizeof *grp[gi].tests);
    if (!res || !grp[G_ROMS].tests || !grp[G_SM83].tests) goto done;
    for (size_t m = 0; m < nmans; m++)
        for (size_t k = 0; k < mans[m].ntests; k++) {
            const rn_test *t = &mans[m].tests[k];
            group *gp = &grp[t->check.kind == RN_CHECK_SM83 ? G_SM83 : G_ROMS];
            if (t->expect == RN_EXPECT_PASS)
                gp->tests[gp->n++] = t;
            else
                nknown++;
        }
    for (int gi = 0; gi < G_COUNT; gi++) {
        if (!want[gi]) grp[gi].n = 0;
        for (int on = 0; on < 2; on++)
            grp[gi].wall[on] = grp[gi].cpu[on] = 1e30;
    }
    if (!grp[G_ROMS].n && !grp[G_SM83].n) {
        fprintf(stderr, "ceres bench suite: no tests expected to pass in %s\n", suites_dir);
        goto done;
    }

    snprintf(tmp, sizeof tmp, "/tmp/ceres-bench-suite-XXXXXX");
    if (!mkdtemp(tmp)) {
        fprintf(stderr, "ceres bench suite: cannot create a temporary folder: %s\n",
                strerror(errno));
        tmp[0] = 0;
        goto done;
    }
    rn_opts o;
    rn_opts_default(&o);
    if (roms) o.rom_root = roms;
    o.out_dir = tmp;
    o.jobs = jobs;

    printf("\nceres bench suite: %zu ROM-suite tests and %zu SM83 vector files expected to "
           "pass (%zu known failures left out), -j %d, best of %u rounds\n",
           grp[G_ROMS].n, grp[G_SM83].n, nknown, jobs, rounds);
    fflush(stdout);
    uint64_t bytes = 0;
    size_t failed = 0;
    for (unsigned r = 0; r < rounds; r++) {
        for (int on = 0; on < 2; on++) {
            if (!(sides >> on & 1)) continue;
            for (int gi = 0; gi < G_COUNT; gi++) {
                group *gp = &grp[gi];
                if (!gp->n) continue;
                o.trace_bytes = on ? 4u << 20 : 0;
                o.trace_events = 0;
                memset(res, 0, gp->n * sizeof *res);
                double c0 = children_cpu(), t0 = bench_now();
                int e = rn_run_all(gp->tests, gp->n, &o, res, NULL, NULL);
                double wall = bench_now() - t0, cpu = children_cpu() - c0;
                if (e) {
                    fprintf(stderr, "ceres bench suite: cannot run the tests: %s\n", strerror(-e));
                    goto done;
                }
                if (wall < gp->wall[on]) gp->wall[on] = wall;
                if (cpu < gp->cpu[on]) gp->cpu[on] = cpu;
                bytes += bytes_and_clear(tmp);
                for (size_t i = 0; i < gp->n; i++)
                    if (res[i].status != RN_PASS) {
                        if (failed++ < 10)
                            fprintf(stderr, "ceres bench suite: %s %s: %s (recorder %s)\n",
                                    gp->tests[i]->suite, gp->tests[i]->rom,
                                    rn_status_name(res[i].status), on ? "on" : "off");
                    }
            }
        }
    }

    bench_header("test suites, recorder off / on (4 MiB ring per test)");
    int missed = 0;
    double tot_cpu[2] = {0, 0};
    size_t tot_tests = 0;
    for (int gi = 0; gi < G_COUNT; gi++) {
        const group *gp = &grp[gi];
        if (!gp->n) continue;
        char key[64], what[96];
        if (sides != 3) {
            snprintf(what, sizeof what, "%s (%zu tests): CPU, recorder %s", group_name[gi], gp->n,
                     sides == 2 ? "on" : "off");
            bench_row(what, gp->cpu[sides == 2], "s", NULL, -1);
            continue;
        }
        double ratio = gp->cpu[1] / gp->cpu[0];
        tot_tests += gp->n;
        tot_cpu[0] += gp->cpu[0];
        tot_cpu[1] += gp->cpu[1];
        snprintf(key, sizeof key, "suite.%s.tests", group_key[gi]);
        bench_put(out, key, (double)gp->n);
        for (int on = 0; on < 2; on++) {
            snprintf(key, sizeof key, "suite.%s.seconds.%s", group_key[gi], on ? "ring" : "off");
            bench_put(out, key, gp->wall[on]);
            snprintf(key, sizeof key, "suite.%s.cpu_seconds.%s", group_key[gi],
                     on ? "ring" : "off");
            bench_put(out, key, gp->cpu[on]);
        }
        snprintf(key, sizeof key, "suite.%s.ratio", group_key[gi]);
        bench_put(out, key, ratio);
        snprintf(what, sizeof what, "%s (%zu tests): CPU, recorder off", group_name[gi], gp->n);
        bench_row(what, gp->cpu[0], "s", NULL, -1);
        snprintf(what, sizeof what, "%s: CPU, recorder on", group_name[gi]);
        bench_row(what, gp->cpu[1], "s", NULL, -1);
        snprintf(what, sizeof what, "%s: wall, recorder off / on", group_name[gi]);
        bench_row(what, gp->wall[1] / gp->wall[0], "x", NULL, -1);
        snprintf(what, sizeof what, "%s: CPU ratio on / off", group_name[gi]);
        if (gi == G_ROMS)
            missed += bench_row(what, ratio, "x", "<= 1.10x", ratio <= 1.10);
        else
            bench_row(what, ratio, "x", NULL, -1);
    }
    if (sides != 3) {
        missed += bench_row("tests not passing (all runs)", (double)failed, "", "0", failed == 0);
        status = missed ? 1 : 0;
        goto done;
    }
    bench_put(out, "suite.tests", (double)tot_tests);
    bench_put(out, "suite.cpu_seconds.off", tot_cpu[0]);
    bench_put(out, "suite.cpu_seconds.ring", tot_cpu[1]);
    bench_put(out, "suite.ratio", tot_cpu[1] / tot_cpu[0]);
    bench_put(out, "suite.bytes_written", (double)bytes);
    bench_put(out, "suite.failed", (double)failed);
    bench_row("both groups: CPU ratio on / off", tot_cpu[1] / tot_cpu[0], "x", NULL, -1);
    missed += bench_row("tests not passing (all runs)", (double)failed, "", "0", failed == 0);
    missed += bench_row("bytes written to the output folder", (double)bytes, "B", "0", bytes == 0);
    status = missed ? 1 : 0;

done:
    if (tmp[0]) {
        bytes_and_clear(tmp);
        rmdir(tmp);
    }
    free(res);
    for (int gi = 0; gi < G_COUNT; gi++)
        free(grp[gi].tests);
    for (size_t i = 0; i < nmans; i++)
        rn_manifest_free(&mans[i]);
    free(mans);
    for (size_t i = 0; i < nnames; i++)
        free(names[i]);
    free(names);
    return status;
}
