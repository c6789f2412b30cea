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

/* The program setup() builds (trig_program.h's, or halting's). */
static const uint8_t *cur_prog = program;
static size_t cur_len = sizeof program;

/* Halts between vblank interrupts (handler: reti): the CPU fetches nothing
 * for most of each frame.
 *   0150 ld a,1 / ldh (IE),a / ei / halt / nop / jr $0155 */
static const uint8_t halting[] = {0x3E, 0x01, 0xE0, 0xFF, 0xFB, 0x76, 0x00, 0x18, 0xFC};

static void setup(run *r, const char *filter) {
    char err[256];
    testrom_build(rom, cur_prog, cur_len);
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
        "a==3",
        "hl>=0xC000 && !(sp==0xFFFE) && f&0x80==0x80",
        "event(cpu.exec) && a==1", /* the event's field a */
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

/* The cycle of each frame's start (the VBlank entry that counts it), from
 * the core's frame hook. */
static uint64_t frame_at[8];
static void note_frame(gb *g, void *ctx) {
    (void)ctx;
    if (gb_frames(g) < 8) frame_at[gb_frames(g)] = gb_cycles(g);
}

/* Frames 2..3: from the M-cycle frame 2 begins to the one frame 4 begins,
 * both included (issue 12 item 17: exact to the cycle, not at the next
 * instruction). */
static void test_frame_window(void) {
    char err[256];
    testrom_build(rom, program, sizeof program);
    rom[0x40] = 0xD9;
    gb *g = gb_create(rom, sizeof rom, NULL, err, sizeof err);
    gb_hooks h = {.frame = note_frame};
    gb_set_hooks(g, &h);
    gb_run(g, 5 * 70224, 0);
    gb_set_hooks(g, NULL);
    gb_destroy(g);
    uint64_t c2 = frame_at[2], c4 = frame_at[4];
    CHECK(c2 > 0 && c4 > c2);

    run r;
    setup(&r, "cpu=trace,mem=trace,ppu=debug");
    CHECK_EQ(gb_trig_window_frames(r.set, 2, 3, err, sizeof err), 0);
    go(&r, 6 * 70224);
    CHECK(r.t->nev > 1000);
    for (uint64_t i = 0; i < r.t->nev; i++)
        CHECK(r.t->ev[i].ts >= c2 && r.t->ev[i].ts <= c4);
    /* both ends are there: the frame_end that counted frame 2 (stamped c2)
     * opens the trace, the one that counted frame 4 closes it */
    CHECK_EQ(r.t->ev[0].ts, c2);
    int64_t first_end = find(r.t, "ppu", "frame_end", "frame", 2);
    int64_t last_end = find(r.t, "ppu", "frame_end", "frame", 4);
    CHECK(first_end >= 0 && r.t->ev[first_end].ts == c2);
    CHECK(last_end >= 0 && r.t->ev[last_end].ts == c4);
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

/* A register state (evaluated at fetches), re-armed where it holds: taken
 * for a new edge unless gb_trig_sync_states gave it its value first;
 * gb_trig_fetch_states evaluates it as the next fetch would. */
static void test_register_states(void) {
    run r;
    cur_prog = halting;
    cur_len = sizeof halting;
    setup(&r, "cpu=trace");
    add(&r, "a==1", GB_TRIG_MARK);
    go(&r, 1000);
    CHECK_EQ(r.set->t[0].fires, 1); /* A=1 from the start, then LD A,1 */
    r.set->t[0].state = false;
    gb_trig_sync_states(r.g, r.set);
    gb_trig_arm(r.g, r.set);
    gb_run(r.g, 3 * 70224, 0);
    CHECK_EQ(r.set->t[0].fires, 1);
    r.set->t[0].state = false;
    gb_trig_arm(r.g, r.set);
    gb_run(r.g, 3 * 70224, 0);
    CHECK_EQ(r.set->t[0].fires, 2);
    r.set->t[0].state = false;
    gb_trig_fetch_states(r.g, r.set);
    CHECK_EQ(r.set->t[0].fires, 3);
    teardown(&r);
    cur_prog = program;
    cur_len = sizeof program;
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

/* Issue 12 item 17: state conditions fire at the M-cycle they become
 * true, as pc, read, write, irq and event do, not at the next instruction
 * fetch (which never comes while the CPU is halted). A mark shows the
 * cycle a trigger fired at. */
static void test_exact_states(void) {
    for (int halt = 0; halt < 2; halt++) {
        cur_prog = halt ? halting : program;
        cur_len = halt ? sizeof halting : sizeof program;
        run r;
        setup(&r, "ppu=debug");
        /* cycle>=N: at the first M-cycle end at or past N (the clock moves
         * by 4 from 0), whatever instruction is under way */
        static const uint64_t ns[] = {50001, 50002, 50003, 50004, 123457, 200010};
        for (size_t i = 0; i < sizeof ns / sizeof *ns; i++) {
            char e[40];
            snprintf(e, sizeof e, "cycle>=%llu", (unsigned long long)ns[i]);
            add(&r, e, GB_TRIG_MARK);
        }
        add(&r, "ly==144", GB_TRIG_MARK);            /* mark id 6 */
        add(&r, "frame==3", GB_TRIG_MARK);           /* mark id 7 */
        add(&r, "ly==10 && frame>=2", GB_TRIG_MARK); /* mark id 8: a conjunction */
        go(&r, 5 * 70224);
        uint64_t seen[9] = {0};
        for (uint64_t i = 0; i < r.t->nev; i++) {
            if (!is(r.t, i, "trace", "mark")) continue;
            unsigned id = (unsigned)field(r.t, i, "trigger");
            uint64_t ts = r.t->ev[i].ts;
            CHECK(id < 9);
            if (id >= 9) continue;
            seen[id]++;
            if (id < 6) {
                CHECK_EQ(ts, (ns[id] + 3) & ~(uint64_t)3);
            } else {
                /* the record that made it true comes right after the mark,
                 * stamped with the same cycle */
                CHECK(i + 1 < r.t->nev);
                if (i + 1 >= r.t->nev) continue;
                CHECK_EQ(r.t->ev[i + 1].ts, ts);
                if (id == 7) {
                    CHECK(is(r.t, i + 1, "ppu", "frame_end"));
                    CHECK_EQ(field(r.t, i + 1, "frame"), 3);
                } else {
                    CHECK(is(r.t, i + 1, "ppu", "ly"));
                    CHECK_EQ(field(r.t, i + 1, "ly"), id == 6 ? 144 : 10);
                }
            }
        }
        for (int k = 0; k < 6; k++)
            CHECK_EQ(seen[k], 1);
        CHECK_EQ(seen[6], 5); /* once a frame */
        CHECK_EQ(seen[7], 1);
        CHECK_EQ(seen[8], 3); /* rising edges: line 10 of frames 2, 3 and 4 */
        teardown(&r);

        /* A stop on ly==100 keeps its ppu.ly record and nothing later; a
         * start on ly==144 begins with its ppu.ly record. */
        setup(&r, "cpu=trace,mem=trace,ppu=debug");
        add(&r, "ly==100 && frame==2", GB_TRIG_STOP);
        go(&r, 5 * 70224);
        const ct_trace *t = r.t;
        int64_t ly = -1;
        for (uint64_t i = 0; i < t->nev; i++)
            if (is(t, i, "ppu", "ly")) ly = (int64_t)i;
        CHECK(ly >= 0 && field(t, (uint64_t)ly, "ly") == 100);
        /* what follows it is stamped with its cycle (inclusive end) */
        CHECK(ly >= 0 && t->ev[t->nev - 1].ts == t->ev[ly].ts);
        printf("stop on ly==100 (halt %d): %llu events after its ppu.ly\n", halt,
               (unsigned long long)(t->nev - 1 - (uint64_t)ly));
        teardown(&r);
        setup(&r, "cpu=trace,mem=trace,ppu=debug");
        add(&r, "ly==144", GB_TRIG_START);
        go(&r, 70224);
        t = r.t;
        CHECK(t->nev > 0 && is(t, 0, "ppu", "ly") && field(t, 0, "ly") == 144);
        teardown(&r);
        setup(&r, "cpu=trace,mem=trace,ppu=debug");
        add(&r, "cycle>=60002", GB_TRIG_START);
        add(&r, "cycle>=60102", GB_TRIG_STOP);
        go(&r, 70224);
        t = r.t;
        printf("cycle window (halt %d): %llu events, %llu..%llu\n", halt,
               (unsigned long long)t->nev, (unsigned long long)t->ev[0].ts,
               (unsigned long long)t->ev[t->nev - 1].ts);
        CHECK(t->nev > 0 && t->ev[0].ts >= 60004 && t->ev[t->nev - 1].ts <= 60104);
        if (!halt) /* a record every M-cycle: both ends are there */
            CHECK(t->nev > 0 && t->ev[0].ts == 60004 && t->ev[t->nev - 1].ts == 60104);
        teardown(&r);
    }
    cur_prog = program;
    cur_len = sizeof program;
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
    test_register_states();
    test_pc_bank_read();
    test_exact_states();
    return test_result();
}
