/* Ring sizes, wrap, event bounds, overwrite vs discard, counters. */
#include "check.h"
#include "test_schema.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

static void emit_mixed(ct_recorder *r, uint64_t i) {
    /* Records of 2, 3 and 5 words. */
    switch (i % 3) {
    case 0: ts_emit_EXEC(r, ct_recorder_flag(r), i, (uint16_t)i, (uint8_t)(i >> 3)); break;
    case 1:
        ts_emit_READ(r, ct_recorder_flag(r), i, (uint16_t)i, (uint8_t)i, (uint16_t)(i * 7));
        break;
    default: ts_emit_BLOB(r, ct_recorder_flag(r), i, i, ~i, i * 3, (uint32_t)i); break;
    }
}

static void check_sizes(void) {
    uint64_t bytes, events;
    char err[256];
    CHECK_EQ(ct_parse_size("4M", &bytes, &events, err, sizeof err), 0);
    CHECK_EQ(bytes, 4u << 20);
    CHECK_EQ(events, 0);
    CHECK_EQ(ct_parse_size("512K", &bytes, &events, err, sizeof err), 0);
    CHECK_EQ(bytes, 512u << 10);
    CHECK_EQ(ct_parse_size("1G", &bytes, &events, err, sizeof err), 0);
    CHECK_EQ(bytes, 1u << 30);
    CHECK_EQ(ct_parse_size("65536", &bytes, &events, err, sizeof err), 0);
    CHECK_EQ(bytes, 65536);
    CHECK_EQ(ct_parse_size("200000ev", &bytes, &events, err, sizeof err), 0);
    CHECK_EQ(bytes, 0);
    CHECK_EQ(events, 200000);
    CHECK_EQ(ct_parse_size("0", &bytes, &events, err, sizeof err), 0);
    CHECK_EQ(bytes, 0);
    CHECK_EQ(events, 0);
    const char *bad[] = {
        "", "M", "4X", "-1", "4 M", "1.5M", "ev", "99999999999999999999", "17179869184G"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = 0;
        CHECK(ct_parse_size(bad[i], &bytes, &events, err, sizeof err) < 0);
        CHECK(err[0] != 0);
    }

    /* The budget is honest: memory never above the byte bound, and the
     * largest ring that fits, so it uses all but a few bytes of it (a
     * power-of-two ring used to buy 50-100 %: 4M gave 2.1 MB). */
    const uint64_t sizes[] = {ct_ring_mem_bytes(2048), 20000,    65536,          100000,
                              (1u << 20) + 1,          3u << 20, (4u << 20) - 1, 4u << 20,
                              (64u << 20) + 12345,     1u << 30};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        ct_recorder *r = ct_recorder_create(&ts_schema, sizes[i], 0, CT_OVERWRITE, err, sizeof err);
        CHECK(r != NULL);
        if (!r) continue;
        uint64_t cap = r->ring.cap, used = ct_recorder_bytes(r);
        CHECK_EQ(r->nrings, 1);
        CHECK(used <= sizes[i]);
        CHECK(used * 10 >= sizes[i] * 9);
        CHECK(sizes[i] - used < 24 * r->nrings);
        if (r->nrings == 1) {
            CHECK_EQ(used, ct_ring_mem_bytes(cap));
            CHECK(ct_ring_mem_bytes(cap + 1) > sizes[i]);
        }
        ct_recorder_destroy(r);
    }
    CHECK_EQ(ct_ring_words_for_bytes(ct_ring_mem_bytes(2048) - 1), 0);
    CHECK_EQ(ct_ring_words_for_bytes(ct_ring_mem_bytes(2048)), 2048);
    /* Too small for a readable ring: refused with a message. */
    err[0] = 0;
    CHECK(ct_recorder_create(&ts_schema, 4096, 0, CT_OVERWRITE, err, sizeof err) == NULL);
    CHECK(strstr(err, "too small") != NULL);
    CHECK(ct_recorder_create(&ts_schema, 0, 0, CT_OVERWRITE, err, sizeof err) == NULL);
}

