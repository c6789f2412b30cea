/* The checkpoint ring (ckpt.h): the newest blob whole, older ones as
 * reverse deltas of 32-byte blocks. A delta is a sequence of runs
 * {u32 first block, u32 block count, the blocks' old bytes}. */
#include "ckpt.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BLOCK 32u
#define CHUNK 512u
/* What one heap block costs beyond its bytes (malloc's header, rounding). */
#define HEAP_OVERHEAD 16u

typedef struct entry {
    uint64_t stamp, tag;
    uint8_t *delta; /* NULL for the newest (it is c->head) or an empty delta */
    size_t len;
} entry;

struct ct_ckpt {
    size_t blob;
    uint64_t max_bytes;
    unsigned max_count;
    uint8_t *head;    /* the newest entry, whole */
    uint8_t *scratch; /* a delta being built */
    size_t scratch_cap;
    entry *e; /* circular: e[(first + i) % cap] is entry i */
    unsigned cap, first, n;
    uint64_t bytes, evicted;
};

static size_t scratch_size(size_t blob) {
    size_t blocks = (blob + BLOCK - 1) / BLOCK;
    return blob + 8 * ((blocks + 1) / 2 + 1);
}

size_t ct_ckpt_min_bytes(size_t blob_size) {
    return 2 * blob_size + scratch_size(blob_size) + 64 * sizeof(entry) + 4096;
}

static entry *at(const ct_ckpt *c, unsigned i) {
    return &c->e[(c->first + i) % c->cap];
}

ct_ckpt *ct_ckpt_create(size_t blob_size, uint64_t max_bytes, unsigned max_count, char *err,
                        size_t errlen) {
    if (blob_size == 0 || blob_size > (1u << 30)) {
        if (err && errlen) snprintf(err, errlen, "checkpoint size %zu out of range", blob_size);
        return NULL;
    }
    if (max_bytes < ct_ckpt_min_bytes(blob_size)) {
        if (err && errlen)
            snprintf(err, errlen, "checkpoint memory %llu is below the minimum %zu bytes",
                     (unsigned long long)max_bytes, ct_ckpt_min_bytes(blob_size));
        return NULL;
    }
    ct_ckpt *c = calloc(1, sizeof *c);
    if (!c) goto oom;
    c->blob = blob_size;
    c->max_bytes = max_bytes;
    c->max_count = max_count;
    c->scratch_cap = scratch_size(blob_size);
    c->head = malloc(blob_size);
    c->scratch = malloc(c->scratch_cap);
    c->cap = 64;
    c->e = calloc(c->cap, sizeof *c->e);
    if (!c->head || !c->scratch || !c->e) goto oom;
    c->bytes = sizeof *c + blob_size + c->scratch_cap + c->cap * sizeof *c->e + 3 * HEAP_OVERHEAD;
    return c;
oom:
    if (c) {
        free(c->head);
        free(c->scratch);
        free(c->e);
        free(c);
    }
    if (err && errlen) snprintf(err, errlen, "out of memory");
    return NULL;
}

void ct_ckpt_destroy(ct_ckpt *c) {
    if (!c) return;
    for (unsigned i = 0; i < c->n; i++)
        free(at(c, i)->delta);
    free(c->head);
    free(c->scratch);
    free(c->e);
    free(c);
}

static uint64_t delta_cost(const entry *x) {
    return x->delta ? x->len + HEAP_OVERHEAD : 0;
}

static void drop_oldest(ct_ckpt *c) {
    entry *x = at(c, 0);
    c->bytes -= delta_cost(x);
    free(x->delta);
    x->delta = NULL;
    c->first = (c->first + 1) % c->cap;
    c->n--;
    c->evicted++;
}

/* Undo entry i's delta on buf (which holds entry i + 1). */
static void apply(const ct_ckpt *c, const entry *x, uint8_t *buf) {
    const uint8_t *p = x->delta, *end = x->delta + x->len;
    while (p && end - p >= 8) {
        uint32_t first, count;
        memcpy(&first, p, 4);
        memcpy(&count, p + 4, 4);
        p += 8;
        size_t off = (size_t)first * BLOCK, len = (size_t)count * BLOCK;
        if (off + len > c->blob) len = c->blob - off;
        memcpy(buf + off, p, len);
        p += len;
    }
}

