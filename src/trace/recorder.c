/* ceres-trace, hosted part: ring sizes, recorder lifecycle, string interning,
 * ring scans and snapshots, atomic dump files. */
#include "ct_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void set_err(char *err, size_t errlen, const char *fmt, ...) {
    if (!err || errlen == 0) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* ---- sizes ------------------------------------------------------------- */

int ct_parse_size(const char *s, uint64_t *bytes, uint64_t *events, char *err, size_t errlen) {
    *bytes = 0;
    *events = 0;
    if (!s || !*s) {
        set_err(err, errlen, "empty ring size (expected e.g. 4M, 512K, 65536 or 200000ev)");
        return -EINVAL;
    }
    uint64_t v = 0;
    const char *p = s;
    if (*p < '0' || *p > '9') goto bad;
    for (; *p >= '0' && *p <= '9'; p++) {
        unsigned d = (unsigned)(*p - '0');
        if (v > (UINT64_MAX - d) / 10) goto overflow;
        v = v * 10 + d;
    }
    /* Suffixes: K, M, G (binary: 1024^n), optionally followed by B or iB; or
     * "ev" for a count of events. */
    static const struct {
        const char *sfx;
        unsigned shift;
        bool events;
    } sfx[] = {
        {"", 0, false},     {"B", 0, false},   {"K", 10, false},   {"KB", 10, false},
        {"KiB", 10, false}, {"M", 20, false},  {"MB", 20, false},  {"MiB", 20, false},
        {"G", 30, false},   {"GB", 30, false}, {"GiB", 30, false}, {"ev", 0, true},
    };
    for (size_t i = 0; i < sizeof sfx / sizeof sfx[0]; i++) {
        const char *a = sfx[i].sfx, *b = p;
        while (*a && *b && (*a == *b || (*a >= 'A' && *a <= 'Z' && *a + 32 == *b)))
            a++, b++;
        if (*a || *b) continue;
        if (sfx[i].shift && v > (UINT64_MAX >> sfx[i].shift)) goto overflow;
        v <<= sfx[i].shift;
        if (sfx[i].events) {
            if (v > ((uint64_t)1 << 36)) goto overflow;
            *events = v;
        } else {
            *bytes = v;
        }
        return 0;
    }
bad:
    set_err(err, errlen, "bad ring size '%s' (expected e.g. 4M, 512K, 1G, 65536 or 200000ev)", s);
    return -EINVAL;
overflow:
    set_err(err, errlen, "ring size '%s' is too large", s);
    return -ERANGE;
}

/* ---- lifecycle --------------------------------------------------------- */

static int check_schema(const ct_schema *s, char *err, size_t errlen, unsigned *max_words) {
    if (!s || !s->events || s->nevents == 0 || s->nevents > CT_MAX_EVENTS) {
        set_err(err, errlen, "bad schema: %u events (1..%u allowed)", s ? s->nevents : 0,
                CT_MAX_EVENTS);
        return -EINVAL;
    }
    unsigned mw = 2;
    for (uint32_t i = 0; i < s->nevents; i++) {
        const ct_event_desc *d = &s->events[i];
        unsigned sum = 0;
        if (d->nfields > CT_MAX_FIELDS) goto bad;
        for (unsigned f = 0; f < d->nfields; f++) {
            if (!ct_field_size(d->fields[f].type)) goto bad;
            sum += ct_field_size(d->fields[f].type);
        }
        if (sum != d->payload_bytes || sum > CT_MAX_PAYLOAD || d->kind > CT_STEP ||
            d->level > CT_LVL_TRACE || !d->target || !d->name)
            goto bad;
        if (ct_rec_words(sum) > mw) mw = ct_rec_words(sum);
        continue;
    bad:
        set_err(err, errlen, "bad schema: event %u (%s.%s) is malformed", i,
                d->target ? d->target : "?", d->name ? d->name : "?");
        return -EINVAL;
    }
    *max_words = mw;
    return 0;
}

