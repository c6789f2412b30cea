/* The native .ctrace format: what the crash handler writes, what `ceres
 * trace` reads back. All integers little-endian:
 *
 * (docs/ctrace-format.md is the full description, for writing a reader.)
 *
 *   magic      8 bytes  89 'C' 'T' 'R' 'A' 'C' 'E' 0A
 *   version    u32      2 (1: the same without ts_unit; still read)
 *   flags      u32      bit 0: the ring was in discard mode
 *   ts_hz      u64      timestamp ticks per second
 *   written, overwritten, dropped, ring_bytes   u64 each (ring statistics)
 *   nrecords   u64
 *   nwords     u64      total words of the records
 *   nevents    u32, nstrings u32
 *   schema name          str (u32 length + bytes)
 *   ts_unit              str: what one tick is called ("" = unnamed)
 *   nevents x { level u8, kind u8, nfields u8, payload_bytes u8,
 *               target str, name str, nfields x { type u8, name str } }
 *   nstrings x str       interned strings (CT_T_STR values index these)
 *   records              nwords u64 words in the ring's record layout (ct.h)
 *
 * The writer from the ring uses write(2) only and a small stack buffer, so it
 * runs in signal handlers. The reader treats the file as untrusted. */
#include "ct_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CTRACE_VERSION 2u
static const uint8_t magic[8] = {0x89, 'C', 'T', 'R', 'A', 'C', 'E', 0x0A};

/* ---- writing (async-signal-safe) --------------------------------------- */

static void put_u8(ct_wbuf *w, uint8_t v) {
    uint8_t *p = ct__wbuf_reserve(w, 1);
    p[0] = v;
    w->n++;
}

static void put_le(ct_wbuf *w, uint64_t v, unsigned bytes) {
    uint8_t *p = ct__wbuf_reserve(w, 8);
    for (unsigned i = 0; i < bytes; i++)
        p[i] = (uint8_t)(v >> (8 * i));
    w->n += bytes;
}

static size_t slen(const char *s) {
    size_t n = 0;
    while (s && s[n])
        n++;
    return n;
}

static void put_str(ct_wbuf *w, const char *s) {
    size_t n = slen(s);
    if (n > UINT32_MAX) n = UINT32_MAX;
    put_le(w, n, 4);
    ct__wbuf_put(w, s ? s : "", n);
}

static void put_header(ct_wbuf *w, const ct_schema *s, const char *const *strings,
                       uint32_t nstrings, bool discard, const uint64_t stats[4], uint64_t nrec,
                       uint64_t nwords) {
    ct__wbuf_put(w, magic, sizeof magic);
    put_le(w, CTRACE_VERSION, 4);
    put_le(w, discard ? 1 : 0, 4);
    put_le(w, s->ts_hz, 8);
    for (int i = 0; i < 4; i++)
        put_le(w, stats[i], 8);
    put_le(w, nrec, 8);
    put_le(w, nwords, 8);
    put_le(w, s->nevents, 4);
    put_le(w, nstrings, 4);
    put_str(w, s->name);
    put_str(w, s->ts_unit);
    for (uint32_t i = 0; i < s->nevents; i++) {
        const ct_event_desc *d = &s->events[i];
        put_u8(w, d->level);
        put_u8(w, d->kind);
        put_u8(w, d->nfields);
        put_u8(w, d->payload_bytes);
        put_str(w, d->target);
        put_str(w, d->name);
        for (unsigned f = 0; f < d->nfields; f++) {
            put_u8(w, d->fields[f].type);
            put_str(w, d->fields[f].name);
        }
    }
    for (uint32_t i = 0; i < nstrings; i++)
        put_str(w, strings[i]);
}

int ct__dump_ctrace_ring(const ct_recorder *r, int fd, unsigned safety) {
    uint8_t buf[2048];
    ct_wbuf w;
    ct__wbuf_init(&w, fd, buf, sizeof buf);
    ct_scan sc;
    ct__ring_scan(r, safety, &sc);
    uint64_t nwords = 0;
    for (unsigned k = 0; k < sc.nrings; k++) {
        uint64_t off = sc.ring[k].first;
        for (uint64_t i = 0; i < sc.ring[k].count; i++) {
            nwords += ct_rec_file_words(ct_ring_word(r->rings[k], off));
            off += ct_ring_rec_words(r->rings[k], off);
        }
    }
    const uint64_t stats[4] = {sc.written, sc.overwritten, sc.dropped, ct__recorder_bytes(r)};
    put_header(&w, r->schema, r->strings, r->nstrings, r->ring.mode == CT_DISCARD, stats, sc.count,
               nwords);
    /* The records of every ring, merged by timestamp. */
    ct_merge m;
    ct__merge_begin(&m, r, &sc);
    const ct_ring *g;
    uint64_t off;
    while (ct__merge_next(&m, &g, &off)) {
        /* In the file's form: without the order bits (only meaningful in
         * the ring), with the timestamp word. */
        const uint64_t w0 = ct_ring_file_word0(g, off);
        const unsigned n = (unsigned)((w0 >> 16) & 0xFF);
        put_le(&w, w0, 8);
        for (unsigned k = 1; k < n; k++)
            put_le(&w, ct_ring_file_word(g, off, k), 8);
    }
    ct__wbuf_flush(&w);
    return w.err;
}

