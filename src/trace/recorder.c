/* ceres-trace, hosted part: ring sizes, recorder lifecycle, string interning,
 * ring scans and snapshots. The dump dispatch is in dump.c, the helpers the
 * exporters share in export_common.c. */
/* MAP_ANONYMOUS and MAP_NORESERVE are not POSIX.1-2008. */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE
#endif
#include "ct_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

void ct_errf(char *err, size_t errlen, const char *fmt, ...) {
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
        ct_errf(err, errlen, "empty ring size (expected e.g. 4M, 512K, 65536 or 200000ev)");
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
    ct_errf(err, errlen, "bad ring size '%s' (expected e.g. 4M, 512K, 1G, 65536 or 200000ev)", s);
    return -EINVAL;
overflow:
    ct_errf(err, errlen, "ring size '%s' is too large", s);
    return -ERANGE;
}

/* ---- lifecycle --------------------------------------------------------- */

static int check_schema(const ct_schema *s, char *err, size_t errlen, unsigned *max_words) {
    if (!s || !s->events || s->nevents == 0 || s->nevents > CT_MAX_EVENTS) {
        ct_errf(err, errlen, "bad schema: %u events (1..%u allowed)", s ? s->nevents : 0,
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
        ct_errf(err, errlen, "bad schema: event %u (%s.%s) is malformed", i,
                d->target ? d->target : "?", d->name ? d->name : "?");
        return -EINVAL;
    }
    *max_words = mw;
    return 0;
}

/* Readers find the oldest whole record through the sync table, which marks
 * record starts every 512 words: a wrapped ring smaller than a few sync
 * chunks would lose most of its records (or all, below one chunk). */
#define MIN_WORDS CT_RING_MIN_WORDS

/* The ring's memory: an anonymous private mapping, zero-filled by the
 * kernel as the head first reaches it. Nothing is touched here, so the
 * start-up cost does not grow with the ring (a 1 GiB ring used to cost
 * 1.5 s at start) and no swap is reserved for what a run never reaches.
 * A ring of 2 MiB or more is aligned to 2 MiB and offered to transparent
 * huge pages: a forked test child that fills its 4 MiB ring then takes a
 * couple of page faults instead of one per 4 KiB page (about 1000, most
 * of a short test's recording cost). */
#define HUGE_PAGE ((size_t)2 << 20)
static void *ring_map(size_t bytes) {
    int flags = MAP_PRIVATE | MAP_ANONYMOUS;
#ifdef MAP_NORESERVE
    flags |= MAP_NORESERVE;
#endif
#ifdef MADV_HUGEPAGE
    if (bytes >= HUGE_PAGE && bytes <= SIZE_MAX - HUGE_PAGE) {
        uint8_t *p = mmap(NULL, bytes + HUGE_PAGE, PROT_READ | PROT_WRITE, flags, -1, 0);
        if (p == MAP_FAILED) return NULL;
        uint8_t *a = (uint8_t *)(((uintptr_t)p + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1));
        /* Keep [a, a + bytes rounded up to a page); unmap either side. */
        const size_t pg = (size_t)sysconf(_SC_PAGESIZE), keep = (bytes + pg - 1) / pg * pg;
        if (a > p) munmap(p, (size_t)(a - p));
        if (p + bytes + HUGE_PAGE > a + keep)
            munmap(a + keep, (size_t)(p + bytes + HUGE_PAGE - (a + keep)));
        madvise(a, bytes, MADV_HUGEPAGE); /* advice: a refusal costs nothing */
        return a;
    }
#endif
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, flags, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

/* Words of a ring for a byte bound, or 0 with a message. */
static uint64_t words_for(uint64_t bytes, char *err, size_t errlen) {
    uint64_t words = ct_ring_words_for_bytes((size_t)(bytes > SIZE_MAX ? SIZE_MAX : bytes));
    if (words < MIN_WORDS) {
        ct_errf(err, errlen, "ring size %llu bytes is too small (minimum %zu)",
                (unsigned long long)bytes, ct_ring_mem_bytes(MIN_WORDS));
        return 0;
    }
    return words;
}

/* A recorder with `n` rings of words[k] words; ring_of[] (schema order)
 * says where each event goes. */
static ct_recorder *create_rings(const ct_schema *s, ct_mode mode, uint64_t events,
                                 const uint64_t *words, unsigned n, const uint8_t *ring_of,
                                 char *err, size_t errlen) {
    ct_recorder *r = calloc(1, sizeof *r);
    if (!r) {
        ct_errf(err, errlen, "out of memory");
        return NULL;
    }
    for (unsigned k = 0; k < n; k++) {
        size_t mem_bytes = ct_ring_mem_bytes(words[k]);
        void *mem = ring_map(mem_bytes);
        if (!mem) {
            ct_errf(err, errlen, "cannot allocate a %zu-byte ring", mem_bytes);
            if (k)
                ct_recorder_destroy(r);
            else
                free(r);
            return NULL;
        }
        if (k == 0)
            ct_recorder_init(r, s, mem, words[0], mode, events);
        else
            ct_recorder_add_ring(r, mem, words[k]);
    }
    for (uint32_t i = 0; ring_of && i < s->nevents; i++)
        r->ring_of[i] = ring_of[i];
    ct_recorder_refresh(r);
    return r;
}

ct_recorder *ct_recorder_create(const ct_schema *s, uint64_t bytes, uint64_t events, ct_mode mode,
                                char *err, size_t errlen) {
    unsigned max_words;
    if (check_schema(s, err, errlen, &max_words)) return NULL;
    uint64_t words[1];
    if (events) {
        /* Room for `events` of the largest records, plus what a reader may
         * skip at the old end: up to one sync chunk (two for the crash
         * handler) and a record straddling the chunk boundary. One ring:
         * readers keep exactly the last (first) `events`. */
        if (events > ((uint64_t)1 << 36)) {
            ct_errf(err, errlen, "event bound %llu is too large", (unsigned long long)events);
            return NULL;
        }
        uint64_t need = events * max_words + (2u << CT_SYNC_SHIFT) + 2 * CT_REC_MAX_WORDS;
        words[0] = need > MIN_WORDS ? need : MIN_WORDS;
        return create_rings(s, mode, events, words, 1, NULL, err, errlen);
    }
    if (!bytes) {
        ct_errf(err, errlen, "ring size 0: recording is off");
        return NULL;
    }
    if (!(words[0] = words_for(bytes, err, errlen))) return NULL;
    return create_rings(s, mode, 0, words, 1, NULL, err, errlen);
}

/* Which ring of a spec event `d` goes to: its own name, else its target,
 * else the most selective level that takes it, else the `rest` ring (the
 * first ring when there is none). A ring may have several selectors joined
 * by '+' (ppu.mode+io.read=512K). */
typedef struct ring_sel {
    const char *sel; /* not NUL-terminated: sel[0..len) */
    size_t len;
    unsigned ring;
} ring_sel;

static bool sel_is(const ring_sel *r, const char *w) {
    return strlen(w) == r->len && !strncmp(r->sel, w, r->len);
}

static int sel_level(const ring_sel *r) {
    static const char *const names[] = {"error", "warn", "info", "debug", "trace"};
    for (int l = 0; l < 5; l++)
        if (sel_is(r, names[l])) return l + CT_LVL_ERROR;
    return -1;
}

/* A selector must name something: rest, a level, a target or an event of
 * the schema. */
static bool sel_known(const ct_schema *s, const ring_sel *sel) {
    if (sel_is(sel, "rest") || sel_level(sel) >= 0) return true;
    for (uint32_t i = 0; i < s->nevents; i++) {
        const ct_event_desc *d = &s->events[i];
        char full[128];
        snprintf(full, sizeof full, "%s.%s", d->target, d->name);
        if (sel_is(sel, d->target) || sel_is(sel, full)) return true;
    }
    return false;
}

#define MAX_SELS (4 * CT_MAX_RINGS * 4)

ct_recorder *ct_recorder_create_spec(const ct_schema *s, const char *spec, ct_mode mode, char *err,
                                     size_t errlen) {
    unsigned max_words;
    if (check_schema(s, err, errlen, &max_words)) return NULL;
    if (spec && !strncmp(spec, "all=", 4)) spec += 4; /* one ring for every event */
    if (!spec || !strchr(spec, '=')) {
        uint64_t bytes, events;
        if (ct_parse_size(spec, &bytes, &events, err, errlen)) return NULL;
        return ct_recorder_create(s, bytes, events, mode, err, errlen);
    }
    ring_sel sel[MAX_SELS];
    uint64_t words[CT_MAX_RINGS];
    unsigned n = 0, nsel = 0;
    int rest = -1;
    for (const char *p = spec; *p;) {
        const char *comma = strchr(p, ','), *end = comma ? comma : p + strlen(p);
        const char *eq = memchr(p, '=', (size_t)(end - p));
        char size[32];
        if (!eq || eq == p || (size_t)(end - eq - 1) >= sizeof size || end == eq + 1) {
            ct_errf(err, errlen, "bad ring spec '%s' (expected e.g. cpu=4M,rest=1M)", spec);
            return NULL;
        }
        if (n == CT_MAX_RINGS) {
            ct_errf(err, errlen, "ring spec '%s': at most %d rings", spec, CT_MAX_RINGS);
            return NULL;
        }
        memcpy(size, eq + 1, (size_t)(end - eq - 1));
        size[end - eq - 1] = 0;
        uint64_t bytes, events;
        if (ct_parse_size(size, &bytes, &events, err, errlen)) return NULL;
        if (!bytes) {
            ct_errf(err, errlen, "ring spec '%s': each ring needs a byte size", spec);
            return NULL;
        }
        if (!(words[n] = words_for(bytes, err, errlen))) return NULL;
        for (const char *q = p; q < eq;) {
            const char *plus = memchr(q, '+', (size_t)(eq - q)), *qe = plus ? plus : eq;
            if (qe == q || nsel == MAX_SELS) {
                ct_errf(err, errlen, "bad ring spec '%s' (expected e.g. cpu=4M,rest=1M)", spec);
                return NULL;
            }
            ring_sel *c = &sel[nsel++];
            c->sel = q;
            c->len = (size_t)(qe - q);
            c->ring = n;
            if (!sel_known(s, c)) {
                ct_errf(err, errlen,
                        "ring spec '%s': '%.*s' is no target, event or level (or rest)", spec,
                        (int)c->len, c->sel);
                return NULL;
            }
            if (sel_is(c, "rest")) rest = (int)n;
            q = plus ? plus + 1 : eq;
            if (plus && q == eq) {
                ct_errf(err, errlen, "bad ring spec '%s' (a '+' with nothing after it)", spec);
                return NULL;
            }
        }
        n++;
        p = comma ? comma + 1 : end;
    }
    uint8_t ring_of[CT_MAX_EVENTS] = {0};
    for (uint32_t i = 0; i < s->nevents; i++) {
        const ct_event_desc *d = &s->events[i];
        char full[128];
        snprintf(full, sizeof full, "%s.%s", d->target, d->name);
        int by_event = -1, by_target = -1, by_level = -1, lvl = 99;
        for (unsigned k = 0; k < nsel; k++) {
            int l = sel_level(&sel[k]);
            if (sel_is(&sel[k], full))
                by_event = (int)sel[k].ring;
            else if (sel_is(&sel[k], d->target))
                by_target = (int)sel[k].ring;
            else if (l >= 0 && d->level <= l && l < lvl)
                by_level = (int)sel[k].ring, lvl = l;
        }
        int k = by_event >= 0    ? by_event
                : by_target >= 0 ? by_target
                : by_level >= 0  ? by_level
                : rest >= 0      ? rest
                                 : 0;
        ring_of[i] = (uint8_t)k;
    }
    /* The ring taking the most trace-level events (the flood: instructions,
     * bus accesses) becomes ring 0, the one the plain record path (and a
     * host's own fast loop) writes to; the others keep their order. */
    unsigned flood[CT_MAX_RINGS] = {0}, top = 0;
    for (uint32_t i = 0; i < s->nevents; i++)
        if (s->events[i].level == CT_LVL_TRACE) flood[ring_of[i]]++;
    for (unsigned k = 1; k < n; k++)
        if (flood[k] > flood[top]) top = k;
    if (top) {
        const uint64_t w = words[top];
        for (unsigned k = top; k > 0; k--)
            words[k] = words[k - 1];
        words[0] = w;
        for (uint32_t i = 0; i < s->nevents; i++)
            ring_of[i] = ring_of[i] == top ? 0 : ring_of[i] < top ? ring_of[i] + 1 : ring_of[i];
    }
    return create_rings(s, mode, 0, words, n, ring_of, err, errlen);
}

uint64_t ct__recorder_bytes(const ct_recorder *r) {
    uint64_t n = 0;
    for (unsigned k = 0; k < r->nrings; k++)
        n += ct_ring_bytes(r->rings[k]);
    return n;
}

uint64_t ct_recorder_bytes(const ct_recorder *r) {
    return ct__recorder_bytes(r);
}

void ct_recorder_describe(const ct_recorder *r, char *buf, size_t len) {
    static const char *const lvl[] = {"off", "error", "warn", "info", "debug", "trace"};
    size_t at = 0;
#define PUT(...)                                                                                   \
    do {                                                                                           \
        int n_ = snprintf(buf + at, at < len ? len - at : 0, __VA_ARGS__);                         \
        if (n_ > 0) at += (size_t)n_;                                                              \
    } while (0)
    if (!len) return;
    buf[0] = 0;
    if (r->nrings == 1) {
        PUT("one ring of %llu bytes", (unsigned long long)ct_ring_bytes(r->rings[0]));
        return;
    }
    PUT("%u rings of %llu bytes:", r->nrings, (unsigned long long)ct__recorder_bytes(r));
    for (unsigned k = 0; k < r->nrings; k++) {
        unsigned nev = 0, lo = CT_LVL_TRACE, hi = CT_LVL_ERROR, shown = 0;
        for (uint32_t i = 0; i < r->schema->nevents; i++)
            if (r->ring_of[i] == k) {
                const unsigned l = r->schema->events[i].level;
                nev++;
                lo = l < lo ? l : lo;
                hi = l > hi ? l : hi;
            }
        PUT("%s %llu (", k ? "," : "", (unsigned long long)ct_ring_bytes(r->rings[k]));
        if (nev && nev <= 4) {
            for (uint32_t i = 0; i < r->schema->nevents; i++)
                if (r->ring_of[i] == k)
                    PUT("%s%s.%s", shown++ ? " " : "", r->schema->events[i].target,
                        r->schema->events[i].name);
        } else if (nev) {
            PUT("%u events, %s%s%s", nev, lvl[lo], lo == hi ? "" : "..", lo == hi ? "" : lvl[hi]);
        } else {
            PUT("no event");
        }
        PUT(")");
    }
#undef PUT
}

void ct_recorder_destroy(ct_recorder *r) {
    if (!r) return;
    ct_stream_close(r); /* if one is open */
    for (uint32_t i = 0; i < r->nstrings; i++)
        free((void *)r->strings[i]);
    free(r->strings);
    for (unsigned k = 0; k < r->nrings; k++)
        munmap(r->rings[k]->words, ct_ring_bytes(r->rings[k]));
    free(r);
}

void ct_recorder_reset(ct_recorder *r) {
    ct_stream_close(r);
    for (uint32_t i = 0; i < r->nstrings; i++)
        free((void *)r->strings[i]);
    free(r->strings);
    /* The rings' memory, bounds and routing survive; everything else is
     * set up again as ct_recorder_create does. Old words are never read:
     * readers start at the reset head (ct_ring_reset). */
    const ct_ring ring0 = r->ring;
    ct_ring keep[CT_MAX_RINGS];
    const unsigned n = r->nrings;
    for (unsigned k = 1; k < n; k++)
        keep[k] = *r->rings[k];
    uint8_t ring_of[CT_MAX_EVENTS];
    memcpy(ring_of, r->ring_of, sizeof ring_of);
    ct_recorder_init(r, r->schema, ring0.words, ring0.cap, (ct_mode)ring0.mode, ring0.max_events);
    for (unsigned k = 1; k < n; k++)
        ct_recorder_add_ring(r, keep[k].words, keep[k].cap);
    memcpy(r->ring_of, ring_of, sizeof ring_of);
    ct_recorder_refresh(r);
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

/* ---- ring scans and snapshots ------------------------------------------ */

unsigned ct__rec_ok(const ct_recorder *r, const ct_ring *g, uint64_t off) {
    uint64_t w0 = ct_ring_word(g, off);
    unsigned id = (unsigned)(w0 & 0xFF), n = (unsigned)((w0 >> CT_REC_N_SHIFT) & 0x3F);
    if (id >= r->schema->nevents || (w0 >> 31) & 1) return 0;
    /* A record without its timestamp word (ring 0 only) is one word shorter. */
    const unsigned notime = (w0 & CT_REC_NOTS) ? 1 : 0;
    if (n != ct_rec_words(r->schema->events[id].payload_bytes) - notime ||
        (notime && g != &r->ring))
        return 0;
    return off + n <= ct_ring_head(g) ? n : 0;
}

/* One ring: where its kept records start, how many, and its statistics. */
static void scan_ring(const ct_recorder *r, const ct_ring *g, unsigned safety, uint64_t *pfirst,
                      uint64_t *pcount, ct_scan *out) {
    uint64_t first = ct_ring_first(g, safety), off = first, cnt = 0;
    const uint64_t head = ct_ring_head(g), written = ct_ring_written(g);
    unsigned n;
    while (off < head && (n = ct__rec_ok(r, g, off)) != 0) {
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
        first += ct__rec_ok(r, g, first);
    *pfirst = first;
    *pcount = keep;
    out->count += keep;
    if (g->mode == CT_DISCARD) {
        out->written += keep;
        out->dropped += g->dropped + (written > keep ? written - keep : 0);
    } else {
        out->written += written;
        out->overwritten += written > keep ? written - keep : 0;
        out->dropped += g->dropped;
    }
}

void ct__ring_scan(const ct_recorder *r, unsigned safety, ct_scan *out) {
    out->count = out->written = out->overwritten = out->dropped = 0;
    out->nrings = r->nrings;
    for (unsigned k = 0; k < r->nrings; k++)
        scan_ring(r, r->rings[k], safety, &out->ring[k].first, &out->ring[k].count, out);
}

uint64_t ct_recorder_common_start(const ct_recorder *r) {
    ct_scan sc;
    ct__ring_scan(r, 0, &sc);
    uint64_t lo = 0;
    for (unsigned k = 0; k < sc.nrings; k++)
        if (sc.ring[k].count) {
            const uint64_t ts = ct_ring_word(r->rings[k], sc.ring[k].first + 1);
            if (ts > lo) lo = ts;
        }
    return lo;
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
    ct_merge m;
    ct__merge_begin(&m, r, &sc);
    const ct_ring *g;
    uint64_t off, i = 0;
    while (i < sc.count && ct__merge_next(&m, &g, &off)) {
        ct_event *e = &t->ev[i++];
        e->id = ct_ring_read(g, off, &e->ts, e->payload);
    }
    t->nev = i;
    t->written = sc.written;
    t->overwritten = sc.overwritten;
    t->dropped = sc.dropped;
    t->ring_bytes = ct__recorder_bytes(r);
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
