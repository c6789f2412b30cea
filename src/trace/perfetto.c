/* .perfetto-trace export: Perfetto's protobuf trace format, written by hand
 * (a varint writer and the few messages we need; field numbers from
 * perfetto_trace.proto).
 *
 * Layout of a dump, all on one packet sequence:
 *   1. a packet that clears the sequence's incremental state and carries a
 *      ClockSnapshot defining clock 64 as incremental (each event packet's
 *      timestamp is a delta from the previous one: 1-3 bytes instead of 9,
 *      none when it is 0: trace_processor gives a packet without one the
 *      latest time, as perfetto_read.c does; with raw_cycles the clock
 *      counts ticks and says so: unit_multiplier_ns, the tick in whole ns,
 *      and BOOTTIME the first event's emulated time in ns),
 *      TracePacketDefaults selecting clock 64 and, as the default track, the
 *      first step event's (instructions, in the emulator), and InternedData
 *      with every event name (iid = id + 1) and field name;
 *   2. one TrackDescriptor per target, per step event and per counter event
 *      (written at every dump, so a wrapped ring still names its tracks);
 *      with raw_cycles the first one's description gives the exact tick
 *      rate ("time stamps in ticks of 4194304 Hz (one T-cycle each)"),
 *      which a whole-ns unit cannot;
 *   2b. one TraceStats packet: the ring's statistics (events written,
 *      overwritten, dropped as BufferStats chunks_written / overwritten /
 *      discarded, the ring's bytes as buffer_size);
 *   3. one TrackEvent packet per event (SEQ_NEEDS_INCREMENTAL_STATE: they
 *      use the interned names, the defaults and the incremental clock):
 *      type, name id, track, and the fields as debug annotations with
 *      interned names (counters too, besides their value, so that
 *      perfetto_read.c can rebuild every event); fields a ct_look marks as
 *      hex are pointer values, which Perfetto shows in hex. Step events
 *      (slices that tile their track) are written compactly, see
 *      step_event(): slice names per key interned as they first appear,
 *      key fields once per name, the other fields where they change.
 * The event packets are deflated in chunks of whole packets, each chunk one
 * TracePacket.compressed_packets (under the 512 KB Perfetto allows), unless
 * opts->uncompressed. */
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
    CLK_UNIT_MULTIPLIER_NS = 4,
    DEF_TIMESTAMP_CLOCK_ID = 58,
    DEF_TRACK_EVENT = 11,
    TED_TRACK_UUID = 11,
    ID_EVENT_NAMES = 2,
    ID_ANNOTATION_NAMES = 3,
    NAME_IID = 1,
    NAME_NAME = 2,
    TD_UUID = 1,
    TD_NAME = 2,
    TD_PARENT = 5,
    TD_COUNTER = 8,
    TD_DESCRIPTION = 14,
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
    DA_POINTER = 7,
};
enum { WT_VARINT = 0, WT_LEN = 2 };
enum { TYPE_SLICE_BEGIN = 1, TYPE_SLICE_END = 2, TYPE_INSTANT = 3, TYPE_COUNTER = 4 };
enum { SEQ_INCREMENTAL_STATE_CLEARED = 1, SEQ_NEEDS_INCREMENTAL_STATE = 2 };
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
/* Interned slice names of step events (one per distinct key) take the iids
 * after the schema's event names. */
#define SITE_IID0 (CT_MAX_EVENTS + 1u)
/* Beyond this many names (perfetto_read.c reads as many), a slice is named
 * after its event and carries its key fields. */
#define MAX_SITES      ((size_t)1 << 20)
#define SLICE_NAME_MAX 256u
/* A step slice's cached begin packet: 0A len, sequence id and flags (4),
 * 5A len, type (2), name iid (up to 4), track uuid (up to 3). */
#define BEGIN_MAX 22u

