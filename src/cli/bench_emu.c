/* `ceres bench emu`: emulator speed with tracing off and on, in one run.
 *
 * Workloads: fixed ROMs run for N frames (70224 T-cycles each) from power-on:
 * blargg cpu_instrs.gb (CPU-bound), dmg-acid2.gb (PPU-bound) and mooneye
 * acceptance/ppu/intr_2_0_timing.gb (STAT interrupts, then its final loop).
 *
 * Configurations, each a result key emu.fps.CONFIG (total frames / total
 * seconds over the workloads) and emu.fps.CONFIG@ROM per workload:
 *   off             no recorder attached
 *   compiled_out    the same in ceres-notrace (trace points compiled out),
 *                   run as a subprocess that reports its own figures
 *   ring_default    4 MiB in the default rings by class (as `ceres run`
 *                   makes them), filter GB_DEFAULT_FILTER
 *   ring_one        the same in one 4 MiB ring (--trace-buffer all=4M)
 *   ring_all        4 MiB in the default rings, every event at trace level
 *                   (bus accesses too)
 *   stream_json     ring_all's events (every event) streamed to a Chrome
 *                   JSON file (the old way), over fewer frames (STREAM_FRAMES)
 *   triggers_armed  a PC and a write trigger that never fire, no recording
 *   checkpoints     no recorder, a checkpoint (save state, delta against the
 *                   previous one) every frame into an 8 MiB ring (debug/gb_ckpt.h)
 *   gambatte, mgba  Debian's libretro cores (keys peers.NAME.fps)
 *
 * Configurations are interleaved (round-robin, best of --rounds per
 * configuration and workload) so machine noise hits all alike. Everything
 * is timed in CPU time of this thread (ceres-notrace times itself). */
#include "bench.h"
#include "cli.h"
#include "bench_peers.h"
#include "debug/gb_ckpt.h"
#include "gb/gb_events.h"
#include "debug/trigger.h"
#include "runner/runner.h"
#include "trace/ct_host.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CYCLES_PER_FRAME 70224u
#define RING_BYTES       (4u << 20)
/* Streaming every event writes ~2 MB of JSON per frame: fifty frames say
 * all there is to say without writing gigabytes. */
#define STREAM_FRAMES 50u

/* Addresses none of the workloads executes or writes (checked: a trigger
 * that fires makes the bench fail). $3FFF is the last byte of ROM bank 0,
 * $FEA0 the unusable area after OAM. */
#define TRIG_PC    "pc==0x3FFF"
#define TRIG_WRITE "write(0xFEA0)"

enum cfg {
    CFG_OFF,
    CFG_COMPILED_OUT,
    CFG_RING_DEFAULT,
    CFG_RING_ONE,
    CFG_RING_ALL,
    CFG_STREAM_JSON,
    CFG_TRIGGERS,
    CFG_CHECKPOINTS,
    CFG_GAMBATTE,
    CFG_MGBA,
    CFG_COUNT
};

static const struct {
    const char *name; /* --only name */
    const char *key;  /* result key */
    const char *what; /* table label */
} cfgs[CFG_COUNT] = {
    [CFG_OFF] = {"off", "emu.fps.off", "tracing off (no recorder)"},
    [CFG_COMPILED_OUT] = {"compiled_out", "emu.fps.compiled_out", "trace points compiled out"},
    [CFG_RING_DEFAULT] = {"ring_default", "emu.fps.ring_default", "ring 4 MiB, default filter"},
    [CFG_RING_ONE] = {"ring_one", "emu.fps.ring_one", "one ring 4 MiB, default filter"},
    [CFG_RING_ALL] = {"ring_all", "emu.fps.ring_all", "ring 4 MiB, everything (trace)"},
    [CFG_STREAM_JSON] = {"stream_json", "emu.fps.stream_json", "everything streamed to JSON"},
    [CFG_TRIGGERS] = {"triggers_armed", "emu.fps.triggers_armed", "2 triggers armed, never fire"},
    [CFG_CHECKPOINTS] = {"checkpoints", "emu.fps.checkpoints", "checkpoint every frame, 8 MiB"},
    [CFG_GAMBATTE] = {"gambatte", "peers.gambatte.fps", "peer: libretro-gambatte"},
    [CFG_MGBA] = {"mgba", "peers.mgba.fps", "peer: libretro-mgba"},
};