/* After wrapping, the snapshot is a contiguous run ending at the newest
 * record, and the counters add up. */
static void check_wrap_bytes(ct_mode mode) {
    char err[256];
    ct_recorder *r = ct_recorder_create(&ts_schema, 64 << 10, 0, mode, err, sizeof err);
    CHECK(r != NULL);
    if (!r) return;
    memset(r->flags, 1, sizeof r->flags);
    const uint64_t n = 100000;
    for (uint64_t i = 0; i < n; i++)
        emit_mixed(r, i);
    ct_trace *t;
    CHECK_EQ(ct_trace_from_recorder(r, &t), 0);
    uint64_t cap = r->ring.cap;
    CHECK(t->nev > 0);
    /* 10/3 words per record on average: at least (cap - one chunk) worth. */
    CHECK(t->nev * 10 / 3 >= cap - 512 - 5);
    CHECK(t->nev * 10 / 3 <= cap);
    for (uint64_t i = 0; i < t->nev; i++) {
        uint64_t want = mode == CT_OVERWRITE ? n - t->nev + i : i;
        if (t->ev[i].ts != want) {
            CHECK_EQ(t->ev[i].ts, want);
            break;
        }
        CHECK_EQ(t->ev[i].id, (uint16_t)(want % 3 == 0   ? ts_ev_EXEC
                                         : want % 3 == 1 ? ts_ev_READ
                                                         : ts_ev_BLOB));
        if (want % 3 == 2) {
            const ct_event_desc *d = &ts_events[ts_ev_BLOB];
            CHECK_EQ(ct_field_u64(d, 0, t->ev[i].payload), want);
            CHECK(ct_field_u64(d, 1, t->ev[i].payload) == ~want);
            CHECK_EQ(ct_field_u64(d, 3, t->ev[i].payload), (uint32_t)want);
        }
    }
    CHECK_EQ(t->written, t->nev + t->overwritten);
    if (mode == CT_OVERWRITE) {
        CHECK_EQ(t->written, n);
        CHECK_EQ(t->dropped, 0);
    } else {
        CHECK_EQ(t->overwritten, 0);
        CHECK_EQ(t->written + t->dropped, n);
        CHECK_EQ(ct_ring_written(&r->ring), t->nev);
    }
    CHECK_EQ(t->ring_bytes, ct_ring_mem_bytes(cap));
    ct_trace_free(t);
    ct_recorder_destroy(r);
}

static long minor_faults(void) {
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return u.ru_minflt;
}

/* Creating a ring touches none of its pages: a 256 MiB ring costs a few
 * page faults at start, not one per page (65536), and writing a few
 * thousand records faults in only the pages they reach. */
static void check_lazy_pages(void) {
    char err[256];
    long f0 = minor_faults();
    ct_recorder *r = ct_recorder_create(&ts_schema, 256u << 20, 0, CT_OVERWRITE, err, sizeof err);
    long f1 = minor_faults();
    CHECK(r != NULL);
    if (!r) return;
    printf("lazy: 256 MiB ring created with %ld page faults\n", f1 - f0);
    CHECK(f1 - f0 < 64);
    memset(r->flags, 1, sizeof r->flags);
    for (uint64_t i = 0; i < 3000; i++)
        emit_mixed(r, i); /* 10000 words, 80 KB: 20 small pages or one huge page */
    long f2 = minor_faults();
    printf("lazy: 3000 records written with %ld page faults\n", f2 - f1);
    CHECK(f2 - f1 < 64);
    ct_trace *t;
    CHECK_EQ(ct_trace_from_recorder(r, &t), 0);
    CHECK(t && t->nev == 3000 && t->ev[2999].ts == 2999);
    ct_trace_free(t);
    ct_recorder_destroy(r);
}

/* A ring over memory that was never cleared (stale sync entries, stale
 * records from an earlier use) reads back exactly what was written in
 * this run, wrapped or not, after init and after a reset. */
