/* `ceres bench recorder`: the recorder's own budgets, in one run.
 *
 *  - ns per recorded event of a typical 3-field event (u16, u8, u16) through
 *    CT_EMIT into a 4 MiB ring, against the physical floor: a plain store of
 *    the same three words into a ring of the same size;
 *  - the same event streamed to a Chrome JSON file (the old way);
 *  - dump time and bytes per event of 1M events to Perfetto and JSON;
 *  - the same for a real ring: 1M events of blargg's cpu_instrs run with the
 *    default filter (the budget's workload: instructions with their
 *    registers, PPU modes, LY, IO writes, timer events).
 *
 * Keys: recorder.ns_per_event, recorder.floor_ns_per_event,
 * recorder.ratio_to_floor, recorder.stream_json_ns_per_event,
 * recorder.stream_speedup, dump.perfetto.seconds_per_1m,
 * dump.perfetto.bytes_per_event, dump.json.seconds_per_1m,
 * dump.json.bytes_per_event, dump.real.perfetto.seconds_per_1m,
 * dump.real.perfetto.bytes_per_event. */
#include "bench.h"
#include "cli.h"
#include "debug/disasm.h"
#include "gb/gb.h"
#include "gb/gb_events.h"
#include "runner/runner.h"
#include "trace/ct_host.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* A schema of its own: the recorder knows nothing of the Game Boy. */
#define BR_EVENTS(E)      E(ACCESS, bench, access, INFO, INSTANT, U16, addr, U8, value, U16, pc)
#define BR__ENUM(ID, ...) br_ev_##ID,
enum br_ev { BR_EVENTS(BR__ENUM) br_ev_count };
#define BR__EMIT(ID, ...) CT_EMITTER(br_, ID, __VA_ARGS__)
BR_EVENTS(BR__EMIT)
static const ct_event_desc br_events[] = {BR_EVENTS(CT_DESC)};
static const ct_schema br_schema = {"bench", 4194304, br_ev_count, br_events, "T-cycle"};

#define RING_BYTES (4u << 20)
/* The real ring's workload, under the test ROM root. */
#define REAL_ROM          "blargg/cpu_instrs/cpu_instrs.gb"
#define REAL_FRAME_CYCLES 70224u

/* Between two trace points the emulator runs other code, so a ring's write
 * offset lives in memory, not in a register: a compiler barrier between
 * events gives both loops below that footing. */
#if defined(__GNUC__) || defined(__clang__)
#define BETWEEN_EVENTS() __asm__ volatile("" ::: "memory")
#else
#define BETWEEN_EVENTS() ((void)0)
#endif

/* The record path under test, as a trace point in emulator code would use
 * it. Values vary per event so nothing is hoisted out of the loop. */
CT_NOINLINE static void run_emit(ct_recorder *r, uint64_t n) {
    for (uint64_t i = 0; i < n; i++) {
        BETWEEN_EVENTS();
        CT_EMIT(r->flags, r, br_, ACCESS, i * 4, (uint16_t)i, (uint8_t)(i >> 3),
                (uint16_t)(i ^ 0x5A5A));
    }
}

/* The floor: the same three words (header with id, size and the first four
 * payload bytes; timestamp; last payload byte) stored into a ring of the
 * same size, with nothing else. */
typedef struct floor_ring {
    uint64_t *w;
    uint64_t mask, head;
} floor_ring;

CT_NOINLINE static void run_floor(floor_ring *f, uint64_t n) {
    for (uint64_t i = 0; i < n; i++) {
        BETWEEN_EVENTS();
        uint64_t a = (uint16_t)i, b = (uint8_t)(i >> 3), c = (uint16_t)(i ^ 0x5A5A);
        uint64_t h = f->head;
        f->w[h & f->mask] = br_ev_ACCESS | 3u << 16 | a << 32 | b << 48 | (c & 0xFF) << 56;
        f->w[(h + 1) & f->mask] = i * 4;
        f->w[(h + 2) & f->mask] = c >> 8;
        f->head = h + 3;
    }
}

