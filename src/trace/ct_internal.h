/* ceres-trace internals shared by the hosted files of src/trace: ring scans,
 * timestamp conversion, a buffered fd writer and the exporters. Not part of
 * the public API. */
#ifndef CERES_CT_INTERNAL_H
#define CERES_CT_INTERNAL_H

/* The hosted files use POSIX.1-2008 (open with O_CLOEXEC, strdup,
 * posix_memalign): asked for here, before any system header, so they build
 * with -std=c11 whatever flags the build system passes. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include "ct_host.h"

/* Where the readable records of a ring are: `first` is the offset of the
 * first record to keep, `count` how many to keep, and the statistics as they
 * appear in a dump (written == count + overwritten in both modes). Walks the
 * ring without writing anything: async-signal-safe. */
typedef struct ct_scan {
    uint64_t count;                         /* records kept, all rings */
    uint64_t written, overwritten, dropped; /* all rings */
    unsigned nrings;
    struct {
        uint64_t first, count;
    } ring[CT_MAX_RINGS];
} ct_scan;
void ct__ring_scan(const ct_recorder *r, unsigned safety, ct_scan *out);
/* Words of the record at `off` of ring `g` if it is well formed for the
 * schema, else 0. */
unsigned ct__rec_ok(const ct_recorder *r, const ct_ring *g, uint64_t off);
/* Memory of all the recorder's rings, in bytes. */
uint64_t ct__recorder_bytes(const ct_recorder *r);

/* The kept records of every ring, merged by timestamp (oldest first; on
 * equal stamps in the order they were written: see ct_record_other). No
 * allocation: async-signal-safe. */
typedef struct ct_merge {
    unsigned n;
    struct {
        const ct_ring *g;
        uint64_t off, left;
    } c[CT_MAX_RINGS];
} ct_merge;
static inline void ct__merge_begin(ct_merge *m, const ct_recorder *r, const ct_scan *sc) {
    m->n = sc->nrings;
    for (unsigned k = 0; k < m->n; k++) {
        m->c[k].g = r->rings[k];
        m->c[k].off = sc->ring[k].first;
        m->c[k].left = sc->ring[k].count;
    }
}
/* Of two records with the same stamp, whether the one of ring `a` (its
 * order bits, or its offset in ring 0: `ta`) was written before the one of
 * ring `b` (`tb`): a record of another ring carries ring 0's head when it
 * was written; two records of other rings between the same two of ring 0's
 * keep the rings' order. */
static inline bool ct__merge_before(unsigned a, uint16_t ta, unsigned b, uint16_t tb) {
    const int16_t d = (int16_t)(uint16_t)(ta - tb);
    if (a && b) return d < 0 || (d == 0 && a < b);
    if (a) return d <= 0; /* b is ring 0's record at offset tb */
    return d < 0;         /* a is ring 0's record at offset ta */
}
static inline uint16_t ct__merge_tag(const ct_merge *m, unsigned k) {
    return k ? ct__order_of(ct_ring_word(m->c[k].g, m->c[k].off)) : (uint16_t)m->c[0].off;
}
/* The ring and offset of the next record; false at the end. */
static inline bool ct__merge_next(ct_merge *m, const ct_ring **g, uint64_t *off) {
    int best = -1;
    uint64_t bts = 0;
    for (unsigned k = 0; k < m->n; k++) {
        if (!m->c[k].left) continue;
        const uint64_t ts = ct_ring_ts(m->c[k].g, m->c[k].off);
        if (best < 0 || ts < bts ||
            (ts == bts && ct__merge_before(k, ct__merge_tag(m, k), (unsigned)best,
                                           ct__merge_tag(m, (unsigned)best))))
            best = (int)k, bts = ts;
    }
    if (best < 0) return false;
    *g = m->c[best].g;
    *off = m->c[best].off;
    m->c[best].off += ct_ring_rec_words(*g, *off);
    m->c[best].left--;
    return true;
}

/* Timestamp in nanoseconds (exact integer math for ts_hz < 1.8e10) or raw
 * ticks. */
uint64_t ct__ts_ns(uint64_t ts, uint64_t hz, bool raw);

/* Buffered writer over a file descriptor: write(2) only, no allocation, so
 * the crash handler can use it too. The first error sticks in `err` (a
 * negative errno) and later writes are skipped. */
