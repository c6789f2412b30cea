/* Triggers and windows on a ROM synthesized in memory: every condition kind
 * and every action, checked on what the recorder kept. */
#include "check.h"
#include "testrom.h"

#include "gb/gb.h"
#include "gb/gb_events.h"
#include "debug/trigger.h"
#include "trace/ct_host.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "trig_program.h"

static uint8_t rom[TESTROM_SIZE];

typedef struct run {
    gb *g;
    ct_recorder *rec;
    gb_trig_set *set;
    ct_trace *t;
} run;

static void setup(run *r, const char *filter) {
    char err[256];
    testrom_build(rom, program, sizeof program);
    rom[0x40] = 0xD9; /* reti */
    memset(r, 0, sizeof *r);
    r->g = gb_create(rom, sizeof rom, NULL, err, sizeof err);
    CHECK(r->g != NULL);
    r->rec = ct_recorder_create(&gb_schema, 16 << 20, 0, CT_OVERWRITE, err, sizeof err);
    CHECK(r->rec != NULL);
    CHECK_EQ(ct_filter_apply(r->rec, filter, err, sizeof err), 0);
    gb_set_recorder(r->g, r->rec);
    r->set = malloc(sizeof *r->set);
    gb_trig_set_init(r->set, r->rec);
}

static void add(run *r, const char *expr, gb_trig_action a) {
    char err[256];
    int rc = gb_trig_add(r->set, expr, a, err, sizeof err);
    if (rc) fprintf(stderr, "%s\n", err);
    CHECK_EQ(rc, 0);
}

static void go(run *r, uint64_t cycles) {
    gb_trig_arm(r->g, r->set);
    gb_run(r->g, cycles, 0);
    CHECK_EQ(ct_trace_from_recorder(r->rec, &r->t), 0);
}

static void teardown(run *r) {
    gb_trig_arm(r->g, NULL);
    ct_trace_free(r->t);
    free(r->set);
    ct_recorder_destroy(r->rec);
    gb_destroy(r->g);
}

static uint64_t field(const ct_trace *t, uint64_t i, const char *name) {
    const ct_event_desc *d = &t->schema.events[t->ev[i].id];
    int f = ct_field_index(d, name);
    CHECK(f >= 0);
    return f < 0 ? 0 : ct_field_u64(d, (unsigned)f, t->ev[i].payload);
}

static bool is(const ct_trace *t, uint64_t i, const char *target, const char *name) {
    const ct_event_desc *d = &t->schema.events[t->ev[i].id];
    return !strcmp(d->target, target) && !strcmp(d->name, name);
}

static int64_t find(const ct_trace *t, const char *target, const char *name, const char *f,
                    uint64_t v) {
    for (uint64_t i = 0; i < t->nev; i++)
        if (is(t, i, target, name) && (!f || field(t, i, f) == v)) return (int64_t)i;
    return -1;
}

static void test_parse_errors(void) {
    static const struct {
        const char *expr;
        const char *msg;
        int col;
    } bad[] = {
        {"write(0xC000", "expected ')'", 13},
        {"pc=0x100", "expected a comparison", 3},
        {"event(foo.bar)", "unknown event", 7},
        {"src==1", "unknown name", 1},
        {"event(dma.start) && size==1", "not a field", 21},
        {"irq(nmi)", "unknown interrupt", 5},
        {"read(0x10000)", "address range", 6},
        {"pc==0x100 &&", "expected a condition", 13},
        {"pc==0x100 )", "unexpected text", 11},
        {"", "expected a condition", 1},
        {"cycle>=99999999999999999999999", "number too large", 8},
    };
    gb_trigger t;
    char err[512];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK_EQ(gb_trig_parse(&t, bad[i].expr, &gb_schema, err, sizeof err), -EINVAL);
        CHECK(strstr(err, bad[i].msg) != NULL);
        char col[32];
        snprintf(col, sizeof col, "column %d", bad[i].col);
        if (!strstr(err, col)) fprintf(stderr, "%s -> %s (want %s)\n", bad[i].expr, err, col);
        CHECK(strstr(err, col) != NULL);
        /* The caret sits under the column. */
        const char *caret = strrchr(err, '^');
        const char *line = strrchr(err, '\n');
        CHECK(caret && line && caret - line - 1 == bad[i].col + 1);
    }
    static const char *const good[] = {
        "pc==0x0150",
        "pc==$4000 && bank==2",
        "write(0xFF46)",
        "write(0xC000..0xDFFF) && value==0x42",
        "read(0xFF44)",
        "irq(vblank) || irq(timer)",
        "event(dma.start) && src==0xC000",
        "cycle>=1000000",
        "frame==60",
        "!(ly==0) && ly<10",
        "write($C000) && value&0xF0==0x40",
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        int rc = gb_trig_parse(&t, good[i], &gb_schema, err, sizeof err);
        if (rc) fprintf(stderr, "%s\n", err);
        CHECK_EQ(rc, 0);
    }
}