/* CPU time of this thread: on a shared machine, time spent preempted would
 * otherwise land on whichever loop was running. */
static double cpu_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double best_of(int reps, void (*fn)(void *, uint64_t), void *ctx, uint64_t n) {
    double best = 1e30;
    for (int k = 0; k < reps; k++) {
        double t0 = cpu_now();
        fn(ctx, n);
        double dt = cpu_now() - t0;
        if (dt < best) best = dt;
    }
    return best;
}

static void emit_thunk(void *ctx, uint64_t n) {
    run_emit(ctx, n);
}
static void floor_thunk(void *ctx, uint64_t n) {
    run_floor(ctx, n);
}

static void usage(FILE *f) {
    fputs("usage: ceres bench recorder [--events N] [--quick]\n"
          "\n"
          "Record path: ns per event of a 3-field event (u16, u8, u16) through\n"
          "CT_EMIT into a 4 MiB ring, against a plain store of the same bytes\n"
          "(budget: <= 1.5x the floor and <= 2 ns). Streaming JSON per event for\n"
          "comparison. Dump of 1M events to Perfetto and JSON. The same for a real\n"
          "ring: 1M events of blargg's cpu_instrs (from $CERES_TESTROMS or the\n"
          "built-in path) run with the default filter (budget: <= 0.2 s,\n"
          "<= 8 bytes/event).\n"
          "\n"
          "  --events N  events per record-path measurement (default 20000000)\n"
          "  --quick     fewer events and repetitions (a smoke test, not a measurement)\n",
          f);
}

static int dump_bench(const char *dir, const char *fmt, ct_recorder *r, uint64_t nev, int reps,
                      double *secs, double *bytes_per_event) {
    char path[512];
    snprintf(path, sizeof path, "%s/bench.%s", dir, fmt);
    ct_dump_opts o = {.look = &gb_look};
    ct_format_parse(fmt, &o.format);
    /* CPU time of this thread, which includes the write(2) calls: on a
     * shared machine, time spent preempted is not the dump's. */
    double best = 1e30;
    for (int k = 0; k < reps; k++) {
        double t0 = cpu_now();
        int rc = ct_dump(r, path, &o);
        double dt = cpu_now() - t0;
        if (rc) {
            fprintf(stderr, "ceres bench recorder: dump to %s failed: %s\n", path, strerror(-rc));
            return rc;
        }
        if (dt < best) best = dt;
    }
    struct stat st;
    if (stat(path, &st) != 0) return -errno;
    unlink(path);
    *secs = best * 1e6 / (double)nev;
    *bytes_per_event = (double)st.st_size / (double)nev;
    return 0;
}

/* A real ring: REAL_ROM run with the default filter until its ring of `nev`
 * events has wrapped, dumped to Perfetto. 0, or -ENOENT with `err` set
 * when the ROM is missing (the row is skipped), or another -errno. */
static int real_dump_bench(const char *dir, uint64_t nev, int reps, double *secs,
                           double *bytes_per_event, char *err, size_t errlen) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", rn_default_rom_root(), REAL_ROM);
    uint8_t *data = NULL;
    size_t size = 0;
    int rc = rn_read_file(path, &data, &size);
    if (rc) {
        snprintf(err, errlen, "%s: %s (set CERES_TESTROMS to the test ROM folder)", path,
                 strerror(-rc));
        return rc;
    }
    gb_config gc = {0};
    gb *g = gb_create(data, size, &gc, err, errlen);
    ct_recorder *r = g ? ct_recorder_create(&gb_schema, 0, nev, CT_OVERWRITE, err, errlen) : NULL;
    rc = -EINVAL;
    if (r && ct_filter_apply(r, GB_DEFAULT_FILTER, err, errlen) == 0) {
        gb_set_recorder(g, r);
        /* Run on a quarter past full, as a flight recorder's ring is. */
        for (unsigned f = 0; f < 100000 && ct_recorder_written(r) < nev + nev / 4; f++)
            gb_run(g, REAL_FRAME_CYCLES, 0);
        if (ct_recorder_written(r) < nev + nev / 4)
            snprintf(err, errlen, "%s: the ring did not fill", path);
        else
            rc = dump_bench(dir, "perfetto", r, nev, reps, secs, bytes_per_event);
    }
    if (r) ct_recorder_destroy(r);
    if (g) gb_destroy(g);
    free(data);
    return rc;
}

