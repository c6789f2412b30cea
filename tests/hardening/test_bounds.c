/* Long runs and ring bounds: a trigger that fires millions of times, a
 * filter that records every bus access, a ring of 1 event and one of 1 GiB,
 * and runs of 10^8, 10^9 and 10^10 T-cycles. Memory (the child's peak RSS)
 * stays at the configured bound whatever the run length, and results are
 * exact. The synthesized loop takes 36 T-cycles a turn, so counts are known.
 * A sanitizer build runs shorter (10^8 / 3x10^8, no 10^10): its runtime is
 * several times slower. */
#include "hard_util.h"

#include "trace/ct_host.h"

static char *dir;

static unsigned long long fired(const char *err) {
    const char *p = strstr(err, ": fired ");
    return p ? strtoull(p + 8, NULL, 10) : 0;
}

static int event_id(const ct_trace *t, const char *target, const char *name) {
    for (unsigned i = 0; i < t->schema.nevents; i++)
        if (!strcmp(t->schema.events[i].target, target) && !strcmp(t->schema.events[i].name, name))
            return (int)i;
    return -1;
}

static ct_trace *load(const char *name) {
    char p[700], err[512];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    ct_trace *t = NULL;
    if (ct_trace_load(p, &t, err, sizeof err)) fprintf(stderr, "%s\n", err);
    unlink(p);
    return t;
}

/* A mark at every turn of the loop (millions of times) with every event
 * recorded: the count is exact and, in the rings, every loop start carries
 * its mark. */
static void many_fires(void) {
    child c;
    char *args[] = {"run",    "loop.gb",    "--cycles",    "100000000", "--trace", "trace",
                    "--mark", "pc==0x0150", "--trace-out", "m.ctrace",  NULL};
    int rc = run_ceres(&c, dir, NULL, args);
    printf("marks: exit %d, peak RSS %ld KiB\n%s", rc, c.hwm_kib, c.err);
    CHECK_EQ(rc, 0);
    /* The loop is entered at T-cycle 20 (NOP, JP) and starts every 36. */
    unsigned long long end = reported_cycles(c.err);
    unsigned long long want = (end - 20 + 35) / 36;
    CHECK(fired(c.err) + 1 >= want && fired(c.err) <= want + 1);
    CHECK(fired(c.err) > 2000000);
    const char *rec = strstr(c.err, "events recorded");
    CHECK(rec != NULL);
    ct_trace *t = load("m.ctrace");
    CHECK(t != NULL);
    if (t) {
        int mark = event_id(t, "trace", "mark"), exec = event_id(t, "cpu", "exec");
        CHECK(mark >= 0 && exec >= 0);
        int pcf = exec >= 0 ? ct_field_index(&t->schema.events[exec], "pc") : -1;
        /* The marks (the rare events' ring) and the instructions (the
         * flood's) reach back differently: count where both are whole. */
        uint64_t marks = 0, starts = 0, from_mark = UINT64_MAX, from_exec = UINT64_MAX;
        for (uint64_t i = 0; i < t->nev; i++) {
            if (t->ev[i].id == mark && from_mark == UINT64_MAX) from_mark = t->ev[i].ts;
            if (t->ev[i].id == exec && from_exec == UINT64_MAX) from_exec = t->ev[i].ts;
        }
        const uint64_t from = from_mark > from_exec ? from_mark : from_exec;
        for (uint64_t i = 0; i < t->nev; i++) {
            if (t->ev[i].ts < from) continue;
            if (t->ev[i].id == mark) marks++;
            if (t->ev[i].id == exec && pcf >= 0 &&
                ct_field_u64(&t->schema.events[exec], (unsigned)pcf, t->ev[i].payload) == 0x150)
                starts++;
        }
        printf("marks in ring %llu, loop starts %llu, written %llu\n", (unsigned long long)marks,
               (unsigned long long)starts, (unsigned long long)t->written);
        CHECK(starts > 1000 && marks + 1 >= starts && marks <= starts + 1);
        /* Every bus access recorded: tens of millions of events. */
        CHECK(t->written > 30000000);
        ct_trace_free(t);
    }
    child_free(&c);
}

/* A ring of one event keeps exactly the newest one. */
static void one_event(void) {
    child c;
    char *args[] = {"run", "loop.gb",     "--frames",   "30", "--trace-buffer",
                    "1ev", "--trace-out", "one.ctrace", NULL};
    int rc = run_ceres(&c, dir, NULL, args);
    printf("1ev: exit %d\n%s", rc, c.err);
    CHECK_EQ(rc, 0);
    ct_trace *t = load("one.ctrace");
    CHECK(t != NULL);
    if (t) {
        CHECK_EQ(t->nev, 1);
        CHECK(t->written > 100000);
        unsigned long long end = reported_cycles(c.err);
        CHECK(t->nev == 1 && t->ev[0].ts <= end && t->ev[0].ts + 40 >= end);
        ct_trace_free(t);
    }
    child_free(&c);
}

static long mem_available_kib(void) {
    char *m = read_text("/proc/meminfo", NULL);
    const char *p = m ? strstr(m, "MemAvailable:") : NULL;
    long v = p ? strtol(p + 13, NULL, 10) : 0;
    free(m);
    return v;
}