int ct_ckpt_get(const ct_ckpt *c, unsigned i, void *out) {
    if (i >= c->n) return -EINVAL;
    memcpy(out, c->head, c->blob);
    for (unsigned j = c->n - 1; j-- > i;)
        apply(c, at(c, j), out);
    return 0;
}

void ct_ckpt_truncate(ct_ckpt *c, int i) {
    if (i < 0) {
        while (c->n) {
            entry *x = at(c, c->n - 1);
            c->bytes -= delta_cost(x);
            free(x->delta);
            x->delta = NULL;
            c->n--;
        }
        return;
    }
    if ((unsigned)i + 1 >= c->n) return;
    /* Entry i becomes the newest: rebuild it in place of the head. */
    for (unsigned j = c->n - 1; j-- > (unsigned)i;)
        apply(c, at(c, j), c->head);
    for (unsigned j = (unsigned)i; j < c->n; j++) {
        entry *x = at(c, j);
        c->bytes -= delta_cost(x);
        free(x->delta);
        x->delta = NULL;
        x->len = 0;
    }
    c->n = (unsigned)i + 1;
}

/* Make room for one more index entry: grow the index if that fits the
 * bound, else evict. */
static int reserve(ct_ckpt *c) {
    if (c->n < c->cap) return 0;
    unsigned ncap = c->cap * 2;
    uint64_t more = (uint64_t)(ncap - c->cap) * sizeof(entry);
    if (c->bytes + more > c->max_bytes) {
        drop_oldest(c);
        return 0;
    }
    entry *e = malloc((size_t)ncap * sizeof *e);
    if (!e) return -ENOMEM;
    for (unsigned i = 0; i < c->n; i++)
        e[i] = *at(c, i);
    free(c->e);
    c->e = e;
    c->first = 0;
    c->cap = ncap;
    c->bytes += more;
    return 0;
}

/* Append entry {stamp, tag} (the head already holds its blob). */
static void add_entry(ct_ckpt *c, uint64_t stamp, uint64_t tag) {
    entry *x = &c->e[(c->first + c->n) % c->cap];
    x->stamp = stamp;
    x->tag = tag;
    x->delta = NULL;
    x->len = 0;
    c->n++;
    while (c->n > 1 && (c->bytes > c->max_bytes || (c->max_count && c->n > c->max_count)))
        drop_oldest(c);
}

/* The delta being built: runs of recorded blocks in increasing order. */
typedef struct builder {
    uint8_t *o, *run; /* write position; the open run's header */
    uint32_t count;   /* blocks in the open run */
    size_t last;      /* the block recorded last (SIZE_MAX: none) */
} builder;

/* Record block b's old bytes (from the head) once, before it changes. */
static void record(ct_ckpt *c, builder *d, size_t b) {
    if (b == d->last) return; /* a part before this one changed it already */
    if (!d->run || b != d->last + 1) {
        if (d->run) memcpy(d->run + 4, &d->count, 4);
        uint32_t first = (uint32_t)b;
        d->run = d->o;
        memcpy(d->o, &first, 4);
        d->count = 0;
        d->o += 8;
    }
    size_t off = b * BLOCK, len = c->blob - off < BLOCK ? c->blob - off : BLOCK;
    memcpy(d->o, c->head + off, len);
    d->o += len;
    d->count++;
    d->last = b;
}

/* Compare a part with the head: the blocks where it differs are recorded
 * (old bytes) and the head takes the new bytes. */
static void diff_part(ct_ckpt *c, builder *d, size_t off, size_t len, const uint8_t *src) {
    const size_t end = off + len;
    while (off < end) {
        /* Most of a part does not change: one memcmp per CHUNK first. */
        size_t n = end - off < CHUNK ? end - off : CHUNK;
        if (!memcmp(c->head + off, src, n)) {
            off += n;
            src += n;
            continue;
        }
        const size_t stop = off + n;
        while (off < stop) {
            size_t b = off / BLOCK, m = (b + 1) * BLOCK - off;
            if (m > stop - off) m = stop - off;
            if (memcmp(c->head + off, src, m)) {
                record(c, d, b);
                memcpy(c->head + off, src, m);
            }
            off += m;
            src += m;
        }
    }
}

