/* ct_recorder_reset: a recorder emptied for a new run is the recorder
 * ct_recorder_create would give (no records, counters at zero, every event
 * off, no hooks, no window, no stop, no interned strings), on the same ring
 * memory; what the next run records reads back alone, with one ring and
 * with several. */
#include "check.h"
#include "test_schema.h"

#include <stdio.h>
#include <string.h>

static unsigned hook_calls;
static void count_hook(void *ctx, uint16_t id, uint64_t ts, const uint8_t *p, unsigned plen) {
    (void)ctx, (void)id, (void)ts, (void)p, (void)plen;
    hook_calls++;
}

/* Records i = first..first+n-1: an EXEC with pc = i, every 5th an IRQ. */
static void fill(ct_recorder *r, uint64_t first, uint64_t n) {
    for (uint64_t i = first; i < first + n; i++) {
        ts_emit_EXEC(r, r->flags[ts_ev_EXEC], i, (uint16_t)i, 1);
        if (i % 5 == 0) ts_emit_IRQ(r, r->flags[ts_ev_IRQ], i, (uint16_t)i);
    }
}

static void check_reset(const char *spec) {
    char err[256];
    ct_recorder *r = ct_recorder_create_spec(&ts_schema, spec, CT_OVERWRITE, err, sizeof err);
    CHECK(r != NULL);
    if (!r) return;
    const unsigned nrings = r->nrings;
    uint64_t *mem[CT_MAX_RINGS];
    uint8_t ring_of[CT_MAX_EVENTS];
    for (unsigned k = 0; k < nrings; k++)
        mem[k] = r->rings[k]->words;
    memcpy(ring_of, r->ring_of, sizeof ring_of);
    const uint64_t bytes = ct_recorder_bytes(r);

    /* A first run that wraps the ring, with a hook, a string, a window and
     * a stop. */
    CHECK_EQ(ct_filter_apply(r, "trace", err, sizeof err), 0);
    fill(r, 0, 300000);
    CHECK_EQ(ct_intern(r, "first run"), 0);
    CHECK_EQ(ct_recorder_add_hook(r, count_hook, NULL), 0);
    ct_recorder_window(r, 10, 20);
    ct_recorder_stop_after(r, 1000);
    CHECK(ct_recorder_written(r) > 300000);

    ct_recorder_reset(r);
    CHECK_EQ(ct_recorder_written(r), 0);
    CHECK_EQ(r->nhooks, 0);
    CHECK_EQ(r->nstrings, 0);
    CHECK_EQ(r->stop_after, 0);
    CHECK_EQ(r->rec_lo, 0);
    CHECK_EQ(r->rec_span, ~(uint64_t)0);
    for (unsigned i = 0; i < ts_ev_count; i++)
        CHECK_EQ(r->flags[i], 0);
    CHECK_EQ(r->nrings, nrings);
    CHECK_EQ(ct_recorder_bytes(r), bytes);
    for (unsigned k = 0; k < nrings; k++)
        CHECK(r->rings[k]->words == mem[k]); /* the same memory */
    CHECK(!memcmp(r->ring_of, ring_of, sizeof ring_of));
    ct_trace *t = NULL;
    CHECK_EQ(ct_trace_from_recorder(r, &t), 0);
    if (t) CHECK_EQ(t->nev, 0);
    ct_trace_free(t);

    /* The next run reads back alone, exactly. */
    CHECK_EQ(ct_filter_apply(r, "trace", err, sizeof err), 0);
    hook_calls = 0;
    fill(r, 1000, 500);
    CHECK_EQ(hook_calls, 0);
    CHECK_EQ(ct_intern(r, "second run"), 0);
    CHECK_EQ(ct_trace_from_recorder(r, &t), 0);
    if (t) {
        CHECK_EQ(t->nev, 600);
        CHECK_EQ(t->written, 600);
        uint64_t exec = 0;
        for (uint64_t k = 0; k < t->nev; k++) {
            const ct_event *e = &t->ev[k];
            CHECK(e->ts >= 1000 && e->ts < 1500);
            if (e->id == ts_ev_EXEC) CHECK_EQ(e->ts, 1000 + exec++);
        }
        CHECK_EQ(exec, 500);
        if (t->nev) CHECK_EQ(t->ev[0].ts, 1000);
    }
    ct_trace_free(t);
    ct_recorder_destroy(r);
}

int main(void) {
    check_reset("256K");
    check_reset("cpu.exec=192K,rest=64K");
    return test_result();
}
