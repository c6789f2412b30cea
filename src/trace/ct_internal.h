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
    uint64_t first, count;
    uint64_t written, overwritten, dropped;
} ct_scan;
void ct__ring_scan(const ct_recorder *r, unsigned safety, ct_scan *out);
/* Words of the record at `off` if it is well formed for the schema, else 0. */
unsigned ct__rec_ok(const ct_recorder *r, uint64_t off);

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
    const ct_event *ev;  /* a trace's events, or NULL to read the ring */
    const ct_ring *ring; /* with the offset of the first record to read */
    uint64_t first;
} ct_src;
typedef struct ct_src_it {
    uint64_t i, off;
    ct_event tmp;
} ct_src_it;
void ct__src_from_trace(ct_src *s, const ct_trace *t);
void ct__src_from_recorder(ct_src *s, const ct_recorder *r);
static inline void ct__src_begin(const ct_src *s, ct_src_it *it) {
    it->i = 0;
    it->off = s->first;
}
/* The next event, oldest first, or NULL at the end. */
static inline const ct_event *ct__src_next(const ct_src *s, ct_src_it *it) {
    if (it->i >= s->nev) return NULL;
    if (s->ev) return &s->ev[it->i++];
    it->tmp.id = ct_ring_read(s->ring, it->off, &it->tmp.ts, it->tmp.payload);
    it->off += ct_ring_rec_words(s->ring, it->off);
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