/* Start at the first write to $C000 with value $42: it is the first record. */
static void test_start(void) {
    run r;
    setup(&r, "cpu=trace,mem=trace,io=debug,ppu=debug");
    add(&r, "write(0xC000) && value==0x42", GB_TRIG_START);
    go(&r, 4000); /* short of the counter wrapping back to $42 */
    CHECK(r.t->nev > 100);
    CHECK(is(r.t, 0, "mem", "write"));
    CHECK_EQ(field(r.t, 0, "addr"), 0xC000);
    CHECK_EQ(field(r.t, 0, "value"), 0x42);
    for (uint64_t i = 1; i < r.t->nev; i++)
        CHECK(r.t->ev[i].ts >= r.t->ev[0].ts);
    CHECK_EQ(r.set->t[0].fires, 1);
    teardown(&r);
}

/* --pre 3: three events of history, then the triggering write. */
static void test_start_pre(void) {
    run r;
    setup(&r, "cpu=trace,mem=trace");
    r.set->pre = 3;
    add(&r, "write(0xC000) && value==0x42", GB_TRIG_START);
    go(&r, 70224);
    CHECK(r.t->nev > 100);
    CHECK(is(r.t, 3, "mem", "write"));
    CHECK_EQ(field(r.t, 3, "value"), 0x42);
    /* The three before it: the exec of `ld ($C000),a` at $0157 and its
     * three operand fetches make up the history. */
    CHECK(is(r.t, 0, "mem", "read"));
    CHECK_EQ(field(r.t, 2, "addr"), 0x0159);
    teardown(&r);
}

/* Stop 5 events after pc==$0162: the fifth event after the trigger ends it. */
static void test_stop_post_events(void) {
    run r;
    setup(&r, "cpu=trace,mem=trace");
    add(&r, "pc==0x0162", GB_TRIG_STOP);
    r.set->t[0].post = 5;
    go(&r, 70224);
    int64_t i = find(r.t, "cpu", "exec", "pc", 0x0162);
    CHECK(i >= 0);
    CHECK_EQ((int64_t)r.t->nev - 1 - i, 4); /* the exec itself and 4 more */
    teardown(&r);
}

/* Stop 100 cycles after it: nothing later than that is kept. */
static void test_stop_post_cycles(void) {
    run r;
    setup(&r, "cpu=trace,mem=trace");
    add(&r, "pc==0x0162", GB_TRIG_STOP);
    r.set->t[0].post = 100;
    r.set->t[0].post_cycles = true;
    go(&r, 70224);
    int64_t i = find(r.t, "cpu", "exec", "pc", 0x0162);
    CHECK(i >= 0);
    uint64_t fire_ts = r.t->ev[i].ts;
    CHECK(r.t->ev[r.t->nev - 1].ts <= fire_ts + 100);
    CHECK(r.t->ev[r.t->nev - 1].ts >= fire_ts + 90);
    teardown(&r);
}

/* A cycle window is exact: every event inside, events at both ends. */
static void test_cycle_window(void) {
    run r;
    setup(&r, "cpu=trace,mem=trace,ppu=debug,timer=debug,io=debug");
    ct_recorder_window(r.rec, 100000, 120000);
    go(&r, 200000);
    CHECK(r.t->nev > 1000);
    for (uint64_t i = 0; i < r.t->nev; i++)
        CHECK(r.t->ev[i].ts >= 100000 && r.t->ev[i].ts <= 120000);
    CHECK(r.t->ev[0].ts < 100000 + 24);
    CHECK(r.t->ev[r.t->nev - 1].ts > 120000 - 24);
    teardown(&r);
}

/* Frames 2..3: from the first instruction of frame 2 to the end of frame 3. */
static void test_frame_window(void) {
    char err[256];
    /* The cycles at which frames 2 and 4 begin, from a plain run. */
    testrom_build(rom, program, sizeof program);
    rom[0x40] = 0xD9;
    gb *g = gb_create(rom, sizeof rom, NULL, err, sizeof err);
    uint64_t c2 = 0, c4 = 0;
    while (gb_frames(g) < 4) {
        gb_run(g, 1000000, GB_STOP_FRAME);
        if (gb_frames(g) == 2 && !c2) c2 = gb_cycles(g);
    }
    c4 = gb_cycles(g);
    gb_destroy(g);

    run r;
    setup(&r, "cpu=trace,mem=trace");
    CHECK_EQ(gb_trig_window_frames(r.set, 2, 3, err, sizeof err), 0);
    go(&r, 6 * 70224);
    CHECK(r.t->nev > 1000);
    for (uint64_t i = 0; i < r.t->nev; i++)
        CHECK(r.t->ev[i].ts >= c2 && r.t->ev[i].ts <= c4 + 32);
    CHECK(r.t->ev[0].ts < c2 + 32);
    CHECK(r.t->ev[r.t->nev - 1].ts > c4 - 32);
    teardown(&r);
}