typedef struct ct_wbuf {
    int fd;
    int err;
    size_t n, cap;
    uint64_t total; /* bytes handed to write(2) so far */
    uint8_t *buf;
    /* Hosted users may send full buffers elsewhere (e.g. a compressor)
     * instead of write(2); returns 0 or -errno. */
    int (*sink)(void *ctx, const uint8_t *p, size_t n);
    void *sink_ctx;
} ct_wbuf;
void ct__wbuf_init(ct_wbuf *w, int fd, uint8_t *buf, size_t cap);
void ct__wbuf_flush(ct_wbuf *w);
void ct__wbuf_put(ct_wbuf *w, const void *p, size_t n);
/* Make room for `n` bytes (n <= cap) and return where to write them; the
 * caller then adds what it wrote to w->n. */
static inline uint8_t *ct__wbuf_reserve(ct_wbuf *w, size_t n) {
    if (w->cap - w->n < n) ct__wbuf_flush(w);
    return w->buf + w->n;
}
#define CT_WBUF_HOSTED (1u << 20)

/* What the exporters read: the events of a loaded/snapshot trace, or the
 * records of a live ring read in place (a dump needs no copy of the ring). */
typedef struct ct_src {
    const ct_schema *schema;
    const char *const *strings;
    uint32_t nstrings;
    uint64_t nev, written, overwritten, dropped, ring_bytes;
    const ct_event *ev; /* a trace's events, or NULL to read the rings */
    ct_merge rings;     /* where the rings' kept records start */
} ct_src;
typedef struct ct_src_it {
    uint64_t i;
    ct_merge m;
    ct_event tmp;
} ct_src_it;
void ct__src_from_trace(ct_src *s, const ct_trace *t);
void ct__src_from_recorder(ct_src *s, const ct_recorder *r);
static inline void ct__src_begin(const ct_src *s, ct_src_it *it) {
    it->i = 0;
    it->m = s->rings;
}
/* The next event, oldest first (the rings merged by timestamp), or NULL at
 * the end. */
static inline const ct_event *ct__src_next(const ct_src *s, ct_src_it *it) {
    if (it->i >= s->nev) return NULL;
    if (s->ev) return &s->ev[it->i++];
    const ct_ring *g;
    uint64_t off;
    if (!ct__merge_next(&it->m, &g, &off)) return NULL;
    it->tmp.id = ct_ring_read(g, off, &it->tmp.ts, it->tmp.payload);
    it->i++;
    return &it->tmp;
}
static inline const char *ct__src_string(const ct_src *s, uint64_t idx) {
    return idx < s->nstrings && s->strings[idx] ? s->strings[idx] : NULL;
}

/* Exporters, writing to a wbuf. Return 0 or -errno. */
int ct__write_perfetto(const ct_src *t, ct_wbuf *w, const ct_dump_opts *o);
int ct__write_json(const ct_src *t, ct_wbuf *w, const ct_dump_opts *o);
int ct__write_log(const ct_src *t, ct_wbuf *w, const ct_dump_opts *o);
int ct__write_ctrace(const ct_trace *t, ct_wbuf *w);
/* .ctrace straight from the ring (async-signal-safe); `safety` as for
 * ct_ring_first(). */
int ct__dump_ctrace_ring(const ct_recorder *r, int fd, unsigned safety);

/* Reader for .perfetto-trace files written by ct__write_perfetto. */
int ct__parse_perfetto(const uint8_t *buf, size_t len, ct_trace **out, char *err, size_t errlen);

/* Track layout shared by the exporters: one track per target (in schema
 * order), and a child track of its target for every CT_STEP event (steps
 * tile time, so they cannot nest with the target's spans) and every
 * CT_COUNTER event (a counter track). */
#define CT_MAX_TRACKS (2 * CT_MAX_EVENTS)
typedef struct ct_tracks {
    unsigned n;
    uint16_t of_event[CT_MAX_EVENTS];
    struct {
        uint16_t parent; /* index of the target track, or UINT16_MAX for a target track */
        int16_t event;   /* the step/counter event of a child track, else -1 */
        const char *target;
    } t[CT_MAX_TRACKS];
} ct_tracks;
void ct__tracks_build(const ct_schema *s, ct_tracks *out);

/* Field value helpers for exporters. */
static inline bool ct__is_signed(uint8_t type) {
    return type == CT_T_I32;
}

/* Decimal formatting without stdio: writes into p, returns the length. */
unsigned ct__fmt_u64(char *p, uint64_t v);

#endif
