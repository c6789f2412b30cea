/* Per-test triggers in the manifest: parsed and validated with the test,
 * and shaping what a failing test's trace keeps. */
#include "check.h"
#include "testrom.h"

#include "debug/trigger.h"
#include "runner/runner.h"
#include "trace/ct_host.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Same program as test_trigger.c: a write of $42 to $C000 at $0157..$0159,
 * then a loop at $0162 that never reaches LD B,B (the test times out). */
static const uint8_t program[] = {
    0x3E, 0x01, 0xE0, 0xFF, 0xFB, 0x3E, 0x42, 0xEA, 0x00, 0xC0, 0x3E, 0x55, 0xE0, 0x01,
    0x3E, 0x81, 0xE0, 0x02, 0xFA, 0x00, 0xC0, 0x3C, 0xEA, 0x00, 0xC0, 0x18, 0xF7,
};

static const char manifest[] = "suite trig\n"
                               "test loop.gb mooneye 20f dmg pass\n"
                               "trigger start \"write(0xC000) && value==0x42\" pre 2\n"
                               "trigger stop \"pc==0x0162\" post 100c\n"
                               "trigger mark \"irq(vblank)\"\n"
                               "test other.gb mooneye 1s dmg pass\n";

static void test_parse(void) {
    rn_manifest m;
    char err[512];
    CHECK_EQ(rn_manifest_parse(manifest, "trig.suite", &m, err, sizeof err), 0);
    CHECK_EQ(m.ntests, 2);
    CHECK_EQ(m.tests[0].ntrig, 3);
    CHECK_EQ(m.tests[0].trig[0].action, GB_TRIG_START);
    CHECK_EQ(m.tests[0].trig[0].arg, 2);
    CHECK_EQ(m.tests[0].trig[1].action, GB_TRIG_STOP);
    CHECK_EQ(m.tests[0].trig[1].arg, 100);
    CHECK(m.tests[0].trig[1].cycles);
    CHECK_EQ(m.tests[0].trig[2].action, GB_TRIG_MARK);
    CHECK(!strcmp(m.tests[0].trig[0].expr, "write(0xC000) && value==0x42"));
    CHECK_EQ(m.tests[1].ntrig, 0);
    rn_manifest_free(&m);

    static const struct {
        const char *line;
        const char *msg;
    } bad[] = {
        {"trigger start \"pc=1\"", "expected a comparison"},
        {"trigger dump \"pc==1\"", "unknown trigger action"},
        {"trigger stop \"pc==1\" pre 3", "post"},
        {"trigger start \"pc==1\" pre x", "pre N"},
        {"trigger mark \"pc==1\" post 3", "nothing"},
        {"trigger start", "want 'trigger"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char text[256];
        snprintf(text, sizeof text, "suite t\ntest a.gb mooneye 1s dmg pass\n%s\n", bad[i].line);
        CHECK(rn_manifest_parse(text, "t.suite", &m, err, sizeof err) != 0);
        if (!strstr(err, bad[i].msg)) fprintf(stderr, "%s -> %s\n", bad[i].line, err);
        CHECK(strstr(err, bad[i].msg) != NULL);
        CHECK(strstr(err, ":3") != NULL); /* the line is named */
    }
    CHECK(rn_manifest_parse("suite t\ntrigger mark \"pc==1\"\n", "t.suite", &m, err, sizeof err) !=
          0);
    CHECK(strstr(err, "before any 'test'") != NULL);
}

/* The failing test's trace holds only what the triggers let through: from
 * two events before the write to 100 cycles after the loop's first fetch. */
static void test_failure_trace(void) {
    char dir[] = "/tmp/ceres-mtrig-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    static uint8_t rom[TESTROM_SIZE];
    testrom_build(rom, program, sizeof program);
    rom[0x40] = 0xD9;
    char path[512];
    snprintf(path, sizeof path, "%s/loop.gb", dir);
    CHECK_EQ(rn_write_file(path, rom, sizeof rom), 0);

    rn_manifest m;
    char err[512];
    CHECK_EQ(rn_manifest_parse(manifest, "trig.suite", &m, err, sizeof err), 0);
    rn_opts o;
    rn_opts_default(&o);
    o.rom_root = dir;
    o.out_dir = dir;
    o.trace_filter = "cpu=trace,mem=trace";
    o.trace_bytes = 1 << 20;
    o.replay_window = 0;
    rn_result res;
    rn_run_one(&m.tests[0], &o, &res);
    CHECK(res.status != RN_PASS);

    snprintf(path, sizeof path, "%s/failures/trig/loop/trace.perfetto-trace", dir);
    ct_trace *t = NULL;
    CHECK_EQ(ct_trace_load(path, &t, err, sizeof err), 0);
    if (t) {
        /* history (`pre 2`, in each ring): in the instructions' ring the last
         * two operand reads of `ld ($C000),a`, then the write; the rare
         * events' ring keeps its own last two (an interrupt and its return). */
        CHECK(t->nev > 3 && t->nev < 100);
        uint64_t k = 0;
        while (k + 3 < t->nev && strcmp(t->schema.events[t->ev[k].id].target, "mem"))
            k++;
        static const char *const want[] = {"read", "read", "write"};
        for (unsigned j = 0; j < 3; j++) {
            const ct_event_desc *d = &t->schema.events[t->ev[k + j].id];
            CHECK(!strcmp(d->target, "mem") && !strcmp(d->name, want[j]));
        }
        uint64_t last = t->ev[t->nev - 1].ts, first_loop = 0;
        for (uint64_t i = 0; i < t->nev && !first_loop; i++) {
            const ct_event_desc *e = &t->schema.events[t->ev[i].id];
            int f = ct_field_index(e, "pc");
            if (!strcmp(e->name, "exec") && ct_field_u64(e, (unsigned)f, t->ev[i].payload) == 0x162)
                first_loop = t->ev[i].ts;
        }
        CHECK(first_loop != 0);
        /* The perfetto file is in ns: 100 T-cycles are about 23842 ns. */
        CHECK(last <= first_loop + 23842 + 1);
        ct_trace_free(t);
    }
    rn_manifest_free(&m);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    CHECK_EQ(system(cmd), 0);
}

int main(void) {
    test_parse();
    test_failure_trace();
    return test_result();
}