/* Readers find the oldest whole record through the sync table, which marks
 * record starts every 512 words: a wrapped ring smaller than a few sync
 * chunks would lose most of its records (or all, below one chunk). */
#define MIN_WORDS ((uint64_t)4 << CT_SYNC_SHIFT)

ct_recorder *ct_recorder_create(const ct_schema *s, uint64_t bytes, uint64_t events, ct_mode mode,
                                char *err, size_t errlen) {
    unsigned max_words;
    if (check_schema(s, err, errlen, &max_words)) return NULL;
    uint64_t words;
    if (events) {
        /* Room for `events` of the largest records, plus what a reader may
         * skip at the old end: up to one sync chunk (two for the crash
         * handler) and a record straddling the chunk boundary. */
        if (events > ((uint64_t)1 << 36)) {
            set_err(err, errlen, "event bound %llu is too large", (unsigned long long)events);
            return NULL;
        }
        uint64_t need = events * max_words + (2u << CT_SYNC_SHIFT) + 2 * CT_REC_MAX_WORDS;
        words = MIN_WORDS;
        while (words < need)
            words *= 2;
    } else if (bytes) {
        words = ct_ring_words_for_bytes((size_t)(bytes > SIZE_MAX ? SIZE_MAX : bytes));
        if (words < MIN_WORDS) {
            set_err(err, errlen, "ring size %llu bytes is too small (minimum %zu)",
                    (unsigned long long)bytes, ct_ring_mem_bytes(MIN_WORDS));
            return NULL;
        }
    } else {
        set_err(err, errlen, "ring size 0: recording is off");
        return NULL;
    }
    size_t mem_bytes = ct_ring_mem_bytes(words);
    void *mem = NULL;
    if (posix_memalign(&mem, 64, mem_bytes) != 0) {
        set_err(err, errlen, "cannot allocate a %zu-byte ring", mem_bytes);
        return NULL;
    }
    ct_recorder *r = calloc(1, sizeof *r);
    if (!r) {
        free(mem);
        set_err(err, errlen, "out of memory");
        return NULL;
    }
    ct_recorder_init(r, s, mem, words, mode, events);
    return r;
}

void ct_recorder_destroy(ct_recorder *r) {
    if (!r) return;
    if (r->stream) ct_stream_close(r);
    for (uint32_t i = 0; i < r->nstrings; i++)
        free((void *)r->strings[i]);
    free(r->strings);
    free(r->ring.words);
    free(r);
}

uint32_t ct_intern(ct_recorder *r, const char *str) {
    if (!str) str = "";
    for (uint32_t i = 0; i < r->nstrings; i++)
        if (!strcmp(r->strings[i], str)) return i;
    if (r->nstrings == UINT32_MAX - 1) return UINT32_MAX;
    if (r->nstrings == r->strings_cap) {
        uint32_t cap = r->strings_cap ? r->strings_cap * 2 : 16;
        const char **ns = realloc(r->strings, cap * sizeof *ns);
        if (!ns) return UINT32_MAX;
        r->strings = ns;
        r->strings_cap = cap;
    }
    char *copy = strdup(str);
    if (!copy) return UINT32_MAX;
    r->strings[r->nstrings] = copy;
    return r->nstrings++;
}

/* ---- formats ----------------------------------------------------------- */

static const struct {
    ct_format f;
    const char *name, *ext;
} formats[] = {
    {CT_FMT_PERFETTO, "perfetto", ".perfetto-trace"},
    {CT_FMT_JSON, "json", ".json"},
    {CT_FMT_LOG, "log", ".log"},
    {CT_FMT_CTRACE, "ctrace", ".ctrace"},
};
#define NFORMATS (sizeof formats / sizeof formats[0])

