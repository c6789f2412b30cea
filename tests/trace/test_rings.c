/* Several rings by data class: ring specs (a class of its own for the
 * events at debug level and above, by target, by event), records merged by timestamp in the order
 * they were written (ties included) in every reader, and a flood that cannot evict the rare class.
 */
#include "check.h"
#include "test_schema.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Emit event i of a deterministic mix through the flags the trace points
 * use (ring bits included); `ts` repeats in groups of `tie` so that many
 * records share a stamp across rings. */
static void emit(ct_recorder *r, uint64_t i, uint64_t tie, uint16_t *id) {
    const uint64_t ts = i / tie;
    switch (i % 7) {
    case 0: ts_emit_IRQ(r, r->flags[ts_ev_IRQ], ts, (uint16_t)i), *id = ts_ev_IRQ; break;
    case 3: ts_emit_LY(r, r->flags[ts_ev_LY], ts, (uint8_t)i), *id = ts_ev_LY; break;
    case 5:
        ts_emit_READ(r, r->flags[ts_ev_READ], ts, (uint16_t)i, (uint8_t)i, 7), *id = ts_ev_READ;
        break;
    default:
        ts_emit_EXEC(r, r->flags[ts_ev_EXEC], ts, (uint16_t)i, (uint8_t)(i >> 8));
        *id = ts_ev_EXEC;
    }
}

/* The trace holds exactly records first..n-1 of the mix, in write order. */
static void check_order(const ct_trace *t, uint64_t first, uint64_t n, uint64_t tie) {
    CHECK_EQ(t->nev, n - first);
    for (uint64_t k = 0; k < t->nev; k++) {
        const uint64_t i = first + k;
        const ct_event *e = &t->ev[k];
        uint16_t want = i % 7 == 0   ? ts_ev_IRQ
                        : i % 7 == 3 ? ts_ev_LY
                        : i % 7 == 5 ? ts_ev_READ
                                     : ts_ev_EXEC;
        if (e->id != want || e->ts != i / tie) {
            printf("record %llu: id %u ts %llu, want id %u ts %llu\n", (unsigned long long)i, e->id,
                   (unsigned long long)e->ts, want, (unsigned long long)(i / tie));
            CHECK(false);
            return;
        }
    }
}

static void check_class_split(void) {
    char err[256];
    ct_recorder *r =
        ct_recorder_create_spec(&ts_schema, "rest=896K,debug=128K", CT_OVERWRITE, err, sizeof err);
    CHECK(r && r->nrings == 2);
    if (!r) return;
    CHECK(ct_recorder_bytes(r) <= (1u << 20) && ct_recorder_bytes(r) * 10 >= (9u << 20) / 1);
    CHECK(ct_ring_bytes(&r->ring) > ct_ring_bytes(r->rings[1]) * 6);
    CHECK_EQ(r->ring_of[ts_ev_EXEC], 0);
    CHECK_EQ(r->ring_of[ts_ev_READ], 0);
    CHECK_EQ(r->ring_of[ts_ev_IRQ], 1);
    CHECK_EQ(r->ring_of[ts_ev_NOTE], 1);
    CHECK_EQ(r->ring_of[ts_ev_BLOB], 1);
    ct_filter_apply(r, "trace", err, sizeof err);
    CHECK_EQ(r->flags[ts_ev_EXEC], CT_ON); /* the plain path, as with one ring */
    CHECK_EQ(r->flags[ts_ev_IRQ], CT_ON | CT_SLOW | 1u << CT_RING_SHIFT);
    /* A flood of the trace-level class after a few interrupts: the
     * interrupts stay (with one ring they were overwritten long ago). */
    for (uint64_t i = 0; i < 10; i++)
        ts_emit_IRQ(r, r->flags[ts_ev_IRQ], i, (uint16_t)i);
    for (uint64_t i = 0; i < 2000000; i++)
        ts_emit_EXEC(r, r->flags[ts_ev_EXEC], 100 + i, (uint16_t)i, 0);
    ct_trace *t;
    CHECK_EQ(ct_trace_from_recorder(r, &t), 0);
    if (t) {
        CHECK(t->nev > 10);
        CHECK_EQ(t->ev[0].id, ts_ev_IRQ);
        CHECK_EQ(t->ev[9].id, ts_ev_IRQ);
        CHECK_EQ(t->ev[9].ts, 9);
        CHECK_EQ(t->ev[10].id, ts_ev_EXEC);
        CHECK_EQ(t->ev[t->nev - 1].ts, 100 + 2000000 - 1);
        CHECK_EQ(t->written, 2000010);
        CHECK_EQ(t->written, t->nev + t->overwritten);
        CHECK_EQ(t->ring_bytes, ct_recorder_bytes(r));
        ct_trace_free(t);
    }
    ct_recorder_destroy(r);
    /* A plain size is one ring. */
    r = ct_recorder_create(&ts_schema, 4u << 20, 0, CT_OVERWRITE, err, sizeof err);
    CHECK(r && r->nrings == 1);
    ct_recorder_destroy(r);
}