static void check_dirty_memory(void) {
    const uint64_t words = 4096;
    const size_t bytes = ct_ring_mem_bytes(words);
    uint64_t *mem = malloc(bytes);
    CHECK(mem != NULL);
    if (!mem) return;
    memset(mem, 0xA5, bytes);
    ct_recorder r;
    ct_recorder_init(&r, &ts_schema, mem, words, CT_OVERWRITE, 0);
    memset(r.flags, 1, sizeof r.flags);
    const uint64_t runs[] = {700, 5000, 300, 20000};
    for (size_t k = 0; k < sizeof runs / sizeof runs[0]; k++) {
        if (k) ct_ring_reset(&r.ring);
        for (uint64_t i = 0; i < runs[k]; i++)
            emit_mixed(&r, i);
        ct_trace *t;
        CHECK_EQ(ct_trace_from_recorder(&r, &t), 0);
        if (!t) continue;
        CHECK(t->nev > 0 && t->nev <= runs[k]);
        CHECK_EQ(t->written, runs[k]);
        if (runs[k] * 4 < words) CHECK_EQ(t->nev, runs[k]);
        for (uint64_t i = 0; i < t->nev; i++)
            if (t->ev[i].ts != runs[k] - t->nev + i) {
                CHECK_EQ(t->ev[i].ts, runs[k] - t->nev + i);
                break;
            }
        ct_trace_free(t);
    }
    free(mem);
}

/* With an event bound, readers keep exactly the last (first) N. */
static void check_event_bound(ct_mode mode, uint64_t bound, uint64_t n) {
    char err[256];
    ct_recorder *r = ct_recorder_create(&ts_schema, 0, bound, mode, err, sizeof err);
    CHECK(r != NULL);
    if (!r) return;
    memset(r->flags, 1, sizeof r->flags);
    for (uint64_t i = 0; i < n; i++)
        emit_mixed(r, i);
    ct_trace *t;
    CHECK_EQ(ct_trace_from_recorder(r, &t), 0);
    uint64_t keep = n < bound ? n : bound;
    CHECK_EQ(t->nev, keep);
    uint64_t first = mode == CT_OVERWRITE ? n - keep : 0;
    for (uint64_t i = 0; i < t->nev; i++)
        if (t->ev[i].ts != first + i) {
            CHECK_EQ(t->ev[i].ts, first + i);
            break;
        }
    if (mode == CT_OVERWRITE) {
        CHECK_EQ(t->written, n);
        CHECK_EQ(t->overwritten, n - keep);
        CHECK_EQ(t->dropped, 0);
    } else {
        CHECK_EQ(t->written, keep);
        CHECK_EQ(t->dropped, n - keep);
    }
    ct_trace_free(t);
    ct_recorder_destroy(r);
}

/* Disabled events and a closed recording gate record nothing. */
static void check_gates(void) {
    char err[256];
    ct_recorder *r = ct_recorder_create(&ts_schema, 1 << 20, 0, CT_OVERWRITE, err, sizeof err);
    CHECK(r != NULL);
    if (!r) return;
    CT_EMIT(r->flags, r, ts_, EXEC, 1, 0x100, 0);
    CHECK_EQ(ct_ring_written(&r->ring), 0);
    CHECK_EQ(ct_filter_apply(r, "cpu.exec", err, sizeof err), 0);
    CT_EMIT(r->flags, r, ts_, EXEC, 2, 0x100, 0);
    CT_EMIT(r->flags, r, ts_, READ, 3, 0x100, 0, 0);
    CHECK_EQ(ct_ring_written(&r->ring), 1);
    ct_recorder_pause(r);
    CT_EMIT(r->flags, r, ts_, EXEC, 4, 0x101, 0);
    CHECK_EQ(ct_ring_written(&r->ring), 1);
    /* Interning is stable and deduplicates. */
    uint32_t a = ct_intern(r, "alpha"), b = ct_intern(r, "beta");
    CHECK(a != b);
    CHECK_EQ(ct_intern(r, "alpha"), a);
    CHECK(!strcmp(r->strings[b], "beta"));
    ct_recorder_destroy(r);
}

