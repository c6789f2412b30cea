/* Reading back a .perfetto-trace written by perfetto.c (untrusted input).
 *
 * Perfetto's format does not carry the schema, so it is rebuilt from what the
 * writer puts in: event names and field names (InternedData), targets (the
 * track of an event, or its parent for step and counter tracks), kinds (the
 * TrackEvent type and track), field types from the annotation values (an
 * unsigned field gets the smallest width that holds every value seen).
 * Timestamps come back in nanoseconds (ts_hz = 1e9), or, from a file written
 * with raw cycles (its event clock 64 has a unit_multiplier_ns), in ticks
 * at the rate the first track's description gives ("ticks of N Hz"; else
 * 1e9 / the unit when that is exact, else 0: unknown); levels are unknown
 * (info). Compressed chunks are inflated with a size cap.
 *
 * Step events (a child track each, named "target.event") are written
 * compactly (see perfetto.c): the first slice of a track carries every
 * field; a slice named with an iid past the schema's names (one per key,
 * e.g. an instruction site) carries its key fields the first time that
 * name is announced, and later slices of that name take them from there;
 * the other fields ride on the end of the slice before, where they
 * changed. Fields a slice does not carry keep their last value. Hex fields
 * are pointer values, read as unsigned. */
#include "ct_internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define MAX_ANN       (CT_MAX_EVENTS * CT_MAX_FIELDS)
#define MAX_CHUNK_OUT ((size_t)64 << 20)
#define MAX_EVENTS    ((size_t)1 << 24)
#define MAX_VALUES    ((size_t)1 << 26)
#define MAX_STRINGS   65536u
/* Interned slice names past the schema's (perfetto.c: SITE_IID0 on). */
#define SITE_IID0 (CT_MAX_EVENTS + 1u)
#define MAX_SITES ((size_t)1 << 20)

enum { V_UINT = 1, V_INT, V_BOOL, V_STR };
enum { TYPE_SLICE_BEGIN = 1, TYPE_SLICE_END = 2, TYPE_INSTANT = 3, TYPE_COUNTER = 4 };

typedef struct pb {
    const uint8_t *p;
    size_t n, at;
    bool bad;
} pb;

static uint64_t pb_var(pb *b) {
    uint64_t v = 0;
    for (unsigned sh = 0; sh < 64; sh += 7) {
        if (b->at >= b->n) break;
        uint8_t c = b->p[b->at++];
        v |= (uint64_t)(c & 0x7F) << sh;
        if (!(c & 0x80)) return v;
    }
    b->bad = true;
    return 0;
}

/* Next field: its number, and either a varint value or a byte range. */
static bool pb_next(pb *b, uint32_t *field, uint64_t *v, const uint8_t **data, size_t *len) {
    if (b->bad || b->at >= b->n) return false;
    uint64_t tag = pb_var(b);
    uint32_t wt = (uint32_t)(tag & 7);
    *field = (uint32_t)(tag >> 3);
    *v = 0;
    *data = NULL;
    *len = 0;
    switch (wt) {
    case 0: *v = pb_var(b); break;
    case 1:
    case 5: {
        size_t k = wt == 1 ? 8 : 4;
        if (b->n - b->at < k)
            b->bad = true;
        else
            b->at += k;
        break;
    }
    case 2: {
        uint64_t l = pb_var(b);
        if (b->bad || l > b->n - b->at) {
            b->bad = true;
            break;
        }
        *data = b->p + b->at;
        *len = (size_t)l;
        b->at += (size_t)l;
        break;
    }
    default: b->bad = true; break;
    }
    return !b->bad;
}

static char *dup_n(const uint8_t *p, size_t n) {
    char *s = malloc(n + 1);
    if (s) {
        if (n) memcpy(s, p, n);
        s[n] = '\0';
    }
    return s;
}

typedef struct pr_ev {
    uint64_t ts;
    uint32_t voff;
    uint16_t eid;
} pr_ev;