/* Merged in write order, stamps tied across rings in groups of `tie`, in
 * the snapshot, the .ctrace dump (read back) and the crash handler's. */
static void check_merge(const char *spec, uint64_t n, uint64_t tie, bool wraps) {
    char err[256];
    ct_recorder *r = ct_recorder_create_spec(&ts_schema, spec, CT_OVERWRITE, err, sizeof err);
    CHECK(r != NULL);
    if (!r) {
        printf("%s: %s\n", spec, err);
        return;
    }
    ct_filter_apply(r, "trace", err, sizeof err);
    uint16_t id;
    for (uint64_t i = 0; i < n; i++)
        emit(r, i, tie, &id);
    ct_trace *t;
    CHECK_EQ(ct_trace_from_recorder(r, &t), 0);
    if (!t) return;
    printf("%s: %llu of %llu records kept\n", spec, (unsigned long long)t->nev,
           (unsigned long long)n);
    if (!wraps) {
        check_order(t, 0, n, tie);
    } else {
        /* Each class keeps its own window; all of them merged in order. */
        CHECK(t->nev < n);
        uint64_t prev = 0;
        for (uint64_t k = 0; k < t->nev; k++) {
            CHECK(t->ev[k].ts >= prev);
            prev = t->ev[k].ts;
        }
    }
    char path[64];
    snprintf(path, sizeof path, "/tmp/ceres-rings-%d.ctrace", (int)getpid());
    ct_dump_opts o = {.format = CT_FMT_CTRACE};
    CHECK_EQ(ct_dump(r, path, &o), 0);
    ct_trace *f;
    CHECK_EQ(ct_trace_load(path, &f, err, sizeof err), 0);
    if (f) {
        CHECK_EQ(f->nev, t->nev);
        CHECK_EQ(f->ring_bytes, ct_recorder_bytes(r));
        for (uint64_t k = 0; k < f->nev && k < t->nev; k++)
            if (f->ev[k].id != t->ev[k].id || f->ev[k].ts != t->ev[k].ts ||
                memcmp(f->ev[k].payload, t->ev[k].payload,
                       ts_events[t->ev[k].id % ts_ev_count].payload_bytes)) {
                CHECK_EQ(k, f->nev);
                break;
            }
        ct_trace_free(f);
    }
    unlink(path);
    ct_trace_free(t);
    ct_recorder_destroy(r);
}