static const struct {
    const char *name; /* key suffix */
    const char *rel;  /* under the ROM root */
} workloads[] = {
    {"cpu_instrs", "blargg/cpu_instrs/cpu_instrs.gb"},
    {"dmg-acid2", "dmg-acid2/dmg-acid2.gb"},
    {"intr_2_0_timing", "mooneye/acceptance/ppu/intr_2_0_timing.gb"},
};
#define NWORK (sizeof workloads / sizeof workloads[0])

typedef struct rom {
    char path[4096];
    uint8_t *data;
    size_t size;
} rom;

typedef struct state {
    unsigned frames, rounds;
    const char *filter; /* ring_default's filter */
    bool only[CFG_COUNT];
    rom roms[NWORK];
    char tmpdir[64];
    char notrace[4096];
    double best[CFG_COUNT][NWORK]; /* seconds, best round */
    unsigned nframes[CFG_COUNT];   /* frames per workload run */
    bool skipped[CFG_COUNT];
    char note[CFG_COUNT][256];
} state;

static double cpu_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void usage(FILE *f) {
    fputs("usage: ceres bench emu [--frames N] [--rounds N] [--only CFG,...]\n"
          "\n"
          "Emulator speed in frames per second over three ROM workloads (blargg\n"
          "cpu_instrs, dmg-acid2, mooneye intr_2_0_timing; ROMs from $CERES_TESTROMS\n"
          "or the built-in path) with tracing off, compiled out (ceres-notrace),\n"
          "recording into a 4 MiB ring (default filter, everything), streaming to\n"
          "JSON and with armed triggers; the libretro gambatte and mgba cores as\n"
          "peers. Configurations are interleaved, best of N rounds each.\n"
          "\n"
          "  --frames N     frames per workload (default 3000; streaming runs at most 50)\n"
          "  --rounds N     rounds, best of which counts (default 3)\n"
          "  --filter SPEC  filter of ring_default (default: the default\n"
          "                 filter; the budgets assume it)\n"
          "  --only LIST    configurations: off, compiled_out, ring_default, ring_one,\n"
          "                 ring_all,\n"
          "                 stream_json, triggers_armed, checkpoints, gambatte,\n"
          "                 mgba (default: all)\n",
          f);
}

/* One Ceres run of a workload in configuration c: seconds of thread CPU time
 * for the frames (setup and teardown excluded, a stream's final flush
 * included). */