/* A snapshot at each of the first three writes of the loop: numbered files,
 * each complete and readable, and no fourth. */
static void test_dump_on(void) {
    char dir[] = "/tmp/ceres-trigger-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    run r;
    setup(&r, "cpu=trace,mem=trace");
    snprintf(r.set->dump_base, sizeof r.set->dump_base, "%s/snap.ctrace", dir);
    add(&r, "write(0xC000) && value>=0x43", GB_TRIG_DUMP);
    r.set->t[0].max_dumps = 3;
    go(&r, 70224);
    CHECK(r.set->t[0].fires >= 3);
    CHECK_EQ(r.set->dumps_written, 3);
    uint64_t prev = 0;
    for (int k = 1; k <= 4; k++) {
        char path[600], err[256];
        snprintf(path, sizeof path, "%s/snap.%04d.ctrace", dir, k);
        ct_trace *t = NULL;
        int rc = ct_trace_load(path, &t, err, sizeof err);
        if (k == 4) {
            CHECK(rc != 0);
            continue;
        }
        CHECK_EQ(rc, 0);
        if (!t) continue;
        CHECK(t->nev > prev); /* each later snapshot holds more */
        prev = t->nev;
        /* The last event recorded before the snapshot: the write's M-cycle is
         * under way, its operand fetches are in. */
        CHECK(is(t, t->nev - 1, "mem", "read"));
        ct_trace_free(t);
        unlink(path);
    }
    rmdir(dir);
    teardown(&r);
}

/* A mark at every vblank interrupt: as many marks as dispatches. */
static void test_mark_irq(void) {
    run r;
    setup(&r, "cpu=debug");
    add(&r, "irq(vblank)", GB_TRIG_MARK);
    go(&r, 5 * 70224);
    uint64_t marks = 0, irqs = 0;
    for (uint64_t i = 0; i < r.t->nev; i++) {
        if (is(r.t, i, "trace", "mark")) {
            marks++;
            CHECK_EQ(field(r.t, i, "count"), marks);
        }
        if (is(r.t, i, "cpu", "irq") && field(r.t, i, "vector") == 0x40) irqs++;
    }
    CHECK(irqs >= 4);
    CHECK_EQ(marks, irqs);
    CHECK_EQ(r.set->t[0].fires, irqs);
    teardown(&r);
}

/* event(serial.byte) with a field comparison starts the recording; the
 * event itself is the first record even though serial was not in the filter. */
static void test_event_start(void) {
    run r;
    setup(&r, "cpu=trace");
    add(&r, "event(serial.byte) && value==0x55", GB_TRIG_START);
    go(&r, 70224);
    CHECK(r.t->nev > 10);
    CHECK(is(r.t, 0, "serial", "byte"));
    CHECK_EQ(field(r.t, 0, "value"), 0x55);
    CHECK(is(r.t, 1, "cpu", "exec"));
    teardown(&r);
}

/* State conditions fire once, on the rising edge. */
static void test_state_edge(void) {
    run r;
    setup(&r, "cpu=trace");
    add(&r, "cycle>=50000", GB_TRIG_START);
    add(&r, "ly==10", GB_TRIG_MARK);
    go(&r, 3 * 70224);
    CHECK(r.t->ev[0].ts >= 50000 && r.t->ev[0].ts < 50000 + 32);
    CHECK_EQ(r.set->t[0].fires, 1);
    CHECK_EQ(r.set->t[1].fires, 3); /* ly reaches 10 once a frame */
    teardown(&r);
}

/* A pc trigger with a bank condition and reads of a register. */
static void test_pc_bank_read(void) {
    run r;
    setup(&r, "cpu=trace");
    add(&r, "pc==0x0162 && bank==0", GB_TRIG_MARK);
    add(&r, "pc==0x0162 && bank==1", GB_TRIG_MARK);
    add(&r, "read(0xC000) && value&0xF0==0x40", GB_TRIG_MARK);
    go(&r, 4000); /* about 80 loops: the counter does not wrap */
    CHECK(r.set->t[0].fires > 50);
    CHECK_EQ(r.set->t[1].fires, 0);
    /* $C000 is read as $42..$4F: 14 reads before it leaves the $4x range. */
    CHECK_EQ(r.set->t[2].fires, 14);
    teardown(&r);
}

int main(void) {
    test_parse_errors();
    test_start();
    test_start_pre();
    test_stop_post_events();
    test_stop_post_cycles();
    test_cycle_window();
    test_frame_window();
    test_dump_on();
    test_mark_irq();
    test_event_start();
    test_state_edge();
    test_pc_bank_read();
    return test_result();
}