static void check_specs(void) {
    char err[256];
    ct_recorder *r =
        ct_recorder_create_spec(&ts_schema, "cpu=64K,rest=32K", CT_OVERWRITE, err, sizeof err);
    CHECK(r && r->nrings == 2);
    if (r) {
        CHECK_EQ(r->ring_of[ts_ev_EXEC], 0);
        CHECK_EQ(r->ring_of[ts_ev_IRQ], 0);
        CHECK_EQ(r->ring_of[ts_ev_RETI], 0);
        CHECK_EQ(r->ring_of[ts_ev_READ], 1);
        CHECK_EQ(r->ring_of[ts_ev_NOTE], 1);
        CHECK(ct_recorder_bytes(r) <= 96u << 10 && ct_recorder_bytes(r) * 10 >= (96u << 10) * 9);
        ct_recorder_destroy(r);
    }
    r = ct_recorder_create_spec(&ts_schema, "cpu.irq=20K,debug=32K,warn=20K,rest=64K", CT_OVERWRITE,
                                err, sizeof err);
    CHECK(r && r->nrings == 4);
    if (r) {
        /* rest takes the trace-level flood, so it is ring 0 (the plain
         * path's); the others follow in their order. */
        CHECK_EQ(r->ring_of[ts_ev_EXEC], 0); /* trace: rest */
        CHECK_EQ(r->ring_of[ts_ev_READ], 0);
        CHECK_EQ(r->ring_of[ts_ev_IRQ], 1);  /* by name */
        CHECK_EQ(r->ring_of[ts_ev_RETI], 2); /* debug */
        CHECK_EQ(r->ring_of[ts_ev_LY], 2);
        CHECK_EQ(r->ring_of[ts_ev_NOTE], 2); /* info: debug takes it */
        CHECK_EQ(r->ring_of[ts_ev_BLOB], 3); /* warn: the most selective level */
        CHECK_EQ(r->flags[ts_ev_EXEC], 0);   /* no filter applied yet */
        CHECK(ct_ring_bytes(&r->ring) > ct_ring_bytes(r->rings[3]) * 2);
        ct_recorder_destroy(r);
    }
    /* Without rest, the others go to the first ring. */
    r = ct_recorder_create_spec(&ts_schema, "debug=32K,mem=20K", CT_OVERWRITE, err, sizeof err);
    CHECK(r && r->nrings == 2);
    if (r) {
        CHECK_EQ(r->ring_of[ts_ev_READ], 1);
        CHECK_EQ(r->ring_of[ts_ev_EXEC], 0);
        CHECK_EQ(r->ring_of[ts_ev_IRQ], 0);
        ct_recorder_destroy(r);
    }
    const char *bad[] = {"cpu=4M,nothing=1M", "cpu=",
                         "=4M,rest=1M",       "cpu=4M,rest",
                         "a=1M,b=1M",         "cpu=1M,mem=1M,ppu=1M,big=1M,rest=1M",
                         "cpu=4K,rest=1M",    "cpu=100ev,rest=1M"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = 0;
        r = ct_recorder_create_spec(&ts_schema, bad[i], CT_OVERWRITE, err, sizeof err);
        CHECK(r == NULL);
        CHECK(err[0] != 0);
        if (r) {
            printf("accepted: %s\n", bad[i]);
            ct_recorder_destroy(r);
        }
    }
    /* A plain size is one ring. */
    r = ct_recorder_create_spec(&ts_schema, "4M", CT_OVERWRITE, err, sizeof err);
    CHECK(r && r->nrings == 1 && ct_recorder_bytes(r) <= (4u << 20));
    ct_recorder_destroy(r);
}

/* Selectors joined by '+' share a ring; all=SIZE is one ring; the rings
 * are described with their real sizes. */