static int run_ceres(state *st, enum cfg c, unsigned w, double *secs, char *err, size_t errlen) {
    const rom *r = &st->roms[w];
    gb_config gc = {0};
    gb *g = gb_create(r->data, r->size, &gc, err, errlen);
    if (!g) return -1;
    ct_recorder *rec = NULL;
    gb_trig_set *ts = NULL;
    char stream_path[128] = "";
    int rc = -1;
    gb_ckpt *ck = NULL;
    if (c == CFG_CHECKPOINTS && !(ck = gb_ckpt_create(g, 1, GB_CKPT_DEFAULT_BYTES, 0, err, errlen)))
        goto out;
    if (c != CFG_OFF && c != CFG_CHECKPOINTS) {
        rec = c == CFG_RING_ONE
                  ? ct_recorder_create(&gb_schema, RING_BYTES, 0, CT_OVERWRITE, err, errlen)
                  : rn_recorder_create_size(&gb_schema, RING_BYTES, 0, err, errlen);
        if (!rec) goto out;
    }
    const char *filter = c == CFG_RING_ALL || c == CFG_STREAM_JSON    ? "trace"
                         : c == CFG_RING_DEFAULT || c == CFG_RING_ONE ? st->filter
                                                                      : NULL;
    if (filter && ct_filter_apply(rec, filter, err, errlen)) goto out;
    if (c == CFG_STREAM_JSON) {
        snprintf(stream_path, sizeof stream_path, "%s/stream.json", st->tmpdir);
        if (ct_stream_open(rec, stream_path, false, err, errlen)) goto out;
    }
    if (rec) gb_set_recorder(g, rec);
    if (c == CFG_TRIGGERS) {
        ts = malloc(sizeof *ts);
        if (!ts) {
            snprintf(err, errlen, "out of memory");
            goto out;
        }
        gb_trig_set_init(ts, rec);
        if (gb_trig_add(ts, TRIG_PC, GB_TRIG_MARK, err, errlen) ||
            gb_trig_add(ts, TRIG_WRITE, GB_TRIG_MARK, err, errlen))
            goto out;
        gb_trig_arm(g, ts);
    }
    const uint64_t cycles = (uint64_t)st->nframes[c] * CYCLES_PER_FRAME;
    double t0 = cpu_now();
    if (ck)
        gb_ckpt_run(ck, g, cycles, 0);
    else
        gb_run(g, cycles, 0);
    if (c == CFG_STREAM_JSON && ct_stream_close(rec)) {
        snprintf(err, errlen, "%s: stream write failed", stream_path);
        goto out;
    }
    *secs = cpu_now() - t0;
    if (gb_cycles(g) < cycles) {
        snprintf(err, errlen, "%s: the run stopped early", r->path);
        goto out;
    }
    if (ts && (ts->t[0].fires || ts->t[1].fires)) {
        snprintf(err, errlen, "%s: a trigger that must never fire fired (%s: %llu, %s: %llu)",
                 r->path, TRIG_PC, (unsigned long long)ts->t[0].fires, TRIG_WRITE,
                 (unsigned long long)ts->t[1].fires);
        goto out;
    }
    rc = 0;
out:
    if (ts) gb_trig_arm(g, NULL);
    gb_ckpt_destroy(ck);
    gb_destroy(g);
    free(ts);
    if (rec) {
        if (c == CFG_STREAM_JSON && rc) ct_stream_close(rec);
        ct_recorder_destroy(rec);
    }
    if (stream_path[0]) unlink(stream_path);
    return rc;
}

/* A round of ceres-notrace: `ceres-notrace bench emu --only off --rounds 1`
 * with its figures in a JSON file; fills secs[] per workload from its
 * emu.fps.off@ROM keys. */
static int run_notrace(state *st, double secs[NWORK], char *err, size_t errlen) {
    char json[128], frames[32];
    snprintf(json, sizeof json, "%s/notrace.json", st->tmpdir);
    snprintf(frames, sizeof frames, "%u", st->frames);
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(err, errlen, "fork: %s", strerror(errno));
        return -1;
    }
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);
        if (null >= 0) dup2(null, 1);
        execl(st->notrace, st->notrace, "bench", "emu", "--only", "off", "--rounds", "1",
              "--frames", frames, "--json", json, (char *)NULL);
        _exit(127);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) {
            snprintf(err, errlen, "waitpid: %s", strerror(errno));
            return -1;
        }
    if (!WIFEXITED(status) || WEXITSTATUS(status) > 1) {
        snprintf(err, errlen, "%.300s bench emu --only off failed (status %d)", st->notrace,
                 status);
        return -1;
    }
    FILE *f = fopen(json, "r");
    if (!f) {
        snprintf(err, errlen, "%s: %s", json, strerror(errno));
        return -1;
    }
    unsigned found = 0;
    char line[256];
    while (fgets(line, sizeof line, f)) {
        char key[128];
        double v;
        if (sscanf(line, " \"%127[^\"]\": %lf", key, &v) != 2) continue;
        for (unsigned w = 0; w < NWORK; w++) {
            char want[128];
            snprintf(want, sizeof want, "emu.fps.off@%s", workloads[w].name);
            if (!strcmp(key, want) && v > 0) {
                secs[w] = st->frames / v;
                found |= 1u << w;
            }
        }
    }
    fclose(f);
    unlink(json);
    if (found != (1u << NWORK) - 1) {
        snprintf(err, errlen, "%.300s: figures missing in its JSON output", st->notrace);
        return -1;
    }
    return 0;
}