/* A start trigger's history limit: records numbered below keep_from are
 * left out of snapshots and dumps. */
static void check_keep_from(ct_mode mode, uint64_t n, uint64_t keep_from, uint64_t bound) {
    char err[256];
    ct_recorder *r = bound ? ct_recorder_create(&ts_schema, 0, bound, mode, err, sizeof err)
                           : ct_recorder_create(&ts_schema, 64 << 10, 0, mode, err, sizeof err);
    CHECK(r != NULL);
    if (!r) return;
    memset(r->flags, 1, sizeof r->flags);
    for (uint64_t i = 0; i < n; i++)
        emit_mixed(r, i);
    r->ring.keep_from = keep_from;
    ct_trace *t;
    CHECK_EQ(ct_trace_from_recorder(r, &t), 0);
    CHECK(t->nev > 0);
    if (t->nev) {
        CHECK(t->ev[0].ts >= keep_from);
        if (mode == CT_OVERWRITE) CHECK_EQ(t->ev[t->nev - 1].ts, n - 1);
        for (uint64_t i = 1; i < t->nev; i++)
            if (t->ev[i].ts != t->ev[i - 1].ts + 1) {
                CHECK_EQ(t->ev[i].ts, t->ev[i - 1].ts + 1);
                break;
            }
    }
    uint64_t want = n - keep_from;
    if (bound && bound < want) want = bound;
    if (n - keep_from <= 1000) CHECK_EQ(t->nev, want);
    if (n - keep_from <= 1000 && t->nev && mode == CT_DISCARD) CHECK_EQ(t->ev[0].ts, keep_from);
    if (bound) CHECK(t->nev <= bound);
    CHECK_EQ(t->written, t->nev + t->overwritten);
    ct_trace_free(t);
    ct_recorder_destroy(r);
}

/* Record i of the compact test: an EXEC (3 payload bytes: 1 word without
 * the timestamp word) or a READ (5 bytes: 2 words), compact or plain. */
static void put_either(ct_recorder *r, uint64_t i, uint64_t ts, bool compact) {
    uint64_t w[2] = {0, 0};
    const bool exec = i % 3 != 0;
    const uint16_t id = exec ? ts_ev_EXEC : ts_ev_READ;
    ct__put_field(w, 0, (uint16_t)(i * 5), 2);
    ct__put_field(w, 2, (uint8_t)(i >> 2), 1);
    if (!exec) ct__put_field(w, 3, (uint16_t)~i, 2);
    const unsigned plen = exec ? 3 : 5;
    if (compact)
        ct__ring_put_compact(&r->ring, id, ts, w, plen);
    else
        ct__ring_put(&r->ring, id, ts, w, plen);
}

/* Records without their timestamp word (ct__ring_put_compact, what the
 * emulator's cpu.exec records are on the fast path): written next to the
 * same records in their plain form into a ring of the same size that
 * wraps many times, with gaps longer than the 16-bit delta (those records
 * keep their timestamp word), they read back as the same events, the ring
 * holds more of them, and a .ctrace written straight from the ring (the
 * crash handler's path) holds them in the file's one form. */