typedef struct pr_evinfo {
    bool seen;
    uint8_t kind, nf;
    uint16_t track;
    uint32_t ann[CT_MAX_FIELDS];
    uint8_t vkind[CT_MAX_FIELDS];
    uint64_t maxv[CT_MAX_FIELDS];
} pr_evinfo;

/* What a slice name past the schema's stands for: the key fields its
 * announcement carried (mask of field slots, values at voff). */
typedef struct pr_site {
    uint32_t voff;
    uint16_t mask;
    bool known;
} pr_site;

typedef struct pr {
    char *ev_name[CT_MAX_EVENTS];
    /* The step event of a child track (eid + 1), resolved from its name. */
    uint16_t track_eid[CT_MAX_TRACKS + 1];
    bool claimed[CT_MAX_EVENTS];
    /* Step events: field values of the slice in progress (by slot). */
    uint64_t cur[CT_MAX_EVENTS][CT_MAX_FIELDS];
    pr_site *sites;
    size_t site_cap;
    uint64_t *svals;
    size_t nsvals, svcap;
    char *ann_name[MAX_ANN];
    struct {
        char *name;
        uint32_t parent;
        bool counter;
    } track[CT_MAX_TRACKS + 1]; /* by uuid 1..CT_MAX_TRACKS */
    pr_evinfo ev[CT_MAX_EVENTS];
    uint32_t nev_names;
    pr_ev *evs;
    size_t nevs, evcap;
    uint64_t *vals;
    size_t nvals, vcap;
    char **strings;
    uint32_t nstrings, scap;
    uint64_t last_ns;
    /* The event clock counts ticks (raw cycles): its unit in ns, and the
     * tick rate a track's description gave (0: none). */
    bool ticks;
    uint64_t tick_ns, desc_hz;
    uint64_t default_track; /* TracePacketDefaults' track_event_defaults */
    /* TraceStats as perfetto.c writes it: BufferStats chunks = events. */
    bool have_stats;
    uint64_t written, overwritten, dropped, ring_bytes;
    const char *why;
    bool oom;
} pr;

static void fail(pr *r, const char *why) {
    if (!r->why) r->why = why;
}

static bool bad_name_field(const uint8_t *d, size_t len) {
    return !d || len > 4096;
}

/* InternedData: event names and debug annotation names. */
static void parse_interned(pr *r, const uint8_t *p, size_t n) {
    pb b = {p, n, 0, false};
    uint32_t f;
    uint64_t v;
    const uint8_t *d;
    size_t len;
    while (pb_next(&b, &f, &v, &d, &len)) {
        if ((f != 2 && f != 3) || !d) continue;
        pb e = {d, len, 0, false};
        uint64_t iid = 0;
        const uint8_t *nm = NULL;
        size_t nl = 0;
        uint32_t g;
        uint64_t w;
        const uint8_t *dd;
        size_t ll;
        while (pb_next(&e, &g, &w, &dd, &ll)) {
            if (g == 1) iid = w;
            if (g == 2) nm = dd, nl = ll;
        }
        if (e.bad || iid == 0 || bad_name_field(nm, nl) ||
            iid > (f == 2 ? SITE_IID0 + MAX_SITES : MAX_ANN)) {
            fail(r, "bad interned name");
            return;
        }
        if (f == 2 && iid >= SITE_IID0) continue; /* a slice's display name */
        char **slot = f == 2 ? &r->ev_name[iid - 1] : &r->ann_name[iid - 1];
        free(*slot);
        *slot = dup_n(nm, nl);
        if (!*slot) r->oom = true;
        if (f == 2 && iid > r->nev_names) r->nev_names = (uint32_t)iid;
    }
    if (b.bad) fail(r, "bad interned data");
}

/* The next sub-message in field `want` of b (other fields skipped). */
static bool pb_sub(pb *b, uint32_t want, pb *out) {
    uint32_t f;
    uint64_t v;
    const uint8_t *d;
    size_t len;
    while (pb_next(b, &f, &v, &d, &len))
        if (f == want && d) {
            *out = (pb){d, len, 0, false};
            return true;
        }
    return false;
}