/* The newest becomes a delta against the head with the parts applied. */
static int push_delta(ct_ckpt *c, uint64_t stamp, uint64_t tag, const ct_ckpt_part *parts,
                      unsigned nparts) {
    if (reserve(c)) return -ENOMEM;
    builder d = {.o = c->scratch, .last = SIZE_MAX};
    for (unsigned i = 0; i < nparts; i++)
        diff_part(c, &d, parts[i].off, parts[i].len, parts[i].src);
    if (d.run) memcpy(d.run + 4, &d.count, 4);
    entry *prev = at(c, c->n - 1);
    prev->len = (size_t)(d.o - c->scratch);
    prev->delta = NULL;
    if (prev->len) {
        prev->delta = malloc(prev->len);
        if (!prev->delta) {
            /* Put the head back as it was. */
            prev->delta = c->scratch;
            apply(c, prev, c->head);
            prev->delta = NULL;
            prev->len = 0;
            return -ENOMEM;
        }
        memcpy(prev->delta, c->scratch, prev->len);
        c->bytes += prev->len + HEAP_OVERHEAD;
    }
    add_entry(c, stamp, tag);
    return 0;
}

int ct_ckpt_push(ct_ckpt *c, uint64_t stamp, uint64_t tag, const void *blob) {
    if (c->n && at(c, c->n - 1)->stamp >= stamp) {
        int keep = ct_ckpt_find(c, stamp);
        if (keep >= 0 && at(c, (unsigned)keep)->stamp == stamp) keep--;
        ct_ckpt_truncate(c, keep);
    }
    if (c->n) {
        ct_ckpt_part whole = {0, c->blob, blob};
        return push_delta(c, stamp, tag, &whole, 1);
    }
    if (reserve(c)) return -ENOMEM;
    memcpy(c->head, blob, c->blob);
    add_entry(c, stamp, tag);
    return 0;
}

int ct_ckpt_push_parts(ct_ckpt *c, uint64_t stamp, uint64_t tag, const ct_ckpt_part *parts,
                       unsigned nparts) {
    if (!c->n || at(c, c->n - 1)->stamp >= stamp) return -EINVAL;
    size_t prev_end = 0;
    for (unsigned i = 0; i < nparts; i++) {
        if (parts[i].off < prev_end || parts[i].off > c->blob ||
            parts[i].len > c->blob - parts[i].off || (parts[i].len && !parts[i].src))
            return -EINVAL;
        prev_end = parts[i].off + parts[i].len;
    }
    return push_delta(c, stamp, tag, parts, nparts);
}

unsigned ct_ckpt_count(const ct_ckpt *c) {
    return c->n;
}

uint64_t ct_ckpt_stamp(const ct_ckpt *c, unsigned i) {
    return i < c->n ? at(c, i)->stamp : 0;
}

uint64_t ct_ckpt_tag(const ct_ckpt *c, unsigned i) {
    return i < c->n ? at(c, i)->tag : 0;
}

size_t ct_ckpt_stored(const ct_ckpt *c, unsigned i) {
    if (i >= c->n) return 0;
    return i + 1 == c->n ? c->blob : at(c, i)->len;
}

int ct_ckpt_find(const ct_ckpt *c, uint64_t stamp) {
    /* Binary search over increasing stamps. */
    int lo = 0, hi = (int)c->n - 1, best = -1;
    while (lo <= hi) {
        int mid = lo + (hi - lo) / 2;
        if (at(c, (unsigned)mid)->stamp <= stamp) {
            best = mid;
            lo = mid + 1;
        } else {
            hi = mid - 1;
        }
    }
    return best;
}

uint64_t ct_ckpt_bytes(const ct_ckpt *c) {
    return c->bytes;
}

uint64_t ct_ckpt_max_bytes(const ct_ckpt *c) {
    return c->max_bytes;
}

size_t ct_ckpt_blob_size(const ct_ckpt *c) {
    return c->blob;
}

uint64_t ct_ckpt_evicted(const ct_ckpt *c) {
    return c->evicted;
}
