/* The generic trace tools (src/trace/ct_tools.h) on hand-made traces with
 * schemas of their own: no Game Boy. Two schemas that declare the same
 * events in a different order, with different field widths and an extra
 * field, are compared by name. */
#include "check.h"

#include "trace/ct_tools.h"

#include <errno.h>
#include <string.h>

static const ct_event_desc a_events[] = {
    {"core",
     "step",
     CT_LVL_TRACE,
     CT_STEP,
     3,
     7,
     {{"pc", CT_T_U16}, {"v", CT_T_U8}, {"name", CT_T_STR}}},
    {"misc", "tick", CT_LVL_DEBUG, CT_INSTANT, 1, 1, {{"k", CT_T_U8}}},
};
/* B: the step event second, pc widened to 32 bits, one more field; no misc
 * target at all. */
static const ct_event_desc b_events[] = {
    {"other", "thing", CT_LVL_INFO, CT_INSTANT, 1, 1, {{"k", CT_T_U8}}},
    {"core",
     "step",
     CT_LVL_TRACE,
     CT_STEP,
     4,
     10,
     {{"extra", CT_T_U8}, {"pc", CT_T_U32}, {"v", CT_T_U8}, {"name", CT_T_STR}}},
};

static char *a_strings[] = {"foo", "bar"};
static char *b_strings[] = {"bar", "foo"}; /* the same names, other indices */

static ct_event ev_a[8], ev_b[8];

static void put(uint8_t *p, unsigned *o, uint64_t v, unsigned n) {
    for (unsigned i = 0; i < n; i++)
        p[(*o)++] = (uint8_t)(v >> (8 * i));
}

/* Step i of both traces: pc 0x10+i, v i, name foo; a tick after step 2 in A
 * (B has no such event). */
static void build(ct_trace *a, ct_trace *b) {
    memset(a, 0, sizeof *a);
    memset(b, 0, sizeof *b);
    a->schema = (ct_schema){"a", 1000, 2, a_events, "ms"};
    b->schema = (ct_schema){"b", 1000, 2, b_events, "ms"};
    a->strings = a_strings;
    a->nstrings = 2;
    b->strings = b_strings;
    b->nstrings = 2;
    a->ev = ev_a;
    b->ev = ev_b;
    for (unsigned i = 0; i < 6; i++) {
        ct_event *e = &ev_a[a->nev++];
        memset(e, 0, sizeof *e);
        unsigned o = 0;
        e->id = 0;
        e->ts = 100 + 10 * i;
        put(e->payload, &o, 0x10 + i, 2);
        put(e->payload, &o, i, 1);
        put(e->payload, &o, 0 /* foo */, 4);
        if (i == 2) {
            e = &ev_a[a->nev++];
            memset(e, 0, sizeof *e);
            e->id = 1;
            e->ts = 125;
            e->payload[0] = 9;
        }
        e = &ev_b[b->nev++];
        memset(e, 0, sizeof *e);
        o = 0;
        e->id = 1;
        e->ts = 100 + 10 * i;
        put(e->payload, &o, 0xEE, 1);
        put(e->payload, &o, 0x10 + i, 4);
        put(e->payload, &o, i, 1);
        put(e->payload, &o, 1 /* foo */, 4);
    }
}

static char out[8192];
static int diff(const ct_trace *a, const ct_trace *b, ct_diff_opts *o, char *err) {
    FILE *f = tmpfile();
    if (!f) return -1000;
    int rc = ct_trace_diff(f, a, b, o, err, 256);
    rewind(f);
    size_t n = fread(out, 1, sizeof out - 1, f);
    out[n] = 0;
    fclose(f);
    return rc;
}

