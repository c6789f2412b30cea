/* .perfetto-trace export: Perfetto's protobuf trace format, written by hand
 * (a varint writer and the few messages we need; field numbers from
 * perfetto_trace.proto).
 *
 * Layout of a dump, all on one packet sequence:
 *   1. a packet that clears the sequence's incremental state and carries a
 *      ClockSnapshot defining clock 64 as incremental (each event packet's
 *      timestamp is a delta from the previous one: 1-3 bytes instead of 9),
 *      TracePacketDefaults selecting clock 64, and InternedData with every
 *      event name and field name, so events carry small ids;
 *   2. one TrackDescriptor per target, per step event and per counter event
 *      (written at every dump, so a wrapped ring still names its tracks);
 *   2b. one TraceStats packet: the ring's statistics (events written,
 *      overwritten, dropped as BufferStats chunks_written / overwritten /
 *      discarded, the ring's bytes as buffer_size);
 *   3. one TrackEvent packet per event: type, name id, track, and the fields
 *      as debug annotations with interned names (counters too, besides their
 *      value, so that perfetto_read.c can rebuild every event).
 * The event packets (about 35 bytes for a 3-field event) are deflated in
 * chunks of whole packets, each chunk one TracePacket.compressed_packets
 * (under the 512 KB Perfetto allows), unless opts->uncompressed. */
#include "ct_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* Field numbers. */
enum {
    TRACE_PACKET = 1,
    TP_CLOCK_SNAPSHOT = 6,
    TP_TIMESTAMP = 8,
    TP_SEQ_ID = 10,
    TP_TRACK_EVENT = 11,
    TP_INTERNED_DATA = 12,
    TP_SEQUENCE_FLAGS = 13,
    TP_TIMESTAMP_CLOCK_ID = 58,
    TP_DEFAULTS = 59,
    TP_TRACK_DESCRIPTOR = 60,
    TP_TRACE_STATS = 35,
    TS_BUFFER_STATS = 1,
    BS_CHUNKS_WRITTEN = 2,
    BS_CHUNKS_OVERWRITTEN = 3,
    BS_BUFFER_SIZE = 12,
    BS_CHUNKS_DISCARDED = 18,
    TP_COMPRESSED_PACKETS = 50,
    CS_CLOCKS = 1,
    CLK_ID = 1,
    CLK_TIMESTAMP = 2,
    CLK_INCREMENTAL = 3,
    DEF_TIMESTAMP_CLOCK_ID = 58,
    ID_EVENT_NAMES = 2,
    ID_ANNOTATION_NAMES = 3,
    NAME_IID = 1,
    NAME_NAME = 2,
    TD_UUID = 1,
    TD_NAME = 2,
    TD_PARENT = 5,
    TD_COUNTER = 8,
    TE_ANNOTATIONS = 4,
    TE_TYPE = 9,
    TE_NAME_IID = 10,
    TE_TRACK_UUID = 11,
    TE_COUNTER_VALUE = 30,
    DA_NAME_IID = 1,
    DA_BOOL = 2,
    DA_UINT = 3,
    DA_INT = 4,
    DA_STRING = 6,
};
enum { WT_VARINT = 0, WT_LEN = 2 };
enum { TYPE_SLICE_BEGIN = 1, TYPE_SLICE_END = 2, TYPE_INSTANT = 3, TYPE_COUNTER = 4 };
enum { SEQ_INCREMENTAL_STATE_CLEARED = 1 };
#define SEQ_ID     1u
#define CLOCK_INCR 64u /* sequence-scoped clock ids are 64..127 */
#define CLOCK_BOOT 6u  /* BUILTIN_CLOCK_BOOTTIME, the default trace clock */

/* ---- varint writer ----------------------------------------------------- */

