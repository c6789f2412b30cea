/* ceres-trace, hosted part: what the exporters share. Field access on a
 * payload, the event source over a live ring or a loaded trace, number
 * formatting, timestamp conversion, the buffered fd writer (async-signal-
 * safe: the crash handler uses it) and the track layout. */
#include "ct_internal.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

/* ---- fields ------------------------------------------------------------ */

uint64_t ct_field_u64(const ct_event_desc *d, unsigned field, const uint8_t *payload) {
    if (field >= d->nfields) return 0;
    unsigned off = 0;
    for (unsigned i = 0; i < field; i++)
        off += ct_field_size(d->fields[i].type);
    unsigned sz = ct_field_size(d->fields[field].type);
    if (off + sz > CT_MAX_PAYLOAD) return 0;
    uint64_t v = 0;
    for (unsigned i = 0; i < sz; i++)
        v |= (uint64_t)payload[off + i] << (8 * i);
    if (d->fields[field].type == CT_T_I32) v = (uint64_t)(int64_t)(int32_t)(uint32_t)v;
    return v;
}

int ct_field_index(const ct_event_desc *d, const char *name) {
    for (unsigned i = 0; i < d->nfields && i < CT_MAX_FIELDS; i++)
        if (d->fields[i].name && !strcmp(d->fields[i].name, name)) return (int)i;
    return -1;
}

void ct__src_from_trace(ct_src *s, const ct_trace *t) {
    s->schema = &t->schema;
    s->strings = (const char *const *)t->strings;
    s->nstrings = t->nstrings;
    s->nev = t->nev;
    s->written = t->written;
    s->overwritten = t->overwritten;
    s->dropped = t->dropped;
    s->ring_bytes = t->ring_bytes;
    s->ev = t->ev;
    s->ring = NULL;
    s->first = 0;
}

void ct__src_from_recorder(ct_src *s, const ct_recorder *r) {
    ct_scan sc;
    ct__ring_scan(r, 0, &sc);
    s->schema = r->schema;
    s->strings = r->strings;
    s->nstrings = r->nstrings;
    s->nev = sc.count;
    s->written = sc.written;
    s->overwritten = sc.overwritten;
    s->dropped = sc.dropped;
    s->ring_bytes = ct_ring_bytes(&r->ring);
    s->ev = NULL;
    s->ring = &r->ring;
    s->first = sc.first;
}

/* Two digits per division, from a table. */
unsigned ct__fmt_u64(char *p, uint64_t v) {
    static const char d2[] = "00010203040506070809101112131415161718192021222324252627282930313233"
                             "34353637383940414243444546474849505152535455565758596061626364656667"
                             "6869707172737475767778798081828384858687888990919293949596979899";
    char tmp[20];
    unsigned i = 20;
    while (v >= 100) {
        unsigned k = (unsigned)(v % 100) * 2;
        v /= 100;
        tmp[--i] = d2[k + 1];
        tmp[--i] = d2[k];
    }
    if (v >= 10) {
        tmp[--i] = d2[v * 2 + 1];
        tmp[--i] = d2[v * 2];
    } else {
        tmp[--i] = (char)('0' + v);
    }
    memcpy(p, tmp + i, 20 - i);
    return 20 - i;
}

uint64_t ct__ts_ns(uint64_t ts, uint64_t hz, bool raw) {
    if (raw || hz == 0 || hz == 1000000000u) return ts;
    uint64_t q = ts / hz, rem = ts % hz;
    if (hz <= UINT64_MAX / 1000000000u) return q * 1000000000u + rem * 1000000000u / hz;
    return q * 1000000000u + (uint64_t)((long double)rem * 1e9L / (long double)hz);
}

/* ---- buffered fd writer ------------------------------------------------ */

void ct__wbuf_init(ct_wbuf *w, int fd, uint8_t *buf, size_t cap) {
    w->fd = fd;
    w->err = 0;
    w->n = 0;
    w->cap = cap;
    w->total = 0;
    w->buf = buf;
    w->sink = NULL;
    w->sink_ctx = NULL;
}

void ct__wbuf_flush(ct_wbuf *w) {
    if (w->sink) {
        if (!w->err && w->n) w->err = w->sink(w->sink_ctx, w->buf, w->n);
        w->total += w->n;
        w->n = 0;
        return;
    }
    size_t done = 0;
    while (!w->err && done < w->n) {
        ssize_t k = write(w->fd, w->buf + done, w->n - done);
        if (k > 0) {
            done += (size_t)k;
        } else if (k == 0) {
            w->err = -EIO;
        } else if (errno != EINTR) {
            w->err = -errno;
        }
    }
    w->total += done;
    w->n = 0;
}

void ct__wbuf_put(ct_wbuf *w, const void *p, size_t n) {
    const uint8_t *s = p;
    while (n) {
        if (w->n == w->cap) ct__wbuf_flush(w);
        size_t k = w->cap - w->n < n ? w->cap - w->n : n;
        memcpy(w->buf + w->n, s, k);
        w->n += k;
        s += k;
        n -= k;
    }
}

void ct__tracks_build(const ct_schema *s, ct_tracks *out) {
    out->n = 0;
    const uint32_t ne = s->nevents < CT_MAX_EVENTS ? s->nevents : CT_MAX_EVENTS;
    for (uint32_t i = 0; i < ne; i++) {
        const ct_event_desc *d = &s->events[i];
        unsigned tt = 0;
        while (tt < out->n &&
               !(out->t[tt].parent == UINT16_MAX && !strcmp(out->t[tt].target, d->target)))
            tt++;
        if (tt == out->n) {
            out->t[tt].parent = UINT16_MAX;
            out->t[tt].event = -1;
            out->t[tt].target = d->target;
            out->n++;
        }
        out->of_event[i] = (uint16_t)tt;
        if (d->kind == CT_STEP || d->kind == CT_COUNTER) {
            unsigned c = out->n++;
            out->t[c].parent = (uint16_t)tt;
            out->t[c].event = (int16_t)i;
            out->t[c].target = d->target;
            out->of_event[i] = (uint16_t)c;
        }
    }
}
