/* `ceres bench suite`: the whole ROM suite with the flight recorder off
 * (--trace-buffer 0) and on (the default 4 MiB ring per test), alternating,
 * -j 2 both; budget: on <= 1.15x off, and nothing written to the output
 * folder when every test passes.
 *
 * The tests are every manifest's tests that are expected to pass (a known
 * failure writes its failure folder by design, which is not what the byte
 * count is about); the table says how many were left out.
 *
 * Keys: suite.seconds.off, suite.seconds.ring (wall, best round),
 * suite.cpu_seconds.off, suite.cpu_seconds.ring (CPU time of the test
 * processes, best round), suite.ratio (CPU, ring / off), suite.tests,
 * suite.bytes_written (over all runs). The verdict on time uses CPU time,
 * which other load on the machine disturbs far less than wall time. */
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

#ifndef CERES_SOURCE_DIR
#define CERES_SOURCE_DIR "."
#endif

static void usage(FILE *f) {
    fputs("usage: ceres bench suite [--rounds N] [-j N] [--suites DIR] [--roms DIR]\n"
          "\n"
          "The whole ROM suite (tests expected to pass) with the flight recorder off\n"
          "and on, alternating, best of N rounds each (default 3); -j 2 (default).\n"
          "Budgets: recorder on <= 1.15x the time with it off (CPU time of the test\n"
          "processes); 0 bytes written to the output folder when all tests pass.\n",
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

int bench_suite(int argc, char **argv, bench_results *out) {
    unsigned rounds = 3;
    int jobs = 2;
    const char *suites_dir = CERES_SOURCE_DIR "/suites";
    const char *roms = NULL;
    static const struct option longs[] = {
        {"help", no_argument, NULL, 'h'},       {"rounds", required_argument, NULL, 'r'},
        {"jobs", required_argument, NULL, 'j'}, {"suites", required_argument, NULL, 's'},
        {"roms", required_argument, NULL, 'R'}, {NULL, 0, NULL, 0},
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
    size_t nmans = 0, ntests = 0, nknown = 0;
    const rn_test **tests = NULL;
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
    tests = calloc(all ? all : 1, sizeof *tests);
    res = calloc(all ? all : 1, sizeof *res);
    if (!tests || !res) goto done;
    for (size_t m = 0; m < nmans; m++)
        for (size_t k = 0; k < mans[m].ntests; k++) {
            if (mans[m].tests[k].expect == RN_EXPECT_PASS)
                tests[ntests++] = &mans[m].tests[k];
            else
                nknown++;
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

    printf("\nceres bench suite: %zu tests expected to pass (%zu known failures left out), "
           "-j %d, best of %u rounds\n",
           ntests, nknown, jobs, rounds);
    fflush(stdout);
    double best_wall[2] = {1e30, 1e30}, best_cpu[2] = {1e30, 1e30};
    uint64_t bytes = 0;
    size_t failed = 0;
    for (unsigned r = 0; r < rounds; r++) {
        for (int on = 0; on < 2; on++) {
            o.trace_bytes = on ? 4u << 20 : 0;
            o.trace_events = 0;
            memset(res, 0, ntests * sizeof *res);
            double c0 = children_cpu(), t0 = bench_now();
            int e = rn_run_all(tests, ntests, &o, res, NULL, NULL);
            double wall = bench_now() - t0, cpu = children_cpu() - c0;
            if (e) {
                fprintf(stderr, "ceres bench suite: cannot run the tests: %s\n", strerror(-e));
                goto done;
            }
            if (wall < best_wall[on]) best_wall[on] = wall;
            if (cpu < best_cpu[on]) best_cpu[on] = cpu;
            bytes += bytes_and_clear(tmp);
            for (size_t i = 0; i < ntests; i++)
                if (res[i].status != RN_PASS) {
                    if (failed++ < 10)
                        fprintf(stderr, "ceres bench suite: %s %s: %s (recorder %s)\n",
                                tests[i]->suite, tests[i]->rom, rn_status_name(res[i].status),
                                on ? "on" : "off");
                }
        }
    }

    bench_header("whole ROM suite");
    double ratio = best_cpu[1] / best_cpu[0];
    bench_put(out, "suite.tests", (double)ntests);
    bench_put(out, "suite.seconds.off", best_wall[0]);
    bench_put(out, "suite.seconds.ring", best_wall[1]);
    bench_put(out, "suite.cpu_seconds.off", best_cpu[0]);
    bench_put(out, "suite.cpu_seconds.ring", best_cpu[1]);
    bench_put(out, "suite.ratio", ratio);
    bench_put(out, "suite.bytes_written", (double)bytes);
    bench_put(out, "suite.failed", (double)failed);
    int missed = 0;
    bench_row("wall, recorder off", best_wall[0], "s", NULL, -1);
    bench_row("wall, recorder on (4 MiB ring)", best_wall[1], "s", NULL, -1);
    bench_row("CPU, recorder off", best_cpu[0], "s", NULL, -1);
    bench_row("CPU, recorder on (4 MiB ring)", best_cpu[1], "s", NULL, -1);
    bench_row("wall ratio on / off", best_wall[1] / best_wall[0], "x", NULL, -1);
    missed += bench_row("CPU ratio on / off", ratio, "x", "<= 1.15x", ratio <= 1.15);
    missed += bench_row("tests not passing (all runs)", (double)failed, "", "0", failed == 0);
    missed += bench_row("bytes written to the output folder", (double)bytes, "B", "0", bytes == 0);
    status = missed ? 1 : 0;

done:
    if (tmp[0]) {
        bytes_and_clear(tmp);
        rmdir(tmp);
    }
    free(res);
    free(tests);
    for (size_t i = 0; i < nmans; i++)
        rn_manifest_free(&mans[i]);
    free(mans);
    for (size_t i = 0; i < nnames; i++)
        free(names[i]);
    free(names);
    return status;
}