ct_format ct_format_from_path(const char *path) {
    size_t n = path ? strlen(path) : 0;
    for (size_t i = 0; i < NFORMATS; i++) {
        size_t e = strlen(formats[i].ext);
        if (n >= e && !strcmp(path + n - e, formats[i].ext)) return formats[i].f;
    }
    if (n >= 8 && !strcmp(path + n - 8, ".pftrace")) return CT_FMT_PERFETTO;
    return CT_FMT_AUTO;
}

int ct_format_parse(const char *name, ct_format *out) {
    for (size_t i = 0; name && i < NFORMATS; i++)
        if (!strcmp(name, formats[i].name)) {
            *out = formats[i].f;
            return 0;
        }
    return -EINVAL;
}

const char *ct_format_ext(ct_format f) {
    for (size_t i = 0; i < NFORMATS; i++)
        if (formats[i].f == f) return formats[i].ext;
    return "";
}

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
    s->ring_bytes = ct_ring_mem_bytes(r->ring.mask + 1);
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

/* ---- ring scans and snapshots ------------------------------------------ */

unsigned ct__rec_ok(const ct_recorder *r, uint64_t off) {
    uint64_t w0 = ct_ring_word(&r->ring, off);
    unsigned id = (unsigned)(w0 & 0xFFFF), n = (unsigned)((w0 >> 16) & 0xFF);
    if (id >= r->schema->nevents || n != ct_rec_words(r->schema->events[id].payload_bytes))
        return 0;
    return off + n <= ct_ring_head(&r->ring) ? n : 0;
}

void ct__ring_scan(const ct_recorder *r, unsigned safety, ct_scan *out) {
    const ct_ring *g = &r->ring;
    uint64_t first = ct_ring_first(g, safety), off = first, cnt = 0;
    const uint64_t head = ct_ring_head(g), written = ct_ring_written(g);
    unsigned n;
    while (off < head && (n = ct__rec_ok(r, off)) != 0) {
        off += n;
        cnt++;
    }
    /* Records are numbered in write order; a start trigger's history limit
     * (keep_from) hides the older ones. */
    uint64_t firstnum = g->mode == CT_OVERWRITE && written > cnt ? written - cnt : 0;
    uint64_t skip = g->keep_from > firstnum ? g->keep_from - firstnum : 0;
    if (skip > cnt) skip = cnt;
    uint64_t keep = cnt - skip;
    if (g->max_events && keep > g->max_events) {
        if (g->mode == CT_OVERWRITE) skip += keep - g->max_events;
        keep = g->max_events;
    }
    for (uint64_t i = 0; i < skip; i++)
        first += ct__rec_ok(r, first);
    out->first = first;
    out->count = keep;
    if (g->mode == CT_DISCARD) {
        out->written = keep;
        out->overwritten = 0;
        out->dropped = g->dropped + (written > keep ? written - keep : 0);
    } else {
        out->written = written;
        out->overwritten = written > keep ? written - keep : 0;
        out->dropped = g->dropped;
    }
}

int ct_trace_from_recorder(const ct_recorder *r, ct_trace **out) {
    *out = NULL;
    ct_trace *t = calloc(1, sizeof *t);
    if (!t) return -ENOMEM;
    t->schema = *r->schema;
    ct_scan sc;
    ct__ring_scan(r, 0, &sc);
    t->ev = malloc((sc.count ? sc.count : 1) * sizeof *t->ev);
    t->strings = calloc(r->nstrings ? r->nstrings : 1, sizeof *t->strings);
    if (!t->ev || !t->strings) goto oom;
    for (uint32_t i = 0; i < r->nstrings; i++) {
        t->strings[i] = strdup(r->strings[i]);
        if (!t->strings[i]) goto oom;
        t->nstrings = i + 1;
    }
    uint64_t off = sc.first;
    for (uint64_t i = 0; i < sc.count; i++) {
        ct_event *e = &t->ev[i];
        e->id = ct_ring_read(&r->ring, off, &e->ts, e->payload);
        off += ct_ring_rec_words(&r->ring, off);
    }
    t->nev = sc.count;
    t->written = sc.written;
    t->overwritten = sc.overwritten;
    t->dropped = sc.dropped;
    t->ring_bytes = ct_ring_mem_bytes(r->ring.mask + 1);
    *out = t;
    return 0;
oom:
    ct_trace_free(t);
    return -ENOMEM;
}