/* The next scalar field of b (sub-messages and strings skipped). */
static bool pb_scalar(pb *b, uint32_t *f, uint64_t *v) {
    const uint8_t *d;
    size_t len;
    while (pb_next(b, f, v, &d, &len))
        if (!d) return true;
    return false;
}

static void parse_clock_snapshot(pr *r, const uint8_t *p, size_t n) {
    pb b = {p, n, 0, false}, c;
    while (pb_sub(&b, 1, &c)) {
        uint64_t id = 0, ts = 0, unit = 0, w;
        uint32_t g;
        while (pb_scalar(&c, &g, &w)) {
            if (g == 1) id = w;
            if (g == 2) ts = w;
            if (g == 4) unit = w;
        }
        if (id == 64) {
            r->last_ns = ts; /* the incremental clock starts here */
            /* A unit other than the default ns: the stamps are ticks. */
            if (unit) {
                r->ticks = true;
                r->tick_ns = unit;
            }
        }
    }
    if (b.bad) fail(r, "bad clock snapshot");
}

static void parse_track(pr *r, const uint8_t *p, size_t n) {
    pb b = {p, n, 0, false};
    uint32_t f;
    uint64_t v, uuid = 0, parent = 0;
    const uint8_t *d, *nm = NULL;
    size_t len, nl = 0;
    bool counter = false;
    while (pb_next(&b, &f, &v, &d, &len)) {
        if (f == 1) uuid = v;
        if (f == 2 && d) nm = d, nl = len;
        if (f == 5) parent = v;
        if (f == 8) counter = true;
        if (f == 14 && d && len < 256) {
            /* perfetto.c's description of a raw-cycles clock. */
            char text[256];
            unsigned long long hz;
            memcpy(text, d, len);
            text[len] = '\0';
            if (sscanf(text, "time stamps in ticks of %llu Hz", &hz) == 1) r->desc_hz = hz;
        }
    }
    if (b.bad || uuid == 0 || uuid > CT_MAX_TRACKS || parent > CT_MAX_TRACKS ||
        bad_name_field(nm, nl)) {
        fail(r, "bad track descriptor");
        return;
    }
    free(r->track[uuid].name);
    r->track[uuid].name = dup_n(nm, nl);
    if (!r->track[uuid].name) r->oom = true;
    r->track[uuid].parent = (uint32_t)parent;
    r->track[uuid].counter = counter;
    /* A child track "target.event": the first event of that name not
     * taken yet by an earlier child track (the writer interns names and
     * makes child tracks in schema order). */
    const char *pn = parent ? r->track[parent].name : NULL;
    r->track_eid[uuid] = 0;
    if (pn && r->track[uuid].name) {
        size_t k = strlen(pn);
        const char *tn = r->track[uuid].name;
        if (!strncmp(tn, pn, k) && tn[k] == '.')
            for (uint32_t i = 0; i < r->nev_names; i++)
                if (!r->claimed[i] && r->ev_name[i] && !strcmp(r->ev_name[i], tn + k + 1)) {
                    r->claimed[i] = true;
                    r->track_eid[uuid] = (uint16_t)(i + 1);
                    break;
                }
    }
}

/* The array `a` of *cap elements of `size` bytes, doubled (from `first`);
 * NULL when that would pass `max` elements (the input is refused with
 * `what`) or memory runs out. */
static void *grow(pr *r, void *a, size_t *cap, size_t size, size_t first, size_t max,
                  const char *what) {
    const size_t n = *cap ? *cap * 2 : first;
    if (n > max) {
        fail(r, what);
        return NULL;
    }
    void *na = realloc(a, n * size);
    if (!na) {
        r->oom = true;
        return NULL;
    }
    *cap = n;
    return na;
}