/* A distinct name key of a step event and its interned name. */
typedef struct site {
    uint64_t key;
    uint32_t iid; /* 0: free slot */
    uint16_t id;
    bool announced; /* its key fields were written with one of its slices */
    /* Once announced, every later slice of this name begins with the same
     * packet (no time delta: it starts where the slice before ended, no
     * fields): its bytes, written by a copy. */
    uint8_t plen;
    uint8_t pk[BEGIN_MAX];
} site;

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
    int err;
    /* Timestamps to ns by a shift when ts_hz is a power of two and the
     * product fits (else ct__ts_ns); the default track's uuid (0: none). */
    int hz_shift;
    uint64_t default_track;
    const ct_look *look;
    /* Per event id: where each field lies in the payload, and its look. */
    struct {
        uint8_t off[CT_MAX_FIELDS], size[CT_MAX_FIELDS], type[CT_MAX_FIELDS];
        uint8_t da[CT_MAX_FIELDS];           /* the DebugAnnotation value field (DA_*) */
        uint32_t hex, key, strs;             /* strs: the string fields */
        uint8_t words;                       /* 8-byte words the payload spans */
        uint8_t nkey, key_f[8];              /* the key fields, in order */
        uint8_t nkeyb, key_b[8];             /* their payload bytes, in order */
        uint64_t nonkey[CT_MAX_PAYLOAD / 8]; /* per word: the bytes of other fields */
        uint32_t byte_bit[CT_MAX_PAYLOAD];   /* the field of each payload byte, as a bit */
    } f[CT_MAX_EVENTS];
    /* Step events: the payload of the slice in progress, whether one is
     * open, whether one was written yet. */
    uint8_t prev[CT_MAX_EVENTS][CT_MAX_PAYLOAD];
    uint8_t step_open[CT_MAX_EVENTS], step_seen[CT_MAX_EVENTS];
    /* Slice names by key: open addressing, a power-of-two table. */
    site *sites;
    size_t nsites, site_cap;
    uint32_t next_iid;
} pctx;