int ct_dump_ctrace_fd(const ct_recorder *r, int fd) {
    /* The interrupted write may have been overwriting the oldest chunk. */
    bool wrapped = false;
    for (unsigned k = 0; k < r->nrings; k++)
        wrapped = wrapped || ct_ring_head(r->rings[k]) > r->rings[k]->cap;
    return ct__dump_ctrace_ring(r, fd, wrapped ? 1 : 0);
}

int ct__write_ctrace(const ct_trace *t, ct_wbuf *w) {
    const ct_schema *s = &t->schema;
    uint64_t nwords = 0;
    for (uint64_t i = 0; i < t->nev; i++)
        nwords += ct_rec_words(s->events[t->ev[i].id].payload_bytes);
    const uint64_t stats[4] = {t->written, t->overwritten, t->dropped, t->ring_bytes};
    put_header(w, s, (const char *const *)t->strings, t->nstrings, false, stats, t->nev, nwords);
    for (uint64_t i = 0; i < t->nev; i++) {
        const ct_event *e = &t->ev[i];
        unsigned pb = s->events[e->id].payload_bytes, n = ct_rec_words(pb);
        uint64_t w0 = e->id | (uint64_t)n << 16;
        for (unsigned b = 0; b < 4 && b < pb; b++)
            w0 |= (uint64_t)e->payload[b] << (32 + 8 * b);
        put_le(w, w0, 8);
        put_le(w, e->ts, 8);
        for (unsigned k = 2; k < n; k++) {
            uint64_t v = 0;
            for (unsigned b = 0; b < 8; b++) {
                unsigned at = 4 + (k - 2) * 8 + b;
                if (at < pb) v |= (uint64_t)e->payload[at] << (8 * b);
            }
            put_le(w, v, 8);
        }
    }
    return w->err;
}

/* ---- reading (untrusted input) ----------------------------------------- */

typedef struct rd {
    const uint8_t *p;
    size_t n, at;
    bool bad;
} rd;

static uint64_t get_le(rd *r, unsigned bytes) {
    if (r->bad || r->n - r->at < bytes) {
        r->bad = true;
        return 0;
    }
    uint64_t v = 0;
    for (unsigned i = 0; i < bytes; i++)
        v |= (uint64_t)r->p[r->at + i] << (8 * i);
    r->at += bytes;
    return v;
}

#define CTRACE_MAX_STR (1u << 20)

static char *get_str(rd *r) {
    uint64_t n = get_le(r, 4);
    if (r->bad || n > CTRACE_MAX_STR || r->n - r->at < n) {
        r->bad = true;
        return NULL;
    }
    char *s = malloc(n + 1);
    if (!s) {
        r->bad = true;
        return NULL;
    }
    memcpy(s, r->p + r->at, n);
    s[n] = '\0';
    r->at += n;
    return s;
}