static uint32_t intern(pr *r, const uint8_t *p, size_t n) {
    for (uint32_t i = 0; i < r->nstrings; i++)
        if (strlen(r->strings[i]) == n && !memcmp(r->strings[i], p, n)) return i;
    if (r->nstrings >= MAX_STRINGS || n > (1u << 20)) {
        fail(r, "too many strings");
        return 0;
    }
    if (r->nstrings == r->scap) {
        uint32_t cap = r->scap ? r->scap * 2 : 16;
        char **ns = realloc(r->strings, cap * sizeof *ns);
        if (!ns) {
            r->oom = true;
            return 0;
        }
        r->strings = ns;
        r->scap = cap;
    }
    r->strings[r->nstrings] = dup_n(p, n);
    if (!r->strings[r->nstrings]) {
        r->oom = true;
        return 0;
    }
    return r->nstrings++;
}

static void step_event(pr *r, uint64_t ts, unsigned eid, uint16_t track, uint64_t type,
                       uint64_t name, const uint32_t *ann, const uint8_t *vk, const uint64_t *val,
                       unsigned nf);
static void add_event(pr *r, uint64_t ts, unsigned eid, const uint64_t *val, unsigned nf);

static void parse_event(pr *r, uint64_t ts, const uint8_t *p, size_t n) {
    pb b = {p, n, 0, false};
    uint32_t f;
    uint64_t v, type = 0, name = 0, track = 0;
    const uint8_t *d;
    size_t len;
    uint32_t ann[CT_MAX_FIELDS];
    uint8_t vk[CT_MAX_FIELDS];
    uint64_t val[CT_MAX_FIELDS];
    unsigned nf = 0;
    while (pb_next(&b, &f, &v, &d, &len)) {
        if (f == 9)
            type = v;
        else if (f == 10)
            name = v;
        else if (f == 11)
            track = v;
        else if (f == 4 && d) {
            if (nf == CT_MAX_FIELDS) {
                fail(r, "too many fields");
                return;
            }
            pb a = {d, len, 0, false};
            uint32_t g;
            uint64_t w, iid = 0;
            const uint8_t *dd;
            size_t ll;
            vk[nf] = 0;
            val[nf] = 0;
            while (pb_next(&a, &g, &w, &dd, &ll)) {
                if (g == 1)
                    iid = w;
                else if (g == 2)
                    vk[nf] = V_BOOL, val[nf] = w != 0;
                else if (g == 3 || g == 7) /* uint, pointer (a hex field) */
                    vk[nf] = V_UINT, val[nf] = w;
                else if (g == 4)
                    vk[nf] = V_INT, val[nf] = w;
                else if (g == 6 && dd)
                    vk[nf] = V_STR, val[nf] = intern(r, dd, ll);
            }
            if (a.bad || !vk[nf] || iid == 0 || iid > MAX_ANN) {
                fail(r, "bad annotation");
                return;
            }
            if (vk[nf] == V_INT && (int64_t)val[nf] != (int32_t)val[nf]) {
                fail(r, "integer field out of range");
                return;
            }
            ann[nf++] = (uint32_t)iid;
        }
    }
    if (b.bad) {
        fail(r, "bad track event");
        return;
    }
    if (track == 0) track = r->default_track;
    if (track == 0 || track > CT_MAX_TRACKS || type < 1 || type > 4) {
        fail(r, "bad track event");
        return;
    }
    if (r->track_eid[track] && (type == TYPE_SLICE_BEGIN || type == TYPE_SLICE_END)) {
        step_event(r, ts, r->track_eid[track] - 1u, (uint16_t)track, type, name, ann, vk, val, nf);
        return;
    }
    if (name == 0) return; /* the end of a step: implied by the next step */
    if (name > CT_MAX_EVENTS) {
        fail(r, "bad track event");
        return;
    }
    unsigned eid = (unsigned)name - 1;
    pr_evinfo *e = &r->ev[eid];
    bool child = r->track[track].parent != 0;
    uint8_t kind = type == TYPE_COUNTER     ? CT_COUNTER
                   : type == TYPE_SLICE_END ? CT_END
                   : type == TYPE_INSTANT   ? CT_INSTANT
                   : child                  ? CT_STEP
                                            : CT_BEGIN;
    if (!e->seen) {
        e->seen = true;
        e->kind = kind;
        e->nf = (uint8_t)nf;
        e->track = (uint16_t)track;
        memcpy(e->ann, ann, nf * sizeof ann[0]);
        memcpy(e->vkind, vk, nf);
    } else {
        if (e->nf != nf || memcmp(e->vkind, vk, nf) || memcmp(e->ann, ann, nf * sizeof ann[0])) {
            fail(r, "an event's fields differ between occurrences");
            return;
        }
        /* An end whose begin was lost is written as an instant. */
        if (e->kind == CT_INSTANT && kind == CT_END) e->kind = CT_END;
    }
    add_event(r, ts, eid, val, nf);
}