/* 1 GiB: it must be created, run, and stay at its bound. Its pages are
 * faulted in only as the head reaches them: 120 frames (about a million
 * records, some 32 MiB) leave most of the ring untouched, so the peak RSS
 * stays far below the ring (it was all of it while the ring was pre-faulted
 * at start). */
static void one_gib(void) {
    if (mem_available_kib() < (3l << 20)) {
        printf("1G ring: skipped, less than 3 GiB of memory available\n");
        return;
    }
    child c;
    char *args[] = {"run", "loop.gb",     "--frames", "120", "--trace-buffer",
                    "1G",  "--trace-out", "g.ctrace", NULL};
    int rc = run_ceres(&c, dir, NULL, args);
    printf("1G: exit %d, peak RSS %ld KiB\n%s", rc, c.hwm_kib, c.err);
    CHECK_EQ(rc, 0);
    ct_trace *t = load("g.ctrace");
    CHECK(t && t->ring_bytes <= (1ull << 30) && t->ring_bytes >= (1ull << 29));
    if (t) {
        printf("1G: ring memory %llu bytes, %llu events\n", (unsigned long long)t->ring_bytes,
               (unsigned long long)t->nev);
        CHECK(t->nev == t->written && t->nev > 1000000);
        CHECK(t->nev * 80 < t->ring_bytes / 4);
        CHECK(c.hwm_kib < (long)(t->ring_bytes >> 10) / 4);
        ct_trace_free(t);
    }
    CHECK(c.hwm_kib <= (1l << 20) + (HARD_SANITIZED ? (300l << 10) : (48l << 10)));
    child_free(&c);
}

/* Peak RSS of a run of `cycles` with tracing on (default filter). */
static long rss_run(const char *cycles, const char *ring, unsigned long long *end) {
    child c;
    char *args[] = {"run",        "loop.gb", "--cycles", (char *)cycles, "--trace-buffer",
                    (char *)ring, NULL};
    int rc = run_ceres(&c, dir, NULL, args);
    printf("%s cycles, ring %s: exit %d, peak RSS %ld KiB\n%s", cycles, ring, rc, c.hwm_kib, c.err);
    CHECK_EQ(rc, 0);
    *end = reported_cycles(c.err);
    CHECK(*end >= strtoull(cycles, NULL, 10));
    long r = c.hwm_kib;
    child_free(&c);
    return r;
}

static void rss_bound(void) {
    /* The 4 MiB ring costs at most 4 MiB over a run without a ring. */
    unsigned long long e0;
    long base = rss_run("100000000", "0", &e0);
    long four = rss_run("100000000", "4M", &e0);
    printf("peak RSS without a ring %ld KiB, with a 4M ring %ld KiB\n", base, four);
    /* The run fills the ring: it is resident. Not checked under the
     * sanitizers: there start-up alone peaks at 85 MiB (`ceres --version`),
     * and a run with the ring was seen only 0.9 MiB above one without. */
    if (!HARD_SANITIZED) CHECK(four > base + 1024);
    /* The ring is 4194304 bytes (the whole budget, no longer half of it);
     * the rest of what recording costs (the recorder, dump buffers) is
     * about 320 KiB. Under the sanitizers the shadow pages and allocator
     * quarantine add about 1 MiB of noise between two runs (a 5288 KiB
     * difference was seen in CI there). */
    CHECK(four - base <= 4096 + (HARD_SANITIZED ? 2048 : 512));
    static const char *rings[] = {"4M", "200000ev"};
    const char *shortrun = "100000000", *longrun = HARD_SANITIZED ? "300000000" : "1000000000";
    for (int i = 0; i < 2; i++) {
        unsigned long long e1, e2;
        long a = rss_run(shortrun, rings[i], &e1);
        long b = rss_run(longrun, rings[i], &e2);
        printf("ring %s: peak RSS %ld KiB at %llu cycles, %ld KiB at %llu\n", rings[i], a, e1, b,
               e2);
        /* The difference is below 1 MiB (4 MiB under the sanitizers, whose
         * allocator quarantine and shadow pages add noise of about 1 MiB);
         * an unbounded recording would grow by tens of MiB here. */
        CHECK(b - a < (HARD_SANITIZED ? 4096 : 1024));
    }
    if (!HARD_SANITIZED) {
        /* 10^10 T-cycles (40 emulated minutes): about 20 s of CPU. */
        unsigned long long e3;
        long c = rss_run("10000000000", "4M", &e3);
        unsigned long long e1;
        long a = rss_run("100000000", "4M", &e1);
        CHECK(c - a < 1024);
        CHECK(e3 >= 10000000000ull && e3 < 10000000000ull + 24);
    }
}

int main(void) {
    ceres_bin();
    dir = make_tmpdir();
    char rom_path[700];
    write_loop_rom(dir, rom_path, sizeof rom_path);
    many_fires();
    one_event();
    one_gib();
    rss_bound();
    rm_rf(dir);
    free(dir);
    return test_result();
}