static void check_joined(void) {
    char err[256], d[512];
    ct_recorder *r = ct_recorder_create_spec(&ts_schema, "rest=256K,ppu.ly+mem.read=64K,debug=64K",
                                             CT_OVERWRITE, err, sizeof err);
    CHECK(r && r->nrings == 3);
    if (r) {
        CHECK_EQ(r->ring_of[ts_ev_EXEC], 0);
        CHECK_EQ(r->ring_of[ts_ev_READ], 1); /* joined: the event beats its level */
        CHECK_EQ(r->ring_of[ts_ev_LY], 1);
        CHECK_EQ(r->ring_of[ts_ev_IRQ], 2);
        CHECK_EQ(r->ring_of[ts_ev_NOTE], 2);
        ct_recorder_describe(r, d, sizeof d);
        char want[128];
        snprintf(want, sizeof want,
                 "3 rings of %llu bytes: %llu (cpu.exec), %llu (mem.read ppu.ly)",
                 (unsigned long long)ct_recorder_bytes(r),
                 (unsigned long long)ct_ring_bytes(r->rings[0]),
                 (unsigned long long)ct_ring_bytes(r->rings[1]));
        CHECK(!strncmp(d, want, strlen(want)));
        CHECK(strstr(d, "(cpu.irq cpu.reti test.note big.blob)") != NULL);
        if (strncmp(d, want, strlen(want))) printf("describe: %s\nwant: %s\n", d, want);
        ct_recorder_destroy(r);
    }
    r = ct_recorder_create_spec(&ts_schema, "all=1M", CT_OVERWRITE, err, sizeof err);
    CHECK(r && r->nrings == 1 && ct_recorder_bytes(r) <= (1u << 20));
    if (r) {
        ct_recorder_describe(r, d, sizeof d);
        CHECK(!strncmp(d, "one ring of ", 12));
        ct_recorder_destroy(r);
    }
    r = ct_recorder_create_spec(&ts_schema, "all=5000ev", CT_OVERWRITE, err, sizeof err);
    CHECK(r && r->nrings == 1);
    ct_recorder_destroy(r);
    const char *bad[] = {"rest=1M,+mem=64K", "rest=1M,mem+=64K", "rest=1M,mem+nothing=64K",
                         "all=1M,debug=64K"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = 0;
        r = ct_recorder_create_spec(&ts_schema, bad[i], CT_OVERWRITE, err, sizeof err);
        CHECK(r == NULL && err[0] != 0);
        if (r) {
            printf("accepted: %s\n", bad[i]);
            ct_recorder_destroy(r);
        }
    }
}

/* A start trigger's history (--pre N, ct_recorder_keep_last) keeps the last
 * N records of each ring: the flood's ring cannot spend the rare ring's. */
static void check_keep_last(void) {
    char err[256];
    ct_recorder *r =
        ct_recorder_create_spec(&ts_schema, "rest=256K,debug=64K", CT_OVERWRITE, err, sizeof err);
    CHECK(r != NULL);
    if (!r) return;
    ct_filter_apply(r, "trace", err, sizeof err);
    for (uint64_t i = 0; i < 50; i++)
        ts_emit_IRQ(r, r->flags[ts_ev_IRQ], i, (uint16_t)i);
    for (uint64_t i = 0; i < 5000; i++)
        ts_emit_EXEC(r, r->flags[ts_ev_EXEC], 50 + i, (uint16_t)i, 0);
    ct_recorder_keep_last(r, 20); /* the trigger fires here */
    ts_emit_IRQ(r, r->flags[ts_ev_IRQ], 6000, 1);
    ts_emit_EXEC(r, r->flags[ts_ev_EXEC], 6001, 1, 0);
    ct_trace *t;
    CHECK_EQ(ct_trace_from_recorder(r, &t), 0);
    if (t) {
        CHECK_EQ(t->nev, 20 + 20 + 2);
        unsigned irq = 0, exec = 0;
        for (uint64_t k = 0; k < t->nev; k++) {
            irq += t->ev[k].id == ts_ev_IRQ;
            exec += t->ev[k].id == ts_ev_EXEC;
        }
        CHECK_EQ(irq, 21);
        CHECK_EQ(exec, 21);
        CHECK_EQ(t->ev[0].id, ts_ev_IRQ);
        CHECK_EQ(t->ev[0].ts, 30); /* the 20 last interrupts before the start */
        CHECK_EQ(t->ev[20].ts, 50 + 5000 - 20);
        ct_trace_free(t);
    }
    ct_recorder_destroy(r);
}

int main(void) {
    check_class_split();
    check_joined();
    check_keep_last();
    check_specs();
    check_merge("debug=256K,rest=256K", 20000, 1, false);
    check_merge("cpu=256K,rest=256K", 20000, 300, false); /* ties across rings */
    check_merge("cpu.exec=512K,cpu.irq=64K,mem=128K,rest=256K", 20000, 50, false);
    check_merge("rest=14M,debug=2M", 200000, 1000, false);
    check_merge("cpu=32K,rest=32K", 200000, 3, true);
    return test_result();
}