static inline unsigned vlen(uint64_t v) {
    unsigned n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

static inline uint8_t *pvar(uint8_t *p, uint64_t v) {
    while (v >= 0x80) {
        *p++ = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    *p++ = (uint8_t)v;
    return p;
}

static inline uint8_t *ptag(uint8_t *p, unsigned field, unsigned wt) {
    return pvar(p, (uint64_t)field << 3 | wt);
}

static inline unsigned taglen(unsigned field) {
    return vlen((uint64_t)field << 3);
}

/* A varint field: tag + value. */
static inline uint8_t *pfv(uint8_t *p, unsigned field, uint64_t v) {
    return pvar(ptag(p, field, WT_VARINT), v);
}
static inline unsigned fvlen(unsigned field, uint64_t v) {
    return taglen(field) + vlen(v);
}

/* A length-delimited field's header. */
static inline uint8_t *pfl(uint8_t *p, unsigned field, uint64_t len) {
    return pvar(ptag(p, field, WT_LEN), len);
}
static inline uint64_t flen(unsigned field, uint64_t len) {
    return taglen(field) + vlen(len) + len;
}

static void put_raw(ct_wbuf *w, uint8_t *start, uint8_t *end) {
    w->n += (size_t)(end - start);
}

/* Small messages built in a scratch buffer first (names are bounded by
 * the caller, so they fit). */
typedef struct msg {
    uint8_t *b;
    size_t n, cap;
    bool oom;
} msg;

static void m_need(msg *m, size_t k) {
    if (m->oom || m->cap - m->n >= k) return;
    size_t cap = m->cap ? m->cap : 256;
    while (cap - m->n < k)
        cap *= 2;
    uint8_t *nb = realloc(m->b, cap);
    if (!nb) {
        m->oom = true;
        return;
    }
    m->b = nb;
    m->cap = cap;
}
static void m_var(msg *m, unsigned field, uint64_t v) {
    m_need(m, 20);
    if (!m->oom) m->n = (size_t)(pfv(m->b + m->n, field, v) - m->b);
}
static void m_bytes(msg *m, unsigned field, const void *p, size_t len) {
    m_need(m, 20 + len);
    if (m->oom) return;
    m->n = (size_t)(pfl(m->b + m->n, field, len) - m->b);
    if (len) memcpy(m->b + m->n, p, len);
    m->n += len;
}
static void m_str(msg *m, unsigned field, const char *s) {
    m_bytes(m, field, s, strlen(s));
}
static void m_sub(msg *m, unsigned field, const msg *sub) {
    m_bytes(m, field, sub->b, sub->n);
}

/* ---- export ------------------------------------------------------------ */

/* Uncompressed bytes per compressed_packets chunk, and slack so that a
 * packet started in a chunk never makes the buffer flush halfway. */
#define CHUNK       (256u << 10)
#define CHUNK_SLACK 256u

typedef struct pctx {
    const ct_src *t;
    ct_wbuf *w;    /* the file */
    ct_wbuf chunk; /* event packets waiting to be compressed (cap 0: none) */
    z_stream z;
    uint8_t *zout;
    size_t zcap;
    ct_tracks tr;
    uint32_t ann_base[CT_MAX_EVENTS]; /* interned field-name ids: ann_base[id] + field + 1 */
    uint64_t last_ns;
    bool raw;
} pctx;

/* Value part of a debug annotation for field f (without the name). */
typedef struct aval {
    unsigned field; /* DA_* */
    uint64_t v;
    const char *s;
    size_t slen;
} aval;

static aval annotation_value(const pctx *c, const ct_event_desc *d, unsigned f,
                             const uint8_t *payload) {
    aval a = {DA_UINT, ct_field_u64(d, f, payload), NULL, 0};
    switch (d->fields[f].type) {
    case CT_T_I32: a.field = DA_INT; break;
    case CT_T_BOOL: a.field = DA_BOOL; break;
    case CT_T_STR:
        a.field = DA_STRING;
        a.s = ct__src_string(c->t, a.v);
        if (!a.s) a.s = "?";
        a.slen = strlen(a.s);
        break;
    default: break;
    }
    return a;
}

static inline unsigned aval_len(const aval *a) {
    return a->s ? (unsigned)flen(a->field, a->slen) : fvlen(a->field, a->v);
}

/* One TrackEvent packet. nf: how many fields become annotations. */
static void event_packet(pctx *c, uint64_t ts, unsigned type, unsigned name_iid, unsigned track,
                         const ct_event_desc *d, unsigned id, const uint8_t *payload, unsigned nf,
                         bool counter) {
    ct_wbuf *w = c->w;
    uint64_t ns = ct__ts_ns(ts, c->t->schema->ts_hz, c->raw);
    if (ns < c->last_ns) ns = c->last_ns; /* keep deltas non-negative */
    uint64_t delta = ns - c->last_ns;
    c->last_ns = ns;

    aval av[CT_MAX_FIELDS];
    unsigned alen[CT_MAX_FIELDS];
    uint64_t te = fvlen(TE_TYPE, type) + fvlen(TE_TRACK_UUID, track + 1u);
    if (name_iid) te += fvlen(TE_NAME_IID, name_iid);
    int64_t cv = 0;
    if (counter) {
        cv = (int64_t)ct_field_u64(d, 0, payload);
        te += fvlen(TE_COUNTER_VALUE, (uint64_t)cv);
    }
    for (unsigned f = 0; f < nf; f++) {
        av[f] = annotation_value(c, d, f, payload);
        alen[f] = fvlen(DA_NAME_IID, c->ann_base[id] + f + 1) + aval_len(&av[f]);
        te += flen(TE_ANNOTATIONS, alen[f]);
    }
    uint64_t pkt = fvlen(TP_TIMESTAMP, delta) + fvlen(TP_SEQ_ID, SEQ_ID) + flen(TP_TRACK_EVENT, te);
    uint64_t total = flen(TRACE_PACKET, pkt);
    if (c->chunk.cap) {
        /* Whole packets per chunk; one too big for a chunk goes out plain. */
        if (c->chunk.n + total > CHUNK) ct__wbuf_flush(&c->chunk);
        if (total <= CHUNK) w = &c->chunk;
    }

    uint8_t *p0 = ct__wbuf_reserve(w, 64), *p = p0;
    p = pfl(p, TRACE_PACKET, pkt);
    p = pfv(p, TP_TIMESTAMP, delta);
    p = pfv(p, TP_SEQ_ID, SEQ_ID);
    p = pfl(p, TP_TRACK_EVENT, te);
    p = pfv(p, TE_TYPE, type);
    if (name_iid) p = pfv(p, TE_NAME_IID, name_iid);
    p = pfv(p, TE_TRACK_UUID, track + 1u);
    if (counter) p = pfv(p, TE_COUNTER_VALUE, (uint64_t)cv);
    put_raw(w, p0, p);
    for (unsigned f = 0; f < nf; f++) {
        p0 = p = ct__wbuf_reserve(w, 48);
        p = pfl(p, TE_ANNOTATIONS, alen[f]);
        p = pfv(p, DA_NAME_IID, c->ann_base[id] + f + 1);
        if (av[f].s) {
            p = pfl(p, av[f].field, av[f].slen);
            put_raw(w, p0, p);
            ct__wbuf_put(w, av[f].s, av[f].slen);
        } else {
            p = pfv(p, av[f].field, av[f].v);
            put_raw(w, p0, p);
        }
    }
}

/* Sink of the chunk buffer: deflate whole packets into one
 * TracePacket.compressed_packets (zlib format). */
static int compress_chunk(void *ctx, const uint8_t *p, size_t n) {
    pctx *c = ctx;
    if (deflateReset(&c->z) != Z_OK) return -EIO;
    c->z.next_in = (Bytef *)p;
    c->z.avail_in = (uInt)n;
    c->z.next_out = c->zout;
    c->z.avail_out = (uInt)c->zcap;
    if (deflate(&c->z, Z_FINISH) != Z_STREAM_END) return -EIO;
    size_t zn = c->zcap - c->z.avail_out;
    uint8_t hdr[24], *h = pfl(hdr, TRACE_PACKET, flen(TP_COMPRESSED_PACKETS, zn));
    h = pfl(h, TP_COMPRESSED_PACKETS, zn);
    ct__wbuf_put(c->w, hdr, (size_t)(h - hdr));
    ct__wbuf_put(c->w, c->zout, zn);
    return c->w->err;
}

static int chunks_open(pctx *c) {
    c->zcap = deflateBound(NULL, CHUNK + CHUNK_SLACK);
    uint8_t *buf = malloc(CHUNK + CHUNK_SLACK);
    c->zout = malloc(c->zcap);
    /* Level 1: these packets repeat a lot, the fastest level already gains
     * about 6x. */
    if (!buf || !c->zout || deflateInit(&c->z, 1) != Z_OK) {
        free(buf);
        free(c->zout);
        c->zout = NULL;
        return -ENOMEM;
    }
    ct__wbuf_init(&c->chunk, -1, buf, CHUNK + CHUNK_SLACK);
    c->chunk.sink = compress_chunk;
    c->chunk.sink_ctx = c;
    return 0;
}

static int chunks_close(pctx *c) {
    if (!c->chunk.cap) return 0;
    ct__wbuf_flush(&c->chunk);
    deflateEnd(&c->z);
    free(c->chunk.buf);
    free(c->zout);
    return c->chunk.err;
}

static void put_msg_packet(ct_wbuf *w, const msg *m) {
    uint8_t hdr[16], *p = pfl(hdr, TRACE_PACKET, m->n);
    ct__wbuf_put(w, hdr, (size_t)(p - hdr));
    ct__wbuf_put(w, m->b, m->n);
}

static int write_preamble(pctx *c, uint64_t t0) {
    const ct_schema *s = c->t->schema;
    msg pk = {0}, a = {0}, b = {0}, d = {0};
    char name[512];

    /* Packet 1: clear incremental state, clocks, defaults, interned names. */
    m_var(&pk, TP_TIMESTAMP, t0);
    m_var(&pk, TP_TIMESTAMP_CLOCK_ID, CLOCK_BOOT);
    m_var(&pk, TP_SEQ_ID, SEQ_ID);
    m_var(&pk, TP_SEQUENCE_FLAGS, SEQ_INCREMENTAL_STATE_CLEARED);
    m_var(&a, CLK_ID, CLOCK_INCR);
    m_var(&a, CLK_TIMESTAMP, t0);
    m_var(&a, CLK_INCREMENTAL, 1);
    m_sub(&b, CS_CLOCKS, &a);
    a.n = 0;
    m_var(&a, CLK_ID, CLOCK_BOOT);
    m_var(&a, CLK_TIMESTAMP, t0);
    m_sub(&b, CS_CLOCKS, &a);
    m_sub(&pk, TP_CLOCK_SNAPSHOT, &b);
    a.n = b.n = 0;
    m_var(&a, DEF_TIMESTAMP_CLOCK_ID, CLOCK_INCR);
    m_sub(&pk, TP_DEFAULTS, &a);
    a.n = 0;
    uint32_t ann = 0;
    for (uint32_t i = 0; i < s->nevents; i++) {
        const ct_event_desc *e = &s->events[i];
        b.n = 0;
        m_var(&b, NAME_IID, i + 1);
        m_str(&b, NAME_NAME, e->name);
        m_sub(&a, ID_EVENT_NAMES, &b);
        c->ann_base[i] = ann;
        for (unsigned f = 0; f < e->nfields; f++) {
            b.n = 0;
            m_var(&b, NAME_IID, ++ann);
            m_str(&b, NAME_NAME, e->fields[f].name);
            m_sub(&a, ID_ANNOTATION_NAMES, &b);
        }
    }
    m_sub(&pk, TP_INTERNED_DATA, &a);
    put_msg_packet(c->w, &pk);

    /* The ring's statistics, so a reader knows what is missing: TraceStats
     * with one BufferStats where a "chunk" is one event record: written
     * (overwritten ones included), overwritten by newer ones, dropped (a
     * full ring in discard mode), and the ring's size in bytes. */
    pk.n = a.n = b.n = 0;
    m_var(&pk, TP_SEQ_ID, SEQ_ID);
    m_var(&b, BS_BUFFER_SIZE, c->t->ring_bytes);
    m_var(&b, BS_CHUNKS_WRITTEN, c->t->written);
    m_var(&b, BS_CHUNKS_OVERWRITTEN, c->t->overwritten);
    m_var(&b, BS_CHUNKS_DISCARDED, c->t->dropped);
    m_sub(&a, TS_BUFFER_STATS, &b);
    m_sub(&pk, TP_TRACE_STATS, &a);
    put_msg_packet(c->w, &pk);

    /* Track descriptors. */
    for (unsigned i = 0; i < c->tr.n; i++) {
        pk.n = a.n = d.n = 0;
        m_var(&pk, TP_TIMESTAMP, t0);
        m_var(&pk, TP_TIMESTAMP_CLOCK_ID, CLOCK_BOOT);
        m_var(&pk, TP_SEQ_ID, SEQ_ID);
        m_var(&a, TD_UUID, i + 1);
        if (c->tr.t[i].event >= 0) {
            snprintf(name, sizeof name, "%s.%s", c->tr.t[i].target,
                     s->events[c->tr.t[i].event].name);
            m_var(&a, TD_PARENT, c->tr.t[i].parent + 1u);
        } else {
            snprintf(name, sizeof name, "%s", c->tr.t[i].target);
        }
        m_str(&a, TD_NAME, name);
        if (c->tr.t[i].event >= 0 && s->events[c->tr.t[i].event].kind == CT_COUNTER)
            m_sub(&a, TD_COUNTER, &d); /* empty CounterDescriptor */
        m_sub(&pk, TP_TRACK_DESCRIPTOR, &a);
        put_msg_packet(c->w, &pk);
    }
    bool oom = pk.oom || a.oom || b.oom || d.oom;
    free(pk.b);
    free(a.b);
    free(b.b);
    free(d.b);
    return oom ? -ENOMEM : 0;
}

int ct__write_perfetto(const ct_src *t, ct_wbuf *w, const ct_dump_opts *o) {
    pctx *c = calloc(1, sizeof *c);
    if (!c) return -ENOMEM;
    c->t = t;
    c->w = w;
    c->raw = o->raw_cycles;
    ct__tracks_build(t->schema, &c->tr);
    const ct_schema *s = t->schema;
    ct_src_it it;
    ct__src_begin(t, &it);
    const ct_event *e = ct__src_next(t, &it);
    uint64_t t0 = e ? ct__ts_ns(e->ts, s->ts_hz, c->raw) : 0;
    c->last_ns = t0;
    int err = write_preamble(c, t0);
    if (!err && !o->uncompressed) err = chunks_open(c);
    uint32_t depth[CT_MAX_TRACKS] = {0};
    uint8_t step_open[CT_MAX_EVENTS] = {0};
    uint64_t last_ts = 0;
    ct__src_begin(t, &it);
    while (!err && !w->err && (e = ct__src_next(t, &it)) != NULL) {
        const ct_event_desc *d = &s->events[e->id];
        unsigned track = c->tr.of_event[e->id], nf = d->nfields;
        last_ts = e->ts;
        switch (d->kind) {
        case CT_BEGIN:
            depth[track]++;
            event_packet(c, e->ts, TYPE_SLICE_BEGIN, e->id + 1u, track, d, e->id, e->payload, nf,
                         false);
            break;
        case CT_END:
            /* An end whose begin was overwritten stays visible as an instant. */
            if (depth[track]) {
                depth[track]--;
                event_packet(c, e->ts, TYPE_SLICE_END, e->id + 1u, track, d, e->id, e->payload, nf,
                             false);
            } else {
                event_packet(c, e->ts, TYPE_INSTANT, e->id + 1u, track, d, e->id, e->payload, nf,
                             false);
            }
            break;
        case CT_STEP:
            if (step_open[e->id])
                event_packet(c, e->ts, TYPE_SLICE_END, 0, track, d, e->id, e->payload, 0, false);
            step_open[e->id] = 1;
            event_packet(c, e->ts, TYPE_SLICE_BEGIN, e->id + 1u, track, d, e->id, e->payload, nf,
                         false);
            break;
        case CT_COUNTER:
            event_packet(c, e->ts, TYPE_COUNTER, e->id + 1u, track, d, e->id, e->payload, nf, true);
            break;
        default:
            event_packet(c, e->ts, TYPE_INSTANT, e->id + 1u, track, d, e->id, e->payload, nf,
                         false);
            break;
        }
    }
    /* The last step of each id lasts until the end of the trace. */
    for (unsigned id = 0; id < s->nevents && !err; id++)
        if (step_open[id])
            event_packet(c, last_ts, TYPE_SLICE_END, 0, c->tr.of_event[id], &s->events[id], id,
                         NULL, 0, false);
    /* Balanced slices: whatever is still open (the frame in progress, a
     * handler the ring ended in) ends with the trace. */
    for (unsigned k = 0; k < c->tr.n && !err; k++)
        for (; depth[k]; depth[k]--)
            event_packet(c, last_ts, TYPE_SLICE_END, 0, k, &s->events[0], 0, NULL, 0, false);
    int cerr = chunks_close(c);
    free(c);
    return err ? err : cerr ? cerr : w->err;
}