int main(void) {
    ct_trace a, b;
    char err[256];
    ct_diff_opts o = {.context = 1};

    /* Equal on what both have: misc.tick is not in B's schema. */
    build(&a, &b);
    CHECK_EQ(diff(&a, &b, &o, err), 0);
    CHECK(strstr(out, "aligned on cycle stamps") != NULL);
    CHECK(strstr(out, "(1 kinds of A not in B's schema left out)") != NULL);
    CHECK(strstr(out, "no difference: 6 events equal") != NULL);

    /* A value: step 3's v in B. */
    ev_b[3].payload[5] = 0x42;
    CHECK_EQ(diff(&a, &b, &o, err), 1);
    CHECK(strstr(out, "after 3 equal events: A #4, B #3\n") != NULL);
    CHECK(strstr(out, "\n  v: 03 vs 42\n") != NULL);
    CHECK(strstr(out, "time:") == NULL);

    /* A string field, compared by text, not index. */
    build(&a, &b);
    ev_b[4].payload[6] = 0; /* "bar" */
    CHECK_EQ(diff(&a, &b, &o, err), 1);
    CHECK(strstr(out, "\n  name: \"foo\" vs \"bar\"\n") != NULL);

    /* One tick late from step 5 on: on cycles a difference, on order none. */
    build(&a, &b);
    ev_b[5].ts++;
    CHECK_EQ(diff(&a, &b, &o, err), 1);
    CHECK(strstr(out, "\n  time: 150 vs 151 (+1)\n") != NULL);
    o.align = CT_ALIGN_ORDER;
    CHECK_EQ(diff(&a, &b, &o, err), 0);
    CHECK(strstr(out, "aligned on instruction order") != NULL);

    /* No clock in B: order by default, cycles refused. */
    build(&a, &b);
    b.schema.ts_hz = 0;
    o.align = CT_ALIGN_AUTO;
    CHECK_EQ(diff(&a, &b, &o, err), 0);
    CHECK(strstr(out, "aligned on instruction order") != NULL);
    o.align = CT_ALIGN_CYCLES;
    CHECK_EQ(diff(&a, &b, &o, err), -EINVAL);
    CHECK(strstr(err, "has no time stamps") != NULL);

    /* A later start on cycles: B's first two steps are skipped. */
    build(&a, &b);
    a.ev += 2;
    a.nev -= 2;
    o.align = CT_ALIGN_AUTO;
    CHECK_EQ(diff(&a, &b, &o, err), 0);
    CHECK(strstr(out, "A skips 0, B skips 2 events") != NULL);

    /* A filter naming a target B lacks: B takes A's choice by name. */
    build(&a, &b);
    o.filter = "misc,core.step=off";
    CHECK_EQ(diff(&a, &b, &o, err), -EINVAL); /* misc.tick is A's alone */
    CHECK(strstr(err, "nothing to compare") != NULL);
    o.filter = "misc,core";
    CHECK_EQ(diff(&a, &b, &o, err), 0);
    CHECK(strstr(out, "compared: 1 event kinds") != NULL);
    o.filter = "nosuch";
    CHECK_EQ(diff(&a, &b, &o, err), -EINVAL);
    o.filter = NULL;

    /* Text lines and cat. */
    build(&a, &b);
    char line[256];
    ct_view_opts v = {.to = UINT64_MAX};
    ct_event_text(&a, &ev_a[1], &v, line, sizeof line);
    CHECK(strcmp(line, "110 core.step pc=0011 v=01 name=\"foo\"") == 0);
    ct_event_text(&b, &ev_b[1], &v, line, sizeof line);
    CHECK(strcmp(line, "110 core.step extra=EE pc=17 v=01 name=\"foo\"") == 0);
    v.out_hz = 2000; /* printed in another clock */
    ct_event_text(&a, &ev_a[1], &v, line, sizeof line);
    CHECK(strncmp(line, "220 core.step", 13) == 0);
    v.out_hz = 0;
    FILE *f = tmpfile();
    CHECK(f != NULL);
    if (f) {
        v.from = 110;
        v.to = 130;
        CHECK_EQ(ct_trace_cat(f, &a, &v), 4); /* steps 1, 2, the tick, step 3 */
        v.grep = "v=02";
        CHECK_EQ(ct_trace_cat(f, &a, &v), 1);
        uint8_t en[2] = {0, 1};
        v.grep = NULL;
        v.enabled = en;
        CHECK_EQ(ct_trace_cat(f, &a, &v), 1);
        fclose(f);
    }
    CHECK_EQ(ct_ts_convert(3, 3, 2), 2); /* 1 s either way */
    CHECK_EQ(ct_ts_convert(1, 4194304, 1000000000), 238);
    CHECK_EQ(ct_ts_convert(238, 1000000000, 4194304), 1);
    CHECK_EQ(ct_ts_convert(7, 0, 1000), 7);
    return test_result();
}