/* The slot of annotation `iid` among event e's fields, or -1. */
static int slot_of(const pr_evinfo *e, uint32_t iid) {
    for (unsigned i = 0; i < e->nf; i++)
        if (e->ann[i] == iid) return (int)i;
    return -1;
}

/* The site of a slice name past the schema's, grown on demand. */
static pr_site *site_at(pr *r, uint64_t name) {
    size_t i = (size_t)(name - SITE_IID0);
    if (i >= r->site_cap) {
        size_t cap = r->site_cap ? r->site_cap : 1024;
        while (cap <= i)
            cap *= 2;
        pr_site *ns = realloc(r->sites, cap * sizeof *ns);
        if (!ns) {
            r->oom = true;
            return NULL;
        }
        memset(ns + r->site_cap, 0, (cap - r->site_cap) * sizeof *ns);
        r->sites = ns;
        r->site_cap = cap;
    }
    return &r->sites[i];
}

/* A slice begin or end on the child track of step event eid. */
static void step_event(pr *r, uint64_t ts, unsigned eid, uint16_t track, uint64_t type,
                       uint64_t name, const uint32_t *ann, const uint8_t *vk, const uint64_t *val,
                       unsigned nf) {
    pr_evinfo *e = &r->ev[eid];
    if (name > SITE_IID0 + MAX_SITES || (name && name < SITE_IID0 && name != eid + 1u)) {
        fail(r, "bad step event name");
        return;
    }
    if (!e->seen) {
        if (type == TYPE_SLICE_END) return; /* nothing to carry yet */
        /* The first slice: every field. */
        e->seen = true;
        e->kind = CT_STEP;
        e->nf = (uint8_t)nf;
        e->track = track;
        memcpy(e->ann, ann, nf * sizeof ann[0]);
        memcpy(e->vkind, vk, nf);
        memcpy(r->cur[eid], val, nf * sizeof val[0]);
    } else {
        uint64_t v[CT_MAX_FIELDS];
        int slot[CT_MAX_FIELDS];
        uint16_t mask = 0;
        for (unsigned i = 0; i < nf; i++) {
            slot[i] = slot_of(e, ann[i]);
            if (slot[i] < 0 || e->vkind[slot[i]] != vk[i] || (mask >> slot[i] & 1)) {
                fail(r, "an event's fields differ between occurrences");
                return;
            }
            mask |= (uint16_t)(1u << slot[i]);
            v[slot[i]] = val[i];
        }
        if (type == TYPE_SLICE_BEGIN && name >= SITE_IID0) {
            pr_site *st = site_at(r, name);
            if (!st) return;
            if (st->known) {
                for (unsigned k = 0; k < e->nf; k++)
                    if (st->mask >> k & 1) r->cur[eid][k] = r->svals[st->voff + k];
            } else {
                /* Its announcement: the key fields, kept for later slices. */
                if (r->svcap - r->nsvals < e->nf) {
                    uint64_t *nv = grow(r, r->svals, &r->svcap, sizeof *nv, 16384,
                                        MAX_SITES * CT_MAX_FIELDS, "too many slice names");
                    if (!nv) return;
                    r->svals = nv;
                }
                st->known = true;
                st->mask = mask;
                st->voff = (uint32_t)r->nsvals;
                for (unsigned k = 0; k < e->nf; k++)
                    r->svals[r->nsvals + k] = mask >> k & 1 ? v[k] : 0;
                r->nsvals += e->nf;
            }
        }
        for (unsigned k = 0; k < e->nf; k++)
            if (mask >> k & 1) r->cur[eid][k] = v[k];
        if (type == TYPE_SLICE_END) return; /* the values the next slice starts with */
    }
    add_event(r, ts, eid, r->cur[eid], e->nf);
}