static int parse_ctrace(const uint8_t *buf, size_t len, ct_trace **out, char *err, size_t errlen) {
    rd r = {buf, len, 0, false};
    ct_trace *t = calloc(1, sizeof *t);
    if (!t) return -ENOMEM;
    const char *why = "truncated";
    if (len < sizeof magic || memcmp(buf, magic, sizeof magic)) {
        why = "not a .ctrace file (bad magic)";
        goto bad;
    }
    r.at = sizeof magic;
    const uint64_t version = get_le(&r, 4);
    if (version != 1 && version != CTRACE_VERSION) {
        why = "unsupported .ctrace version";
        goto bad;
    }
    get_le(&r, 4); /* flags */
    t->schema.ts_hz = get_le(&r, 8);
    t->written = get_le(&r, 8);
    t->overwritten = get_le(&r, 8);
    t->dropped = get_le(&r, 8);
    t->ring_bytes = get_le(&r, 8);
    uint64_t nrec = get_le(&r, 8), nwords = get_le(&r, 8);
    uint64_t nevents = get_le(&r, 4), nstrings = get_le(&r, 4);
    if (r.bad) goto bad;
    if (nevents == 0 || nevents > CT_MAX_EVENTS) {
        why = "bad event count";
        goto bad;
    }
    t->events_desc = calloc(nevents, sizeof *t->events_desc);
    if (!t->events_desc) goto oom;
    t->schema.nevents = (uint32_t)nevents;
    t->schema.events = t->events_desc;
    t->schema.name = get_str(&r);
    if (version >= 2 && !r.bad) {
        /* The unit lives in the name's allocation, after its NUL, so the
         * trace frees it with the name. */
        char *unit = get_str(&r);
        if (unit && *unit) {
            size_t a = strlen(t->schema.name), b = strlen(unit);
            char *both = realloc((char *)t->schema.name, a + 1 + b + 1);
            if (!both) {
                free(unit);
                goto oom;
            }
            memcpy(both + a + 1, unit, b + 1);
            t->schema.name = both;
            t->schema.ts_unit = both + a + 1;
        }
        free(unit);
    }
    for (uint32_t i = 0; i < nevents && !r.bad; i++) {
        ct_event_desc *d = &t->events_desc[i];
        d->level = (uint8_t)get_le(&r, 1);
        d->kind = (uint8_t)get_le(&r, 1);
        d->nfields = (uint8_t)get_le(&r, 1);
        d->payload_bytes = (uint8_t)get_le(&r, 1);
        d->target = get_str(&r);
        d->name = get_str(&r);
        if (r.bad) break;
        if (d->level > CT_LVL_TRACE || d->kind > CT_STEP || d->nfields > CT_MAX_FIELDS) {
            why = "bad event descriptor";
            d->nfields = 0;
            goto bad;
        }
        unsigned sum = 0;
        for (unsigned f = 0; f < d->nfields; f++) {
            d->fields[f].type = (uint8_t)get_le(&r, 1);
            d->fields[f].name = get_str(&r);
            sum += ct_field_size(d->fields[f].type);
            if (!ct_field_size(d->fields[f].type)) r.bad = true;
        }
        if (!r.bad && (sum != d->payload_bytes || sum > CT_MAX_PAYLOAD)) {
            why = "bad event descriptor";
            goto bad;
        }
    }
    if (r.bad) goto bad;
    if (nstrings > (r.n - r.at) / 4) goto bad;
    t->strings = calloc(nstrings ? nstrings : 1, sizeof *t->strings);
    if (!t->strings) goto oom;
    for (uint32_t i = 0; i < nstrings && !r.bad; i++) {
        t->strings[i] = get_str(&r);
        if (!r.bad) t->nstrings = i + 1;
    }
    if (r.bad) goto bad;
    if (nwords > (r.n - r.at) / 8 || nrec > nwords / 2) goto bad;
    t->ev = malloc((nrec ? nrec : 1) * sizeof *t->ev);
    if (!t->ev) goto oom;
    uint64_t used = 0;
    for (uint64_t i = 0; i < nrec; i++) {
        uint64_t w0 = get_le(&r, 8);
        unsigned id = (unsigned)(w0 & 0xFFFF), n = (unsigned)((w0 >> 16) & 0xFF);
        if (id >= nevents || n != ct_rec_words(t->events_desc[id].payload_bytes) ||
            used + n > nwords) {
            why = "bad record";
            goto bad;
        }
        ct_event *e = &t->ev[i];
        memset(e->payload, 0, sizeof e->payload);
        e->id = (uint16_t)id;
        e->ts = get_le(&r, 8);
        for (unsigned b = 0; b < 4; b++)
            e->payload[b] = (uint8_t)(w0 >> (32 + 8 * b));
        for (unsigned k = 2; k < n; k++) {
            uint64_t v = get_le(&r, 8);
            for (unsigned b = 0; b < 8; b++)
                if (4 + (k - 2) * 8 + b < CT_MAX_PAYLOAD)
                    e->payload[4 + (k - 2) * 8 + b] = (uint8_t)(v >> (8 * b));
        }
        used += n;
        t->nev = i + 1;
    }
    if (r.bad || used != nwords) goto bad;
    *out = t;
    return 0;
oom:
    ct_trace_free(t);
    ct_errf(err, errlen, "out of memory");
    return -ENOMEM;
bad:
    ct_errf(err, errlen, "malformed .ctrace: %s (at byte %zu)", why, r.at);
    ct_trace_free(t);
    return -EINVAL;
}

int ct_trace_load(const char *path, ct_trace **out, char *err, size_t errlen) {
    *out = NULL;
    /* The type first, from the file's first bytes, before reading it all:
     * only a regular file, only a format Ceres writes. */
    uint8_t head[16];
    size_t hn;
    int rc = ct_read_head(path, head, sizeof head, &hn);
    if (!rc && !(hn >= sizeof magic && !memcmp(head, magic, sizeof magic)) &&
        !(hn > 0 && head[0] == 0x0A)) {
        ct_errf(err, errlen, "%s: not a trace file written by Ceres", path);
        return -EINVAL;
    }
    uint8_t *buf = NULL;
    size_t len = 0;
    if (!rc) rc = ct_read_file(path, CT_TRACE_FILE_MAX, &buf, &len);
    if (rc) {
        ct_errf(err, errlen, "%s: %s", path, ct_file_strerror(rc));
        return rc;
    }
    if (len >= sizeof magic && !memcmp(buf, magic, sizeof magic)) {
        rc = parse_ctrace(buf, len, out, err, errlen);
    } else if (len > 0 && buf[0] == 0x0A) {
        rc = ct__parse_perfetto(buf, len, out, err, errlen);
    } else {
        ct_errf(err, errlen, "%s: not a trace file written by Ceres", path);
        rc = -EINVAL;
    }
    free(buf);
    return rc;
}