void ct_trace_free(ct_trace *t) {
    if (!t) return;
    for (uint32_t i = 0; i < t->nstrings; i++)
        free(t->strings[i]);
    free(t->strings);
    free(t->ev);
    if (t->events_desc) {
        for (uint32_t i = 0; i < t->schema.nevents; i++) {
            ct_event_desc *d = &t->events_desc[i];
            free((void *)d->target);
            free((void *)d->name);
            for (unsigned f = 0; f < d->nfields && f < CT_MAX_FIELDS; f++)
                free((void *)d->fields[f].name);
        }
        free(t->events_desc);
        free((void *)t->schema.name);
    }
    free(t);
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

/* ---- atomic files ------------------------------------------------------ */

/* Output goes through ct_file (ct_file.c): a temporary file renamed over
 * PATH once complete; devices and FIFOs written in place; links refused. */

static int write_src_fd(const ct_src *src, const ct_trace *t, int fd, ct_format f,
                        const ct_dump_opts *o) {
    uint8_t *buf = malloc(CT_WBUF_HOSTED);
    if (!buf) return -ENOMEM;
    ct_wbuf w;
    ct__wbuf_init(&w, fd, buf, CT_WBUF_HOSTED);
    int err;
    switch (f) {
    case CT_FMT_PERFETTO: err = ct__write_perfetto(src, &w, o); break;
    case CT_FMT_JSON: err = ct__write_json(src, &w, o); break;
    case CT_FMT_LOG: err = ct__write_log(src, &w, o); break;
    case CT_FMT_CTRACE: err = t ? ct__write_ctrace(t, &w) : -EINVAL; break;
    default: err = -EINVAL; break;
    }
    ct__wbuf_flush(&w);
    if (!err) err = w.err;
    free(buf);
    return err;
}

static ct_format pick_format(const char *path, const ct_dump_opts *o) {
    if (o && o->format != CT_FMT_AUTO) return o->format;
    ct_format f = ct_format_from_path(path);
    return f == CT_FMT_AUTO ? CT_FMT_CTRACE : f;
}

int ct_trace_write(const ct_trace *t, const char *path, const ct_dump_opts *opts) {
    static const ct_dump_opts none = {0};
    if (!opts) opts = &none;
    ct_format f = pick_format(path, opts);
    if (f < CT_FMT_PERFETTO || f > CT_FMT_CTRACE) return -EINVAL;
    ct_file a;
    int err = ct_file_open(&a, path);
    if (err) return err;
    ct_src src;
    ct__src_from_trace(&src, t);
    return ct_file_commit(&a, write_src_fd(&src, t, a.fd, f, opts));
}

int ct_dump(const ct_recorder *r, const char *path, const ct_dump_opts *opts) {
    static const ct_dump_opts none = {0};
    if (!r) return -EINVAL;
    if (!opts) opts = &none;
    ct_format f = pick_format(path, opts);
    if (f < CT_FMT_PERFETTO || f > CT_FMT_CTRACE) return -EINVAL;
    ct_file a;
    int err = ct_file_open(&a, path);
    if (err) return err;
    if (f == CT_FMT_CTRACE) {
        err = ct__dump_ctrace_ring(r, a.fd, 0);
    } else {
        /* The exporters read the ring in place: nothing is recorded while
         * they run (the recorder is single-threaded), and no copy of a ring
         * of a million events has to be made first. */
        ct_src src;
        ct__src_from_recorder(&src, r);
        err = write_src_fd(&src, NULL, a.fd, f, opts);
    }
    return ct_file_commit(&a, err);
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