static void add_event(pr *r, uint64_t ts, unsigned eid, const uint64_t *val, unsigned nf) {
    pr_evinfo *e = &r->ev[eid];
    for (unsigned i = 0; i < nf; i++)
        if (val[i] > e->maxv[i]) e->maxv[i] = val[i];
    if (r->nevs == r->evcap) {
        pr_ev *ne = grow(r, r->evs, &r->evcap, sizeof *ne, 4096, MAX_EVENTS, "too many events");
        if (!ne) return;
        r->evs = ne;
    }
    if (r->vcap - r->nvals < nf) {
        uint64_t *nv = grow(r, r->vals, &r->vcap, sizeof *nv, 16384, MAX_VALUES, "too many values");
        if (!nv) return;
        r->vals = nv;
    }
    r->evs[r->nevs].ts = ts;
    r->evs[r->nevs].eid = (uint16_t)eid;
    r->evs[r->nevs].voff = (uint32_t)r->nvals;
    if (r->nvals + nf > UINT32_MAX) {
        fail(r, "too many values");
        return;
    }
    memcpy(r->vals + r->nvals, val, nf * sizeof val[0]);
    r->nvals += nf;
    r->nevs++;
}

static void parse_trace(pr *r, const uint8_t *p, size_t n, int depth);

static void inflate_chunk(pr *r, const uint8_t *p, size_t n) {
    z_stream z;
    memset(&z, 0, sizeof z);
    if (inflateInit(&z) != Z_OK) {
        r->oom = true;
        return;
    }
    size_t cap = n * 8 + 4096, len = 0;
    uint8_t *out = NULL;
    int rc = Z_OK;
    z.next_in = (Bytef *)p;
    z.avail_in = (uInt)n;
    while (rc == Z_OK) {
        if (len == cap || !out) {
            if (out) cap *= 2;
            if (cap > MAX_CHUNK_OUT) cap = MAX_CHUNK_OUT;
            if (out && len == cap) {
                fail(r, "compressed chunk too large");
                break;
            }
            uint8_t *no = realloc(out, cap);
            if (!no) {
                r->oom = true;
                break;
            }
            out = no;
        }
        z.next_out = out + len;
        z.avail_out = (uInt)(cap - len);
        rc = inflate(&z, Z_NO_FLUSH);
        len = cap - z.avail_out;
        if (rc == Z_BUF_ERROR && z.avail_out == 0) rc = Z_OK; /* needs more room */
    }
    if (rc == Z_STREAM_END)
        parse_trace(r, out, len, 1);
    else if (!r->oom)
        fail(r, "bad compressed chunk");
    inflateEnd(&z);
    free(out);
}

/* TraceStats { buffer_stats { buffer_size, chunks_written, _overwritten,
 * _discarded } }: the ring's statistics. */
static void parse_trace_stats(pr *r, const uint8_t *p, size_t n) {
    pb b = {p, n, 0, false}, c;
    uint32_t f;
    uint64_t v;
    while (pb_sub(&b, 1, &c)) {
        while (pb_scalar(&c, &f, &v)) {
            if (f == 2) r->written = v;
            if (f == 3) r->overwritten = v;
            if (f == 18) r->dropped = v;
            if (f == 12) r->ring_bytes = v;
        }
        if (c.bad) fail(r, "bad trace stats");
        r->have_stats = true;
    }
    if (b.bad) fail(r, "bad trace stats");
}