int bench_recorder(int argc, char **argv, bench_results *out) {
    uint64_t n = 20000000;
    int reps = 7;
    static const struct option longs[] = {
        {"help", no_argument, NULL, 'h'},
        {"quick", no_argument, NULL, 'q'},
        {"events", required_argument, NULL, 'e'},
        {NULL, 0, NULL, 0},
    };
    bool first = true;
    int c;
    while ((c = cli_getopt("ceres bench recorder", argc, argv, ":h", longs, &first)) != -1) {
        switch (c) {
        case 'h': usage(stdout); return 0;
        case 'q':
            n = 1000000;
            reps = 1;
            break;
        case 'e':
            if (cli_parse_u64(optarg, &n) || n == 0) {
                fprintf(stderr, "ceres bench recorder: bad --events '%s'\n", optarg);
                return 2;
            }
            break;
        default: usage(stderr); return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "ceres bench recorder: unexpected argument '%s'\n", argv[optind]);
        return 2;
    }
#ifdef CERES_TRACE_OFF
    fprintf(stderr, "ceres bench recorder: trace points are compiled out of this build\n");
    return 2;
#endif
    char err[256];
    ct_recorder *r = ct_recorder_create(&br_schema, RING_BYTES, 0, CT_OVERWRITE, err, sizeof err);
    if (!r) {
        fprintf(stderr, "ceres bench recorder: %s\n", err);
        return 2;
    }
    ct_filter_apply(r, "trace", err, sizeof err);
    uint64_t fcap = 1; /* the floor masks: the largest power of two in the ring */
    while (fcap * 2 <= r->ring.cap)
        fcap *= 2;
    floor_ring f = {NULL, fcap - 1, 0};
    if (posix_memalign((void **)&f.w, 64, fcap * sizeof(uint64_t)) != 0) {
        ct_recorder_destroy(r);
        return 2;
    }
    memset(f.w, 0, fcap * sizeof(uint64_t));

    /* Warm up both, then alternate so frequency changes hit both alike. */
    run_emit(r, n / 10);
    run_floor(&f, n / 10);
    double t_emit = 1e30, t_floor = 1e30;
    for (int k = 0; k < reps; k++) {
        double a = best_of(1, emit_thunk, r, n), b = best_of(1, floor_thunk, &f, n);
        if (a < t_emit) t_emit = a;
        if (b < t_floor) t_floor = b;
    }
    double ns_emit = t_emit * 1e9 / (double)n, ns_floor = t_floor * 1e9 / (double)n;
    free(f.w);

    /* Streaming: the same event formatted to a JSON file as it happens (wall
     * time: writing the file is part of its cost). */
    const char *tmp = getenv("TMPDIR");
    char dir[512];
    snprintf(dir, sizeof dir, "%s/ceres-bench-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir)) {
        fprintf(stderr, "ceres bench recorder: cannot create a temporary folder: %s\n",
                strerror(errno));
        ct_recorder_destroy(r);
        return 2;
    }
    char spath[600];
    snprintf(spath, sizeof spath, "%s/stream.json", dir);
    uint64_t ns_n = n / 10 < 2000000 ? n / 10 : 2000000;
    double ns_stream = 0;
    if (ct_stream_open(r, spath, false, err, sizeof err) == 0) {
        ct_recorder_pause(r); /* the stream alone, as the old way had it */
        double t0 = bench_now();
        run_emit(r, ns_n);
        int rc = ct_stream_close(r);
        ns_stream = (bench_now() - t0) * 1e9 / (double)ns_n;
        if (rc) fprintf(stderr, "ceres bench recorder: stream: %s\n", strerror(-rc));
        unlink(spath);
    } else {
        fprintf(stderr, "ceres bench recorder: %s\n", err);
    }
    ct_recorder_destroy(r);

    /* Dumps of 1M events (the ring wrapped, as a flight recorder's is). */
    const uint64_t nev = 1000000;
    r = ct_recorder_create(&br_schema, 0, nev, CT_OVERWRITE, err, sizeof err);
    int status = 0;
    double pf_s = 0, pf_b = 0, js_s = 0, js_b = 0;
    if (!r) {
        fprintf(stderr, "ceres bench recorder: %s\n", err);
        status = 2;
    } else {
        ct_filter_apply(r, "trace", err, sizeof err);
        run_emit(r, nev + nev / 4);
        if (dump_bench(dir, "perfetto", r, nev, reps < 3 ? reps : 3, &pf_s, &pf_b) ||
            dump_bench(dir, "json", r, nev, reps < 3 ? reps : 3, &js_s, &js_b))
            status = 2;
        ct_recorder_destroy(r);
    }
    double real_s = 0, real_b = 0;
    char real_err[1200] = "";
    int real_rc =
        real_dump_bench(dir, nev, reps < 3 ? reps : 3, &real_s, &real_b, real_err, sizeof real_err);
    if (real_rc && real_err[0]) fprintf(stderr, "ceres bench recorder: real ring: %s\n", real_err);
    if (real_rc && real_rc != -ENOENT) status = 2;
    rmdir(dir);

    bench_put(out, "recorder.ns_per_event", ns_emit);
    bench_put(out, "recorder.floor_ns_per_event", ns_floor);
    bench_put(out, "recorder.ratio_to_floor", ns_emit / ns_floor);
    bench_put(out, "recorder.stream_json_ns_per_event", ns_stream);
    bench_put(out, "recorder.stream_speedup", ns_stream / ns_emit);
    if (status == 0) {
        bench_put(out, "dump.perfetto.seconds_per_1m", pf_s);
        bench_put(out, "dump.perfetto.bytes_per_event", pf_b);
        bench_put(out, "dump.json.seconds_per_1m", js_s);
        bench_put(out, "dump.json.bytes_per_event", js_b);
    }
    if (real_rc == 0) {
        bench_put(out, "dump.real.perfetto.seconds_per_1m", real_s);
        bench_put(out, "dump.real.perfetto.bytes_per_event", real_b);
    }

    int missed = 0;
    bench_header("recorder (3-field event: u16, u8, u16; 4 MiB ring)");
    missed +=
        bench_row("record one event through CT_EMIT", ns_emit, "ns", "<= 2 ns", ns_emit <= 2.0);
    bench_row("plain store of the same bytes (floor)", ns_floor, "ns", NULL, -1);
    missed +=
        bench_row("record / floor", ns_emit / ns_floor, "x", "<= 1.5x", ns_emit <= 1.5 * ns_floor);
    bench_row("stream each event to Chrome JSON", ns_stream, "ns", NULL, -1);
    bench_row("ring speed-up over streaming", ns_stream / ns_emit, "x", NULL, -1);
    if (status == 0) {
        missed += bench_row("dump 1M events to Perfetto", pf_s, "s", "<= 0.2 s", pf_s <= 0.2);
        missed += bench_row("Perfetto bytes per event", pf_b, "B", "<= 16 B", pf_b <= 16);
        bench_row("dump 1M events to JSON", js_s, "s", NULL, -1);
        bench_row("JSON bytes per event", js_b, "B", NULL, -1);
    }
    if (real_rc == 0) {
        bench_header("real ring (1M events of cpu_instrs, default filter)");
        missed += bench_row("dump 1M events to Perfetto", real_s, "s", "<= 0.2 s", real_s <= 0.2);
        missed += bench_row("Perfetto bytes per event", real_b, "B", "<= 8 B", real_b <= 8);
    } else {
        printf("real ring: not measured (%s)\n", real_rc == -ENOENT ? "test ROM missing" : "error");
    }
    if (status) return status;
    return missed ? 1 : 0;
}