static int run_peer(state *st, enum cfg c, unsigned w, double *secs, char *err, size_t errlen) {
    const rom *r = &st->roms[w];
    /* The cores print their own chatter on stdout: keep it out of the table. */
    fflush(stdout);
    int saved = dup(1), null = open("/dev/null", O_WRONLY);
    if (saved >= 0 && null >= 0) dup2(null, 1);
    /* Timed in CPU time of this thread like Ceres: the core's run with
     * `frames` frames minus a run without any (loading and set-up). */
    const char *core = c == CFG_GAMBATTE ? BENCH_PEER_GAMBATTE : BENCH_PEER_MGBA;
    double wall, t0 = cpu_now();
    int rc = bench_peer_run(core, r->path, r->data, r->size, 0, &wall, err, errlen);
    double t1 = cpu_now();
    if (!rc) rc = bench_peer_run(core, r->path, r->data, r->size, st->frames, &wall, err, errlen);
    double t2 = cpu_now();
    *secs = (t2 - t1) - (t1 - t0);
    if (*secs <= 0) *secs = wall;
    fflush(stdout);
    if (saved >= 0) {
        dup2(saved, 1);
        close(saved);
    }
    if (null >= 0) close(null);
    return rc;
}

static double total_fps(const state *st, enum cfg c) {
    double s = 0;
    for (unsigned w = 0; w < NWORK; w++)
        s += st->best[c][w];
    return s > 0 ? (double)st->nframes[c] * NWORK / s : 0;
}

static bool usable(const state *st, enum cfg c) {
    return st->only[c] && !st->skipped[c];
}

/* Ratio row a / b with budget `min`x; counts a miss. */
static int ratio_row(const state *st, const char *what, enum cfg a, enum cfg b, double min,
                     bench_results *out, const char *key) {
    if (!usable(st, a) || !usable(st, b)) return 0;
    double r = total_fps(st, a) / total_fps(st, b);
    char budget[32];
    snprintf(budget, sizeof budget, ">= %gx", min);
    bench_put(out, key, r);
    return bench_row(what, r, "x", budget, r >= min);
}

static int parse_only(state *st, const char *list) {
    memset(st->only, 0, sizeof st->only);
    char buf[256];
    snprintf(buf, sizeof buf, "%s", list);
    for (char *s = strtok(buf, ","); s; s = strtok(NULL, ",")) {
        unsigned c;
        for (c = 0; c < CFG_COUNT && strcmp(cfgs[c].name, s); c++)
            ;
        if (c == CFG_COUNT) {
            fprintf(stderr, "ceres bench emu: unknown configuration '%s'\n", s);
            return -1;
        }
        st->only[c] = true;
    }
    return 0;
}

/* ceres-notrace sits next to this program. */
static void find_notrace(state *st) {
    char self[4000];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    st->notrace[0] = 0;
    if (n <= 0) return;
    self[n] = 0;
    char *slash = strrchr(self, '/');
    if (!slash) return;
    *slash = 0;
    snprintf(st->notrace, sizeof st->notrace, "%s/ceres-notrace", self);
}