/* TracePacketDefaults { track_event_defaults { track_uuid } }. */
static void parse_defaults(pr *r, const uint8_t *p, size_t n) {
    pb b = {p, n, 0, false}, c;
    uint32_t f;
    uint64_t v;
    while (pb_sub(&b, 11, &c)) {
        while (pb_scalar(&c, &f, &v))
            if (f == 11) r->default_track = v;
        if (c.bad) fail(r, "bad packet defaults");
    }
    if (r->default_track > CT_MAX_TRACKS || b.bad) fail(r, "bad packet defaults");
}

static void parse_packet(pr *r, const uint8_t *p, size_t n, int depth) {
    pb b = {p, n, 0, false};
    uint32_t f;
    uint64_t v, ts = 0, clock = 0;
    bool has_ts = false;
    const uint8_t *d, *te = NULL;
    size_t len, te_len = 0;
    while (pb_next(&b, &f, &v, &d, &len) && !r->why && !r->oom) {
        switch (f) {
        case 8:
            ts = v;
            has_ts = true;
            break;
        case 58: clock = v; break;
        case 50:
            if (!d || depth > 0)
                fail(r, "bad compressed packets");
            else
                inflate_chunk(r, d, len);
            break;
        case 12:
            if (d) parse_interned(r, d, len);
            break;
        case 6:
            if (d) parse_clock_snapshot(r, d, len);
            break;
        case 60:
            if (d) parse_track(r, d, len);
            break;
        case 35:
            if (d) parse_trace_stats(r, d, len);
            break;
        case 59:
            if (d) parse_defaults(r, d, len);
            break;
        case 11:
            te = d;
            te_len = len;
            break;
        default: break;
        }
    }
    if (b.bad) fail(r, "bad packet");
    if (!te || r->why || r->oom) return;
    /* Event packets use the sequence's incremental clock (deltas) unless
     * they name an absolute one. */
    uint64_t ns = r->last_ns;
    if (has_ts) ns = clock && clock != 64 ? ts : r->last_ns + ts;
    r->last_ns = ns;
    parse_event(r, ns, te, te_len);
}

static void parse_trace(pr *r, const uint8_t *p, size_t n, int depth) {
    pb b = {p, n, 0, false};
    uint32_t f;
    uint64_t v;
    const uint8_t *d;
    size_t len;
    while (!r->why && !r->oom && pb_next(&b, &f, &v, &d, &len))
        if (f == 1 && d) parse_packet(r, d, len, depth);
    if (b.bad) fail(r, "bad trace");
}

static uint8_t uint_type(uint64_t maxv) {
    return maxv <= 0xFF          ? CT_T_U8
           : maxv <= 0xFFFF      ? CT_T_U16
           : maxv <= 0xFFFFFFFFu ? CT_T_U32
                                 : CT_T_U64;
}