/* Field f of an event, from the offsets worked out once per id. */
static inline uint64_t fval(const pctx *c, unsigned id, unsigned f, const uint8_t *payload) {
    const uint8_t *p = payload + c->f[id].off[f];
    uint64_t v = 0;
    switch (c->f[id].size[f]) {
    case 1: v = p[0]; break;
    case 2: v = (uint64_t)p[0] | (uint64_t)p[1] << 8; break;
    case 4: {
        uint32_t x =
            (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
        v = c->f[id].type[f] == CT_T_I32 ? (uint64_t)(int64_t)(int32_t)x : x;
        break;
    }
    default:
        for (unsigned i = 0; i < c->f[id].size[f]; i++)
            v |= (uint64_t)p[i] << (8 * i);
        break;
    }
    return v;
}

/* One debug annotation: its name id and value. */
typedef struct ann {
    uint32_t iid;
    unsigned field; /* DA_* */
    uint64_t v;
    const char *s;
    size_t slen;
    unsigned len; /* of the DebugAnnotation message */
} ann;

static void ann_set(const pctx *c, unsigned id, unsigned f, uint64_t v, ann *a) {
    a->iid = c->ann_base[id] + f + 1;
    a->v = v;
    a->s = NULL;
    a->slen = 0;
    a->field = c->f[id].da[f];
    if (a->field == DA_STRING) {
        a->s = ct__src_string(c->t, v);
        if (!a->s) a->s = "?";
        a->slen = strlen(a->s);
    }
    a->len = fvlen(DA_NAME_IID, a->iid) +
             (a->s ? (unsigned)flen(a->field, a->slen) : fvlen(a->field, a->v));
}

/* One TrackEvent packet: type, name (0: none), track, counter value,
 * annotations, and a name to intern first (iid new_iid) if any. */
typedef struct evpk {
    unsigned type, name_iid, track;
    bool counter;
    int64_t cv;
    const ann *a;
    unsigned na;
    const char *new_name;
    size_t new_len;
} evpk;

/* The lengths of an event packet's parts: its InternedData with the one
 * new event name it announces (0 without), and the whole TracePacket. */
static inline uint64_t intern_len(const evpk *e, uint64_t *en) {
    if (!e->new_name) return *en = 0;
    *en = fvlen(NAME_IID, e->name_iid) + flen(NAME_NAME, e->new_len);
    return flen(ID_EVENT_NAMES, *en);
}

static inline uint64_t packet_len(uint64_t delta, uint64_t te, uint64_t id) {
    return (delta ? fvlen(TP_TIMESTAMP, delta) : 0) + fvlen(TP_SEQ_ID, SEQ_ID) +
           fvlen(TP_SEQUENCE_FLAGS, SEQ_NEEDS_INCREMENTAL_STATE) + flen(TP_TRACK_EVENT, te) +
           (id ? flen(TP_INTERNED_DATA, id) : 0);
}

/* An event packet's head, up to the new name's bytes (the caller writes
 * them, then the TrackEvent): at most 64 bytes. */
static inline uint8_t *packet_head(uint8_t *p, uint64_t pkt, uint64_t delta, uint64_t id,
                                   uint64_t en, const evpk *e) {
    p = pfl(p, TRACE_PACKET, pkt);
    if (delta) p = pfv(p, TP_TIMESTAMP, delta);
    p = pfv(p, TP_SEQ_ID, SEQ_ID);
    p = pfv(p, TP_SEQUENCE_FLAGS, SEQ_NEEDS_INCREMENTAL_STATE);
    if (id) {
        p = pfl(p, TP_INTERNED_DATA, id);
        p = pfl(p, ID_EVENT_NAMES, en);
        p = pfv(p, NAME_IID, e->name_iid);
        p = pfl(p, NAME_NAME, e->new_len);
    }
    return p;
}

/* The event clock's time of ts, as a delta from the packet before (kept
 * non-negative). */
static inline uint64_t next_delta(pctx *c, uint64_t ts) {
    uint64_t ns = c->hz_shift >= 0 && ts <= UINT64_MAX / 1000000000u
                      ? ts * 1000000000u >> c->hz_shift
                      : ct__ts_ns(ts, c->t->schema->ts_hz, c->raw);
    if (ns < c->last_ns) ns = c->last_ns;
    uint64_t delta = ns - c->last_ns;
    c->last_ns = ns;
    return delta;
}

/* Where a small packet of `total` bytes goes: the chunk being filled
 * (flushed first if it would not fit), or the file. */
static inline ct_wbuf *small_packet_buf(pctx *c, size_t total) {
    if (!c->chunk.cap) return c->w;
    if (c->chunk.n + total > CHUNK) ct__wbuf_flush(&c->chunk);
    return &c->chunk;
}

/* put_event() without string fields: every annotation is under 128 bytes,
 * so the TrackEvent is built in place with one-byte lengths. */
static void put_event_small(pctx *c, uint64_t delta, bool track, const evpk *e) {
    uint8_t te[24 + CT_MAX_FIELDS * 24], *q = te;
    q = pfv(q, TE_TYPE, e->type);
    if (e->name_iid) q = pfv(q, TE_NAME_IID, e->name_iid);
    if (track) q = pfv(q, TE_TRACK_UUID, e->track + 1u);
    if (e->counter) q = pfv(q, TE_COUNTER_VALUE, (uint64_t)e->cv);
    for (unsigned i = 0; i < e->na; i++) {
        const ann *a = &e->a[i];
        q = ptag(q, TE_ANNOTATIONS, WT_LEN);
        uint8_t *len = q++;
        q = pfv(q, DA_NAME_IID, a->iid);
        q = pfv(q, a->field, a->v);
        *len = (uint8_t)(q - len - 1);
    }
    const size_t ten = (size_t)(q - te);
    uint64_t en;
    const uint64_t id = intern_len(e, &en);
    const uint64_t pkt = packet_len(delta, ten, id);
    const uint64_t total = flen(TRACE_PACKET, pkt);
    ct_wbuf *w = small_packet_buf(c, (size_t)total);
    uint8_t *p0 = ct__wbuf_reserve(w, (size_t)total);
    uint8_t *p = packet_head(p0, pkt, delta, id, en, e);
    if (id) {
        memcpy(p, e->new_name, e->new_len);
        p += e->new_len;
    }
    p = pfl(p, TP_TRACK_EVENT, ten);
    memcpy(p, te, ten);
    p += ten;
    put_raw(w, p0, p);
}

/* The end of a step slice with the fields in `changed` (no strings),
 * encoded straight from the payload: the same bytes put_event() makes. */
static void step_end(pctx *c, unsigned id, unsigned track, uint64_t ts, const uint8_t *payload,
                     uint32_t changed) {
    uint8_t te[16 + CT_MAX_FIELDS * 20], *q = te; /* a multiple of 16 */
    q = pfv(q, TE_TYPE, TYPE_SLICE_END);
    if (track + 1u != c->default_track) q = pfv(q, TE_TRACK_UUID, track + 1u);
    for (unsigned f = 0; changed; f++, changed >>= 1) {
        if (!(changed & 1)) continue;
        q = ptag(q, TE_ANNOTATIONS, WT_LEN);
        uint8_t *len = q++;
        q = pfv(q, DA_NAME_IID, c->ann_base[id] + f + 1);
        q = pfv(q, c->f[id].da[f], fval(c, id, f, payload));
        *len = (uint8_t)(q - len - 1);
    }
    const size_t ten = (size_t)(q - te);
    const uint64_t delta = next_delta(c, ts);
    const uint64_t pkt = packet_len(delta, ten, 0);
    const size_t total = (size_t)flen(TRACE_PACKET, pkt);
    ct_wbuf *w = small_packet_buf(c, total);
    uint8_t *p0 = ct__wbuf_reserve(w, total + 16);
    uint8_t *p = packet_head(p0, pkt, delta, 0, 0, NULL);
    p = pfl(p, TP_TRACK_EVENT, ten);
    /* In 16-byte pieces (the room reserved past the packet takes what
     * the last one copies beyond it): no call per packet. */
    for (size_t i = 0; i < ten; i += 16)
        memcpy(p + i, te + i, 16);
    w->n += total;
}

/* A site's begin packet, as put_event() writes it without fields. */
static void site_packet(pctx *c, site *s, unsigned track) {
    uint8_t te[16], *q = te;
    q = pfv(q, TE_TYPE, TYPE_SLICE_BEGIN);
    q = pfv(q, TE_NAME_IID, s->iid);
    if (track + 1u != c->default_track) q = pfv(q, TE_TRACK_UUID, track + 1u);
    const size_t ten = (size_t)(q - te);
    const uint64_t pkt = packet_len(0, ten, 0);
    const uint64_t total = flen(TRACE_PACKET, pkt);
    s->plen = 0;
    if (total > BEGIN_MAX) return;
    uint8_t *p = packet_head(s->pk, pkt, 0, 0, 0, NULL);
    p = pfl(p, TP_TRACK_EVENT, ten);
    memcpy(p, te, ten);
    s->plen = (uint8_t)total;
}

static void put_event(pctx *c, uint64_t ts, const evpk *e) {
    ct_wbuf *w = c->w;
    const uint64_t delta = next_delta(c, ts);

    const bool track = e->track + 1u != c->default_track;
    bool strings = false;
    for (unsigned i = 0; i < e->na; i++)
        strings |= e->a[i].s != NULL;
    if (!strings) {
        put_event_small(c, delta, track, e);
        return;
    }
    uint64_t te = fvlen(TE_TYPE, e->type) + (track ? fvlen(TE_TRACK_UUID, e->track + 1u) : 0);
    if (e->name_iid) te += fvlen(TE_NAME_IID, e->name_iid);
    if (e->counter) te += fvlen(TE_COUNTER_VALUE, (uint64_t)e->cv);
    for (unsigned i = 0; i < e->na; i++)
        te += flen(TE_ANNOTATIONS, e->a[i].len);
    uint64_t en;
    const uint64_t id = intern_len(e, &en);
    const uint64_t pkt = packet_len(delta, te, id);
    uint64_t total = flen(TRACE_PACKET, pkt);
    if (c->chunk.cap) {
        /* Whole packets per chunk; one too big for a chunk goes out plain. */
        if (c->chunk.n + total > CHUNK) ct__wbuf_flush(&c->chunk);
        if (total <= CHUNK) w = &c->chunk;
    }

    uint8_t *p0 = ct__wbuf_reserve(w, 64);
    uint8_t *p = packet_head(p0, pkt, delta, id, en, e);
    if (id) {
        put_raw(w, p0, p);
        ct__wbuf_put(w, e->new_name, e->new_len);
        p0 = p = ct__wbuf_reserve(w, 64);
    }
    p = pfl(p, TP_TRACK_EVENT, te);
    p = pfv(p, TE_TYPE, e->type);
    if (e->name_iid) p = pfv(p, TE_NAME_IID, e->name_iid);
    if (track) p = pfv(p, TE_TRACK_UUID, e->track + 1u);
    if (e->counter) p = pfv(p, TE_COUNTER_VALUE, (uint64_t)e->cv);
    put_raw(w, p0, p);
    for (unsigned i = 0; i < e->na; i++) {
        const ann *a = &e->a[i];
        p0 = p = ct__wbuf_reserve(w, 48);
        p = pfl(p, TE_ANNOTATIONS, a->len);
        p = pfv(p, DA_NAME_IID, a->iid);
        if (a->s) {
            p = pfl(p, a->field, a->slen);
            put_raw(w, p0, p);
            ct__wbuf_put(w, a->s, a->slen);
        } else {
            p = pfv(p, a->field, a->v);
            put_raw(w, p0, p);
        }
    }
}

/* An event other than a step: every field, each time. */
static void plain_event(pctx *c, const ct_event *ev, unsigned type, unsigned name_iid,
                        unsigned track, unsigned nf, bool counter) {
    ann a[CT_MAX_FIELDS];
    evpk e = {type, name_iid, track, counter, 0, a, nf, NULL, 0};
    if (counter) e.cv = (int64_t)fval(c, ev->id, 0, ev->payload);
    for (unsigned f = 0; f < nf; f++)
        ann_set(c, ev->id, f, fval(c, ev->id, f, ev->payload), &a[f]);
    put_event(c, ev->ts, &e);
}

static inline size_t site_hash(uint64_t key, unsigned id, size_t mask) {
    uint64_t h = (key ^ (uint64_t)id << 56) * 0x9E3779B97F4A7C15u;
    return (size_t)(h >> 32) & mask;
}

/* The slice name of step event `id` with this key: found, or added (*added
 * set). NULL when there are MAX_SITES already (or memory runs out: c->err). */
static site *site_get(pctx *c, unsigned id, uint64_t key, bool *added) {
    *added = false;
    if ((c->nsites + 1) * 2 > c->site_cap && c->nsites < MAX_SITES) {
        size_t cap = c->site_cap ? c->site_cap * 2 : 1024;
        site *ns = calloc(cap, sizeof *ns);
        if (!ns) {
            c->err = -ENOMEM;
            return NULL;
        }
        for (size_t i = 0; i < c->site_cap; i++) {
            if (!c->sites[i].iid) continue;
            size_t h = site_hash(c->sites[i].key, c->sites[i].id, cap - 1);
            while (ns[h].iid)
                h = (h + 1) & (cap - 1);
            ns[h] = c->sites[i];
        }
        free(c->sites);
        c->sites = ns;
        c->site_cap = cap;
    }
    size_t mask = c->site_cap - 1, h = site_hash(key, id, mask);
    for (;; h = (h + 1) & mask) {
        site *s = &c->sites[h];
        if (!s->iid) break;
        if (s->key == key && s->id == id) return s;
    }
    if (c->nsites >= MAX_SITES) return NULL;
    site *s = &c->sites[h];
    s->key = key;
    s->id = (uint16_t)id;
    s->iid = c->next_iid++;
    s->announced = false;
    s->plen = 0;
    c->nsites++;
    *added = true;
    return s;
}

/* A step event: the slice before it ends here, this one begins. Slices are
 * written so that Perfetto shows what matters and the file stays small:
 *  - with a look that keys its names (the instruction's address, bank and
 *    bytes), the slice is named once per key (interned) and the key fields
 *    are written with the first slice of each name only (the name says
 *    them); the first slice of the event writes every field;
 *  - the other fields ride on the end of the slice before, where they
 *    differ from that slice's: the registers an instruction changed show
 *    as its own arguments (and are the next slice's starting values).
 * perfetto_read.c undoes both. */
/* The payload of the slice in progress becomes this one's. */
static inline void step_keep(pctx *c, unsigned id, const uint8_t *payload) {
    for (unsigned w = 0; w < c->f[id].words; w++)
        memcpy(c->prev[id] + 8 * w, payload + 8 * w, 8);
}

static void step_event(pctx *c, const ct_event *ev, unsigned track, unsigned nf) {
    const unsigned id = ev->id;
    const uint32_t keym = c->f[id].key;
    uint64_t v[CT_MAX_FIELDS];
    ann a[CT_MAX_FIELDS];
    if (c->step_open[id]) {
        /* The fields other than the key whose bytes changed, a word at a
         * time. */
        uint32_t changed = 0;
        for (unsigned w = 0; w < c->f[id].words; w++) {
            uint64_t x, y;
            memcpy(&x, ev->payload + 8 * w, 8);
            memcpy(&y, c->prev[id] + 8 * w, 8);
            x = (x ^ y) & c->f[id].nonkey[w];
            for (unsigned b = 8 * w; x; b++, x >>= 8)
                if (x & 0xFF) changed |= c->f[id].byte_bit[b];
        }
        if (!(changed & c->f[id].strs)) {
            step_end(c, id, track, ev->ts, ev->payload, changed);
        } else {
            evpk e = {TYPE_SLICE_END, 0, track, false, 0, a, 0, NULL, 0};
            for (unsigned f = 0; changed; f++, changed >>= 1)
                if (changed & 1) ann_set(c, id, f, fval(c, id, f, ev->payload), &a[e.na++]);
            put_event(c, ev->ts, &e);
        }
    }
    site *s = NULL;
    bool added = false;
    if (keym) {
        uint64_t key = 0;
        for (unsigned k = 0; k < c->f[id].nkeyb; k++)
            key |= (uint64_t)ev->payload[c->f[id].key_b[k]] << (8 * k);
        s = site_get(c, id, key, &added);
        if (c->err) return;
        if (s && s->plen && c->step_seen[id]) {
            /* A known name after the end of the slice before (the same
             * time: no delta): its packet as it was made. */
            ct_wbuf *w = small_packet_buf(c, s->plen);
            memcpy(ct__wbuf_reserve(w, BEGIN_MAX), s->pk, BEGIN_MAX);
            w->n += s->plen;
            step_keep(c, id, ev->payload);
            return;
        }
    }
    if (!c->step_seen[id])
        for (unsigned f = 0; f < nf; f++)
            v[f] = fval(c, id, f, ev->payload);
    else
        for (unsigned k = 0; k < c->f[id].nkey; k++)
            v[c->f[id].key_f[k]] = fval(c, id, c->f[id].key_f[k], ev->payload);
    evpk e = {TYPE_SLICE_BEGIN, id + 1u, track, false, 0, a, 0, NULL, 0};
    char name[SLICE_NAME_MAX];
    if (keym) {
        if (s) e.name_iid = s->iid;
        if (added) {
            int k = c->look->slice_name
                        ? c->look->slice_name(c->look->ctx, c->t->schema, (uint16_t)id, ev->payload,
                                              name, sizeof name)
                        : -1;
            if (k < 0 || (size_t)k >= sizeof name) {
                const char *en = c->t->schema->events[id].name;
                k = (int)strlen(en);
                if ((size_t)k >= sizeof name) k = (int)sizeof name - 1;
                memcpy(name, en, (size_t)k);
            }
            e.new_name = name;
            e.new_len = (size_t)k;
        }
    }
    if (!c->step_seen[id]) {
        for (unsigned f = 0; f < nf; f++)
            ann_set(c, id, f, v[f], &a[e.na++]);
    } else if (keym && (!s || !s->announced)) {
        /* A name's first slice (or one past MAX_SITES names): its key. */
        for (unsigned k = 0; k < c->f[id].nkey; k++)
            ann_set(c, id, c->f[id].key_f[k], v[c->f[id].key_f[k]], &a[e.na++]);
        if (s) {
            s->announced = true;
            site_packet(c, s, track);
        }
    }
    put_event(c, ev->ts, &e);
    step_keep(c, id, ev->payload);
    c->step_seen[id] = c->step_open[id] = 1;
}

/* The look of each event: field offsets, hex fields, name keys. */
static void look_setup(pctx *c) {
    const ct_schema *s = c->t->schema;
    for (uint32_t id = 0; id < s->nevents && id < CT_MAX_EVENTS; id++) {
        const ct_event_desc *d = &s->events[id];
        unsigned off = 0, keybytes = 0;
        for (unsigned f = 0; f < d->nfields && f < CT_MAX_FIELDS; f++) {
            unsigned sz = ct_field_size(d->fields[f].type);
            if (off + sz > CT_MAX_PAYLOAD) sz = 0; /* as ct_field_u64: reads as 0 */
            c->f[id].off[f] = (uint8_t)(sz ? off : 0);
            c->f[id].size[f] = (uint8_t)sz;
            c->f[id].type[f] = d->fields[f].type;
            for (unsigned b = 0; b < sz; b++)
                c->f[id].byte_bit[off + b] = 1u << f;
            off += ct_field_size(d->fields[f].type);
        }
        c->f[id].words = (uint8_t)((off < CT_MAX_PAYLOAD ? off + 7 : CT_MAX_PAYLOAD) / 8);
        uint32_t hex = 0, key = 0;
        if (c->look && c->look->event) c->look->event(c->look->ctx, s, (uint16_t)id, &hex, &key);
        if (d->kind != CT_STEP) key = 0;
        for (unsigned f = 0; f < d->nfields && f < CT_MAX_FIELDS; f++) {
            if (d->fields[f].type == CT_T_STR) key &= ~(1u << f);
            if (key >> f & 1) keybytes += c->f[id].size[f];
        }
        unsigned nkey = 0;
        for (unsigned f = 0; f < d->nfields && f < CT_MAX_FIELDS; f++)
            if (key >> f & 1) {
                if (nkey == 8) keybytes = 9; /* too many: no key */
                if (nkey < 8) c->f[id].key_f[nkey++] = (uint8_t)f;
            }
        if (keybytes > 8) key = nkey = 0;
        /* The key as the key fields' bytes side by side; the words of the
         * payload with the key's bytes masked off, to find what changed. */
        unsigned nkb = 0;
        for (unsigned k = 0; k < nkey; k++)
            for (unsigned b = 0; b < c->f[id].size[c->f[id].key_f[k]]; b++)
                c->f[id].key_b[nkb++] = (uint8_t)(c->f[id].off[c->f[id].key_f[k]] + b);
        c->f[id].nkeyb = (uint8_t)nkb;
        for (unsigned b = 0; b < CT_MAX_PAYLOAD; b++) {
            const bool other = c->f[id].byte_bit[b] && !(c->f[id].byte_bit[b] & key);
            if (b % 8 == 0) c->f[id].nonkey[b / 8] = 0;
            if (other) c->f[id].nonkey[b / 8] |= (uint64_t)0xFF << (8 * (b % 8));
        }
        c->f[id].hex = hex;
        c->f[id].key = key;
        c->f[id].nkey = (uint8_t)nkey;
        c->f[id].strs = 0;
        for (unsigned f = 0; f < d->nfields && f < CT_MAX_FIELDS; f++) {
            const uint8_t ty = d->fields[f].type;
            c->f[id].da[f] = ty == CT_T_I32    ? DA_INT
                             : ty == CT_T_BOOL ? DA_BOOL
                             : ty == CT_T_STR  ? DA_STRING
                             : hex >> f & 1    ? DA_POINTER
                                               : DA_UINT;
            if (ty == CT_T_STR) c->f[id].strs |= 1u << f;
        }
    }
}

/* Sink of the chunk buffer: deflate whole packets into one
 * TracePacket.compressed_packets (zlib format). */
static int compress_chunk(void *ctx, const uint8_t *p, size_t n) {
    pctx *c = ctx;
    /* Level 1 (deflateReset restores its parameters), searching 32
     * earlier places of each string instead of 4: the packets repeat at
     * distances the short chain misses. On a real ring: 12 % smaller and
     * 5 % fewer instructions (fewer literals to code). */
    if (deflateReset(&c->z) != Z_OK || deflateTune(&c->z, 4, 4, 8, 32) != Z_OK) return -EIO;
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
     * about 6x (tuned in compress_chunk). */
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

/* Nanoseconds per tick of a --raw-cycles clock, as Perfetto takes it: a
 * whole number (238 for T-cycles, which are 238.4185791015625 ns). */
static uint64_t tick_unit_ns(uint64_t hz) {
    uint64_t m = hz ? (1000000000u + hz / 2) / hz : 1;
    return m ? m : 1;
}

/* t0: the first event's stamp on the event clock (ns, or ticks with
 * c->raw); boot0: the same instant in ns of emulated time. */
static int write_preamble(pctx *c, uint64_t t0, uint64_t boot0) {
    const ct_schema *s = c->t->schema;
    msg pk = {0}, a = {0}, b = {0}, d = {0};
    char name[512];

    /* Packet 1: clear incremental state, clocks, defaults, interned names.
     * With raw ticks, the event clock says its unit (unit_multiplier_ns:
     * the tick in whole ns, so a viewer shows emulated time to 0.2 %) and
     * the first track's description the exact tick rate (see below). */
    m_var(&pk, TP_TIMESTAMP, boot0);
    m_var(&pk, TP_TIMESTAMP_CLOCK_ID, CLOCK_BOOT);
    m_var(&pk, TP_SEQ_ID, SEQ_ID);
    m_var(&pk, TP_SEQUENCE_FLAGS, SEQ_INCREMENTAL_STATE_CLEARED);
    m_var(&a, CLK_ID, CLOCK_INCR);
    m_var(&a, CLK_TIMESTAMP, t0);
    m_var(&a, CLK_INCREMENTAL, 1);
    if (c->raw) m_var(&a, CLK_UNIT_MULTIPLIER_NS, tick_unit_ns(s->ts_hz));
    m_sub(&b, CS_CLOCKS, &a);
    a.n = 0;
    m_var(&a, CLK_ID, CLOCK_BOOT);
    m_var(&a, CLK_TIMESTAMP, boot0);
    m_sub(&b, CS_CLOCKS, &a);
    m_sub(&pk, TP_CLOCK_SNAPSHOT, &b);
    a.n = b.n = 0;
    m_var(&a, DEF_TIMESTAMP_CLOCK_ID, CLOCK_INCR);
    if (c->default_track) {
        b.n = 0;
        m_var(&b, TED_TRACK_UUID, c->default_track);
        m_sub(&a, DEF_TRACK_EVENT, &b);
        b.n = 0;
    }
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
        m_var(&pk, TP_TIMESTAMP, boot0);
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
        if (i == 0 && c->raw) {
            /* The tick rate, exactly (perfetto_read.c reads it back). */
            const char *u = s->ts_unit && *s->ts_unit ? s->ts_unit : "tick";
            snprintf(name, sizeof name, "time stamps in ticks of %llu Hz (one %s each)",
                     (unsigned long long)s->ts_hz, u);
            m_str(&a, TD_DESCRIPTION, name);
        }
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
    c->look = o->look;
    c->next_iid = SITE_IID0;
    ct__tracks_build(t->schema, &c->tr);
    look_setup(c);
    const ct_schema *s = t->schema;
    c->hz_shift = -1;
    for (int k = 0; k < 63 && !c->raw && s->ts_hz; k++)
        if (s->ts_hz == (uint64_t)1 << k) c->hz_shift = k;
    /* Event packets on the first step event's track (instructions, in the
     * emulator: most of a trace) leave their track to the defaults. */
    for (uint32_t id = 0; id < s->nevents && id < CT_MAX_EVENTS && !c->default_track; id++)
        if (s->events[id].kind == CT_STEP) c->default_track = c->tr.of_event[id] + 1u;
    ct_src_it it;
    ct__src_begin(t, &it);
    const ct_event *e = ct__src_next(t, &it);
    uint64_t t0 = e ? ct__ts_ns(e->ts, s->ts_hz, c->raw) : 0;
    c->last_ns = t0;
    int err = write_preamble(c, t0, e ? ct__ts_ns(e->ts, s->ts_hz, false) : 0);
    if (!err && !o->uncompressed) err = chunks_open(c);
    uint32_t depth[CT_MAX_TRACKS] = {0};
    uint64_t last_ts = 0;
    ct__src_begin(t, &it);
    while (!err && !c->err && !w->err && (e = ct__src_next(t, &it)) != NULL) {
        const ct_event_desc *d = &s->events[e->id];
        unsigned track = c->tr.of_event[e->id], nf = d->nfields, name = e->id + 1u;
        last_ts = e->ts;
        switch (d->kind) {
        case CT_BEGIN:
            depth[track]++;
            plain_event(c, e, TYPE_SLICE_BEGIN, name, track, nf, false);
            break;
        case CT_END:
            /* An end whose begin was overwritten stays visible as an instant. */
            if (depth[track]) {
                depth[track]--;
                plain_event(c, e, TYPE_SLICE_END, name, track, nf, false);
            } else {
                plain_event(c, e, TYPE_INSTANT, name, track, nf, false);
            }
            break;
        case CT_STEP: step_event(c, e, track, nf); break;
        case CT_COUNTER: plain_event(c, e, TYPE_COUNTER, name, track, nf, true); break;
        default: plain_event(c, e, TYPE_INSTANT, name, track, nf, false); break;
        }
    }
    if (!err) err = c->err;
    /* The last step of each id lasts until the end of the trace. */
    for (unsigned id = 0; id < s->nevents && id < CT_MAX_EVENTS && !err; id++)
        if (c->step_open[id]) {
            evpk x = {TYPE_SLICE_END, 0, c->tr.of_event[id], false, 0, NULL, 0, NULL, 0};
            put_event(c, last_ts, &x);
        }
    /* Balanced slices: whatever is still open (the frame in progress, a
     * handler the ring ended in) ends with the trace. */
    for (unsigned k = 0; k < c->tr.n && !err; k++)
        for (; depth[k]; depth[k]--) {
            evpk x = {TYPE_SLICE_END, 0, k, false, 0, NULL, 0, NULL, 0};
            put_event(c, last_ts, &x);
        }
    int cerr = chunks_close(c);
    free(c->sites);
    free(c);
    return err ? err : cerr ? cerr : w->err;
}