int bench_emu(int argc, char **argv, bench_results *out) {
    state *st = calloc(1, sizeof *st);
    if (!st) return 2;
    st->frames = 3000;
    st->rounds = 3;
    st->filter = GB_DEFAULT_FILTER;
    for (unsigned c = 0; c < CFG_COUNT; c++)
        st->only[c] = true;
    int status = 2;
    static const struct option longs[] = {
        {"help", no_argument, NULL, 'h'},         {"frames", required_argument, NULL, 'f'},
        {"rounds", required_argument, NULL, 'r'}, {"filter", required_argument, NULL, 'F'},
        {"only", required_argument, NULL, 'o'},   {NULL, 0, NULL, 0},
    };
    bool first = true;
    int c;
    while ((c = cli_getopt("ceres bench emu", argc, argv, ":h", longs, &first)) != -1) {
        uint64_t v;
        switch (c) {
        case 'f':
        case 'r':
            if (cli_parse_u64(optarg, &v) || v == 0 || v > 1000000) {
                fprintf(stderr, "ceres bench emu: --%s needs a number from 1 to 1000000\n",
                        c == 'f' ? "frames" : "rounds");
                goto done;
            }
            if (c == 'f')
                st->frames = (unsigned)v;
            else
                st->rounds = (unsigned)v;
            break;
        case 'F': st->filter = optarg; break;
        case 'o':
            if (parse_only(st, optarg)) goto done;
            break;
        case 'h':
            usage(stdout);
            status = 0;
            goto done;
        default: usage(stderr); goto done;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "ceres bench emu: unexpected argument '%s'\n", argv[optind]);
        goto done;
    }
#ifdef CERES_TRACE_OFF
    /* Without trace points only the plain configuration means anything. */
    for (unsigned c = 0; c < CFG_COUNT; c++)
        if (c != CFG_OFF && st->only[c]) {
            st->skipped[c] = true;
            snprintf(st->note[c], sizeof st->note[c], "trace points are compiled out");
        }
#endif
    for (unsigned c = 0; c < CFG_COUNT; c++)
        st->nframes[c] =
            c == CFG_STREAM_JSON && st->frames > STREAM_FRAMES ? STREAM_FRAMES : st->frames;

    const char *root = rn_default_rom_root();
    for (unsigned w = 0; w < NWORK; w++) {
        rom *r = &st->roms[w];
        snprintf(r->path, sizeof r->path, "%s/%s", root, workloads[w].rel);
        int e = rn_read_file(r->path, &r->data, &r->size);
        if (e) {
            fprintf(stderr, "ceres bench emu: %s: %s (set CERES_TESTROMS to the test ROM folder)\n",
                    r->path, strerror(-e));
            goto done;
        }
    }
    snprintf(st->tmpdir, sizeof st->tmpdir, "/tmp/ceres-bench-XXXXXX");
    if (!mkdtemp(st->tmpdir)) {
        fprintf(stderr, "ceres bench emu: cannot create a temporary folder: %s\n", strerror(errno));
        st->tmpdir[0] = 0;
        goto done;
    }
    if (st->only[CFG_COMPILED_OUT] && !st->skipped[CFG_COMPILED_OUT]) {
        find_notrace(st);
        if (!st->notrace[0] || access(st->notrace, X_OK)) {
            st->skipped[CFG_COMPILED_OUT] = true;
            snprintf(st->note[CFG_COMPILED_OUT], sizeof st->note[0],
                     "ceres-notrace not found next to ceres (build with CERES_NOTRACE_TWIN=ON)");
        }
    }
    for (enum cfg c = CFG_GAMBATTE; c <= CFG_MGBA; c++) {
        const char *so = c == CFG_GAMBATTE ? BENCH_PEER_GAMBATTE : BENCH_PEER_MGBA;
        if (st->only[c] && !st->skipped[c] && access(so, R_OK)) {
            st->skipped[c] = true;
            snprintf(st->note[c], sizeof st->note[0],
                     "%s missing (`make bench` installs it: scripts/deps.sh --bench)", so);
        }
    }

    for (unsigned c = 0; c < CFG_COUNT; c++)
        for (unsigned w = 0; w < NWORK; w++)
            st->best[c][w] = 1e30;
    char err[512];
    for (unsigned round = 0; round < st->rounds; round++) {
        for (unsigned c = 0; c < CFG_COUNT; c++) {
            if (!usable(st, c)) continue;
            if (c == CFG_COMPILED_OUT) {
                double secs[NWORK];
                if (run_notrace(st, secs, err, sizeof err)) {
                    fprintf(stderr, "ceres bench emu: %s\n", err);
                    goto done;
                }
                for (unsigned w = 0; w < NWORK; w++)
                    if (secs[w] < st->best[c][w]) st->best[c][w] = secs[w];
                continue;
            }
            for (unsigned w = 0; w < NWORK; w++) {
                double secs = 0;
                int rc = c >= CFG_GAMBATTE ? run_peer(st, c, w, &secs, err, sizeof err)
                                           : run_ceres(st, c, w, &secs, err, sizeof err);
                if (rc) {
                    fprintf(stderr, "ceres bench emu: %s: %s\n", cfgs[c].name, err);
                    goto done;
                }
                if (secs < st->best[c][w]) st->best[c][w] = secs;
            }
        }
    }

    /* Figures. */
    char title[128];
    snprintf(title, sizeof title,
             "emulator speed (frames/s; %u frames per workload, best of %u rounds)", st->frames,
             st->rounds);
    bench_header(title);
    int missed = 0;
    for (unsigned c = 0; c < CFG_COUNT; c++) {
        if (!st->only[c]) continue;
        if (st->skipped[c]) {
            printf("  %-44s skipped: %s\n", cfgs[c].what, st->note[c]);
            continue;
        }
        double fps = total_fps(st, c);
        bench_put(out, cfgs[c].key, fps);
        bench_row(cfgs[c].what, fps, "fps", NULL, -1);
        for (unsigned w = 0; w < NWORK; w++) {
            char key[64], what[64];
            double f = st->nframes[c] / st->best[c][w];
            snprintf(key, sizeof key, "%s@%s", cfgs[c].key, workloads[w].name);
            snprintf(what, sizeof what, "  %s", workloads[w].name);
            bench_put(out, key, f);
            bench_row(what, f, "fps", NULL, -1);
        }
    }
    if (usable(st, CFG_STREAM_JSON) && st->nframes[CFG_STREAM_JSON] != st->frames)
        printf("  (streaming ran %u frames per workload)\n", st->nframes[CFG_STREAM_JSON]);

    bench_header("emulator budgets (ratios of the totals)");
    missed += ratio_row(st, "compiled in, off / compiled out", CFG_OFF, CFG_COMPILED_OUT, 0.98, out,
                        "emu.ratio.off_vs_compiled_out");
    missed += ratio_row(st, "ring, default filter / off", CFG_RING_DEFAULT, CFG_OFF, 0.85, out,
                        "emu.ratio.ring_default_vs_off");
    missed += ratio_row(st, "ring, default: one ring / off", CFG_RING_ONE, CFG_OFF, 0.85, out,
                        "emu.ratio.ring_one_vs_off");
    missed += ratio_row(st, "ring, everything / off", CFG_RING_ALL, CFG_OFF, 0.70, out,
                        "emu.ratio.ring_all_vs_off");
    missed += ratio_row(st, "ring, default / streaming JSON", CFG_RING_DEFAULT, CFG_STREAM_JSON, 20,
                        out, "emu.ratio.ring_default_vs_stream_json");
    if (usable(st, CFG_RING_ALL) && usable(st, CFG_STREAM_JSON)) {
        double r = total_fps(st, CFG_RING_ALL) / total_fps(st, CFG_STREAM_JSON);
        bench_put(out, "emu.ratio.ring_all_vs_stream_json", r);
        bench_row("ring, everything / streaming it (same events)", r, "x", NULL, -1);
    }
    missed += ratio_row(st, "triggers armed / off", CFG_TRIGGERS, CFG_OFF, 0.97, out,
                        "emu.ratio.triggers_armed_vs_off");
    missed += ratio_row(st, "checkpoint every frame / off", CFG_CHECKPOINTS, CFG_OFF, 0.95, out,
                        "emu.ratio.checkpoints_vs_off");
    missed += ratio_row(st, "off / gambatte", CFG_OFF, CFG_GAMBATTE, 1.0, out,
                        "emu.ratio.off_vs_gambatte");
    missed += ratio_row(st, "off / mgba", CFG_OFF, CFG_MGBA, 1.0, out, "emu.ratio.off_vs_mgba");
    status = missed ? 1 : 0;

done:
    if (st->tmpdir[0]) rmdir(st->tmpdir);
    for (unsigned w = 0; w < NWORK; w++)
        free(st->roms[w].data);
    free(st);
    return status;
}