/* The trace from what was read. */
static int build(pr *r, ct_trace **out) {
    ct_trace *t = calloc(1, sizeof *t);
    if (!t) return -ENOMEM;
    uint32_t ne = r->nev_names;
    for (size_t i = 0; i < r->nevs; i++)
        if (r->evs[i].eid + 1u > ne) ne = r->evs[i].eid + 1u;
    if (ne == 0) {
        free(t);
        fail(r, "no events");
        return -EINVAL;
    }
    t->events_desc = calloc(ne, sizeof *t->events_desc);
    t->schema.name = strdup("perfetto");
    if (!t->events_desc || !t->schema.name) goto oom;
    t->schema.nevents = ne;
    t->schema.events = t->events_desc;
    t->schema.ts_hz = 1000000000u;
    if (r->ticks)
        t->schema.ts_hz = r->desc_hz                      ? r->desc_hz
                          : 1000000000u % r->tick_ns == 0 ? 1000000000u / r->tick_ns
                                                          : 0;
    for (uint32_t id = 0; id < ne; id++) {
        ct_event_desc *d = &t->events_desc[id];
        const pr_evinfo *e = &r->ev[id];
        const char *target = "unknown";
        if (e->seen) {
            unsigned tr = e->track;
            if (r->track[tr].parent && r->track[tr].parent <= CT_MAX_TRACKS)
                tr = r->track[tr].parent;
            if (r->track[tr].name) target = r->track[tr].name;
        }
        d->target = strdup(target);
        d->name = strdup(r->ev_name[id] ? r->ev_name[id] : "?");
        d->level = CT_LVL_INFO;
        d->kind = e->seen ? e->kind : CT_INSTANT;
        if (!d->target || !d->name) goto oom;
        unsigned sum = 0;
        for (unsigned f = 0; e->seen && f < e->nf; f++) {
            const char *fn = r->ann_name[e->ann[f] - 1];
            d->fields[f].name = strdup(fn ? fn : "?");
            if (!d->fields[f].name) goto oom;
            d->nfields = (uint8_t)(f + 1);
            switch (e->vkind[f]) {
            case V_INT: d->fields[f].type = CT_T_I32; break;
            case V_BOOL: d->fields[f].type = CT_T_BOOL; break;
            case V_STR: d->fields[f].type = CT_T_STR; break;
            default: d->fields[f].type = uint_type(e->maxv[f]); break;
            }
            sum += ct_field_size(d->fields[f].type);
        }
        if (sum > CT_MAX_PAYLOAD) {
            ct_trace_free(t);
            fail(r, "an event's fields do not fit a record");
            return -EINVAL;
        }
        d->payload_bytes = (uint8_t)sum;
    }
    t->ev = malloc((r->nevs ? r->nevs : 1) * sizeof *t->ev);
    if (!t->ev) goto oom;
    for (size_t i = 0; i < r->nevs; i++) {
        const pr_ev *s = &r->evs[i];
        const ct_event_desc *d = &t->events_desc[s->eid];
        ct_event *e = &t->ev[i];
        e->ts = s->ts;
        e->id = s->eid;
        memset(e->payload, 0, sizeof e->payload);
        unsigned off = 0;
        for (unsigned f = 0; f < d->nfields; f++) {
            unsigned sz = ct_field_size(d->fields[f].type);
            uint64_t v = r->vals[s->voff + f];
            for (unsigned k = 0; k < sz; k++)
                e->payload[off + k] = (uint8_t)(v >> (8 * k));
            off += sz;
        }
    }
    t->nev = r->nevs;
    t->written = r->nevs;
    if (r->have_stats) {
        t->written = r->written;
        t->overwritten = r->overwritten;
        t->dropped = r->dropped;
        t->ring_bytes = r->ring_bytes;
    }
    t->strings = r->strings;
    t->nstrings = r->nstrings;
    r->strings = NULL;
    r->nstrings = 0;
    *out = t;
    return 0;
oom:
    ct_trace_free(t);
    return -ENOMEM;
}

int ct__parse_perfetto(const uint8_t *buf, size_t len, ct_trace **out, char *err, size_t errlen) {
    *out = NULL;
    pr *r = calloc(1, sizeof *r);
    if (!r) return -ENOMEM;
    parse_trace(r, buf, len, 0);
    int rc = r->oom ? -ENOMEM : r->why ? -EINVAL : build(r, out);
    if (rc && err && errlen) {
        if (rc == -ENOMEM)
            snprintf(err, errlen, "out of memory");
        else
            snprintf(err, errlen, "malformed .perfetto-trace: %s", r->why ? r->why : "?");
    }
    for (unsigned i = 0; i < CT_MAX_EVENTS; i++)
        free(r->ev_name[i]);
    for (unsigned i = 0; i < MAX_ANN; i++)
        free(r->ann_name[i]);
    for (unsigned i = 0; i <= CT_MAX_TRACKS; i++)
        free(r->track[i].name);
    for (uint32_t i = 0; i < r->nstrings; i++)
        free(r->strings[i]);
    free(r->strings);
    free(r->sites);
    free(r->svals);
    free(r->evs);
    free(r->vals);
    free(r);
    return rc;
}