static void check_compact(void) {
    char err[256];
    ct_recorder *c = ct_recorder_create(&ts_schema, 64 << 10, 0, CT_OVERWRITE, err, sizeof err);
    ct_recorder *p = ct_recorder_create(&ts_schema, 64 << 10, 0, CT_OVERWRITE, err, sizeof err);
    CHECK(c && p);
    if (!c || !p) return;
    memset(c->flags, 1, sizeof c->flags);
    memset(p->flags, 1, sizeof p->flags);
    uint64_t ts = 1000;
    for (uint64_t i = 0; i < 200000; i++) {
        ts += i % 997 == 0 ? 65530 + i % 11 : 4 + i % 21; /* now and then a long gap */
        put_either(c, i, ts, true);
        put_either(p, i, ts, false);
    }
    CHECK(ct_ring_head(&c->ring) * 10 < ct_ring_head(&p->ring) * 7);
    /* Both forms are in the ring. */
    uint64_t nots = 0, full = 0;
    for (uint64_t off = ct_ring_first(&c->ring, 0); off < ct_ring_head(&c->ring);
         off += ct_ring_rec_words(&c->ring, off)) {
        if (ct_ring_word(&c->ring, off) & CT_REC_NOTS)
            nots++;
        else
            full++;
    }
    CHECK(nots > 1000);
    CHECK(full > 0);
    ct_trace *tc = NULL, *tp = NULL, *tf = NULL;
    CHECK_EQ(ct_trace_from_recorder(c, &tc), 0);
    CHECK_EQ(ct_trace_from_recorder(p, &tp), 0);
    const char *tmp = getenv("TMPDIR");
    char path[512];
    snprintf(path, sizeof path, "%s/ceres-ring-test-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    CHECK_EQ(ct_dump_ctrace_fd(c, fd), 0);
    close(fd);
    CHECK_EQ(ct_trace_load(path, &tf, err, sizeof err), 0);
    unlink(path);
    if (tc && tp && tf) {
        CHECK(tc->nev * 10 > tp->nev * 13); /* 1.4x the events here */
        CHECK_EQ(tc->written, tp->written);
        CHECK_EQ(tc->written, tc->nev + tc->overwritten);
        /* The plain ring's events are the compact one's newest. */
        uint64_t bad = 0;
        for (uint64_t i = 0; i < tp->nev; i++) {
            const ct_event *a = &tc->ev[tc->nev - tp->nev + i], *b = &tp->ev[i];
            bad += a->ts != b->ts || a->id != b->id ||
                   memcmp(a->payload, b->payload, ts_events[b->id].payload_bytes);
        }
        CHECK_EQ(bad, 0);
        /* The file (one form, its own reader) holds the ring's newest
         * events (a wrapped ring's dump skips one more chunk at the old
         * end: the crash may have hit a write there). */
        CHECK(tf->nev <= tc->nev && tf->nev + 512 >= tc->nev);
        for (uint64_t i = 0; i < tf->nev && tf->nev <= tc->nev; i++) {
            const ct_event *a = &tc->ev[tc->nev - tf->nev + i], *b = &tf->ev[i];
            if (a->ts != b->ts || a->id != b->id ||
                memcmp(a->payload, b->payload, ts_events[a->id].payload_bytes)) {
                CHECK_EQ(b->ts, a->ts);
                break;
            }
        }
    }
    ct_trace_free(tc);
    ct_trace_free(tp);
    ct_trace_free(tf);
    ct_recorder_destroy(c);
    ct_recorder_destroy(p);
}

int main(void) {
    check_compact();
    check_sizes();
    check_wrap_bytes(CT_OVERWRITE);
    check_wrap_bytes(CT_DISCARD);
    check_event_bound(CT_OVERWRITE, 1000, 5000);
    check_event_bound(CT_OVERWRITE, 1000, 999);
    check_event_bound(CT_OVERWRITE, 1, 100);
    check_event_bound(CT_OVERWRITE, 200000, 1000000);
    check_event_bound(CT_DISCARD, 1000, 5000);
    check_event_bound(CT_DISCARD, 1000, 10);
    check_gates();
    check_lazy_pages();
    check_dirty_memory();
    check_keep_from(CT_OVERWRITE, 100, 60, 0);
    check_keep_from(CT_OVERWRITE, 100000, 99990, 0);
    check_keep_from(CT_OVERWRITE, 100000, 99000, 500);
    check_keep_from(CT_OVERWRITE, 100000, 0, 0);
    check_keep_from(CT_DISCARD, 1000, 600, 0);
    return test_result();
}
